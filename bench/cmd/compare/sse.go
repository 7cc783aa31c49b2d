package main

// The Server-Sent Events benchmark ("compare sse"): workerman-go's SSE
// server against a net/http one with a goroutine per stream, doing the same
// jobs, with the load generator in sse mode (bench/loadgen/sse.go).
//
// For every round, alternating the servers (the order rotates each round),
// each test runs on a freshly started server (-mode chooses its job):
//
//   - idle: -streams streams, each with its 15 s heartbeat timer; the
//     server's RSS before and with them (the same measurement as the echo
//     idle test, harness.measureIdle), the delta per stream;
//   - tick: -streams streams, each sent one event per second by its own
//     timer; after -tick-warmup, over -tick-duration, the server's CPU time,
//     the events the load generator received and their latency;
//   - fanout: for each count of -fanout, that many streams subscribed to
//     one topic; -publishes publishes, one at a time, each awaited at every
//     stream, give the latency from the publish to each receipt; then a
//     burst of -burst publishes back to back gives the delivered events/s.
//
// The Workerman anchor (anchor.go), when it runs, takes the idle and tick
// tests (its app.php publishes nothing): in the main comparison when
// -streams is at most anchorMaxConns, else in a comparison of its own at
// anchorMaxConns streams, with the other servers at that size too.

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/workerman-go/workerman/bench/loadgen"
)

// sseServers are the servers of the sse benchmark.
var sseServers = []serverSpec{
	{"net", "./servers/ssenet", "net/http (goroutine per stream)"},
	{"wm", "./servers/ssewm", "workerman-go"},
}

// sseTests are the tests of the sse benchmark, in the order they run.
var sseTests = []string{"idle", "tick", "fanout"}

// sseOptions are the settings of an sse run.
type sseOptions struct {
	Servers      string        `json:"servers"`
	Tests        string        `json:"tests"`
	Rounds       int           `json:"rounds"`
	Streams      int           `json:"streams"` // idle and tick
	IdleSettle   time.Duration `json:"idle_settle_ns"`
	TickWarmup   time.Duration `json:"tick_warmup_ns"`
	TickDuration time.Duration `json:"tick_duration_ns"`
	Fanout       string        `json:"fanout"` // subscriber counts
	Publishes    int           `json:"publishes"`
	Burst        int           `json:"burst"`
	PublishGap   time.Duration `json:"publish_gap_ns"`
	Src          string        `json:"src"`
	Loops        int           `json:"loadgen_loops"`
	Pin          bool          `json:"pin"`
	Quick        bool          `json:"quick"`
	Timeout      time.Duration `json:"timeout_ns"`
	Workerman    string        `json:"workerman,omitempty"`
	Out          string        `json:"-"`

	tests  map[string]bool
	fanout []int
}

// sseAnchorTests are the tests the Workerman anchor takes.
var sseAnchorTests = []string{"idle", "tick"}

// sseAnchorPHPArgs are php's arguments before app.php in the sse
// benchmark: app.php's events carry (string)microtime(true), seconds with
// a fraction, which PHP writes with its default precision of 14 digits
// ("1796234889.0623", 100 µs); with precision=17 it writes every digit the
// float holds ("1796234889.0623419", about 0.2 µs), which the load
// generator reads as seconds for the tick latency.
var sseAnchorPHPArgs = []string{"-d", "precision=17"}

// sseRoundTests are the tests of a round: those of -tests, then those of
// the comparison at anchorMaxConns streams with the anchor.
var sseRoundTests = []string{"idle", "tick", "fanout", "anchor-idle", "anchor-tick"}

