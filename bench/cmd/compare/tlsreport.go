package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/workerman-go/workerman/bench/internal/testcert"
	"github.com/workerman-go/workerman/bench/loadgen"
)

// tlsBase is the server the ratios divide by.
const tlsBase = "net"

// Goals of the project for TLS (issue 11).
const (
	goalTLSRequests  = 1.2     // requests/s of ours, at least this × net/http's
	goalTLSSSEMemory = 1.0 / 3 // RSS per idle TLS stream, at most this × net/http's
)

// tlsSummary holds the medians of one server over its successful rounds.
type tlsSummary struct {
	side tlsSide

	reqOK          int
	hasReq         bool
	rps, p50, p99  float64
	cpuPerReq      float64
	srvPct, wrkPct float64

	hsOK                  int
	hasHS                 bool
	hsRate, hsP50, hsP99  float64
	cpuPerHS, sysPerHS    float64
	clientPerHS           float64
	hsSrvPct, hsClientPct float64
	idleOK, sseOK         int
	hasIdle, hasSSE       bool
	idle, sse             float64 // bytes per connection / stream
	// what each test negotiated (the first successful round's)
	reqInfo, hsInfo, idleInfo, sseInfo *loadgen.TLSInfo
}

func (d *tlsDriver) summarize() []tlsSummary {
	return summarizeTLS(d.sides, d.requests, d.handshakes, d.idle, d.sse)
}

func summarizeTLS(sides []tlsSide, req []tlsRequestsRecord, hs []handshakeRecord, idle, sse []tlsIdleRecord) []tlsSummary {
	var out []tlsSummary
	for _, s := range sides {
		sm := tlsSummary{side: s}
		var rps, p50, p99, cpu, srv, wrk []float64
		for _, r := range req {
			if r.Server != s.Name || !r.OK {
				continue
			}
			rps = append(rps, r.RequestsPerSec)
			p50 = append(p50, r.P50us)
			p99 = append(p99, r.P99us)
			cpu = append(cpu, r.ServerCPUusPerReq)
			srv = append(srv, r.ServerCPUPct)
			wrk = append(wrk, r.WrkCPUPct)
			if sm.reqInfo == nil {
				sm.reqInfo = r.TLS
			}
		}
		sm.reqOK = len(rps)
		sm.rps, sm.hasReq = median(rps)
		sm.p50, _ = median(p50)
		sm.p99, _ = median(p99)
		sm.cpuPerReq, _ = median(cpu)
		sm.srvPct, _ = median(srv)
		sm.wrkPct, _ = median(wrk)

		var rate, hp50, hp99, cph, sph, clh, hsrv, hcl []float64
		for _, r := range hs {
			if r.Server != s.Name || !r.OK {
				continue
			}
			rate = append(rate, r.PerSec)
			hp50 = append(hp50, r.P50us)
			hp99 = append(hp99, r.P99us)
			cph = append(cph, r.ServerCPUusPerHS)
			sph = append(sph, r.ServerSysUsPerHS)
			clh = append(clh, r.ClientCPUusPerHS)
			hsrv = append(hsrv, r.ServerCPUPct)
			hcl = append(hcl, r.ClientCPUPct)
			if sm.hsInfo == nil {
				sm.hsInfo = r.TLS
			}
		}
		sm.hsOK = len(rate)
		sm.hsRate, sm.hasHS = median(rate)
		sm.hsP50, _ = median(hp50)
		sm.hsP99, _ = median(hp99)
		sm.cpuPerHS, _ = median(cph)
		sm.sysPerHS, _ = median(sph)
		sm.clientPerHS, _ = median(clh)
		sm.hsSrvPct, _ = median(hsrv)
		sm.hsClientPct, _ = median(hcl)

		sm.idle, sm.idleOK, sm.hasIdle = tlsIdleMedian(idle, s.Name)
		sm.sse, sm.sseOK, sm.hasSSE = tlsIdleMedian(sse, s.Name)
		for _, r := range sse {
			if r.Server == s.Name && r.TLS != nil && sm.sseInfo == nil {
				sm.sseInfo = r.TLS
			}
		}
		for _, r := range idle {
			if r.Server == s.Name && r.TLS != nil && sm.idleInfo == nil {
				sm.idleInfo = r.TLS
			}
		}
		out = append(out, sm)
	}
	return out
}

