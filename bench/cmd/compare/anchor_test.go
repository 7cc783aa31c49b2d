package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/workerman-go/workerman/internal/testutil"
)

// writeFile creates path (and its folders) with content.
func writeFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}

// fakeAnchor makes dir look like the anchor's folder.
func fakeAnchor(t *testing.T, dir string) {
	writeFile(t, filepath.Join(dir, "app.php"), "<?php\n", 0o644)
	writeFile(t, filepath.Join(dir, "src", "Worker.php"), "<?php\n", 0o644)
}

// fakePHP puts a php into an otherwise empty PATH that prints a version.
func fakePHP(t *testing.T) {
	bin := t.TempDir()
	writeFile(t, filepath.Join(bin, "php"), "#!/bin/sh\necho 'PHP 8.2.99 (cli) (built: today) (NTS)'\necho 'Copyright (c) The PHP Group'\n", 0o755)
	t.Setenv("PATH", bin)
}

func TestFindAnchor(t *testing.T) {
	// A repository beside the shared folder, as on the machines that run
	// the benchmarks: <top>/main (go.mod of the root module, bench/) and
	// <top>/shared/anchors/workerman.
	top := t.TempDir()
	repo := filepath.Join(top, "main")
	bench := filepath.Join(repo, "bench")
	writeFile(t, filepath.Join(repo, "go.mod"), "module "+rootModule+"\n\ngo 1.26\n", 0o644)
	writeFile(t, filepath.Join(bench, "go.mod"), "module "+rootModule+"/bench\n", 0o644)
	shared := filepath.Join(top, "shared", "anchors", "workerman")

	t.Run("off", func(t *testing.T) {
		c, err := findAnchor(anchorOff, bench, "http")
		if err != nil || c.Anchor != nil || c.Note != "Workerman not run: -workerman off" {
			t.Fatalf("%+v %v", c, err)
		}
	})
	t.Run("default folder missing", func(t *testing.T) {
		fakePHP(t)
		c, err := findAnchor("", bench, "http")
		if err != nil || c.Anchor != nil || !strings.Contains(c.Note, "no Workerman anchor in "+shared+" (app.php missing)") || !strings.Contains(c.Note, "-workerman DIR") {
			t.Fatalf("%+v %v", c, err)
		}
	})
	fakeAnchor(t, shared)
	t.Run("default folder", func(t *testing.T) {
		fakePHP(t)
		c, err := findAnchor("", bench, "ws")
		if err != nil || c.Anchor == nil {
			t.Fatalf("%+v %v", c, err)
		}
		a := c.Anchor
		if a.Dir != shared || a.Mode != "ws" || a.PHPVersion != "PHP 8.2.99 (cli)" || !a.newPIDNS || filepath.Base(a.PHP) != "php" {
			t.Fatalf("%+v", a)
		}
		if !strings.Contains(a.Found, "../shared/anchors/workerman from the repository root "+repo) || !strings.Contains(a.Found, "go.mod is module "+rootModule) {
			t.Fatalf("found as %q", a.Found)
		}
		desc := a.describe()
		for _, want := range []string{"`MODE=ws PORT=<free port> N=1 php app.php start`", "PHP 8.2.99 (cli)", "in " + shared, "PID namespace"} {
			if !strings.Contains(desc, want) {
				t.Errorf("description lacks %q: %s", want, desc)
			}
		}
	})
	t.Run("no php", func(t *testing.T) {
		t.Setenv("PATH", t.TempDir())
		c, err := findAnchor("", bench, "http")
		if err != nil || c.Anchor != nil || c.Note != anchorMissingPHP {
			t.Fatalf("%+v %v", c, err)
		}
		if c.Note != "Workerman not run: php not found; apt-get install php8.2-cli" {
			t.Fatalf("note %q", c.Note)
		}
	})
	t.Run("explicit folder", func(t *testing.T) {
		fakePHP(t)
		other := filepath.Join(top, "elsewhere")
		fakeAnchor(t, other)
		c, err := findAnchor(other, bench, "http")
		if err != nil || c.Anchor == nil || c.Anchor.Dir != other || c.Anchor.Found != "-workerman "+other {
			t.Fatalf("%+v %v", c, err)
		}
	})
	t.Run("explicit folder without the anchor", func(t *testing.T) {
		fakePHP(t)
		empty := t.TempDir()
		writeFile(t, filepath.Join(empty, "app.php"), "<?php\n", 0o644) // but no src/
		_, err := findAnchor(empty, bench, "http")
		if err == nil || !strings.Contains(err.Error(), "-workerman "+empty) || !strings.Contains(err.Error(), "src/Worker.php missing") {
			t.Fatalf("err %v", err)
		}
	})
}

