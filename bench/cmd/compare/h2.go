package main

// The HTTP/2 benchmark ("compare h2", issue 15): workerman-go serving
// HTTP/2 on its event loops (each stream a connection to the app: the
// benchmark servers ssewm and httpwm, unchanged) against net/http's HTTP/2
// server (bench/servers/h2net: a goroutine per stream), side by side in one
// run, both with the same certificate (made at run time, as the TLS
// benchmark makes it). For every round, alternating the servers (the order
// rotates each round), each test runs on a freshly started server:
//
//   - idle: -streams event streams multiplexed over -conns HTTP/2
//     connections (TLS, ALPN h2; -sse-tls=false: h2c), each stream with its
//     15 s heartbeat; the server's RSS before and with them
//     (harness.measureIdle), the delta per stream;
//   - tick: the same streams, each sent one event per second by its own
//     timer; after -tick-warmup, over -tick-duration, the server's CPU, the
//     events received and their latency (as compare sse's tick test);
//   - requests: "Hello, World!" requests with h2load over TLS (ALPN h2):
//     -h2load-conns connections, -h2load-streams concurrent streams each,
//     for -duration after a -warmup run: requests/s and the server's CPU
//     per request;
//   - requests-h2c: the same over cleartext HTTP/2 (prior knowledge).
//
// The streams are held by bench/cmd/h2loadgen (bench/loadgen.RunH2), which
// the driver builds as its "loadgen" binary: the shared idle and
// load-generator measurements of the harness (measureIdle, measured) start
// that binary and read its READY line and JSON result, which h2loadgen
// writes as cmd/loadgen does.

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/workerman-go/workerman/bench/internal/procfs"
	"github.com/workerman-go/workerman/bench/internal/testcert"
	"github.com/workerman-go/workerman/bench/loadgen"
)

// h2Side is one side of the HTTP/2 comparison: its hello server and its
// SSE server (each spec's Name is its binary's).
type h2Side struct {
	Name  string     `json:"name"`
	Label string     `json:"label"`
	Hello serverSpec `json:"hello"`
	SSE   serverSpec `json:"sse"`
}

// h2Sides are the servers of the HTTP/2 benchmark.
var h2Sides = []h2Side{
	{"net", "net/http HTTP/2",
		serverSpec{"h2net", "./servers/h2net", "net/http's HTTP/2 server (ServeTLS with ALPN h2; h2c: http.Server.Protocols), a goroutine per stream"},
		serverSpec{"h2net", "./servers/h2net", "net/http's HTTP/2 server, a goroutine per stream, http.Flusher after every write"}},
	{"wm", "workerman-go HTTP/2",
		serverSpec{"httpwm", "./servers/httpwm", "workerman-go http, -tls-cert/-tls-key (Worker.TLSConfig: ALPN h2, http/1.1); h2c by prior knowledge"},
		serverSpec{"ssewm", "./servers/ssewm", "workerman-go SSE (sse.Start, c.Every), Worker.TLSConfig"}},
}

// h2Tests are the tests of the HTTP/2 benchmark, in the order they run.
var h2Tests = []string{"idle", "tick", "requests", "requests-h2c"}

// h2MaxStreamsPerConn is the most concurrent streams workerman-go allows
// on one connection (more are refused with REFUSED_STREAM).
const h2MaxStreamsPerConn = 100

// h2Options are the settings of an HTTP/2 run.
type h2Options struct {
	Servers       string        `json:"servers"`
	Tests         string        `json:"tests"`
	Rounds        int           `json:"rounds"`
	Conns         int           `json:"conns"`   // idle, tick: HTTP/2 connections
	Streams       int           `json:"streams"` // idle, tick: event streams over them
	SSETLS        bool          `json:"sse_tls"`
	IdleSettle    time.Duration `json:"idle_settle_ns"`
	TickWarmup    time.Duration `json:"tick_warmup_ns"`
	TickDuration  time.Duration `json:"tick_duration_ns"`
	H2loadConns   int           `json:"h2load_conns"`   // -c
	H2loadStreams int           `json:"h2load_streams"` // -m
	H2loadThreads int           `json:"h2load_threads"` // -t
	Duration      time.Duration `json:"duration_ns"`    // requests: measured (whole seconds)
	Warmup        time.Duration `json:"warmup_ns"`      // requests: unmeasured run before it
	Pin           bool          `json:"pin"`
	Quick         bool          `json:"quick"`
	Timeout       time.Duration `json:"timeout_ns"`
	H2load        string        `json:"-"`
	Out           string        `json:"-"`

	tests map[string]bool
}

