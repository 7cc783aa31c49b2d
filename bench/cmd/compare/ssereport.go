package main

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"
)

// sseBase is the server the ratios divide by.
const sseBase = "net"

// fanSummary holds the medians of one server at one fan-out size.
type fanSummary struct {
	ok                      int
	has                     bool
	p50, p99, complete      float64 // µs
	delivered               float64 // events/s in the burst
	cpuPerEvent             float64 // server µs per delivered event, whole schedule
	sysPerEvent             float64 // its system part
	burstSrvPct, burstLgPct float64
}

// sseSummary holds the medians of one server over its successful rounds.
type sseSummary struct {
	server serverSpec

	idleOK  int
	hasIdle bool
	idle    float64 // bytes per stream

	tickOK                          int
	hasTick                         bool
	cpuPct, usPerEvent, evPerSec    float64
	sysPct                          float64 // system part of cpuPct
	tickP50, tickP99, tickClientPct float64

	fan map[int]fanSummary // by subscribers
}

func (d *sseDriver) summarize() []sseSummary {
	return summarizeSSE(d.servers, d.idle, d.tick, d.fan)
}

func summarizeSSE(servers []serverSpec, idle []idleRecord, tick []tickRecord, fan []fanoutRecord) []sseSummary {
	var out []sseSummary
	for _, s := range servers {
		sm := sseSummary{server: s}
		sm.idle, sm.idleOK, sm.hasIdle = idleMedian(idle, s.Name)

		var cpu, sys, us, eps, p50, p99, lg []float64
		for _, r := range tick {
			if r.Server == s.Name && r.OK {
				cpu = append(cpu, r.ServerCPUPct)
				sys = append(sys, r.ServerSysPct)
				us = append(us, r.ServerCPUusPerEvent)
				eps = append(eps, r.EventsPerSec)
				p50 = append(p50, r.P50us)
				p99 = append(p99, r.P99us)
				lg = append(lg, r.ClientCPUPct)
			}
		}
		sm.tickOK = len(cpu)
		sm.cpuPct, sm.hasTick = median(cpu)
		sm.usPerEvent, _ = median(us)
		sm.sysPct, _ = median(sys)
		sm.evPerSec, _ = median(eps)
		sm.tickP50, _ = median(p50)
		sm.tickP99, _ = median(p99)
		sm.tickClientPct, _ = median(lg)

		sm.fan = summarizeFanout(fan, s.Name)
		out = append(out, sm)
	}
	return out
}

// summarizeFanout returns the medians of server's successful fan-out
// rounds, by number of subscribers.
func summarizeFanout(fan []fanoutRecord, server string) map[int]fanSummary {
	byN := map[int][]fanoutRecord{}
	for _, r := range fan {
		if r.Server == server && r.OK {
			byN[r.Subscribers] = append(byN[r.Subscribers], r)
		}
	}
	out := map[int]fanSummary{}
	for n, recs := range byN {
		var p50, p99, all, del, cpe, spe, bs, bl []float64
		for _, r := range recs {
			p50 = append(p50, r.P50us)
			p99 = append(p99, r.P99us)
			all = append(all, r.CompleteP50us)
			if r.DeliveredPerSec > 0 {
				del = append(del, r.DeliveredPerSec)
				bs = append(bs, r.BurstServerCPUPct)
				bl = append(bl, r.BurstClientCPUPct)
			}
			cpe = append(cpe, r.ServerCPUusPerEvent)
			spe = append(spe, r.ServerSysUsPerEvent)
		}
		f := fanSummary{ok: len(recs)}
		f.p50, f.has = median(p50)
		f.p99, _ = median(p99)
		f.complete, _ = median(all)
		f.delivered, _ = median(del)
		f.cpuPerEvent, _ = median(cpe)
		f.sysPerEvent, _ = median(spe)
		f.burstSrvPct, _ = median(bs)
		f.burstLgPct, _ = median(bl)
		out[n] = f
	}
	return out
}

func findSSE(sums []sseSummary, name string) *sseSummary {
	for i := range sums {
		if sums[i].server.Name == name {
			return &sums[i]
		}
	}
	return nil
}