// tlsIdleMedian is idleMedian for TLS idle records.
func tlsIdleMedian(recs []tlsIdleRecord, server string) (float64, int, bool) {
	plain := make([]idleRecord, len(recs))
	for i, r := range recs {
		plain[i] = r.idleRecord
	}
	return idleMedian(plain, server)
}

func findTLS(sums []tlsSummary, name string) *tlsSummary {
	for i := range sums {
		if sums[i].side.Name == name {
			return &sums[i]
		}
	}
	return nil
}

// evalTLSGoals judges the goals on the medians.
func evalTLSGoals(sums []tlsSummary) []limitGoal {
	o, b := findTLS(sums, ours), findTLS(sums, tlsBase)
	var out []limitGoal

	g := limitGoal{Goal: fmt.Sprintf("keep-alive requests/s over TLS of workerman-go ≥ %.1f× net/http's", goalTLSRequests), Limit: goalTLSRequests}
	if o != nil && b != nil && o.hasReq && b.hasReq && b.rps > 0 {
		g.Measured, g.Value = true, o.rps/b.rps
		g.Pass = g.Value >= g.Limit
		g.Shown = fmt.Sprintf("%.2f×", g.Value)
		var why []string
		if o.wrkPct >= saturated || b.wrkPct >= saturated {
			why = append(why, "wrk-bound")
		}
		if o.cpuPerReq > 0 && b.cpuPerReq > 0 {
			why = append(why, fmt.Sprintf("by server CPU %.2f×", b.cpuPerReq/o.cpuPerReq))
		}
		if len(why) > 0 {
			g.Shown += " (" + strings.Join(why, "; ") + ")"
		}
	}
	out = append(out, g)

	g = limitGoal{Goal: "RSS per idle TLS event stream of workerman-go ≤ 1/3 of net/http's", Limit: goalTLSSSEMemory}
	if o != nil && b != nil && o.hasSSE && b.hasSSE && b.sse > 0 {
		g.Measured, g.Value = true, o.sse/b.sse
		g.Shown = fmt.Sprintf("%.2f×", g.Value)
		g.Pass = g.Value <= g.Limit
	}
	out = append(out, g)
	return out
}

