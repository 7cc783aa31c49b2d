package main

// The reports of compare fanout and compare sse100k.

import (
	"fmt"
	"net/netip"
	"strings"
)

// parseLoopbackAddr parses an IPv4 loopback address (127.0.0.0/8).
func parseLoopbackAddr(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return a, fmt.Errorf("%q is not an IP address", s)
	}
	if !a.Is4() || !a.IsLoopback() {
		return a, fmt.Errorf("%s is not an IPv4 loopback address (127.0.0.0/8)", s)
	}
	return a, nil
}

// scaleSummary is the medians of one configuration's successful rounds.
type scaleSummary struct {
	config   string
	label    string
	ok, all  int
	servers  int
	perSrv   string // streams per server process, from the last round
	p50, p99 float64
	cP50     float64 // publish → last receipt, median over publishes
	cMax     float64
	rate     float64 // burst: delivered events/s
	burstP99 float64
	cpu      float64 // servers, µs per delivered event
	cpuRedis float64 // servers and Redis
	kib      float64 // RSS per stream
	writes   float64 // write system calls per delivered event
	busy     float64 // servers' CPU over the schedule, % of one core
	lgBusy   float64 // load generators'
	other    float64
}

// summarizeScale makes the summary of each configuration of configs.
func summarizeScale(recs []clusterRecord, configs []string) []*scaleSummary {
	var out []*scaleSummary
	for _, c := range configs {
		s := &scaleSummary{config: c}
		var p50, p99, cP50, cMax, rate, bP99, cpu, cpuR, kib, writes, busy, lgBusy, other []float64
		for _, r := range recs {
			if r.Config != c {
				continue
			}
			s.all++
			s.servers = r.Servers
			if !r.OK {
				continue
			}
			s.ok++
			s.perSrv = intsList(r.StreamsPerServer)
			p50 = append(p50, r.P50us)
			p99 = append(p99, r.P99us)
			cP50 = append(cP50, r.CompleteP50us)
			cMax = append(cMax, r.CompleteMaxUs)
			if r.DeliveredPerSec > 0 {
				rate = append(rate, r.DeliveredPerSec)
				bP99 = append(bP99, r.BurstP99us)
			}
			cpu = append(cpu, r.ServerUsPerEvt)
			cpuR = append(cpuR, r.ServerUsPerEvt+r.RedisUsPerEvt)
			kib = append(kib, r.BytesPerStream/1024)
			writes = append(writes, r.WritesPerEvt)
			busy = append(busy, r.ServerCPUPct)
			lgBusy = append(lgBusy, r.LoadgenCPUPct)
			other = append(other, r.OtherCPUPct)
		}
		s.p50, _ = median(p50)
		s.p99, _ = median(p99)
		s.cP50, _ = median(cP50)
		s.cMax, _ = median(cMax)
		s.rate, _ = median(rate)
		s.burstP99, _ = median(bP99)
		s.cpu, _ = median(cpu)
		s.cpuRedis, _ = median(cpuR)
		s.kib, _ = median(kib)
		s.writes, _ = median(writes)
		s.busy, _ = median(busy)
		s.lgBusy, _ = median(lgBusy)
		s.other, _ = median(other)
		s.label = configLabel(c, s.servers)
		out = append(out, s)
	}
	return out
}

// configLabel names a configuration in a table header.
func configLabel(config string, servers int) string {
	if config == "redis" {
		return fmt.Sprintf("Redis, %d processes", servers)
	}
	return "in-memory, 1 process"
}

func findScale(sums []*scaleSummary, config string) *scaleSummary {
	for _, s := range sums {
		if s.config == config {
			return s
		}
	}
	return nil
}

// fanoutGoal is the goal of the fan-out benchmark: p99 through Redis
// within this factor of the single process's.
const fanoutGoal = 1.5

