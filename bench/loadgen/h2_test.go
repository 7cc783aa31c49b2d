package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/http2/hpack"

	"github.com/workerman-go/workerman/bench/internal/testcert"
)

// startH2Server starts an in-process net/http server speaking HTTP/2 over
// TLS (a test certificate; the CA file is returned) or h2c, on a loopback
// port of its choice.
func startH2Server(t *testing.T, overTLS bool, h http.Handler) (addr, ca string) {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	if overTLS {
		files, err := testcert.Make(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		cert, err := tls.LoadX509KeyPair(files.Cert, files.Key)
		if err != nil {
			t.Fatal(err)
		}
		srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
		srv.EnableHTTP2 = true
		srv.StartTLS()
		ca = files.CA
	} else {
		srv.Config.Protocols = new(http.Protocols)
		srv.Config.Protocols.SetHTTP1(true)
		srv.Config.Protocols.SetUnencryptedHTTP2(true)
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String(), ca
}

// sseHandler answers event-stream requests with a head, then, once start
// is closed, a comment and events events whose data is the time of
// sending, and holds the stream until the client goes away.
func sseHandler(start <-chan struct{}, events int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("Accept"), "text/event-stream") {
			http.Error(w, "want an event stream", http.StatusNotAcceptable)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		f := w.(http.Flusher)
		f.Flush()
		select {
		case <-start:
		case <-r.Context().Done():
			return
		}
		io.WriteString(w, ": hello\n\n")
		for range events {
			fmt.Fprintf(w, "data: %d\n\n", time.Now().UnixNano())
			f.Flush()
		}
		<-r.Context().Done()
	}
}

func TestRunH2(t *testing.T) {
	for _, overTLS := range []bool{true, false} {
		t.Run(fmt.Sprintf("tls=%t", overTLS), func(t *testing.T) {
			const conns, streams, events = 2, 5, 3
			start := make(chan struct{})
			addr, ca := startH2Server(t, overTLS, sseHandler(start, events))
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			var got atomic.Int64
			var readyConns, readyStreams int
			res, err := RunH2(ctx, H2Config{
				Target: addr, TLS: overTLS, CAFile: ca, Conns: conns, Streams: streams, Duration: time.Minute,
				ServerPID: os.Getpid(), // the server runs in this process
				OnReady: func(c, s int) {
					readyConns, readyStreams = c, s
					close(start)
				},
				onEvent: func() {
					if got.Add(1) == streams*events {
						cancel()
					}
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			if !res.OK {
				t.Fatalf("run failed: %s (errors %v)", res.Error, res.Errors)
			}
			if readyConns != conns || readyStreams != streams {
				t.Errorf("OnReady(%d, %d), want (%d, %d)", readyConns, readyStreams, conns, streams)
			}
			if res.Mode != ModeH2SSE || res.Established != conns || res.Streams != streams || res.HeldAtEnd != streams {
				t.Errorf("mode %q, established %d, streams %d, held at end %d; want %q, %d, %d, %d",
					res.Mode, res.Established, res.Streams, res.HeldAtEnd, ModeH2SSE, conns, streams, streams)
			}
			if res.Events != streams*events || res.WindowEvents != streams*events || res.Latency.Count() != streams*events {
				t.Errorf("events %d, in the window %d, latencies %d; want %d each", res.Events, res.WindowEvents, res.Latency.Count(), streams*events)
			}
			if res.Comments != streams {
				t.Errorf("comments %d, want %d", res.Comments, streams)
			}
			if res.P50us <= 0 || res.MaxUs < res.P50us {
				t.Errorf("latency p50 %.1f µs, max %.1f µs", res.P50us, res.MaxUs)
			}
			if res.ServerWrites == 0 || res.ServerCPU < 0 {
				t.Errorf("server writes %d, server CPU %v s", res.ServerWrites, res.ServerCPU)
			}
			if res.PeerClosed != 0 || res.StreamErrors != 0 || res.BadData != 0 {
				t.Errorf("peer closed %d, stream errors %d, bad data %d", res.PeerClosed, res.StreamErrors, res.BadData)
			}
			switch {
			case overTLS && (res.TLS == nil || res.TLS.ALPN != "h2" || res.TLS.Proto != "HTTP/2.0"):
				t.Errorf("TLS info %+v, want ALPN h2", res.TLS)
			case !overTLS && res.TLS != nil:
				t.Errorf("TLS info %+v over h2c", res.TLS)
			}
		})
	}
}

// TestRunH2BadHead: streams answered with something else than an event
// stream fail, and the run says so.
func TestRunH2BadHead(t *testing.T) {
	addr, _ := startH2Server(t, false, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no streams here", http.StatusNotFound)
	}))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := RunH2(ctx, H2Config{Target: addr, Conns: 1, Streams: 3, Duration: time.Minute, OnReady: func(int, int) { cancel() }})
	if err != nil {
		t.Fatal(err)
	}
	if res.OK || res.HeadFailures != 3 || res.Streams != 0 || !strings.Contains(res.Error, "3 of 3 streams got no valid response head") {
		t.Fatalf("OK %v, head failures %d, streams %d, error %q", res.OK, res.HeadFailures, res.Streams, res.Error)
	}
	if res.Errors[`head: :status "404", want 200`] != 3 {
		t.Errorf("errors %v", res.Errors)
	}
}

// TestRunH2Refused: a connection that cannot be made is counted.
func TestRunH2Refused(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	res, err := RunH2(context.Background(), H2Config{Target: addr, Conns: 2, Streams: 2, Duration: time.Minute,
		ConnectTimeout: 5 * time.Second, OnReady: func(int, int) {}, SetupTimeout: 10 * time.Second, Warmup: 0})
	if err != nil {
		t.Fatal(err)
	}
	if res.OK || res.Established != 0 || res.Failed != 2 || !strings.Contains(res.Error, "2 of 2 connections failed") {
		t.Fatalf("OK %v, established %d, failed %d, error %q", res.OK, res.Established, res.Failed, res.Error)
	}
}

func TestH2ConfigCheck(t *testing.T) {
	ok := H2Config{Target: "127.0.0.1:9", Conns: 2, Streams: 4, Duration: time.Second}
	for _, tc := range []struct {
		name string
		edit func(*H2Config)
		want string
	}{
		{"no conns", func(c *H2Config) { c.Conns = 0 }, "Conns must be between"},
		{"too few streams", func(c *H2Config) { c.Streams = 1 }, "must be at least Conns"},
		{"too many streams", func(c *H2Config) { c.Streams = H2MaxStreams + 1 }, "exceeds"},
		{"no duration", func(c *H2Config) { c.Duration = 0 }, "Duration must be positive"},
		{"negative warmup", func(c *H2Config) { c.Warmup = -time.Second }, "Warmup"},
		{"tls without ca", func(c *H2Config) { c.TLS = true }, "needs CAFile"},
		{"bad path", func(c *H2Config) { c.Path = "x y" }, "bad path"},
		{"not loopback", func(c *H2Config) { c.Target = "192.0.2.1:80" }, "not an IPv4 loopback"},
		{"port 0", func(c *H2Config) { c.Target = "127.0.0.1:0" }, "port is 0"},
		{"no target", func(c *H2Config) { c.Target = "" }, "target"},
	} {
		c := ok
		tc.edit(&c)
		c.setDefaults()
		err := c.check()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one with %q", tc.name, err, tc.want)
		}
	}
	c := ok
	c.setDefaults()
	if err := c.check(); err != nil {
		t.Errorf("valid configuration: %v", err)
	}
	if _, err := RunH2(context.Background(), H2Config{Target: "127.0.0.1:9", Conns: 1, Streams: 1, Duration: time.Second, TLS: true, CAFile: t.TempDir() + "/none.pem"}); err == nil {
		t.Error("RunH2 with a missing CA file: no error")
	}
}

func TestH2Shares(t *testing.T) {
	got := h2Shares(10, 3)
	if fmt.Sprint(got) != "[4 3 3]" {
		t.Errorf("h2Shares(10, 3) = %v", got)
	}
	if fmt.Sprint(h2Shares(10000, 100)[99]) != "100" {
		t.Error("h2Shares(10000, 100): not 100 each")
	}
}

func TestH2Unpad(t *testing.T) {
	for _, tc := range []struct {
		f    h2Frame
		want string
		err  bool
	}{
		{h2Frame{typ: h2Data, payload: []byte("abc")}, "abc", false},
		{h2Frame{typ: h2Data, flags: h2FlagPadded, payload: []byte("\x02abc00")}, "abc", false},
		{h2Frame{typ: h2Data, flags: h2FlagPadded, payload: []byte("\x05abc")}, "", true},
		{h2Frame{typ: h2Data, flags: h2FlagPadded}, "", true},
		{h2Frame{typ: h2Headers, flags: h2FlagPriority, payload: []byte("12345hd")}, "hd", false},
		{h2Frame{typ: h2Headers, flags: h2FlagPriority | h2FlagPadded, payload: []byte("\x0112345hdP")}, "hd", false},
		{h2Frame{typ: h2Headers, flags: h2FlagPriority, payload: []byte("1234")}, "", true},
	} {
		got, err := h2Unpad(&tc.f)
		if (err != nil) != tc.err || string(got) != tc.want {
			t.Errorf("h2Unpad(type %d, flags %#x, %q) = %q, %v", tc.f.typ, tc.f.flags, tc.f.payload, got, err)
		}
	}
}

// script builds what a server sends, frame by frame.
type script struct {
	buf bytes.Buffer
	w   *bufio.Writer
	enc *hpack.Encoder
	blk bytes.Buffer
}

func newScript() *script {
	s := &script{}
	s.w = bufio.NewWriter(&s.buf)
	s.enc = hpack.NewEncoder(&s.blk)
	return s
}

func (s *script) frame(typ, flags uint8, stream uint32, payload []byte) *script {
	h2WriteFrame(s.w, typ, flags, stream, payload)
	return s
}

// block encodes a header block of name, value pairs.
func (s *script) block(fields ...string) []byte {
	s.blk.Reset()
	for i := 0; i+1 < len(fields); i += 2 {
		s.enc.WriteField(hpack.HeaderField{Name: fields[i], Value: fields[i+1]})
	}
	return append([]byte(nil), s.blk.Bytes()...)
}

// head sends an event stream's response head on stream.
func (s *script) head(stream uint32) *script {
	return s.frame(h2Headers, h2FlagEndHeaders, stream, s.block(":status", "200", "content-type", "text/event-stream"))
}

func (s *script) bytes() []byte {
	s.w.Flush()
	return s.buf.Bytes()
}

// runScript reads what a server sent (in) on a connection with n streams
// until the end of in, and returns the connection and what it wrote.
func runScript(in []byte, n int) (*h2Conn, []byte) {
	r := &h2Run{cfg: &H2Config{}, base: time.Now()}
	r.win.end.Store(int64(1<<63 - 1))
	var out bytes.Buffer
	c := newH2Conn(r, io.NopCloser(nil), bufio.NewReader(bytes.NewReader(in)), bufio.NewWriter(&out), n)
	c.read()
	return c, out.Bytes()
}

// written lists the frames of out as "type/flags/stream".
func written(out []byte) []string {
	fr := h2FrameReader{r: bufio.NewReader(bytes.NewReader(out))}
	var got []string
	for {
		f, err := fr.next()
		if err != nil {
			return got
		}
		got = append(got, fmt.Sprintf("%d/%d/%d", f.typ, f.flags, f.stream))
	}
}

func TestH2ConnFrames(t *testing.T) {
	s := newScript()
	s.frame(h2Settings, 0, 0, []byte{0, 3, 0, 0, 0, 100}).
		frame(h2Ping, 0, 0, []byte("12345678")).
		head(1).
		frame(h2Headers, h2FlagEndHeaders, 3, s.block(":status", "200", "content-type", "text/plain")).
		frame(h2Data, 0, 1, []byte("data: 1\n\n: beat\n\ndata: x\n\n")).
		frame(0x2, 0, 5, []byte{0, 0, 0, 0, 0}). // PRIORITY: ignored
		frame(0xfa, 0, 0, []byte("unknown")).    // unknown type: ignored
		frame(h2WindowUpdate, 0, 0, []byte{0, 0, 1, 0})
	// A head in two frames: HEADERS without END_HEADERS, then CONTINUATION.
	blk := s.block(":status", "200", "content-type", "text/event-stream; charset=utf-8")
	s.frame(h2Headers, 0, 5, blk[:2]).frame(h2Continuation, h2FlagEndHeaders, 5, blk[2:]).
		frame(h2Data, h2FlagPadded, 5, append([]byte{3}, "data: 2\n\nPAD"...)).
		frame(h2RSTStream, 0, 5, []byte{0, 0, 0, 2}).
		frame(h2Data, h2FlagEndStream, 1, []byte("data: 3\n\n")).
		frame(h2GoAway, 0, 0, []byte{0, 0, 0, 5, 0, 0, 0, 0, 'b', 'y', 'e'})
	c, out := runScript(s.bytes(), 4)
	if got := c.heads.Load(); got != 2 {
		t.Errorf("heads %d, want 2 (streams 1 and 5)", got)
	}
	if c.headFails != 2 || c.streamErrors != 4 {
		// 3: text/plain; 7: never answered; 5: reset; 1: ended.
		t.Errorf("head failures %d, stream errors %d; want 2, 4 (errors %v)", c.headFails, c.streamErrors, c.errs)
	}
	if c.events != 4 || c.badData != 1 || c.windowEvents != 3 || c.comments != 1 {
		t.Errorf("events %d, bad data %d, in the window %d, comments %d; want 4, 1, 3, 1", c.events, c.badData, c.windowEvents, c.comments)
	}
	if !c.goAway || !c.peerClosed {
		t.Errorf("goaway %v, peer closed %v", c.goAway, c.peerClosed)
	}
	for _, k := range []string{"reset: RST_STREAM with error code 2", "stream: the server ended the stream", `goaway: error code 0, "bye"`, "read: EOF"} {
		if c.errs[k] != 1 {
			t.Errorf("errors %v: want one %q", c.errs, k)
		}
	}
	want := []string{
		fmt.Sprintf("%d/%d/0", h2Settings, h2FlagAck),
		fmt.Sprintf("%d/%d/0", h2Ping, h2FlagAck),
		fmt.Sprintf("%d/0/3", h2RSTStream), // the text/plain stream is cancelled
	}
	if got := written(out); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("frames written %v, want %v", got, want)
	}
	select {
	case <-c.ready:
	default:
		t.Error("ready not closed after the connection ended")
	}
}

