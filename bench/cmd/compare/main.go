// Command compare runs the benchmarks of several servers side by side and
// prints a Markdown table: the echo benchmark (the default, or "echo"), the
// HTTP hello benchmark ("http", see http.go), the Server-Sent Events
// benchmark ("sse", see sse.go), the WebSocket benchmark ("ws", see
// ws.go), the TLS benchmark ("tls": TLS on the event loops against
// net/http's TLS server, see tls.go), and the scale-out benchmarks
// ("fanout": the memory broker against Redis; "sse100k": 100,000 streams;
// see scaleout.go), and the HTTP/2 benchmark ("h2": HTTP/2 on the event
// loops against net/http's HTTP/2 server, see h2.go).
//
//	go run ./cmd/compare                           # echo: all servers, 5 rounds, ~2.5 minutes
//	go run ./cmd/compare -servers net,gnet -quick  # echo: 3 short rounds, ~30 s smoke run
//	go run ./cmd/compare http                      # http: all servers, 5 rounds, ~2 minutes
//	go run ./cmd/compare http -quick               # http: 3 short rounds, ~25 s smoke run
//	go run ./cmd/compare sse                       # sse: both servers, 5 rounds, ~8 minutes
//	go run ./cmd/compare sse -quick                # sse: 3 short rounds, ~1 minute smoke run
//	go run ./cmd/compare ws                        # ws: both servers, 5 rounds, ~3.5 minutes
//	go run ./cmd/compare ws -quick                 # ws: 3 short rounds, ~1 minute smoke run
//	go run ./cmd/compare tls                       # tls: both servers, 3 rounds, ~5 minutes
//	go run ./cmd/compare tls -quick                # tls: 3 short rounds, ~2 minutes smoke run
//	go run ./cmd/compare fanout                    # fanout: in-memory vs Redis, 10,000 streams, 3 rounds, ~1 minute
//	go run ./cmd/compare sse100k                   # sse100k: 100,000 streams over 8 servers and Redis, ~1 minute
//	go run ./cmd/compare h2                        # h2: both servers, 5 rounds, ~9 minutes
//	go run ./cmd/compare h2 -quick                 # h2: 3 short rounds, ~1.5 minutes smoke run
//
// For the echo benchmark, it builds the load generator and the servers into
// a temporary directory, then for every round, alternating the servers (the
// order rotates each round), measures on a freshly started server:
//
//   - echo throughput: -echo-conns connections each with -echo-depth
//     messages of -echo-size bytes in flight for -echo-duration (after
//     -echo-warmup);
//   - idle memory: the server's resident memory (summed over its process
//     tree) before and after -idle-conns idle connections are open and have
//     settled for -idle-settle; the delta divided by the connections.
//
// With -pin (the default, on machines with two CPUs or more) every server
// process runs on the first CPU and every load generator on the second, so
// that each server has one core of its own and the figures compare servers
// rather than server and load generator together.
//
// The http, sse and ws benchmarks also run PHP Workerman 5.2.2, the system
// workerman-go ports, as an anchor when php is installed (anchor.go;
// -workerman DIR, or "off").
//
// Figures are medians over the rounds. The table and the raw results are
// written to bench/results/echo-<date>.md (http-<date>.md for http,
// sse-<date>.md for sse, ws-<date>.md for ws, tls-<date>.md for tls). All
// traffic stays on loopback. Every child process is killed when the driver
// ends, whatever the reason, and the whole run is bounded by -timeout.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/workerman-go/workerman/bench/loadgen"
)

// defaultEchoDepth is the -echo-depth of a comparison; see bench/README.md
// for how it was chosen.
const defaultEchoDepth = 4

// echoServers are the servers of the echo benchmark.
var echoServers = []serverSpec{
	{"net", "./servers/netecho", "net (goroutine per conn)"},
	{"gnet", "./servers/gnetecho", "gnet v2 (engine ceiling)"},
	{"wm", "./servers/wmecho", "workerman-go"},
}

