package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"
)

func median(v []float64) (float64, bool) {
	if len(v) == 0 {
		return 0, false
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2], true
	}
	return (s[n/2-1] + s[n/2]) / 2, true
}

type summary struct {
	server                       serverSpec
	echoOK, idleOK               int
	msgs, p50, p99, cpu, perConn float64
	srvPct, lgPct                float64
	hasEcho, hasIdle             bool
}

func (d *driver) summarize() []summary {
	var out []summary
	for _, s := range d.servers {
		var msgs, p50, p99, cpu, per, srvPct, lgPct []float64
		for _, r := range d.echo {
			if r.Server == s.Name && r.OK {
				msgs = append(msgs, r.MsgsPerSec)
				p50 = append(p50, r.P50us)
				p99 = append(p99, r.P99us)
				if r.ServerCPUusPerMsg > 0 {
					cpu = append(cpu, r.ServerCPUusPerMsg)
					srvPct = append(srvPct, r.ServerCPUPct)
				}
				lgPct = append(lgPct, r.ClientCPUPct)
			}
		}
		for _, r := range d.idle {
			if r.Server == s.Name && r.OK {
				per = append(per, r.BytesPerConn)
			}
		}
		sm := summary{server: s, echoOK: len(msgs), idleOK: len(per)}
		sm.msgs, sm.hasEcho = median(msgs)
		sm.p50, _ = median(p50)
		sm.p99, _ = median(p99)
		sm.cpu, _ = median(cpu)
		sm.srvPct, _ = median(srvPct)
		sm.lgPct, _ = median(lgPct)
		sm.perConn, sm.hasIdle = median(per)
		out = append(out, sm)
	}
	return out
}