// tlsTables renders the summary, the negotiated parameters and the goals
// in Markdown.
func tlsTables(sums []tlsSummary, o tlsOptions) string {
	var cols []*tlsSummary
	for _, name := range []string{tlsBase, ours} {
		if s := findTLS(sums, name); s != nil {
			cols = append(cols, s)
		}
	}
	base, our := findTLS(sums, tlsBase), findTLS(sums, ours)
	var labels []string
	for _, s := range cols {
		labels = append(labels, s.side.Label)
	}
	t := newCmpTable(labels, cols, base, our, "workerman-go ÷ net/http")
	row := t.row
	if o.tests["requests"] {
		req := func(f func(*tlsSummary) float64) func(*tlsSummary) (float64, bool) {
			return func(s *tlsSummary) (float64, bool) { return f(s), s.hasReq }
		}
		row(fmt.Sprintf("keep-alive requests/s over TLS (wrk, %d connections; higher is better)", o.Conns), req(func(s *tlsSummary) float64 { return s.rps }), "%.0f", true)
		row("request latency p50 µs", req(func(s *tlsSummary) float64 { return s.p50 }), "%.0f", true)
		row("request latency p99 µs", req(func(s *tlsSummary) float64 { return s.p99 }), "%.0f", true)
		row("server CPU µs per request (lower is better)", req(func(s *tlsSummary) float64 { return s.cpuPerReq }), "%.2f", true)
		row("CPU busy % of the server", req(func(s *tlsSummary) float64 { return s.srvPct }), "%.0f", false)
		row("CPU busy % of wrk", req(func(s *tlsSummary) float64 { return s.wrkPct }), "%.0f", false)
	}
	if o.tests["handshakes"] {
		hs := func(f func(*tlsSummary) float64) func(*tlsSummary) (float64, bool) {
			return func(s *tlsSummary) (float64, bool) { return f(s), s.hasHS }
		}
		row(fmt.Sprintf("new connections/s, each a full handshake + 1 request (%d workers; higher is better)", o.HSConns), hs(func(s *tlsSummary) float64 { return s.hsRate }), "%.0f", true)
		row("handshake p50 µs (connect → handshake done)", hs(func(s *tlsSummary) float64 { return s.hsP50 }), "%.0f", true)
		row("handshake p99 µs", hs(func(s *tlsSummary) float64 { return s.hsP99 }), "%.0f", true)
		row("server CPU µs per handshake (lower is better)", hs(func(s *tlsSummary) float64 { return s.cpuPerHS }), "%.1f", true)
		row("… of which system (kernel) µs", hs(func(s *tlsSummary) float64 { return s.sysPerHS }), "%.1f", true)
		row("load generator CPU µs per handshake", hs(func(s *tlsSummary) float64 { return s.clientPerHS }), "%.1f", false)
		row("CPU busy % of the server", hs(func(s *tlsSummary) float64 { return s.hsSrvPct }), "%.0f", false)
		row("CPU busy % of the load generator", hs(func(s *tlsSummary) float64 { return s.hsClientPct }), "%.0f", false)
	}
	if o.tests["idle"] {
		row(fmt.Sprintf("idle TLS connections: KiB per connection, %s after a handshake and a request (lower is better)", thousands(o.IdleConns)),
			func(s *tlsSummary) (float64, bool) { return s.idle / 1024, s.hasIdle }, "%.2f", true)
	}
	if o.tests["sse"] {
		row(fmt.Sprintf("idle TLS event streams: KiB per stream, %s with a 15 s heartbeat (lower is better)", thousands(o.IdleConns)),
			func(s *tlsSummary) (float64, bool) { return s.sse / 1024, s.hasSSE }, "%.2f", true)
	}
	var incomplete []string
	for _, s := range cols {
		for _, c := range []struct {
			test string
			ok   int
		}{{"requests", s.reqOK}, {"handshakes", s.hsOK}, {"idle", s.idleOK}, {"sse", s.sseOK}} {
			if o.tests[c.test] && c.ok > 0 && c.ok < o.Rounds {
				incomplete = append(incomplete, fmt.Sprintf("%s %s%s", s.side.Name, c.test, roundsNote(c.ok, o.Rounds)))
			}
		}
	}
	var b strings.Builder
	b.WriteString(t.String())
	if len(incomplete) > 0 {
		fmt.Fprintf(&b, "\nMedians over fewer rounds: %s.\n", strings.Join(incomplete, "; "))
	}
	b.WriteString("\n")
	b.WriteString(goalsTable(evalTLSGoals(sums)))
	b.WriteString("\nWhat was negotiated (the load generator's and the check's Go client, offering ALPN h2 and http/1.1; wrk's OpenSSL may choose other parameters):\n\n")
	b.WriteString("| server | test | TLS version | cipher suite | key exchange | ALPN | HTTP | resumed handshakes |\n|---|---|---|---|---|---|---|---:|\n")
	for _, s := range cols {
		for _, c := range []struct {
			test string
			info *loadgen.TLSInfo
		}{{"requests (check)", s.reqInfo}, {"handshakes", s.hsInfo}, {"idle", s.idleInfo}, {"sse", s.sseInfo}} {
			if i := c.info; i != nil {
				fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %d |\n", s.side.Name, c.test, i.Version, i.CipherSuite, i.Group, i.ALPN, i.Proto, i.Resumed)
			}
		}
	}
	return b.String()
}