// options are the settings of an echo run.
type options struct {
	Servers      string        `json:"servers"`
	Rounds       int           `json:"rounds"`
	EchoConns    int           `json:"echo_conns"`
	EchoSize     int           `json:"echo_size"`
	EchoDepth    int           `json:"echo_depth"`
	EchoDuration time.Duration `json:"echo_duration_ns"`
	EchoWarmup   time.Duration `json:"echo_warmup_ns"`
	IdleConns    int           `json:"idle_conns"`
	IdleSettle   time.Duration `json:"idle_settle_ns"`
	Procs        int           `json:"procs"`
	Src          string        `json:"src"`
	Loops        int           `json:"loadgen_loops"`
	Pin          bool          `json:"pin"`
	Quick        bool          `json:"quick"`
	Timeout      time.Duration `json:"timeout_ns"`
	Out          string        `json:"-"`
}

// verbose shows the children's stderr (-v).
var verbose bool

// logf prints a line of progress on stderr.
func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
}

func main() {
	args := os.Args[1:]
	if len(args) > 0 && args[0] == pinExecArg {
		os.Exit(pinExec(args[1:]))
	}
	if len(args) > 0 && args[0] == "http" {
		os.Exit(httpMain(args[1:]))
	}
	if len(args) > 0 && args[0] == "sse" {
		os.Exit(sseMain(args[1:]))
	}
	if len(args) > 0 && args[0] == "ws" {
		os.Exit(wsMain(args[1:]))
	}
	if len(args) > 0 && args[0] == "tls" {
		os.Exit(tlsMain(args[1:]))
	}
	if len(args) > 0 && args[0] == "fanout" {
		os.Exit(fanoutMain(args[1:]))
	}
	if len(args) > 0 && args[0] == "sse100k" {
		os.Exit(sse100kMain(args[1:]))
	}
	if len(args) > 0 && args[0] == "h2" {
		os.Exit(h2Main(args[1:]))
	}
	if len(args) > 0 && args[0] == "echo" {
		args = args[1:]
	}
	os.Exit(echoMain(args))
}

