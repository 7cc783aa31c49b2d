package main

import (
	"math"
	"os"
	"reflect"
	"strings"
	"testing"
)

func readSample(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The samples in testdata were captured from wrk 4.1.0 (Debian's package):
// wrk-ok.txt against bench/servers/httpgnet, wrk-errors.txt against a
// server answering every 7th request with 500 and closing the connection
// on every 50th.
func TestParseWrk(t *testing.T) {
	tests := []struct {
		file     string
		want     wrkResult
		problems []string
	}{
		{"wrk-ok.txt", wrkResult{
			Requests: 234511, DurationSec: 2.21, RequestsPerSec: 106266.39, TransferPerSec: 11.65 * (1 << 20),
			P50us: 503, P75us: 701, P90us: 1250, P99us: 161320,
		}, nil},
		{"wrk-errors.txt", wrkResult{
			Requests: 72967, DurationSec: 1.10, RequestsPerSec: 66325.92, TransferPerSec: 8.41 * (1 << 20),
			P50us: 235, P75us: 431, P90us: 1850, P99us: 4490,
			ReadErrors: 1489, BadStatus: 10424,
		}, []string{"1489 socket errors (connect 0, read 1489, write 0, timeout 0)", "10424 non-2xx responses"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := parseWrk(readSample(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if !approxEqual(got, tt.want) {
				t.Errorf("parseWrk:\n got %+v\nwant %+v", got, tt.want)
			}
			if p := got.problems(); !reflect.DeepEqual(p, tt.problems) {
				t.Errorf("problems: got %q, want %q", p, tt.problems)
			}
		})
	}
}

// approxEqual compares two results, floats to 1e-9 relative.
func approxEqual(a, b wrkResult) bool {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	for i := 0; i < va.NumField(); i++ {
		x, y := va.Field(i), vb.Field(i)
		if x.Kind() == reflect.Float64 {
			if d := math.Abs(x.Float() - y.Float()); d > 1e-9*math.Max(1, math.Abs(y.Float())) {
				return false
			}
		} else if x.Interface() != y.Interface() {
			return false
		}
	}
	return true
}

func TestParseWrkUnits(t *testing.T) {
	out := `Running 1m test @ http://127.0.0.1:1/
  1 threads and 100 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.50s   215.41us   2.00m    88.41%
    Req/Sec     1.12M     3.21k    1.50M    82.00%
  Latency Distribution
     50%    1.50s
     75%    2.00m
     90%    1.00h
     99%    2.00h
  65 requests in 1.00m, 512.00B read
  Socket errors: connect 1, read 2, write 3, timeout 4
Requests/sec:      1.08
Transfer/sec:       8.53B
`
	got, err := parseWrk(out)
	if err != nil {
		t.Fatal(err)
	}
	want := wrkResult{Requests: 65, DurationSec: 60, RequestsPerSec: 1.08, TransferPerSec: 8.53,
		P50us: 1.5e6, P75us: 120e6, P90us: 3600e6, P99us: 7200e6,
		ConnectErrors: 1, ReadErrors: 2, WriteErrors: 3, Timeouts: 4}
	if !approxEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}

func TestParseWrkIncomplete(t *testing.T) {
	ok := readSample(t, "wrk-ok.txt")
	drop := func(prefix string) string {
		var keep []string
		for _, l := range strings.Split(ok, "\n") {
			if !strings.HasPrefix(strings.TrimSpace(l), prefix) {
				keep = append(keep, l)
			}
		}
		return strings.Join(keep, "\n")
	}
	tests := []struct {
		name, out, want string
	}{
		{"empty", "", "lacks"},
		{"connection refused", "unable to connect to 127.0.0.1:1 Connection refused\n", "lacks"},
		{"no rate", drop("Requests/sec:"), `"Requests/sec:"`},
		{"no count", drop("234511 requests"), `"N requests in T"`},
		{"no --latency", drop("99%"), "latency distribution"},
		{"bad latency", strings.Replace(ok, "503.00us", "503.00xs", 1), `bad duration "503.00xs"`},
		{"bad rate", strings.Replace(ok, "106266.39", "lots", 1), "Requests/sec:"},
		{"bad socket errors", ok + "  Socket errors: connect x, read 0\n", "Socket errors"},
		{"bad transfer", strings.Replace(ok, "11.65MB", "11.65", 1), `bad size "11.65"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseWrk(tt.out)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}

// Percent lines outside the latency distribution (Thread Stats' "+/- Stdev"
// column) are not percentiles.
func TestParseWrkDistributionOnly(t *testing.T) {
	out := strings.Replace(readSample(t, "wrk-ok.txt"), "  Latency Distribution\n", "", 1)
	if _, err := parseWrk(out); err == nil || !strings.Contains(err.Error(), "latency distribution") {
		t.Fatalf("err %v, want a missing latency distribution", err)
	}
}

func TestWrkArgs(t *testing.T) {
	got := strings.Join(wrkArgs(1, 100, 5, "127.0.0.1:8080"), " ")
	if want := "-t1 -c100 -d5s --latency http://127.0.0.1:8080/"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestTail(t *testing.T) {
	if got := tail("a\nb\nc\n", 2); got != "b\nc" {
		t.Fatalf("got %q", got)
	}
	if got := tail("a", 5); got != "a" {
		t.Fatalf("got %q", got)
	}
}

func TestFindWrkExplicit(t *testing.T) {
	if p, err := findWrk(t.Context(), "/bin/true"); err != nil || p != "/bin/true" {
		t.Fatalf("got %q, %v", p, err)
	}
	if _, err := findWrk(t.Context(), "/no/such/wrk"); err == nil || !strings.Contains(err.Error(), "-wrk /no/such/wrk") {
		t.Fatalf("err %v", err)
	}
}