// TestH2ConnWindow: received DATA is given back to the stream and the
// connection once enough has accumulated.
func TestH2ConnWindow(t *testing.T) {
	s := newScript().head(1)
	ev := []byte(strings.Repeat(": "+strings.Repeat("x", 1000)+"\n", 16)) // 16,048 bytes of comments
	for range 17 {                                                        // 272,816 bytes
		s.frame(h2Data, 0, 1, ev)
	}
	c, out := runScript(s.bytes(), 1)
	if c.streamErrors != 0 {
		t.Fatalf("stream errors %d: %v", c.streamErrors, c.errs)
	}
	var stream, conn uint32
	fr := h2FrameReader{r: bufio.NewReader(bytes.NewReader(out))}
	for {
		f, err := fr.next()
		if err != nil {
			break
		}
		if f.typ == h2WindowUpdate {
			v := binary.BigEndian.Uint32(f.payload)
			if f.stream == 0 {
				conn += v
			} else {
				stream += v
			}
		}
	}
	// The stream gives back at every third frame (48,144 ≥ 32 KiB), the
	// connection once it has 256 KiB.
	if stream != 15*uint32(len(ev)) || conn != 17*uint32(len(ev)) {
		t.Errorf("given back: stream %d, connection %d; want %d, %d", stream, conn, 15*len(ev), 17*len(ev))
	}
}