// newH2Flags declares the flags of compare h2 into o.
func newH2Flags(o *h2Options) *flag.FlagSet {
	fs := flag.NewFlagSet("compare h2", flag.ContinueOnError)
	fs.StringVar(&o.Servers, "servers", "net,wm", "comma-separated servers to compare: net, wm")
	fs.StringVar(&o.Tests, "tests", strings.Join(h2Tests, ","), "comma-separated tests to run: "+strings.Join(h2Tests, ", "))
	fs.IntVar(&o.Rounds, "rounds", 5, "rounds (at least 3); each runs every test on every server once")
	fs.IntVar(&o.Conns, "conns", 100, "idle, tick: HTTP/2 connections carrying the streams")
	fs.IntVar(&o.Streams, "streams", 10000, fmt.Sprintf("idle, tick: event streams, spread evenly over the connections (at most %d per connection)", h2MaxStreamsPerConn))
	fs.BoolVar(&o.SSETLS, "sse-tls", true, "idle, tick: TLS with ALPN h2, as browsers use HTTP/2; false: cleartext HTTP/2 (h2c)")
	fs.DurationVar(&o.IdleSettle, "idle-settle", 2*time.Second, "idle: wait after all streams are up before reading memory")
	fs.DurationVar(&o.TickWarmup, "tick-warmup", 3*time.Second, "tick: unmeasured time once the streams are up")
	fs.DurationVar(&o.TickDuration, "tick-duration", 10*time.Second, "tick: measured window")
	fs.IntVar(&o.H2loadConns, "h2load-conns", 100, "requests: h2load connections (-c)")
	fs.IntVar(&o.H2loadStreams, "h2load-streams", 10, "requests: h2load concurrent streams per connection (-m)")
	fs.IntVar(&o.H2loadThreads, "h2load-threads", 1, "requests: h2load threads (-t)")
	fs.DurationVar(&o.Duration, "duration", 10*time.Second, "requests: measured time per round (whole seconds, h2load -D)")
	fs.DurationVar(&o.Warmup, "warmup", time.Second, "requests: unmeasured h2load run before it, on the same server (whole seconds; 0: none)")
	fs.BoolVar(&o.Pin, "pin", true, "pin every server process to the first CPU and the load generators to the second (skipped with fewer than 2 CPUs)")
	fs.BoolVar(&o.Quick, "quick", false, "smoke run of about 1.5 minutes (3 rounds, 2,000 streams over 20 connections, short windows) unless flags say otherwise")
	fs.DurationVar(&o.Timeout, "timeout", 15*time.Minute, "overall time limit")
	fs.StringVar(&o.H2load, "h2load", "", "path of h2load (default: h2load from PATH, installed with apt-get when missing)")
	fs.StringVar(&o.Out, "out", "", `result file (default bench/results/h2-<date>.md; "-" for none)`)
	fs.BoolVar(&verbose, "v", false, "show the children's stderr")
	return fs
}

// parseH2Options parses the arguments of compare h2 (after "h2"), applies
// -quick and checks the result.
func parseH2Options(args []string, stderr io.Writer) (h2Options, error) {
	var o h2Options
	fs := newH2Flags(&o)
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.Quick {
		quickDefaults(fs, map[string]func(){
			"rounds":        func() { o.Rounds = 3 },
			"conns":         func() { o.Conns = 20 },
			"streams":       func() { o.Streams = 2000 },
			"idle-settle":   func() { o.IdleSettle = 500 * time.Millisecond },
			"tick-warmup":   func() { o.TickWarmup = 1500 * time.Millisecond },
			"tick-duration": func() { o.TickDuration = 3 * time.Second },
			"duration":      func() { o.Duration = 2 * time.Second },
			"timeout":       func() { o.Timeout = 5 * time.Minute },
		})
	}
	return o, o.check()
}