func TestRepoRoot(t *testing.T) {
	top := t.TempDir()
	// The root module's go.mod two levels up (bench in a subfolder).
	writeFile(t, filepath.Join(top, "go.mod"), "// the root\nmodule \""+rootModule+"\"\n", 0o644)
	bench := filepath.Join(top, "tools", "bench")
	writeFile(t, filepath.Join(top, "tools", "go.mod"), "module example.com/tools\n", 0o644)
	if root, how := repoRoot(bench); root != top || !strings.Contains(how, rootModule) {
		t.Fatalf("%q %q", root, how)
	}
	// None: the parent of bench.
	lone := filepath.Join(t.TempDir(), "x", "bench")
	if root, how := repoRoot(lone); root != filepath.Dir(lone) || !strings.Contains(how, "parent of bench/") {
		t.Fatalf("%q %q", root, how)
	}
}

func TestRandomQueryScript(t *testing.T) {
	for _, want := range []string{
		"function setup(thread)", `thread:set("tid", threads)`,
		"function request()", "counter = counter + 1",
		`wrk.format(nil, string.format("/?q=%d-%d-%d", tid or 0, counter, math.random(0, 2147483646)))`,
	} {
		if !strings.Contains(randomQueryScript, want) {
			t.Errorf("the script lacks %q", want)
		}
	}
	got := wrkScriptArgs(2, 50, 3, "http://127.0.0.1:1/", "/tmp/q.lua")
	want := []string{"-t2", "-c50", "-d3s", "--latency", "-s", "/tmp/q.lua", "http://127.0.0.1:1/"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("args %q, want %q", got, want)
	}
	if got := wrkScriptArgs(1, 1, 1, "http://x/", ""); strings.Join(got, " ") != strings.Join(wrkURLArgs(1, 1, 1, "http://x/"), " ") {
		t.Fatalf("without a script: %q", got)
	}

	// With wrk at hand: every request of a short run has a target of its
	// own.
	wrk := testutil.RequireTool(t, "wrk", "wrk")
	var mu sync.Mutex
	seen := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.URL.RequestURI()]++
		mu.Unlock()
		io.WriteString(w, helloBody)
	}))
	defer srv.Close()
	script := filepath.Join(t.TempDir(), "random-query.lua")
	writeFile(t, script, randomQueryScript, 0o644)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, wrk, wrkScriptArgs(2, 4, 1, srv.URL+"/", script)...).CombinedOutput()
	if err != nil {
		t.Fatalf("wrk: %v\n%s", err, out)
	}
	res, err := parseWrk(string(out))
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) < 100 {
		t.Fatalf("%d distinct targets (wrk: %d requests)", len(seen), res.Requests)
	}
	for uri, n := range seen {
		if n != 1 || !strings.HasPrefix(uri, "/?q=") {
			t.Fatalf("target %q received %d times", uri, n)
		}
	}
}

