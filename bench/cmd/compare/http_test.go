package main

import (
	"bufio"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// fakeServer answers the requests read from c with the responses, in turn,
// then closes c.
func fakeServer(c net.Conn, responses ...string) {
	defer c.Close()
	br := bufio.NewReader(c)
	for _, resp := range responses {
		if _, err := http.ReadRequest(br); err != nil {
			return
		}
		if _, err := c.Write([]byte(resp)); err != nil {
			return
		}
	}
}

const okResponse = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!"

func TestCheckHello(t *testing.T) {
	tests := []struct {
		name      string
		responses []string
		want      string // in the error; "" for none
	}{
		{"ok", []string{okResponse, okResponse}, ""},
		{"chunked", []string{okResponse, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nHello\r\n8\r\n, World!\r\n0\r\n\r\n"}, ""},
		{"not found", []string{"HTTP/1.1 404 Not Found\r\nContent-Length: 13\r\n\r\nHello, World!"}, `request 1: status "404 Not Found"`},
		{"wrong body", []string{okResponse, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nHello"}, `request 2: body "Hello"`},
		{"connection close", []string{"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 13\r\n\r\nHello, World!"}, "no keep-alive"},
		{"HTTP/1.0", []string{"HTTP/1.0 200 OK\r\nContent-Length: 13\r\n\r\nHello, World!"}, "no keep-alive"},
		{"closes after one", []string{okResponse}, "request 2"},
		{"garbage", []string{"hello\r\n\r\n"}, "request 1: reading the response"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client, server := net.Pipe()
			defer client.Close()
			go fakeServer(server, tt.responses...)
			client.SetDeadline(time.Now().Add(5 * time.Second))
			err := checkHello(client)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}

func TestHTTPOptionsCheck(t *testing.T) {
	good := httpOptions{Rounds: 5, Threads: 1, Conns: 100, Duration: 5 * time.Second, Warmup: time.Second, Variants: httpVariantNames()}
	if err := good.check(); err != nil {
		t.Fatal(err)
	}
	if len(good.variants) != 2 || good.variants[0].Name != "identical" || good.variants[1].Name != "random-query" {
		t.Fatalf("variants %+v", good.variants)
	}
	one := good
	one.Variants = " random-query ,random-query"
	if err := one.check(); err != nil || len(one.variants) != 1 || one.variants[0].Label != "a random query string per request" {
		t.Fatalf("one variant: %+v %v", one.variants, err)
	}
	for _, bad := range []string{"", "identical,lua", ","} {
		o := good
		o.Variants = bad
		if err := o.check(); err == nil || !strings.Contains(err.Error(), "-variants") {
			t.Errorf("-variants %q: %v", bad, err)
		}
	}
	noWarmup := good
	noWarmup.Warmup = 0
	if err := noWarmup.check(); err != nil {
		t.Fatal(err)
	}
	for name, mod := range map[string]func(*httpOptions){
		"two rounds":         func(o *httpOptions) { o.Rounds = 2 },
		"no threads":         func(o *httpOptions) { o.Threads = 0 },
		"fewer conns":        func(o *httpOptions) { o.Threads, o.Conns = 4, 2 },
		"fraction of second": func(o *httpOptions) { o.Duration = 1500 * time.Millisecond },
		"zero duration":      func(o *httpOptions) { o.Duration = 0 },
		"fractional warm-up": func(o *httpOptions) { o.Warmup = 300 * time.Millisecond },
	} {
		o := good
		mod(&o)
		if err := o.check(); err == nil {
			t.Errorf("%s: accepted %+v", name, o)
		}
	}
}

// rec is a successful round of identical requests.
func rec(server string, round int, rps, cpu float64) httpRecord {
	return httpRecord{Server: server, Variant: "identical", Round: round, OK: true, RequestsPerSec: rps, P50us: 500, P99us: 2000,
		ServerCPUusPerReq: cpu, ServerCPUPct: 99, WrkCPUPct: 60}
}

// identicalOnly is the table set of a run of identical requests.
func identicalOnly(sums []httpSummary) []httpVariantSums {
	return []httpVariantSums{{httpVariants[0], sums}}
}

func TestSummarizeAndGoals(t *testing.T) {
	recs := []httpRecord{
		rec("net", 1, 50000, 20), rec("net", 2, 60000, 18), rec("net", 3, 40000, 22),
		rec("gnet", 1, 100000, 9), rec("gnet", 2, 110000, 8), rec("gnet", 3, 90000, 10),
		rec("wm", 1, 80000, 12), rec("wm", 2, 95000, 11), {Server: "wm", Round: 3, Error: "boom"},
	}
	sums := summarizeHTTP(httpServers, recs, "identical")
	if len(sums) != 3 {
		t.Fatalf("%d summaries", len(sums))
	}
	wm := find(sums, "wm")
	// wm: two good rounds, median of 80000 and 95000.
	if wm.ok != 2 || wm.rps != 87500 || wm.cpu != 11.5 {
		t.Fatalf("wm summary %+v", *wm)
	}
	if n := find(sums, "net"); n.rps != 50000 || n.cpu != 20 {
		t.Fatalf("net summary %+v", *n)
	}
	goals := evalGoals(sums)
	if len(goals) != 2 {
		t.Fatalf("goals %+v", goals)
	}
	// 87500 / 50000 = 1.75 ≥ 1.4; 87500 / 100000 = 0.875 ≥ 0.85.
	// By CPU: 20 / 11.5 and 9 / 11.5. wrk at 60 %: not wrk-bound.
	if g := goals[0]; g.Goal.Base != "net" || !g.Measured || !g.Pass || g.Ratio != 1.75 || g.CPURatio != 20/11.5 || g.WrkBound {
		t.Errorf("goal vs net: %+v", g)
	}
	if g := goals[1]; g.Goal.Base != "gnet" || !g.Measured || !g.Pass || g.Ratio != 0.875 || g.CPURatio != 9/11.5 || g.WrkBound {
		t.Errorf("goal vs gnet: %+v", g)
	}

	tables := httpTables(identicalOnly(sums), 3)
	for _, want := range []string{
		"| workerman-go http | 87500 (2/3 rounds) | 500 | 2000 | 11.50 | 99 / 60 |",
		"| workerman-go http ÷ net/http (baseline) | identical requests | 1.75× | 0.57× |",
		"| workerman-go http ÷ gnet v2 minimal responder (engine ceiling) | identical requests | 0.88× | 1.28× |",
		"| requests/s of workerman-go http ≥ 1.40× net/http (baseline) | 1.75× | ✅ pass | 1.74× |",
		"| requests/s of workerman-go http ≥ 0.85× gnet v2 minimal responder (engine ceiling) | 0.88× | ✅ pass | 0.78× |",
	} {
		if !strings.Contains(tables, want) {
			t.Errorf("tables lack %q:\n%s", want, tables)
		}
	}

	// A slower wm fails both goals.
	slow := summarizeHTTP(httpServers, append(recs[:6:6], rec("wm", 1, 60000, 15)), "identical")
	for _, g := range evalGoals(slow) {
		if !g.Measured || g.Pass {
			t.Errorf("slow wm: %+v", g)
		}
	}
	if tables := httpTables(identicalOnly(slow), 3); !strings.Contains(tables, "| 1.20× | ❌ fail | 1.33× |") {
		t.Errorf("slow wm: tables lack the failure:\n%s", tables)
	}

	// wrk saturated with gnet: the goal against gnet is wrk-bound.
	bound := append([]httpRecord(nil), recs...)
	for i := range bound {
		if bound[i].Server == "gnet" {
			bound[i].WrkCPUPct = 99
		}
	}
	sums = summarizeHTTP(httpServers, bound, "identical")
	if g := evalGoals(sums); g[0].WrkBound || !g[1].WrkBound {
		t.Errorf("wrk saturated with gnet: %+v", g)
	}
	if tables := httpTables(identicalOnly(sums), 3); !strings.Contains(tables, "| 0.88× | ✅ pass (wrk-bound) | 0.78× |") {
		t.Errorf("wrk-bound goal not marked:\n%s", tables)
	}
}

func TestGoalsWithoutOurs(t *testing.T) {
	recs := []httpRecord{rec("net", 1, 50000, 20), rec("gnet", 1, 100000, 9)}
	sums := summarizeHTTP(httpServers[:2], recs, "identical")
	for _, g := range evalGoals(sums) {
		if g.Measured || g.Pass {
			t.Errorf("without wm: %+v", g)
		}
	}
	tables := httpTables(identicalOnly(sums), 3)
	if !strings.Contains(tables, "| workerman-go http ÷ net/http (baseline) | identical requests | – | – |") || !strings.Contains(tables, "| – | not measured | – |") {
		t.Errorf("without wm:\n%s", tables)
	}
	// A server whose every round failed.
	sums = summarizeHTTP(httpServers, append(recs, httpRecord{Server: "wm", Round: 1, Error: "boom"}), "identical")
	if tables := httpTables(identicalOnly(sums), 3); !strings.Contains(tables, "| workerman-go http | failed | – |") {
		t.Errorf("failed wm:\n%s", tables)
	}
}

func TestFirstLines(t *testing.T) {
	if got := firstLines("a\nb\nc\n", 2); got != "a / b / …" {
		t.Fatalf("got %q", got)
	}
	if got := firstLines("a\n", 2); got != "a" {
		t.Fatalf("got %q", got)
	}
}