// check validates the options and fills in the parsed list of tests.
func (o *h2Options) check() error {
	var err error
	if o.tests, err = parseTests(o.Tests, h2Tests); err != nil {
		return err
	}
	switch {
	case o.Rounds < 3:
		return fmt.Errorf("-rounds must be at least 3 (the figures are medians)")
	case o.Conns < 1 || o.Conns > loadgen.DefaultMaxConns:
		return fmt.Errorf("-conns must be between 1 and %d", loadgen.DefaultMaxConns)
	case o.Streams < o.Conns:
		return fmt.Errorf("-streams (%d) must be at least -conns (%d): every connection carries a stream", o.Streams, o.Conns)
	case (o.Streams+o.Conns-1)/o.Conns > h2MaxStreamsPerConn:
		return fmt.Errorf("-streams %d over -conns %d is more than %d streams per connection, workerman-go's limit: raise -conns", o.Streams, o.Conns, h2MaxStreamsPerConn)
	case o.IdleSettle < 0 || o.TickWarmup < 0:
		return fmt.Errorf("-idle-settle and -tick-warmup must not be negative")
	case o.TickDuration < time.Second:
		return fmt.Errorf("-tick-duration must be at least 1s")
	case o.H2loadThreads < 1 || o.H2loadConns < o.H2loadThreads:
		return fmt.Errorf("-h2load-threads must be positive and -h2load-conns at least -h2load-threads")
	case o.H2loadStreams < 1:
		return fmt.Errorf("-h2load-streams must be positive")
	case o.Duration < time.Second || o.Duration%time.Second != 0:
		return fmt.Errorf("-duration must be a whole number of seconds, at least 1s (h2load -D), not %v", o.Duration)
	case o.Warmup < 0 || o.Warmup%time.Second != 0:
		return fmt.Errorf("-warmup must be a whole number of seconds (h2load -D) or 0, not %v", o.Warmup)
	}
	return nil
}

// requests tells whether a test of h2load runs.
func (o *h2Options) requests() bool { return o.tests["requests"] || o.tests["requests-h2c"] }

// h2Main runs the HTTP/2 benchmark with the command-line arguments args
// (after "h2") and returns the exit status.
func h2Main(args []string) int {
	o, err := parseH2Options(args, os.Stderr)
	if err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		logf("compare h2: %v", err)
		return 2
	}
	sides, err := selectH2Sides(o.Servers)
	if err != nil {
		logf("compare h2: %v", err)
		return 2
	}
	return guard(o.Timeout, func(ctx context.Context, reg *registry) (int, error) {
		d := &h2Driver{o: o, harness: harness{reg: reg}, sides: sides}
		err := d.run(ctx)
		return d.failures, err
	})
}

// selectH2Sides returns the sides named in the comma-separated list.
func selectH2Sides(list string) ([]h2Side, error) {
	return selectByName(list, h2Sides, func(s h2Side) serverSpec { return serverSpec{Name: s.Name, Label: s.Label} })
}

// h2Driver runs the HTTP/2 benchmark.
type h2Driver struct {
	harness
	o             h2Options
	sides         []h2Side
	certs         testcert.Files
	h2load        string
	h2loadVersion string
	idle          []h2IdleRecord
	tick          []h2TickRecord
	requests      []h2RequestsRecord
	failures      int
}

// h2IdleRecord is the outcome of one idle round: the harness's record
// (whose Conns are the HTTP/2 connections) and the streams.
type h2IdleRecord struct {
	idleRecord
	Streams        int              `json:"streams"`
	BytesPerStream float64          `json:"bytes_per_stream"`
	TLS            *loadgen.TLSInfo `json:"tls,omitempty"`
}

