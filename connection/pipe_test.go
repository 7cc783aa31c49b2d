package connection_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/internal/testutil"
	"github.com/workerman-go/workerman/protocols/tcp"
	"github.com/workerman-go/workerman/worker"
)

// startBackpressuredEcho starts a raw TCP echo server that never drops a
// byte: while its send buffer to a client is full it stops reading that
// client (PauseRecv) until the buffer drains. closed counts OnClose.
func startBackpressuredEcho(t *testing.T, closed *atomic.Int32) (*worker.Worker[[]byte], string) {
	t.Helper()
	var sendErrs atomic.Int32
	w := worker.New("tcp://127.0.0.1:0", tcp.Protocol())
	w.Name = "backend"
	w.Count = 1
	w.MaxSendBufferSize = 256 << 10
	w.OnMessage = func(c *connection.Conn, data []byte) {
		if err := c.Send(data); err != nil {
			sendErrs.Add(1)
		}
	}
	w.OnBufferFull = func(c *connection.Conn) { c.PauseRecv() }
	w.OnBufferDrain = func(c *connection.Conn) { c.ResumeRecv() }
	w.OnClose = func(*connection.Conn) { closed.Add(1) }
	addr := start(t, w)
	t.Cleanup(func() {
		if n := sendErrs.Load(); n > 0 {
			t.Errorf("the backend echo failed %d sends", n)
		}
	})
	return w, addr
}

// proxy is a TCP proxy made of a Worker and, per client, an AsyncConn to the
// backend, joined with Pipe both ways.
type proxy struct {
	w       *worker.Worker[[]byte]
	addr    string
	client  atomic.Pointer[connection.Conn] // the proxy's end of the client's connection
	backend atomic.Pointer[connection.Conn] // the proxy's connection to the backend
	fulls   atomic.Int32                    // OnBufferFull on the client connection
	drains  atomic.Int32                    // OnBufferDrain on the client connection
	acClose atomic.Int32                    // OnClose on the backend connection
	errs    chan error                      // OnError of the backend connection, and setup errors
}

func startProxy(t *testing.T, backendAddr string, maxSend int) *proxy {
	t.Helper()
	p := &proxy{errs: make(chan error, 16)}
	p.w = worker.New("tcp://127.0.0.1:0", tcp.Protocol())
	p.w.Name = "proxy"
	p.w.Count = 1
	p.w.MaxSendBufferSize = maxSend
	p.w.OnConnect = func(c *connection.Conn) {
		ac, err := connection.NewAsync("tcp://"+backendAddr, tcp.Protocol())
		if err != nil {
			p.errs <- err
			c.Close()
			return
		}
		ac.SetMaxSendBufferSize(maxSend)
		ac.OnConnect = func(b *connection.Conn) {
			b.Pipe(c) // backend → client, from the backend connection's own callback
			p.backend.Store(b)
		}
		ac.OnClose = func(*connection.Conn) { p.acClose.Add(1) }
		ac.OnError = func(_ *connection.Conn, err error) {
			select {
			case p.errs <- err:
			default:
			}
		}
		// client → backend. ac.Conn exists before it connects: what the
		// client sends meanwhile is queued on it.
		c.Pipe(ac.Conn)
		p.client.Store(c)
		ac.Connect()
	}
	p.w.OnBufferFull = func(*connection.Conn) { p.fulls.Add(1) }
	p.w.OnBufferDrain = func(*connection.Conn) { p.drains.Add(1) }
	p.addr = start(t, p.w)
	return p
}

// counting is the test stream: the big-endian offset of every 8-byte word,
// so that a lost, repeated or reordered byte shows where it happened.
func counting(size int) []byte {
	b := make([]byte, size)
	for i := 0; i+8 <= size; i += 8 {
		binary.BigEndian.PutUint64(b[i:], uint64(i))
	}
	return b
}

func firstDifference(got, want []byte) string {
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			w := i &^ 7
			return fmt.Sprintf("byte %d differs; the word there says offset %d",
				i, binary.BigEndian.Uint64(got[w:min(w+8, len(got))]))
		}
	}
	return fmt.Sprintf("got %d bytes, want %d", len(got), len(want))
}

// transferStats are what a transfer through the proxy measured.
type transferStats struct {
	maxQueued int64 // largest SendBufferSize of either proxy connection
	maxHeld   int64 // most bytes inside the proxy at once, both directions
}