// notes are the caveats of the run that a reader of the tables needs.
func (d *tlsDriver) notes() string {
	var others []float64
	for _, r := range d.requests {
		if r.OK {
			others = append(others, r.OtherCPUPct)
		}
	}
	for _, r := range d.handshakes {
		if r.OK {
			others = append(others, r.OtherCPUPct)
		}
	}
	var b strings.Builder
	b.WriteString(noisyNote(others, "requests and handshakes rounds", "rates", "CPU figures"))
	var wrkBound, lgBound []string
	for _, s := range d.summarize() {
		if s.hasReq && s.wrkPct >= saturated {
			wrkBound = append(wrkBound, s.side.Name)
		}
		if s.hasHS && s.hsClientPct >= saturated {
			lgBound = append(lgBound, s.side.Name)
		}
	}
	b.WriteString(saturatedNote(wrkBound, "wrk", "requests/s", "CPU µs/request"))
	b.WriteString(saturatedNote(lgBound, "The load generator (handshakes)", "connections/s", "CPU µs per handshake"))
	return b.String()
}

// tlsLegend explains the figures.
const tlsLegend = `Figures are medians over the rounds that succeeded; ratios are ratios of medians (workerman-go ÷ net/http: above 1 is better for rates, below 1 for CPU, latency and memory).
- **keep-alive requests/s over TLS**: wrk's Requests/sec (wrk -t1 -c100, https; its OpenSSL makes 100 handshakes at the start of the run, then requests one at a time per connection, kept alive), as in the http benchmark; **server CPU µs per request**: user+system CPU of the server's process tree from just before wrk starts to just after it exits ÷ the requests (its 100 handshakes, made at the start of the run, are in the window: about 50 ms of server CPU, about 1 % of it).
- **new connections/s**: the load generator's tls-handshake mode: its workers each connect, make a full TLS handshake (no session cache, no tickets: never a resumption, checked), send one request with "Connection: close", read the answer and close, one connection after the other; the connections completed in the measured window ÷ its length. **handshake p50/p99**: from the start of the connect to the end of the client's handshake. **server CPU µs per handshake**: the server's CPU over the window ÷ those connections (the request and the TCP connection set-up and tear-down are in it). The load generator checks the certificate chain against the CA on its first handshake and then requires the same certificate (signature over the handshake included, as TLS always does), to spend its core on handshakes rather than on verifying the same chain again.
- **idle TLS connections / event streams: KiB**: (server RSS with the connections open − RSS with the ten warm-up connections open, which are opened first so that what a fresh process does once for its first connections is in it) ÷ the other connections, RSS from /proc/PID/smaps_rollup, read once every client has finished its handshake and its request (the stream's head), the server holds all the descriptors and the settle time has passed; the clients are several load generator processes bound to several loopback source addresses. Kernel socket memory is not in RSS.
- **other CPU %** (per round): everything else that kept the machine's CPUs busy during the window, from /proc/stat. Above about 25 % of a core the round is disturbed.
`

