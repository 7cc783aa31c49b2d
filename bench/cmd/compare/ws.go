package main

// The WebSocket benchmark ("compare ws"): workerman-go's websocket://
// server against gorilla/websocket on net/http with a goroutine per
// connection, doing the same jobs, with the load generator in its WebSocket
// modes (bench/loadgen/ws.go).
//
// For every round, alternating the servers (the order rotates each round),
// each test runs on a freshly started server (-mode chooses its job):
//
//   - echo: -echo-conns clients, each with -echo-depth text messages of
//     -echo-size bytes in flight, every echo checked; after -echo-warmup,
//     over -echo-duration, messages/s, their round trip and the server's
//     CPU per message (the measurement of the echo benchmark,
//     harness.measureEcho);
//   - idle: -idle-conns WebSockets whose handshake is done and that send
//     nothing; the server's RSS before and with them, the delta per
//     connection (harness.measureIdle);
//   - broadcast: for each count of -broadcast, that many clients, each
//     subscribed to one topic; -publishes publishes (POST /publish on the
//     server's second, http, port), one at a time, each awaited at every
//     client, give the latency from the publish to each receipt; then a
//     burst of -burst publishes back to back gives the delivered messages/s
//     (harness.measureFanout, as the sse fan-out).
//
// The Workerman anchor (anchor.go, app.php's websocket:// echo), when it
// runs, takes the echo test: in the main comparison when -echo-conns is at
// most anchorMaxConns, else in a comparison of its own at anchorMaxConns
// clients, with the other servers at that size too.

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/workerman-go/workerman/bench/loadgen"
)

// wsServers are the servers of the ws benchmark.
var wsServers = []serverSpec{
	{"gorilla", "./servers/wsgorilla", "gorilla/websocket (goroutine per conn)"},
	{"wm", "./servers/wswm", "workerman-go"},
}

// wsBase is the server the ratios divide by.
const wsBase = "gorilla"

// wsTests are the tests of the ws benchmark, in the order they run.
var wsTests = []string{"echo", "idle", "broadcast"}

// wsRoundTests are the tests of a round: those of -tests, then the echo of
// the comparison at anchorMaxConns clients with the anchor.
var wsRoundTests = []string{"echo", "idle", "broadcast", "anchor-echo"}

// wsOptions are the settings of a ws run.
type wsOptions struct {
	Servers      string        `json:"servers"`
	Tests        string        `json:"tests"`
	Rounds       int           `json:"rounds"`
	EchoConns    int           `json:"echo_conns"`
	EchoSize     int           `json:"echo_size"`
	EchoDepth    int           `json:"echo_depth"`
	EchoDuration time.Duration `json:"echo_duration_ns"`
	EchoWarmup   time.Duration `json:"echo_warmup_ns"`
	IdleConns    int           `json:"idle_conns"`
	IdleSettle   time.Duration `json:"idle_settle_ns"`
	Broadcast    string        `json:"broadcast"` // client counts
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

	tests     map[string]bool
	broadcast []int
	procs     int // load generator processes of the idle test
}