// h2TickRecord is the outcome of one tick round: compare sse's record, the
// connections and the load generator's CPU per event.
type h2TickRecord struct {
	tickRecord
	Conns               int              `json:"conns"`
	ClientCPUusPerEvent float64          `json:"client_cpu_us_per_event"`
	ServerWrites        uint64           `json:"server_writes,omitempty"` // write(2) calls of the server over the window
	WritesPerEvent      float64          `json:"writes_per_event,omitempty"`
	TLS                 *loadgen.TLSInfo `json:"tls,omitempty"`
}

// h2RequestsRecord is the outcome of one requests round of one server.
type h2RequestsRecord struct {
	Server            string           `json:"server"`
	Variant           string           `json:"variant"` // "requests" (TLS) or "requests-h2c"
	Round             int              `json:"round"`
	OK                bool             `json:"ok"`
	Error             string           `json:"error,omitempty"`
	RequestsPerSec    float64          `json:"requests_per_sec"`
	MeanUs            float64          `json:"mean_us"` // h2load's mean time for request
	MaxUs             float64          `json:"max_us"`
	ServerCPUusPerReq float64          `json:"server_cpu_us_per_req,omitempty"`
	ServerSysUsPerReq float64          `json:"server_sys_cpu_us_per_req,omitempty"`
	WritesPerReq      float64          `json:"server_writes_per_req,omitempty"` // the server\'s write(2) calls ÷ requests
	H2loadCPUusPerReq float64          `json:"h2load_cpu_us_per_req,omitempty"`
	ServerCPUPct      float64          `json:"server_cpu_pct,omitempty"` // of one core, over the window
	H2loadCPUPct      float64          `json:"h2load_cpu_pct,omitempty"`
	OtherCPUPct       float64          `json:"other_cpu_pct"`
	WindowSec         float64          `json:"window_sec,omitempty"` // from just before h2load started to just after it exited
	Check             *loadgen.TLSInfo `json:"check,omitempty"`      // what the Go client's check saw (Version "" for h2c)
	ServerInfo        serverInfo       `json:"server_info"`
	H2loadInfo        serverInfo       `json:"h2load_info"`
	H2load            *h2loadResult    `json:"h2load,omitempty"` // the measured run
}

// run finds h2load, builds, makes the certificates, measures every round
// and reports.
func (d *h2Driver) run(ctx context.Context) error {
	o := d.o
	if o.requests() {
		var err error
		if d.h2load, err = findH2load(ctx, o.H2load); err != nil {
			return err
		}
		d.h2loadVersion = h2loadVersion(ctx, d.h2load)
	}
	if err := d.prepareH2(ctx); err != nil {
		return err
	}
	defer d.cleanup()
	var err error
	if d.certs, err = testcert.Make(d.bin); err != nil {
		return fmt.Errorf("making the test certificates: %w", err)
	}
	logf("compare: %d rounds of %s; tests %s: idle and tick %d streams over %d connections (%s), settle %v, tick %v after %v; requests %s; load average %s",
		o.Rounds, serverNames(d.sideSpecs()), o.Tests, o.Streams, o.Conns, d.sseTransport(), o.IdleSettle, o.TickDuration, o.TickWarmup,
		strings.Join(h2loadArgs(o.H2loadConns, o.H2loadStreams, o.H2loadThreads, int(o.Duration/time.Second), "URL"), " "), d.load0)
	for r := 1; r <= o.Rounds; r++ {
		order := rotate(d.sides, r-1)
		for _, test := range h2Tests {
			if !o.tests[test] {
				continue
			}
			for _, s := range order {
				if err := ctx.Err(); err != nil {
					return d.abort(err)
				}
				switch test {
				case "idle":
					rec := d.idleRound(ctx, s, r)
					d.idle = append(d.idle, rec)
					logH2Idle(rec)
				case "tick":
					rec := d.tickRound(ctx, s, r)
					d.tick = append(d.tick, rec)
					logH2Tick(rec)
				case "requests", "requests-h2c":
					rec := d.requestsRound(ctx, s, r, test)
					d.requests = append(d.requests, rec)
					logH2Requests(rec)
				}
			}
		}
	}
	d.load1 = loadAvg()
	return d.report()
}

