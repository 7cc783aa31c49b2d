package main

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/workerman-go/workerman/bench/internal/testcert"
	"github.com/workerman-go/workerman/bench/loadgen"
)

// h2Base is the server the ratios divide by.
const h2Base = "net"

// Goals of the project for HTTP/2 (issue 15).
const (
	goalH2Memory = 1.0 / 4 // RSS per idle stream, at most this × net/http's
	goalH2CPU    = 1.0 / 2 // server CPU (tick; per request), at most this × net/http's
)

// h2ReqSummary holds the medians of one server's successful requests
// rounds of one variant.
type h2ReqSummary struct {
	ok                  int
	has                 bool
	rps, mean           float64
	cpu, sys, lgCPU     float64 // µs per request: server, its system part, h2load
	writes              float64 // the server's write(2) calls per request
	hasWrites           bool
	srvPct, h2loadPct   float64
	check               *loadgen.TLSInfo // the first successful round's check
	first               *h2loadResult    // the first successful round's h2load report
	hasCPU, hasSys, any bool
}

// h2Summary holds the medians of one server over its successful rounds.
type h2Summary struct {
	side h2Side

	idleOK    int
	hasIdle   bool
	perStream float64 // bytes
	perConn   float64 // bytes per HTTP/2 connection
	idleTLS   *loadgen.TLSInfo

	tickOK                  int
	hasTick                 bool
	cpuPct, sysPct, userPct float64
	cpuPerEvent, evPerSec   float64
	writesPerEvent          float64
	hasWrites               bool
	p50, p99                float64
	lgPct, lgPerEvent       float64
	tickTLS                 *loadgen.TLSInfo
	req                     map[string]h2ReqSummary // by variant
}

func (d *h2Driver) summarize() []h2Summary {
	return summarizeH2(d.sides, d.idle, d.tick, d.requests)
}

func summarizeH2(sides []h2Side, idle []h2IdleRecord, tick []h2TickRecord, req []h2RequestsRecord) []h2Summary {
	var out []h2Summary
	for _, s := range sides {
		sm := h2Summary{side: s, req: map[string]h2ReqSummary{}}
		var per, perConn []float64
		for _, r := range idle {
			if r.Server != s.Name || !r.OK {
				continue
			}
			per = append(per, r.BytesPerStream)
			perConn = append(perConn, r.BytesPerConn)
			if sm.idleTLS == nil {
				sm.idleTLS = r.TLS
			}
		}
		sm.idleOK = len(per)
		sm.perStream, sm.hasIdle = median(per)
		sm.perConn, _ = median(perConn)

		var cpu, sys, user, cpe, eps, p50, p99, lg, lgpe, wpe []float64
		for _, r := range tick {
			if r.Server != s.Name || !r.OK {
				continue
			}
			cpu = append(cpu, r.ServerCPUPct)
			sys = append(sys, r.ServerSysPct)
			user = append(user, r.ServerCPUPct-r.ServerSysPct)
			cpe = append(cpe, r.ServerCPUusPerEvent)
			eps = append(eps, r.EventsPerSec)
			p50 = append(p50, r.P50us)
			p99 = append(p99, r.P99us)
			lg = append(lg, r.ClientCPUPct)
			lgpe = append(lgpe, r.ClientCPUusPerEvent)
			if r.WritesPerEvent > 0 {
				wpe = append(wpe, r.WritesPerEvent)
			}
			if sm.tickTLS == nil {
				sm.tickTLS = r.TLS
			}
		}
		sm.tickOK = len(cpu)
		sm.cpuPct, sm.hasTick = median(cpu)
		sm.sysPct, _ = median(sys)
		sm.userPct, _ = median(user)
		sm.cpuPerEvent, _ = median(cpe)
		sm.evPerSec, _ = median(eps)
		sm.p50, _ = median(p50)
		sm.p99, _ = median(p99)
		sm.lgPct, _ = median(lg)
		sm.lgPerEvent, _ = median(lgpe)
		sm.writesPerEvent, sm.hasWrites = median(wpe)

		for _, v := range []string{"requests", "requests-h2c"} {
			var rs h2ReqSummary
			var rps, mean, c, sy, l, sp, hp, wr []float64
			for _, r := range req {
				if r.Server != s.Name || r.Variant != v {
					continue
				}
				rs.any = true
				if !r.OK {
					continue
				}
				rps = append(rps, r.RequestsPerSec)
				mean = append(mean, r.MeanUs)
				if r.ServerCPUusPerReq > 0 {
					c = append(c, r.ServerCPUusPerReq)
				}
				if r.ServerSysUsPerReq > 0 {
					sy = append(sy, r.ServerSysUsPerReq)
				}
				if r.WritesPerReq > 0 {
					wr = append(wr, r.WritesPerReq)
				}
				l = append(l, r.H2loadCPUusPerReq)
				sp = append(sp, r.ServerCPUPct)
				hp = append(hp, r.H2loadCPUPct)
				if rs.first == nil {
					rs.first, rs.check = r.H2load, r.Check
				}
			}
			rs.ok = len(rps)
			rs.rps, rs.has = median(rps)
			rs.mean, _ = median(mean)
			rs.cpu, rs.hasCPU = median(c)
			rs.sys, rs.hasSys = median(sy)
			rs.writes, rs.hasWrites = median(wr)
			rs.lgCPU, _ = median(l)
			rs.srvPct, _ = median(sp)
			rs.h2loadPct, _ = median(hp)
			if rs.any {
				sm.req[v] = rs
			}
		}
		out = append(out, sm)
	}
	return out
}