// sseMain runs the sse benchmark with the command-line arguments args
// (after "sse") and returns the exit status.
func sseMain(args []string) int {
	var o sseOptions
	fs := flag.NewFlagSet("compare sse", flag.ExitOnError)
	fs.StringVar(&o.Servers, "servers", "net,wm", "comma-separated servers to compare: "+serverNames(sseServers))
	fs.StringVar(&o.Tests, "tests", strings.Join(sseTests, ","), "comma-separated tests to run: idle, tick, fanout")
	fs.IntVar(&o.Rounds, "rounds", 5, "rounds (at least 3); each runs every test on every server once")
	fs.IntVar(&o.Streams, "streams", 10000, "idle, tick: streams (at most 19,000: one load generator process)")
	fs.DurationVar(&o.IdleSettle, "idle-settle", 2*time.Second, "idle: wait after all streams are up before reading memory")
	fs.DurationVar(&o.TickWarmup, "tick-warmup", 3*time.Second, "tick: unmeasured time once the streams are up")
	fs.DurationVar(&o.TickDuration, "tick-duration", 10*time.Second, "tick: measured window")
	fs.StringVar(&o.Fanout, "fanout", "1000,10000", "fanout: comma-separated subscriber counts, each a test of its own")
	fs.IntVar(&o.Publishes, "publishes", 30, "fanout: publishes awaited one at a time at every subscriber (the latency)")
	fs.IntVar(&o.Burst, "burst", 20, "fanout: publishes sent back to back after them (the delivered events/s)")
	fs.DurationVar(&o.PublishGap, "publish-gap", 20*time.Millisecond, "fanout: pause after each awaited publish")
	fs.StringVar(&o.Src, "src", "", "comma-separated loopback source addresses for the load generator (e.g. 127.0.0.1,127.0.0.2)")
	fs.IntVar(&o.Loops, "loadgen-loops", 1, "epoll loops of the load generator")
	fs.BoolVar(&o.Pin, "pin", true, "pin every server process to the first CPU and the load generator to the second (skipped with fewer than 2 CPUs)")
	fs.BoolVar(&o.Quick, "quick", false, "smoke run of about 1.5 minutes (3 rounds, 2,000 streams, fan-out to 200 and 2,000, short windows) unless flags say otherwise")
	fs.DurationVar(&o.Timeout, "timeout", 15*time.Minute, "overall time limit")
	fs.StringVar(&o.Workerman, "workerman", "", anchorFlagUsage)
	fs.StringVar(&o.Out, "out", "", `result file (default bench/results/sse-<date>.md; "-" for none)`)
	fs.BoolVar(&verbose, "v", false, "show the children's stderr")
	fs.Parse(args)
	if fs.NArg() > 0 {
		logf("compare sse: unexpected arguments %q", fs.Args())
		return 2
	}
	if o.Quick {
		quickDefaults(fs, map[string]func(){
			"rounds":        func() { o.Rounds = 3 },
			"streams":       func() { o.Streams = 2000 },
			"idle-settle":   func() { o.IdleSettle = 500 * time.Millisecond },
			"tick-warmup":   func() { o.TickWarmup = 1500 * time.Millisecond },
			"tick-duration": func() { o.TickDuration = 3 * time.Second },
			"fanout":        func() { o.Fanout = "200,2000" },
			"publishes":     func() { o.Publishes = 10 },
			"burst":         func() { o.Burst = 10 },
			"timeout":       func() { o.Timeout = 5 * time.Minute },
		})
	}
	if err := o.check(); err != nil {
		logf("compare sse: %v", err)
		return 2
	}
	servers, err := selectServers(o.Servers, sseServers)
	if err != nil {
		logf("compare sse: %v", err)
		return 2
	}
	return guard(o.Timeout, func(ctx context.Context, reg *registry) (int, error) {
		d := &sseDriver{o: o, harness: harness{reg: reg}, servers: servers}
		err := d.run(ctx)
		return d.failures, err
	})
}

// check validates the options and fills in the parsed lists.
func (o *sseOptions) check() error {
	var err error
	if o.tests, err = parseTests(o.Tests, sseTests); err != nil {
		return err
	}
	o.fanout = nil
	if o.tests["fanout"] {
		if o.fanout, err = parseCounts(o.Fanout); err != nil {
			return fmt.Errorf("-fanout: %v", err)
		}
	}
	switch {
	case o.Rounds < 3:
		return fmt.Errorf("-rounds must be at least 3 (the figures are medians)")
	case o.Streams < 1 || o.Streams > loadgen.DefaultMaxConns:
		return fmt.Errorf("-streams must be between 1 and %d (one load generator process, one server process)", loadgen.DefaultMaxConns)
	case o.TickDuration < time.Second || o.TickWarmup < 0:
		return fmt.Errorf("-tick-duration must be at least 1s and -tick-warmup not negative")
	case o.Publishes < 1 || o.Burst < 0:
		return fmt.Errorf("-publishes must be positive and -burst not negative")
	case o.Loops < 1:
		return fmt.Errorf("-loadgen-loops must be positive")
	}
	for _, n := range o.fanout {
		if n > loadgen.DefaultMaxConns {
			return fmt.Errorf("-fanout: %d subscribers exceed one load generator process (%d)", n, loadgen.DefaultMaxConns)
		}
	}
	return nil
}