// prepareH2 sets the run up and builds: bench/cmd/h2loadgen as the
// harness's "loadgen" binary, and the servers the tests need.
func (d *h2Driver) prepareH2(ctx context.Context) error {
	if err := d.setup(ctx, d.o.Pin); err != nil {
		return err
	}
	built := map[string]bool{}
	build := func(name, pkg string) error {
		if built[name] {
			return nil
		}
		built[name] = true
		return d.build(ctx, name, pkg)
	}
	if d.o.tests["idle"] || d.o.tests["tick"] {
		if err := build("loadgen", "./cmd/h2loadgen"); err != nil {
			d.cleanup()
			return err
		}
	}
	for _, s := range d.sides {
		var specs []serverSpec
		if d.o.tests["idle"] || d.o.tests["tick"] {
			specs = append(specs, s.SSE)
		}
		if d.o.requests() {
			specs = append(specs, s.Hello)
		}
		for _, spec := range specs {
			if err := build(spec.Name, spec.Pkg); err != nil {
				d.cleanup()
				return err
			}
		}
	}
	return nil
}

// sideSpecs are the sides as serverSpecs named after the sides.
func (d *h2Driver) sideSpecs() []serverSpec {
	var out []serverSpec
	for _, s := range d.sides {
		pkg := s.Hello.Pkg
		if s.SSE.Pkg != pkg {
			pkg += ", " + s.SSE.Pkg
		}
		out = append(out, serverSpec{Name: s.Name, Pkg: pkg, Label: s.Label})
	}
	return out
}

// abort reports what was measured before an interruption.
func (d *h2Driver) abort(err error) error {
	return d.harness.abort(err, len(d.idle)+len(d.tick)+len(d.requests) > 0, d.report)
}

// sseTransport names how the streams travel.
func (d *h2Driver) sseTransport() string {
	if d.o.SSETLS {
		return "TLS, ALPN h2"
	}
	return "h2c, prior knowledge"
}

// tlsArgs are the server arguments that make it serve TLS with the run's
// certificate (the same flags for all servers).
func (d *h2Driver) tlsArgs() []string {
	return []string{"-tls-cert", d.certs.Cert, "-tls-key", d.certs.Key}
}

// sseServerArgs are the SSE server's arguments for mode (idle, tick).
func (d *h2Driver) sseServerArgs(mode string) []string {
	a := []string{"-mode", mode}
	if d.o.SSETLS {
		a = append(a, d.tlsArgs()...)
	}
	return a
}

// loadgenArgs are h2loadgen's arguments for the run's streams over conns
// connections to addr.
func (d *h2Driver) loadgenArgs(addr string, conns int) []string {
	return h2LoadgenArgs(addr, conns, d.o.Streams, d.o.SSETLS, d.certs)
}

// h2LoadgenArgs are h2loadgen's arguments: streams over conns connections
// to addr, over TLS (with the CA of certs) or h2c.
func h2LoadgenArgs(addr string, conns, streams int, overTLS bool, certs testcert.Files) []string {
	a := []string{"-target", addr, "-conns", fmt.Sprint(conns), "-streams", fmt.Sprint(streams), fmt.Sprintf("-tls=%t", overTLS)}
	if overTLS {
		a = append(a, "-ca", certs.CA, "-server-name", certs.Name)
	}
	return a
}

// resultOf is the first load generator result of raws, nil if none.
func resultOf(raws []json.RawMessage) *loadgen.Result {
	for _, r := range raws {
		var res loadgen.Result
		if json.Unmarshal(r, &res) == nil {
			return &res
		}
	}
	return nil
}

