package main

// The TLS benchmark ("compare tls"): workerman-go serving TLS on its event
// loops (Worker.TLSConfig, the -tls-cert/-tls-key flags) against net/http's
// TLS server (ServeTLS), both with the same certificate, made at run time
// (a test CA and a server certificate, ECDSA P-256), and both speaking
// HTTP/1.1 (net/http's HTTP/2 is switched off: TLSNextProto is an empty
// map). For every round, alternating the servers (the order rotates each
// round), each test runs on a freshly started server:
//
//   - requests: keep-alive "Hello, World!" requests over TLS with wrk
//     (https, 100 connections), as the http benchmark does over TCP:
//     requests/s and the server's CPU per request;
//   - handshakes: the load generator's tls-handshake mode, -hs-conns
//     workers making connections one after the other, each a full
//     handshake (no session resumption), one request with
//     "Connection: close" and its answer: connections/s and the server's
//     CPU per handshake;
//   - idle: -idle-conns TLS connections to the hello server, each with its
//     handshake and one request done, then idle: the server's RSS per
//     connection (harness.measureIdle, as the echo idle test);
//   - sse: -idle-conns idle TLS event streams (servers ssewm and ssenet,
//     -mode idle): RSS per stream.

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/workerman-go/workerman/bench/internal/testcert"
	"github.com/workerman-go/workerman/bench/loadgen"
)

// tlsSide is one side of the TLS comparison: its hello server and its SSE
// server (each spec's Name is its binary's).
type tlsSide struct {
	Name  string     `json:"name"`
	Label string     `json:"label"`
	Hello serverSpec `json:"hello"`
	SSE   serverSpec `json:"sse"`
}

// tlsSides are the servers of the TLS benchmark.
var tlsSides = []tlsSide{
	{"net", "net/http TLS (HTTP/1.1)",
		serverSpec{"httpnet", "./servers/httpnet", "net/http ServeTLS, TLSNextProto empty: HTTP/1.1 only"},
		serverSpec{"ssenet", "./servers/ssenet", "net/http SSE, a goroutine per stream, ServeTLS, HTTP/1.1 only"}},
	{"wm", "workerman-go TLS",
		serverSpec{"httpwm", "./servers/httpwm", "workerman-go http, -tls-cert/-tls-key (Worker.TLSConfig)"},
		serverSpec{"ssewm", "./servers/ssewm", "workerman-go SSE, Worker.TLSConfig"}},
}

// tlsTests are the tests of the TLS benchmark, in the order they run.
var tlsTests = []string{"requests", "handshakes", "idle", "sse"}

// tlsSources are the default source addresses of the TLS load generator
// (handshakes and idle): four, so that neither 10,000 connections nor
// thousands of short ones per second run short of ephemeral ports.
const tlsSources = "127.0.0.2,127.0.0.3,127.0.0.4,127.0.0.5"

// tlsOptions are the settings of a TLS run.
type tlsOptions struct {
	Servers    string        `json:"servers"`
	Tests      string        `json:"tests"`
	Rounds     int           `json:"rounds"`
	Threads    int           `json:"wrk_threads"`
	Conns      int           `json:"wrk_conns"`
	Duration   time.Duration `json:"duration_ns"` // requests and handshakes
	Warmup     time.Duration `json:"warmup_ns"`
	HSConns    int           `json:"hs_conns"`
	IdleConns  int           `json:"idle_conns"`
	IdleProcs  int           `json:"idle_procs"`
	IdleSettle time.Duration `json:"idle_settle_ns"`
	Src        string        `json:"src"`
	VerifyEach bool          `json:"verify_each"`
	CPUProfile string        `json:"cpuprofile,omitempty"`
	Pin        bool          `json:"pin"`
	Quick      bool          `json:"quick"`
	Timeout    time.Duration `json:"timeout_ns"`
	Wrk        string        `json:"-"`
	Out        string        `json:"-"`

	tests map[string]bool
}

