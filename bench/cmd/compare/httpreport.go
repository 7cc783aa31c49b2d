package main

import (
	"fmt"
	"strings"
)

// httpSummary holds the medians of one server over its successful rounds.
type httpSummary struct {
	server         serverSpec
	ok             int  // successful rounds
	has            bool // at least one
	rps, p50, p99  float64
	cpu            float64 // server CPU µs/request; 0 when unknown
	srvPct, wrkPct float64
}

// summarize computes the medians of every server that ran, for the
// variant named variant.
func (d *httpDriver) summarize(variant string) []httpSummary {
	return summarizeHTTP(d.servers, d.recs, variant)
}

// summarizeHTTP computes the medians of the rounds of variant of every
// server of servers (a record without a variant is "identical").
func summarizeHTTP(servers []serverSpec, recs []httpRecord, variant string) []httpSummary {
	var out []httpSummary
	for _, s := range servers {
		var rps, p50, p99, cpu, srvPct, wrkPct []float64
		for _, r := range recs {
			v := r.Variant
			if v == "" {
				v = httpVariants[0].Name
			}
			if r.Server != s.Name || !r.OK || v != variant {
				continue
			}
			rps = append(rps, r.RequestsPerSec)
			p50 = append(p50, r.P50us)
			p99 = append(p99, r.P99us)
			if r.ServerCPUusPerReq > 0 {
				cpu = append(cpu, r.ServerCPUusPerReq)
				srvPct = append(srvPct, r.ServerCPUPct)
			}
			wrkPct = append(wrkPct, r.WrkCPUPct)
		}
		sm := httpSummary{server: s, ok: len(rps)}
		sm.rps, sm.has = median(rps)
		sm.p50, _ = median(p50)
		sm.p99, _ = median(p99)
		sm.cpu, _ = median(cpu)
		sm.srvPct, _ = median(srvPct)
		sm.wrkPct, _ = median(wrkPct)
		out = append(out, sm)
	}
	return out
}

// find returns the summary of the server named name, or nil.
func find(sums []httpSummary, name string) *httpSummary {
	for i := range sums {
		if sums[i].server.Name == name {
			return &sums[i]
		}
	}
	return nil
}

// goalResult is a goal and how the run measured it.
type goalResult struct {
	Goal     httpGoal `json:"goal"`
	Measured bool     `json:"measured"` // both servers have figures
	Ratio    float64  `json:"ratio,omitempty"`
	Pass     bool     `json:"pass"`
	// WrkBound: wrk was saturated with either server, so that the ratio
	// of requests/s is (partly) wrk's, not the servers'.
	WrkBound bool `json:"wrk_bound,omitempty"`
	// CPURatio is the base's server CPU per request over ours: the ratio
	// of requests/s if each server were bounded by its own core alone.
	CPURatio float64 `json:"cpu_ratio,omitempty"`
}

// evalGoals checks httpGoals against the medians: the ratio of the median
// requests/s of ours to the base server's.
func evalGoals(sums []httpSummary) []goalResult {
	var out []goalResult
	o := find(sums, ours)
	for _, g := range httpGoals {
		gr := goalResult{Goal: g}
		if b := find(sums, g.Base); o != nil && o.has && b != nil && b.has && b.rps > 0 {
			gr.Measured = true
			gr.Ratio = o.rps / b.rps
			gr.Pass = gr.Ratio >= g.Min
			gr.WrkBound = o.wrkPct >= saturated || b.wrkPct >= saturated
			if o.cpu > 0 && b.cpu > 0 {
				gr.CPURatio = b.cpu / o.cpu
			}
		}
		out = append(out, gr)
	}
	return out
}

// label is the label of the known http server name.
func label(name string) string {
	for _, s := range append(httpServers[:len(httpServers):len(httpServers)], anchorSpec) {
		if s.Name == name {
			return s.Label
		}
	}
	return name
}