func TestH2ConnProtocolErrors(t *testing.T) {
	big := make([]byte, h2MaxFrame+1)
	for _, tc := range []struct {
		name string
		in   func(s *script) *script
		want string
	}{
		{"data on stream 0", func(s *script) *script { return s.frame(h2Data, 0, 0, []byte("x")) }, "DATA on stream 0"},
		{"headers on stream 0", func(s *script) *script { return s.frame(h2Headers, h2FlagEndHeaders, 0, nil) }, "HEADERS on stream 0"},
		{"push promise", func(s *script) *script { return s.frame(h2PushPromise, 0, 1, []byte{0, 0, 0, 2}) }, "PUSH_PROMISE"},
		{"frame too long", func(s *script) *script { return s.frame(h2Data, 0, 1, big) }, "more than 16384"},
		{"padding too long", func(s *script) *script { return s.head(1).frame(h2Data, h2FlagPadded, 1, []byte{9, 'a'}) }, "padding"},
		{"bad settings", func(s *script) *script { return s.frame(h2Settings, 0, 0, []byte{1, 2, 3}) }, "malformed SETTINGS"},
		{"settings ack with payload", func(s *script) *script { return s.frame(h2Settings, h2FlagAck, 0, make([]byte, 6)) }, "malformed SETTINGS"},
		{"bad ping", func(s *script) *script { return s.frame(h2Ping, 0, 0, []byte("1234")) }, "malformed PING"},
		{"bad reset", func(s *script) *script { return s.frame(h2RSTStream, 0, 0, []byte{0, 0, 0, 1}) }, "malformed RST_STREAM"},
		{"bad goaway", func(s *script) *script { return s.frame(h2GoAway, 0, 0, []byte{0}) }, "malformed GOAWAY"},
		{"bad window update", func(s *script) *script { return s.frame(h2WindowUpdate, 0, 0, []byte{0}) }, "WINDOW_UPDATE of 1 bytes"},
		{"lone continuation", func(s *script) *script { return s.frame(h2Continuation, h2FlagEndHeaders, 1, nil) }, "CONTINUATION outside"},
		{"interleaved block", func(s *script) *script {
			return s.frame(h2Headers, 0, 1, nil).frame(h2Data, 0, 1, []byte("x"))
		}, "inside the header block"},
		{"bad hpack", func(s *script) *script {
			return s.frame(h2Headers, h2FlagEndHeaders, 1, []byte{0xff, 0xff, 0xff, 0xff})
		}, "HPACK"},
		{"header block too long", func(s *script) *script {
			s.frame(h2Headers, 0, 1, nil)
			for range 5 {
				s.frame(h2Continuation, 0, 1, make([]byte, 16000))
			}
			return s
		}, "header block of more than"},
	} {
		c, _ := runScript(tc.in(newScript()).bytes(), 1)
		found := false
		for k := range c.errs {
			found = found || strings.HasPrefix(k, "protocol: ") && strings.Contains(k, tc.want)
		}
		if !found || !c.peerClosed {
			t.Errorf("%s: errors %v, peer closed %v; want a protocol error with %q", tc.name, c.errs, c.peerClosed, tc.want)
		}
	}
}