// settings describes the run.
func (d *tlsDriver) settings() string {
	o := d.o
	warmup := "no warm-up"
	if o.Warmup > 0 {
		warmup = fmt.Sprintf("after an unmeasured %v run on the same server", o.Warmup)
	}
	verify := "the chain verified on each load generator's first handshake, the same certificate required on the others"
	if o.VerifyEach {
		verify = "the chain verified on every handshake (-verify-each)"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "- run: %s, %s mode, %d rounds, tests %s, server order rotated each round, a fresh server for every test\n",
		d.started.UTC().Format("2006-01-02 15:04:05 UTC"), modeName(o.Quick), o.Rounds, o.Tests)
	for _, s := range d.sides {
		fmt.Fprintf(&b, "- %s = %s: hello server %s (%s), SSE server %s (%s)\n", s.Name, s.Label, s.Hello.Pkg, s.Hello.Label, s.SSE.Pkg, s.SSE.Label)
	}
	fmt.Fprintf(&b, "- certificate: a test CA and a server certificate for %s, 127.0.0.1 and ::1, both ECDSA P-256, made at run time with crypto/x509; every server gets -tls-cert/-tls-key with the same files\n", testcert.Name)
	fmt.Fprintf(&b, "- machine: %s\n", d.machine())
	fmt.Fprintf(&b, "- pinning: %s\n", d.pinSummary())
	if o.tests["requests"] {
		fmt.Fprintf(&b, "- requests: `%s %s` %s; each server first checked over TLS (the CA verified, ALPN h2 and http/1.1 offered: http/1.1 required) with two requests on one connection (HTTP/1.1 200 %q, kept alive)\n",
			d.wrkVersion, strings.Join(wrkURLArgs(o.Threads, o.Conns, int(o.Duration/time.Second), "https://127.0.0.1:PORT/"), " "), warmup, helloBody)
	}
	if o.tests["handshakes"] {
		fmt.Fprintf(&b, "- handshakes: bench/loadgen -mode tls-handshake, %d workers, %v measured after %v; %s\n", o.HSConns, o.Duration, o.Warmup, verify)
	}
	if o.tests["idle"] || o.tests["sse"] {
		fmt.Fprintf(&b, "- idle, sse: %s connections (streams: ssewm/ssenet -mode idle, heartbeat every 15 s) over %d bench/loadgen processes (-mode tls-idle, tls-sse; crypto/tls, a goroutine per connection), RSS read %v after all are up and accepted; %s\n",
			thousands(o.IdleConns), o.IdleProcs, o.IdleSettle, verify)
	}
	fmt.Fprintf(&b, "- load generator source addresses: %s\n", sourceLabel(o.Src))
	if len(d.profiles) > 0 {
		fmt.Fprintf(&b, "- CPU profiles (-cpuprofile): %s\n", strings.Join(d.profiles, ", "))
	}
	return b.String()
}

// pinSummary describes the pinning and what the rounds showed of the
// servers and the load generators.
func (d *tlsDriver) pinSummary() string {
	infos := map[string][]serverInfo{}
	lgs := map[string]bool{}
	for _, r := range d.requests {
		infos[r.Server] = append(infos[r.Server], r.ServerInfo)
		if r.WrkInfo.CPUs != "" {
			lgs[fmt.Sprintf("wrk: CPUs %s, %d threads", r.WrkInfo.CPUs, r.WrkInfo.Threads)] = true
		}
	}
	for _, r := range d.handshakes {
		infos[r.Server] = append(infos[r.Server], r.ServerInfo)
		if r.LoadgenCPUs != "" {
			lgs[fmt.Sprintf("load generator: CPUs %s, GOMAXPROCS %d", r.LoadgenCPUs, r.LoadgenGOMAXPROC)] = true
		}
	}
	for _, recs := range [][]tlsIdleRecord{d.idle, d.sse} {
		for _, r := range recs {
			infos[r.Server] = append(infos[r.Server], r.ServerInfo)
		}
	}
	return d.harness.pinSummary(seenSummary(d.sideSpecs(), infos), "wrk's threads half a second into each run, the load generators' own reports", joinKeys(lgs, " | "))
}

