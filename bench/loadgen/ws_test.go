package loadgen

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	gorilla "github.com/gorilla/websocket"

	"github.com/workerman-go/workerman/protocols/websocket/wsframe"
)

// The first tests need no network: the handshake check, the data of a
// broadcast message, the text messages of ws-echo and the frame reader fed
// in pieces split everywhere. The last ones run the modes against an
// in-process gorilla/websocket server on loopback.

func TestCheckWebSocket(t *testing.T) {
	const key = "dGhlIHNhbXBsZSBub25jZQ==" // RFC 6455 section 1.3
	const ok = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"
	h, _ := feedSplit(t, ok, 5)
	if err := h.checkWebSocket(key); err != nil {
		t.Fatal(err)
	}
	// Repeated Connection fields are joined; names and values in any case.
	h, _ = feedSplit(t, "HTTP/1.1 101 x\r\nupgrade: WebSocket\r\nconnection: keep-alive\r\nConnection: upgrade\r\nsec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n", 3)
	if err := h.checkWebSocket(key); err != nil || h.Connection != "keep-alive, upgrade" {
		t.Fatalf("%v %q", err, h.Connection)
	}
	for name, c := range map[string]struct{ head, want string }{
		"status":     {strings.Replace(ok, "101 Switching Protocols", "400 Bad Request", 1), "status 400"},
		"upgrade":    {strings.Replace(ok, "Upgrade: websocket", "Upgrade: h2c", 1), "Upgrade"},
		"connection": {strings.Replace(ok, "Connection: Upgrade", "Connection: close", 1), "Connection"},
		"accept":     {strings.Replace(ok, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", "AAAAAAAAAAAAAAAAAAAAAAAAAAA=", 1), "does not match"},
	} {
		h, _ := feedSplit(t, c.head, 7)
		if err := h.checkWebSocket(key); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// A fresh key is valid and the request carries it.
	k := newWSKey()
	if !wsframe.ValidKey(k) || k == newWSKey() {
		t.Fatalf("key %q", k)
	}
	if req := string(wsRequest("/x", k)); !strings.HasPrefix(req, "GET /x HTTP/1.1\r\n") || !strings.Contains(req, "\r\nSec-WebSocket-Key: "+k+"\r\n") ||
		!strings.Contains(req, "\r\nSec-WebSocket-Version: 13\r\n") || !strings.HasSuffix(req, "\r\n\r\n") {
		t.Fatalf("request %q", req)
	}
}

func TestParseStamped(t *testing.T) {
	n, ns, ok := parseStamped([]byte("12 1733040000123456789"))
	if !ok || n != 12 || ns != 1733040000123456789 {
		t.Fatalf("%d %d %v", n, ns, ok)
	}
	for _, bad := range []string{"", "12", "12 ", " 5", "x 5", "1 y", "1  5", "-1 5", "1 5 6"} {
		if _, _, ok := parseStamped([]byte(bad)); ok {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestTextMessages(t *testing.T) {
	tmpl := textTemplate(64, 3)
	for _, b := range tmpl {
		if b < 'a' || b > 'z' {
			t.Fatalf("template %q is not lowercase ASCII", tmpl)
		}
	}
	msg := append([]byte(nil), tmpl...)
	stampText(msg, 0x1f)
	if string(msg[:16]) != "000000000000001f" || !bytes.Equal(msg[16:], tmpl[16:]) {
		t.Fatalf("stamped %q", msg)
	}
	short := []byte("abcd")
	stampText(short, 0x12345)
	if string(short) != "2345" {
		t.Fatalf("short %q", short)
	}
	// A queued message is a masked text frame of the stamped payload.
	l := &loop{cfg: &Config{Mode: ModeWSEcho, Size: 64}, msg: make([]byte, 64), wire: wsFrameOverhead(64) + 64}
	c := &conn{tmpl: tmpl}
	l.appendWSMessage(c, 7)
	l.appendWSMessage(c, 8)
	if len(c.wbuf) != 2*l.wire || l.wire != 6+64 {
		t.Fatalf("%d bytes, wire %d", len(c.wbuf), l.wire)
	}
	var asm wsframe.Assembler // a server's
	in := c.wbuf
	for _, seq := range []uint64{7, 8} {
		m, n, ok, err := asm.Next(in)
		if err != nil || !ok || m.Opcode != wsframe.OpText {
			t.Fatalf("%v %v %v", m, ok, err)
		}
		want := append([]byte(nil), tmpl...)
		stampText(want, seq)
		if !bytes.Equal(m.Payload, want) {
			t.Fatalf("payload %q, want %q", m.Payload, want)
		}
		in = in[n:]
	}
}

// serverFrames are the frames of a server: text messages, unmasked.
func serverFrames(payloads ...string) []byte {
	var b []byte
	for _, p := range payloads {
		b = wsframe.AppendFrame(b, wsframe.FrameHeader{Fin: true, Opcode: wsframe.OpText}, p)
	}
	return b
}

// wsTestLoop is a loop and one open connection in mode, with no socket.
func wsTestLoop(mode string) (*loop, *conn) {
	l := &loop{cfg: &Config{Mode: mode, Size: 64, Publishes: 2}, errs: map[string]int{}, end: time.Hour, open: 1}
	l.conns = []conn{{fd: -1, state: stOpen}}
	c := &l.conns[0]
	c.ws = &wsState{key: "dGhlIHNhbXBsZSBub25jZQ=="}
	c.ws.asm.Reset(wsframe.Config{Role: wsframe.RoleClient})
	return l, c
}

func TestWSFeedSplitAnywhere(t *testing.T) {
	head := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"
	long := strings.Repeat("x", 300) // a 16-bit length
	// Three broadcast messages, a long one and a ping in between.
	stream := append([]byte(head), serverFrames("1 100", "2 200")...)
	stream = wsframe.AppendFrame(stream, wsframe.FrameHeader{Fin: true, Opcode: wsframe.OpPing}, "p")
	stream = append(stream, serverFrames(long, "3 300")...)
	for k := 1; k <= len(stream); k++ {
		l, c := wsTestLoop(ModeWSBroadcast)
		l.nowNs = 1000
		for i := 0; i < len(stream) && c.state == stOpen; i += k {
			l.wsFeed(c, append([]byte(nil), stream[i:min(len(stream), i+k)]...))
		}
		if c.state != stOpen || l.heads != 1 || l.nEvents != 4 || l.badData != 1 || c.ws.lastID != 3 || l.outOfOrder != 0 || len(c.ws.pending) != 0 {
			t.Fatalf("piece size %d: state %d heads %d events %d bad %d last %d out of order %d pending %d, errors %v",
				k, c.state, l.heads, l.nEvents, l.badData, c.ws.lastID, l.outOfOrder, len(c.ws.pending), l.errs)
		}
		// Publishes 1 and 2 are the spaced ones, 3 is in the burst.
		if l.hist.Count() != 2 || l.burstHist.Count() != 1 || l.hist.Max() != 900*time.Nanosecond {
			t.Fatalf("piece size %d: %d spaced, %d burst, max %v", k, l.hist.Count(), l.burstHist.Count(), l.hist.Max())
		}
		if l.errs["websocket:ping from the server (not answered)"] != 1 {
			t.Fatalf("piece size %d: %v", k, l.errs)
		}
	}
}

func TestWSFeedFailures(t *testing.T) {
	// A gap in the numbers is out of order.
	l, c := wsTestLoop(ModeWSBroadcast)
	c.ws.headDone = true
	l.wsFeed(c, serverFrames("1 5", "3 5"))
	if l.outOfOrder != 1 || c.ws.lastID != 3 {
		t.Fatalf("out of order %d, last %d", l.outOfOrder, c.ws.lastID)
	}
	// A masked frame from a server breaks the protocol.
	l, c = wsTestLoop(ModeWSBroadcast)
	c.ws.headDone = true
	l.wsFeed(c, wsframe.AppendFrame(nil, wsframe.FrameHeader{Fin: true, Opcode: wsframe.OpText, Masked: true}, "1 5"))
	if c.state != stDone || l.streamErrors != 1 || l.headFails != 0 {
		t.Fatalf("state %d, stream errors %d, head failures %d", c.state, l.streamErrors, l.headFails)
	}
	// A refused handshake is a head failure.
	l, c = wsTestLoop(ModeWSIdle)
	l.wsFeed(c, []byte("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"))
	if c.state != stDone || l.headFails != 1 || l.heads != 0 {
		t.Fatalf("state %d, head failures %d, heads %d", c.state, l.headFails, l.heads)
	}
	// A close frame ends the connection; data on an idle one is unexpected.
	l, c = wsTestLoop(ModeWSIdle)
	c.ws.headDone = true
	l.wsFeed(c, append(serverFrames("hello"), wsframe.CloseFrame(wsframe.CloseGoingAway, "bye")...))
	if c.state != stDone || l.peerClosed != 1 || l.unexpected != 5 || l.errs["websocket:close frame 1001 bye"] != 1 {
		t.Fatalf("state %d, closed %d, unexpected %d, %v", c.state, l.peerClosed, l.unexpected, l.errs)
	}
}

func TestWSEchoed(t *testing.T) {
	l, c := wsTestLoop(ModeWSEcho)
	c.ws.headDone = true
	c.tmpl = textTemplate(64, 0)
	c.exp = make([]byte, 64)
	c.sentAt = make([]time.Duration, 2)
	c.n = 2
	echo := func(seq uint64) string {
		p := append([]byte(nil), c.tmpl...)
		stampText(p, seq)
		return string(p)
	}
	l.nowRel = time.Millisecond
	l.wsFeed(c, serverFrames(echo(1), echo(2)))
	if l.completed != 2 || l.messages != 2 || c.n != 0 || c.rseq != 2 || l.mismatches != 0 {
		t.Fatalf("completed %d, counted %d, in flight %d, rseq %d, mismatches %d", l.completed, l.messages, c.n, c.rseq, l.mismatches)
	}
	// Nothing is in flight: one more message is a mismatch.
	l.wsFeed(c, serverFrames(echo(3)))
	if l.mismatches != 1 || c.state != stDone {
		t.Fatalf("mismatches %d, state %d", l.mismatches, c.state)
	}
	// A reordered echo is a mismatch.
	l, c = wsTestLoop(ModeWSEcho)
	c.ws.headDone = true
	c.tmpl, c.exp, c.sentAt, c.n = textTemplate(64, 0), make([]byte, 64), make([]time.Duration, 2), 2
	l.wsFeed(c, serverFrames(echo(2)))
	if l.mismatches != 1 {
		t.Fatalf("reorder: mismatches %d", l.mismatches)
	}
}

// gorillaServer is a gorilla/websocket server on loopback: GET / upgrades
// and echoes (or holds) every connection; POST /publish on the same server
// sends "<n> <unix ns>" to every connection.
type gorillaServer struct {
	addr string
	mu   sync.Mutex
	seq  uint64
	subs map[*gorilla.Conn]*sync.Mutex
	// registered counts the subscribers ever recorded; a publish waits
	// until want of them have been recorded since base (gorilla sends the
	// 101 before the handler can record the connection, so a client may
	// publish before its own subscription is in place).
	registered, base, want int
}

// expect makes the next publishes wait for n new subscribers.
func (s *gorillaServer) expect(n int) {
	s.mu.Lock()
	s.base, s.want = s.registered, n
	s.mu.Unlock()
}

func startGorilla(t *testing.T, echo bool) *gorillaServer {
	t.Helper()
	s := &gorillaServer{subs: map[*gorilla.Conn]*sync.Mutex{}}
	var up gorilla.Upgrader
	mux := http.NewServeMux()
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		wmu := new(sync.Mutex)
		s.mu.Lock()
		s.subs[c] = wmu
		s.registered++
		s.mu.Unlock()
		defer func() {
			s.mu.Lock()
			delete(s.subs, c)
			s.mu.Unlock()
			c.Close()
		}()
		for {
			mt, p, err := c.ReadMessage()
			if err != nil {
				return
			}
			if echo {
				wmu.Lock()
				err = c.WriteMessage(mt, p)
				wmu.Unlock()
				if err != nil {
					return
				}
			}
		}
	})
	mux.HandleFunc("POST /publish", func(w http.ResponseWriter, r *http.Request) {
		deadline := time.Now().Add(10 * time.Second)
		s.mu.Lock()
		for s.registered-s.base < s.want && time.Now().Before(deadline) {
			s.mu.Unlock()
			time.Sleep(time.Millisecond)
			s.mu.Lock()
		}
		s.seq++
		msg := fmt.Sprintf("%d %d", s.seq, time.Now().UnixNano())
		for c, wmu := range s.subs {
			wmu.Lock()
			c.WriteMessage(gorilla.TextMessage, []byte(msg))
			wmu.Unlock()
		}
		s.mu.Unlock()
		w.Write([]byte("ok\n"))
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

func runWS(t *testing.T, cfg Config) *Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestWSEchoGorilla(t *testing.T) {
	s := startGorilla(t, true)
	for _, depth := range []int{1, 3} {
		res := runWS(t, Config{Mode: ModeWSEcho, Target: s.addr, Conns: 10, Size: 200, Depth: depth,
			Warmup: 50 * time.Millisecond, Duration: 300 * time.Millisecond})
		if !res.OK || res.Streams != 10 || res.Messages == 0 || res.Mismatches != 0 || res.P50us <= 0 {
			t.Fatalf("depth %d: %s", depth, res.Summary())
		}
	}
}

func TestWSIdleAndBroadcastGorilla(t *testing.T) {
	s := startGorilla(t, false)
	ready := 0
	res := runWS(t, Config{Mode: ModeWSIdle, Target: s.addr, Conns: 20, Duration: 200 * time.Millisecond, OnReady: func(n int) { ready = n }})
	if !res.OK || ready != 20 || res.Streams != 20 || res.HeldAtEnd != 20 {
		t.Fatalf("idle: %s (ready %d)", res.Summary(), ready)
	}
	s.expect(30)
	res = runWS(t, Config{Mode: ModeWSBroadcast, Target: s.addr, PublishTarget: s.addr, Conns: 30,
		Publishes: 4, PublishBurst: 3, PublishGap: time.Millisecond, Duration: 20 * time.Second})
	if !res.OK {
		t.Fatal(res.Summary())
	}
	f := res.Fanout
	if f == nil || f.Completed != 4 || f.BurstEvents != 90 || res.Events != 210 || res.Short != 0 || res.Latency.Count() != 120 || res.BurstLatency.Count() != 90 {
		t.Fatalf("%s\n%+v", res.Summary(), f)
	}
	// ws-broadcast without publishes has nothing to measure.
	if _, err := Run(context.Background(), Config{Mode: ModeWSBroadcast, Target: s.addr, Conns: 1, Duration: time.Second}); err == nil {
		t.Fatal("ws-broadcast without publishes accepted")
	}
}
