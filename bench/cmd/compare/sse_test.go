package main

import (
	"strings"
	"testing"
	"time"
)

func TestParseCounts(t *testing.T) {
	got, err := parseCounts(" 1000, 10000,1000,")
	if err != nil || len(got) != 2 || got[0] != 1000 || got[1] != 10000 {
		t.Fatalf("%v %v", got, err)
	}
	for _, bad := range []string{"", " , ", "10k", "0", "-5"} {
		if _, err := parseCounts(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestThousandsFrac(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 10000: "10,000", 1234567: "1,234,567", -2000: "-2,000"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q", n, got)
		}
	}
	for v, want := range map[float64]string{0.2: "1/5", 0.25: "1/4", 0.5: "1/2", 0.3: "0.30×"} {
		if got := frac(v); got != want {
			t.Errorf("frac(%v) = %q", v, got)
		}
	}
}

func sseOpts(t *testing.T, mod func(*sseOptions)) sseOptions {
	t.Helper()
	o := sseOptions{Tests: "idle,tick,fanout", Rounds: 3, Streams: 10000, TickDuration: 10 * time.Second,
		Fanout: "1000,10000", Publishes: 30, Burst: 20, Loops: 1}
	if mod != nil {
		mod(&o)
	}
	return o
}

func TestSSEOptionsCheck(t *testing.T) {
	o := sseOpts(t, nil)
	if err := o.check(); err != nil {
		t.Fatal(err)
	}
	if !o.tests["idle"] || !o.tests["tick"] || !o.tests["fanout"] || len(o.fanout) != 2 {
		t.Fatalf("%+v", o)
	}
	o = sseOpts(t, func(o *sseOptions) { o.Tests = "tick"; o.Fanout = "nonsense" })
	if err := o.check(); err != nil || o.fanout != nil {
		t.Fatalf("fan-out counts parsed without the fanout test: %v %v", o.fanout, err)
	}
	for name, mod := range map[string]func(*sseOptions){
		"unknown test":     func(o *sseOptions) { o.Tests = "idle,echo" },
		"no test":          func(o *sseOptions) { o.Tests = " , " },
		"two rounds":       func(o *sseOptions) { o.Rounds = 2 },
		"too many streams": func(o *sseOptions) { o.Streams = 20000 },
		"short tick":       func(o *sseOptions) { o.TickDuration = 500 * time.Millisecond },
		"no publishes":     func(o *sseOptions) { o.Publishes = 0 },
		"big fan-out":      func(o *sseOptions) { o.Fanout = "1000,30000" },
		"bad fan-out":      func(o *sseOptions) { o.Fanout = "1000,x" },
	} {
		o := sseOpts(t, mod)
		if err := o.check(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// sseFixture is two servers' rounds: wm uses 1.2 KiB per idle stream (net
// 12), 4 % CPU on tick (net 20 %), and at 10,000 subscribers has a p99 of
// 30 ms (net 50 ms).
func sseFixture() ([]idleRecord, []tickRecord, []fanoutRecord) {
	var idle []idleRecord
	var tick []tickRecord
	var fan []fanoutRecord
	for r := 1; r <= 3; r++ {
		d := float64(r - 2) // -1, 0, 1 around the median
		idle = append(idle,
			idleRecord{Server: "net", Round: r, OK: true, Conns: 10000, BytesPerConn: (12 + d) * 1024},
			idleRecord{Server: "wm", Round: r, OK: true, Conns: 10000, BytesPerConn: (1.2 + d/10) * 1024})
		tick = append(tick,
			tickRecord{Server: "net", Round: r, OK: true, ServerCPUPct: 20 + d, ServerSysPct: 11, ServerCPUusPerEvent: 20 + d, EventsPerSec: 10000 + 10*d},
			tickRecord{Server: "wm", Round: r, OK: true, ServerCPUPct: 4 + d/10, ServerSysPct: 3, ServerCPUusPerEvent: 4 + d/10, EventsPerSec: 9990 + 10*d})
		for _, n := range []int{1000, 10000} {
			k := float64(n) / 1000
			fan = append(fan,
				fanoutRecord{Server: "net", Round: r, OK: true, Subscribers: n, P50us: 2500 * k, P99us: (5000 + 100*d) * k, DeliveredPerSec: 300000},
				fanoutRecord{Server: "wm", Round: r, OK: true, Subscribers: n, P50us: 1500 * k, P99us: (3000 + 100*d) * k, DeliveredPerSec: 200000})
		}
	}
	// A failed round does not count.
	tick = append(tick, tickRecord{Server: "wm", Round: 4, OK: false, ServerCPUPct: 99})
	return idle, tick, fan
}

func TestSummarizeAndGoalsSSE(t *testing.T) {
	idle, tick, fan := sseFixture()
	sums := summarizeSSE(sseServers, idle, tick, fan)
	wm := findSSE(sums, "wm")
	if wm == nil || wm.idle != 1.2*1024 || wm.cpuPct != 4 || wm.tickOK != 3 || wm.fan[10000].p99 != 30000 || wm.fan[1000].delivered != 200000 {
		t.Fatalf("%+v", wm)
	}
	goals := evalSSEGoals(sums, 10000, []int{1000, 10000})
	if len(goals) != 5 {
		t.Fatalf("%d goals", len(goals))
	}
	want := []struct {
		value float64
		pass  bool
	}{{1.2, true}, {0.1, true}, {0.2, true}, {0.6, false}, {0.001, true}}
	for i, w := range want {
		g := goals[i]
		if !g.Measured || g.Pass != w.pass || abs(g.Value-w.value) > 1e-9 {
			t.Errorf("goal %q: %+v, want value %v pass %v", g.Goal, g, w.value, w.pass)
		}
	}
	if !strings.Contains(goals[3].Goal, "10,000 subscribers") {
		t.Errorf("fan-out goal %q is not about the largest count", goals[3].Goal)
	}

	// Too few events received fails the check; a missing server leaves
	// the ratios unmeasured.
	tick[1].EventsPerSec, tick[3].EventsPerSec, tick[5].EventsPerSec = 9000, 9000, 9000
	goals = evalSSEGoals(summarizeSSE(sseServers, idle, tick, fan), 10000, []int{1000, 10000})
	if goals[4].Pass || !strings.Contains(goals[4].Shown, "wm 9,000") {
		t.Errorf("check passed with 9,000 events/s: %+v", goals[4])
	}
	goals = evalSSEGoals(summarizeSSE(sseServers[1:], idle, tick, fan), 10000, nil)
	if len(goals) != 4 || !goals[0].Measured || goals[1].Measured || goals[2].Measured {
		t.Errorf("without net: %+v", goals)
	}
}

func TestSSETables(t *testing.T) {
	idle, tick, fan := sseFixture()
	o := sseOpts(t, nil)
	if err := o.check(); err != nil {
		t.Fatal(err)
	}
	out := sseTables(summarizeSSE(sseServers, idle, tick, fan), o)
	for _, want := range []string{
		"| measurement | net/http (goroutine per stream) | workerman-go | workerman-go ÷ net/http |",
		"| idle: KiB per stream, 10,000 streams with a 15 s heartbeat (lower is better) | 12.00 | 1.20 | 0.10× |",
		"| tick: server CPU, % of a core, 10,000 streams × 1 event/s (lower is better) | 20.0 | 4.0 | 0.20× |",
		"| fan-out to 10,000: latency p99 µs (lower is better) | 50000 | 30000 | 0.60× |",
		"| tick: of which user, % of a core | 9.0 | 1.0 | 0.11× |",
		"| tick: of which system (kernel: the writes), % of a core | 11.0 | 3.0 | 0.27× |",
		"| fan-out to 1,000: delivered events/s, burst of 20 (higher is better) | 300000 | 200000 | 0.67× |",
		"| idle memory of workerman-go ≤ 1.5 KiB per stream | 1.20 KiB | ✅ pass |",
		"| fan-out p99 at 10,000 subscribers ≤ 1/2 of net/http's | 0.60× | ❌ fail |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	if strings.Contains(out, "Medians over fewer rounds") {
		t.Errorf("complete rounds reported as incomplete:\n%s", out)
	}
	o.Rounds = 4
	if out := sseTables(summarizeSSE(sseServers, idle, tick, fan), o); !strings.Contains(out, "wm tick (3/4 rounds)") {
		t.Errorf("incomplete rounds not reported:\n%s", out)
	}
}

func TestIdleTable(t *testing.T) {
	out := idleTable([]idleRecord{
		{Server: "wm", Round: 1, OK: true, Conns: 10000, RSSBefore: 8 << 20, RSSAfter: 20 << 20, BytesPerConn: 1258.29, FDsBefore: 9, FDsAfter: 10009},
		{Server: "net", Round: 1, Error: "x | y"},
	}, "stream")
	for _, want := range []string{"| round | server | streams |", "KiB/stream", "| 1 | wm | 10000 | 8.0 | 20.0 | 1.23 | 9 → 10009 | – | ok |", "FAILED: x \\| y"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
}