func findH2(sums []h2Summary, name string) *h2Summary {
	for i := range sums {
		if sums[i].side.Name == name {
			return &sums[i]
		}
	}
	return nil
}

// evalH2Goals judges the goals and checks on the medians.
func evalH2Goals(sums []h2Summary, o h2Options) []limitGoal {
	our, base := findH2(sums, ours), findH2(sums, h2Base)
	both := our != nil && base != nil
	var out []limitGoal
	if o.tests["idle"] {
		out = append(out, ratioGoal(fmt.Sprintf("RSS per idle event stream of workerman-go (%s streams over %s HTTP/2 connections) ≤ %s of net/http's",
			thousands(o.Streams), thousands(o.Conns), frac(goalH2Memory)), goalH2Memory,
			both && our.hasIdle && base.hasIdle, func() (float64, float64) { return our.perStream, base.perStream }))
	}
	if o.tests["tick"] {
		out = append(out, ratioGoal(fmt.Sprintf("server CPU with %s streams × 1 event/s over %s connections ≤ %s of net/http's",
			thousands(o.Streams), thousands(o.Conns), frac(goalH2CPU)), goalH2CPU,
			both && our.hasTick && base.hasTick, func() (float64, float64) { return our.cpuPct, base.cpuPct }))
	}
	for _, v := range []struct{ test, what string }{{"requests", "over TLS"}, {"requests-h2c", "over h2c"}} {
		if !o.tests[v.test] {
			continue
		}
		var or, br h2ReqSummary
		if both {
			or, br = our.req[v.test], base.req[v.test]
		}
		out = append(out, ratioGoal(fmt.Sprintf("server CPU µs per hello request %s (h2load) ≤ %s of net/http's", v.what, frac(goalH2CPU)), goalH2CPU,
			both && or.hasCPU && br.hasCPU, func() (float64, float64) { return or.cpu, br.cpu }))
	}
	if o.tests["tick"] {
		g := limitGoal{Goal: fmt.Sprintf("check: the load generator received %s events/s (± %.0f %%) from every server", thousands(o.Streams), tickTolerance*100), Limit: tickTolerance, Pass: true}
		var shown []string
		for _, s := range sums {
			if !s.hasTick {
				continue
			}
			g.Measured = true
			dev := math.Abs(s.evPerSec/float64(o.Streams) - 1)
			g.Value = max(g.Value, dev)
			g.Pass = g.Pass && dev <= tickTolerance
			shown = append(shown, fmt.Sprintf("%s %s", s.side.Name, thousands(int(s.evPerSec+0.5))))
		}
		g.Pass = g.Pass && g.Measured
		g.Shown = strings.Join(shown, ", ")
		out = append(out, g)

		g = limitGoal{Goal: fmt.Sprintf("check: the load generator was not the bottleneck of the tick test (below %d %% of its core)", saturated), Limit: saturated, Pass: true}
		shown = nil
		for _, s := range sums {
			if !s.hasTick {
				continue
			}
			g.Measured = true
			g.Value = max(g.Value, s.lgPct)
			g.Pass = g.Pass && s.lgPct < saturated
			shown = append(shown, fmt.Sprintf("%s %.0f %%", s.side.Name, s.lgPct))
		}
		g.Pass = g.Pass && g.Measured
		g.Shown = strings.Join(shown, ", ")
		out = append(out, g)
	}
	return out
}