// wsMain runs the ws benchmark with the command-line arguments args (after
// "ws") and returns the exit status.
func wsMain(args []string) int {
	var o wsOptions
	fs := flag.NewFlagSet("compare ws", flag.ExitOnError)
	fs.StringVar(&o.Servers, "servers", "gorilla,wm", "comma-separated servers to compare: "+serverNames(wsServers))
	fs.StringVar(&o.Tests, "tests", strings.Join(wsTests, ","), "comma-separated tests to run: "+strings.Join(wsTests, ", "))
	fs.IntVar(&o.Rounds, "rounds", 5, "rounds (at least 3); each runs every test on every server once")
	fs.IntVar(&o.EchoConns, "echo-conns", 1000, "echo: clients")
	fs.IntVar(&o.EchoSize, "echo-size", 64, "echo: text message size in bytes")
	fs.IntVar(&o.EchoDepth, "echo-depth", 1, "echo: messages in flight per client (1: send, wait for the echo, send the next)")
	fs.DurationVar(&o.EchoDuration, "echo-duration", 5*time.Second, "echo: measured time per round")
	fs.DurationVar(&o.EchoWarmup, "echo-warmup", time.Second, "echo: unmeasured warm-up per round")
	fs.IntVar(&o.IdleConns, "idle-conns", 10000, "idle: connections (at most 19,000: one server process)")
	fs.DurationVar(&o.IdleSettle, "idle-settle", 2*time.Second, "idle: wait after all connections are up before reading memory")
	fs.StringVar(&o.Broadcast, "broadcast", "1000,10000", "broadcast: comma-separated client counts, each a test of its own")
	fs.IntVar(&o.Publishes, "publishes", 30, "broadcast: publishes awaited one at a time at every client (the latency)")
	fs.IntVar(&o.Burst, "burst", 20, "broadcast: publishes sent back to back after them (the delivered messages/s)")
	fs.DurationVar(&o.PublishGap, "publish-gap", 20*time.Millisecond, "broadcast: pause after each awaited publish")
	fs.StringVar(&o.Src, "src", "", "comma-separated loopback source addresses for the load generators (e.g. 127.0.0.1,127.0.0.2)")
	fs.IntVar(&o.Loops, "loadgen-loops", 1, "epoll loops per load generator process")
	fs.BoolVar(&o.Pin, "pin", true, "pin every server process to the first CPU and every load generator to the second (skipped with fewer than 2 CPUs)")
	fs.BoolVar(&o.Quick, "quick", false, "smoke run of about 1 minute (3 rounds, 1 s echo, 2,000 idle connections, broadcast to 200 and 2,000) unless flags say otherwise")
	fs.DurationVar(&o.Timeout, "timeout", 15*time.Minute, "overall time limit")
	fs.StringVar(&o.Workerman, "workerman", "", anchorFlagUsage)
	fs.StringVar(&o.Out, "out", "", `result file (default bench/results/ws-<date>.md; "-" for none)`)
	fs.BoolVar(&verbose, "v", false, "show the children's stderr")
	fs.Parse(args)
	if fs.NArg() > 0 {
		logf("compare ws: unexpected arguments %q", fs.Args())
		return 2
	}
	if o.Quick {
		quickDefaults(fs, map[string]func(){
			"rounds":        func() { o.Rounds = 3 },
			"echo-duration": func() { o.EchoDuration = time.Second },
			"echo-warmup":   func() { o.EchoWarmup = 300 * time.Millisecond },
			"idle-conns":    func() { o.IdleConns = 2000 },
			"idle-settle":   func() { o.IdleSettle = 500 * time.Millisecond },
			"broadcast":     func() { o.Broadcast = "200,2000" },
			"publishes":     func() { o.Publishes = 10 },
			"burst":         func() { o.Burst = 10 },
			"timeout":       func() { o.Timeout = 5 * time.Minute },
		})
	}
	if err := o.check(); err != nil {
		logf("compare ws: %v", err)
		return 2
	}
	servers, err := selectServers(o.Servers, wsServers)
	if err != nil {
		logf("compare ws: %v", err)
		return 2
	}
	return guard(o.Timeout, func(ctx context.Context, reg *registry) (int, error) {
		d := &wsDriver{o: o, harness: harness{reg: reg}, servers: servers}
		err := d.run(ctx)
		return d.failures, err
	})
}

// maxServerConns is the most connections one server process can hold: the
// machine allows 20,000 descriptors per process.
const maxServerConns = 19000

// check validates the options and fills in the parsed lists.
func (o *wsOptions) check() error {
	var err error
	if o.tests, err = parseTests(o.Tests, wsTests); err != nil {
		return err
	}
	o.broadcast = nil
	if o.tests["broadcast"] {
		if o.broadcast, err = parseCounts(o.Broadcast); err != nil {
			return fmt.Errorf("-broadcast: %v", err)
		}
	}
	switch {
	case o.Rounds < 3:
		return fmt.Errorf("-rounds must be at least 3 (the figures are medians)")
	case o.EchoConns < 1 || o.EchoSize < 1 || o.EchoDepth < 1 || o.EchoDuration <= 0 || o.EchoWarmup < 0:
		return fmt.Errorf("-echo-conns, -echo-size, -echo-depth and -echo-duration must be positive, -echo-warmup not negative")
	case o.EchoDepth > loadgen.MaxDepth:
		return fmt.Errorf("-echo-depth is at most %d", loadgen.MaxDepth)
	case o.EchoConns > maxServerConns || o.IdleConns < 1 || o.IdleConns > maxServerConns:
		return fmt.Errorf("-echo-conns and -idle-conns must be between 1 and %d (one server process)", maxServerConns)
	case o.Publishes < 1 || o.Burst < 0:
		return fmt.Errorf("-publishes must be positive and -burst not negative")
	case o.Loops < 1:
		return fmt.Errorf("-loadgen-loops must be positive")
	}
	for _, n := range o.broadcast {
		if n > loadgen.DefaultMaxConns {
			return fmt.Errorf("-broadcast: %d clients exceed one load generator process (%d)", n, loadgen.DefaultMaxConns)
		}
	}
	o.procs = (o.IdleConns + loadgen.DefaultMaxConns - 1) / loadgen.DefaultMaxConns
	return nil
}

