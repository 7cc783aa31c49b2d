package main

import (
	"fmt"
	"math"
	"strings"
)

// wsSummary holds the medians of one server over its successful rounds.
type wsSummary struct {
	server serverSpec
	echoSummary
	idleOK  int
	hasIdle bool
	idle    float64            // bytes per connection
	fan     map[int]fanSummary // broadcast, by clients
}

func (d *wsDriver) summarize() []wsSummary {
	return summarizeWS(d.servers, d.echo, d.idle, d.bcast)
}

func summarizeWS(servers []serverSpec, echo []echoRecord, idle []idleRecord, bcast []fanoutRecord) []wsSummary {
	var out []wsSummary
	for _, s := range servers {
		sm := wsSummary{server: s, echoSummary: summarizeEcho(echo, s.Name), fan: summarizeFanout(bcast, s.Name)}
		sm.idle, sm.idleOK, sm.hasIdle = idleMedian(idle, s.Name)
		out = append(out, sm)
	}
	return out
}

func findWS(sums []wsSummary, name string) *wsSummary {
	for i := range sums {
		if sums[i].server.Name == name {
			return &sums[i]
		}
	}
	return nil
}

// evalWSGoals judges the goals on the medians; conns is the number of idle
// connections.
func evalWSGoals(sums []wsSummary, conns int) []limitGoal {
	o, b := findWS(sums, ours), findWS(sums, wsBase)
	return []limitGoal{
		atMost(fmt.Sprintf("idle memory of workerman-go ≤ %.1f KiB per connection (%s connections)", goalIdleKiB, thousands(conns)),
			idleKiB(o), goalIdleKiB, o != nil && o.hasIdle, "%.2f KiB"),
		atMost(fmt.Sprintf("idle memory per connection ≤ %s of gorilla's", frac(goalIdleRatio)),
			idleKiB(o)/idleKiB(b), goalIdleRatio, o != nil && b != nil && o.hasIdle && b.hasIdle && b.idle > 0, "%.2f×"),
	}
}

// idleKiB is s's idle memory per connection in KiB (0 without s).
func idleKiB(s *wsSummary) float64 {
	if s == nil {
		return 0
	}
	return s.idle / 1024
}

// largest is the largest of counts (0 for none).
func largest(counts []int) int {
	n := 0
	for _, v := range counts {
		n = max(n, v)
	}
	return n
}

// wsHeadline is the table of the ratios the benchmark is about: ours ÷
// gorilla, each with the direction that is better; then, when the
// Workerman anchor ran, ours ÷ Workerman (its echo).
func wsHeadline(sums []wsSummary, o wsOptions) string {
	base, our := findWS(sums, wsBase), findWS(sums, ours)
	if our == nil {
		return ""
	}
	anchorHead := ""
	if a := findWS(sums, anchorName); a != nil && o.tests["echo"] {
		anchorHead = wsAnchorHeadline(our, a, o.EchoConns)
	}
	if base == nil {
		return anchorHead
	}
	var b strings.Builder
	b.WriteString("| workerman-go ÷ gorilla/websocket | ratio | better |\n|---|---:|---|\n")
	line := func(name string, ov, bv float64, ok bool, better string) {
		fmt.Fprintf(&b, "| %s | %s | %s |\n", name, ratio(ov, bv, ok, ok), better)
	}
	if o.tests["echo"] {
		ok := our.hasEcho && base.hasEcho
		line(fmt.Sprintf("echo messages/s (%s clients)", thousands(o.EchoConns)), our.msgs, base.msgs, ok, "higher")
		line("echo server CPU per message", our.cpu, base.cpu, ok && our.cpu > 0 && base.cpu > 0, "lower")
	}
	if o.tests["idle"] {
		line(fmt.Sprintf("idle memory per connection (%s)", thousands(o.IdleConns)), our.idle, base.idle, our.hasIdle && base.hasIdle, "lower")
	}
	if n := largest(o.broadcast); n > 0 {
		of, bf := our.fan[n], base.fan[n]
		ok := of.has && bf.has
		line(fmt.Sprintf("broadcast to %s: p99 latency", thousands(n)), of.p99, bf.p99, ok, "lower")
		line(fmt.Sprintf("broadcast to %s: p50 latency", thousands(n)), of.p50, bf.p50, ok, "lower")
		line(fmt.Sprintf("broadcast to %s: delivered messages/s (burst)", thousands(n)), of.delivered, bf.delivered, ok && of.delivered > 0 && bf.delivered > 0, "higher")
		line(fmt.Sprintf("broadcast to %s: server CPU per delivered message", thousands(n)), of.cpuPerEvent, bf.cpuPerEvent, ok, "lower")
	}
	if anchorHead != "" {
		b.WriteString("\n")
		b.WriteString(anchorHead)
	}
	return b.String()
}