// fanoutTables renders the summary and the goal of compare fanout.
func fanoutTables(sums []*scaleSummary, o scaleOptions) string {
	var cols []*scaleSummary
	var labels []string
	for _, s := range sums {
		cols = append(cols, s)
		labels = append(labels, s.label+roundsNote(s.ok, s.all))
	}
	base, our := findScale(sums, "memory"), findScale(sums, "redis")
	t := newCmpTable(labels, cols, base, our, "Redis ÷ in-memory")
	has := func(s *scaleSummary) bool { return s.ok > 0 }
	ms := func(f func(*scaleSummary) float64) func(*scaleSummary) (float64, bool) {
		return func(s *scaleSummary) (float64, bool) { return f(s) / 1e3, has(s) }
	}
	val := func(f func(*scaleSummary) float64) func(*scaleSummary) (float64, bool) {
		return func(s *scaleSummary) (float64, bool) { return f(s), has(s) }
	}
	n := thousands(o.Streams)
	t.row(fmt.Sprintf("latency p50 ms (publish → receipt, %s subscribers × %d publishes)", n, o.Publishes), ms(func(s *scaleSummary) float64 { return s.p50 }), "%.1f", true)
	t.row("latency p99 ms", ms(func(s *scaleSummary) float64 { return s.p99 }), "%.1f", true)
	t.row("publish → last receipt ms, median of the publishes", ms(func(s *scaleSummary) float64 { return s.cP50 }), "%.1f", true)
	t.row("publish → last receipt ms, slowest publish", ms(func(s *scaleSummary) float64 { return s.cMax }), "%.1f", true)
	if o.Burst > 0 {
		t.row(fmt.Sprintf("delivered events/s, burst of %d", o.Burst), val(func(s *scaleSummary) float64 { return s.rate }), "%.0f", true)
		t.row("burst latency p99 ms", ms(func(s *scaleSummary) float64 { return s.burstP99 }), "%.1f", true)
	}
	t.row("server CPU µs per delivered event", val(func(s *scaleSummary) float64 { return s.cpu }), "%.2f", true)
	t.row("… with Redis's CPU", val(func(s *scaleSummary) float64 { return s.cpuRedis }), "%.2f", true)
	t.row("server write(2) calls per delivered event", val(func(s *scaleSummary) float64 { return s.writes }), "%.2f", true)
	t.row("server RSS KiB per stream", val(func(s *scaleSummary) float64 { return s.kib }), "%.2f", true)
	t.row("servers' CPU over the schedule, % of one core", val(func(s *scaleSummary) float64 { return s.busy }), "%.0f", false)
	t.row("load generators' CPU, % of one core", val(func(s *scaleSummary) float64 { return s.lgBusy }), "%.0f", false)
	t.row("other load on the machine, % of one core", val(func(s *scaleSummary) float64 { return s.other }), "%.0f", false)
	var b strings.Builder
	b.WriteString(t.String())
	b.WriteString("\nStreams per server process (last round): ")
	var parts []string
	for _, s := range sums {
		parts = append(parts, fmt.Sprintf("%s: %s", s.config, orDash(s.perSrv)))
	}
	b.WriteString(strings.Join(parts, "; ") + ".\n\n")
	var goals []limitGoal
	if base != nil && our != nil {
		measured := has(base) && has(our) && base.p99 > 0
		g := atMost(fmt.Sprintf("p99 latency through Redis ≤ %.1f× the single process's", fanoutGoal), 0, fanoutGoal, false, "")
		if measured {
			g = atMost(g.Goal, our.p99/base.p99, fanoutGoal, true, "%.2f×")
		}
		goals = append(goals, g)
	}
	if len(goals) > 0 {
		b.WriteString(goalsTable(goals))
	}
	return b.String()
}