// ratioGoal judges "ours ÷ base ≤ limit" when measured; values gives ours
// and base.
func ratioGoal(goal string, limit float64, measured bool, values func() (float64, float64)) limitGoal {
	g := limitGoal{Goal: goal, Limit: limit}
	if !measured {
		return g
	}
	o, b := values()
	if b <= 0 {
		return g
	}
	return atMost(goal, o/b, limit, true, "%.2f×")
}

// h2Tables renders the summary, the goals and what was negotiated in
// Markdown.
func h2Tables(sums []h2Summary, o h2Options) string {
	var cols []*h2Summary
	for _, name := range []string{h2Base, ours} {
		if s := findH2(sums, name); s != nil {
			cols = append(cols, s)
		}
	}
	var labels []string
	for _, s := range cols {
		labels = append(labels, s.side.Label)
	}
	t := newCmpTable(labels, cols, findH2(sums, h2Base), findH2(sums, ours), "workerman-go ÷ net/http")
	row := t.row
	over := "TLS"
	if !o.SSETLS {
		over = "h2c"
	}
	if o.tests["idle"] {
		row(fmt.Sprintf("idle: KiB per stream, %s streams over %s HTTP/2 connections (%s), 15 s heartbeat (lower is better)", thousands(o.Streams), thousands(o.Conns), over),
			func(s *h2Summary) (float64, bool) { return s.perStream / 1024, s.hasIdle }, "%.2f", true)
		row("idle: KiB per HTTP/2 connection with its streams",
			func(s *h2Summary) (float64, bool) { return s.perConn / 1024, s.hasIdle }, "%.1f", true)
	}
	if o.tests["tick"] {
		tick := func(f func(*h2Summary) float64) func(*h2Summary) (float64, bool) {
			return func(s *h2Summary) (float64, bool) { return f(s), s.hasTick }
		}
		row(fmt.Sprintf("tick: server CPU, %% of a core, %s streams × 1 event/s over %s connections (lower is better)", thousands(o.Streams), thousands(o.Conns)),
			tick(func(s *h2Summary) float64 { return s.cpuPct }), "%.1f", true)
		row("tick: of which user, % of a core", tick(func(s *h2Summary) float64 { return s.userPct }), "%.1f", true)
		row("tick: of which system, % of a core", tick(func(s *h2Summary) float64 { return s.sysPct }), "%.1f", true)
		row("tick: server CPU µs per event (lower is better)", tick(func(s *h2Summary) float64 { return s.cpuPerEvent }), "%.2f", true)
		row("tick: server write(2) calls per event", func(s *h2Summary) (float64, bool) { return s.writesPerEvent, s.hasWrites }, "%.3f", true)
		row("tick: events/s received", tick(func(s *h2Summary) float64 { return s.evPerSec }), "%.0f", true)
		row("tick: latency p50 µs, timer to receipt", tick(func(s *h2Summary) float64 { return s.p50 }), "%.0f", true)
		row("tick: latency p99 µs", tick(func(s *h2Summary) float64 { return s.p99 }), "%.0f", true)
		row("tick: load generator CPU, % of its core", tick(func(s *h2Summary) float64 { return s.lgPct }), "%.1f", false)
		row("tick: load generator CPU µs per event", tick(func(s *h2Summary) float64 { return s.lgPerEvent }), "%.2f", false)
	}
	for _, v := range []struct{ test, what string }{{"requests", "TLS"}, {"requests-h2c", "h2c"}} {
		if !o.tests[v.test] {
			continue
		}
		req := func(f func(h2ReqSummary) float64, has func(h2ReqSummary) bool) func(*h2Summary) (float64, bool) {
			return func(s *h2Summary) (float64, bool) { r := s.req[v.test]; return f(r), has(r) }
		}
		has := func(r h2ReqSummary) bool { return r.has }
		row(fmt.Sprintf("hello over %s: requests/s (h2load -c%d -m%d; higher is better)", v.what, o.H2loadConns, o.H2loadStreams),
			req(func(r h2ReqSummary) float64 { return r.rps }, has), "%.0f", true)
		row(fmt.Sprintf("hello over %s: mean µs per request", v.what), req(func(r h2ReqSummary) float64 { return r.mean }, has), "%.0f", true)
		row(fmt.Sprintf("hello over %s: server CPU µs per request (lower is better)", v.what),
			req(func(r h2ReqSummary) float64 { return r.cpu }, func(r h2ReqSummary) bool { return r.hasCPU }), "%.2f", true)
		row(fmt.Sprintf("hello over %s: of which system µs", v.what),
			req(func(r h2ReqSummary) float64 { return r.sys }, func(r h2ReqSummary) bool { return r.hasSys }), "%.2f", true)
		row(fmt.Sprintf("hello over %s: server write(2) calls per request", v.what),
			req(func(r h2ReqSummary) float64 { return r.writes }, func(r h2ReqSummary) bool { return r.hasWrites }), "%.3f", true)
		row(fmt.Sprintf("hello over %s: CPU busy %% of the server", v.what), req(func(r h2ReqSummary) float64 { return r.srvPct }, has), "%.0f", false)
		row(fmt.Sprintf("hello over %s: CPU busy %% of h2load", v.what), req(func(r h2ReqSummary) float64 { return r.h2loadPct }, has), "%.0f", false)
		row(fmt.Sprintf("hello over %s: h2load CPU µs per request", v.what), req(func(r h2ReqSummary) float64 { return r.lgCPU }, has), "%.2f", false)
	}
	var incomplete []string
	for _, s := range cols {
		if o.tests["idle"] && s.idleOK > 0 && s.idleOK < o.Rounds {
			incomplete = append(incomplete, fmt.Sprintf("%s idle%s", s.side.Name, roundsNote(s.idleOK, o.Rounds)))
		}
		if o.tests["tick"] && s.tickOK > 0 && s.tickOK < o.Rounds {
			incomplete = append(incomplete, fmt.Sprintf("%s tick%s", s.side.Name, roundsNote(s.tickOK, o.Rounds)))
		}
		for _, v := range []string{"requests", "requests-h2c"} {
			if r := s.req[v]; o.tests[v] && r.ok > 0 && r.ok < o.Rounds {
				incomplete = append(incomplete, fmt.Sprintf("%s %s%s", s.side.Name, v, roundsNote(r.ok, o.Rounds)))
			}
		}
	}
	var b strings.Builder
	b.WriteString(t.String())
	if len(incomplete) > 0 {
		fmt.Fprintf(&b, "\nMedians over fewer rounds: %s.\n", strings.Join(incomplete, "; "))
	}
	b.WriteString("\n")
	b.WriteString(goalsTable(evalH2Goals(sums, o)))
	b.WriteString(h2NegotiatedTable(cols))
	return b.String()
}