// echoMain runs the echo benchmark with the command-line arguments args and
// returns the exit status.
func echoMain(args []string) int {
	var o options
	fs := flag.NewFlagSet("compare [echo]", flag.ExitOnError)
	fs.StringVar(&o.Servers, "servers", "net,gnet,wm", "comma-separated servers to compare: net, gnet, wm")
	fs.IntVar(&o.Rounds, "rounds", 5, "rounds; each measures every server once per test")
	fs.IntVar(&o.EchoConns, "echo-conns", 100, "echo: connections")
	fs.IntVar(&o.EchoSize, "echo-size", 64, "echo: message size in bytes")
	fs.IntVar(&o.EchoDepth, "echo-depth", defaultEchoDepth, "echo: messages in flight per connection (pipelining; 1: send, wait for the echo, send the next)")
	fs.BoolVar(&o.Pin, "pin", true, "pin every server process to the first CPU and every load generator to the second (skipped with fewer than 2 CPUs)")
	fs.DurationVar(&o.EchoDuration, "echo-duration", 5*time.Second, "echo: measured time per round")
	fs.DurationVar(&o.EchoWarmup, "echo-warmup", time.Second, "echo: unmeasured warm-up per round")
	fs.IntVar(&o.IdleConns, "idle-conns", 10000, "idle: connections")
	fs.DurationVar(&o.IdleSettle, "idle-settle", 2*time.Second, "idle: wait after all connections are up before reading memory")
	fs.IntVar(&o.Procs, "procs", 1, "idle: load generator processes sharing the connections (raised as needed to stay under 19,000 each)")
	fs.StringVar(&o.Src, "src", "", "comma-separated loopback source addresses for the load generators (e.g. 127.0.0.1,127.0.0.2)")
	fs.IntVar(&o.Loops, "loadgen-loops", 1, "epoll loops per load generator process")
	fs.BoolVar(&o.Quick, "quick", false, "smoke run of about 30 s (3 rounds, 1 s echo, 2,000 idle connections) unless flags say otherwise")
	fs.DurationVar(&o.Timeout, "timeout", 8*time.Minute, "overall time limit")
	fs.StringVar(&o.Out, "out", "", `result file (default bench/results/echo-<date>.md; "-" for none)`)
	fs.BoolVar(&verbose, "v", false, "show the children's stderr")
	fs.Parse(args)
	if fs.NArg() > 0 {
		logf("compare: unexpected arguments %q", fs.Args())
		return 2
	}
	if o.Quick {
		quickDefaults(fs, map[string]func(){
			"echo-duration": func() { o.EchoDuration = time.Second },
			"echo-warmup":   func() { o.EchoWarmup = 300 * time.Millisecond },
			"idle-conns":    func() { o.IdleConns = 2000 },
			"idle-settle":   func() { o.IdleSettle = 500 * time.Millisecond },
			"rounds":        func() { o.Rounds = 3 },
			"timeout":       func() { o.Timeout = 3 * time.Minute },
		})
	}
	if o.Rounds < 1 || o.EchoConns < 1 || o.IdleConns < 1 || o.Procs < 1 || o.EchoDuration <= 0 || o.EchoDepth < 1 {
		logf("compare: -rounds, -echo-conns, -echo-depth, -idle-conns, -procs and -echo-duration must be positive")
		return 2
	}
	if o.EchoDepth > loadgen.MaxDepth {
		logf("compare: -echo-depth is at most %d", loadgen.MaxDepth)
		return 2
	}
	servers, err := selectServers(o.Servers, echoServers)
	if err != nil {
		logf("compare: %v", err)
		return 2
	}
	if need := (o.IdleConns + loadgen.DefaultMaxConns - 1) / loadgen.DefaultMaxConns; o.Procs < need {
		logf("compare: raising -procs to %d so that no load generator holds more than %d connections", need, loadgen.DefaultMaxConns)
		o.Procs = need
	}
	return guard(o.Timeout, func(ctx context.Context, reg *registry) (int, error) {
		d := &driver{o: o, harness: harness{reg: reg}, servers: servers}
		err := d.run(ctx)
		return d.failures, err
	})
}

// driver runs the echo benchmark.
type driver struct {
	harness
	o        options
	servers  []serverSpec
	echo     []echoRecord
	idle     []idleRecord
	failures int
}

// echoRecord is the outcome of one echo round of one server.
type echoRecord struct {
	Server            string            `json:"server"`
	Round             int               `json:"round"`
	OK                bool              `json:"ok"`
	Error             string            `json:"error,omitempty"`
	MsgsPerSec        float64           `json:"msgs_per_sec"`
	MBPerSec          float64           `json:"mb_per_sec"`
	P50us             float64           `json:"p50_us"`
	P99us             float64           `json:"p99_us"`
	ServerCPUusPerMsg float64           `json:"server_cpu_us_per_msg,omitempty"`
	ServerSysUsPerMsg float64           `json:"server_sys_cpu_us_per_msg,omitempty"` // its system (kernel) part
	ClientCPUusPerMsg float64           `json:"client_cpu_us_per_msg,omitempty"`
	ServerCPUPct      float64           `json:"server_cpu_pct,omitempty"` // of one core, over the window
	ClientCPUPct      float64           `json:"client_cpu_pct,omitempty"` // load generators together
	OtherCPUPct       float64           `json:"other_cpu_pct"`            // everything else on the machine, in % of one core
	ServerInfo        serverInfo        `json:"server_info"`
	LoadgenCPUs       string            `json:"loadgen_cpus,omitempty"`
	LoadgenGOMAXPROCS int               `json:"loadgen_gomaxprocs,omitempty"`
	Loadgen           []json.RawMessage `json:"loadgen,omitempty"`
}

