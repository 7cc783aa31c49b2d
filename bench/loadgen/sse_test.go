package loadgen

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// sseTestServer is a small net/http SSE server on loopback: GET / streams
// (chunked, or raw with identity) either a timestamp every tick, or the
// events published with POST /publish (ids 1, 2, 3..., skipping skipID).
type sseTestServer struct {
	addr     string
	tick     time.Duration // 0: fan-out
	identity bool          // no chunked framing (the connection delimits the body)
	skipID   uint64
	status   int // answer GET / with this status instead (0: a stream)

	mu   sync.Mutex
	seq  uint64
	subs map[chan string]struct{}
}

func startSSE(t *testing.T, s *sseTestServer) *sseTestServer {
	t.Helper()
	s.subs = map[chan string]struct{}{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /publish", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.seq++
		if s.seq == s.skipID {
			s.seq++
		}
		msg := fmt.Sprintf("id: %d\ndata: %d\n\n", s.seq, time.Now().UnixNano())
		for ch := range s.subs {
			ch <- msg
		}
		s.mu.Unlock()
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		if s.status != 0 {
			http.Error(w, "no", s.status)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		if s.identity {
			w.Header().Set("Transfer-Encoding", "identity")
		}
		// Subscribe before the head goes out: a client that has seen the
		// head counts its stream as open and may publish at once.
		ch := make(chan string, 64)
		s.mu.Lock()
		s.subs[ch] = struct{}{}
		s.mu.Unlock()
		defer func() {
			s.mu.Lock()
			delete(s.subs, ch)
			s.mu.Unlock()
		}()
		w.WriteHeader(200)
		w.(http.Flusher).Flush()
		var tc <-chan time.Time
		if s.tick > 0 {
			tk := time.NewTicker(s.tick)
			defer tk.Stop()
			tc = tk.C
		}
		for {
			select {
			case <-r.Context().Done():
				return
			case m := <-ch:
				fmt.Fprint(w, m)
			case <-tc:
				fmt.Fprintf(w, ": comment\ndata: %d\n\n", time.Now().UnixNano())
			}
			w.(http.Flusher).Flush()
		}
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	s.addr = ln.Addr().String()
	return s
}

func runSSE(t *testing.T, cfg Config) *Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg.Mode = ModeSSE
	res, err := Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestSSEPeriodic(t *testing.T) {
	for _, identity := range []bool{false, true} {
		s := startSSE(t, &sseTestServer{tick: 20 * time.Millisecond, identity: identity})
		ready := 0
		res := runSSE(t, Config{Target: s.addr, Conns: 20, Warmup: 100 * time.Millisecond, Duration: 500 * time.Millisecond,
			OnReady: func(n int) { ready = n }})
		if !res.OK || ready != 20 || res.Streams != 20 {
			t.Fatalf("identity %v: %s (ready %d)", identity, res.Summary(), ready)
		}
		// 20 streams × 50 events/s, give or take the scheduler.
		if res.EventsPerSec < 500 || res.EventsPerSec > 1500 || res.Comments == 0 || res.P50us <= 0 {
			t.Fatalf("identity %v: %s", identity, res.Summary())
		}
	}
}

func TestSSEFanout(t *testing.T) {
	s := startSSE(t, &sseTestServer{})
	res := runSSE(t, Config{Target: s.addr, Conns: 50, Publishes: 5, PublishBurst: 5, PublishGap: time.Millisecond, Duration: 20 * time.Second})
	if !res.OK {
		t.Fatal(res.Summary())
	}
	f := res.Fanout
	if f == nil || f.Completed != 5 || f.BurstEvents != 250 || !f.BurstComplete || f.BurstEventsPerSec <= 0 || res.Events != 500 || res.Short != 0 {
		t.Fatalf("%s\n%+v", res.Summary(), f)
	}
	if res.Latency.Count() != 250 || res.BurstLatency.Count() != 250 {
		t.Fatalf("latencies: %d spaced, %d burst", res.Latency.Count(), res.BurstLatency.Count())
	}
}

func TestSSEDetectsGap(t *testing.T) {
	s := startSSE(t, &sseTestServer{skipID: 2})
	res := runSSE(t, Config{Target: s.addr, Conns: 5, Publishes: 3, PublishGap: time.Millisecond, PublishTimeout: 2 * time.Second, Duration: 10 * time.Second})
	if res.OK || res.OutOfOrder != 5 || !strings.Contains(res.Error, "out of order") {
		t.Fatalf("%s", res.Summary())
	}
}

func TestSSERejectsNonStream(t *testing.T) {
	s := startSSE(t, &sseTestServer{status: 404})
	res := runSSE(t, Config{Target: s.addr, Conns: 3, Duration: 100 * time.Millisecond})
	if res.OK || res.HeadFailures != 3 || res.Streams != 0 || res.Errors["head:status 404"] != 3 {
		t.Fatalf("%s %v", res.Summary(), res.Errors)
	}
}

// An event's time is read as Unix nanoseconds (the Go servers) or as
// seconds with a fraction (PHP's microtime(true), the Workerman anchor);
// anything else is bad data.
func TestParseStamp(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"1796234889062341900", 1796234889062341900, true},
		{"1796234889.0623419", 1796234889062341900, true},
		{"1796234889.5", 1796234889500000000, true},
		{"1796234889.1234567891", 1796234889123456789, true}, // past ns: dropped
		{"0", 0, true},
		{"", 0, false},
		{"12a", 0, false},
		{"1796234889.", 0, false},
		{".5", 0, false},
		{"1796234889.06x", 0, false},
		{"17962348890621.5", 0, false},     // not seconds
		{"99999999999999999999", 0, false}, // overflows
		{"-5", 0, false},
	} {
		got, ok := parseStamp(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseStamp(%q) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