// h2NegotiatedTable is the table of what every test negotiated, "" when
// nothing was seen.
func h2NegotiatedTable(cols []*h2Summary) string {
	var rows []string
	tlsRow := func(server, test string, i *loadgen.TLSInfo) {
		if i == nil || i.Version == "" {
			rows = append(rows, fmt.Sprintf("| %s | %s | – | – | – | h2c (prior knowledge) | HTTP/2.0 |", server, test))
			return
		}
		rows = append(rows, fmt.Sprintf("| %s | %s | %s | %s | %s | %s | %s |", server, test, i.Version, i.CipherSuite, i.Group, i.ALPN, i.Proto))
	}
	for _, s := range cols {
		if s.hasIdle {
			tlsRow(s.side.Name, "idle (h2loadgen)", s.idleTLS)
		}
		if s.hasTick {
			tlsRow(s.side.Name, "tick (h2loadgen)", s.tickTLS)
		}
		for _, v := range []string{"requests", "requests-h2c"} {
			r, ok := s.req[v]
			if !ok || r.first == nil {
				continue
			}
			tlsRow(s.side.Name, v+" (Go client's check)", r.check)
			f := r.first
			dash := func(v string) string {
				if v == "" {
					return "–"
				}
				return oneLine(v)
			}
			rows = append(rows, fmt.Sprintf("| %s | %s (h2load) | %s | %s | %s | %s | HTTP/2 |", s.side.Name, v, dash(f.TLSProtocol), dash(f.Cipher), dash(f.TempKey), dash(f.ALPN)))
		}
	}
	if len(rows) == 0 {
		return ""
	}
	return "\nWhat was negotiated (h2loadgen: Go's crypto/tls; h2load: its OpenSSL):\n\n" +
		"| server | test | TLS version | cipher suite | key exchange | ALPN | HTTP |\n|---|---|---|---|---|---|---|\n" +
		strings.Join(rows, "\n") + "\n"
}

