package loadgen

import (
	"context"
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