// parseTests parses a comma-separated list of tests, each one of known.
func parseTests(list string, known []string) (map[string]bool, error) {
	tests := map[string]bool{}
	for _, t := range strings.Split(list, ",") {
		t = strings.TrimSpace(t)
		if t == "" {
			continue
		}
		ok := false
		for _, k := range known {
			ok = ok || k == t
		}
		if !ok {
			return nil, fmt.Errorf("unknown test %q (known: %s)", t, strings.Join(known, ", "))
		}
		tests[t] = true
	}
	if len(tests) == 0 {
		return nil, fmt.Errorf("no test selected")
	}
	return tests, nil
}

// parseCounts parses a comma-separated list of positive integers (an
// underscore or comma-free "10_000" style is not needed: "1000,10000").
func parseCounts(s string) ([]int, error) {
	var out []int
	seen := map[int]bool{}
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("bad count %q", f)
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no count given")
	}
	return out, nil
}

// sseDriver runs the sse benchmark.
type sseDriver struct {
	harness
	o       sseOptions
	servers []serverSpec // the main comparison (with the anchor when -streams ≤ anchorMaxConns)
	idle    []idleRecord
	tick    []tickRecord
	fan     []fanoutRecord
	anchor  anchorChoice
	// The comparison at anchorMaxConns streams, when -streams is larger
	// and the anchor runs: its servers (the main ones and the anchor) and
	// records.
	capServers []serverSpec
	capIdle    []idleRecord
	capTick    []tickRecord
	failures   int
}

// tickRecord is the outcome of one tick round of one server.
type tickRecord struct {
	Server              string            `json:"server"`
	Round               int               `json:"round"`
	OK                  bool              `json:"ok"`
	Error               string            `json:"error,omitempty"`
	Streams             int               `json:"streams"`
	WindowSec           float64           `json:"window_sec"`
	Events              uint64            `json:"events"`         // received in the window
	EventsPerSec        float64           `json:"events_per_sec"` // received
	P50us               float64           `json:"p50_us"`         // from the server's timestamp to the receipt
	P99us               float64           `json:"p99_us"`
	ServerCPUPct        float64           `json:"server_cpu_pct"`     // of one core, over the window, user + system
	ServerSysPct        float64           `json:"server_sys_cpu_pct"` // its system (kernel) part
	ServerCPUusPerEvent float64           `json:"server_cpu_us_per_event"`
	ClientCPUPct        float64           `json:"client_cpu_pct"`
	OtherCPUPct         float64           `json:"other_cpu_pct"`
	ServerInfo          serverInfo        `json:"server_info"`
	LoadgenCPUs         string            `json:"loadgen_cpus,omitempty"`
	LoadgenGOMAXPROCS   int               `json:"loadgen_gomaxprocs,omitempty"`
	Loadgen             []json.RawMessage `json:"loadgen,omitempty"`
}

