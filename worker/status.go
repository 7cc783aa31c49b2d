package worker

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"
)

// Version is the framework's version, shown by start and status.
const Version = "0.1.0"

func runtimeVersion() string { return runtime.Version() }

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
	fmt.Fprintln(tw, "worker\tlisten\tloop\tconnections\taccepted\trefused\tbytes_in\tbytes_out\tsend_fail\ttimers\tmessages\tpanics")
	var conns, accepted, refused, in, out, fails, msgs, panics uint64
	var timers int64
	loops := 0
	for _, w := range ws {
		info := w.info()
		if info.handler == nil {
			continue
		}
		for _, l := range info.handler.Loops() {
			s := l.Stats()
			loops++
			c := uint64(max(s.Connections.Load(), 0))
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\n",
				info.name, info.addr, l.Index(), c, s.Accepted.Load(), s.Refused.Load(),
				s.BytesRead.Load(), s.BytesWritten.Load(), s.SendFailures.Load(),
				s.Timers.Load(), s.Messages.Load(), s.Panics.Load())
			conns += c
			accepted += s.Accepted.Load()
			refused += s.Refused.Load()
			in += s.BytesRead.Load()
			out += s.BytesWritten.Load()
			fails += s.SendFailures.Load()
			timers += s.Timers.Load()
			msgs += s.Messages.Load()
			panics += s.Panics.Load()
		}
	}
	_ = tw.Flush()
	fmt.Fprintf(&b, "------------------------------------------------ SUMMARY ----------------------------------------------\n")
	fmt.Fprintf(&b, "%d workers  %d loops  %d connections  %d accepted  %d refused  %d bytes in  %d bytes out  %d send failures  %d timers  %d messages  %d panics\n",
		len(ws), loops, conns, accepted, refused, in, out, fails, timers, msgs, panics)
	return b.String()
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
