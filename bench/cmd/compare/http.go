package main

// The http benchmark ("compare http"): requests per second of a
// "Hello, World!" answer, with wrk as the load generator, and the CPU the
// server spends per request.
//
// For every round, alternating the servers (the order rotates each round),
// a fresh server is started on the server CPU and checked (two requests on
// one connection: 200 OK, "Hello, World!", kept alive); wrk, on the load
// generator CPU, first warms it up (-warmup), then measures it (-duration):
// wrk -t<threads> -c<conns> -d<duration> --latency. Any socket error or
// error status fails the round. The server's CPU time (its process tree,
// from /proc) is read just before wrk starts and just after it exits.
//
// Every round runs each variant of -variants: "identical" (wrk's own
// request, the same bytes every time) and "random-query" (a wrk Lua script,
// randomQueryScript, gives every request a query string of its own). The
// Workerman anchor (anchor.go), when it runs, is a fourth server: it caches
// parsed requests by their raw bytes, which identical requests always hit.

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// httpServers are the servers of the http benchmark.
var httpServers = []serverSpec{
	{"net", "./servers/httpnet", "net/http (baseline)"},
	{"gnet", "./servers/httpgnet", "gnet v2 minimal responder (engine ceiling)"},
	{"wm", "./servers/httpwm", "workerman-go http"},
}

// ours is the server the goals are about.
const ours = "wm"

// httpGoal is a goal of the project: the requests/s of ours at least Min
// times those of Base.
type httpGoal struct {
	Base string  `json:"base"`
	Min  float64 `json:"min_ratio"`
}

// httpGoals are the project's goals for the http benchmark.
var httpGoals = []httpGoal{
	{Base: "net", Min: 1.4},
	{Base: "gnet", Min: 0.85},
}

// helloBody is the body every server answers with (but the Workerman
// anchor: anchorHelloBody).
const helloBody = "Hello, World!"

// httpVariant is a kind of request load of the http benchmark.
type httpVariant struct {
	Name  string // in -variants and the records
	Label string // in the tables
}

// httpVariants are the request loads, in the order they run.
var httpVariants = []httpVariant{
	{"identical", "identical requests"},
	{"random-query", "a random query string per request"},
}

// randomQueryScript is the wrk Lua script of the random-query variant:
// every request gets a target of its own, "/?q=<thread>-<count>-<random>",
// so that no two requests of a run are the same bytes. Every wrk thread
// runs the script in a Lua state of its own: setup numbers the threads.
const randomQueryScript = `-- compare http, variant random-query (written by bench/cmd/compare):
-- a different query string on every request, so that no two requests of
-- a run are the same bytes.
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

local counter = 0

function init(args)
  math.randomseed(os.time() + 7919 * (tid or 0))
end

function request()
  counter = counter + 1
  return wrk.format(nil, string.format("/?q=%d-%d-%d", tid or 0, counter, math.random(0, 2147483646)))
end
`

// httpOptions are the settings of an http run.
type httpOptions struct {
	Servers   string        `json:"servers"`
	Rounds    int           `json:"rounds"`
	Threads   int           `json:"wrk_threads"`
	Conns     int           `json:"wrk_conns"`
	Duration  time.Duration `json:"duration_ns"`
	Warmup    time.Duration `json:"warmup_ns"`
	Pin       bool          `json:"pin"`
	Quick     bool          `json:"quick"`
	Timeout   time.Duration `json:"timeout_ns"`
	Variants  string        `json:"variants"`
	Workerman string        `json:"workerman,omitempty"`
	Wrk       string        `json:"-"`
	Out       string        `json:"-"`

	variants []httpVariant
}