// run measures every round and reports.
func (d *driver) run(ctx context.Context) error {
	if err := d.prepare(ctx, d.o.Pin, d.servers); err != nil {
		return err
	}
	defer d.cleanup()
	o := d.o
	logf("compare: %d rounds of %s; echo %d conns × %d × %d B in flight for %v (+%v warm-up); idle %d conns over %d process(es), settle %v; load average %s",
		o.Rounds, o.Servers, o.EchoConns, o.EchoDepth, o.EchoSize, o.EchoDuration, o.EchoWarmup, o.IdleConns, o.Procs, o.IdleSettle, d.load0)
	for r := 1; r <= o.Rounds; r++ {
		order := rotate(d.servers, r-1)
		for _, s := range order {
			if err := ctx.Err(); err != nil {
				return d.abort(err)
			}
			rec := d.echoRound(ctx, s, r)
			d.echo = append(d.echo, rec)
			logEcho(rec)
		}
		for _, s := range order {
			if err := ctx.Err(); err != nil {
				return d.abort(err)
			}
			rec := d.idleRound(ctx, s, r)
			d.idle = append(d.idle, rec)
			d.logIdle(rec)
		}
	}
	d.load1 = loadAvg()
	return d.report()
}

// abort reports what was measured before an interruption.
func (d *driver) abort(err error) error {
	return d.harness.abort(err, len(d.echo)+len(d.idle) > 0, d.report)
}

func (d *driver) loadgenArgs(mode, target string, conns int) []string {
	a := []string{"-mode", mode, "-target", target, "-conns", fmt.Sprint(conns), "-loops", fmt.Sprint(d.o.Loops)}
	if d.o.Src != "" {
		a = append(a, "-src", d.o.Src)
	}
	return a
}

// split divides n into k nearly equal positive shares.
func split(n, k int) []int {
	if k > n {
		k = n
	}
	out := make([]int, k)
	for i := range out {
		out[i] = n / k
		if i < n%k {
			out[i]++
		}
	}
	return out
}

const setupTimeout = 60 * time.Second

func (d *driver) echoRound(ctx context.Context, s serverSpec, round int) echoRecord {
	rec := d.measureEcho(ctx, s, round, echoSpec{
		conns: d.o.EchoConns, size: d.o.EchoSize, depth: d.o.EchoDepth,
		warmup: d.o.EchoWarmup, duration: d.o.EchoDuration,
		loadgenArgs: func(addr string, n int) []string { return d.loadgenArgs("echo", addr, n) },
	})
	if !rec.OK {
		d.failures++
	}
	return rec
}

func (d *driver) idleRound(ctx context.Context, s serverSpec, round int) idleRecord {
	rec := d.measureIdle(ctx, s, round, idleSpec{
		conns: d.o.IdleConns, warm: idleWarmConns, procs: d.o.Procs, settle: d.o.IdleSettle,
		loadgenArgs: func(addr string, n int) []string { return d.loadgenArgs("idle", addr, n) },
	})
	if !rec.OK {
		d.failures++
	}
	return rec
}

func logEcho(r echoRecord) { logEchoAs("echo", r) }

// logEchoAs logs an echo round as test ("echo", "echo@1000").
func logEchoAs(test string, r echoRecord) {
	if !r.OK {
		logf("  round %d %s %-5s FAILED: %s", r.Round, test, r.Server, r.Error)
		return
	}
	logf("  round %d %s %-5s %9.0f msg/s  p50 %7.1f µs  p99 %8.1f µs  server CPU %5.2f µs/msg  CPU busy: server %3.0f%%, load gen %3.0f%%, other %3.0f%%",
		r.Round, test, r.Server, r.MsgsPerSec, r.P50us, r.P99us, r.ServerCPUusPerMsg, r.ServerCPUPct, r.ClientCPUPct, r.OtherCPUPct)
}

func (d *driver) logIdle(r idleRecord) {
	if !r.OK {
		logf("  round %d idle %-5s FAILED: %s", r.Round, r.Server, r.Error)
		return
	}
	logf("  round %d idle %-5s %6d conns  RSS %6.1f → %6.1f MiB  %6.2f KiB/conn",
		r.Round, r.Server, r.Conns, mib(r.RSSBefore), mib(r.RSSAfter), r.BytesPerConn/1024)
}
