package main

import (
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"time"
)

type summary struct {
	server serverSpec
	echoSummary
	idleOK  int
	perConn float64
	hasIdle bool
}

// echoSummary holds the medians of one server's successful echo rounds.
type echoSummary struct {
	echoOK         int
	hasEcho        bool
	msgs, p50, p99 float64
	cpu            float64 // server µs per message (0: not measured)
	sys            float64 // its system (kernel) part
	srvPct, lgPct  float64
	lgCPU          float64 // load generator µs per message
}

// summarizeEcho returns the medians of server's successful echo rounds.
func summarizeEcho(recs []echoRecord, server string) echoSummary {
	var msgs, p50, p99, cpu, sys, srvPct, lgPct, lgCPU []float64
	for _, r := range recs {
		if r.Server == server && r.OK {
			msgs = append(msgs, r.MsgsPerSec)
			p50 = append(p50, r.P50us)
			p99 = append(p99, r.P99us)
			if r.ServerCPUusPerMsg > 0 {
				cpu = append(cpu, r.ServerCPUusPerMsg)
				sys = append(sys, r.ServerSysUsPerMsg)
				srvPct = append(srvPct, r.ServerCPUPct)
			}
			lgPct = append(lgPct, r.ClientCPUPct)
			lgCPU = append(lgCPU, r.ClientCPUusPerMsg)
		}
	}
	sm := echoSummary{echoOK: len(msgs)}
	sm.msgs, sm.hasEcho = median(msgs)
	sm.p50, _ = median(p50)
	sm.p99, _ = median(p99)
	sm.cpu, _ = median(cpu)
	sm.sys, _ = median(sys)
	sm.srvPct, _ = median(srvPct)
	sm.lgPct, _ = median(lgPct)
	sm.lgCPU, _ = median(lgCPU)
	return sm
}

// idleMedian is the median bytes per connection of server's successful
// idle rounds, their number, and whether there is one.
func idleMedian(recs []idleRecord, server string) (float64, int, bool) {
	var per []float64
	for _, r := range recs {
		if r.Server == server && r.OK {
			per = append(per, r.BytesPerConn)
		}
	}
	m, ok := median(per)
	return m, len(per), ok
}

func (d *driver) summarize() []summary {
	var out []summary
	for _, s := range d.servers {
		sm := summary{server: s, echoSummary: summarizeEcho(d.echo, s.Name)}
		sm.perConn, sm.idleOK, sm.hasIdle = idleMedian(d.idle, s.Name)
		out = append(out, sm)
	}
	return out
}

// table renders the summary as a Markdown table.
func (d *driver) table() string {
	sums := d.summarize()
	var base *summary
	for i := range sums {
		if sums[i].server.Name == "net" {
			base = &sums[i]
		}
	}
	var b strings.Builder
	b.WriteString("| server | echo msg/s | vs net | p50 µs | p99 µs | server CPU µs/msg | vs net | CPU busy % server / load gen | idle KiB/conn | vs net |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, s := range sums {
		echo, p50, p99, cpu, busy, idle := "failed", "–", "–", "–", "–", "failed"
		if s.hasEcho {
			echo = fmt.Sprintf("%.0f", s.msgs)
			p50 = fmt.Sprintf("%.0f", s.p50)
			p99 = fmt.Sprintf("%.0f", s.p99)
			if s.cpu > 0 {
				cpu = fmt.Sprintf("%.2f", s.cpu)
				busy = fmt.Sprintf("%.0f / %.0f", s.srvPct, s.lgPct)
			}
		}
		if s.hasIdle {
			idle = fmt.Sprintf("%.2f", s.perConn/1024)
		}
		echoRatio, cpuRatio, idleRatio := "–", "–", "–"
		if base != nil {
			echoRatio = ratio(s.msgs, base.msgs, s.hasEcho, base.hasEcho)
			cpuRatio = ratio(s.cpu, base.cpu, s.cpu > 0, base.cpu > 0)
			idleRatio = ratio(s.perConn, base.perConn, s.hasIdle, base.hasIdle)
		}
		if s.echoOK < d.o.Rounds && s.hasEcho {
			echo += fmt.Sprintf(" (%d/%d rounds)", s.echoOK, d.o.Rounds)
		}
		if s.idleOK < d.o.Rounds && s.hasIdle {
			idle += fmt.Sprintf(" (%d/%d rounds)", s.idleOK, d.o.Rounds)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			s.server.Label, echo, echoRatio, p50, p99, cpu, cpuRatio, busy, idle, idleRatio)
	}
	return b.String()
}

// notes are the caveats of the run that a reader of the table needs.
func (d *driver) notes() string {
	var others []float64
	for _, r := range d.echo {
		if r.OK {
			others = append(others, r.OtherCPUPct)
		}
	}
	var bound []string
	for _, s := range d.summarize() {
		if s.hasEcho && s.cpu > 0 && s.lgPct >= saturated {
			bound = append(bound, s.server.Name)
		}
	}
	return noisyNote(others, "echo rounds", "msg/s", "CPU µs/msg") +
		saturatedNote(bound, "The load generator", "msg/s", "CPU µs/msg")
}

func (d *driver) settings() string {
	o := d.o
	mode := modeName(o.Quick)
	src := sourceLabel(o.Src)
	return fmt.Sprintf("- run: %s, %s mode, %d rounds, servers %s (order rotated each round)\n"+
		"- machine: %s\n"+
		"- pinning: %s\n"+
		"- echo: %d connections × %d message(s) of %d bytes in flight, %v warm-up + %v measured per round, fresh server each round\n"+
		"- idle: %d connections over %d load generator process(es), RSS read %v after all are established and accepted, fresh server each round\n"+
		"- load generator: %d epoll loop(s) per process, source addresses: %s\n",
		d.started.UTC().Format("2006-01-02 15:04:05 UTC"), mode, o.Rounds, o.Servers,
		d.machine(),
		d.pinSummary(),
		o.EchoConns, o.EchoDepth, o.EchoSize, o.EchoWarmup, o.EchoDuration,
		o.IdleConns, o.Procs, o.IdleSettle,
		o.Loops, src)
}