// tlsMain runs the TLS benchmark with the command-line arguments args
// (after "tls") and returns the exit status.
func tlsMain(args []string) int {
	var o tlsOptions
	fs := flag.NewFlagSet("compare tls", flag.ExitOnError)
	fs.StringVar(&o.Servers, "servers", "net,wm", "comma-separated servers to compare: net, wm")
	fs.StringVar(&o.Tests, "tests", strings.Join(tlsTests, ","), "comma-separated tests to run: "+strings.Join(tlsTests, ", "))
	fs.IntVar(&o.Rounds, "rounds", 3, "rounds (at least 3); each runs every test on every server once")
	fs.IntVar(&o.Threads, "threads", 1, "requests: wrk threads (-t)")
	fs.IntVar(&o.Conns, "conns", 100, "requests: wrk connections (-c), kept alive")
	fs.DurationVar(&o.Duration, "duration", 5*time.Second, "requests, handshakes: measured time per round (whole seconds)")
	fs.DurationVar(&o.Warmup, "warmup", time.Second, "requests, handshakes: unmeasured run before it, on the same server (whole seconds; 0: none)")
	fs.IntVar(&o.HSConns, "hs-conns", 32, "handshakes: load generator workers, each making one connection after the other")
	fs.IntVar(&o.IdleConns, "idle-conns", 10000, "idle, sse: connections (streams)")
	fs.IntVar(&o.IdleProcs, "idle-procs", 2, "idle, sse: load generator processes sharing them (raised as needed to stay under 19,000 each)")
	fs.DurationVar(&o.IdleSettle, "idle-settle", 2*time.Second, "idle, sse: wait after all connections are up before reading memory")
	fs.StringVar(&o.Src, "src", tlsSources, "handshakes, idle, sse: comma-separated loopback source addresses of the load generators, round robin (\"\": the kernel's choice)")
	fs.BoolVar(&o.VerifyEach, "verify-each", false, "handshakes, idle, sse: the load generator verifies the certificate chain on every handshake (default: on the first, then it requires the same certificate)")
	fs.StringVar(&o.CPUProfile, "cpuprofile", "", "requests, handshakes: `dir` where the servers write a CPU profile of each round (<server>-<test>-r<round>.pprof; go tool pprof -top FILE)")
	fs.BoolVar(&o.Pin, "pin", true, "pin every server process to the first CPU and the load generators to the second (skipped with fewer than 2 CPUs)")
	fs.BoolVar(&o.Quick, "quick", false, "smoke run of about 2 minutes (3 rounds, 1 s measured, 2,000 idle connections and streams) unless flags say otherwise")
	fs.DurationVar(&o.Timeout, "timeout", 10*time.Minute, "overall time limit")
	fs.StringVar(&o.Wrk, "wrk", "", "path of wrk (default: wrk from PATH, installed with apt-get when missing)")
	fs.StringVar(&o.Out, "out", "", `result file (default bench/results/tls-<date>.md; "-" for none)`)
	fs.BoolVar(&verbose, "v", false, "show the children's stderr")
	fs.Parse(args)
	if fs.NArg() > 0 {
		logf("compare tls: unexpected arguments %q", fs.Args())
		return 2
	}
	if o.Quick {
		quickDefaults(fs, map[string]func(){
			"rounds":      func() { o.Rounds = 3 },
			"duration":    func() { o.Duration = time.Second },
			"idle-conns":  func() { o.IdleConns = 2000 },
			"idle-settle": func() { o.IdleSettle = 500 * time.Millisecond },
			"timeout":     func() { o.Timeout = 4 * time.Minute },
		})
	}
	if err := o.check(); err != nil {
		logf("compare tls: %v", err)
		return 2
	}
	sides, err := selectSides(o.Servers)
	if err != nil {
		logf("compare tls: %v", err)
		return 2
	}
	if need := (o.IdleConns + loadgen.DefaultMaxConns - 1) / loadgen.DefaultMaxConns; o.IdleProcs < need {
		logf("compare tls: raising -idle-procs to %d so that no load generator holds more than %d connections", need, loadgen.DefaultMaxConns)
		o.IdleProcs = need
	}
	return guard(o.Timeout, func(ctx context.Context, reg *registry) (int, error) {
		d := &tlsDriver{o: o, harness: harness{reg: reg}, sides: sides}
		err := d.run(ctx)
		return d.failures, err
	})
}

