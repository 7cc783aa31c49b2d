package connection_test

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/internal/testutil"
	"github.com/workerman-go/workerman/protocols"
	"github.com/workerman-go/workerman/worker"
)

// muxProtocol is a small multiplexing protocol for the tests of streams:
// on the socket, every line is "ID REST". REST is a line for stream ID
// (opened on its first line), "+N" gives stream ID N bytes of credit (the
// peer's flow control), "close" asks the server to close it. The server
// writes "ID LINE" for each line stream ID sends (as its credit allows),
// then "ID end" when the stream closed after all its bytes, or "ID reset N"
// when it closed with N bytes not sent.
//
// The same protocol runs on the streams, where it is plain lines: the
// codec of a connection that has a Parent is a stream's.
type muxProtocol struct{}

func (muxProtocol) Scheme() string { return "mux" }

func (muxProtocol) NewCodec(protocols.Limits) protocols.Codec[string] { return &muxCodec{} }

type muxCodec struct {
	c *connection.Conn
	// The carrier's state (a socket's codec).
	streams map[string]*muxStream
	ids     map[*connection.Conn]string
}

type muxStream struct {
	s      *connection.Conn
	held   []byte // carried, waiting for credit
	credit int
}

func (m *muxCodec) Opened(c *connection.Conn) {
	m.c = c
	if c.Parent() == nil {
		m.streams, m.ids = map[string]*muxStream{}, map[*connection.Conn]string{}
	}
}

// Closed: a socket that closes ends its streams.
func (m *muxCodec) Closed() {
	for _, st := range m.streams {
		st.s.Destroy()
	}
}

func (m *muxCodec) Decode(in []byte) (string, int, bool, error) {
	i := bytes.IndexByte(in, '\n')
	if i < 0 {
		return "", 0, false, nil
	}
	line := string(in[:i])
	if m.streams == nil { // a stream: plain lines
		return line, i + 1, false, nil
	}
	id, rest, ok := strings.Cut(line, " ")
	if !ok {
		return "", 0, false, fmt.Errorf("mux: no stream id in %q", line)
	}
	st := m.streams[id]
	if st == nil {
		s := m.c.OpenStream(m)
		if s == nil {
			return "", i + 1, true, nil
		}
		st = &muxStream{s: s}
		m.streams[id], m.ids[s] = st, id
	}
	switch {
	case strings.HasPrefix(rest, "+"):
		n, err := strconv.Atoi(rest[1:])
		if err != nil {
			return "", 0, false, fmt.Errorf("mux: credit %q: %w", rest, err)
		}
		st.credit += n
		m.send(id, st)
	case rest == "close":
		st.s.Close()
	default:
		st.s.Feed([]byte(rest + "\n"))
	}
	return "", i + 1, true, nil
}

// send writes what st holds, as far as its credit goes, and tells st.
func (m *muxCodec) send(id string, st *muxStream) {
	sent := false
	for len(st.held) > 0 {
		j := bytes.IndexByte(st.held, '\n')
		if j+1 > st.credit {
			break
		}
		_ = m.c.SendRaw([]byte(id + " " + string(st.held[:j+1])))
		st.held, st.credit, sent = st.held[j+1:], st.credit-(j+1), true
	}
	if sent {
		st.s.Wake()
	}
}

func (m *muxCodec) Encode(dst []byte, msg any) ([]byte, error) {
	switch v := msg.(type) {
	case string:
		return append(append(dst, v...), '\n'), nil
	case []byte:
		return append(append(dst, v...), '\n'), nil
	}
	return dst, fmt.Errorf("mux: %T: %w", msg, protocols.ErrUnsupportedMessage)
}

func (m *muxCodec) Carry(s *connection.Conn, p []byte) error {
	id := m.ids[s]
	st := m.streams[id]
	st.held = append(st.held, p...)
	m.send(id, st)
	return nil
}

func (m *muxCodec) Unsent(s *connection.Conn) int { return len(m.streams[m.ids[s]].held) }