// transfer sends size bytes through the proxy to the echo backend and reads
// them back. The client reads nothing until the proxy's buffer to it is full
// (OnBufferFull), then everything. It checks that the echo is exactly the
// stream sent, and closes the client.
func transfer(t *testing.T, p *proxy, size int) transferStats {
	t.Helper()
	c := dial(t, p.addr)
	// Small socket buffers on the client, so that the kernel does not absorb
	// much of the stream and the proxy's own buffers fill.
	_ = c.(*net.TCPConn).SetReadBuffer(16 << 10)
	_ = c.(*net.TCPConn).SetWriteBuffer(16 << 10)

	want := counting(size)
	writeErr := make(chan error, 1)
	go func() {
		const chunk = 32 << 10
		for off := 0; off < size; off += chunk {
			if _, err := c.Write(want[off:min(off+chunk, size)]); err != nil {
				writeErr <- err
				return
			}
		}
		writeErr <- nil
	}()

	var (
		mu      sync.Mutex
		st      transferStats
		stop    = make(chan struct{})
		sampled = make(chan struct{})
	)
	go func() {
		defer close(sampled)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			if cc, bc := p.client.Load(), p.backend.Load(); cc != nil && bc != nil {
				queued := int64(max(cc.SendBufferSize(), bc.SendBufferSize()))
				// Read from one side and not yet handed to the other side's
				// socket: BytesWritten counts what went to gnet, whose
				// outbound buffer SendBufferSize includes.
				held := int64(bc.BytesRead()) - int64(cc.BytesWritten()) + int64(cc.SendBufferSize()) +
					int64(cc.BytesRead()) - int64(bc.BytesWritten()) + int64(bc.SendBufferSize())
				mu.Lock()
				st.maxQueued = max(st.maxQueued, queued)
				st.maxHeld = max(st.maxHeld, held)
				mu.Unlock()
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()

	testutil.Eventually(t, "OnBufferFull on the proxy's client connection", func() bool { return p.fulls.Load() > 0 })
	got := make([]byte, 0, size)
	buf := make([]byte, 64<<10)
	for len(got) < size {
		n, err := c.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			t.Fatalf("read after %d of %d bytes: %v", len(got), size, err)
		}
	}
	close(stop)
	<-sampled
	if err := <-writeErr; err != nil {
		t.Fatalf("write: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("the stream through the proxy differs: %s", firstDifference(got, want))
	}
	testutil.Eventually(t, "OnBufferDrain after each OnBufferFull", func() bool { return p.drains.Load() == p.fulls.Load() })
	select {
	case err := <-p.errs:
		t.Fatalf("proxy: %v", err)
	default:
	}
	c.Close()

	mu.Lock()
	defer mu.Unlock()
	t.Logf("%d bytes: at most %d queued on a proxy connection and %d held in the proxy; %d full/drain cycles",
		size, st.maxQueued, st.maxHeld, p.fulls.Load())
	return st
}

func TestPipeProxy(t *testing.T) {
	var backendClosed atomic.Int32
	backend, backendAddr := startBackpressuredEcho(t, &backendClosed)
	p := startProxy(t, backendAddr, 64<<10)

	transfer(t, p, 8<<20)

	// The client has closed: the proxy closes the backend connection.
	testutil.Eventually(t, "the backend's connection closed", func() bool {
		return backendClosed.Load() == 1 && backend.Stats().Connections == 0
	})
	testutil.Eventually(t, "the proxy's connections closed", func() bool {
		return p.w.Stats().Connections == 0 && p.acClose.Load() == 1
	})
}

// Pipe promises backpressure: while the destination's send buffer is full,
// the source is not read. gnet keeps reading the source's socket regardless
// (the bytes wait in gnet's input buffer, up to MaxPackageSize), but what
// Pipe queues on the destination must stay within the destination's
// MaxSendBufferSize, give or take one 64 KiB read.
func TestPipeQueueStaysWithinMaxSendBufferSize(t *testing.T) {
	const maxSend = 64 << 10
	var backendClosed atomic.Int32
	_, backendAddr := startBackpressuredEcho(t, &backendClosed)
	p := startProxy(t, backendAddr, maxSend)
	st := transfer(t, p, 8<<20)
	if st.maxQueued > maxSend+64<<10 {
		t.Fatalf("a proxy connection queued %d bytes; MaxSendBufferSize is %d", st.maxQueued, maxSend)
	}
}

// "When either side closes, the other is closed": that must hold when the
// destination is an AsyncConn that fails to connect. The client sends nothing
// (it waits for the server to speak first, as with SSH or SMTP), so nothing
// but the failed connect can close it.
func TestPipeToFailedConnectClosesSource(t *testing.T) {
	p := startProxy(t, testutil.RefusingAddr(t), 64<<10)
	c := dial(t, p.addr)
	_ = c.SetDeadline(time.Now().Add(5 * time.Second)) // a refused connect is immediate
	if _, err := c.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("client read: %v, want EOF: the backend connect failed", err)
	}
	select {
	case err := <-p.errs:
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("proxy: %v", err)
		}
	default:
		t.Fatal("no OnError for the failed connect")
	}
}