// Goals of the project for SSE.
const (
	goalIdleKiB     = 1.5  // KiB per idle stream, at most
	goalIdleRatio   = 0.2  // of net/http's, at most
	goalTickRatio   = 0.25 // server CPU, of net/http's, at most
	goalFanP99Ratio = 0.5  // p99 at the largest fan-out, of net/http's, at most
	tickTolerance   = 0.05 // events/s received within this of the streams
)

// evalSSEGoals judges the goals on the medians; streams is the number of
// tick streams and fanout the subscriber counts of the run.
func evalSSEGoals(sums []sseSummary, streams int, fanout []int) []limitGoal {
	o, b := findSSE(sums, ours), findSSE(sums, sseBase)
	var out []limitGoal

	g := limitGoal{Goal: fmt.Sprintf("idle memory of workerman-go ≤ %.1f KiB per stream", goalIdleKiB), Limit: goalIdleKiB}
	if o != nil && o.hasIdle {
		g.Measured, g.Value = true, o.idle/1024
		g.Shown = fmt.Sprintf("%.2f KiB", g.Value)
		g.Pass = g.Value <= g.Limit
	}
	out = append(out, g)

	g = limitGoal{Goal: fmt.Sprintf("idle memory per stream ≤ %s of net/http's", frac(goalIdleRatio)), Limit: goalIdleRatio}
	if o != nil && b != nil && o.hasIdle && b.hasIdle && b.idle > 0 {
		g.Measured, g.Value = true, o.idle/b.idle
		g.Shown = fmt.Sprintf("%.2f×", g.Value)
		g.Pass = g.Value <= g.Limit
	}
	out = append(out, g)

	g = limitGoal{Goal: fmt.Sprintf("server CPU with %s streams × 1 event/s ≤ %s of net/http's", thousands(streams), frac(goalTickRatio)), Limit: goalTickRatio}
	if o != nil && b != nil && o.hasTick && b.hasTick && b.cpuPct > 0 {
		g.Measured, g.Value = true, o.cpuPct/b.cpuPct
		g.Shown = fmt.Sprintf("%.2f×", g.Value)
		g.Pass = g.Value <= g.Limit
	}
	out = append(out, g)

	if len(fanout) > 0 {
		n := fanout[0]
		for _, v := range fanout {
			n = max(n, v)
		}
		g = limitGoal{Goal: fmt.Sprintf("fan-out p99 at %s subscribers ≤ %s of net/http's", thousands(n), frac(goalFanP99Ratio)), Limit: goalFanP99Ratio}
		if o != nil && b != nil && o.fan[n].has && b.fan[n].has && b.fan[n].p99 > 0 {
			g.Measured, g.Value = true, o.fan[n].p99/b.fan[n].p99
			g.Shown = fmt.Sprintf("%.2f×", g.Value)
			g.Pass = g.Value <= g.Limit
		}
		out = append(out, g)
	}

	// The check that the tick load was what it should be.
	g = limitGoal{Goal: fmt.Sprintf("check: the load generator received %s events/s (± %.0f %%) from every server", thousands(streams), tickTolerance*100), Limit: tickTolerance}
	var shown []string
	g.Pass = true
	for _, s := range sums {
		if !s.hasTick {
			continue
		}
		g.Measured = true
		dev := s.evPerSec/float64(streams) - 1
		g.Value = max(g.Value, abs(dev))
		g.Pass = g.Pass && abs(dev) <= tickTolerance
		shown = append(shown, fmt.Sprintf("%s %s", s.server.Name, thousands(int(s.evPerSec+0.5))))
	}
	g.Pass = g.Pass && g.Measured
	g.Shown = strings.Join(shown, ", ")
	out = append(out, g)
	return out
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

// frac writes 0.2 as "1/5", 0.25 as "1/4", 0.5 as "1/2".
func frac(v float64) string {
	if v > 0 && v < 1 {
		if n := 1 / v; n == float64(int(n)) {
			return fmt.Sprintf("1/%d", int(n))
		}
	}
	return fmt.Sprintf("%.2f×", v)
}

// thousands writes n with thin separators: 10000 as "10,000".
func thousands(n int) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// sseTables renders the summary and the goals in Markdown.
func sseTables(sums []sseSummary, o sseOptions) string {
	var b strings.Builder
	b.WriteString(sseCmpTable(sums, o))
	b.WriteString("\n")
	b.WriteString(goalsTable(evalSSEGoals(sums, o.Streams, o.fanout)))
	return b.String()
}

// sseCapTables renders the comparison at anchorMaxConns streams with the
// anchor (capSums; o as the run's options), after a heading.
func sseCapTables(capSums []sseSummary, o sseOptions) string {
	co := o
	co.Streams = anchorMaxConns
	co.fanout = nil
	co.tests = map[string]bool{}
	for _, t := range sseAnchorTests {
		co.tests[t] = o.tests[t]
	}
	var b strings.Builder
	fmt.Fprintf(&b, "**At %s streams, with Workerman** (select() holds about 1,000 connections; every server measured at %s streams here, so that the ratios compare like with like):\n\n",
		thousands(anchorMaxConns), thousands(anchorMaxConns))
	b.WriteString(sseCmpTable(capSums, co))
	return b.String()
}

// sseCmpTable renders the comparison table of sums (net/http, ours and the
// anchor, when there) with the ratios of ours to net/http and to the
// anchor.
func sseCmpTable(sums []sseSummary, o sseOptions) string {
	var cols []*sseSummary
	for _, name := range []string{sseBase, ours, anchorName} {
		if s := findSSE(sums, name); s != nil {
			cols = append(cols, s)
		}
	}
	base, our := findSSE(sums, sseBase), findSSE(sums, ours)
	var labels []string
	for _, s := range cols {
		labels = append(labels, s.server.Label)
	}
	ratios := []cmpRatio[sseSummary]{{base, "workerman-go ÷ net/http"}}
	if a := findSSE(sums, anchorName); a != nil {
		ratios = append(ratios, cmpRatio[sseSummary]{a, "workerman-go ÷ Workerman"})
	}
	t := newCmpTableRatios(labels, cols, our, ratios)
	row := t.row
	rounds := func(ok int) string { return roundsNote(ok, o.Rounds) }
	if o.tests["idle"] {
		row(fmt.Sprintf("idle: KiB per stream, %s streams with a 15 s heartbeat (lower is better)", thousands(o.Streams)),
			func(s *sseSummary) (float64, bool) { return s.idle / 1024, s.hasIdle }, "%.2f", true)
	}
	if o.tests["tick"] {
		name := fmt.Sprintf("tick: server CPU, %% of a core, %s streams × 1 event/s (lower is better)", thousands(o.Streams))
		row(name, func(s *sseSummary) (float64, bool) { return s.cpuPct, s.hasTick }, "%.1f", true)
		row("tick: of which user, % of a core", func(s *sseSummary) (float64, bool) { return s.cpuPct - s.sysPct, s.hasTick }, "%.1f", true)
		row("tick: of which system (kernel: the writes), % of a core", func(s *sseSummary) (float64, bool) { return s.sysPct, s.hasTick }, "%.1f", true)
		row("tick: server CPU µs per event (lower is better)", func(s *sseSummary) (float64, bool) { return s.usPerEvent, s.hasTick }, "%.2f", true)
		row("tick: events/s received", func(s *sseSummary) (float64, bool) { return s.evPerSec, s.hasTick }, "%.0f", true)
		row("tick: latency p50 µs, timer to receipt", func(s *sseSummary) (float64, bool) { return s.tickP50, s.hasTick }, "%.0f", true)
		row("tick: latency p99 µs", func(s *sseSummary) (float64, bool) { return s.tickP99, s.hasTick }, "%.0f", true)
	}
	if o.tests["fanout"] {
		for _, n := range o.fanout {
			get := func(f func(fanSummary) float64) func(*sseSummary) (float64, bool) {
				return func(s *sseSummary) (float64, bool) {
					if s.server.external() {
						return math.NaN(), true // the anchor publishes nothing: "–"
					}
					fs := s.fan[n]
					return f(fs), fs.has
				}
			}
			row(fmt.Sprintf("fan-out to %s: latency p50 µs, publish to receipt (lower is better)", thousands(n)), get(func(f fanSummary) float64 { return f.p50 }), "%.0f", true)
			row(fmt.Sprintf("fan-out to %s: latency p99 µs (lower is better)", thousands(n)), get(func(f fanSummary) float64 { return f.p99 }), "%.0f", true)
			row(fmt.Sprintf("fan-out to %s: µs from the POST to the last receipt", thousands(n)), get(func(f fanSummary) float64 { return f.complete }), "%.0f", true)
			row(fmt.Sprintf("fan-out to %s: delivered events/s, burst of %d (higher is better)", thousands(n), o.Burst), get(func(f fanSummary) float64 { return f.delivered }), "%.0f", true)
			row(fmt.Sprintf("fan-out to %s: server CPU µs per delivered event", thousands(n)), get(func(f fanSummary) float64 { return f.cpuPerEvent }), "%.2f", true)
			row(fmt.Sprintf("fan-out to %s: of which system (kernel) µs", thousands(n)), get(func(f fanSummary) float64 { return f.sysPerEvent }), "%.2f", true)
		}
	}
	var incomplete []string
	for _, s := range cols {
		if o.tests["idle"] && s.idleOK > 0 && s.idleOK < o.Rounds {
			incomplete = append(incomplete, fmt.Sprintf("%s idle%s", s.server.Name, rounds(s.idleOK)))
		}
		if o.tests["tick"] && s.tickOK > 0 && s.tickOK < o.Rounds {
			incomplete = append(incomplete, fmt.Sprintf("%s tick%s", s.server.Name, rounds(s.tickOK)))
		}
		for _, n := range o.fanout {
			if f := s.fan[n]; f.ok > 0 && f.ok < o.Rounds {
				incomplete = append(incomplete, fmt.Sprintf("%s fan-out %d%s", s.server.Name, n, rounds(f.ok)))
			}
		}
	}
	var b strings.Builder
	b.WriteString(t.String())
	if len(incomplete) > 0 {
		fmt.Fprintf(&b, "\nMedians over fewer rounds: %s.\n", strings.Join(incomplete, "; "))
	}
	return b.String()
}

// notes are the caveats of the run that a reader of the tables needs.
func (d *sseDriver) notes() string {
	var others []float64
	for _, r := range append(d.tick[:len(d.tick):len(d.tick)], d.capTick...) {
		if r.OK {
			others = append(others, r.OtherCPUPct)
		}
	}
	for _, r := range d.fan {
		if r.OK {
			others = append(others, r.OtherCPUPct)
		}
	}
	var b strings.Builder
	b.WriteString(sseAnchorNote(d.anchor, d.capServers != nil))
	b.WriteString(noisyNote(others, "tick and fan-out rounds", "latencies and rates", "CPU figures"))
	var bound []string
	for _, s := range d.summarize() {
		for _, n := range d.o.fanout {
			if f := s.fan[n]; f.has && f.burstLgPct >= saturated {
				bound = append(bound, fmt.Sprintf("%s at %s", s.server.Name, thousands(n)))
			}
		}
	}
	if len(bound) > 0 {
		fmt.Fprintf(&b, "- The load generator was (nearly) saturated during the burst, median ≥ %d %% of its CPU, with %s: delivered events/s there is bounded by the load generator as much as by the server.\n",
			saturated, strings.Join(bound, ", "))
	}
	return b.String()
}

// sseAnchorNote is the note about the Workerman anchor: why it did not
// run, or how it was measured; separate tells whether it was measured in
// the comparison at anchorMaxConns streams rather than the main one.
func sseAnchorNote(c anchorChoice, separate bool) string {
	where := fmt.Sprintf("Its column is in the main table (-streams is at most %s).", thousands(anchorMaxConns))
	if separate {
		where = fmt.Sprintf("It polls with select(), which holds about 1,000 connections, so with more streams than that its column is measured in a separate comparison at %s streams, with workerman-go and net/http at %s streams too, so that the ratios compare like with like (the table \"At %s streams, with Workerman\"; the main table has no Workerman column).",
			thousands(anchorMaxConns), thousands(anchorMaxConns), thousands(anchorMaxConns))
	}
	return anchorNote(c, "its /sse streams get one event a second each from a Workerman Timer per stream: the tick test's job. "+
		"It takes the tick and idle tests only: it has no idle mode (its idle figure is with one event a second per stream, no heartbeat) and publishes nothing (fan-out: –). "+
		"Its events carry (string)microtime(true), seconds with a fraction, written with every digit (php runs with `-d precision=17`), which the load generator reads as the time the timer fired, for the tick latency as with the Go servers. "+
		where)
}

// sseLegend explains the figures.
const sseLegend = `Figures are medians over the rounds that succeeded; ratios are ratios of medians (workerman-go ÷ net/http: below 1 is better for memory, CPU and latency, above 1 for events/s).
- **idle: KiB per stream**: (server RSS with the streams open − RSS with the ten warm-up connections open, which are opened first so that what a fresh process does once for its first connections is in it) ÷ the other streams, RSS from /proc/PID/smaps_rollup summed over the server's process tree, read once every stream has its response head, the server holds all the descriptors, and the settle time has passed. Every stream has its heartbeat timer (15 s) and nothing else. Kernel socket buffers are not in RSS.
- **tick: server CPU**: user+system CPU time of the server's process tree (/proc/PID/stat, 10 ms resolution) over the measured window, in % of one core, while every stream receives one event per second from its own timer (connection timer / time.Ticker); **µs per event**: that CPU time ÷ the events the load generator received in the window. **events/s received** checks the load: it should be the number of streams.
- **of which user / system**: the split of that CPU time (utime / stime of /proc/PID/stat). System time is the kernel's: on loopback, each event is one write(2) on its own socket, and that write also runs the receiving side's TCP processing and wakes the load generator, all charged to the server. Both servers make one write per event, so their system times are close; user time is each server's own code and runtime.
- **tick: latency**: from the timestamp the server puts in the event's data when its timer fires to the load generator's receipt (CLOCK_REALTIME on both sides, one machine). Not a like-for-like figure: net/http takes the time in the stream's goroutine just before its own write, while workerman-go's timers of one 10 ms wheel tick all run first and their writes follow together when the tick's callbacks return, so the latency includes the writes of the streams whose timers fell in the same tick. Neither includes how late a timer fired.
- **fan-out: latency p50/p99**: for the publishes awaited one at a time (each reaches every subscriber before the next one), from the time of the publish in the server (the event's data) to each subscriber's receipt, over all publishes and subscribers. **µs from the POST to the last receipt**: median over the publishes of the time from sending the POST to the receipt by the last subscriber.
- **fan-out: delivered events/s**: a burst of publishes sent back to back (pipelined on one connection): burst × subscribers events ÷ the time from sending the burst to the last receipt. The load generator needs about as much CPU per event as the server, so this rate is partly the load generator's (see the burst CPU columns per round).
- **fan-out: server CPU µs per delivered event**: the server's CPU time over the whole schedule (publishes and burst) ÷ all events delivered; **of which system**: its kernel part, as for tick.
- **other CPU %** (per round): everything else that kept the machine's CPUs busy during the window, in % of one core, from /proc/stat. Above about 25 % the round is disturbed.
`

// settings describes the run.
func (d *sseDriver) settings() string {
	o := d.o
	mode := modeName(o.Quick)
	src := sourceLabel(o.Src)
	return fmt.Sprintf("- run: %s, %s mode, %d rounds, tests %s, server order rotated each round, a fresh server for every test\n"+
		"- servers: %s\n"+
		"- machine: %s\n"+
		"- pinning: %s\n"+
		"- idle: %d streams (server -mode idle: heartbeat every 15 s), RSS read %v after all are up and accepted\n"+
		"- tick: %d streams (server -mode tick: one event per second from each stream's own timer, no heartbeat), %v warm-up once all are up, %v measured\n"+
		"- fan-out: %s subscribers (server -mode fanout: one topic, heartbeat every 15 s), %d publishes (POST /publish) one at a time, each awaited at every subscriber, %v apart; then a burst of %d publishes in one write\n"+
		"- load generator: bench/loadgen in sse mode, one process, %d epoll loop(s), source addresses: %s\n"+
		"%s",
		d.started.UTC().Format("2006-01-02 15:04:05 UTC"), mode, o.Rounds, o.Tests,
		serverList(d.servers),
		d.machine(),
		d.pinSummary(),
		o.Streams, o.IdleSettle,
		o.Streams, o.TickWarmup, o.TickDuration,
		joinCounts(o.fanout), o.Publishes, o.PublishGap, o.Burst,
		o.Loops, src,
		d.anchorSettings())
}

// anchorSettings is the Settings line of the Workerman anchor.
func (d *sseDriver) anchorSettings() string {
	a := d.anchor.Anchor
	if a == nil {
		return "- Workerman anchor: " + d.anchor.Note + "\n"
	}
	where := fmt.Sprintf("in the main comparison (idle and tick; streams at /sse: %d)", d.o.Streams)
	if d.capServers != nil {
		where = fmt.Sprintf("in a comparison of its own at %d streams (idle and tick, every server of it: %s), run in every round after the main tests", anchorMaxConns, serverNames(d.capServers))
	}
	return "- Workerman anchor: " + a.describe() + "; " + where + "\n"
}

// allServers are the servers of both comparisons.
func (d *sseDriver) allServers() []serverSpec {
	out := append([]serverSpec(nil), d.servers...)
	for _, s := range d.capServers {
		if s.external() {
			out = append(out, s)
		}
	}
	return out
}

func joinCounts(v []int) string {
	var s []string
	for _, n := range v {
		s = append(s, thousands(n))
	}
	if len(s) == 0 {
		return "–"
	}
	return strings.Join(s, " and ")
}

// pinSummary describes the pinning and what the rounds showed of the
// servers and the load generators.
func (d *sseDriver) pinSummary() string {
	infos := map[string][]serverInfo{}
	lgs := map[string]bool{}
	note := func(server string, info serverInfo, cpus string, gmp int) {
		infos[server] = append(infos[server], info)
		if cpus != "" {
			lgs[fmt.Sprintf("CPUs %s, GOMAXPROCS %d", cpus, gmp)] = true
		}
	}
	for _, r := range d.idle {
		note(r.Server, r.ServerInfo, "", 0)
	}
	for _, r := range d.tick {
		note(r.Server, r.ServerInfo, r.LoadgenCPUs, r.LoadgenGOMAXPROCS)
	}
	for _, r := range d.fan {
		note(r.Server, r.ServerInfo, r.LoadgenCPUs, r.LoadgenGOMAXPROCS)
	}
	for _, r := range d.capIdle {
		note(r.Server, r.ServerInfo, "", 0)
	}
	for _, r := range d.capTick {
		note(r.Server, r.ServerInfo, r.LoadgenCPUs, r.LoadgenGOMAXPROCS)
	}
	return d.harness.pinSummary(seenSummary(d.allServers(), infos), "the load generator's own report", joinKeys(lgs, " | "))
}

// perRound is the tables of every round.
func (d *sseDriver) perRound() string {
	var b strings.Builder
	if len(d.idle) > 0 {
		b.WriteString("### Idle\n\n")
		b.WriteString(idleTable(d.idle, "stream"))
	}
	if len(d.tick) > 0 {
		b.WriteString("\n### Tick\n\n")
		b.WriteString(tickTable(d.tick))
	}
	if len(d.fan) > 0 {
		b.WriteString("\n### Fan-out\n\n")
		b.WriteString(fanoutTable(d.fan, "events"))
	}
	if len(d.capIdle) > 0 {
		fmt.Fprintf(&b, "\n### Idle, %s streams, with Workerman\n\n", thousands(anchorMaxConns))
		b.WriteString(idleTable(d.capIdle, "stream"))
	}
	if len(d.capTick) > 0 {
		fmt.Fprintf(&b, "\n### Tick, %s streams, with Workerman\n\n", thousands(anchorMaxConns))
		b.WriteString(tickTable(d.capTick))
	}
	return b.String()
}

// tickTable is the per-round table of tick measurements.
func tickTable(recs []tickRecord) string {
	var b strings.Builder
	b.WriteString("| round | server | streams | events/s received | server CPU % | of which system % | server CPU µs/event | p50 µs | p99 µs | load gen CPU % | other CPU % | server CPUs / threads / listeners | status |\n|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|\n")
	for _, r := range recs {
		p50, p99 := fmt.Sprintf("%.0f", r.P50us), fmt.Sprintf("%.0f", r.P99us)
		fmt.Fprintf(&b, "| %d | %s | %d | %.0f | %.1f | %.1f | %.2f | %s | %s | %.0f | %.0f | %s | %s |\n",
			r.Round, r.Server, r.Streams, r.EventsPerSec, r.ServerCPUPct, r.ServerSysPct, r.ServerCPUusPerEvent, p50, p99, r.ClientCPUPct, r.OtherCPUPct, r.ServerInfo.String(), status(r.OK, r.Error))
	}
	return b.String()
}

// fanoutTable is the per-round table of fan-out measurements; unit names
// what is delivered ("events", "messages").
func fanoutTable(recs []fanoutRecord, unit string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "| round | server | subscribers | p50 µs | p99 µs | max µs | POST to last receipt µs | burst %[1]s | burst s | delivered %[1]s/s | burst p99 µs | burst CPU %% server / load gen | server CPU µs per %[2]s (system) | other CPU %% | server CPUs / threads / listeners | status |\n|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|\n",
		unit, strings.TrimSuffix(unit, "s"))
	for _, r := range recs {
		fmt.Fprintf(&b, "| %d | %s | %d | %.0f | %.0f | %.0f | %.0f | %d | %.3f | %.0f | %.0f | %.0f / %.0f | %.2f (%.2f) | %.0f | %s | %s |\n",
			r.Round, r.Server, r.Subscribers, r.P50us, r.P99us, r.MaxUs, r.CompleteP50us, r.BurstEvents, r.BurstSec, r.DeliveredPerSec, r.BurstP99us,
			r.BurstServerCPUPct, r.BurstClientCPUPct, r.ServerCPUusPerEvent, r.ServerSysUsPerEvent, r.OtherCPUPct, r.ServerInfo.String(), status(r.OK, r.Error))
	}
	return b.String()
}