// fanoutRecord is the outcome of one fan-out round of one server.
type fanoutRecord struct {
	Server      string `json:"server"`
	Round       int    `json:"round"`
	Subscribers int    `json:"subscribers"`
	OK          bool   `json:"ok"`
	Error       string `json:"error,omitempty"`
	// The publishes awaited one at a time: latency from the publish (the
	// time in the event's data) to each subscriber's receipt, and from
	// sending the POST to the last subscriber's receipt.
	Publishes     int     `json:"publishes"`
	P50us         float64 `json:"p50_us"`
	P99us         float64 `json:"p99_us"`
	MaxUs         float64 `json:"max_us"`
	CompleteP50us float64 `json:"complete_p50_us"`
	// The burst.
	Burst             int     `json:"burst"`
	BurstEvents       uint64  `json:"burst_events"`
	BurstSec          float64 `json:"burst_sec"`
	DeliveredPerSec   float64 `json:"delivered_per_sec"`
	BurstP99us        float64 `json:"burst_p99_us"`
	BurstServerCPUPct float64 `json:"burst_server_cpu_pct"`
	BurstClientCPUPct float64 `json:"burst_client_cpu_pct"`
	// The whole schedule.
	ServerCPUusPerEvent float64           `json:"server_cpu_us_per_event"`     // user + system
	ServerSysUsPerEvent float64           `json:"server_sys_cpu_us_per_event"` // its system (kernel) part
	OtherCPUPct         float64           `json:"other_cpu_pct"`
	ServerInfo          serverInfo        `json:"server_info"`
	LoadgenCPUs         string            `json:"loadgen_cpus,omitempty"`
	LoadgenGOMAXPROCS   int               `json:"loadgen_gomaxprocs,omitempty"`
	Loadgen             []json.RawMessage `json:"loadgen,omitempty"`
}

// run builds, measures every round and reports.
func (d *sseDriver) run(ctx context.Context) error {
	if err := d.prepareWith(ctx, d.o.Pin, d.servers, d.setupAnchor); err != nil {
		return err
	}
	defer d.cleanup()
	o := d.o
	logf("compare: %d rounds of %s; tests %s: idle %d streams (settle %v), tick %d streams × 1 event/s (%v measured after %v), fan-out to %v subscribers (%d publishes + a burst of %d); load average %s",
		o.Rounds, serverNames(d.servers), o.Tests, o.Streams, o.IdleSettle, o.Streams, o.TickDuration, o.TickWarmup, o.fanout, o.Publishes, o.Burst, d.load0)
	if d.capServers != nil {
		logf("compare: and idle and tick with %s at %d streams (Workerman's limit)", serverNames(d.capServers), anchorMaxConns)
	}
	sizes := func(test string) []int {
		if test == "fanout" {
			return o.fanout
		}
		return nil
	}
	enabled := map[string]bool{}
	for t, on := range o.tests {
		enabled[t] = on
		enabled["anchor-"+t] = on && d.capServers != nil
	}
	serversOf := func(test string) []serverSpec {
		switch test {
		case "anchor-idle", "anchor-tick":
			return d.capServers
		case "fanout":
			return goServers(d.servers) // app.php publishes nothing
		}
		return d.servers
	}
	err := forRoundsOf(ctx, o.Rounds, serversOf, sseRoundTests, enabled, sizes, func(test string, s serverSpec, r, n int) {
		switch test {
		case "idle":
			rec := d.idleRound(ctx, s, r, o.Streams)
			d.idle = append(d.idle, rec)
			logSSEIdle(rec)
		case "tick":
			rec := d.tickRound(ctx, s, r, o.Streams)
			d.tick = append(d.tick, rec)
			logTick(rec)
		case "anchor-idle":
			rec := d.idleRound(ctx, s, r, anchorMaxConns)
			d.capIdle = append(d.capIdle, rec)
			logSSEIdle(rec)
		case "anchor-tick":
			rec := d.tickRound(ctx, s, r, anchorMaxConns)
			d.capTick = append(d.capTick, rec)
			logTick(rec)
		case "fanout":
			rec := d.fanoutRound(ctx, s, r, n)
			d.fan = append(d.fan, rec)
			logFanout("fanout", rec)
		}
	})
	if err != nil {
		return d.abort(err)
	}
	d.load1 = loadAvg()
	return d.report()
}

// abort reports what was measured before an interruption.
func (d *sseDriver) abort(err error) error {
	return d.harness.abort(err, len(d.idle)+len(d.tick)+len(d.fan)+len(d.capIdle)+len(d.capTick) > 0, d.report)
}