func TestCmpTableNotApplicable(t *testing.T) {
	type v struct{ x float64 }
	a, b, c := &v{2}, &v{4}, &v{math.NaN()}
	tb := newCmpTableRatios([]string{"A", "B", "C"}, []*v{a, b, c}, b, []cmpRatio[v]{{a, "B ÷ A"}, {c, "B ÷ C"}})
	tb.row("m", func(s *v) (float64, bool) { return s.x, true }, "%.1f", true)
	tb.row("n", func(s *v) (float64, bool) { return s.x, s != a }, "%.1f", true)
	want := "| measurement | A | B | C | B ÷ A | B ÷ C |\n|---|---:|---:|---:|---:|---:|\n" +
		"| m | 2.0 | 4.0 | – | 2.00× | – |\n" +
		"| n | failed | 4.0 | – | – | – |\n"
	if got := tb.String(); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

func TestHTTPTablesWithAnchor(t *testing.T) {
	servers := append(httpServers[:3:3], anchorSpec)
	recs := []httpRecord{
		rec("net", 1, 50000, 20), rec("gnet", 1, 100000, 9), rec("wm", 1, 80000, 12), rec(anchorName, 1, 40000, 25),
	}
	random := func(r httpRecord) httpRecord {
		r.Variant = "random-query"
		r.RequestsPerSec /= 2
		r.ServerCPUusPerReq *= 2
		return r
	}
	for _, r := range recs[:4] {
		recs = append(recs, random(r))
	}
	recs[7].ServerCPUusPerReq = 100 // Workerman without its cache
	var sets []httpVariantSums
	for _, v := range httpVariants {
		sets = append(sets, httpVariantSums{v, summarizeHTTP(servers, recs, v.Name)})
	}
	out := httpTables(sets, 1)
	for _, want := range []string{
		"**Identical requests** (wrk's own request, the same bytes every time):\n\n| server | requests/s | p50 µs | p99 µs | server CPU µs/request | CPU busy % server / wrk |",
		"| Workerman 5.2.2 (PHP) | 40000 | 500 | 2000 | 25.00 | 99 / 60 |",
		"**A random query string per request** (wrk with a Lua script: every request has a target of its own):",
		"| Workerman 5.2.2 (PHP) | 20000 | 500 | 2000 | 100.00 | 99 / 60 |",
		"| workerman-go http | 40000 | 500 | 2000 | 24.00 | 99 / 60 |",
		"| ratio | requests | requests/s (higher is better) | server CPU µs/request (lower is better) |",
		"| workerman-go http ÷ net/http (baseline) | a random query string per request | 1.60× | 0.60× |",
		"| workerman-go http ÷ Workerman 5.2.2 (PHP) | identical requests | 2.00× | 0.48× |",
		"| workerman-go http ÷ Workerman 5.2.2 (PHP) | a random query string per request | 2.00× | 0.24× |",
		"| goal (identical requests) | measured | result | by server CPU |",
		"| requests/s of workerman-go http ≥ 1.40× net/http (baseline) | 1.60× | ✅ pass | 1.67× |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	// The first table is the one bench/cmd/charts reads: identical
	// requests, a row per server.
	if i, j := strings.Index(out, "| server |"), strings.Index(out, "random query"); i < 0 || j < i {
		t.Errorf("the first table is not that of identical requests:\n%s", out)
	}
	// Without the anchor: no Workerman row, no Workerman ratio.
	out = httpTables([]httpVariantSums{{httpVariants[0], summarizeHTTP(httpServers, recs, "identical")}}, 1)
	if strings.Contains(out, "Workerman") {
		t.Errorf("Workerman without the anchor:\n%s", out)
	}
}

func TestHTTPNotesAnchor(t *testing.T) {
	d := &httpDriver{o: httpOptions{variants: httpVariants}, anchor: anchorChoice{Note: anchorMissingPHP}}
	if got := d.notes(); !strings.Contains(got, "- **Workerman not run: php not found; apt-get install php8.2-cli.**\n") {
		t.Errorf("notes without php:\n%s", got)
	}
	d.anchor = anchorChoice{Anchor: &anchor{Dir: "/x/anchors/workerman", Mode: "http"}}
	d.servers = []serverSpec{httpServers[0], anchorSpec}
	d.recs = []httpRecord{
		{Server: "net", OK: true, Wrk: &wrkResult{RequestsPerSec: 1000, TransferPerSec: 129900}},
		{Server: anchorName, OK: true, Wrk: &wrkResult{RequestsPerSec: 1000, TransferPerSec: 106000}},
		{Server: anchorName, OK: false, Wrk: &wrkResult{RequestsPerSec: 1, TransferPerSec: 1e6}},
	}
	got := d.notes()
	for _, want := range []string{"run unchanged from /x/anchors/workerman", "caches parsed requests keyed by their raw bytes", "requests/s: net 130, workerman 106)"} {
		if !strings.Contains(got, want) {
			t.Errorf("notes with the anchor lack %q:\n%s", want, got)
		}
	}
}

func TestSSETablesWithAnchor(t *testing.T) {
	idle, tick, fan := sseFixture()
	servers := append(sseServers[:2:2], anchorSpec)
	for r := 1; r <= 3; r++ {
		idle = append(idle, idleRecord{Server: anchorName, Round: r, OK: true, BytesPerConn: 8 * 1024})
		tick = append(tick, tickRecord{Server: anchorName, Round: r, OK: true, ServerCPUPct: 8, ServerSysPct: 5, ServerCPUusPerEvent: 80, EventsPerSec: 10000, P50us: 90, P99us: 900})
	}
	o := sseOpts(t, nil)
	if err := o.check(); err != nil {
		t.Fatal(err)
	}
	out := sseTables(summarizeSSE(servers, idle, tick, fan), o)
	for _, want := range []string{
		"| measurement | net/http (goroutine per stream) | workerman-go | Workerman 5.2.2 (PHP) | workerman-go ÷ net/http | workerman-go ÷ Workerman |",
		"| idle: KiB per stream, 10,000 streams with a 15 s heartbeat (lower is better) | 12.00 | 1.20 | 8.00 | 0.10× | 0.15× |",
		"| tick: server CPU, % of a core, 10,000 streams × 1 event/s (lower is better) | 20.0 | 4.0 | 8.0 | 0.20× | 0.50× |",
		"| tick: latency p50 µs, timer to receipt | 0 | 0 | 90 | – | 0.00× |", // Workerman's latency is measured too
		"| fan-out to 10,000: latency p99 µs (lower is better) | 50000 | 30000 | – | 0.60× | – |",
		"check: the load generator received 10,000 events/s",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}

	// The comparison at 1,000 streams, the anchor's size.
	out = sseCapTables(summarizeSSE(servers, idle, tick, nil), o)
	for _, want := range []string{
		"**At 1,000 streams, with Workerman**",
		"| measurement | net/http (goroutine per stream) | workerman-go | Workerman 5.2.2 (PHP) | workerman-go ÷ net/http | workerman-go ÷ Workerman |",
		"| idle: KiB per stream, 1,000 streams with a 15 s heartbeat (lower is better) |",
		"| tick: server CPU µs per event (lower is better) |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	if strings.Contains(out, "fan-out") || strings.Contains(out, "| goal |") {
		t.Errorf("fan-out or goals in the comparison at 1,000:\n%s", out)
	}

	// Notes: where the anchor was measured, or why it was not.
	if n := sseAnchorNote(anchorChoice{Anchor: &anchor{Dir: "/a"}}, true); !strings.Contains(n, "separate comparison at 1,000 streams, with workerman-go and net/http at 1,000 streams too") || !strings.Contains(n, "-d precision=17") {
		t.Errorf("note %q", n)
	}
	if n := sseAnchorNote(anchorChoice{Anchor: &anchor{Dir: "/a"}}, false); !strings.Contains(n, "in the main table") {
		t.Errorf("note %q", n)
	}
	if n := sseAnchorNote(anchorChoice{Note: anchorMissingPHP}, false); n != "- **"+anchorMissingPHP+".**\n" {
		t.Errorf("note %q", n)
	}
}

func TestWSTablesWithAnchor(t *testing.T) {
	o := wsOpts(nil)
	if err := o.check(); err != nil {
		t.Fatal(err)
	}
	servers := append(wsServers[:2:2], anchorSpec)
	var echo []echoRecord
	for r := 1; r <= 3; r++ {
		echo = append(echo,
			echoRecord{Server: "gorilla", Round: r, OK: true, MsgsPerSec: 100000, ServerCPUusPerMsg: 8, ServerSysUsPerMsg: 5},
			echoRecord{Server: "wm", Round: r, OK: true, MsgsPerSec: 150000, ServerCPUusPerMsg: 4, ServerSysUsPerMsg: 3},
			echoRecord{Server: anchorName, Round: r, OK: true, MsgsPerSec: 120000, ServerCPUusPerMsg: 5, ServerSysUsPerMsg: 3})
	}
	idle := []idleRecord{{Server: "gorilla", Round: 1, OK: true, BytesPerConn: 10240}, {Server: "wm", Round: 1, OK: true, BytesPerConn: 1024}}
	out := wsTables(summarizeWS(servers, echo, idle, nil), o)
	for _, want := range []string{
		"| workerman-go ÷ gorilla/websocket | ratio | better |",
		"| workerman-go ÷ Workerman 5.2.2 (PHP) | ratio | better |\n|---|---:|---|\n| echo messages/s (1,000 clients) | 1.25× | higher |\n| echo server CPU per message | 0.80× | lower |",
		"| measurement | gorilla/websocket (goroutine per conn) | workerman-go | Workerman 5.2.2 (PHP) | workerman-go ÷ gorilla | workerman-go ÷ Workerman |",
		"| echo: server CPU µs per message (lower is better) | 8.00 | 4.00 | 5.00 | 0.50× | 0.80× |",
		"| idle: KiB per connection, 10,000 connections (lower is better) | 10.00 | 1.00 | – | 0.10× | – |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	out = wsCapTables(summarizeWS(servers, echo, nil, nil), o)
	for _, want := range []string{"**At 1,000 clients, with Workerman**", "| echo messages/s (1,000 clients) | 1.25× | higher |", "| echo: latency p99 µs |"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	if strings.Contains(out, "idle:") || strings.Contains(out, "broadcast") {
		t.Errorf("idle or broadcast in the echo comparison at 1,000:\n%s", out)
	}
	// Without the anchor, as before.
	if out := wsTables(summarizeWS(wsServers, echo, idle, nil), o); strings.Contains(out, "Workerman") {
		t.Errorf("Workerman without the anchor:\n%s", out)
	}
	d := &wsDriver{o: o, anchor: anchorChoice{Note: anchorMissingPHP}}
	if n := d.notes(); !strings.Contains(n, "**Workerman not run: php not found; apt-get install php8.2-cli.**") {
		t.Errorf("notes %q", n)
	}
}

// eventually waits, at most timeout, until cond holds, checking every 20 ms.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// groupMembers lists the live processes of process group pgid.
func groupMembers(pgid int) []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		// pid (comm) state ppid pgrp ...: comm may hold spaces.
		i := strings.LastIndexByte(string(b), ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) > 2 && f[2] == strconv.Itoa(pgid) && f[0] != "Z" {
			out = append(out, pid)
		}
	}
	return out
}

// realAnchor is the anchor found from this module's root. php is required
// (installed by .ci/run); Workerman itself is not part of the repository
// (../shared/anchors/workerman beside it), so without that folder the
// integration test is skipped, saying where it looked.
func realAnchor(t *testing.T, mode string) *anchor {
	t.Helper()
	testutil.RequireTool(t, "php", "php-cli")
	benchRoot, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	c, err := findAnchor("", benchRoot, mode)
	if err != nil {
		t.Fatal(err)
	}
	if c.Anchor == nil {
		t.Skip(c.Note)
	}
	return c.Anchor
}

// readSSEEvent sends GET path with Accept: text/event-stream on c and
// reads the response head (200, text/event-stream, no Content-Length) and
// the data of the first event.
func readSSEEvent(c net.Conn, path string) (string, error) {
	if _, err := io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: bench\r\nAccept: text/event-stream\r\n\r\n"); err != nil {
		return "", fmt.Errorf("writing the request: %w", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return "", fmt.Errorf("reading the response head: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("status %q, want 200 OK", resp.Status)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		return "", fmt.Errorf("Content-Type %q, want text/event-stream", ct)
	}
	if resp.ContentLength >= 0 {
		return "", fmt.Errorf("a Content-Length (%d): not a stream", resp.ContentLength)
	}
	sc := bufio.NewScanner(io.LimitReader(resp.Body, 1<<16))
	var data []string
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if v, ok := strings.CutPrefix(line, "data:"); ok {
			data = append(data, strings.TrimPrefix(v, " "))
			continue
		}
		if line == "" && len(data) > 0 {
			return strings.Join(data, "\n"), nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", fmt.Errorf("reading the stream: %w", err)
	}
	return "", errors.New("the stream ended before an event")
}

// TestAnchorHTTP starts the real Workerman anchor (when php and its folder
// are there), gets a hello and an SSE event from it, stops it and checks
// that none of its processes is left.
func TestAnchorHTTP(t *testing.T) {
	a := realAnchor(t, "http")
	a.PHPArgs = sseAnchorPHPArgs
	reg := newRegistry()
	defer reg.killAll()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, addr, err := launchAnchor(ctx, reg, a, anchorName, t.TempDir(), -1)
	if err != nil {
		t.Fatal(err)
	}
	pgid := p.pid()
	defer p.stop(3 * time.Second)

	if err := dialCheckAnchorHello(ctx, addr); err != nil {
		t.Fatalf("hello: %v", err)
	}
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second)) // the first event comes after a second
	data, err := readSSEEvent(c, "/sse")
	if err != nil {
		t.Fatalf("SSE: %v", err)
	}
	// Seconds with a fraction (precision=17 writes all its digits), which
	// the load generator reads.
	sec, err := strconv.ParseFloat(data, 64)
	if err != nil || math.Abs(sec-float64(time.Now().UnixNano())/1e9) > 60 {
		t.Fatalf("event data %q (%v), want the time in seconds", data, err)
	}
	if n := len(groupMembers(pgid)); n < 2 {
		t.Fatalf("%d processes in the anchor's group, want its master and its worker", n)
	}

	p.stop(3 * time.Second)
	eventually(t, 10*time.Second, "processes of the anchor left", func() bool { return len(groupMembers(pgid)) == 0 })
}

// TestAnchorWSKilled starts the real anchor's WebSocket echo, checks it,
// then kills its master alone with SIGKILL, as the parent-death signal
// does when the driver dies: nothing of it may be left either.
func TestAnchorWSKilled(t *testing.T) {
	a := realAnchor(t, "ws")
	reg := newRegistry()
	defer reg.killAll()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, addr, err := launchAnchor(ctx, reg, a, anchorName, t.TempDir(), -1)
	if err != nil {
		t.Fatal(err)
	}
	pgid := p.pid()
	defer p.stop(3 * time.Second)
	if err := checkWSEcho(ctx, addr); err != nil {
		t.Fatalf("echo: %v", err)
	}
	if !a.newPIDNS {
		t.Skip("no PID namespace here (not root?): a worker outlives its killed master; stop's sweep of the group is the only guard")
	}
	if err := syscall.Kill(pgid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "processes of the anchor left after its master was killed", func() bool { return len(groupMembers(pgid)) == 0 })
}