func status(ok bool, err string) string {
	if ok {
		return "ok"
	}
	return "FAILED: " + oneLine(err)
}

// rawJSON is the machine-readable record of the run, without the latency
// histograms of the load generator lines.
func (d *sseDriver) rawJSON() ([]byte, error) {
	idle := append([]idleRecord(nil), d.idle...)
	for i := range idle {
		idle[i].Loadgen = stripHists(idle[i].Loadgen)
	}
	tick := append([]tickRecord(nil), d.tick...)
	for i := range tick {
		tick[i].Loadgen = stripHists(tick[i].Loadgen)
	}
	fan := append([]fanoutRecord(nil), d.fan...)
	for i := range fan {
		fan[i].Loadgen = stripHists(fan[i].Loadgen)
	}
	capIdle := append([]idleRecord(nil), d.capIdle...)
	for i := range capIdle {
		capIdle[i].Loadgen = stripHists(capIdle[i].Loadgen)
	}
	capTick := append([]tickRecord(nil), d.capTick...)
	for i := range capTick {
		capTick[i].Loadgen = stripHists(capTick[i].Loadgen)
	}
	return json.MarshalIndent(struct {
		Started    time.Time      `json:"started"`
		Options    sseOptions     `json:"options"`
		Pinning    pinning        `json:"pinning"`
		Servers    []serverSpec   `json:"servers"`
		Anchor     *anchor        `json:"anchor,omitempty"`
		AnchorNote string         `json:"anchor_note,omitempty"`
		Goals      []limitGoal    `json:"goals"`
		Machine    machine        `json:"machine"`
		Idle       []idleRecord   `json:"idle"`
		Tick       []tickRecord   `json:"tick"`
		Fanout     []fanoutRecord `json:"fanout"`
		// The comparison at anchorMaxConns streams with the anchor.
		AnchorServers []serverSpec `json:"anchor_servers,omitempty"`
		AnchorIdle    []idleRecord `json:"anchor_idle,omitempty"`
		AnchorTick    []tickRecord `json:"anchor_tick,omitempty"`
	}{d.started.UTC(), d.o, d.pin, d.servers, d.anchor.Anchor, d.anchor.Note, evalSSEGoals(d.summarize(), d.o.Streams, d.o.fanout), d.machine(), idle, tick, fan,
		d.capServers, capIdle, capTick}, "", "  ")
}

// capTables is the comparison at anchorMaxConns streams with the anchor,
// or "" when there is none.
func (d *sseDriver) capTables() string {
	if d.capServers == nil {
		return ""
	}
	return sseCapTables(summarizeSSE(d.capServers, d.capIdle, d.capTick, nil), d.o)
}

// report prints the tables and writes the results file.
func (d *sseDriver) report() error {
	return d.harness.report(d.o.Out, results{
		kind: "sse", title: "Server-Sent Events benchmark",
		tables: joinSections(sseTables(d.summarize(), d.o), d.capTables()), notes: d.notes(), legend: sseLegend,
		settings: d.settings(), perRound: d.perRound(), raw: d.rawJSON,
	})
}