// notes are the caveats of the run that a reader of the tables needs.
func (d *h2Driver) notes() string {
	var others []float64
	for _, r := range d.tick {
		if r.OK {
			others = append(others, r.OtherCPUPct)
		}
	}
	for _, r := range d.requests {
		if r.OK {
			others = append(others, r.OtherCPUPct)
		}
	}
	var b strings.Builder
	b.WriteString(noisyNote(others, "tick and requests rounds", "rates and latencies", "CPU figures"))
	var bound []string
	for _, s := range d.summarize() {
		for _, v := range []string{"requests", "requests-h2c"} {
			if r := s.req[v]; r.has && r.h2loadPct >= saturated {
				bound = append(bound, fmt.Sprintf("%s (%s)", s.side.Name, v))
			}
		}
	}
	b.WriteString(saturatedNote(bound, "h2load", "requests/s", "CPU µs/request"))
	return b.String()
}

// h2Legend explains the figures.
const h2Legend = `Figures are medians over the rounds that succeeded; ratios are ratios of medians (workerman-go ÷ net/http: below 1 is better for memory, CPU and latency, above 1 for requests/s and events/s).
- **idle: KiB per stream**: (server RSS with the streams open − RSS before) ÷ streams, RSS from /proc/PID/smaps_rollup summed over the server's process tree, read once every stream has its response head, the server holds the connections' descriptors and the settle time has passed. The streams are multiplexed over the HTTP/2 connections (bench/cmd/h2loadgen: one goroutine per connection, none per stream); each has its 15 s heartbeat and nothing else. **KiB per HTTP/2 connection**: the same delta ÷ connections. Kernel socket buffers are not in RSS.
- **tick: server CPU**: user+system CPU time of the server's process tree (/proc/PID/stat, 10 ms resolution) over the measured window, in % of one core, while every stream receives one event per second from its own timer (connection timer / time.Ticker); **µs per event**: that CPU time ÷ the events received in the window; **events/s received** checks the load (it should be the number of streams). Over HTTP/2 the events of one connection's streams share its socket: a write can carry several streams' DATA frames. h2loadgen opens a connection's streams together, as a page opens its EventSources, so their timers tick within the same millisecond: workerman-go writes what the timers of one tick sent to a connection once (after at most 100 µs), net/http when its connection's writer goroutine gets to it. Streams of one connection whose timers were spread over the second would take about one write per event on both servers.
- **tick: latency**: from the timestamp the server puts in the event's data when its timer fires to the load generator's receipt of the DATA frame (CLOCK_REALTIME on both sides, one machine).
- **tick: load generator CPU**: h2loadgen's own CPU over the window (getrusage), to show that it was not the bottleneck.
- **hello: requests/s**: h2load's req/s over the measured run (-D seconds; a separate -warmup run on the same server before it), with -c connections each keeping -m requests in flight; **mean µs per request**: h2load's "time for request" mean; **server CPU µs per request**: the server's CPU from just before h2load started to just after it exited ÷ the requests done (the connections' set-up, TLS handshakes included, is in the window); **of which system**: its kernel part. **CPU busy %**: of the server and of h2load over that window, in % of one core.
- **other CPU %** (per round): everything else that kept the machine's CPUs busy during the window, from /proc/stat. Above about 25 % of a core the round is disturbed.
`