// setupAnchor decides whether the Workerman anchor runs and where: in the
// main comparison (-streams ≤ anchorMaxConns) or in one of its own at
// anchorMaxConns streams.
func (d *sseDriver) setupAnchor() error {
	c, err := findAnchor(d.o.Workerman, d.root, "http")
	if err != nil {
		return err
	}
	if c.Anchor != nil && !d.o.tests["idle"] && !d.o.tests["tick"] {
		c = anchorChoice{Note: "Workerman not run: it takes only the idle and tick tests (its app.php publishes nothing), and neither was selected"}
	}
	d.anchor = c
	if c.Anchor == nil {
		logf("compare: %s", c.Note)
		return nil
	}
	c.Anchor.PHPArgs = sseAnchorPHPArgs
	d.harness.anchor = c.Anchor
	logf("compare: Workerman anchor: %s, %s", c.Anchor.Dir, c.Anchor.PHPVersion)
	if d.o.Streams <= anchorMaxConns {
		d.servers = append(d.servers, anchorSpec)
	} else {
		d.capServers = append(append([]serverSpec(nil), d.servers...), anchorSpec)
	}
	return nil
}

// goServers is servers without the external ones.
func goServers(servers []serverSpec) []serverSpec {
	var out []serverSpec
	for _, s := range servers {
		if !s.external() {
			out = append(out, s)
		}
	}
	return out
}

// loadgenArgs are the load generator's arguments for n streams to addr.
func (d *sseDriver) loadgenArgs(addr string, n int) []string {
	a := []string{"-mode", loadgen.ModeSSE, "-target", addr, "-conns", fmt.Sprint(n), "-loops", fmt.Sprint(d.o.Loops)}
	if d.o.Src != "" {
		a = append(a, "-src", d.o.Src)
	}
	return a
}

// streamArgs are loadgenArgs for the streams of server s: the anchor
// serves them at /sse.
func (d *sseDriver) streamArgs(s serverSpec, addr string, n int) []string {
	a := d.loadgenArgs(addr, n)
	if s.external() {
		a = append(a, "-path", "/sse")
	}
	return a
}

// idleRound measures the memory of n idle streams on a fresh server.
func (d *sseDriver) idleRound(ctx context.Context, s serverSpec, round, n int) idleRecord {
	rec := d.measureIdle(ctx, s, round, idleSpec{
		serverArgs: []string{"-mode", "idle"},
		conns:      n, warm: idleWarmConns, procs: 1, settle: d.o.IdleSettle,
		loadgenArgs: func(addr string, n int) []string { return d.streamArgs(s, addr, n) },
	})
	if !rec.OK {
		d.failures++
	}
	return rec
}

// measured runs one load generator with n streams (and the arguments
// extra gives for the server's pid) against a fresh server started with
// -mode mode (harness.measured).
func (d *sseDriver) measured(ctx context.Context, s serverSpec, mode string, n int, extra func(pid int) []string, limit time.Duration) (*loadgen.Result, []json.RawMessage, serverInfo, []string) {
	args := func(addr string, srv *proc) ([]string, error) {
		return append(d.streamArgs(s, addr, n), extra(srv.pid())...), nil
	}
	return d.harness.measured(ctx, s, []string{"-mode", mode}, "loadgen-"+mode, args, limit)
}

// otherCPU is the load on the machine besides the server and the load
// generator during a window, in % of one core (never negative).
func otherCPU(res *loadgen.Result, serverPct, clientPct float64) float64 {
	var busy float64
	for _, v := range res.CPUBusyPct {
		busy += v
	}
	if len(res.CPUBusyPct) == 0 {
		return 0
	}
	return max(0, busy-serverPct-clientPct)
}

