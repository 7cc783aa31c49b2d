package main

import (
	"flag"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestSelectServers(t *testing.T) {
	got, err := selectServers(" wm, net,wm,,", httpServers)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Name != "wm" || got[1].Name != "net" || got[0].Pkg != "./servers/httpwm" {
		t.Fatalf("got %+v", got)
	}
	if _, err := selectServers("net,nginx", echoServers); err == nil || !strings.Contains(err.Error(), `unknown server "nginx" (known: net, gnet, wm)`) {
		t.Fatalf("err %v", err)
	}
	if _, err := selectServers(" , ", echoServers); err == nil {
		t.Fatal("empty list accepted")
	}
}

func TestRotate(t *testing.T) {
	names := func(s []serverSpec) string { return serverNames(s) }
	for k, want := range []string{"net, gnet, wm", "gnet, wm, net", "wm, net, gnet", "net, gnet, wm"} {
		if got := names(rotate(httpServers, k)); got != want {
			t.Errorf("rotate by %d: %s, want %s", k, got, want)
		}
	}
}

func TestMedianRatio(t *testing.T) {
	if _, ok := median(nil); ok {
		t.Fatal("median of nothing")
	}
	if m, _ := median([]float64{3, 1, 2}); m != 2 {
		t.Fatalf("median %v", m)
	}
	if m, _ := median([]float64{4, 1, 3, 2}); m != 2.5 {
		t.Fatalf("median %v", m)
	}
	if r := ratio(3, 2, true, true); r != "1.50×" {
		t.Fatalf("ratio %q", r)
	}
	if r := ratio(3, 0, true, true); r != "–" {
		t.Fatalf("ratio %q", r)
	}
}

func TestQuickDefaults(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	rounds := fs.Int("rounds", 5, "")
	dur := fs.Duration("duration", 5*time.Second, "")
	if err := fs.Parse([]string{"-rounds", "7"}); err != nil {
		t.Fatal(err)
	}
	quickDefaults(fs, map[string]func(){
		"rounds":   func() { *rounds = 3 },
		"duration": func() { *dur = time.Second },
	})
	if *rounds != 7 || *dur != time.Second {
		t.Fatalf("rounds %d (set on the command line: kept), duration %v (not set: quick)", *rounds, *dur)
	}
}

func TestNotes(t *testing.T) {
	if n := noisyNote([]float64{1, 2}, "rounds", "requests/s", "CPU µs/request"); n != "" {
		t.Fatalf("quiet rounds: %q", n)
	}
	n := noisyNote([]float64{1, 30, 40}, "rounds", "requests/s", "CPU µs/request")
	if !strings.HasPrefix(n, "- 2 of 3 rounds ran with more than 25 %") || !strings.Contains(n, "their requests/s and, to a lesser degree, CPU µs/request") {
		t.Fatalf("noisy: %q", n)
	}
	if n := saturatedNote(nil, "wrk", "requests/s", "CPU µs/request"); n != "" {
		t.Fatalf("none saturated: %q", n)
	}
	n = saturatedNote([]string{"net", "wm"}, "The load generator", "msg/s", "CPU µs/msg")
	if want := "- The load generator was (nearly) saturated, median ≥ 90 % of its CPU, with net, wm: msg/s there is bounded by the load generator as much as by the server; server CPU µs/msg (and its ratio) is the server's own figure.\n"; n != want {
		t.Fatalf("saturated:\n got %q\nwant %q", n, want)
	}
}

func TestSeenSummary(t *testing.T) {
	infos := map[string][]serverInfo{
		"net":  {{CPUs: "0", Threads: 4, Listeners: 1}, {CPUs: "0", Threads: 5, Listeners: 1}},
		"gnet": {{CPUs: "0", Threads: 5, Listeners: 1}, {CPUs: "0-1", Threads: 5, Listeners: 2}},
		"wm":   {{}},
	}
	got := seenSummary(httpServers, infos)
	want := "net: CPUs 0, 1 listener(s); gnet: CPUs 0 | 0-1, 1 | 2 listener(s)"
	if got != want {
		t.Fatalf("got %q\nwant %q", got, want)
	}
	if got := seenSummary(httpServers, nil); got != "no server seen yet" {
		t.Fatalf("got %q", got)
	}
}

func TestParseListening(t *testing.T) {
	for line, want := range map[string]string{
		"LISTENING 127.0.0.1:8080":       "127.0.0.1:8080",
		"LISTENING tcp://127.0.0.1:8080": "127.0.0.1:8080",
		"LISTENING http://[::1]:8080":    "[::1]:8080",
	} {
		if got, err := parseListening(line); err != nil || got != want {
			t.Errorf("%q: %q, %v", line, got, err)
		}
	}
	for _, line := range []string{"LISTENING", "LISTENING 127.0.0.1:0"} {
		if _, err := parseListening(line); err == nil {
			t.Errorf("%q accepted", line)
		}
	}
}

func TestSplit(t *testing.T) {
	if got := split(10, 3); !reflect.DeepEqual(got, []int{4, 3, 3}) {
		t.Fatalf("got %v", got)
	}
	if got := split(2, 5); !reflect.DeepEqual(got, []int{1, 1}) {
		t.Fatalf("got %v", got)
	}
}