// sse100kTables renders the figures of compare sse100k (one round).
func sse100kTables(recs []clusterRecord, o scaleOptions) string {
	var b strings.Builder
	if len(recs) == 0 {
		return "No measurement.\n"
	}
	r := recs[len(recs)-1]
	status := "ok"
	if !r.OK {
		status = "FAILED: " + oneLine(r.Error)
	}
	var before, after int64
	for i := range r.RSSAfter {
		before += r.RSSBefore[i]
		after += r.RSSAfter[i]
	}
	b.WriteString("| measurement | value |\n|---|---:|\n")
	row := func(name, format string, args ...any) {
		fmt.Fprintf(&b, "| %s | "+format+" |\n", append([]any{name}, args...)...)
	}
	row("concurrent streams (response heads received / asked)", "%s / %s", thousands(r.Streams), thousands(o.Streams))
	broker := "Redis (pubsub/redisbroker)"
	if !o.Redis {
		broker = "in-memory"
	}
	row("server processes, one address (SO_REUSEPORT); broker", "%d; %s", r.Servers, broker)
	row("streams per server process (descriptors it gained, with its Redis connections)", "%s", orDash(intsList(r.StreamsPerServer)))
	row("load generator processes; source addresses", "%d; %s", r.Loadgens, sourceLabel(o.Src))
	row("connect time, all streams (s)", "%.1f", r.ConnectSec)
	row("server CPU to accept and start the streams (s, of which system; µs per stream)", "%.2f, %.2f; %.0f", r.ConnectCPUSec, r.ConnectSysSec, perStream(r.ConnectCPUSec*1e6, r.Streams))
	row("**server RSS per stream (Σ server RSS deltas ÷ streams), KiB**", "**%.2f**", r.BytesPerStream/1024)
	row("server RSS, all processes, before → with the streams (MiB)", "%.1f → %.1f", mib(before), mib(after))
	if o.Redis {
		row("Redis RSS before → with the streams (MiB)", "%.1f → %.1f", mib(r.RedisRSSBefore), mib(r.RedisRSSAfter))
	}
	row(fmt.Sprintf("**publish → last receipt, all %s streams (ms): median of %d publishes / slowest**", thousands(r.Streams), r.Publishes), "**%.0f / %.0f**", r.CompleteP50us/1e3, r.CompleteMaxUs/1e3)
	row("every publish, publish → last receipt (ms)", "%s", msList(r.CompleteUs))
	row("latency publish → receipt, every stream and publish: p50 / p99 (ms)", "%.0f / %.0f", r.P50us/1e3, r.P99us/1e3)
	if r.Burst > 0 {
		row(fmt.Sprintf("burst of %d: delivered events/s", r.Burst), "%.0f", r.DeliveredPerSec)
	}
	row("events received (publishes × streams)", "%s", thousands(int(r.Events)))
	row("**server CPU, all processes, over the publishes: µs per delivered event**", "**%.2f**", r.ServerUsPerEvt)
	row("server write(2) calls per delivered event", "%.2f", r.WritesPerEvt)
	row("server CPU over the publishes: % of one core (system part, s)", "%.0f %% (%.2f of %.2f s)", r.ServerCPUPct, r.ServerSysSec, r.ServerCPUSec)
	if o.Redis {
		row("Redis CPU over the publishes (s; µs per delivered event)", "%.3f; %.3f", r.RedisCPUSec, r.RedisUsPerEvt)
	}
	row("load generators' CPU over the publishes (% of one core)", "%.0f %%", r.LoadgenCPUPct)
	row("other load on the machine over the publishes (% of one core)", "%.0f %%", r.OtherCPUPct)
	row("memory available before (MiB)", "%s", thousands(int(r.MemAvailableMiB)))
	row("status", "%s", status)
	return b.String()
}