// httpMain runs the http benchmark with the command-line arguments args
// (after "http") and returns the exit status.
func httpMain(args []string) int {
	var o httpOptions
	fs := flag.NewFlagSet("compare http", flag.ExitOnError)
	fs.StringVar(&o.Servers, "servers", "net,gnet,wm", "comma-separated servers to compare: "+serverNames(httpServers))
	fs.IntVar(&o.Rounds, "rounds", 5, "rounds (at least 3); each measures every server once")
	fs.IntVar(&o.Threads, "threads", 1, "wrk threads (-t)")
	fs.IntVar(&o.Conns, "conns", 100, "wrk connections (-c), kept alive")
	fs.DurationVar(&o.Duration, "duration", 5*time.Second, "measured wrk run per round (whole seconds)")
	fs.DurationVar(&o.Warmup, "warmup", time.Second, "unmeasured wrk run before it, on the same server (whole seconds; 0: none)")
	fs.BoolVar(&o.Pin, "pin", true, "pin every server process to the first CPU and wrk to the second (skipped with fewer than 2 CPUs)")
	fs.BoolVar(&o.Quick, "quick", false, "smoke run of about 25 s (3 rounds, 1 s measured) unless flags say otherwise")
	fs.DurationVar(&o.Timeout, "timeout", 8*time.Minute, "overall time limit")
	fs.StringVar(&o.Variants, "variants", httpVariantNames(), "comma-separated request loads: identical (wrk's one request, the same bytes every time), random-query (a Lua script gives every request a query string of its own)")
	fs.StringVar(&o.Workerman, "workerman", "", anchorFlagUsage)
	fs.StringVar(&o.Wrk, "wrk", "", "path of wrk (default: wrk from PATH, installed with apt-get when missing)")
	fs.StringVar(&o.Out, "out", "", `result file (default bench/results/http-<date>.md; "-" for none)`)
	fs.BoolVar(&verbose, "v", false, "show the children's stderr")
	fs.Parse(args)
	if fs.NArg() > 0 {
		logf("compare http: unexpected arguments %q", fs.Args())
		return 2
	}
	if o.Quick {
		quickDefaults(fs, map[string]func(){
			"rounds":   func() { o.Rounds = 3 },
			"duration": func() { o.Duration = time.Second },
			"timeout":  func() { o.Timeout = 3 * time.Minute },
		})
	}
	if err := o.check(); err != nil {
		logf("compare http: %v", err)
		return 2
	}
	servers, err := selectServers(o.Servers, httpServers)
	if err != nil {
		logf("compare http: %v", err)
		return 2
	}
	return guard(o.Timeout, func(ctx context.Context, reg *registry) (int, error) {
		d := &httpDriver{o: o, harness: harness{reg: reg}, selected: servers}
		err := d.run(ctx)
		return d.failures, err
	})
}

// httpVariantNames is the comma-separated list of the variants' names.
func httpVariantNames() string {
	var names []string
	for _, v := range httpVariants {
		names = append(names, v.Name)
	}
	return strings.Join(names, ",")
}

// check validates the options and fills in the variants.
func (o *httpOptions) check() error {
	sel, err := parseTests(o.Variants, strings.Split(httpVariantNames(), ","))
	if err != nil {
		return fmt.Errorf("-variants: %v", strings.Replace(err.Error(), "test", "variant", -1))
	}
	o.variants = nil
	for _, v := range httpVariants {
		if sel[v.Name] {
			o.variants = append(o.variants, v)
		}
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
	}
	return nil
}

// httpDriver runs the http benchmark.
type httpDriver struct {
	harness
	o          httpOptions
	selected   []serverSpec // as asked for
	servers    []serverSpec // those that built, and the anchor
	skipped    []skippedServer
	anchor     anchorChoice
	script     string // path of the random-query script
	wrk        string // path
	wrkVersion string
	recs       []httpRecord
	failures   int
}