// settings describes the run.
func (d *h2Driver) settings() string {
	o := d.o
	var b strings.Builder
	fmt.Fprintf(&b, "- run: %s, %s mode, %d rounds, tests %s, server order rotated each round, a fresh server for every test\n",
		d.started.UTC().Format("2006-01-02 15:04:05 UTC"), modeName(o.Quick), o.Rounds, o.Tests)
	for _, s := range d.sides {
		fmt.Fprintf(&b, "- %s = %s: hello server %s (%s), SSE server %s (%s)\n", s.Name, s.Label, s.Hello.Pkg, s.Hello.Label, s.SSE.Pkg, s.SSE.Label)
	}
	fmt.Fprintf(&b, "- certificate: a test CA and a server certificate for %s, 127.0.0.1 and ::1, both ECDSA P-256, made at run time with crypto/x509; every server gets -tls-cert/-tls-key with the same files\n", testcert.Name)
	fmt.Fprintf(&b, "- machine: %s\n", d.machine())
	fmt.Fprintf(&b, "- pinning: %s\n", d.pinSummary())
	if o.tests["idle"] || o.tests["tick"] {
		fmt.Fprintf(&b, "- idle, tick: %s event streams over %s HTTP/2 connections (%s; %d streams per connection at most), one bench/cmd/h2loadgen process; idle: servers -mode idle (heartbeat every 15 s), RSS read %v after all streams are up and accepted; tick: servers -mode tick, %v measured after %v\n",
			thousands(o.Streams), thousands(o.Conns), d.sseTransport(), (o.Streams+o.Conns-1)/o.Conns, o.IdleSettle, o.TickDuration, o.TickWarmup)
	}
	if o.requests() {
		warmup := "no warm-up"
		if o.Warmup > 0 {
			warmup = fmt.Sprintf("after an unmeasured %v run on the same server", o.Warmup)
		}
		fmt.Fprintf(&b, "- requests: `%s %s` (https: TLS, ALPN h2; requests-h2c: http://, h2c by prior knowledge) %s; each server first checked with net/http's client over HTTP/2 (TLS: the CA verified, h2 required) with two requests on one connection (200 %q)\n",
			d.h2loadVersion, strings.Join(h2loadArgs(o.H2loadConns, o.H2loadStreams, o.H2loadThreads, int(o.Duration/time.Second), "https://127.0.0.1:PORT/"), " "), warmup, helloBody)
	}
	return b.String()
}

// pinSummary describes the pinning and what the rounds showed of the
// servers and the load generators.
func (d *h2Driver) pinSummary() string {
	infos := map[string][]serverInfo{}
	lgs := map[string]bool{}
	for _, r := range d.idle {
		infos[r.Server] = append(infos[r.Server], r.ServerInfo)
	}
	for _, r := range d.tick {
		infos[r.Server] = append(infos[r.Server], r.ServerInfo)
		if r.LoadgenCPUs != "" {
			lgs[fmt.Sprintf("h2loadgen: CPUs %s, GOMAXPROCS %d", r.LoadgenCPUs, r.LoadgenGOMAXPROCS)] = true
		}
	}
	for _, r := range d.requests {
		infos[r.Server] = append(infos[r.Server], r.ServerInfo)
		if r.H2loadInfo.CPUs != "" {
			lgs[fmt.Sprintf("h2load: CPUs %s, %d threads", r.H2loadInfo.CPUs, r.H2loadInfo.Threads)] = true
		}
	}
	return d.harness.pinSummary(seenSummary(d.sideSpecs(), infos), "h2loadgen's own report and h2load's threads (/proc)", joinKeys(lgs, " | "))
}

// perRound is the tables of every round.
func (d *h2Driver) perRound() string {
	var b strings.Builder
	if len(d.idle) > 0 {
		b.WriteString("### Idle\n\n")
		b.WriteString(h2IdleTable(d.idle))
	}
	if len(d.tick) > 0 {
		b.WriteString("\n### Tick\n\n")
		b.WriteString(h2TickTable(d.tick))
	}
	if len(d.requests) > 0 {
		b.WriteString("\n### Requests (h2load)\n\n")
		b.WriteString(h2RequestsTable(d.requests))
	}
	return b.String()
}