func perStream(v float64, n int) float64 {
	if n == 0 {
		return 0
	}
	return v / float64(n)
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

// intsList writes 4998, 5002 as "4,998 + 5,002".
func intsList(v []int) string {
	var s []string
	for _, n := range v {
		s = append(s, thousands(n))
	}
	return strings.Join(s, " + ")
}

// msList writes µs values as milliseconds: "12.3, 14.0".
func msList(v []float64) string {
	if len(v) == 0 {
		return "–"
	}
	var s []string
	for _, x := range v {
		s = append(s, fmt.Sprintf("%.1f", x/1e3))
	}
	return strings.Join(s, ", ")
}

func scaleTitle(bench string) string {
	if bench == "fanout" {
		return "Fan-out through Redis benchmark"
	}
	return "100,000 concurrent SSE streams benchmark"
}

// scaleNotes are the notes of a run: failures and disturbed rounds.
func scaleNotes(recs []clusterRecord) string {
	var b strings.Builder
	failed := 0
	var others []float64
	for _, r := range recs {
		if !r.OK {
			failed++
			continue
		}
		others = append(others, r.OtherCPUPct)
	}
	if failed > 0 {
		fmt.Fprintf(&b, "- %d of %d measurements failed (see the per-round table); the medians leave them out.\n", failed, len(recs))
	}
	b.WriteString(noisyNote(others, "measurements", "latencies and events/s", "CPU per event"))
	return b.String()
}

// scaleLegend explains the figures.
func scaleLegend(bench string) string {
	var b strings.Builder
	b.WriteString(`## What the figures mean

- **latency**: from the publish (the server's clock just before Hub.Publish, carried in the event's data) to the receipt by the load generator (same machine clock), for every stream and every publish awaited one at a time; p50 and p99 of all of them (log-linear histogram, about 6 % precision).
- **publish → last receipt**: per publish, from the same publish time to the last stream's receipt over all load generator processes; each process reports the time from its request to the coordinator to its last receipt, added to the request's arrival there (late by the request's trip over loopback, a fraction of a millisecond).
- **delivered events/s**: burst × streams ÷ the time from the burst's first publish to the last receipt of its last event.
- **server CPU µs per delivered event**: user + system CPU of all server processes (and Redis: "with Redis's CPU") over the schedule, ÷ the events received ((publishes + burst) × streams). The window opens with the first publish and ends at the first CPU sample (every 50 ms) after the last receipt, before the load generators close their streams.
- **write(2) calls per delivered event**: the servers' write system calls over the same window (` + "`syscw` of `/proc/PID/io`" + `) ÷ the events: 1 when every event is written on its own, less when a subscriber's events are batched into one write.
- **RSS per stream**: Σ over the server processes of (RSS with the streams, after the settle time − RSS 0.5 s after start) ÷ streams (` + "`/proc/PID/smaps_rollup`" + `).
- **other CPU %**: how busy the machine's CPUs were (` + "`/proc/stat`" + `) beyond the servers, Redis and the load generators, over the schedule, in % of one core; above 25 % a measurement is called disturbed.
`)
	if bench == "fanout" {
		b.WriteString("- **Redis ÷ in-memory**: ratio of the medians; the goal compares the p99 latencies.\n")
	}
	return b.String()
}

// clusterTable is the per-round table.
func clusterTable(recs []clusterRecord) string {
	var b strings.Builder
	b.WriteString("| round | config | streams per server | connect s | KiB/stream | p50 ms | p99 ms | last receipt median / max ms | burst events/s | server µs/event | writes/event | Redis µs/event | server CPU % | load gen CPU % | other CPU % | status |\n")
	b.WriteString("|---:|---|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---|\n")
	for _, r := range recs {
		status := "ok"
		if !r.OK {
			status = "FAILED: " + oneLine(r.Error)
		}
		fmt.Fprintf(&b, "| %d | %s | %s | %.1f | %.2f | %.1f | %.1f | %.1f / %.1f | %.0f | %.2f | %.2f | %.2f | %.0f | %.0f | %.0f | %s |\n",
			r.Round, r.Config, orDash(intsList(r.StreamsPerServer)), r.ConnectSec, r.BytesPerStream/1024, r.P50us/1e3, r.P99us/1e3,
			r.CompleteP50us/1e3, r.CompleteMaxUs/1e3, r.DeliveredPerSec, r.ServerUsPerEvt, r.WritesPerEvt, r.RedisUsPerEvt,
			r.ServerCPUPct, r.LoadgenCPUPct, r.OtherCPUPct, status)
	}
	return b.String()
}