// wsDriver runs the ws benchmark.
type wsDriver struct {
	harness
	o       wsOptions
	servers []serverSpec // the main comparison (with the anchor when -echo-conns ≤ anchorMaxConns)
	echo    []echoRecord
	idle    []idleRecord
	bcast   []fanoutRecord
	anchor  anchorChoice
	// The echo comparison at anchorMaxConns clients, when -echo-conns is
	// larger and the anchor runs: its servers (the main ones and the
	// anchor) and records.
	capServers []serverSpec
	capEcho    []echoRecord
	failures   int
}

// run builds, measures every round and reports.
func (d *wsDriver) run(ctx context.Context) error {
	if err := d.prepareWith(ctx, d.o.Pin, d.servers, d.setupAnchor); err != nil {
		return err
	}
	defer d.cleanup()
	o := d.o
	logf("compare: %d rounds of %s; tests %s: echo %d clients × %d × %d B in flight (%v measured after %v), idle %d connections (settle %v), broadcast to %v clients (%d publishes + a burst of %d); load average %s",
		o.Rounds, serverNames(d.servers), o.Tests, o.EchoConns, o.EchoDepth, o.EchoSize, o.EchoDuration, o.EchoWarmup,
		o.IdleConns, o.IdleSettle, o.broadcast, o.Publishes, o.Burst, d.load0)
	if d.capServers != nil {
		logf("compare: and echo with %s at %d clients (Workerman's limit)", serverNames(d.capServers), anchorMaxConns)
	}
	sizes := func(test string) []int {
		if test == "broadcast" {
			return o.broadcast
		}
		return nil
	}
	enabled := map[string]bool{"anchor-echo": o.tests["echo"] && d.capServers != nil}
	for t, on := range o.tests {
		enabled[t] = on
	}
	serversOf := func(test string) []serverSpec {
		switch test {
		case "anchor-echo":
			return d.capServers
		case "idle", "broadcast":
			return goServers(d.servers) // app.php is an echo only
		}
		return d.servers
	}
	err := forRoundsOf(ctx, o.Rounds, serversOf, wsRoundTests, enabled, sizes, func(test string, s serverSpec, r, n int) {
		switch test {
		case "echo":
			rec := d.echoRound(ctx, s, r, o.EchoConns)
			d.echo = append(d.echo, rec)
			logEcho(rec)
		case "anchor-echo":
			rec := d.echoRound(ctx, s, r, anchorMaxConns)
			d.capEcho = append(d.capEcho, rec)
			logEchoAs(fmt.Sprintf("echo@%d", anchorMaxConns), rec)
		case "idle":
			rec := d.idleRound(ctx, s, r)
			d.idle = append(d.idle, rec)
			logIdle(rec)
		case "broadcast":
			rec := d.broadcastRound(ctx, s, r, n)
			d.bcast = append(d.bcast, rec)
			logFanout("bcast", rec)
		}
	})
	if err != nil {
		return d.abort(err)
	}
	d.load1 = loadAvg()
	return d.report()
}

// abort reports what was measured before an interruption.
func (d *wsDriver) abort(err error) error {
	return d.harness.abort(err, len(d.echo)+len(d.idle)+len(d.bcast)+len(d.capEcho) > 0, d.report)
}

// setupAnchor decides whether the Workerman anchor runs and where: in the
// main comparison (-echo-conns ≤ anchorMaxConns) or in one of its own at
// anchorMaxConns clients.
func (d *wsDriver) setupAnchor() error {
	c, err := findAnchor(d.o.Workerman, d.root, "ws")
	if err != nil {
		return err
	}
	if c.Anchor != nil && !d.o.tests["echo"] {
		c = anchorChoice{Note: "Workerman not run: it takes only the echo test (its app.php is an echo), which was not selected"}
	}
	d.anchor = c
	if c.Anchor == nil {
		logf("compare: %s", c.Note)
		return nil
	}
	d.harness.anchor = c.Anchor
	logf("compare: Workerman anchor: %s, %s", c.Anchor.Dir, c.Anchor.PHPVersion)
	if d.o.EchoConns <= anchorMaxConns {
		d.servers = append(d.servers, anchorSpec)
	} else {
		d.capServers = append(append([]serverSpec(nil), d.servers...), anchorSpec)
	}
	return nil
}

// loadgenArgs are the load generator's arguments for n connections to addr
// in mode.
func (d *wsDriver) loadgenArgs(mode, addr string, n int) []string {
	a := []string{"-mode", mode, "-target", addr, "-conns", fmt.Sprint(n), "-loops", fmt.Sprint(d.o.Loops)}
	if d.o.Src != "" {
		a = append(a, "-src", d.o.Src)
	}
	return a
}