// skippedServer is a selected server that was left out, and why.
type skippedServer struct {
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

// httpRecord is the outcome of one round of one server.
type httpRecord struct {
	Server            string     `json:"server"`
	Variant           string     `json:"variant"` // httpVariants
	Round             int        `json:"round"`
	OK                bool       `json:"ok"`
	Error             string     `json:"error,omitempty"`
	RequestsPerSec    float64    `json:"requests_per_sec"`
	P50us             float64    `json:"p50_us"`
	P99us             float64    `json:"p99_us"`
	ServerCPUusPerReq float64    `json:"server_cpu_us_per_req,omitempty"`
	WrkCPUusPerReq    float64    `json:"wrk_cpu_us_per_req,omitempty"`
	ServerCPUPct      float64    `json:"server_cpu_pct,omitempty"` // of one core, over the window
	WrkCPUPct         float64    `json:"wrk_cpu_pct,omitempty"`    // of one core, over the window
	OtherCPUPct       float64    `json:"other_cpu_pct"`            // everything else on the machine, in % of one core
	WindowSec         float64    `json:"window_sec,omitempty"`     // from just before wrk started to just after it exited
	ServerInfo        serverInfo `json:"server_info"`
	WrkInfo           serverInfo `json:"wrk_info"`
	Wrk               *wrkResult `json:"wrk,omitempty"` // the measured run
}

// run builds, measures every round and reports.
func (d *httpDriver) run(ctx context.Context) error {
	var err error
	if d.wrk, err = findWrk(ctx, d.o.Wrk); err != nil {
		return err
	}
	d.wrkVersion = wrkVersion(ctx, d.wrk)
	if err := d.setup(ctx, d.o.Pin); err != nil {
		return err
	}
	defer d.cleanup()
	if d.anchor, err = findAnchor(d.o.Workerman, d.root, "http"); err != nil {
		return err
	}
	for _, s := range d.selected {
		if err := d.build(ctx, s.Name, s.Pkg); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			reason := firstLines(err.Error(), 4)
			if s.Name == ours {
				reason += " (it needs workerman-go's worker, connection and protocols/http packages)"
			}
			logf("compare: skipping %s: it does not build: %s", s.Name, reason)
			d.skipped = append(d.skipped, skippedServer{s.Name, reason})
			continue
		}
		d.servers = append(d.servers, s)
	}
	if len(d.servers) == 0 {
		return fmt.Errorf("no server builds")
	}
	if a := d.anchor.Anchor; a != nil {
		d.harness.anchor = a
		d.servers = append(d.servers, anchorSpec)
		logf("compare: Workerman anchor: %s, %s", a.Dir, a.PHPVersion)
	} else {
		logf("compare: %s", d.anchor.Note)
	}
	d.script = filepath.Join(d.bin, "random-query.lua")
	if err := os.WriteFile(d.script, []byte(randomQueryScript), 0o644); err != nil {
		return fmt.Errorf("writing the wrk script: %w", err)
	}

	o := d.o
	logf("compare: %d rounds of %s, %s; %s, %v measured after a %v warm-up; load average %s",
		o.Rounds, serverNames(d.servers), variantNames(o.variants), strings.Join(wrkArgs(o.Threads, o.Conns, int(o.Duration/time.Second), "ADDR"), " "), o.Duration, o.Warmup, d.load0)
	for r := 1; r <= o.Rounds; r++ {
		for _, v := range o.variants {
			for _, s := range rotate(d.servers, r-1) {
				if err := ctx.Err(); err != nil {
					return d.abort(err)
				}
				rec := d.round(ctx, s, r, v)
				d.recs = append(d.recs, rec)
				logHTTP(rec)
			}
		}
	}
	d.load1 = loadAvg()
	return d.report()
}

// abort reports what was measured before an interruption.
func (d *httpDriver) abort(err error) error {
	return d.harness.abort(err, len(d.recs) > 0, d.report)
}

// variantNames is the comma-separated list of the names of v.
func variantNames(v []httpVariant) string {
	var names []string
	for _, x := range v {
		names = append(names, x.Name)
	}
	return strings.Join(names, ", ")
}

// round measures server s once with variant v, on a fresh process.
func (d *httpDriver) round(ctx context.Context, s serverSpec, round int, v httpVariant) httpRecord {
	check := dialCheckHello
	if s.external() {
		check = dialCheckAnchorHello
	}
	script := ""
	if v.Name == "random-query" {
		script = d.script
	}
	rec := d.wrkRound(ctx, s, round, wrkSpec{
		wrk: d.wrk, threads: d.o.Threads, conns: d.o.Conns,
		warmup: d.o.Warmup, duration: d.o.Duration,
		url:    func(addr string) string { return "http://" + addr + "/" },
		check:  check,
		script: script,
	})
	rec.Variant = v.Name
	if !rec.OK {
		d.failures++
	}
	return rec
}