// check validates the options and fills in the parsed list of tests.
func (o *tlsOptions) check() error {
	var err error
	if o.tests, err = parseTests(o.Tests, tlsTests); err != nil {
		return err
	}
	switch {
	case o.Rounds < 3:
		return fmt.Errorf("-rounds must be at least 3 (the figures are medians)")
	case o.Threads < 1 || o.Conns < o.Threads:
		return fmt.Errorf("-threads must be positive and -conns at least -threads (wrk gives every thread its share)")
	case o.Duration < time.Second || o.Duration%time.Second != 0:
		return fmt.Errorf("-duration must be a whole number of seconds, at least 1s (wrk -d), not %v", o.Duration)
	case o.Warmup < 0 || o.Warmup%time.Second != 0:
		return fmt.Errorf("-warmup must be a whole number of seconds (wrk -d) or 0, not %v", o.Warmup)
	case o.HSConns < 1:
		return fmt.Errorf("-hs-conns must be positive")
	case o.IdleConns < 1 || o.IdleProcs < 1:
		return fmt.Errorf("-idle-conns and -idle-procs must be positive")
	case o.IdleSettle < 0:
		return fmt.Errorf("-idle-settle must not be negative")
	}
	for _, a := range strings.Split(o.Src, ",") {
		if a = strings.TrimSpace(a); a == "" {
			continue
		}
		if ip := net.ParseIP(a); ip == nil || ip.To4() == nil || !ip.IsLoopback() {
			return fmt.Errorf("-src: %q is not an IPv4 loopback address", a)
		}
	}
	return nil
}

// selectSides returns the sides named in the comma-separated list.
func selectSides(list string) ([]tlsSide, error) {
	return selectByName(list, tlsSides, func(s tlsSide) serverSpec { return serverSpec{Name: s.Name, Label: s.Label} })
}

// tlsDriver runs the TLS benchmark.
type tlsDriver struct {
	harness
	o          tlsOptions
	sides      []tlsSide
	certs      testcert.Files
	wrk        string
	wrkVersion string
	requests   []tlsRequestsRecord
	handshakes []handshakeRecord
	idle       []tlsIdleRecord
	sse        []tlsIdleRecord
	profiles   []string
	failures   int
}

// tlsRequestsRecord is the outcome of one requests round: the http
// benchmark's record and the TLS parameters of the check's connection.
type tlsRequestsRecord struct {
	httpRecord
	TLS *loadgen.TLSInfo `json:"tls,omitempty"`
}

// tlsIdleRecord is the outcome of one idle (or sse) round, with the TLS
// parameters the load generators saw.
type tlsIdleRecord struct {
	idleRecord
	TLS *loadgen.TLSInfo `json:"tls,omitempty"`
}

// handshakeRecord is the outcome of one handshakes round of one server.
type handshakeRecord struct {
	Server  string `json:"server"`
	Round   int    `json:"round"`
	OK      bool   `json:"ok"`
	Error   string `json:"error,omitempty"`
	Workers int    `json:"workers"`
	// Handshakes are the connections completed in the window, each a full
	// handshake, a request and its answer.
	Handshakes       uint64            `json:"handshakes"`
	WindowSec        float64           `json:"window_sec"`
	PerSec           float64           `json:"per_sec"`
	P50us            float64           `json:"p50_us"` // connect → handshake done
	P99us            float64           `json:"p99_us"`
	ServerCPUusPerHS float64           `json:"server_cpu_us_per_handshake"`
	ServerSysUsPerHS float64           `json:"server_sys_cpu_us_per_handshake"`
	ClientCPUusPerHS float64           `json:"client_cpu_us_per_handshake"`
	ServerCPUPct     float64           `json:"server_cpu_pct"`
	ClientCPUPct     float64           `json:"client_cpu_pct"`
	OtherCPUPct      float64           `json:"other_cpu_pct"`
	ServerInfo       serverInfo        `json:"server_info"`
	LoadgenCPUs      string            `json:"loadgen_cpus,omitempty"`
	LoadgenGOMAXPROC int               `json:"loadgen_gomaxprocs,omitempty"`
	TLS              *loadgen.TLSInfo  `json:"tls,omitempty"`
	Loadgen          []json.RawMessage `json:"loadgen,omitempty"`
}