// perRound is the tables of every round.
func (d *tlsDriver) perRound() string {
	var b strings.Builder
	if len(d.requests) > 0 {
		b.WriteString("### Requests\n\n| round | server | requests/s | p50 µs | p75 µs | p90 µs | p99 µs | server CPU µs/req | wrk CPU µs/req | server CPU % | wrk CPU % | other CPU % | server CPUs / threads / listeners | status |\n")
		b.WriteString("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|\n")
		for _, r := range d.requests {
			var w wrkResult
			if r.Wrk != nil {
				w = *r.Wrk
			}
			fmt.Fprintf(&b, "| %d | %s | %.0f | %.0f | %.0f | %.0f | %.0f | %.2f | %.2f | %.0f | %.0f | %.0f | %s | %s |\n",
				r.Round, r.Server, r.RequestsPerSec, w.P50us, w.P75us, w.P90us, w.P99us, r.ServerCPUusPerReq, r.WrkCPUusPerReq,
				r.ServerCPUPct, r.WrkCPUPct, r.OtherCPUPct, r.ServerInfo.String(), status(r.OK, r.Error))
		}
	}
	if len(d.handshakes) > 0 {
		b.WriteString("\n### Handshakes\n\n| round | server | connections | window s | connections/s | handshake p50 µs | p99 µs | server CPU µs/handshake (system) | load gen CPU µs/handshake | server CPU % | load gen CPU % | other CPU % | server CPUs / threads / listeners | status |\n")
		b.WriteString("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|\n")
		for _, r := range d.handshakes {
			fmt.Fprintf(&b, "| %d | %s | %d | %.2f | %.0f | %.0f | %.0f | %.1f (%.1f) | %.1f | %.0f | %.0f | %.0f | %s | %s |\n",
				r.Round, r.Server, r.Handshakes, r.WindowSec, r.PerSec, r.P50us, r.P99us, r.ServerCPUusPerHS, r.ServerSysUsPerHS, r.ClientCPUusPerHS,
				r.ServerCPUPct, r.ClientCPUPct, r.OtherCPUPct, r.ServerInfo.String(), status(r.OK, r.Error))
		}
	}
	for _, t := range []struct {
		title, unit string
		recs        []tlsIdleRecord
	}{{"Idle TLS connections", "conn", d.idle}, {"Idle TLS event streams", "stream", d.sse}} {
		if len(t.recs) == 0 {
			continue
		}
		plain := make([]idleRecord, len(t.recs))
		for i, r := range t.recs {
			plain[i] = r.idleRecord
		}
		fmt.Fprintf(&b, "\n### %s\n\n", t.title)
		b.WriteString(idleTable(plain, t.unit))
	}
	return b.String()
}

// rawJSON is the machine-readable record of the run, without the latency
// histograms of the load generator lines.
func (d *tlsDriver) rawJSON() ([]byte, error) {
	strip := func(recs []tlsIdleRecord) []tlsIdleRecord {
		out := append([]tlsIdleRecord(nil), recs...)
		for i := range out {
			out[i].Loadgen = stripHists(out[i].Loadgen)
		}
		return out
	}
	return json.MarshalIndent(struct {
		Started    time.Time           `json:"started"`
		Options    tlsOptions          `json:"options"`
		Pinning    pinning             `json:"pinning"`
		Servers    []tlsSide           `json:"servers"`
		Certs      testcert.Files      `json:"certs"`
		Goals      []limitGoal         `json:"goals"`
		WrkVersion string              `json:"wrk_version,omitempty"`
		Machine    machine             `json:"machine"`
		Requests   []tlsRequestsRecord `json:"requests"`
		Handshakes []handshakeRecord   `json:"handshakes"`
		Idle       []tlsIdleRecord     `json:"idle"`
		SSE        []tlsIdleRecord     `json:"sse"`
	}{d.started.UTC(), d.o, d.pin, d.sides, d.certs, evalTLSGoals(d.summarize()), d.wrkVersion, d.machine(),
		d.requests, d.handshakes, strip(d.idle), strip(d.sse)}, "", "  ")
}

// report prints the tables and writes the results file.
func (d *tlsDriver) report() error {
	return d.harness.report(d.o.Out, results{
		kind: "tls", title: "TLS benchmark",
		tables: tlsTables(d.summarize(), d.o), notes: d.notes(), legend: tlsLegend,
		settings: d.settings(), perRound: d.perRound(), raw: d.rawJSON,
	})
}