// tickRound measures the server's CPU for n streams that each get an
// event per second from their own timer.
func (d *sseDriver) tickRound(ctx context.Context, s serverSpec, round, n int) (rec tickRecord) {
	rec = tickRecord{Server: s.Name, Round: round}
	defer func() {
		if !rec.OK {
			d.failures++
		}
	}()
	extra := func(pid int) []string {
		return []string{"-warmup", d.o.TickWarmup.String(), "-duration", d.o.TickDuration.String(),
			"-setup-timeout", setupTimeout.String(), "-server-pid", fmt.Sprint(pid)}
	}
	limit := setupTimeout + d.o.TickWarmup + d.o.TickDuration + 15*time.Second
	res, raws, info, problems := d.measured(ctx, s, "tick", n, extra, limit)
	rec.Loadgen, rec.ServerInfo = raws, info
	if res != nil {
		rec.Streams = res.Streams
		rec.LoadgenCPUs, rec.LoadgenGOMAXPROCS = res.CPUs, res.GOMAXPROCS
		rec.WindowSec = res.WindowSec
		rec.Events = res.WindowEvents
		rec.EventsPerSec = res.EventsPerSec
		rec.P50us, rec.P99us = res.P50us, res.P99us
		if w := res.WindowSec; w > 0 {
			rec.ServerCPUPct = res.ServerCPU / w * 100
			rec.ServerSysPct = res.ServerSysCPU / w * 100
			rec.ClientCPUPct = res.ClientCPU / w * 100
			rec.OtherCPUPct = otherCPU(res, rec.ServerCPUPct, rec.ClientCPUPct)
		}
		if res.WindowEvents > 0 {
			rec.ServerCPUusPerEvent = res.ServerCPU * 1e6 / float64(res.WindowEvents)
		}
		if res.ServerCPU <= 0 {
			problems = append(problems, "no server CPU time measured")
		}
		if res.WindowEvents == 0 {
			problems = append(problems, "no event received in the window")
		}
	}
	rec.OK = len(problems) == 0
	rec.Error = strings.Join(problems, "; ")
	return rec
}

// fanoutRound measures publishing to n subscribers.
func (d *sseDriver) fanoutRound(ctx context.Context, s serverSpec, round, n int) fanoutRecord {
	rec := d.measureFanout(ctx, s, round, n, fanoutSpec{
		serverArgs: []string{"-mode", "fanout"}, lgName: "loadgen-fanout",
		publishes: d.o.Publishes, burst: d.o.Burst, gap: d.o.PublishGap,
		loadgenArgs: func(addr string, _ *proc, n int) ([]string, error) { return d.loadgenArgs(addr, n), nil },
	})
	if !rec.OK {
		d.failures++
	}
	return rec
}

func logSSEIdle(r idleRecord) {
	if !r.OK {
		logf("  round %d idle   %-4s FAILED: %s", r.Round, r.Server, r.Error)
		return
	}
	logf("  round %d idle   %-4s %6d streams  RSS %6.1f → %6.1f MiB  %6.2f KiB/stream",
		r.Round, r.Server, r.Conns, mib(r.RSSBefore), mib(r.RSSAfter), r.BytesPerConn/1024)
}

func logTick(r tickRecord) {
	if !r.OK {
		logf("  round %d tick   %-4s FAILED: %s", r.Round, r.Server, r.Error)
		return
	}
	latency := fmt.Sprintf("latency p50 %7.0f µs  p99 %7.0f µs", r.P50us, r.P99us)
	logf("  round %d tick   %-4s %6d streams  %7.0f events/s received  server CPU %5.1f %% (system %4.1f %%) = %5.2f µs/event  %s  load gen %3.0f %%, other %3.0f %%",
		r.Round, r.Server, r.Streams, r.EventsPerSec, r.ServerCPUPct, r.ServerSysPct, r.ServerCPUusPerEvent, latency, r.ClientCPUPct, r.OtherCPUPct)
}

// logFanout logs a fan-out round of test ("fanout", "broadcast").
func logFanout(test string, r fanoutRecord) {
	if !r.OK {
		logf("  round %d %-6s %-4s %6d subscribers FAILED: %s", r.Round, test, r.Server, r.Subscribers, r.Error)
		return
	}
	logf("  round %d %-6s %-4s %6d subscribers  p50 %7.0f µs  p99 %7.0f µs  all %7.0f µs  burst %8.0f events/s (server %3.0f %%, load gen %3.0f %%)  server CPU %5.2f µs/event (system %5.2f)",
		r.Round, test, r.Server, r.Subscribers, r.P50us, r.P99us, r.CompleteP50us, r.DeliveredPerSec, r.BurstServerCPUPct, r.BurstClientCPUPct, r.ServerCPUusPerEvent, r.ServerSysUsPerEvent)
}