func (m *muxCodec) StreamClosed(s *connection.Conn) {
	id := m.ids[s]
	st := m.streams[id]
	delete(m.ids, s)
	delete(m.streams, id)
	if len(st.held) > 0 {
		_ = m.c.SendRaw(fmt.Appendf(nil, "%s reset %d\n", id, len(st.held)))
		return
	}
	_ = m.c.SendRaw([]byte(id + " end\n"))
}

// Streams carried inside one socket are connections to the application:
// each has OnConnect, OnMessage and OnClose, its own Send and timers, and
// a Close that ends the stream, not the socket, once the carrier has sent
// what the stream wrote (held back by the peer's flow control meanwhile,
// and counted in the stream's send buffer).
func TestStreamsCarriedInsideAConnection(t *testing.T) {
	w := worker.New("mux://127.0.0.1:0", muxProtocol{})
	w.Count = 1
	var mu sync.Mutex
	var events []string
	record := func(format string, args ...any) {
		mu.Lock()
		events = append(events, fmt.Sprintf(format, args...))
		mu.Unlock()
	}
	streams := make(chan *connection.Conn, 10)
	w.OnConnect = func(c *connection.Conn) {
		if c.Parent() != nil {
			record("connect stream")
			streams <- c
		} else {
			record("connect socket")
		}
	}
	w.OnMessage = func(c *connection.Conn, line string) {
		switch line {
		case "timer":
			c.After(time.Hour, func() { t.Error("a stream's timer outlived it") })
		default:
			if err := c.Send("echo " + line); err != nil {
				t.Errorf("send: %v", err)
			}
		}
	}
	w.OnClose = func(c *connection.Conn) {
		if c.Parent() != nil {
			record("close stream")
		} else {
			record("close socket")
		}
	}
	addr := start(t, w)
	nc := dial(t, addr)
	_ = nc.SetDeadline(time.Now().Add(testTimeout))
	r := bufio.NewReader(nc)
	write := func(lines ...string) {
		t.Helper()
		if _, err := nc.Write([]byte(strings.Join(lines, "\n") + "\n")); err != nil {
			t.Fatal(err)
		}
	}
	expect := func(want ...string) {
		t.Helper()
		for _, w := range want {
			got, err := r.ReadString('\n')
			if err != nil || got != w+"\n" {
				t.Fatalf("read %q (%v), want %q", got, err, w)
			}
		}
	}

	// Two streams, with credit: each echoes on its own.
	write("a +1000", "b +1000", "a hello", "b world")
	expect("a echo hello", "b echo world")
	sa := testutil.Recv(t, streams, "stream a")
	sb := testutil.Recv(t, streams, "stream b")
	if sa.Parent() == nil || sa.Parent() != sb.Parent() || sa.ID() == sb.ID() {
		t.Fatalf("streams a (%d) and b (%d): parents %p, %p", sa.ID(), sb.ID(), sa.Parent(), sb.Parent())
	}

	// Stream c has no credit: its reply waits in its send buffer, and its
	// Close waits for it, while stream a goes on.
	write("c one", "c close", "a again")
	expect("a echo again")
	sc := testutil.Recv(t, streams, "stream c")
	testutil.Eventually(t, "stream c's reply held in its send buffer", func() bool {
		return sc.SendBufferSize() == len("echo one\n") && sc.Status() == connection.StatusClosing
	})
	write("c +4") // not enough for the line
	write("a more")
	expect("a echo more")
	write("c +100")
	expect("c echo one", "c end")
	testutil.Eventually(t, "stream c closed", func() bool { return sc.Status() == connection.StatusClosed })

	// A stream destroyed with a timer and unsent bytes: the timer dies,
	// the carrier resets the stream. The socket stays open.
	write("d timer", "d unsent")
	sd := testutil.Recv(t, streams, "stream d")
	testutil.Eventually(t, "stream d's reply held", func() bool { return sd.SendBufferSize() > 0 })
	timers := func() (n int) {
		onLoop(t, sd.Loop(), func() { n = sd.TimerCount() })
		return n
	}
	if n := timers(); n != 1 {
		t.Fatalf("stream d has %d timers, want 1", n)
	}
	sd.Destroy()
	expect(fmt.Sprintf("d reset %d", len("echo unsent\n")))
	testutil.Eventually(t, "stream d closed", func() bool { return sd.Status() == connection.StatusClosed })
	if n := timers(); n != 0 {
		t.Fatalf("stream d has %d timers after it closed, want 0", n)
	}
	if sa.Status() != connection.StatusEstablished {
		t.Fatalf("stream a is %v after d was destroyed", sa.Status())
	}

	// The socket closes: its streams close with it.
	nc.Close()
	testutil.Eventually(t, "every stream closed", func() bool {
		return sa.Status() == connection.StatusClosed && sb.Status() == connection.StatusClosed
	})
	testutil.Eventually(t, "no connection left", func() bool { return w.Stats().Connections == 0 })
	mu.Lock()
	defer mu.Unlock()
	count := func(ev string) (n int) {
		for _, e := range events {
			if e == ev {
				n++
			}
		}
		return n
	}
	if count("connect socket") != 1 || count("close socket") != 1 || count("connect stream") != 4 || count("close stream") != 4 {
		t.Fatalf("events: %q", events)
	}
}

