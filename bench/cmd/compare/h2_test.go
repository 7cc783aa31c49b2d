package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/workerman-go/workerman/bench/internal/testcert"
	"github.com/workerman-go/workerman/bench/loadgen"
	"github.com/workerman-go/workerman/internal/testutil"
)

func TestParseH2Options(t *testing.T) {
	o, err := parseH2Options(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if o.Rounds != 5 || o.Conns != 100 || o.Streams != 10000 || !o.SSETLS || o.H2loadConns != 100 || o.H2loadStreams != 10 ||
		o.Duration != 10*time.Second || o.Warmup != time.Second || !o.Pin || o.Out != "" {
		t.Errorf("defaults: %+v", o)
	}
	for _, test := range h2Tests {
		if !o.tests[test] {
			t.Errorf("test %s not enabled by default", test)
		}
	}
	if !o.requests() {
		t.Error("requests() false with every test")
	}

	o, err = parseH2Options([]string{"-quick", "-streams", "1500", "-tests", "idle,tick", "-sse-tls=false"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if o.Rounds != 3 || o.Conns != 20 || o.Streams != 1500 || o.Duration != 2*time.Second || o.SSETLS || o.requests() || !o.tests["tick"] {
		t.Errorf("quick with -streams 1500: %+v", o)
	}

	for _, args := range [][]string{
		{"-rounds", "2"},
		{"-streams", "10001"}, // 101 per connection
		{"-conns", "0"},
		{"-conns", "10", "-streams", "5"},
		{"-duration", "1500ms"},
		{"-duration", "0s"},
		{"-warmup", "-1s"},
		{"-warmup", "500ms"},
		{"-tick-duration", "500ms"},
		{"-idle-settle", "-1s"},
		{"-tests", "idle,echo"},
		{"-tests", ""},
		{"-h2load-threads", "2", "-h2load-conns", "1"},
		{"-h2load-streams", "0"},
		{"-rounds", "x"},
		{"-nosuchflag"},
		{"extra"},
	} {
		if _, err := parseH2Options(args, io.Discard); err == nil {
			t.Errorf("%q accepted", args)
		}
	}
}

func TestSelectH2Sides(t *testing.T) {
	s, err := selectH2Sides("wm, net")
	if err != nil || len(s) != 2 || s[0].Name != "wm" || s[0].Hello.Name != "httpwm" || s[0].SSE.Name != "ssewm" || s[1].SSE.Name != "h2net" {
		t.Fatalf("%+v %v", s, err)
	}
	if _, err := selectH2Sides("wm,gnet"); err == nil {
		t.Fatal("unknown server accepted")
	}
}

func TestH2LoadgenArgs(t *testing.T) {
	certs := testcert.Files{CA: "/x/ca.pem", Name: "localhost"}
	got := strings.Join(h2LoadgenArgs("127.0.0.1:1", 100, 10000, true, certs), " ")
	if got != "-target 127.0.0.1:1 -conns 100 -streams 10000 -tls=true -ca /x/ca.pem -server-name localhost" {
		t.Errorf("TLS: %s", got)
	}
	got = strings.Join(h2LoadgenArgs("127.0.0.1:1", 10, 1000, false, certs), " ")
	if got != "-target 127.0.0.1:1 -conns 10 -streams 1000 -tls=false" {
		t.Errorf("h2c: %s", got)
	}
	if got := strings.Join(h2loadArgs(100, 10, 1, 10, "https://a/"), " "); got != "-c 100 -m 10 -t 1 -D 10 https://a/" {
		t.Errorf("h2load: %s", got)
	}
}

const h2loadTLSOutput = `starting benchmark...
spawning thread #0: 100 total client(s). Timing-based test with 0s of warm-up time and 3s of main duration for measurements.
Warm-up started for thread #0.
progress: 10% of clients started
progress: 100% of clients started
Warm-up phase is over for thread #0.
Main benchmark duration is started for thread #0.
TLS Protocol: TLSv1.3
Cipher: TLS_AES_128_GCM_SHA256
Server Temp Key: X25519 253 bits
Application protocol: h2
Main benchmark duration is over for thread #0. Stopping all clients.
Stopped all clients for thread #0

finished in 3.02s, 89110.00 req/s, 3.06MB/s
requests: 267330 total, 268330 started, 267330 done, 267330 succeeded, 0 failed, 0 errored, 0 timeout
status codes: 267330 2xx, 0 3xx, 0 4xx, 0 5xx
traffic: 9.19MB (9641180) total, 1.29MB (1349050) headers (space savings 95.53%), 3.31MB (3475290) data
                     min         max         mean         sd        +/- sd
time for request:      440us     54.85ms     10.57ms      6.68ms    72.58%
time for connect:    20.00ms    106.03ms     66.40ms     24.56ms    63.00%
time to 1st byte:   109.47ms    118.08ms    114.16ms      2.20ms    66.00%
req/s           :     789.23      922.95      889.90       23.81    74.00%
`

const h2loadH2COutput = `starting benchmark...
Application protocol: h2c
finished in 3.01s, 76756.67 req/s, 2.64MB/s
requests: 230270 total, 231270 started, 230270 done, 230000 succeeded, 200 failed, 70 errored, 0 timeout
status codes: 230000 2xx, 0 3xx, 270 4xx, 0 5xx
traffic: 7.92MB (8307020) total, 1.11MB (1163750) headers (space savings 95.53%), 2.85MB (2993510) data
                     min         max         mean         sd        +/- sd
time for request:     1.18ms        1.5s     12.92ms      8.65ms    85.33%
`

// h2loadNoConnection is what h2load prints when no connection could be
// made: no application protocol, nothing done.
const h2loadNoConnection = `starting benchmark...
finished in 3.01s, 0.00 req/s, 0B/s
requests: 0 total, 0 started, 0 done, 0 succeeded, 0 failed, 0 errored, 0 timeout
status codes: 0 2xx, 0 3xx, 0 4xx, 0 5xx
traffic: 0B (0) total, 0B (0) headers (space savings 0.00%), 0B (0) data
                     min         max         mean         sd        +/- sd
time for request:        0us         0us         0us         0us     0.00%
`

func TestParseH2load(t *testing.T) {
	r, err := parseH2load(h2loadTLSOutput)
	if err != nil {
		t.Fatal(err)
	}
	want := h2loadResult{DurationSec: 3.02, RequestsPerSec: 89110, Total: 267330, Started: 268330, Done: 267330, Succeeded: 267330,
		Status2xx: 267330, ReqMinUs: 440, ReqMaxUs: 54850, ReqMeanUs: 10570, ReqSDUs: 6680,
		TLSProtocol: "TLSv1.3", Cipher: "TLS_AES_128_GCM_SHA256", TempKey: "X25519 253 bits", ALPN: "h2"}
	if r != want {
		t.Errorf("TLS output:\n got %+v\nwant %+v", r, want)
	}
	if p := r.problems("h2"); len(p) != 0 {
		t.Errorf("problems %v", p)
	}
	if p := r.problems("h2c"); len(p) != 1 || !strings.Contains(p[0], `application protocol "h2", want "h2c"`) {
		t.Errorf("problems with h2c wanted: %v", p)
	}

	r, err = parseH2load(h2loadH2COutput)
	if err != nil {
		t.Fatal(err)
	}
	if r.ALPN != "h2c" || r.TLSProtocol != "" || r.Failed != 200 || r.Errored != 70 || r.Status4xx != 270 || r.ReqMaxUs != 1.5e6 {
		t.Errorf("h2c output: %+v", r)
	}
	if p := r.problems("h2c"); len(p) != 2 || !strings.Contains(p[0], "270 requests failed") || !strings.Contains(p[1], "270 answers not 2xx") {
		t.Errorf("h2c problems: %q", p)
	}

	r, err = parseH2load(h2loadNoConnection)
	if err != nil {
		t.Fatal(err)
	}
	if p := r.problems("h2"); len(p) != 2 || p[0] != "no request done" {
		t.Errorf("no connection: problems %q", p)
	}

	for name, out := range map[string]string{
		"empty":          "",
		"no time line":   strings.Split(h2loadTLSOutput, "                     min")[0],
		"bad count":      strings.Replace(h2loadTLSOutput, "0 failed", "x failed", 1),
		"missing count":  strings.Replace(h2loadTLSOutput, ", 0 timeout", "", 1),
		"bad duration":   strings.Replace(h2loadTLSOutput, "440us", "440µs", 1),
		"bad finished":   strings.Replace(h2loadTLSOutput, "89110.00 req/s", "lots", 1),
		"negative count": strings.Replace(h2loadTLSOutput, "0 3xx", "-1 3xx", 1),
	} {
		if _, err := parseH2load(out); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestParseH2loadTime(t *testing.T) {
	for in, want := range map[string]float64{"440us": 440, "54.85ms": 54850, "1.02s": 1.02e6, "0us": 0} {
		if got, err := parseH2loadTime(in); err != nil || got != want {
			t.Errorf("parseH2loadTime(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "us", "5", "5m", "-1ms", "infs", "NaNms", "1e3us", "0x10us"} {
		if _, err := parseH2loadTime(in); err == nil {
			t.Errorf("parseH2loadTime(%q) accepted", in)
		}
	}
}

// FuzzParseH2load: any output is parsed or refused with an error, never a
// panic, and a parsed report has no negative count.
func FuzzParseH2load(f *testing.F) {
	f.Add(h2loadTLSOutput)
	f.Add(h2loadH2COutput)
	f.Add(h2loadNoConnection)
	f.Add("finished in 1s, 1 req/s\nrequests: 1 total\n")
	f.Add("time for request: 1us 2us\n")
	f.Fuzz(func(t *testing.T, out string) {
		r, err := parseH2load(out)
		if err != nil {
			return
		}
		for _, v := range []int64{r.Total, r.Started, r.Done, r.Succeeded, r.Failed, r.Errored, r.Timeout, r.Status2xx, r.Status3xx, r.Status4xx, r.Status5xx} {
			if v < 0 {
				t.Fatalf("negative count in %+v", r)
			}
		}
		_ = r.problems("h2")
	})
}

// h2Records are the records of a made-up run: every test, two rounds each
// of net and wm, one of wm's tick rounds failed.
func h2Records() ([]h2IdleRecord, []h2TickRecord, []h2RequestsRecord) {
	tlsInfo := &loadgen.TLSInfo{Version: "TLS 1.3", CipherSuite: "TLS_AES_128_GCM_SHA256", Group: "X25519MLKEM768", ALPN: "h2", Proto: "HTTP/2.0"}
	idle := func(server string, round int, per float64) h2IdleRecord {
		return h2IdleRecord{idleRecord: idleRecord{Server: server, Round: round, OK: true, Conns: 100, RSSBefore: 10 << 20,
			RSSAfter: 10<<20 + int64(per*10000), BytesPerConn: per * 100}, Streams: 10000, BytesPerStream: per, TLS: tlsInfo}
	}
	tick := func(server string, round int, ok bool, cpu float64) h2TickRecord {
		return h2TickRecord{tickRecord: tickRecord{Server: server, Round: round, OK: ok, Streams: 10000, EventsPerSec: 10000,
			ServerCPUPct: cpu, ServerSysPct: cpu / 2, ServerCPUusPerEvent: cpu, P50us: 40, P99us: 400, ClientCPUPct: 10}, Conns: 100,
			ClientCPUusPerEvent: 10, TLS: tlsInfo, WritesPerEvent: cpu / 20}
	}
	req := func(server, variant string, round int, rps, cpu float64) h2RequestsRecord {
		r := h2RequestsRecord{Server: server, Variant: variant, Round: round, OK: true, RequestsPerSec: rps, MeanUs: 1e6 / rps,
			ServerCPUusPerReq: cpu, ServerSysUsPerReq: cpu / 3, H2loadCPUusPerReq: 5, WritesPerReq: cpu / 100, ServerCPUPct: 95, H2loadCPUPct: 95,
			H2load: &h2loadResult{ALPN: "h2", TLSProtocol: "TLSv1.3", Cipher: "TLS_AES_128_GCM_SHA256", TempKey: "X25519 253 bits"},
			Check:  tlsInfo}
		if variant == "requests-h2c" {
			r.H2load, r.Check = &h2loadResult{ALPN: "h2c"}, &loadgen.TLSInfo{Proto: "HTTP/2.0"}
		}
		return r
	}
	idles := []h2IdleRecord{idle("net", 1, 10240), idle("wm", 1, 2048), idle("net", 2, 10240), idle("wm", 2, 2048)}
	ticks := []h2TickRecord{tick("net", 1, true, 14), tick("wm", 1, true, 10), tick("net", 2, true, 14), tick("wm", 2, false, 0)}
	reqs := []h2RequestsRecord{req("net", "requests", 1, 40000, 25), req("wm", "requests", 1, 100000, 10),
		req("net", "requests-h2c", 1, 35000, 30), req("wm", "requests-h2c", 1, 110000, 9)}
	return idles, ticks, reqs
}

func TestH2Tables(t *testing.T) {
	o, err := parseH2Options([]string{"-rounds", "3"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	idle, tick, req := h2Records()
	out := h2Tables(summarizeH2(h2Sides, idle, tick, req), o)
	lines := strings.Split(out, "\n")
	if lines[0] != "| measurement | net/http HTTP/2 | workerman-go HTTP/2 | workerman-go ÷ net/http |" {
		t.Errorf("first line %q", lines[0])
	}
	for _, want := range []string{
		"| idle: KiB per stream, 10,000 streams over 100 HTTP/2 connections (TLS), 15 s heartbeat (lower is better) | 10.00 | 2.00 | 0.20× |",
		"| tick: server CPU, % of a core, 10,000 streams × 1 event/s over 100 connections (lower is better) | 14.0 | 10.0 | 0.71× |",
		"| tick: load generator CPU, % of its core | 10.0 | 10.0 | – |",
		"| tick: server write(2) calls per event | 0.700 | 0.500 | 0.71× |",
		"| hello over TLS: server write(2) calls per request | 0.250 | 0.100 | 0.40× |",
		"| hello over TLS: requests/s (h2load -c100 -m10; higher is better) | 40000 | 100000 | 2.50× |",
		"| hello over h2c: server CPU µs per request (lower is better) | 30.00 | 9.00 | 0.30× |",
		"| RSS per idle event stream of workerman-go (10,000 streams over 100 HTTP/2 connections) ≤ 1/4 of net/http's | 0.20× | ✅ pass |",
		"| server CPU with 10,000 streams × 1 event/s over 100 connections ≤ 1/2 of net/http's | 0.71× | ❌ fail |",
		"| server CPU µs per hello request over TLS (h2load) ≤ 1/2 of net/http's | 0.40× | ✅ pass |",
		"| check: the load generator received 10,000 events/s (± 5 %) from every server | net 10,000, wm 10,000 | ✅ pass |",
		"| check: the load generator was not the bottleneck of the tick test (below 90 % of its core) | net 10 %, wm 10 % | ✅ pass |",
		"Medians over fewer rounds: net idle (2/3 rounds); net tick (2/3 rounds); net requests (1/3 rounds)",
		"| wm | tick (h2loadgen) | TLS 1.3 | TLS_AES_128_GCM_SHA256 | X25519MLKEM768 | h2 | HTTP/2.0 |",
		"| wm | requests-h2c (Go client's check) | – | – | – | h2c (prior knowledge) | HTTP/2.0 |",
		"| net | requests (h2load) | TLSv1.3 | TLS_AES_128_GCM_SHA256 | X25519 253 bits | h2 | HTTP/2 |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("tables lack %q:\n%s", want, out)
		}
	}
	// Only the tests that ran have rows and goals.
	o, _ = parseH2Options([]string{"-tests", "idle"}, io.Discard)
	out = h2Tables(summarizeH2(h2Sides, idle, nil, nil), o)
	if strings.Contains(out, "tick:") || strings.Contains(out, "hello over") || strings.Contains(out, "server CPU µs per hello") {
		t.Errorf("idle only:\n%s", out)
	}
	// A server without a successful round: "failed", no ratio, no verdict.
	out = h2Tables(summarizeH2(h2Sides, idle[:1], nil, nil), o)
	if !strings.Contains(out, "| 10.00 | failed | – |") || !strings.Contains(out, "| – | not measured |") {
		t.Errorf("one side failed:\n%s", out)
	}
}

// TestH2Report writes a whole results file from made-up records.
func TestH2Report(t *testing.T) {
	o, err := parseH2Options([]string{"-rounds", "3", "-out", filepath.Join(t.TempDir(), "h2.md")}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	d := &h2Driver{o: o, sides: h2Sides, h2loadVersion: "h2load nghttp2/1.52.0"}
	d.started = time.Date(2026, 12, 2, 18, 0, 0, 0, time.UTC)
	d.idle, d.tick, d.requests = h2Records()
	d.requests[0].OtherCPUPct = 60     // a disturbed round
	if err := d.report(); err != nil { // also prints the tables on stdout
		t.Fatal(err)
	}
	b, err := os.ReadFile(o.Out)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{
		"# HTTP/2 benchmark, 2026-12-02 18:00 UTC\n\n| measurement | net/http HTTP/2 |",
		"- 1 of 7 tick and requests rounds ran with more than 25 % of a core of other load",
		"- h2load was (nearly) saturated, median ≥ 90 % of its CPU, with net (requests), net (requests-h2c), wm (requests), wm (requests-h2c)",
		"## Settings", "h2load nghttp2/1.52.0 -c 100 -m 10 -t 1 -D 10 https://127.0.0.1:PORT/",
		"## Per round", "### Idle", "### Tick", "### Requests (h2load)", "| 2 | wm | 10000 | 100 | 10000 | 0.0 |",
		"## Raw results",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("results file lacks %q", want)
		}
	}
	raw := s[strings.Index(s, "```json\n")+8 : strings.LastIndex(s, "```")]
	var v struct {
		Options  h2Options          `json:"options"`
		Goals    []limitGoal        `json:"goals"`
		Requests []h2RequestsRecord `json:"requests"`
	}
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		t.Fatalf("raw JSON: %v", err)
	}
	if v.Options.Streams != 10000 || len(v.Goals) != 6 || len(v.Requests) != 4 {
		t.Errorf("raw JSON: %+v", v)
	}
}

// startHello starts an in-process hello server: HTTP/2 over TLS with the
// certificate of certs, h2c (certs empty), or HTTP/1.1 only over TLS
// (h1).
func startHello(t *testing.T, certs testcert.Files, h1 bool, body string) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, body) }))
	if certs.Cert == "" {
		srv.Config.Protocols = new(http.Protocols)
		srv.Config.Protocols.SetHTTP1(true)
		srv.Config.Protocols.SetUnencryptedHTTP2(true)
		srv.Start()
		t.Cleanup(srv.Close)
		return "http://" + srv.Listener.Addr().String() + "/"
	}
	cert, err := tls.LoadX509KeyPair(certs.Cert, certs.Key)
	if err != nil {
		t.Fatal(err)
	}
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.EnableHTTP2 = !h1
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return "https://" + srv.Listener.Addr().String() + "/"
}

func TestCheckH2Hello(t *testing.T) {
	certs, err := testcert.Make(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	info, err := checkH2Hello(ctx, startHello(t, certs, false, helloBody), certs)
	if err != nil || info.Proto != "HTTP/2.0" || info.ALPN != "h2" || info.Version != "TLS 1.3" {
		t.Errorf("TLS: %+v, %v", info, err)
	}
	info, err = checkH2Hello(ctx, startHello(t, testcert.Files{}, false, helloBody), certs)
	if err != nil || info.Proto != "HTTP/2.0" || info.Version != "" {
		t.Errorf("h2c: %+v, %v", info, err)
	}
	if _, err := checkH2Hello(ctx, startHello(t, certs, true, helloBody), certs); err == nil {
		t.Error("an HTTP/1.1-only server passed")
	}
	if _, err := checkH2Hello(ctx, startHello(t, testcert.Files{}, false, "Bye"), certs); err == nil || !strings.Contains(err.Error(), `want 200 "Hello, World!"`) {
		t.Errorf("a wrong body: %v", err)
	}
	other, err := testcert.Make(t.TempDir()) // another CA: the certificate does not verify
	if err != nil {
		t.Fatal(err)
	}
	if _, err := checkH2Hello(ctx, startHello(t, certs, false, helloBody), other); err == nil {
		t.Error("a certificate of another CA passed")
	}
}

// TestH2loadAgainstNetHTTP runs the real h2load for a second against an
// in-process h2c server and parses its report; skipped without h2load.
func TestH2loadAgainstNetHTTP(t *testing.T) {
	bin := testutil.RequireTool(t, "h2load", "nghttp2-client")
	url := startHello(t, testcert.Files{}, false, helloBody)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, h2loadArgs(2, 2, 1, 1, url)...).Output()
	if err != nil {
		t.Fatalf("h2load: %v\n%s", err, out)
	}
	r, err := parseH2load(string(out))
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if p := r.problems("h2c"); len(p) > 0 || r.Done != r.Status2xx || r.RequestsPerSec <= 0 {
		t.Errorf("problems %v in %+v", p, r)
	}
	if v := h2loadVersion(ctx, bin); !strings.HasPrefix(v, "h2load nghttp2/") {
		t.Errorf("version %q", v)
	}
}
