package main

import (
	"strings"
	"testing"
	"time"

	"github.com/workerman-go/workerman/bench/loadgen"
)

func tlsOpts(mod func(*tlsOptions)) tlsOptions {
	o := tlsOptions{Tests: strings.Join(tlsTests, ","), Rounds: 3, Threads: 1, Conns: 100, Duration: 5 * time.Second,
		Warmup: time.Second, HSConns: 32, IdleConns: 10000, IdleProcs: 2, IdleSettle: 2 * time.Second, Src: tlsSources}
	if mod != nil {
		mod(&o)
	}
	return o
}

func TestTLSOptionsCheck(t *testing.T) {
	o := tlsOpts(nil)
	if err := o.check(); err != nil {
		t.Fatal(err)
	}
	for _, test := range tlsTests {
		if !o.tests[test] {
			t.Errorf("test %s not enabled", test)
		}
	}
	if o := tlsOpts(func(o *tlsOptions) { o.Src = "" }); o.check() != nil {
		t.Error("no source address (the kernel's choice) refused")
	}
	for name, mod := range map[string]func(*tlsOptions){
		"unknown test":       func(o *tlsOptions) { o.Tests = "requests,echo" },
		"two rounds":         func(o *tlsOptions) { o.Rounds = 2 },
		"fractional seconds": func(o *tlsOptions) { o.Duration = 1500 * time.Millisecond },
		"negative warm-up":   func(o *tlsOptions) { o.Warmup = -time.Second },
		"no workers":         func(o *tlsOptions) { o.HSConns = 0 },
		"no connections":     func(o *tlsOptions) { o.IdleConns = 0 },
		"not loopback":       func(o *tlsOptions) { o.Src = "127.0.0.2,10.0.0.1" },
		"IPv6":               func(o *tlsOptions) { o.Src = "::1" },
		"threads > conns":    func(o *tlsOptions) { o.Threads, o.Conns = 4, 2 },
	} {
		o := tlsOpts(mod)
		if err := o.check(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestSelectSides(t *testing.T) {
	s, err := selectSides("wm, net")
	if err != nil || len(s) != 2 || s[0].Name != "wm" || s[0].Hello.Name != "httpwm" || s[1].SSE.Name != "ssenet" {
		t.Fatalf("%+v %v", s, err)
	}
	if _, err := selectSides("wm,gnet"); err == nil {
		t.Fatal("unknown server accepted")
	}
}

// tlsFixture is three rounds of both servers: wm 24,000 requests/s at
// 20 µs per request (net 20,000 at 40, wrk at 95 % with wm), handshakes at
// 500 µs (net 550), 15 KiB per idle connection (net 45) and 16 KiB per
// stream (net 40).
func tlsFixture() ([]tlsRequestsRecord, []handshakeRecord, []tlsIdleRecord, []tlsIdleRecord) {
	var req []tlsRequestsRecord
	var hs []handshakeRecord
	var idle, sse []tlsIdleRecord
	info := &loadgen.TLSInfo{Version: "TLS 1.3", CipherSuite: "TLS_AES_128_GCM_SHA256", Group: "X25519MLKEM768", ALPN: "http/1.1", Proto: "HTTP/1.1"}
	for r := 1; r <= 3; r++ {
		d := float64(r - 2)
		req = append(req,
			tlsRequestsRecord{httpRecord{Server: "net", Round: r, OK: true, RequestsPerSec: 20000 + 100*d, ServerCPUusPerReq: 40 + d, ServerCPUPct: 99, WrkCPUPct: 60}, info},
			tlsRequestsRecord{httpRecord{Server: "wm", Round: r, OK: true, RequestsPerSec: 24000 + 100*d, ServerCPUusPerReq: 20 + d, ServerCPUPct: 50, WrkCPUPct: 95}, info})
		hs = append(hs,
			handshakeRecord{Server: "net", Round: r, OK: true, PerSec: 1000 + d, ServerCPUusPerHS: 550 + d, ClientCPUPct: 70, TLS: info},
			handshakeRecord{Server: "wm", Round: r, OK: true, PerSec: 1100 + d, ServerCPUusPerHS: 500 + d, ClientCPUPct: 75, TLS: info})
		idle = append(idle,
			tlsIdleRecord{idleRecord{Server: "net", Round: r, OK: true, Conns: 10000, BytesPerConn: (45 + d) * 1024}, info},
			tlsIdleRecord{idleRecord{Server: "wm", Round: r, OK: true, Conns: 10000, BytesPerConn: (15 + d) * 1024}, info})
		sse = append(sse,
			tlsIdleRecord{idleRecord{Server: "net", Round: r, OK: true, Conns: 10000, BytesPerConn: (40 + d) * 1024}, info},
			tlsIdleRecord{idleRecord{Server: "wm", Round: r, OK: true, Conns: 10000, BytesPerConn: (16 + d) * 1024}, info})
	}
	// A failed round does not count.
	hs = append(hs, handshakeRecord{Server: "wm", Round: 4, OK: false, PerSec: 1})
	return req, hs, idle, sse
}

func TestTLSGoals(t *testing.T) {
	req, hs, idle, sse := tlsFixture()
	sums := summarizeTLS(tlsSides, req, hs, idle, sse)
	wm := findTLS(sums, "wm")
	if wm == nil || wm.rps != 24000 || wm.cpuPerHS != 500 || wm.hsOK != 3 || wm.idle != 15*1024 || wm.sse != 16*1024 {
		t.Fatalf("%+v", wm)
	}
	goals := evalTLSGoals(sums)
	if len(goals) != 2 {
		t.Fatalf("%d goals", len(goals))
	}
	if g := goals[0]; !g.Measured || !g.Pass || abs(g.Value-1.2) > 1e-9 || g.Shown != "1.20× (wrk-bound; by server CPU 2.00×)" {
		t.Errorf("requests goal: %+v", g)
	}
	if g := goals[1]; !g.Measured || g.Pass || abs(g.Value-0.4) > 1e-9 {
		t.Errorf("memory goal: %+v", g)
	}
	goals = evalTLSGoals(summarizeTLS(tlsSides[1:], req, hs, idle, sse))
	if goals[0].Measured || goals[1].Measured {
		t.Errorf("without net: %+v", goals)
	}
}

func TestTLSTables(t *testing.T) {
	req, hs, idle, sse := tlsFixture()
	o := tlsOpts(nil)
	if err := o.check(); err != nil {
		t.Fatal(err)
	}
	out := tlsTables(summarizeTLS(tlsSides, req, hs, idle, sse), o)
	for _, want := range []string{
		"| measurement | net/http TLS (HTTP/1.1) | workerman-go TLS | workerman-go ÷ net/http |",
		"| keep-alive requests/s over TLS (wrk, 100 connections; higher is better) | 20000 | 24000 | 1.20× |",
		"| server CPU µs per request (lower is better) | 40.00 | 20.00 | 0.50× |",
		"| server CPU µs per handshake (lower is better) | 550.0 | 500.0 | 0.91× |",
		"| idle TLS connections: KiB per connection, 10,000 after a handshake and a request (lower is better) | 45.00 | 15.00 | 0.33× |",
		"| idle TLS event streams: KiB per stream, 10,000 with a 15 s heartbeat (lower is better) | 40.00 | 16.00 | 0.40× |",
		"| RSS per idle TLS event stream of workerman-go ≤ 1/3 of net/http's | 0.40× | ❌ fail |",
		"| wm | handshakes | TLS 1.3 | TLS_AES_128_GCM_SHA256 | X25519MLKEM768 | http/1.1 | HTTP/1.1 | 0 |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	if strings.Contains(out, "Medians over fewer rounds") {
		t.Errorf("complete rounds reported as incomplete:\n%s", out)
	}
	o.Rounds = 4
	if out := tlsTables(summarizeTLS(tlsSides, req, hs, idle, sse), o); !strings.Contains(out, "wm handshakes (3/4 rounds)") {
		t.Errorf("incomplete rounds not reported:\n%s", out)
	}
}