// h2IdleTable is the per-round table of idle measurements.
func h2IdleTable(recs []h2IdleRecord) string {
	var b strings.Builder
	b.WriteString("| round | server | streams | connections | RSS before MiB | RSS after MiB | KiB/stream | server fds before → after | server CPUs / threads / listeners | status |\n|---:|---|---:|---:|---:|---:|---:|---|---|---|\n")
	for _, r := range recs {
		fmt.Fprintf(&b, "| %d | %s | %d | %d | %.1f | %.1f | %.2f | %d → %d | %s | %s |\n",
			r.Round, r.Server, r.Streams, r.Conns, mib(r.RSSBefore), mib(r.RSSAfter), r.BytesPerStream/1024, r.FDsBefore, r.FDsAfter, r.ServerInfo.String(), status(r.OK, r.Error))
	}
	return b.String()
}

// h2TickTable is the per-round table of tick measurements.
func h2TickTable(recs []h2TickRecord) string {
	var b strings.Builder
	b.WriteString("| round | server | streams | connections | events/s received | server CPU % | of which system % | server CPU µs/event | server writes/event | p50 µs | p99 µs | load gen CPU % | load gen µs/event | other CPU % | server CPUs / threads / listeners | status |\n|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|\n")
	for _, r := range recs {
		fmt.Fprintf(&b, "| %d | %s | %d | %d | %.0f | %.1f | %.1f | %.2f | %.3f | %.0f | %.0f | %.1f | %.2f | %.0f | %s | %s |\n",
			r.Round, r.Server, r.Streams, r.Conns, r.EventsPerSec, r.ServerCPUPct, r.ServerSysPct, r.ServerCPUusPerEvent, r.WritesPerEvent, r.P50us, r.P99us,
			r.ClientCPUPct, r.ClientCPUusPerEvent, r.OtherCPUPct, r.ServerInfo.String(), status(r.OK, r.Error))
	}
	return b.String()
}

// h2RequestsTable is the per-round table of requests measurements.
func h2RequestsTable(recs []h2RequestsRecord) string {
	var b strings.Builder
	b.WriteString("| round | test | server | requests/s | mean µs | max µs | server CPU µs/req (system) | server writes/req | h2load CPU µs/req | server CPU % | h2load CPU % | other CPU % | server CPUs / threads / listeners | status |\n|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|\n")
	for _, r := range recs {
		fmt.Fprintf(&b, "| %d | %s | %s | %.0f | %.0f | %.0f | %.2f (%.2f) | %.3f | %.2f | %.0f | %.0f | %.0f | %s | %s |\n",
			r.Round, r.Variant, r.Server, r.RequestsPerSec, r.MeanUs, r.MaxUs, r.ServerCPUusPerReq, r.ServerSysUsPerReq, r.WritesPerReq, r.H2loadCPUusPerReq,
			r.ServerCPUPct, r.H2loadCPUPct, r.OtherCPUPct, r.ServerInfo.String(), status(r.OK, r.Error))
	}
	return b.String()
}

// rawJSON is the machine-readable record of the run, without the latency
// histograms of the load generator lines.
func (d *h2Driver) rawJSON() ([]byte, error) {
	idle := append([]h2IdleRecord(nil), d.idle...)
	for i := range idle {
		idle[i].Loadgen = stripHists(idle[i].Loadgen)
	}
	return json.MarshalIndent(struct {
		Started       time.Time          `json:"started"`
		Options       h2Options          `json:"options"`
		Pinning       pinning            `json:"pinning"`
		Servers       []h2Side           `json:"servers"`
		Certs         testcert.Files     `json:"certs"`
		Goals         []limitGoal        `json:"goals"`
		H2loadVersion string             `json:"h2load_version,omitempty"`
		Machine       machine            `json:"machine"`
		Idle          []h2IdleRecord     `json:"idle"`
		Tick          []h2TickRecord     `json:"tick"`
		Requests      []h2RequestsRecord `json:"requests"`
	}{d.started.UTC(), d.o, d.pin, d.sides, d.certs, evalH2Goals(d.summarize(), d.o), d.h2loadVersion, d.machine(),
		idle, d.tick, d.requests}, "", "  ")
}

// report prints the tables and writes the results file.
func (d *h2Driver) report() error {
	return d.harness.report(d.o.Out, results{
		kind: "h2", title: "HTTP/2 benchmark",
		tables: h2Tables(d.summarize(), d.o), notes: d.notes(), legend: h2Legend,
		settings: d.settings(), perRound: d.perRound(), raw: d.rawJSON,
	})
}