// The streams of one carrier whose timers run in the same pass of the loop
// share the carrier's writes: what their timers send is carried at once,
// and the carrier is written when the pass ends, or once the hold has
// passed (one write per stream when the hold is 0).
func TestStreamTimersShareTheirCarriersWrites(t *testing.T) {
	const n = 20
	for _, tc := range []struct {
		hold                 time.Duration
		minWrites, maxWrites uint64
	}{
		// Twenty timers due together run in one pass, or two if they
		// straddle a tick of the wheel.
		{time.Hour, 1, 2},
		{0, n, n},
	} {
		t.Run(fmt.Sprintf("hold %v", tc.hold), func(t *testing.T) {
			t.Cleanup(connection.SetCarrierHold(tc.hold))
			w := worker.New("mux://127.0.0.1:0", muxProtocol{})
			w.Count = 1
			streams := make(chan *connection.Conn, n)
			w.OnConnect = func(c *connection.Conn) {
				if c.Parent() != nil {
					streams <- c
				}
			}
			w.OnMessage = func(c *connection.Conn, line string) {
				c.After(50*time.Millisecond, func() {
					if err := c.Send("tick " + line); err != nil {
						t.Errorf("send: %v", err)
					}
				})
			}
			addr := start(t, w)
			nc := dial(t, addr)
			_ = nc.SetDeadline(time.Now().Add(testTimeout))
			var req strings.Builder
			for i := range n {
				fmt.Fprintf(&req, "%d +1000\n", i)
			}
			if _, err := nc.Write([]byte(req.String())); err != nil {
				t.Fatal(err)
			}
			var loop *connection.Loop
			for range n {
				loop = testutil.Recv(t, streams, "a stream").Loop()
			}
			before := connection.SocketWrites(loop)
			req.Reset()
			for i := range n {
				fmt.Fprintf(&req, "%d go\n", i) // one read: the timers are set in one pass
			}
			if _, err := nc.Write([]byte(req.String())); err != nil {
				t.Fatal(err)
			}
			r := bufio.NewReader(nc)
			got := map[string]bool{}
			for range n {
				line, err := r.ReadString('\n')
				if err != nil {
					t.Fatalf("after %d ticks: %v", len(got), err)
				}
				got[line] = true
			}
			for i := range n {
				if want := fmt.Sprintf("%d tick go\n", i); !got[want] {
					t.Fatalf("no %q in %v", want, got)
				}
			}
			// The loop counts a write once it returned: the peer may read it
			// before.
			testutil.Eventually(t, "the writes counted", func() bool {
				return connection.SocketWrites(loop)-before >= tc.minWrites
			})
			writes := connection.SocketWrites(loop) - before
			if writes < tc.minWrites || writes > tc.maxWrites {
				t.Fatalf("%d ticks of %d streams took %d writes of their carrier, want %d to %d", n, n, writes, tc.minWrites, tc.maxWrites)
			}
			t.Logf("%d ticks, %d writes", n, writes)
		})
	}
}