// tables renders the summary, ratio and goal tables in Markdown.
func (d *httpDriver) tables() string {
	var sets []httpVariantSums
	for _, v := range d.o.variants {
		sets = append(sets, httpVariantSums{v, d.summarize(v.Name)})
	}
	return httpTables(sets, d.o.Rounds)
}

// variantHeading introduces the table of variant v.
func variantHeading(v httpVariant) string {
	switch v.Name {
	case "identical":
		return "**Identical requests** (wrk's own request, the same bytes every time)"
	case "random-query":
		return "**A random query string per request** (wrk with a Lua script: every request has a target of its own)"
	}
	return "**" + v.Label + "**"
}

// httpVariantSums are the summaries of the servers for one variant.
type httpVariantSums struct {
	variant httpVariant
	sums    []httpSummary
}

// httpTables renders the measurements of every variant (a row per server
// and variant), the ratios of ours to every other server (net/http, gnet,
// the Workerman anchor when it ran) per variant, and the goals, judged on
// identical requests.
func httpTables(sets []httpVariantSums, rounds int) string {
	var b strings.Builder
	for i, set := range sets {
		if i > 0 {
			b.WriteString("\n")
		}
		// The first table keeps the shape bench/cmd/charts reads: a row
		// per server, a column per measurement.
		fmt.Fprintf(&b, "%s:\n\n", variantHeading(set.variant))
		b.WriteString("| server | requests/s | p50 µs | p99 µs | server CPU µs/request | CPU busy % server / wrk |\n")
		b.WriteString("|---|---:|---:|---:|---:|---:|\n")
		for _, s := range set.sums {
			rps, p50, p99, cpu, busy := "failed", "–", "–", "–", "–"
			if s.has {
				rps = fmt.Sprintf("%.0f", s.rps)
				p50 = fmt.Sprintf("%.0f", s.p50)
				p99 = fmt.Sprintf("%.0f", s.p99)
				if s.cpu > 0 {
					cpu = fmt.Sprintf("%.2f", s.cpu)
					busy = fmt.Sprintf("%.0f / %.0f", s.srvPct, s.wrkPct)
				}
				if s.ok < rounds {
					rps += fmt.Sprintf(" (%d/%d rounds)", s.ok, rounds)
				}
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", s.server.Label, rps, p50, p99, cpu, busy)
		}
	}

	b.WriteString("\n| ratio | requests | requests/s (higher is better) | server CPU µs/request (lower is better) |\n|---|---|---:|---:|\n")
	bases := []string{"net", "gnet"}
	for _, set := range sets {
		if find(set.sums, anchorName) != nil {
			bases = append(bases, anchorName)
			break
		}
	}
	for _, base := range bases {
		for _, set := range sets {
			rps, cpu := "–", "–"
			o := find(set.sums, ours)
			if bs := find(set.sums, base); o != nil && bs != nil {
				rps = ratio(o.rps, bs.rps, o.has, bs.has)
				cpu = ratio(o.cpu, bs.cpu, o.cpu > 0, bs.cpu > 0)
			}
			fmt.Fprintf(&b, "| %s ÷ %s | %s | %s | %s |\n", label(ours), label(base), set.variant.Label, rps, cpu)
		}
	}

	var identical []httpSummary
	for _, set := range sets {
		if set.variant.Name == httpVariants[0].Name {
			identical = set.sums
		}
	}
	b.WriteString("\n| goal (identical requests) | measured | result | by server CPU |\n|---|---:|---|---:|\n")
	for _, g := range evalGoals(identical) {
		measured, result, byCPU := "–", "not measured", "–"
		if g.Measured {
			measured = fmt.Sprintf("%.2f×", g.Ratio)
			result = "✅ pass"
			if !g.Pass {
				result = "❌ fail"
			}
			if g.WrkBound {
				result += " (wrk-bound)"
			}
		}
		if g.CPURatio > 0 {
			byCPU = fmt.Sprintf("%.2f×", g.CPURatio)
		}
		fmt.Fprintf(&b, "| requests/s of %s ≥ %.2f× %s | %s | %s | %s |\n", label(ours), g.Goal.Min, label(g.Goal.Base), measured, result, byCPU)
	}
	return b.String()
}

// notes are the caveats of the run that a reader of the tables needs.
func (d *httpDriver) notes() string {
	var b strings.Builder
	for _, s := range d.skipped {
		fmt.Fprintf(&b, "- **%s was not measured**: it does not build on this branch (%s).\n", label(s.Name), s.Reason)
	}
	var others []float64
	for _, r := range d.recs {
		if r.OK {
			others = append(others, r.OtherCPUPct)
		}
	}
	var bound []string
	for _, v := range d.o.variants {
		for _, s := range d.summarize(v.Name) {
			if s.has && s.wrkPct >= saturated {
				bound = append(bound, s.server.Name+" ("+v.Name+")")
			}
		}
	}
	b.WriteString(anchorNote(d.anchor, "it answers `hello` on any path (Content-Type text/html, no Date header; bytes per response, wrk's Transfer/sec ÷ requests/s: "+responseSizes(d.servers, d.recs)+"), and it caches parsed requests keyed by their raw bytes (requests under 512 bytes), so that identical requests skip its parser; the random-query rows give every request a query string of its own, for every server."))
	b.WriteString(noisyNote(others, "rounds", "requests/s", "CPU µs/request"))
	b.WriteString(saturatedNote(bound, "wrk", "requests/s", "CPU µs/request"))
	return b.String()
}

// httpLegend explains the columns.
const httpLegend = `Figures are medians over the rounds that succeeded; ratios are ratios of medians.
- **requests**: **identical requests** is wrk's own request, the same bytes every time (GET /); **a random query string per request** runs wrk with a Lua script (random-query.lua, written by the driver) whose request() gives every request the target "/?q=<thread>-<count>-<random>", so that no two requests of a run are the same bytes. The script costs wrk CPU per request, so wrk saturates sooner: compare servers by server CPU µs/request there.
- **requests/s**: wrk's Requests/sec of the measured run (completed requests / its duration), all connections together.
- **p50/p99 µs**: wrk's latency distribution (--latency): time from sending a request to its complete response.
- **server CPU µs/request**: user+system CPU time of the server's process tree from just before wrk started to just after it exited (/proc/PID/stat, 10 ms resolution), divided by the requests wrk completed: the server's own cost per request, lower is better.
- **CPU busy %**: CPU time over that window in % of one core, of the server and of wrk (its rusage). With pinning (Settings) each has one CPU of its own; a side near 100 % is the bottleneck.
- **ratios**: our server's median divided by the other's; for requests/s higher is better, for CPU µs/request lower is better.
- **goals**: the project's targets for requests/s, marked pass or fail on the median requests/s of this run. **(wrk-bound)**: wrk was saturated (median ≥ 90 % of its CPU) with one of the two servers, so the ratio of requests/s is partly wrk's limit, not the servers'. **by server CPU**: the other server's CPU µs/request ÷ ours, the ratio of requests/s if each server were limited by its own core alone; it is for information (the goals are judged on requests/s) and the better guide when the goal is wrk-bound.
- **other CPU %** (per round): everything else that kept the machine's CPUs busy during the window (other processes, the driver, interrupts), in % of one core, from /proc/stat. Above about 25 % the round is disturbed.
`

// settings describes the run.
func (d *httpDriver) settings() string {
	o := d.o
	mode := modeName(o.Quick)
	skipped := ""
	for _, s := range d.skipped {
		skipped += fmt.Sprintf("; %s skipped (does not build)", s.Name)
	}
	warmup := "no warm-up"
	if o.Warmup > 0 {
		warmup = fmt.Sprintf("after an unmeasured %v run of the same command on the same server", o.Warmup)
	}
	anchor := "- Workerman anchor: " + d.anchor.Note + "\n"
	if a := d.anchor.Anchor; a != nil {
		anchor = "- Workerman anchor: " + a.describe() + "\n"
	}
	return fmt.Sprintf("- run: %s, %s mode, %d rounds, variants %s, order rotated each round%s\n"+
		"- servers: %s\n"+
		"%s"+
		"- machine: %s\n"+
		"- pinning: %s\n"+
		"- load: %s, `wrk %s` %s (random-query: `-s random-query.lua` too); a fresh server for every variant each round, first checked with two requests on one connection (200 OK, %q, or %q from Workerman, kept alive); any socket error or non-2xx response fails the round\n",
		d.started.UTC().Format("2006-01-02 15:04:05 UTC"), mode, o.Rounds, variantNames(o.variants), skipped,
		serverList(d.servers),
		anchor,
		d.machine(),
		d.pinSummary(),
		d.wrkVersion, strings.Join(wrkArgs(o.Threads, o.Conns, int(o.Duration.Seconds()), "127.0.0.1:PORT"), " "), warmup, helloBody, anchorHelloBody)
}

// pinSummary describes the pinning and what the rounds showed of the
// servers and of wrk.
func (d *httpDriver) pinSummary() string {
	infos := map[string][]serverInfo{}
	wrks := map[string]bool{}
	for _, r := range d.recs {
		infos[r.Server] = append(infos[r.Server], r.ServerInfo)
		if r.WrkInfo.CPUs != "" {
			wrks[fmt.Sprintf("wrk: CPUs %s, %d threads", r.WrkInfo.CPUs, r.WrkInfo.Threads)] = true
		}
	}
	return d.harness.pinSummary(seenSummary(d.servers, infos), "wrk's threads, half a second into each measured run", joinKeys(wrks, " | "))
}

// perRound is the table of every round.
func (d *httpDriver) perRound() string {
	var b strings.Builder
	b.WriteString("| round | variant | server | requests/s | p50 µs | p75 µs | p90 µs | p99 µs | server CPU µs/req | wrk CPU µs/req | server CPU % | wrk CPU % | other CPU % | server CPUs / threads / listeners | status |\n")
	b.WriteString("|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|\n")
	for _, r := range d.recs {
		status := "ok"
		if !r.OK {
			status = "FAILED: " + oneLine(r.Error)
		}
		var w wrkResult
		if r.Wrk != nil {
			w = *r.Wrk
		}
		variant := r.Variant
		if variant == "" {
			variant = httpVariants[0].Name
		}
		fmt.Fprintf(&b, "| %d | %s | %s | %.0f | %.0f | %.0f | %.0f | %.0f | %.2f | %.2f | %.0f | %.0f | %.0f | %s | %s |\n",
			r.Round, variant, r.Server, r.RequestsPerSec, w.P50us, w.P75us, w.P90us, w.P99us, r.ServerCPUusPerReq, r.WrkCPUusPerReq,
			r.ServerCPUPct, r.WrkCPUPct, r.OtherCPUPct, r.ServerInfo.String(), status)
	}
	return b.String()
}

// report prints the tables and writes the results file.
func (d *httpDriver) report() error {
	return d.harness.report(d.o.Out, results{
		kind: "http", title: "HTTP hello benchmark",
		tables: d.tables(), notes: d.notes(), legend: httpLegend,
		settings: d.settings(), perRound: d.perRound(), raw: d.rawJSON,
	})
}

// responseSizes lists the median bytes per response (wrk's Transfer/sec ÷
// requests/s) of every server of servers over its successful rounds:
// "net 130, wm 151".
func responseSizes(servers []serverSpec, recs []httpRecord) string {
	var parts []string
	for _, s := range servers {
		var sizes []float64
		for _, r := range recs {
			if r.Server == s.Name && r.OK && r.Wrk != nil && r.Wrk.RequestsPerSec > 0 {
				sizes = append(sizes, r.Wrk.TransferPerSec/r.Wrk.RequestsPerSec)
			}
		}
		if m, ok := median(sizes); ok {
			parts = append(parts, fmt.Sprintf("%s %.0f", s.Name, m))
		}
	}
	if len(parts) == 0 {
		return "not measured"
	}
	return strings.Join(parts, ", ")
}