// echoRound measures the messages echoed to n clients on a fresh server.
func (d *wsDriver) echoRound(ctx context.Context, s serverSpec, round, n int) echoRecord {
	rec := d.measureEcho(ctx, s, round, echoSpec{
		serverArgs: []string{"-mode", "echo"},
		conns:      n, size: d.o.EchoSize, depth: d.o.EchoDepth,
		warmup: d.o.EchoWarmup, duration: d.o.EchoDuration,
		loadgenArgs: func(addr string, n int) []string { return d.loadgenArgs(loadgen.ModeWSEcho, addr, n) },
	})
	if !rec.OK {
		d.failures++
	}
	return rec
}

// idleRound measures the memory of idle WebSockets on a fresh server.
func (d *wsDriver) idleRound(ctx context.Context, s serverSpec, round int) idleRecord {
	rec := d.measureIdle(ctx, s, round, idleSpec{
		serverArgs: []string{"-mode", "idle"},
		conns:      d.o.IdleConns, warm: idleWarmConns, procs: d.o.procs, settle: d.o.IdleSettle,
		loadgenArgs: func(addr string, n int) []string { return d.loadgenArgs(loadgen.ModeWSIdle, addr, n) },
	})
	if !rec.OK {
		d.failures++
	}
	return rec
}

// broadcastRound measures publishing to n clients on a fresh server.
func (d *wsDriver) broadcastRound(ctx context.Context, s serverSpec, round, n int) fanoutRecord {
	rec := d.measureFanout(ctx, s, round, n, fanoutSpec{
		serverArgs: []string{"-mode", "broadcast"}, lgName: "loadgen-broadcast",
		publishes: d.o.Publishes, burst: d.o.Burst, gap: d.o.PublishGap,
		loadgenArgs: func(addr string, srv *proc, n int) ([]string, error) {
			pub, err := listeningField(srv.listening, "publish")
			return append(d.loadgenArgs(loadgen.ModeWSBroadcast, addr, n), "-publish-target", pub), err
		},
	})
	if !rec.OK {
		d.failures++
	}
	return rec
}

// logIdle logs an idle round.
func logIdle(r idleRecord) {
	if !r.OK {
		logf("  round %d idle   %-4s FAILED: %s", r.Round, r.Server, r.Error)
		return
	}
	logf("  round %d idle   %-4s %6d conns  RSS %6.1f → %6.1f MiB  %6.2f KiB/conn",
		r.Round, r.Server, r.Conns, mib(r.RSSBefore), mib(r.RSSAfter), r.BytesPerConn/1024)
}

// rawJSON is the machine-readable record of the run, without the latency
// histograms of the load generator lines.
func (d *wsDriver) rawJSON() ([]byte, error) {
	echo := append([]echoRecord(nil), d.echo...)
	for i := range echo {
		echo[i].Loadgen = stripHists(echo[i].Loadgen)
	}
	idle := append([]idleRecord(nil), d.idle...)
	for i := range idle {
		idle[i].Loadgen = stripHists(idle[i].Loadgen)
	}
	bcast := append([]fanoutRecord(nil), d.bcast...)
	for i := range bcast {
		bcast[i].Loadgen = stripHists(bcast[i].Loadgen)
	}
	capEcho := append([]echoRecord(nil), d.capEcho...)
	for i := range capEcho {
		capEcho[i].Loadgen = stripHists(capEcho[i].Loadgen)
	}
	return json.MarshalIndent(struct {
		Started    time.Time      `json:"started"`
		Options    wsOptions      `json:"options"`
		Pinning    pinning        `json:"pinning"`
		Servers    []serverSpec   `json:"servers"`
		Anchor     *anchor        `json:"anchor,omitempty"`
		AnchorNote string         `json:"anchor_note,omitempty"`
		Goals      []limitGoal    `json:"goals"`
		Machine    machine        `json:"machine"`
		Echo       []echoRecord   `json:"echo"`
		Idle       []idleRecord   `json:"idle"`
		Broadcast  []fanoutRecord `json:"broadcast"`
		// The echo comparison at anchorMaxConns clients with the anchor.
		AnchorServers []serverSpec `json:"anchor_servers,omitempty"`
		AnchorEcho    []echoRecord `json:"anchor_echo,omitempty"`
	}{d.started.UTC(), d.o, d.pin, d.servers, d.anchor.Anchor, d.anchor.Note, evalWSGoals(d.summarize(), d.o.IdleConns), d.machine(), echo, idle, bcast,
		d.capServers, capEcho}, "", "  ")
}