// wrkSpec describes a round of wrk against a fresh server: the server's
// extra arguments, the check of its answer before the load (check(ctx,
// addr)), wrk's path and settings (url gives the URL for the server's
// address), the warm-up (0: none) and the measured run; script, when
// set, is a Lua script for wrk (-s).
type wrkSpec struct {
	serverArgs       []string
	check            func(ctx context.Context, addr string) error
	wrk              string
	threads, conns   int
	warmup, duration time.Duration
	url              func(addr string) string
	script           string
}

// wrkRound measures server s once with wrk, on a fresh process: start it,
// check its answer, warm it up, then read its CPU time and the machine's
// around the measured wrk run.
func (h *harness) wrkRound(ctx context.Context, s serverSpec, round int, spec wrkSpec) (rec httpRecord) {
	rec = httpRecord{Server: s.Name, Round: round}
	srv, addr, err := h.startServer(ctx, s, spec.serverArgs...)
	if err != nil {
		rec.Error = err.Error()
		return rec
	}
	defer srv.stop(3 * time.Second)

	if err := spec.check(ctx, addr); err != nil {
		rec.Error = fmt.Sprintf("%s: checking its answer: %v", s.Name, err)
		return rec
	}
	args := func(dur time.Duration) []string {
		return wrkScriptArgs(spec.threads, spec.conns, int(dur/time.Second), spec.url(addr), spec.script)
	}
	if spec.warmup > 0 {
		res, _, _, err := h.runWrk(ctx, spec.wrk, "wrk-warmup", args(spec.warmup), spec.warmup)
		if err == nil {
			if p := res.problems(); len(p) > 0 {
				err = fmt.Errorf("%s", strings.Join(p, "; "))
			}
		}
		if err != nil {
			rec.Error = fmt.Sprintf("warm-up: %v", err)
			return rec
		}
	}

	win := startCPUWindow(srv.pid())
	res, wrkInfo, wrkCPU, err := h.runWrk(ctx, spec.wrk, "wrk", args(spec.duration), spec.duration)
	win.end(srv.pid())
	if err != nil {
		rec.Error = err.Error()
		return rec
	}
	rec.Wrk = &res
	rec.WrkInfo = wrkInfo
	problems := res.problems()
	if srv.exited() {
		problems = append(problems, fmt.Sprintf("server exited during the test: %v%s", srv.exitErr(), srv.diag()))
	} else if info, err := h.inspectServer(srv); err != nil { // again, now that all its threads exist
		problems = append(problems, err.Error())
	} else {
		rec.ServerInfo = info
	}
	rec.RequestsPerSec, rec.P50us, rec.P99us = res.RequestsPerSec, res.P50us, res.P99us
	rec.WindowSec = win.seconds()
	serverCPU, err := win.treeCPU()
	if err != nil {
		problems = append(problems, fmt.Sprintf("reading the server's CPU time: %v", err))
	}
	if res.Requests > 0 && err == nil {
		rec.ServerCPUusPerReq = serverCPU * 1e6 / float64(res.Requests)
		rec.WrkCPUusPerReq = wrkCPU.Seconds() * 1e6 / float64(res.Requests)
	}
	if w := rec.WindowSec; w > 0 {
		rec.ServerCPUPct = serverCPU / w * 100
		rec.WrkCPUPct = wrkCPU.Seconds() / w * 100
		rec.OtherCPUPct = max(0, win.machineBusyPct()-rec.ServerCPUPct-rec.WrkCPUPct)
	}
	rec.OK = len(problems) == 0
	rec.Error = strings.Join(problems, "; ")
	return rec
}

// runWrk runs wrk (at path wrk) with args, a run of dur, on the load
// generator CPU and returns its report, what was seen of its threads and
// the CPU time it used. An error is a run that could not be measured at
// all (wrk failed or printed no report); errors reported by wrk are in the
// result.
func (h *harness) runWrk(ctx context.Context, wrk, name string, args []string, dur time.Duration) (wrkResult, serverInfo, time.Duration, error) {
	var info serverInfo
	p, err := startProc(h.reg, name, "", false, h.pin.loadgenCPU(), wrk, args...)
	if err != nil {
		return wrkResult{}, info, 0, err
	}
	// Once wrk has started its threads, check where they may run.
	if sleepCtx(ctx, min(500*time.Millisecond, dur/2)) && !p.exited() {
		if info, err = inspect(p, h.pin.loadgenCPU()); err != nil && !p.exited() {
			p.kill()
			return wrkResult{}, info, 0, err
		}
	}
	if err := p.wait(ctx, dur+30*time.Second); err != nil {
		return wrkResult{}, info, 0, err
	}
	out := p.stdout()
	if err := p.exitErr(); err != nil {
		return wrkResult{}, info, 0, fmt.Errorf("%s failed: %v\n%s%s", name, err, tail(out, 5), p.diag())
	}
	res, err := parseWrk(out)
	if err != nil {
		return res, info, 0, fmt.Errorf("%s: %v\n%s%s", name, err, tail(out, 15), p.diag())
	}
	return res, info, p.cpuTime(), nil
}

