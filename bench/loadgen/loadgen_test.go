package loadgen

import (
	"context"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// echoServer is a plain net echo listener on 127.0.0.1:0 that counts the
// connections it accepted.
type echoServer struct {
	ln       net.Listener
	accepted atomic.Int64
	wg       sync.WaitGroup
	mu       sync.Mutex
	conns    []net.Conn
}

func startEcho(t *testing.T) *echoServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &echoServer{ln: ln}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.accepted.Add(1)
			s.mu.Lock()
			s.conns = append(s.conns, c)
			s.mu.Unlock()
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer c.Close()
				buf := make([]byte, 4096)
				for {
					n, err := c.Read(buf)
					if n > 0 {
						if _, err := c.Write(buf[:n]); err != nil {
							return
						}
					}
					if err != nil {
						return
					}
				}
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		s.mu.Lock()
		for _, c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
	})
	return s
}

func TestEcho(t *testing.T) {
	s := startEcho(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := Run(ctx, Config{
		Mode:     ModeEcho,
		Target:   s.ln.Addr().String(),
		Conns:    10,
		Size:     100,
		Warmup:   100 * time.Millisecond,
		Duration: time.Second,
		Loops:    2,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(res.Summary())
	if !res.OK {
		t.Fatalf("run not OK: %s", res.Error)
	}
	if res.Established != 10 {
		t.Errorf("established %d, want 10", res.Established)
	}
	if res.Messages == 0 || res.Latency == nil || res.Latency.Count() != res.Messages {
		t.Errorf("messages %d, latency samples %v", res.Messages, res.Latency)
	}
	if res.Mismatches != 0 || res.IOErrors != 0 {
		t.Errorf("mismatches %d, I/O errors %d", res.Mismatches, res.IOErrors)
	}
	if res.P50us <= 0 || res.P99us < res.P50us {
		t.Errorf("latency p50 %v µs, p99 %v µs", res.P50us, res.P99us)
	}
}

func TestEchoDetectsMismatch(t *testing.T) {
	// A server that corrupts every echo must produce mismatches, not messages.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 4096)
				for {
					n, err := c.Read(buf)
					if err != nil {
						return
					}
					buf[n-1] ^= 0xff
					if _, err := c.Write(buf[:n]); err != nil {
						return
					}
				}
			}()
		}
	}()
	res, err := Run(context.Background(), Config{Mode: ModeEcho, Target: ln.Addr().String(), Conns: 3, Duration: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.OK || res.Mismatches != 3 || res.Messages != 0 {
		t.Fatalf("want 3 mismatches and a failed run, got %s", res.Summary())
	}
}

// serveWith runs handle on every connection accepted on 127.0.0.1:0.
func serveWith(t *testing.T, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				handle(c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}

func TestEchoPipelined(t *testing.T) {
	s := startEcho(t)
	// One byte at a time: echoes split anywhere, also across messages.
	trickle := serveWith(t, func(c net.Conn) {
		b := make([]byte, 1)
		for {
			if _, err := c.Read(b); err != nil {
				return
			}
			if _, err := c.Write(b); err != nil {
				return
			}
		}
	})
	for _, tc := range []struct {
		name, target      string
		size, depth, loop int
	}{
		{"depth4", s.ln.Addr().String(), 100, 4, 2},
		{"depth16-short", s.ln.Addr().String(), 5, 16, 1},
		{"depth1-big", s.ln.Addr().String(), 10000, 1, 1},
		{"depth8-big", s.ln.Addr().String(), 3000, 8, 1},
		{"trickle", trickle, 24, 3, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Run(context.Background(), Config{
				Mode:     ModeEcho,
				Target:   tc.target,
				Conns:    7,
				Size:     tc.size,
				Depth:    tc.depth,
				Warmup:   50 * time.Millisecond,
				Duration: 400 * time.Millisecond,
				Loops:    tc.loop,
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Log(res.Summary())
			if !res.OK || res.Depth != tc.depth {
				t.Fatalf("run not OK (%s), depth %d", res.Error, res.Depth)
			}
			if res.Messages == 0 || res.Latency.Count() != res.Messages {
				t.Errorf("messages %d, latency samples %d", res.Messages, res.Latency.Count())
			}
		})
	}
}

func TestEchoDetectsReorder(t *testing.T) {
	// A server that echoes every pair of messages swapped: each byte comes
	// back, but out of order, which must count as a mismatch.
	const size = 16
	addr := serveWith(t, func(c net.Conn) {
		buf := make([]byte, 2*size)
		for {
			if _, err := io.ReadFull(c, buf); err != nil {
				return
			}
			out := append(append([]byte(nil), buf[size:]...), buf[:size]...)
			if _, err := c.Write(out); err != nil {
				return
			}
		}
	})
	res, err := Run(context.Background(), Config{Mode: ModeEcho, Target: addr, Conns: 3, Size: size, Depth: 2, Duration: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.OK || res.Mismatches != 3 || res.Messages != 0 {
		t.Fatalf("want 3 mismatches and a failed run, got %s", res.Summary())
	}
}

func TestEchoDetectsDuplicate(t *testing.T) {
	// Echoing everything twice: the second copy of a message arrives where
	// the next one is due and carries the wrong sequence number.
	addr := serveWith(t, func(c net.Conn) {
		buf := make([]byte, 4096)
		for {
			n, err := c.Read(buf)
			if err != nil {
				return
			}
			if _, err := c.Write(append(buf[:n:n], buf[:n]...)); err != nil {
				return
			}
		}
	})
	for _, depth := range []int{1, 4} {
		res, err := Run(context.Background(), Config{Mode: ModeEcho, Target: addr, Conns: 2, Depth: depth, Duration: 300 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if res.OK || res.Mismatches != 2 {
			t.Fatalf("depth %d: want 2 mismatches and a failed run, got %s", depth, res.Summary())
		}
	}
}

func TestIdle(t *testing.T) {
	s := startEcho(t)
	ready := -1
	res, err := Run(context.Background(), Config{
		Mode:     ModeIdle,
		Target:   s.ln.Addr().String(),
		Conns:    50,
		Sources:  []string{"127.0.0.1", "127.0.0.2"},
		Burst:    16,
		Duration: 300 * time.Millisecond,
		OnReady:  func(n int) { ready = n },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(res.Summary())
	if !res.OK {
		t.Fatalf("run not OK: %s", res.Error)
	}
	if ready != 50 || res.Established != 50 || res.HeldAtEnd != 50 {
		t.Errorf("ready %d, established %d, held at end %d; want 50", ready, res.Established, res.HeldAtEnd)
	}
	// The kernel completes connects before the server's Accept returns
	// them; on a busy machine the accept loop may lag behind.
	for deadline := time.Now().Add(5 * time.Second); s.accepted.Load() < 50 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if got := s.accepted.Load(); got != 50 {
		t.Errorf("server accepted %d connections, want 50", got)
	}
}

func TestIdleStopsOnCancel(t *testing.T) {
	s := startEcho(t)
	ctx, cancel := context.WithCancel(context.Background())
	res, err := Run(ctx, Config{
		Mode:     ModeIdle,
		Target:   s.ln.Addr().String(),
		Conns:    5,
		Duration: time.Minute,
		OnReady:  func(int) { cancel() },
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.HeldSec > 10 || res.Established != 5 {
		t.Fatalf("cancel did not end the hold promptly: %s", res.Summary())
	}
}

func TestRejectsNonLoopback(t *testing.T) {
	for _, target := range []string{"10.0.0.1:80", "[::1]:80", "example.com:80"} {
		if _, err := Run(context.Background(), Config{Mode: ModeIdle, Target: target, Conns: 1, Duration: time.Second}); err == nil {
			t.Errorf("target %s accepted", target)
		}
	}
	if _, err := Run(context.Background(), Config{Mode: ModeIdle, Target: "127.0.0.1:1", Sources: []string{"192.168.1.1"}, Conns: 1, Duration: time.Second}); err == nil {
		t.Error("non-loopback source accepted")
	}
}

func TestHist(t *testing.T) {
	var h Hist
	for i := 1; i <= 1000; i++ {
		h.Record(time.Duration(i) * time.Microsecond)
	}
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 500 * time.Microsecond}, {0.99, 990 * time.Microsecond}} {
		got := h.Quantile(c.q)
		if got < c.want*93/100 || got > c.want*107/100 {
			t.Errorf("q%.2f = %v, want about %v", c.q, got, c.want)
		}
	}
	for i := 0; i < histBuckets; i++ {
		lo, hi := histBounds(i)
		if histIndex(lo) != i || histIndex(hi) != i {
			t.Fatalf("bucket %d bounds [%d,%d] map to %d,%d", i, lo, hi, histIndex(lo), histIndex(hi))
		}
	}
}