// wsAnchorHeadline is the table of the echo ratios of ours (our) to the
// Workerman anchor (a) at conns clients.
func wsAnchorHeadline(our, a *wsSummary, conns int) string {
	var b strings.Builder
	b.WriteString("| workerman-go ÷ Workerman 5.2.2 (PHP) | ratio | better |\n|---|---:|---|\n")
	ok := our.hasEcho && a.hasEcho
	fmt.Fprintf(&b, "| echo messages/s (%s clients) | %s | higher |\n", thousands(conns), ratio(our.msgs, a.msgs, ok, ok))
	fmt.Fprintf(&b, "| echo server CPU per message | %s | lower |\n", ratio(our.cpu, a.cpu, ok && our.cpu > 0, ok && a.cpu > 0))
	return b.String()
}

// wsTables renders the headline ratios, the measurements and the goals in
// Markdown.
func wsTables(sums []wsSummary, o wsOptions) string {
	var b strings.Builder
	if h := wsHeadline(sums, o); h != "" {
		b.WriteString(h)
		b.WriteString("\n")
	}
	b.WriteString(wsCmpTable(sums, o))
	if o.tests["idle"] {
		b.WriteString("\n")
		b.WriteString(goalsTable(evalWSGoals(sums, o.IdleConns)))
	}
	return b.String()
}

// wsCapTables renders the echo comparison at anchorMaxConns clients with
// the anchor (capSums; o as the run's options), after a heading.
func wsCapTables(capSums []wsSummary, o wsOptions) string {
	co := o
	co.EchoConns = anchorMaxConns
	co.broadcast = nil
	co.tests = map[string]bool{"echo": o.tests["echo"]}
	var b strings.Builder
	fmt.Fprintf(&b, "**At %s clients, with Workerman** (select() holds about 1,000 connections; every server measured at %s clients here, so that the ratios compare like with like):\n\n",
		thousands(anchorMaxConns), thousands(anchorMaxConns))
	if a, our := findWS(capSums, anchorName), findWS(capSums, ours); a != nil && our != nil {
		b.WriteString(wsAnchorHeadline(our, a, anchorMaxConns))
		b.WriteString("\n")
	}
	b.WriteString(wsCmpTable(capSums, co))
	return b.String()
}

