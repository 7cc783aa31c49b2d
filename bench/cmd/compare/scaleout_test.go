package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/workerman-go/workerman/bench/loadgen"
)

// fakePublish records the publishes asked of the servers and answers
// made-up times.
type fakePublish struct {
	mu    sync.Mutex
	calls []string
	next  int64
}

func (f *fakePublish) publish(_ context.Context, first, count int) ([]int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf("%d+%d", first, count))
	ts := make([]int64, count)
	for i := range ts {
		f.next += 1000
		ts[i] = f.next
	}
	return ts, nil
}

func (f *fakePublish) called() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// post sends POST path to the coordinator and returns the status.
func post(t *testing.T, addr, path string) int {
	t.Helper()
	resp, err := http.Post("http://"+addr+path, "text/plain", nil)
	if err != nil {
		t.Errorf("POST %s: %v", path, err)
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func TestCoordinator(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var f fakePublish
	co := newCoordinator(ctx, 2, 2, 3, f.publish)
	addr, err := co.start()
	if err != nil {
		t.Fatal(err)
	}
	defer co.close()

	// Load generator 0 asks for publish 1: nothing happens until 1 asks
	// too and the gate opens.
	first := make(chan int, 2)
	go func() { first <- post(t, addr, "/publish/0") }()
	go func() { first <- post(t, addr, "/publish/1") }()
	waitFor(t, "both requests of publish 1", func() bool {
		co.mu.Lock()
		defer co.mu.Unlock()
		return co.steps[0].arrived == 2
	})
	if c := f.called(); len(c) != 0 {
		t.Fatalf("published before the gate opened: %v", c)
	}
	co.open()
	for range 2 {
		if s := <-first; s != 200 {
			t.Fatalf("publish 1 answered %d", s)
		}
	}
	// Publish 2, then the burst: its first request publishes it all, the
	// other two are answered at once, a sixth request is refused.
	for _, step := range []string{"publish 2", "burst"} {
		done := make(chan int, 2)
		for k := range 2 {
			go func() { done <- post(t, addr, fmt.Sprintf("/publish/%d", k)) }()
		}
		for range 2 {
			if s := <-done; s != 200 {
				t.Fatalf("%s answered %d", step, s)
			}
		}
	}
	for k := range 2 {
		for range 2 {
			if s := post(t, addr, fmt.Sprintf("/publish/%d", k)); s != 200 {
				t.Fatalf("rest of the burst answered %d", s)
			}
		}
		if s := post(t, addr, fmt.Sprintf("/publish/%d", k)); s != http.StatusConflict {
			t.Fatalf("a request beyond the schedule answered %d", s)
		}
	}
	for _, p := range []string{"/publish/2", "/publish/x", "/other"} {
		if s := post(t, addr, p); s != http.StatusNotFound {
			t.Errorf("%s answered %d", p, s)
		}
	}
	if got := strings.Join(f.called(), " "); got != "1+1 2+1 3+3" {
		t.Fatalf("publishes %q, want 1+1 2+1 3+3", got)
	}
	s := co.result()
	if len(s.Errors) > 0 || len(s.Times) != 3 || len(s.Times[2]) != 3 || s.Times[0][0] != 1000 {
		t.Fatalf("%+v", s)
	}
	for k, a := range s.Arrivals {
		for j, v := range a {
			if v == 0 {
				t.Errorf("no arrival of load generator %d for step %d", k, j+1)
			}
		}
	}
}

func TestCoordinatorPublishError(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	co := newCoordinator(ctx, 1, 1, 0, func(context.Context, int, int) ([]int64, error) {
		return nil, fmt.Errorf("server answered 503: redis down")
	})
	addr, err := co.start()
	if err != nil {
		t.Fatal(err)
	}
	defer co.close()
	co.open()
	if s := post(t, addr, "/publish/0"); s != http.StatusServiceUnavailable {
		t.Fatalf("a failed publish answered %d", s)
	}
	if s := co.result(); len(s.Errors) != 1 || !strings.Contains(s.Errors[0], "redis down") || s.Times[0] != nil {
		t.Fatalf("%+v", s)
	}
}

// waitFor polls cond (bounded) until it holds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestCompletions(t *testing.T) {
	// Two publishes at 1,000,000 and 5,000,000 ns; the requests of two load
	// generators arrived before; one reports its last receipts 1,500 and
	// 2,000 µs after its request, the other 1,000 and 500.
	times := [][]int64{{1_000_000}, {5_000_000}, {9_000_000, 9_100_000}}
	arrivals := [][]int64{{900_000, 4_900_000, 8_900_000}, {950_000, 4_800_000, 8_950_000}}
	complete := [][]float64{{1500, 2000}, {1000, 500}}
	got := completions(times, arrivals, complete, 2)
	// publish 1: max(0.9+1.5, 0.95+1.0) ms = 2.4 ms → 1.4 ms after it;
	// publish 2: max(4.9+2.0, 4.8+0.5) = 6.9 ms → 1.9 ms.
	if len(got) != 2 || got[0] != 1400 || got[1] != 1900 {
		t.Fatalf("completions = %v, want [1400 1900]", got)
	}
	// A load generator that completed only the first publish.
	if got := completions(times, arrivals, [][]float64{{1500}, {1000, 500}}, 2); len(got) != 1 {
		t.Fatalf("incomplete publish counted: %v", got)
	}
	// A publish that did not happen.
	if got := completions([][]int64{nil, {5_000_000}}, arrivals, complete, 2); len(got) != 1 || got[0] != 1900 {
		t.Fatalf("%v", got)
	}
	s, ok := burstSpan(times, arrivals, []float64{0.002, 0.001}, 2)
	// max(8.9 + 2, 8.95 + 1) ms = 10.9 ms, 1.9 ms after 9.0.
	if !ok || fmt.Sprintf("%.4f", s) != "0.0019" {
		t.Fatalf("burstSpan = %v %v", s, ok)
	}
	if _, ok := burstSpan(times, arrivals, []float64{0.002, 0}, 2); ok {
		t.Fatal("an incomplete burst has a span")
	}
	if _, ok := burstSpan(times[:2], arrivals, []float64{0.002, 0.001}, 2); ok {
		t.Fatal("a burst never published has a span")
	}
}

func TestParseTimestamps(t *testing.T) {
	got, err := parseTimestamps("1733000000000000001 1733000000000000002\n", 2)
	if err != nil || len(got) != 2 || got[1] != 1733000000000000002 {
		t.Fatalf("%v %v", got, err)
	}
	for _, bad := range []string{"", "1 2 3", "12 x", "0 5", "-1 2", "99999999999999999999 1"} {
		if _, err := parseTimestamps(bad, 2); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func FuzzParseTimestamps(f *testing.F) {
	for _, s := range []string{"1 2\n", "", "x", "1733000000000000001", "  3   4 ", "-5 6"} {
		f.Add(s, 2)
	}
	f.Fuzz(func(t *testing.T, s string, want int) {
		ts, err := parseTimestamps(s, want)
		if err != nil {
			return
		}
		if len(ts) != want {
			t.Fatalf("%d times for %d", len(ts), want)
		}
		for _, v := range ts {
			if v <= 0 {
				t.Fatalf("time %d accepted", v)
			}
		}
	})
}

func scaleOpts(bench string, mod func(*scaleOptions)) scaleOptions {
	o := scaleOptions{Bench: bench, Configs: "memory,redis", Rounds: 3, Streams: 10000, Servers: 2, Loops: 1,
		Publishes: 30, Burst: 20, Redis: bench == "sse100k", Heartbeat: time.Minute}
	if bench == "sse100k" {
		o.Rounds, o.Streams, o.Servers, o.Publishes, o.Burst = 1, 100000, 8, 5, 0
	}
	if mod != nil {
		mod(&o)
	}
	return o
}

func TestScaleOptionsCheck(t *testing.T) {
	o := scaleOpts("fanout", nil)
	if err := o.check(); err != nil {
		t.Fatal(err)
	}
	if strings.Join(o.configs, ",") != "memory,redis" || o.Loadgens != 1 || !o.Redis {
		t.Fatalf("%+v", o)
	}
	o = scaleOpts("sse100k", nil)
	if err := o.check(); err != nil {
		t.Fatal(err)
	}
	if o.Loadgens != 7 || o.Src != "127.0.0.2,127.0.0.3,127.0.0.4,127.0.0.5,127.0.0.6,127.0.0.7,127.0.0.8,127.0.0.9" ||
		strings.Join(o.configs, ",") != "redis" || o.MinMemMiB != 100000*64/1024+1024 {
		t.Fatalf("%+v", o)
	}
	for name, c := range map[string]scaleOptions{
		"unknown config":            scaleOpts("fanout", func(o *scaleOptions) { o.Configs = "memory,kafka" }),
		"too many for one process":  scaleOpts("fanout", func(o *scaleOptions) { o.Streams = 20000 }),
		"no round":                  scaleOpts("fanout", func(o *scaleOptions) { o.Rounds = 0 }),
		"no publish":                scaleOpts("fanout", func(o *scaleOptions) { o.Publishes = 0 }),
		"huge burst":                scaleOpts("fanout", func(o *scaleOptions) { o.Burst = 5000 }),
		"no loop":                   scaleOpts("fanout", func(o *scaleOptions) { o.Loops = 0 }),
		"negative gap":              scaleOpts("fanout", func(o *scaleOptions) { o.PublishGap = -time.Second }),
		"no heartbeat":              scaleOpts("fanout", func(o *scaleOptions) { o.Heartbeat = 0 }),
		"remote source":             scaleOpts("fanout", func(o *scaleOptions) { o.Src = "127.0.0.2,10.0.0.1" }),
		"too few servers":           scaleOpts("sse100k", func(o *scaleOptions) { o.Servers = 5 }),
		"too few load generators":   scaleOpts("sse100k", func(o *scaleOptions) { o.Loadgens = 5 }),
		"too few sources":           scaleOpts("sse100k", func(o *scaleOptions) { o.Src = "127.0.0.2,127.0.0.3" }),
		"memory over several procs": scaleOpts("sse100k", func(o *scaleOptions) { o.Redis = false }),
	} {
		if err := c.check(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	o = scaleOpts("sse100k", func(o *scaleOptions) { o.Redis, o.Servers, o.Streams = false, 1, 6000 })
	if err := o.check(); err != nil || strings.Join(o.configs, ",") != "memory" || o.Src != "127.0.0.2,127.0.0.3" {
		t.Fatalf("%+v %v", o, err)
	}
}

func TestSummarizeRecord(t *testing.T) {
	var h1, h2, b1 loadgen.Hist
	for i := 1; i <= 100; i++ {
		h1.Record(time.Duration(i) * time.Millisecond)
		h2.Record(time.Duration(i) * time.Millisecond)
		b1.Record(time.Duration(i) * time.Millisecond)
	}
	results := []*loadgen.Result{
		{Events: 250, ClientCPU: 0.5, Latency: &h1, BurstLatency: &b1,
			Fanout: &loadgen.FanoutResult{CompleteUs: []float64{1500, 2000}, BurstComplete: true, BurstSec: 0.002}},
		{Events: 250, ClientCPU: 0.5, Latency: &h2,
			Fanout: &loadgen.FanoutResult{CompleteUs: []float64{1000, 500}, BurstComplete: true, BurstSec: 0.001}},
	}
	rec := clusterRecord{Publishes: 2, Burst: 3, Streams: 100,
		Schedule: schedule{
			Times:    [][]int64{{1_000_000}, {5_000_000}, {9_000_000, 9_100_000, 9_200_000}},
			Arrivals: [][]int64{{900_000, 4_900_000, 8_900_000}, {950_000, 4_800_000, 8_950_000}},
		}}
	// The window ends at the first sample after the burst's last receipt
	// (10.9 ms): the third sample, the streams' closes, is left out.
	points := []cpuPoint{{t: 0, writes: 7}, {t: 2e9, cpu: 500 * time.Millisecond, sys: 300 * time.Millisecond, redis: 100 * time.Millisecond, writes: 257},
		{t: 3e9, cpu: 5 * time.Second, redis: time.Second, writes: 10000}}
	rec.summarize(results, points)
	if rec.WindowSec != 2 || rec.ServerCPUSec != 0.5 || rec.ServerSysSec != 0.3 || rec.RedisCPUSec != 0.1 || rec.WritesPerEvt != 0.5 {
		t.Fatalf("window %v s, server CPU %v (system %v), Redis %v", rec.WindowSec, rec.ServerCPUSec, rec.ServerSysSec, rec.RedisCPUSec)
	}
	if rec.Events != 500 || rec.ServerUsPerEvt != 1000 || fmt.Sprintf("%.0f", rec.RedisUsPerEvt) != "200" {
		t.Fatalf("events %d, %v µs/event, Redis %v", rec.Events, rec.ServerUsPerEvt, rec.RedisUsPerEvt)
	}
	if rec.CompleteP50us != 1650 || rec.CompleteMaxUs != 1900 || len(rec.CompleteUs) != 2 {
		t.Fatalf("completions %v, median %v, max %v", rec.CompleteUs, rec.CompleteP50us, rec.CompleteMaxUs)
	}
	if fmt.Sprintf("%.0f", rec.DeliveredPerSec) != fmt.Sprintf("%.0f", 300/0.0019) {
		t.Fatalf("delivered %v", rec.DeliveredPerSec)
	}
	if rec.P50us < 45e3 || rec.P50us > 55e3 || rec.P99us < 93e3 || rec.ServerCPUPct != 25 || rec.LoadgenCPUPct != 50 {
		t.Fatalf("%+v", rec)
	}
}

func TestScaleReports(t *testing.T) {
	mk := func(config string, round int, p99 float64, ok bool) clusterRecord {
		r := clusterRecord{Config: config, Round: round, OK: ok, Servers: 1, Streams: 10000, StreamsPerServer: []int{10000},
			P50us: p99 / 2, P99us: p99, CompleteP50us: p99, CompleteMaxUs: p99 * 1.2, DeliveredPerSec: 1e6,
			ServerUsPerEvt: 5, BytesPerStream: 1536, Publishes: 30, Burst: 20}
		if config == "redis" {
			r.Servers, r.StreamsPerServer, r.RedisUsPerEvt = 2, []int{4990, 5010}, 1
		}
		if !ok {
			r.Error = "loadgen-redis-0: 3 of 10000 connections failed"
		}
		return r
	}
	recs := []clusterRecord{mk("memory", 1, 100e3, true), mk("redis", 1, 120e3, true), mk("memory", 2, 110e3, true),
		mk("redis", 2, 130e3, true), mk("redis", 3, 900e3, false)}
	o := scaleOpts("fanout", nil)
	if err := o.check(); err != nil {
		t.Fatal(err)
	}
	tables := fanoutTables(summarizeScale(recs, o.configs), o)
	for _, want := range []string{
		"| in-memory, 1 process | Redis, 2 processes (2/3 rounds) | Redis ÷ in-memory |",
		"| latency p99 ms | 105.0 | 125.0 | 1.19× |",
		"| server RSS KiB per stream | 1.50 | 1.50 | 1.00× |",
		"| … with Redis's CPU | 5.00 | 6.00 | 1.20× |",
		"redis: 4,990 + 5,010",
		"| p99 latency through Redis ≤ 1.5× the single process's | 1.19× | ✅ pass |",
	} {
		if !strings.Contains(tables, want) {
			t.Errorf("missing %q in\n%s", want, tables)
		}
	}
	// A failing goal, and a configuration without a successful round.
	recs = []clusterRecord{mk("memory", 1, 100e3, true), mk("redis", 1, 200e3, true)}
	if tables := fanoutTables(summarizeScale(recs, o.configs), o); !strings.Contains(tables, "| 2.00× | ❌ fail |") {
		t.Errorf("no failed goal in\n%s", tables)
	}
	recs = []clusterRecord{mk("memory", 1, 100e3, true), mk("redis", 1, 200e3, false)}
	tables = fanoutTables(summarizeScale(recs, o.configs), o)
	if !strings.Contains(tables, "| latency p99 ms | 100.0 | failed | – |") || !strings.Contains(tables, "not measured") {
		t.Errorf("failed configuration not shown as such in\n%s", tables)
	}
	table := clusterTable(recs)
	if !strings.Contains(table, "FAILED: loadgen-redis-0: 3 of 10000 connections failed") || strings.Count(table, "\n") != 4 {
		t.Errorf("per-round table:\n%s", table)
	}
	if n := scaleNotes(recs); !strings.Contains(n, "1 of 2 measurements failed") {
		t.Errorf("notes: %q", n)
	}

	o = scaleOpts("sse100k", nil)
	if err := o.check(); err != nil {
		t.Fatal(err)
	}
	r := clusterRecord{Config: "redis", OK: true, Servers: 8, Loadgens: 7, Streams: 100000, Publishes: 3,
		StreamsPerServer: []int{12500, 12400, 12600, 12500, 12500, 12500, 12500, 12500},
		RSSBefore:        []int64{10 << 20, 10 << 20}, RSSAfter: []int64{30 << 20, 40 << 20}, BytesPerStream: 1.5 * 1024,
		CompleteUs: []float64{800e3, 900e3, 1000e3}, CompleteP50us: 900e3, CompleteMaxUs: 1000e3, Events: 300000, ServerUsPerEvt: 6.5}
	tables = sse100kTables([]clusterRecord{r}, o)
	for _, want := range []string{
		"| concurrent streams (response heads received / asked) | 100,000 / 100,000 |",
		"| **server RSS per stream (Σ server RSS deltas ÷ streams), KiB** | **1.50** |",
		"| server RSS, all processes, before → with the streams (MiB) | 20.0 → 70.0 |",
		"median of 3 publishes / slowest** | **900 / 1000** |",
		"| every publish, publish → last receipt (ms) | 800.0, 900.0, 1000.0 |",
		"12,500 + 12,400 + 12,600",
		"| status | ok |",
	} {
		if !strings.Contains(tables, want) {
			t.Errorf("missing %q in\n%s", want, tables)
		}
	}
	if got := sse100kTables(nil, o); got != "No measurement.\n" {
		t.Errorf("%q", got)
	}
}

func TestCheckSources(t *testing.T) {
	if err := checkSources("", 20000); err != nil {
		t.Fatal(err)
	}
	if err := checkSources("", 30000); err == nil {
		t.Fatal("30,000 streams from 127.0.0.1 alone accepted")
	}
	if err := checkSources(" 127.0.0.2 , 127.0.0.3,", 50000); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{",", "localhost", "::1", "192.168.1.1"} {
		if err := checkSources(bad, 10); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if got := defaultSources(1000); got != "127.0.0.2,127.0.0.3" {
		t.Errorf("defaultSources(1000) = %q", got)
	}
}

func TestWindowEnd(t *testing.T) {
	points := []cpuPoint{{t: 10}, {t: 20}, {t: 30}}
	for end, want := range map[int64]int64{0: 30, 5: 10, 10: 10, 11: 20, 30: 30, 99: 30} {
		if got := windowEnd(points, end).t; got != want {
			t.Errorf("windowEnd(%d) = %d, want %d", end, got, want)
		}
	}
}

func TestParseStatTimes(t *testing.T) {
	line := "4242 (a (weird) name) S 1 4242 4242 0 -1 4194560 1234 0 0 0 731 215 0 0 20 0 3 0 100 1000000 2000 18446744073709551615\n"
	u, s, err := parseStatTimes([]byte(line))
	if err != nil || u != 731 || s != 215 {
		t.Fatalf("%d %d %v", u, s, err)
	}
	for _, bad := range []string{"", "1 (x S 1 2", "1 (x) S 1 2 3", "1 (x) S 1 1 1 0 -1 0 0 0 0 0 x 5 0", "1 (x) S 1 1 1 0 -1 0 0 0 0 0 5 -5 0"} {
		if _, _, err := parseStatTimes([]byte(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	// This process's own.
	if _, _, err := procTimes(os.Getpid()); err != nil {
		t.Fatal(err)
	}
}

func TestParseIOField(t *testing.T) {
	io := "rchar: 123\nwchar: 456\nsyscr: 7\nsyscw: 89\nread_bytes: 0\n"
	if n, err := parseIOField([]byte(io), "syscw"); err != nil || n != 89 {
		t.Fatalf("%d %v", n, err)
	}
	for _, bad := range []string{"", "syscw 5\n", "syscw: x\n", "syscw: -1\n", "xsyscw: 5\n"} {
		if _, err := parseIOField([]byte(bad), "syscw"); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, err := procWrites(os.Getpid()); err != nil {
		t.Fatal(err)
	}
}

func FuzzParseIOField(f *testing.F) {
	f.Add([]byte("rchar: 123\nsyscw: 89\n"))
	f.Add([]byte("syscw:"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = parseIOField(b, "syscw") // no panic, whatever the input
	})
}

func FuzzParseStatTimes(f *testing.F) {
	f.Add([]byte("4242 (a (weird) name) S 1 4242 4242 0 -1 4194560 1234 0 0 0 731 215 0 0 20 0 3 0 100 1000000 2000"))
	f.Add([]byte("1 (x) S"))
	f.Add([]byte(")))"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _, _ = parseStatTimes(b) // no panic, whatever the input
	})
}