// run builds, makes the certificates, measures every round and reports.
func (d *tlsDriver) run(ctx context.Context) error {
	o := d.o
	if o.tests["requests"] {
		var err error
		if d.wrk, err = findWrk(ctx, o.Wrk); err != nil {
			return err
		}
		d.wrkVersion = wrkVersion(ctx, d.wrk)
	}
	var specs []serverSpec
	for _, s := range d.sides {
		if o.tests["requests"] || o.tests["handshakes"] || o.tests["idle"] {
			specs = append(specs, s.Hello)
		}
		if o.tests["sse"] {
			specs = append(specs, s.SSE)
		}
	}
	if err := d.prepare(ctx, o.Pin, specs); err != nil {
		return err
	}
	defer d.cleanup()
	var err error
	if d.certs, err = testcert.Make(d.bin); err != nil {
		return fmt.Errorf("making the test certificates: %w", err)
	}
	if o.CPUProfile != "" {
		if err := os.MkdirAll(o.CPUProfile, 0o755); err != nil {
			return fmt.Errorf("-cpuprofile: %w", err)
		}
	}
	logf("compare: %d rounds of %s; tests %s: requests %s; handshakes with %d workers for %v (+%v warm-up); idle %d connections over %d process(es), settle %v; load average %s",
		o.Rounds, serverNames(d.sideSpecs()), o.Tests, strings.Join(wrkURLArgs(o.Threads, o.Conns, int(o.Duration/time.Second), "https://ADDR/"), " "),
		o.HSConns, o.Duration, o.Warmup, o.IdleConns, o.IdleProcs, o.IdleSettle, d.load0)
	for r := 1; r <= o.Rounds; r++ {
		order := rotate(d.sides, r-1)
		for _, test := range tlsTests {
			if !o.tests[test] {
				continue
			}
			for _, s := range order {
				if err := ctx.Err(); err != nil {
					return d.abort(err)
				}
				switch test {
				case "requests":
					rec := d.requestsRound(ctx, s, r)
					d.requests = append(d.requests, rec)
					logTLSRequests(rec)
				case "handshakes":
					rec := d.handshakeRound(ctx, s, r)
					d.handshakes = append(d.handshakes, rec)
					logHandshakes(rec)
				case "idle":
					rec := d.idleRound(ctx, s, s.Hello, loadgen.ModeTLSIdle, nil, r)
					d.idle = append(d.idle, rec)
					logTLSIdle("idle", "conn", rec)
				case "sse":
					rec := d.idleRound(ctx, s, s.SSE, loadgen.ModeTLSSSE, []string{"-mode", "idle"}, r)
					d.sse = append(d.sse, rec)
					logTLSIdle("sse", "stream", rec)
				}
			}
		}
	}
	d.load1 = loadAvg()
	return d.report()
}

// sideSpecs are the sides as serverSpecs named after the sides.
func (d *tlsDriver) sideSpecs() []serverSpec {
	var out []serverSpec
	for _, s := range d.sides {
		out = append(out, serverSpec{Name: s.Name, Pkg: s.Hello.Pkg + ", " + s.SSE.Pkg, Label: s.Label})
	}
	return out
}

// abort reports what was measured before an interruption.
func (d *tlsDriver) abort(err error) error {
	return d.harness.abort(err, len(d.requests)+len(d.handshakes)+len(d.idle)+len(d.sse) > 0, d.report)
}

// tlsArgs are the server arguments that make it serve TLS with the run's
// certificate (the same flags for all four servers).
func (d *tlsDriver) tlsArgs() []string {
	return []string{"-tls-cert", d.certs.Cert, "-tls-key", d.certs.Key}
}

// profileArgs adds -cpuprofile to a hello server's arguments when asked.
func (d *tlsDriver) profileArgs(side, test string, round int) []string {
	if d.o.CPUProfile == "" {
		return nil
	}
	path := filepath.Join(d.o.CPUProfile, fmt.Sprintf("%s-%s-r%d.pprof", side, test, round))
	d.profiles = append(d.profiles, path)
	return []string{"-cpuprofile", path}
}