// dialCheckHello connects to addr and runs checkHello, bounded by 5 s.
func dialCheckHello(ctx context.Context, addr string) error {
	return dialCheckBody(ctx, addr, helloBody)
}

// dialCheckBody connects to addr and runs checkBody, bounded by 5 s.
func dialCheckBody(ctx context.Context, addr, body string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var dialer net.Dialer
	c, err := dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	deadline, _ := ctx.Deadline()
	c.SetDeadline(deadline)
	return checkBody(c, body)
}

// checkHello sends two GET requests on c, one after the other, and checks
// that both get 200 OK with the body "Hello, World!" and that the server
// keeps the connection open (keep-alive), as wrk expects of it.
func checkHello(c net.Conn) error { return checkBody(c, helloBody) }

// checkBody is checkHello with the body want.
func checkBody(c net.Conn, want string) error {
	br := bufio.NewReader(c)
	for i := 1; i <= 2; i++ {
		if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: bench\r\n\r\n"); err != nil {
			return fmt.Errorf("request %d: writing: %w", i, err)
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			return fmt.Errorf("request %d: reading the response: %w", i, err)
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
		resp.Body.Close()
		if err != nil {
			return fmt.Errorf("request %d: reading the body: %w", i, err)
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("request %d: status %q, want 200 OK", i, resp.Status)
		}
		if string(body) != want {
			return fmt.Errorf("request %d: body %q, want %q", i, body, want)
		}
		if resp.Close {
			return fmt.Errorf("request %d: the server closes the connection (no keep-alive)", i)
		}
	}
	return nil
}

// logHTTP prints the outcome of a round.
func logHTTP(r httpRecord) {
	if !r.OK {
		logf("  round %d http %-12s %-9s FAILED: %s", r.Round, r.Variant, r.Server, r.Error)
		return
	}
	logf("  round %d http %-12s %-9s %9.0f req/s  p50 %7.1f µs  p99 %8.1f µs  server CPU %5.2f µs/req  CPU busy: server %3.0f%%, wrk %3.0f%%, other %3.0f%%",
		r.Round, r.Variant, r.Server, r.RequestsPerSec, r.P50us, r.P99us, r.ServerCPUusPerReq, r.ServerCPUPct, r.WrkCPUPct, r.OtherCPUPct)
}

// firstLines returns the first n lines of s, joined by " / ".
func firstLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = append(lines[:n], "…")
	}
	return strings.Join(lines, " / ")
}

// rawJSON is the machine-readable record of the run.
func (d *httpDriver) rawJSON() ([]byte, error) {
	return json.MarshalIndent(struct {
		Started    time.Time       `json:"started"`
		Options    httpOptions     `json:"options"`
		Pinning    pinning         `json:"pinning"`
		Servers    []serverSpec    `json:"servers"`
		Skipped    []skippedServer `json:"skipped,omitempty"`
		Anchor     *anchor         `json:"anchor,omitempty"`
		AnchorNote string          `json:"anchor_note,omitempty"`
		Goals      []goalResult    `json:"goals"`
		WrkVersion string          `json:"wrk_version"`
		Machine    machine         `json:"machine"`
		Rounds     []httpRecord    `json:"rounds"`
	}{d.started.UTC(), d.o, d.pin, d.servers, d.skipped, d.anchor.Anchor, d.anchor.Note, evalGoals(d.summarize("identical")), d.wrkVersion, d.machine(), d.recs}, "", "  ")
}