// FuzzH2Conn feeds arbitrary server bytes to a connection's reader: it
// must end (at the end of the input) without a panic, with consistent
// counts.
func FuzzH2Conn(f *testing.F) {
	s := newScript()
	f.Add(s.head(1).frame(h2Data, 0, 1, []byte("data: 1\n\n")).bytes())
	s = newScript()
	f.Add(s.frame(h2Settings, 0, 0, nil).frame(h2Ping, 0, 0, []byte("abcdefgh")).head(3).frame(h2RSTStream, 0, 3, []byte{0, 0, 0, 8}).bytes())
	s = newScript()
	blk := s.block(":status", "200", "content-type", "text/event-stream")
	f.Add(s.frame(h2Headers, h2FlagPadded|h2FlagPriority, 1, append(append([]byte{1, 0, 0, 0, 0, 0}, blk...), 0)).bytes())
	f.Add([]byte{0, 0, 3, 0, 9, 0, 0, 0, 1, 2, 'a', 'b'})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, in []byte) {
		const n = 3
		c, _ := runScript(in, n)
		if h := int(c.heads.Load()); h+c.headFails > n || h < 0 {
			t.Fatalf("heads %d + head failures %d > %d streams", h, c.headFails, n)
		}
		if c.windowEvents > c.events || c.badData > c.events {
			t.Fatalf("window events %d, bad data %d, events %d", c.windowEvents, c.badData, c.events)
		}
		select {
		case <-c.ready:
		default:
			t.Fatal("ready not closed")
		}
	})
}

func TestParseSyscw(t *testing.T) {
	in := []byte("rchar: 1\nwchar: 2\nsyscr: 3\nsyscw: 42\nread_bytes: 0\n")
	if n, err := parseSyscw(in); err != nil || n != 42 {
		t.Errorf("parseSyscw = %d, %v; want 42", n, err)
	}
	for _, bad := range []string{"", "syscr: 3\n", "syscw: x\n", "syscw: -1\n"} {
		if _, err := parseSyscw([]byte(bad)); err == nil {
			t.Errorf("parseSyscw(%q) accepted", bad)
		}
	}
	if n, err := treeWrites(os.Getpid()); err != nil || n == 0 {
		t.Errorf("treeWrites(self) = %d, %v", n, err)
	}
}

// FuzzParseSyscw: any text is read or refused, never a panic.
func FuzzParseSyscw(f *testing.F) {
	f.Add([]byte("syscw: 42\n"))
	f.Add([]byte("rchar: 1\nsyscw:7"))
	f.Add([]byte("syscw: 99999999999999999999999\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = parseSyscw(b)
	})
}