// loadgenTLSArgs are the load generator's arguments for mode, n
// connections, against addr.
func (d *tlsDriver) loadgenTLSArgs(mode, addr string, n int) []string {
	a := []string{"-mode", mode, "-target", addr, "-conns", fmt.Sprint(n), "-ca", d.certs.CA, "-server-name", d.certs.Name}
	if d.o.Src != "" {
		a = append(a, "-src", d.o.Src)
	}
	if d.o.VerifyEach {
		a = append(a, "-tls-verify-each")
	}
	return a
}

// requestsRound measures keep-alive requests over TLS with wrk.
func (d *tlsDriver) requestsRound(ctx context.Context, s tlsSide, round int) tlsRequestsRecord {
	var info *loadgen.TLSInfo
	rec := d.wrkRound(ctx, s.Hello, round, wrkSpec{
		serverArgs: append(d.tlsArgs(), d.profileArgs(s.Name, "requests", round)...),
		wrk:        d.wrk, threads: d.o.Threads, conns: d.o.Conns,
		warmup: d.o.Warmup, duration: d.o.Duration,
		url: func(addr string) string { return "https://" + addr + "/" },
		check: func(ctx context.Context, addr string) error {
			var err error
			info, err = d.checkTLSHello(ctx, addr)
			return err
		},
	})
	rec.Server = s.Name
	if !rec.OK {
		d.failures++
	}
	return tlsRequestsRecord{httpRecord: rec, TLS: info}
}

// checkTLSHello connects to addr over TLS as a browser would (verifying
// the certificate against the run's CA, offering ALPN h2 and http/1.1),
// requires http/1.1, and runs checkHello (two requests kept alive, the
// answers HTTP/1.1 200 "Hello, World!"); bounded by 5 s. It returns what
// was negotiated.
func (d *tlsDriver) checkTLSHello(ctx context.Context, addr string) (*loadgen.TLSInfo, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	pem, err := os.ReadFile(d.certs.CA)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	dialer := tls.Dialer{Config: &tls.Config{RootCAs: pool, ServerName: d.certs.Name, NextProtos: []string{"h2", "http/1.1"}}}
	c, err := dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("TLS: %w", err)
	}
	defer c.Close()
	deadline, _ := ctx.Deadline()
	c.SetDeadline(deadline)
	cs := c.(*tls.Conn).ConnectionState()
	info := &loadgen.TLSInfo{Version: tls.VersionName(cs.Version), CipherSuite: tls.CipherSuiteName(cs.CipherSuite),
		Group: cs.CurveID.String(), ALPN: cs.NegotiatedProtocol, Proto: "HTTP/1.1"}
	if cs.NegotiatedProtocol != "http/1.1" {
		return info, fmt.Errorf("ALPN: the server chose %q, want http/1.1", cs.NegotiatedProtocol)
	}
	return info, checkHello(c) // http.ReadResponse reads HTTP/1.x only
}

// handshakeRound measures new TLS connections per second on a fresh hello
// server.
func (d *tlsDriver) handshakeRound(ctx context.Context, s tlsSide, round int) (rec handshakeRecord) {
	rec = handshakeRecord{Server: s.Name, Round: round, Workers: d.o.HSConns}
	defer func() {
		if !rec.OK {
			d.failures++
		}
	}()
	args := func(addr string, srv *proc) ([]string, error) {
		return append(d.loadgenTLSArgs(loadgen.ModeTLSHandshake, addr, d.o.HSConns),
			"-warmup", d.o.Warmup.String(), "-duration", d.o.Duration.String(),
			"-server-pid", fmt.Sprint(srv.pid())), nil
	}
	limit := d.o.Warmup + d.o.Duration + 60*time.Second
	serverArgs := append(d.tlsArgs(), d.profileArgs(s.Name, "handshakes", round)...)
	res, raws, info, problems := d.measured(ctx, s.Hello, serverArgs, "loadgen-handshake", args, limit)
	rec.Loadgen, rec.ServerInfo = stripHists(raws), info
	if res != nil {
		rec.LoadgenCPUs, rec.LoadgenGOMAXPROC = res.CPUs, res.GOMAXPROCS
		rec.Handshakes, rec.WindowSec, rec.PerSec = res.Handshakes, res.WindowSec, res.HandshakesPerSec
		rec.P50us, rec.P99us = res.P50us, res.P99us
		rec.TLS = res.TLS
		if res.Handshakes > 0 {
			n := float64(res.Handshakes)
			rec.ServerCPUusPerHS = res.ServerCPU * 1e6 / n
			rec.ServerSysUsPerHS = res.ServerSysCPU * 1e6 / n
			rec.ClientCPUusPerHS = res.ClientCPU * 1e6 / n
		}
		if w := res.WindowSec; w > 0 {
			rec.ServerCPUPct = res.ServerCPU / w * 100
			rec.ClientCPUPct = res.ClientCPU / w * 100
			rec.OtherCPUPct = otherCPU(res, rec.ServerCPUPct, rec.ClientCPUPct)
		}
		if res.ServerCPU <= 0 {
			problems = append(problems, "no server CPU time measured")
		}
	}
	rec.OK = len(problems) == 0
	rec.Error = strings.Join(problems, "; ")
	return rec
}