// idleRound measures the memory of the idle streams on a fresh SSE server.
func (d *h2Driver) idleRound(ctx context.Context, s h2Side, round int) h2IdleRecord {
	rec := d.measureIdle(ctx, s.SSE, round, idleSpec{
		serverArgs: d.sseServerArgs("idle"),
		conns:      d.o.Conns, procs: 1, settle: d.o.IdleSettle,
		loadgenArgs: d.loadgenArgs,
	})
	rec.Server = s.Name
	out := h2IdleRecord{idleRecord: rec}
	if res := resultOf(rec.Loadgen); res != nil {
		out.Streams, out.TLS = res.Streams, res.TLS
	}
	if out.Streams > 0 && rec.RSSAfter > 0 {
		out.BytesPerStream = float64(rec.RSSAfter-rec.RSSBefore) / float64(out.Streams)
	}
	if out.OK && out.Streams != d.o.Streams {
		out.OK = false
		out.Error = fmt.Sprintf("%d of %d streams up", out.Streams, d.o.Streams)
	}
	if !out.OK {
		d.failures++
	}
	return out
}

// tickRound measures the server's CPU for the streams, each sent an event
// per second by its own timer.
func (d *h2Driver) tickRound(ctx context.Context, s h2Side, round int) (rec h2TickRecord) {
	rec = h2TickRecord{tickRecord: tickRecord{Server: s.Name, Round: round}, Conns: d.o.Conns}
	defer func() {
		if !rec.OK {
			d.failures++
		}
	}()
	args := func(addr string, srv *proc) ([]string, error) {
		return append(d.loadgenArgs(addr, d.o.Conns), "-warmup", d.o.TickWarmup.String(), "-duration", d.o.TickDuration.String(),
			"-setup-timeout", setupTimeout.String(), "-server-pid", fmt.Sprint(srv.pid())), nil
	}
	limit := setupTimeout + d.o.TickWarmup + d.o.TickDuration + 15*time.Second
	res, raws, info, problems := d.measured(ctx, s.SSE, d.sseServerArgs("tick"), "h2loadgen-tick", args, limit)
	rec.Loadgen, rec.ServerInfo = stripHists(raws), info
	if res != nil {
		rec.fill(res)
		var extra struct {
			ServerWrites uint64 `json:"server_writes"`
		}
		if len(raws) == 1 && json.Unmarshal(raws[0], &extra) == nil && res.WindowEvents > 0 {
			rec.ServerWrites = extra.ServerWrites
			rec.WritesPerEvent = float64(extra.ServerWrites) / float64(res.WindowEvents)
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

// fill takes the figures of a tick round from the load generator's result.
func (rec *h2TickRecord) fill(res *loadgen.Result) {
	rec.Streams, rec.TLS = res.Streams, res.TLS
	rec.LoadgenCPUs, rec.LoadgenGOMAXPROCS = res.CPUs, res.GOMAXPROCS
	rec.WindowSec = res.WindowSec
	rec.Events, rec.EventsPerSec = res.WindowEvents, res.EventsPerSec
	rec.P50us, rec.P99us = res.P50us, res.P99us
	if w := res.WindowSec; w > 0 {
		rec.ServerCPUPct = res.ServerCPU / w * 100
		rec.ServerSysPct = res.ServerSysCPU / w * 100
		rec.ClientCPUPct = res.ClientCPU / w * 100
		rec.OtherCPUPct = otherCPU(res, rec.ServerCPUPct, rec.ClientCPUPct)
	}
	if res.WindowEvents > 0 {
		rec.ServerCPUusPerEvent = res.ServerCPU * 1e6 / float64(res.WindowEvents)
		rec.ClientCPUusPerEvent = res.ClientCPU * 1e6 / float64(res.WindowEvents)
	}
}

// requestsRound measures hello requests with h2load on a fresh server,
// over TLS (test "requests") or h2c ("requests-h2c").
func (d *h2Driver) requestsRound(ctx context.Context, s h2Side, round int, test string) (rec h2RequestsRecord) {
	rec = h2RequestsRecord{Server: s.Name, Variant: test, Round: round}
	defer func() {
		if !rec.OK {
			d.failures++
		}
	}()
	overTLS := test == "requests"
	var args []string
	scheme, proto := "http", "h2c"
	if overTLS {
		args, scheme, proto = d.tlsArgs(), "https", "h2"
	}
	srv, addr, err := d.startServer(ctx, s.Hello, args...)
	if err != nil {
		rec.Error = err.Error()
		return rec
	}
	defer srv.stop(3 * time.Second)
	url := scheme + "://" + addr + "/"
	if rec.Check, err = checkH2Hello(ctx, url, d.certs); err != nil {
		rec.Error = fmt.Sprintf("%s: checking its answer: %v", s.Hello.Name, err)
		return rec
	}
	o := d.o
	h2args := func(dur time.Duration) []string {
		return h2loadArgs(o.H2loadConns, o.H2loadStreams, o.H2loadThreads, int(dur/time.Second), url)
	}
	if o.Warmup > 0 {
		res, _, _, err := d.runH2load(ctx, d.h2load, "h2load-warmup", h2args(o.Warmup), o.Warmup)
		if err == nil {
			if p := res.problems(proto); len(p) > 0 {
				err = fmt.Errorf("%s", strings.Join(p, "; "))
			}
		}
		if err != nil {
			rec.Error = fmt.Sprintf("warm-up: %v", err)
			return rec
		}
	}
	_, sys0, sysErr := procfs.TreeCPUSplit(srv.pid())
	w0, wErr := treeWrites(srv.pid())
	win := startCPUWindow(srv.pid())
	res, lgInfo, lgCPU, err := d.runH2load(ctx, d.h2load, "h2load", h2args(o.Duration), o.Duration)
	win.end(srv.pid())
	_, sys1, sysErr1 := procfs.TreeCPUSplit(srv.pid())
	w1, wErr1 := treeWrites(srv.pid())
	if err != nil {
		rec.Error = err.Error()
		return rec
	}
	rec.H2load, rec.H2loadInfo = &res, lgInfo
	problems := res.problems(proto)
	if srv.exited() {
		problems = append(problems, fmt.Sprintf("server exited during the test: %v%s", srv.exitErr(), srv.diag()))
	} else if info, err := d.inspectServer(srv); err != nil {
		problems = append(problems, err.Error())
	} else {
		rec.ServerInfo = info
	}
	rec.RequestsPerSec, rec.MeanUs, rec.MaxUs = res.RequestsPerSec, res.ReqMeanUs, res.ReqMaxUs
	rec.WindowSec = win.seconds()
	serverCPU, err := win.treeCPU()
	if err != nil {
		problems = append(problems, fmt.Sprintf("reading the server's CPU time: %v", err))
	}
	if n := float64(res.Done); n > 0 && err == nil {
		rec.ServerCPUusPerReq = serverCPU * 1e6 / n
		rec.H2loadCPUusPerReq = lgCPU.Seconds() * 1e6 / n
		if sysErr == nil && sysErr1 == nil {
			rec.ServerSysUsPerReq = (sys1 - sys0).Seconds() * 1e6 / n
		}
		if wErr == nil && wErr1 == nil && w1 >= w0 {
			rec.WritesPerReq = float64(w1-w0) / n
		}
	}
	if w := rec.WindowSec; w > 0 {
		rec.ServerCPUPct = serverCPU / w * 100
		rec.H2loadCPUPct = lgCPU.Seconds() / w * 100
		rec.OtherCPUPct = max(0, win.machineBusyPct()-rec.ServerCPUPct-rec.H2loadCPUPct)
	}
	rec.OK = len(problems) == 0
	rec.Error = strings.Join(problems, "; ")
	return rec
}

// treeWrites is the number of write system calls of pid and its
// descendants (procWrites of each).
func treeWrites(pid int) (uint64, error) {
	pids, err := procfs.Tree(pid)
	if err != nil {
		return 0, err
	}
	var sum uint64
	for _, p := range pids {
		n, err := procWrites(p)
		if err != nil {
			if p == pid {
				return 0, err
			}
			continue // a child that just exited
		}
		sum += n
	}
	return sum, nil
}

// checkH2Hello makes two requests to url over HTTP/2 with net/http's
// client (TLS: verifying the certificate against the run's CA and
// requiring ALPN h2; http: h2c by prior knowledge) on one connection, and
// checks that both are answered 200 "Hello, World!" over HTTP/2; bounded by
// 5 s. It returns what it saw (over h2c: the protocol alone).
func checkH2Hello(ctx context.Context, url string, certs testcert.Files) (*loadgen.TLSInfo, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	tr := &http.Transport{Protocols: new(http.Protocols)}
	defer tr.CloseIdleConnections()
	if strings.HasPrefix(url, "https://") {
		pem, err := os.ReadFile(certs.CA)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, ServerName: certs.Name}
		tr.Protocols.SetHTTP2(true)
	} else {
		tr.Protocols.SetUnencryptedHTTP2(true)
	}
	client := &http.Client{Transport: tr}
	var seen *loadgen.TLSInfo
	for i := 1; i <= 2; i++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return nil, err
		}
		resp, err := client.Do(req)
		if err != nil {
			return nil, fmt.Errorf("request %d: %w", i, err)
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
		resp.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("request %d: reading the body: %w", i, err)
		}
		if resp.ProtoMajor != 2 {
			return nil, fmt.Errorf("request %d: answered over %s, want HTTP/2", i, resp.Proto)
		}
		if resp.StatusCode != http.StatusOK || string(body) != helloBody {
			return nil, fmt.Errorf("request %d: %q %q, want 200 %q", i, resp.Status, body, helloBody)
		}
		seen = &loadgen.TLSInfo{Proto: resp.Proto}
		if cs := resp.TLS; cs != nil {
			seen.Version, seen.CipherSuite = tls.VersionName(cs.Version), tls.CipherSuiteName(cs.CipherSuite)
			seen.Group, seen.ALPN = cs.CurveID.String(), cs.NegotiatedProtocol
		}
	}
	return seen, nil
}

