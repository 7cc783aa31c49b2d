package worker

import (
	"context"
	"fmt"
	"maps"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
)

// Version is the framework's version, shown by start and status.
const Version = "0.1.0"

func runtimeVersion() string { return runtime.Version() }

// StatusReport renders the status of the process's running Workers: the
// text the status command prints (a header about the process, a row per
// event loop of every Worker, the totals, the connections by protocol and
// the lines added with AddStatus). It waits for the event loops to count
// their connections (a few seconds at most), so call it on a goroutine of
// its own, never on an event loop. Package worker/metrics serves it live
// at /status.
func StatusReport() string { return statusReport(running()) }

// running returns the Workers that run now.
func running() []runner {
	var out []runner
	for _, w := range workers() {
		if w.info().addr != "" {
			out = append(out, w)
		}
	}
	return out
}

// statusReport renders Workerman's status page: a header about the process,
// one row per event loop of every Worker, and a summary line.
func statusReport(ws []runner) string {
	var b strings.Builder
	now := time.Now()
	start := now
	for _, w := range ws {
		if in := w.info(); !in.started.IsZero() && in.started.Before(start) {
			start = in.started
		}
	}
	fmt.Fprintf(&b, "---------------------------------------- WORKERMAN-GO STATUS ----------------------------------------\n")
	fmt.Fprintf(&b, "workerman-go version: %s    Go version: %s    pid: %d\n", Version, runtime.Version(), os.Getpid())
	fmt.Fprintf(&b, "start time: %s    run: %s\n", start.Format("2006-01-02 15:04:05"), now.Sub(start).Round(time.Second))
	if la, err := os.ReadFile("/proc/loadavg"); err == nil {
		f := strings.Fields(string(la))
		if len(f) >= 3 {
			fmt.Fprintf(&b, "load average: %s, %s, %s    ", f[0], f[1], f[2])
		}
	}
	fmt.Fprintf(&b, "memory: %s RSS\n", rss())
	fmt.Fprintf(&b, "------------------------------------------------ LOOPS ------------------------------------------------\n")

	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "worker\tlisten\tloop\tconnections\taccepted\tbytes_in\tbytes_out\tsend_fail\ttimers\tmessages\tpanics")
	var total Counters
	var refused uint64
	loops := 0
	for _, w := range ws {
		info := w.info()
		if info.addr == "" {
			continue // not running
		}
		st := w.Stats()
		for _, l := range st.Loops {
			loops++
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\n",
				info.name, info.addr, l.Index, l.Connections, l.Accepted,
				l.BytesRead, l.BytesWritten, l.SendFailures, l.Timers, l.Messages, l.Panics)
		}
		total.add(st.Counters)
		refused += st.Refused
	}
	_ = tw.Flush()
	fmt.Fprintf(&b, "------------------------------------------------ SUMMARY ----------------------------------------------\n")
	fmt.Fprintf(&b, "%d workers  %d loops  %d connections  %d accepted  %d refused  %d bytes in  %d bytes out  %d send failures  %d timers  %d messages  %d panics\n",
		len(ws), loops, total.Connections, total.Accepted, refused, total.BytesRead, total.BytesWritten,
		total.SendFailures, total.Timers, total.Messages, total.Panics)
	fmt.Fprintf(&b, "by protocol: %s\n", protocolCounts(ws))
	for _, line := range statusLines() {
		fmt.Fprintf(&b, "%s: %s\n", line.name, line.text())
	}
	return b.String()
}

// protocolCounts counts the open connections by what they carry ("http",
// "sse", "websocket", ...), from the loops' lists of connections.
func protocolCounts(ws []runner) string {
	counts := map[string]int{}
	for _, w := range ws {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		list, err := w.connections(ctx)
		cancel()
		if err != nil {
			counts["(unknown: "+err.Error()+")"]++
		}
		for _, c := range list {
			counts[c.Protocol]++
		}
	}
	if len(counts) == 0 {
		return "none"
	}
	var parts []string
	for _, name := range slices.Sorted(maps.Keys(counts)) {
		parts = append(parts, fmt.Sprintf("%s %d", name, counts[name]))
	}
	return strings.Join(parts, "  ")
}

// A statusLine is a line AddStatus added to the status.
type statusLine struct {
	name   string
	report func() string
}

var (
	statusMu   sync.Mutex
	addedLines []statusLine
)

// AddStatus adds a line to what the status command prints: name, then
// what report returns when the status is asked for (one line, on a
// goroutine of the running instance). For the state of the program's own
// parts, such as its pubsub Hub's topics, subscribers and evictions:
//
//	worker.AddStatus("pubsub", func() string { return hub.Stats().String() })
func AddStatus(name string, report func() string) {
	statusMu.Lock()
	defer statusMu.Unlock()
	addedLines = append(addedLines, statusLine{name, report})
}

func statusLines() []statusLine {
	statusMu.Lock()
	defer statusMu.Unlock()
	return slices.Clone(addedLines)
}

// text runs the report, which is the program's: a panic in it is the
// line's text, not the end of the process.
func (l statusLine) text() (s string) {
	defer func() {
		if r := recover(); r != nil {
			s = fmt.Sprintf("(the report panicked: %v)", r)
		}
	}()
	return strings.ReplaceAll(l.report(), "\n", " ")
}

// rss reads the process's resident set size from /proc.
func rss() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// connectionsReport lists the open connections of the Workers, as
// Workerman's connections command: one line each, with its Worker,
// protocol, peer, state, age, bytes in and out, and bytes queued.
func connectionsReport(ws []runner) string {
	var b strings.Builder
	now := time.Now()
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "id\tworker\tprotocol\tpeer\tlocal\tstate\tage\tbytes_in\tbytes_out\tqueued")
	n := 0
	var errs []string
	for _, w := range ws {
		info := w.info()
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		list, err := w.connections(ctx)
		cancel()
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", info.name, err))
		}
		for _, c := range list {
			n++
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\n", c.ID, info.name, c.Protocol, c.Remote, c.Local,
				c.State, now.Sub(c.Opened).Round(time.Second), c.BytesRead, c.BytesWritten, c.Queued)
		}
	}
	_ = tw.Flush()
	fmt.Fprintf(&b, "%d connections\n", n)
	for _, e := range errs {
		fmt.Fprintf(&b, "incomplete: %s\n", e)
	}
	return b.String()
}