// idleRound measures the memory of idle TLS connections (mode tls-idle) or
// streams (tls-sse) on a fresh server spec.
func (d *tlsDriver) idleRound(ctx context.Context, s tlsSide, spec serverSpec, mode string, extra []string, round int) tlsIdleRecord {
	rec := d.measureIdle(ctx, spec, round, idleSpec{
		serverArgs: append(append([]string(nil), extra...), d.tlsArgs()...),
		conns:      d.o.IdleConns, warm: idleWarmConns, procs: d.o.IdleProcs, settle: d.o.IdleSettle,
		loadgenArgs: func(addr string, n int) []string { return d.loadgenTLSArgs(mode, addr, n) },
	})
	rec.Server = s.Name
	if !rec.OK {
		d.failures++
	}
	return tlsIdleRecord{idleRecord: rec, TLS: tlsInfoOf(rec.Loadgen)}
}

// tlsInfoOf returns the TLS parameters the first of the load generator
// results raws reports, nil if none does.
func tlsInfoOf(raws []json.RawMessage) *loadgen.TLSInfo {
	for _, r := range raws {
		var res loadgen.Result
		if json.Unmarshal(r, &res) == nil && res.TLS != nil {
			return res.TLS
		}
	}
	return nil
}

func logTLSRequests(r tlsRequestsRecord) {
	if !r.OK {
		logf("  round %d requests   %-4s FAILED: %s", r.Round, r.Server, r.Error)
		return
	}
	logf("  round %d requests   %-4s %9.0f req/s  p50 %7.1f µs  p99 %8.1f µs  server CPU %5.2f µs/req  CPU busy: server %3.0f%%, wrk %3.0f%%, other %3.0f%%",
		r.Round, r.Server, r.RequestsPerSec, r.P50us, r.P99us, r.ServerCPUusPerReq, r.ServerCPUPct, r.WrkCPUPct, r.OtherCPUPct)
}

func logHandshakes(r handshakeRecord) {
	if !r.OK {
		logf("  round %d handshakes %-4s FAILED: %s", r.Round, r.Server, r.Error)
		return
	}
	logf("  round %d handshakes %-4s %7.0f conn/s  handshake p50 %7.0f µs  p99 %7.0f µs  server CPU %6.1f µs/handshake (system %5.1f)  CPU busy: server %3.0f%%, load gen %3.0f%%, other %3.0f%%",
		r.Round, r.Server, r.PerSec, r.P50us, r.P99us, r.ServerCPUusPerHS, r.ServerSysUsPerHS, r.ServerCPUPct, r.ClientCPUPct, r.OtherCPUPct)
}

func logTLSIdle(test, unit string, r tlsIdleRecord) {
	if !r.OK {
		logf("  round %d %-10s %-4s FAILED: %s", r.Round, test, r.Server, r.Error)
		return
	}
	logf("  round %d %-10s %-4s %6d %ss  RSS %6.1f → %6.1f MiB  %6.2f KiB/%s",
		r.Round, test, r.Server, r.Conns, unit, mib(r.RSSBefore), mib(r.RSSAfter), r.BytesPerConn/1024, unit)
}