func logH2Idle(r h2IdleRecord) {
	if !r.OK {
		logf("  round %d idle     %-4s FAILED: %s", r.Round, r.Server, r.Error)
		return
	}
	logf("  round %d idle     %-4s %6d streams over %d connections  RSS %6.1f → %6.1f MiB  %6.2f KiB/stream",
		r.Round, r.Server, r.Streams, r.Conns, mib(r.RSSBefore), mib(r.RSSAfter), r.BytesPerStream/1024)
}

func logH2Tick(r h2TickRecord) {
	if !r.OK {
		logf("  round %d tick     %-4s FAILED: %s", r.Round, r.Server, r.Error)
		return
	}
	logf("  round %d tick     %-4s %6d streams  %7.0f events/s received  server CPU %5.1f %% (system %4.1f %%) = %5.2f µs/event  latency p50 %7.0f µs  p99 %7.0f µs  load gen %3.0f %% (%.2f µs/event), other %3.0f %%",
		r.Round, r.Server, r.Streams, r.EventsPerSec, r.ServerCPUPct, r.ServerSysPct, r.ServerCPUusPerEvent, r.P50us, r.P99us, r.ClientCPUPct, r.ClientCPUusPerEvent, r.OtherCPUPct)
}

func logH2Requests(r h2RequestsRecord) {
	if !r.OK {
		logf("  round %d %-12s %-4s FAILED: %s", r.Round, r.Variant, r.Server, r.Error)
		return
	}
	logf("  round %d %-12s %-4s %9.0f req/s  mean %7.0f µs  server CPU %5.2f µs/req  CPU busy: server %3.0f%%, h2load %3.0f%%, other %3.0f%%",
		r.Round, r.Variant, r.Server, r.RequestsPerSec, r.MeanUs, r.ServerCPUusPerReq, r.ServerCPUPct, r.H2loadCPUPct, r.OtherCPUPct)
}
