package main

import (
	"strings"
	"testing"
	"time"
)

func TestListeningField(t *testing.T) {
	line := "LISTENING 127.0.0.1:4000 publish=127.0.0.1:4001"
	if addr, err := parseListening(line); err != nil || addr != "127.0.0.1:4000" {
		t.Fatalf("%q %v", addr, err)
	}
	if v, err := listeningField(line, "publish"); err != nil || v != "127.0.0.1:4001" {
		t.Fatalf("%q %v", v, err)
	}
	for _, bad := range []string{"LISTENING 127.0.0.1:4000", "LISTENING 127.0.0.1:4000 publish=", "LISTENING 127.0.0.1:4000 republish=x"} {
		if v, err := listeningField(bad, "publish"); err == nil {
			t.Errorf("%q: %q", bad, v)
		}
	}
}

func wsOpts(mod func(*wsOptions)) wsOptions {
	o := wsOptions{Tests: "echo,idle,broadcast", Rounds: 3, EchoConns: 1000, EchoSize: 64, EchoDepth: 1, EchoDuration: 5 * time.Second,
		IdleConns: 10000, Broadcast: "1000,10000", Publishes: 30, Burst: 20, Loops: 1}
	if mod != nil {
		mod(&o)
	}
	return o
}

func TestWSOptionsCheck(t *testing.T) {
	o := wsOpts(nil)
	if err := o.check(); err != nil {
		t.Fatal(err)
	}
	if !o.tests["echo"] || !o.tests["idle"] || !o.tests["broadcast"] || len(o.broadcast) != 2 || o.procs != 1 {
		t.Fatalf("%+v", o)
	}
	o = wsOpts(func(o *wsOptions) { o.Tests = "idle"; o.Broadcast = "nonsense"; o.IdleConns = 19000 })
	if err := o.check(); err != nil || o.broadcast != nil || o.procs != 1 {
		t.Fatalf("broadcast counts parsed without the broadcast test: %v %v", o.broadcast, err)
	}
	for name, mod := range map[string]func(*wsOptions){
		"unknown test":   func(o *wsOptions) { o.Tests = "echo,tick" },
		"two rounds":     func(o *wsOptions) { o.Rounds = 2 },
		"no clients":     func(o *wsOptions) { o.EchoConns = 0 },
		"deep":           func(o *wsOptions) { o.EchoDepth = 5000 },
		"too many idle":  func(o *wsOptions) { o.IdleConns = 20000 },
		"no publishes":   func(o *wsOptions) { o.Publishes = 0 },
		"big broadcast":  func(o *wsOptions) { o.Broadcast = "1000,30000" },
		"bad broadcast":  func(o *wsOptions) { o.Broadcast = "1000,x" },
		"no loops":       func(o *wsOptions) { o.Loops = 0 },
		"negative burst": func(o *wsOptions) { o.Burst = -1 },
	} {
		o := wsOpts(mod)
		if err := o.check(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// wsFixture is two servers' rounds: wm echoes 120,000 msg/s at 8 µs/msg
// (gorilla 100,000 at 12), uses 1.2 KiB per idle connection (gorilla 9.6),
// and at 10,000 clients has a p99 of 30 ms (gorilla 60 ms).
func wsFixture() ([]echoRecord, []idleRecord, []fanoutRecord) {
	var echo []echoRecord
	var idle []idleRecord
	var fan []fanoutRecord
	for r := 1; r <= 3; r++ {
		d := float64(r - 2) // -1, 0, 1 around the median
		echo = append(echo,
			echoRecord{Server: "gorilla", Round: r, OK: true, MsgsPerSec: 100000 + 1000*d, ServerCPUusPerMsg: 12 + d, ServerCPUPct: 99, ClientCPUPct: 80, P50us: 9000, P99us: 20000},
			echoRecord{Server: "wm", Round: r, OK: true, MsgsPerSec: 120000 + 1000*d, ServerCPUusPerMsg: 8 + d/10, ServerCPUPct: 90, ClientCPUPct: 95, P50us: 8000, P99us: 15000})
		idle = append(idle,
			idleRecord{Server: "gorilla", Round: r, OK: true, Conns: 10000, BytesPerConn: (9.6 + d) * 1024},
			idleRecord{Server: "wm", Round: r, OK: true, Conns: 10000, BytesPerConn: (1.2 + d/10) * 1024})
		for _, n := range []int{1000, 10000} {
			k := float64(n) / 1000
			fan = append(fan,
				fanoutRecord{Server: "gorilla", Round: r, OK: true, Subscribers: n, P50us: 3000 * k, P99us: (6000 + 100*d) * k, DeliveredPerSec: 150000, ServerCPUusPerEvent: 10},
				fanoutRecord{Server: "wm", Round: r, OK: true, Subscribers: n, P50us: 1500 * k, P99us: (3000 + 100*d) * k, DeliveredPerSec: 900000, ServerCPUusPerEvent: 5})
		}
	}
	// A failed round does not count.
	echo = append(echo, echoRecord{Server: "wm", Round: 4, OK: false, MsgsPerSec: 1})
	return echo, idle, fan
}

func TestSummarizeAndGoalsWS(t *testing.T) {
	echo, idle, fan := wsFixture()
	sums := summarizeWS(wsServers, echo, idle, fan)
	wm := findWS(sums, "wm")
	if wm == nil || wm.msgs != 120000 || wm.cpu != 8 || wm.echoOK != 3 || wm.idle != 1.2*1024 || wm.fan[10000].p99 != 30000 || wm.fan[1000].delivered != 900000 {
		t.Fatalf("%+v", wm)
	}
	goals := evalWSGoals(sums, 10000)
	if len(goals) != 2 || !goals[0].Pass || !goals[1].Pass || abs(goals[0].Value-1.2) > 1e-9 || abs(goals[1].Value-0.125) > 1e-9 {
		t.Fatalf("%+v", goals)
	}
	// 2 KiB fails both; without gorilla the ratio is not measured.
	for i := range idle {
		if idle[i].Server == "wm" {
			idle[i].BytesPerConn = 2048
		}
	}
	goals = evalWSGoals(summarizeWS(wsServers, echo, idle, fan), 10000)
	if goals[0].Pass || goals[1].Pass || goals[0].Shown != "2.00 KiB" || goals[1].Shown != "0.21×" {
		t.Fatalf("%+v", goals)
	}
	goals = evalWSGoals(summarizeWS(wsServers[1:], echo, idle, fan), 10000)
	if !goals[0].Measured || goals[1].Measured {
		t.Fatalf("without gorilla: %+v", goals)
	}
}

func TestWSTables(t *testing.T) {
	echo, idle, fan := wsFixture()
	o := wsOpts(nil)
	if err := o.check(); err != nil {
		t.Fatal(err)
	}
	out := wsTables(summarizeWS(wsServers, echo, idle, fan), o)
	for _, want := range []string{
		"| workerman-go ÷ gorilla/websocket | ratio | better |",
		"| echo messages/s (1,000 clients) | 1.20× | higher |",
		"| echo server CPU per message | 0.67× | lower |",
		"| idle memory per connection (10,000) | 0.12× | lower |",
		"| broadcast to 10,000: p99 latency | 0.50× | lower |",
		"| broadcast to 10,000: delivered messages/s (burst) | 6.00× | higher |",
		"| measurement | gorilla/websocket (goroutine per conn) | workerman-go | workerman-go ÷ gorilla |",
		"| echo: messages/s, 1,000 clients × 1 × 64-byte text message(s) in flight (higher is better) | 100000 | 120000 | 1.20× |",
		"| echo: CPU busy %, server | 99 | 90 | – |",
		"| idle: KiB per connection, 10,000 connections (lower is better) | 9.60 | 1.20 | 0.12× |",
		"| broadcast to 1,000: latency p99 µs (lower is better) | 6000 | 3000 | 0.50× |",
		"| broadcast to 10,000: delivered messages/s, burst of 20 (higher is better) | 150000 | 900000 | 6.00× |",
		"| idle memory of workerman-go ≤ 1.5 KiB per connection (10,000 connections) | 1.20 KiB | ✅ pass |",
		"| idle memory per connection ≤ 1/5 of gorilla's | 0.12× | ✅ pass |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	if strings.Contains(out, "Medians over fewer rounds") {
		t.Errorf("complete rounds reported as incomplete:\n%s", out)
	}
	o.Rounds = 4
	if out := wsTables(summarizeWS(wsServers, echo, idle, fan), o); !strings.Contains(out, "wm echo (3/4 rounds)") {
		t.Errorf("incomplete rounds not reported:\n%s", out)
	}
	// One server alone: no headline, no ratios.
	out = wsTables(summarizeWS(wsServers[1:], echo, idle, fan), o)
	if strings.Contains(out, "| ratio | better |") || !strings.Contains(out, "| echo: server CPU µs per message (lower is better) | 8.00 | – |") {
		t.Errorf("one server:\n%s", out)
	}
}

func TestRoundTables(t *testing.T) {
	out := echoTable([]echoRecord{{Server: "wm", Round: 2, OK: true, MsgsPerSec: 1234.4, P50us: 10, ServerCPUusPerMsg: 8.123}, {Server: "gorilla", Round: 2, Error: "a|b"}})
	for _, want := range []string{"| round | server | msg/s |", "| 2 | wm | 1234 | 0.00 | 10 | 0 | 8.12 (0.00) |", "FAILED: a\\|b"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	out = fanoutTable([]fanoutRecord{{Server: "wm", Round: 1, OK: true, Subscribers: 10000, P99us: 5000, BurstEvents: 200000, DeliveredPerSec: 900000.4}}, "messages")
	for _, want := range []string{"| burst messages | burst s | delivered messages/s |", "server CPU µs per message (system)", "| 1 | wm | 10000 | 0 | 5000 | 0 | 0 | 200000 | 0.000 | 900000 |"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
}