const legend = `Figures are medians over the rounds that succeeded.
- **echo msg/s**: messages echoed per second, all connections together; **vs net**: ratio to the net server (higher is better). With several messages in flight per connection (Settings) they travel together, so msg/s grows with the depth while the number of system calls does not.
- **p50/p99 µs**: round-trip latency of one message (from the moment it is queued for writing to its last echoed byte), from the merged histogram of a round; with several messages in flight it includes the wait behind the earlier ones.
- **server CPU µs/msg**: user+system CPU time of the server process tree during the measured window, divided by the messages (lower is better; 10 ms clock resolution): the server's own cost per message, the fairest efficiency figure; **vs net**: its ratio to net (lower is better).
- **CPU busy %**: CPU time over the measured window in % of one core, of the server and of the load generator(s). With pinning (Settings) each has one CPU of its own; a side near 100 % is a bottleneck. On loopback both sides spend about 90 % of their time in the kernel's TCP code and the load generator needs about as much CPU per message as the servers, so both usually run near 100 %: msg/s is then bounded by the load generator as much as by the server, and server CPU µs/msg is the figure that separates the servers. Without pinning both share all CPUs and msg/s is a figure for the pair.
- **other CPU %** (per round): everything else that kept the machine's CPUs busy during the window (other processes, the driver, interrupts), in % of one core, from /proc/stat. Above about 25 % the round is disturbed; with pinning a busy neighbour cannot be escaped by moving to the other CPU.
- **idle KiB/conn**: (server RSS with the idle connections − RSS with the ten warm-up connections open, which are opened first so that what a fresh process does once for its first connections is in it) / the other connections, RSS from /proc/PID/smaps_rollup summed over the server's process tree; **vs net**: ratio to net (lower is better). Kernel socket buffers are not in RSS.
`

func (d *driver) perRound() string {
	var b strings.Builder
	b.WriteString("### Echo\n\n")
	b.WriteString(echoTable(d.echo))
	b.WriteString("\n### Idle\n\n")
	b.WriteString(idleTable(d.idle, "conn"))
	return b.String()
}

// echoTable is the per-round table of echo measurements.
func echoTable(recs []echoRecord) string {
	var b strings.Builder
	b.WriteString("| round | server | msg/s | MB/s | p50 µs | p99 µs | server CPU µs/msg (system) | client CPU µs/msg | server CPU % | client CPU % | other CPU % | server CPUs / threads / listeners | status |\n|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|\n")
	for _, r := range recs {
		fmt.Fprintf(&b, "| %d | %s | %.0f | %.2f | %.0f | %.0f | %.2f (%.2f) | %.2f | %.0f | %.0f | %.0f | %s | %s |\n",
			r.Round, r.Server, r.MsgsPerSec, r.MBPerSec, r.P50us, r.P99us, r.ServerCPUusPerMsg, r.ServerSysUsPerMsg, r.ClientCPUusPerMsg,
			r.ServerCPUPct, r.ClientCPUPct, r.OtherCPUPct, r.ServerInfo.String(), status(r.OK, r.Error))
	}
	return b.String()
}

// pinSummary describes the pinning of the run and what the echo rounds
// showed of the servers and the load generators.
func (d *driver) pinSummary() string {
	infos := map[string][]serverInfo{}
	lgs := map[string]bool{}
	for _, r := range d.echo {
		infos[r.Server] = append(infos[r.Server], r.ServerInfo)
		if r.LoadgenCPUs != "" {
			lgs[fmt.Sprintf("CPUs %s, GOMAXPROCS %d", r.LoadgenCPUs, r.LoadgenGOMAXPROCS)] = true
		}
	}
	return d.harness.pinSummary(seenSummary(d.servers, infos), "the load generator's own report", joinKeys(lgs, " | "))
}

// rawJSON is the machine-readable record of the run. Latency histograms are
// dropped from the load generator lines to keep the file readable.
func (d *driver) rawJSON() ([]byte, error) {
	echo := append([]echoRecord(nil), d.echo...)
	for i := range echo {
		echo[i].Loadgen = stripHists(echo[i].Loadgen)
	}
	idle := append([]idleRecord(nil), d.idle...)
	for i := range idle {
		idle[i].Loadgen = stripHists(idle[i].Loadgen)
	}
	return json.MarshalIndent(struct {
		Started  time.Time    `json:"started"`
		Options  options      `json:"options"`
		Pinning  pinning      `json:"pinning"`
		Servers  []serverSpec `json:"servers"`
		GoOS     string       `json:"goos"`
		GoArch   string       `json:"goarch"`
		CPUs     int          `json:"cpus"`
		Go       string       `json:"go"`
		LoadAvg0 string       `json:"loadavg_start"`
		LoadAvg1 string       `json:"loadavg_end"`
		Echo     []echoRecord `json:"echo"`
		Idle     []idleRecord `json:"idle"`
	}{d.started.UTC(), d.o, d.pin, d.servers, runtime.GOOS, runtime.GOARCH, numCPU(), runtime.Version(), d.load0, d.load1, echo, idle}, "", "  ")
}

// report prints the table and writes the results file.
func (d *driver) report() error {
	return d.harness.report(d.o.Out, results{
		kind: "echo", title: "Echo benchmark",
		tables: d.table(), notes: d.notes(), legend: legend,
		settings: d.settings(), perRound: d.perRound(), raw: d.rawJSON,
	})
}