// wsCmpTable renders the measurements of sums (gorilla, ours and the
// anchor, when there) with the ratios of ours to gorilla and to the
// anchor.
func wsCmpTable(sums []wsSummary, o wsOptions) string {
	var cols []*wsSummary
	var labels []string
	for _, name := range []string{wsBase, ours, anchorName} {
		if s := findWS(sums, name); s != nil {
			cols = append(cols, s)
			labels = append(labels, s.server.Label)
		}
	}
	ratios := []cmpRatio[wsSummary]{{findWS(sums, wsBase), "workerman-go ÷ gorilla"}}
	if a := findWS(sums, anchorName); a != nil {
		ratios = append(ratios, cmpRatio[wsSummary]{a, "workerman-go ÷ Workerman"})
	}
	t := newCmpTableRatios(labels, cols, findWS(sums, ours), ratios)
	row := t.row
	// notAnchor makes a getter give "–" for the anchor, which has only the
	// echo test.
	notAnchor := func(get func(*wsSummary) (float64, bool)) func(*wsSummary) (float64, bool) {
		return func(s *wsSummary) (float64, bool) {
			if s.server.external() {
				return math.NaN(), true
			}
			return get(s)
		}
	}
	if o.tests["echo"] {
		echo := func(f func(*wsSummary) float64) func(*wsSummary) (float64, bool) {
			return func(s *wsSummary) (float64, bool) { return f(s), s.hasEcho }
		}
		row(fmt.Sprintf("echo: messages/s, %s clients × %d × %d-byte text message(s) in flight (higher is better)", thousands(o.EchoConns), o.EchoDepth, o.EchoSize),
			echo(func(s *wsSummary) float64 { return s.msgs }), "%.0f", true)
		row("echo: server CPU µs per message (lower is better)",
			func(s *wsSummary) (float64, bool) { return s.cpu, s.hasEcho && s.cpu > 0 }, "%.2f", true)
		row("echo: of which system (kernel) µs",
			func(s *wsSummary) (float64, bool) { return s.sys, s.hasEcho && s.cpu > 0 }, "%.2f", true)
		row("echo: latency p50 µs, send to echo", echo(func(s *wsSummary) float64 { return s.p50 }), "%.0f", true)
		row("echo: latency p99 µs", echo(func(s *wsSummary) float64 { return s.p99 }), "%.0f", true)
		row("echo: CPU busy %, server", echo(func(s *wsSummary) float64 { return s.srvPct }), "%.0f", false)
		row("echo: CPU busy %, load generator", echo(func(s *wsSummary) float64 { return s.lgPct }), "%.0f", false)
		row("echo: load generator CPU µs per message", echo(func(s *wsSummary) float64 { return s.lgCPU }), "%.2f", false)
	}
	if o.tests["idle"] {
		row(fmt.Sprintf("idle: KiB per connection, %s connections (lower is better)", thousands(o.IdleConns)),
			notAnchor(func(s *wsSummary) (float64, bool) { return s.idle / 1024, s.hasIdle }), "%.2f", true)
	}
	for _, n := range o.broadcast {
		get := func(f func(fanSummary) float64) func(*wsSummary) (float64, bool) {
			return notAnchor(func(s *wsSummary) (float64, bool) { fs := s.fan[n]; return f(fs), fs.has })
		}
		row(fmt.Sprintf("broadcast to %s: latency p50 µs, publish to receipt (lower is better)", thousands(n)), get(func(f fanSummary) float64 { return f.p50 }), "%.0f", true)
		row(fmt.Sprintf("broadcast to %s: latency p99 µs (lower is better)", thousands(n)), get(func(f fanSummary) float64 { return f.p99 }), "%.0f", true)
		row(fmt.Sprintf("broadcast to %s: µs from the POST to the last receipt", thousands(n)), get(func(f fanSummary) float64 { return f.complete }), "%.0f", true)
		row(fmt.Sprintf("broadcast to %s: delivered messages/s, burst of %d (higher is better)", thousands(n), o.Burst), get(func(f fanSummary) float64 { return f.delivered }), "%.0f", true)
		row(fmt.Sprintf("broadcast to %s: server CPU µs per delivered message", thousands(n)), get(func(f fanSummary) float64 { return f.cpuPerEvent }), "%.2f", true)
		row(fmt.Sprintf("broadcast to %s: of which system (kernel) µs", thousands(n)), get(func(f fanSummary) float64 { return f.sysPerEvent }), "%.2f", true)
	}
	var incomplete []string
	for _, s := range cols {
		if o.tests["echo"] && s.echoOK > 0 && s.echoOK < o.Rounds {
			incomplete = append(incomplete, s.server.Name+" echo"+roundsNote(s.echoOK, o.Rounds))
		}
		if o.tests["idle"] && s.idleOK > 0 && s.idleOK < o.Rounds {
			incomplete = append(incomplete, s.server.Name+" idle"+roundsNote(s.idleOK, o.Rounds))
		}
		for _, n := range o.broadcast {
			if f := s.fan[n]; f.ok > 0 && f.ok < o.Rounds {
				incomplete = append(incomplete, fmt.Sprintf("%s broadcast %d%s", s.server.Name, n, roundsNote(f.ok, o.Rounds)))
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
func (d *wsDriver) notes() string {
	var others []float64
	for _, r := range append(d.echo[:len(d.echo):len(d.echo)], d.capEcho...) {
		if r.OK {
			others = append(others, r.OtherCPUPct)
		}
	}
	for _, r := range d.bcast {
		if r.OK {
			others = append(others, r.OtherCPUPct)
		}
	}
	var b strings.Builder
	where := fmt.Sprintf("its column is in the main table (-echo-conns is at most %s).", thousands(anchorMaxConns))
	if d.capServers != nil {
		where = fmt.Sprintf("it polls with select(), which holds about 1,000 connections, so with more clients than that its echo is measured in a separate comparison at %s clients, with workerman-go and gorilla at %s clients too, so that the ratios compare like with like (the table \"At %s clients, with Workerman\"; the main table has no Workerman column).",
			thousands(anchorMaxConns), thousands(anchorMaxConns), thousands(anchorMaxConns))
	}
	b.WriteString(anchorNote(d.anchor, "app.php's websocket:// echo sends every message back, measured as the other servers' echo (same load generator, same checks); it takes the echo test only (idle, broadcast: –); "+where))
	b.WriteString(noisyNote(others, "echo and broadcast rounds", "rates and latencies", "CPU figures"))
	var echoBound, burstBound []string
	for _, s := range d.summarize() {
		if s.hasEcho && s.lgPct >= saturated {
			echoBound = append(echoBound, s.server.Name)
		}
		for _, n := range d.o.broadcast {
			if f := s.fan[n]; f.has && f.burstLgPct >= saturated {
				burstBound = append(burstBound, fmt.Sprintf("%s at %s", s.server.Name, thousands(n)))
			}
		}
	}
	b.WriteString(saturatedNote(echoBound, "The load generator", "echo messages/s", "CPU µs per message"))
	if len(burstBound) > 0 {
		fmt.Fprintf(&b, "- The load generator was (nearly) saturated during the burst, median ≥ %d %% of its CPU, with %s: delivered messages/s there is bounded by the load generator as much as by the server.\n",
			saturated, strings.Join(burstBound, ", "))
	}
	return b.String()
}

// wsLegend explains the figures.
const wsLegend = `Figures are medians over the rounds that succeeded; ratios are ratios of medians (workerman-go ÷ gorilla/websocket: below 1 is better for memory, CPU and latency, above 1 for messages/s).
- **echo: messages/s**: text messages echoed per second over all clients; each client keeps the given number of masked text frames in flight, every echo is checked (payload and order) and replaced at once. **latency**: from queueing a message for writing to the receipt of its echo. **server CPU µs per message**: user+system CPU of the server's process tree (/proc/PID/stat, 10 ms resolution) over the measured window ÷ the messages: the server's own cost, the figure that separates servers when the load generator is a bottleneck too; **of which system**: its kernel part (the reads and writes; on loopback a write also runs the receiving side's TCP processing). **CPU busy %**: server and load generator over the window, in % of one core (each pinned to its own); a side near 100 % is a bottleneck.
- **idle: KiB per connection**: (server RSS with the connections open − RSS with the ten warm-up connections open, which are opened first so that what a fresh process does once for its first connections is in it) ÷ the other connections, RSS from /proc/PID/smaps_rollup summed over the server's process tree, read once every client has its 101 response, the server holds all the descriptors, and the settle time has passed. The connections send nothing after the handshake. Kernel socket buffers are not in RSS.
- **broadcast: latency p50/p99**: for the publishes awaited one at a time (each reaches every client before the next one), from the time of the publish in the server (in the message's data) to each client's receipt, over all publishes and clients. **µs from the POST to the last receipt**: median over the publishes of the time from sending the POST to the receipt by the last client.
- **broadcast: delivered messages/s**: a burst of publishes sent back to back (pipelined on one connection): burst × clients messages ÷ the time from sending the burst to the last receipt. The load generator needs about as much CPU per message as the server, so this rate is partly the load generator's (see the burst CPU columns per round; they have the 10 ms resolution of /proc, so a burst of 15 ms shows 0 or up to 200 %).
- **broadcast: server CPU µs per delivered message**: the server's CPU time over the whole schedule (publishes and burst) ÷ all messages delivered; **of which system**: its kernel part. On loopback each write also runs the receiving side's TCP processing, charged to the writer.
- **other CPU %** (per round): everything else that kept the machine's CPUs busy during the window, in % of one core, from /proc/stat. Above about 25 % the round is disturbed.
`

// settings describes the run.
func (d *wsDriver) settings() string {
	o := d.o
	mode := modeName(o.Quick)
	src := sourceLabel(o.Src)
	return fmt.Sprintf("- run: %s, %s mode, %d rounds, tests %s, server order rotated each round, a fresh server for every test\n"+
		"- servers: %s\n"+
		"- machine: %s\n"+
		"- pinning: %s\n"+
		"- echo: %d clients × %d text message(s) of %d bytes in flight (masked frames, every echo checked), %v warm-up + %v measured (server -mode echo)\n"+
		"- idle: %d connections over %d load generator process(es), nothing sent after the handshake (server -mode idle), RSS read %v after all are up and accepted\n"+
		"- broadcast: %s clients (server -mode broadcast: one topic), %d publishes (POST /publish on the server's http port) one at a time, each awaited at every client, %v apart; then a burst of %d publishes in one write\n"+
		"- load generator: bench/loadgen in ws-echo, ws-idle and ws-broadcast modes, %d epoll loop(s) per process, source addresses: %s\n"+
		"%s",
		d.started.UTC().Format("2006-01-02 15:04:05 UTC"), mode, o.Rounds, o.Tests,
		serverList(d.servers),
		d.machine(),
		d.pinSummary(),
		o.EchoConns, o.EchoDepth, o.EchoSize, o.EchoWarmup, o.EchoDuration,
		o.IdleConns, o.procs, o.IdleSettle,
		joinCounts(o.broadcast), o.Publishes, o.PublishGap, o.Burst,
		o.Loops, src,
		d.anchorSettings())
}

// anchorSettings is the Settings line of the Workerman anchor.
func (d *wsDriver) anchorSettings() string {
	a := d.anchor.Anchor
	if a == nil {
		return "- Workerman anchor: " + d.anchor.Note + "\n"
	}
	where := fmt.Sprintf("in the main comparison (echo, %d clients)", d.o.EchoConns)
	if d.capServers != nil {
		where = fmt.Sprintf("in an echo comparison of its own at %d clients (every server of it: %s), run in every round after the main tests", anchorMaxConns, serverNames(d.capServers))
	}
	return "- Workerman anchor: " + a.describe() + "; " + where + "\n"
}

// allServers are the servers of both comparisons.
func (d *wsDriver) allServers() []serverSpec {
	out := append([]serverSpec(nil), d.servers...)
	for _, s := range d.capServers {
		if s.external() {
			out = append(out, s)
		}
	}
	return out
}

// capTables is the echo comparison at anchorMaxConns clients with the
// anchor, or "" when there is none.
func (d *wsDriver) capTables() string {
	if d.capServers == nil {
		return ""
	}
	return wsCapTables(summarizeWS(d.capServers, d.capEcho, nil, nil), d.o)
}

// pinSummary describes the pinning and what the rounds showed of the
// servers and the load generators.
func (d *wsDriver) pinSummary() string {
	infos := map[string][]serverInfo{}
	lgs := map[string]bool{}
	note := func(server string, info serverInfo, cpus string, gmp int) {
		infos[server] = append(infos[server], info)
		if cpus != "" {
			lgs[fmt.Sprintf("CPUs %s, GOMAXPROCS %d", cpus, gmp)] = true
		}
	}
	for _, r := range d.echo {
		note(r.Server, r.ServerInfo, r.LoadgenCPUs, r.LoadgenGOMAXPROCS)
	}
	for _, r := range d.idle {
		note(r.Server, r.ServerInfo, "", 0)
	}
	for _, r := range d.bcast {
		note(r.Server, r.ServerInfo, r.LoadgenCPUs, r.LoadgenGOMAXPROCS)
	}
	for _, r := range d.capEcho {
		note(r.Server, r.ServerInfo, r.LoadgenCPUs, r.LoadgenGOMAXPROCS)
	}
	return d.harness.pinSummary(seenSummary(d.allServers(), infos), "the load generator's own report", joinKeys(lgs, " | "))
}

// perRound is the tables of every round.
func (d *wsDriver) perRound() string {
	var b strings.Builder
	if len(d.echo) > 0 {
		b.WriteString("### Echo\n\n")
		b.WriteString(echoTable(d.echo))
	}
	if len(d.idle) > 0 {
		b.WriteString("\n### Idle\n\n")
		b.WriteString(idleTable(d.idle, "conn"))
	}
	if len(d.bcast) > 0 {
		b.WriteString("\n### Broadcast\n\n")
		b.WriteString(fanoutTable(d.bcast, "messages"))
	}
	if len(d.capEcho) > 0 {
		fmt.Fprintf(&b, "\n### Echo, %s clients, with Workerman\n\n", thousands(anchorMaxConns))
		b.WriteString(echoTable(d.capEcho))
	}
	return b.String()
}

// report prints the tables and writes the results file.
func (d *wsDriver) report() error {
	return d.harness.report(d.o.Out, results{
		kind: "ws", title: "WebSocket benchmark",
		tables: joinSections(wsTables(d.summarize(), d.o), d.capTables()), notes: d.notes(), legend: wsLegend,
		settings: d.settings(), perRound: d.perRound(), raw: d.rawJSON,
	})
}