func ratio(v, base float64, ok, baseOK bool) string {
	if !ok || !baseOK || base == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f×", v/base)
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

// noisyOther is the load of other processes during an echo window, in % of
// one core, beyond which a round is called noisy.
const noisyOther = 25

// notes are the caveats of the run that a reader of the table needs.
func (d *driver) notes() string {
	var b strings.Builder
	var noisy, total int
	for _, r := range d.echo {
		if !r.OK {
			continue
		}
		total++
		if r.OtherCPUPct > noisyOther {
			noisy++
		}
	}
	if noisy > 0 {
		fmt.Fprintf(&b, "- %d of %d echo rounds ran with more than %d %% of a core of other load on the machine (\"other CPU %%\" in the per-round table): their msg/s and, to a lesser degree, CPU µs/msg are disturbed.\n",
			noisy, total, noisyOther)
	}
	var bound []string
	for _, s := range d.summarize() {
		if s.hasEcho && s.cpu > 0 && s.lgPct >= 90 {
			bound = append(bound, s.server.Name)
		}
	}
	if len(bound) > 0 {
		fmt.Fprintf(&b, "- The load generator was (nearly) saturated, median ≥ 90 %% of its CPU, with %s: msg/s there is bounded by the load generator as much as by the server; server CPU µs/msg (and its ratio) is the server's own figure.\n",
			strings.Join(bound, ", "))
	}
	return b.String()
}

func (d *driver) settings() string {
	o := d.o
	mode := "default"
	if o.Quick {
		mode = "quick"
	}
	src := o.Src
	if src == "" {
		src = "kernel choice (127.0.0.1)"
	}
	return fmt.Sprintf("- run: %s, %s mode, %d rounds, servers %s (order rotated each round)\n"+
		"- machine: %s/%s, %d CPUs, %s; load average (1/5/15 min) %s at start, %s at end\n"+
		"- pinning: %s\n"+
		"- echo: %d connections × %d message(s) of %d bytes in flight, %v warm-up + %v measured per round, fresh server each round\n"+
		"- idle: %d connections over %d load generator process(es), RSS read %v after all are established and accepted, fresh server each round\n"+
		"- load generator: %d epoll loop(s) per process, source addresses: %s\n",
		d.started.UTC().Format("2006-01-02 15:04:05 UTC"), mode, o.Rounds, o.Servers,
		runtime.GOOS, runtime.GOARCH, numCPU(), runtime.Version(), d.load0, d.load1,
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
- **idle KiB/conn**: (server RSS with the idle connections − RSS before) / connections, RSS from /proc/PID/smaps_rollup summed over the server's process tree; **vs net**: ratio to net (lower is better). Kernel socket buffers are not in RSS.
`

func (d *driver) perRound() string {
	var b strings.Builder
	b.WriteString("### Echo\n\n| round | server | msg/s | MB/s | p50 µs | p99 µs | server CPU µs/msg | client CPU µs/msg | server CPU % | client CPU % | other CPU % | server CPUs / threads / listeners | status |\n|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|\n")
	for _, r := range d.echo {
		status := "ok"
		if !r.OK {
			status = "FAILED: " + oneLine(r.Error)
		}
		fmt.Fprintf(&b, "| %d | %s | %.0f | %.2f | %.0f | %.0f | %.2f | %.2f | %.0f | %.0f | %.0f | %s | %s |\n",
			r.Round, r.Server, r.MsgsPerSec, r.MBPerSec, r.P50us, r.P99us, r.ServerCPUusPerMsg, r.ClientCPUusPerMsg,
			r.ServerCPUPct, r.ClientCPUPct, r.OtherCPUPct, r.ServerInfo.String(), status)
	}
	b.WriteString("\n### Idle\n\n| round | server | conns | RSS before MiB | RSS after MiB | KiB/conn | server fds before → after | server CPUs / threads / listeners | status |\n|---:|---|---:|---:|---:|---:|---|---|---|\n")
	for _, r := range d.idle {
		status := "ok"
		if !r.OK {
			status = "FAILED: " + oneLine(r.Error)
		}
		fmt.Fprintf(&b, "| %d | %s | %d | %.1f | %.1f | %.2f | %d → %d | %s | %s |\n",
			r.Round, r.Server, r.Conns, mib(r.RSSBefore), mib(r.RSSAfter), r.BytesPerConn/1024, r.FDsBefore, r.FDsAfter, r.ServerInfo.String(), status)
	}
	return b.String()
}

func (i serverInfo) String() string {
	if i.CPUs == "" {
		return "–"
	}
	return fmt.Sprintf("%s / %d / %d", i.CPUs, i.Threads, i.Listeners)
}

// pinSummary describes the pinning of the run and what was verified.
func (d *driver) pinSummary() string {
	if !d.pin.On {
		return d.pin.Note + "; servers and load generators share all CPUs"
	}
	// What the servers looked like (from the echo rounds, where every
	// thread they start exists), and the load generators' own report.
	var parts []string
	for _, s := range d.servers {
		cpus, listeners := map[string]bool{}, map[int]bool{}
		for _, r := range d.echo {
			if r.Server == s.Name && r.ServerInfo.CPUs != "" {
				cpus[r.ServerInfo.CPUs] = true
				listeners[r.ServerInfo.Listeners] = true
			}
		}
		if len(cpus) == 0 {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s: CPUs %s, %s listener(s)", s.Name, joinKeys(cpus), joinInts(listeners)))
	}
	lgs := map[string]bool{}
	for _, r := range d.echo {
		if r.LoadgenCPUs != "" {
			lgs[fmt.Sprintf("CPUs %s, GOMAXPROCS %d", r.LoadgenCPUs, r.LoadgenGOMAXPROCS)] = true
		}
	}
	seen := "no server seen yet"
	if len(parts) > 0 {
		seen = strings.Join(parts, "; ")
	}
	lg := ""
	if len(lgs) > 0 {
		lg = "; load generator: " + joinKeys(lgs)
	}
	env := ""
	if v := os.Getenv("GOMAXPROCS"); v != "" {
		env = fmt.Sprintf(" (warning: GOMAXPROCS=%s in the environment)", v)
	}
	return fmt.Sprintf("every server process on CPU %d, every load generator on CPU %d, set before exec so that Go sizes GOMAXPROCS (and gnet and workerman-go their default number of event loops) from the one CPU%s. "+
		"Checked every round from /proc/PID/task/*/status (Cpus_allowed_list of every server thread) and the load generator's own report; "+
		"seen: %s%s",
		d.pin.Server, d.pin.Loadgen, env, seen, lg)
}

func joinKeys(m map[string]bool) string {
	var k []string
	for v := range m {
		k = append(k, v)
	}
	sort.Strings(k)
	return strings.Join(k, " | ")
}

func joinInts(m map[int]bool) string {
	var k []int
	for v := range m {
		k = append(k, v)
	}
	sort.Ints(k)
	var s []string
	for _, v := range k {
		s = append(s, fmt.Sprint(v))
	}
	return strings.Join(s, " | ")
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	s = strings.ReplaceAll(s, "|", "\\|")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// rawJSON is the machine-readable record of the run. Latency histograms are
// dropped from the load generator lines to keep the file readable.
func (d *driver) rawJSON() ([]byte, error) {
	strip := func(raws []json.RawMessage) []json.RawMessage {
		out := make([]json.RawMessage, 0, len(raws))
		for _, r := range raws {
			var m map[string]any
			if json.Unmarshal(r, &m) != nil {
				out = append(out, r)
				continue
			}
			delete(m, "latency")
			b, err := json.Marshal(m)
			if err != nil {
				out = append(out, r)
				continue
			}
			out = append(out, b)
		}
		return out
	}
	echo := append([]echoRecord(nil), d.echo...)
	for i := range echo {
		echo[i].Loadgen = strip(echo[i].Loadgen)
	}
	idle := append([]idleRecord(nil), d.idle...)
	for i := range idle {
		idle[i].Loadgen = strip(idle[i].Loadgen)
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

func (d *driver) report() error {
	table := d.table()
	notes := d.notes()
	fmt.Println()
	fmt.Print(table)
	fmt.Println()
	if notes != "" {
		fmt.Print(notes)
		fmt.Println()
	}
	fmt.Print(d.settings())

	if d.o.Out == "-" {
		return nil
	}
	path := d.o.Out
	if path == "" {
		dir := filepath.Join(d.root, "bench", "results")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		path = uniquePath(filepath.Join(dir, "echo-"+d.started.Format("2006-01-02")), ".md")
	}
	raw, err := d.rawJSON()
	if err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Echo benchmark, %s\n\n", d.started.UTC().Format("2006-01-02 15:04 UTC"))
	b.WriteString(table)
	b.WriteString("\n")
	if notes != "" {
		b.WriteString(notes)
		b.WriteString("\n")
	}
	b.WriteString(legend)
	b.WriteString("\n## Settings\n\n")
	b.WriteString(d.settings())
	b.WriteString("\nCommand: `go run ./bench/cmd/compare " + strings.Join(os.Args[1:], " ") + "`\n")
	b.WriteString("\n## Per round\n\n")
	b.WriteString(d.perRound())
	b.WriteString("\n## Raw results\n\n```json\n")
	b.Write(raw)
	b.WriteString("\n```\n")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return err
	}
	logf("compare: wrote %s", path)
	return nil
}

// uniquePath returns base+ext, or base-2+ext, base-3+ext... whichever does
// not exist yet.
func uniquePath(base, ext string) string {
	p := base + ext
	for i := 2; ; i++ {
		if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
			return p
		}
		p = fmt.Sprintf("%s-%d%s", base, i, ext)
	}
}
