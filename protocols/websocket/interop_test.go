package websocket_test

// Interoperability with the ws package of Node.js (version 8, pinned in
// testdata/interop/package-lock.json): a ws client against our servers (a
// websocket:// worker, and an http worker with Upgrade), and our client
// (websocket.Dial) against a ws server. The node scripts live in
// testdata/interop; the test installs ws there (npm ci) when node_modules
// is missing, and is skipped only when node is not on PATH or when
// WM_SKIP_INTEROP is set (a machine without access to the npm registry).

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/internal/testutil"
	"github.com/workerman-go/workerman/protocols/http"
	"github.com/workerman-go/workerman/protocols/websocket"
	"github.com/workerman-go/workerman/worker"
)

const (
	interopDir     = "testdata/interop"
	npmTimeout     = 5 * time.Minute // installing ws (one small package)
	nodeRunTimeout = 3 * time.Minute // a whole node script
)

var (
	interopOnce sync.Once
	interopErr  error
)

// interopNode returns the node binary and the scripts' folder, with ws
// installed; it skips the test when node is not on PATH, or when
// WM_SKIP_INTEROP is set.
func interopNode(t *testing.T) (node, dir string) {
	t.Helper()
	if v := os.Getenv("WM_SKIP_INTEROP"); v != "" {
		t.Skipf("WM_SKIP_INTEROP=%s: the interoperability tests with Node's ws package are skipped", v)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not on PATH: the interoperability tests with the ws package need Node.js and npm (Debian: apt-get install nodejs npm)")
	}
	dir, err = filepath.Abs(interopDir)
	if err != nil {
		t.Fatal(err)
	}
	interopOnce.Do(func() { interopErr = installWS(dir) })
	if interopErr != nil {
		t.Fatal(interopErr)
	}
	return node, dir
}

// installWS runs npm ci in dir unless node_modules holds the version of ws
// that package-lock.json pins.
func installWS(dir string) error {
	var lock struct {
		Packages map[string]struct{ Version string } `json:"packages"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "package-lock.json"))
	if err == nil {
		err = json.Unmarshal(b, &lock)
	}
	if err != nil {
		return fmt.Errorf("interop: reading package-lock.json: %w", err)
	}
	want := lock.Packages["node_modules/ws"].Version
	if !strings.HasPrefix(want, "8.") {
		return fmt.Errorf("interop: package-lock.json pins ws %q, want 8.x", want)
	}
	var have struct{ Version string }
	if b, err := os.ReadFile(filepath.Join(dir, "node_modules", "ws", "package.json")); err == nil &&
		json.Unmarshal(b, &have) == nil && have.Version == want {
		return nil
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return errors.New("interop: node is on PATH but npm is not, and ws is not installed in " + dir +
			" (Debian: apt-get install npm)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), npmTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts")
	cmd.Dir = dir
	cmd.WaitDelay = 10 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("interop: npm ci in %s: %v\n%s", dir, err, out)
	}
	return nil
}

// nodeLine is one JSON line printed by a node script: a client's case
// result, or a server's event.
type nodeLine struct {
	// client.mjs
	Target     string `json:"target"`
	Case       string `json:"case"`
	OK         bool   `json:"ok"`
	Type       string `json:"type"`
	Types      string `json:"types"`
	Len        int    `json:"len"`
	SentLen    int    `json:"sent_len"`
	Protocol   string `json:"protocol"`
	Extensions string `json:"extensions"`
	Payload    int    `json:"payload"`
	WireOut    int    `json:"wire_out"`
	WireIn     int    `json:"wire_in"`
	Got        string `json:"got"`
	Done       bool   `json:"done"`
	// server.mjs
	Event string `json:"event"`
	Path  string `json:"path"`
	Port  int    `json:"port"`
	// both
	Code   int    `json:"code"`
	Reason string `json:"reason"`
	Data   string `json:"data"`
	Error  string `json:"error"`

	raw string
}

// lineWriter is a node process's stdout: each JSON line goes to lines.
type lineWriter struct {
	buf   []byte
	lines chan nodeLine
	bad   func(string)
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		raw := string(w.buf[:i])
		w.buf = w.buf[i+1:]
		var l nodeLine
		if err := json.Unmarshal([]byte(raw), &l); err != nil {
			w.bad(raw)
			continue
		}
		l.raw = raw
		w.lines <- l
	}
}

// nodeProc is a running node script, killed when the test ends.
type nodeProc struct {
	t      *testing.T
	lines  chan nodeLine
	exited chan struct{}
	stderr *testutil.Log
}

func startNode(t *testing.T, script string, args ...string) *nodeProc {
	t.Helper()
	node, dir := interopNode(t)
	ctx, cancel := context.WithTimeout(context.Background(), nodeRunTimeout)
	cmd := exec.CommandContext(ctx, node, append([]string{script}, args...)...)
	cmd.Dir = dir
	cmd.WaitDelay = 5 * time.Second
	p := &nodeProc{t: t, lines: make(chan nodeLine, 4096), exited: make(chan struct{}), stderr: &testutil.Log{}}
	cmd.Stdout = &lineWriter{lines: p.lines, bad: func(raw string) { t.Errorf("%s: not a JSON line: %q", script, raw) }}
	cmd.Stderr = p.stderr
	stdin, err := cmd.StdinPipe() // the script exits when it closes
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		stdin.Close()
		select {
		case <-p.exited:
		case <-time.After(5 * time.Second):
			cancel() // kills it
			<-p.exited
		}
		cancel()
		if t.Failed() || waitErr != nil {
			t.Logf("%s exited: %v; stderr:\n%s", script, waitErr, p.stderr.String())
		}
	})
	return p
}

// next returns the next line, failing the test if none comes in time.
func (p *nodeProc) next(timeout time.Duration) nodeLine {
	p.t.Helper()
	select {
	case l := <-p.lines:
		return l
	case <-p.exited:
		select {
		case l := <-p.lines:
			return l
		default:
		}
		p.t.Fatalf("node exited; stderr:\n%s", p.stderr.String())
	case <-time.After(timeout):
		p.t.Fatalf("no line from node within %v; stderr:\n%s", timeout, p.stderr.String())
	}
	return nodeLine{}
}

// closeLog records, per request path, what OnWebSocketClose and
// OnWebSocketPong told a server.
type closeLog struct {
	mu     sync.Mutex
	closes map[string]string // path -> "code reason"
	pongs  map[string]string
	errs   []string
}

func newCloseLog() *closeLog {
	return &closeLog{closes: map[string]string{}, pongs: map[string]string{}}
}

func (l *closeLog) get(m map[string]string, path string) (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	v, ok := m[path]
	return v, ok
}

// interopOptions are the server options of the interop test: deflate
// (cfg), a subprotocol, a 4 MiB message limit, and callbacks feeding log.
func interopOptions(log *closeLog, cfg websocket.DeflateConfig) websocket.Options {
	return websocket.Options{
		Subprotocols:   []string{"interop.v1"},
		Deflate:        &cfg,
		MaxMessageSize: 4 << 20,
		OnWebSocketConnected: func(c *connection.Conn, req *http.Request) {
			c.SetData(req.Path)
		},
		Callbacks: websocket.Callbacks{
			OnWebSocketClose: func(c *connection.Conn, code int, reason string) {
				path, _ := c.Data().(string)
				log.mu.Lock()
				log.closes[path] = fmt.Sprint(code, " ", reason)
				log.mu.Unlock()
			},
			OnWebSocketPong: func(c *connection.Conn, payload []byte) {
				path, _ := c.Data().(string)
				log.mu.Lock()
				log.pongs[path] = string(payload)
				log.mu.Unlock()
			},
		},
	}
}

// interopEcho echoes a message with its type, except the commands
// "close-me" and "ping-me".
func interopEcho(log *closeLog) func(c *connection.Conn, m websocket.Message) {
	return func(c *connection.Conn, m websocket.Message) {
		if m.Opcode == websocket.OpText {
			switch string(m.Payload) {
			case "close-me":
				websocket.Close(c, 4001, "bye from go")
				return
			case "ping-me":
				c.Send(websocket.Message{Opcode: websocket.OpPing, Payload: []byte("ping from go")})
				return
			}
		}
		if err := c.Send(websocket.Message{Opcode: m.Opcode, Payload: m.Payload}); err != nil {
			log.mu.Lock()
			log.errs = append(log.errs, fmt.Sprintf("echo of %d bytes: %v", len(m.Payload), err))
			log.mu.Unlock()
		}
	}
}

// The ws client against our server: a websocket:// worker, an http worker
// that upgrades, and a websocket:// worker with compression context
// takeover both ways.
func TestInteropWSClient(t *testing.T) {
	interopNode(t) // skip early without node

	wsLog := newCloseLog()
	ws := worker.New("websocket://127.0.0.1:0", websocket.Protocol(interopOptions(wsLog, websocket.DeflateConfig{})))
	ws.Count = 2
	ws.OnMessage = interopEcho(wsLog)
	wsAddr := start(t, ws)

	takeoverLog := newCloseLog()
	tw := worker.New("websocket://127.0.0.1:0", websocket.Protocol(interopOptions(takeoverLog,
		websocket.DeflateConfig{ServerContextTakeover: true, ClientContextTakeover: true, Level: 6})))
	tw.Count = 1
	tw.OnMessage = interopEcho(takeoverLog)
	takeoverAddr := start(t, tw)

	httpLog := newCloseLog()
	httpOpts := interopOptions(httpLog, websocket.DeflateConfig{})
	hw := worker.New("http://127.0.0.1:0", http.Protocol())
	hw.Count = 1
	hw.OnMessage = func(c *connection.Conn, r *http.Request) {
		if r.IsUpgrade("websocket") {
			websocket.Upgrade(c, r, httpOpts, interopEcho(httpLog))
			return
		}
		c.Send("not a websocket")
	}
	httpAddr := start(t, hw)

	p := startNode(t, "client.mjs", "websocket=ws://"+wsAddr, "http=ws://"+httpAddr, "takeover=ws://"+takeoverAddr)
	results := map[string]map[string]nodeLine{"websocket": {}, "http": {}, "takeover": {}}
	for {
		l := p.next(nodeRunTimeout)
		if l.Done {
			break
		}
		if results[l.Target] == nil {
			t.Fatalf("unexpected line %s", l.raw)
		}
		t.Logf("%s", l.raw)
		results[l.Target][l.Case] = l
	}

	for _, target := range []struct {
		name string
		log  *closeLog
	}{{"websocket", wsLog}, {"http", httpLog}, {"takeover", takeoverLog}} {
		t.Run(target.name, func(t *testing.T) {
			res := results[target.name]
			get := func(name string) nodeLine {
				t.Helper()
				l, ok := res[name]
				if !ok {
					t.Fatalf("%s: no result", name)
				}
				if l.Error != "" {
					t.Errorf("%s: %s", name, l.Error)
				}
				return l
			}
			echo := func(name, typ string, length int) nodeLine {
				t.Helper()
				l := get(name)
				if l.Error == "" && (!l.OK || l.Type != typ || length >= 0 && l.Len != length) {
					t.Errorf("%s: echo %s", name, l.raw)
				}
				return l
			}
			if l := echo("text", "text", -1); l.Protocol != "interop.v1" || l.Extensions != "" {
				t.Errorf("text: subprotocol %q, extensions %q; want interop.v1 and none", l.Protocol, l.Extensions)
			}
			echo("binary", "binary", 300)
			echo("empty", "text", 0)
			echo("fragmented", "text", -1)
			echo("fragmented-binary", "binary", 70105)
			echo("1mib", "binary", 1<<20)
			echo("1mib-compressed", "text", 1<<20)
			if l := echo("compressed-small", "text", 4); l.Extensions != "permessage-deflate" {
				t.Errorf("compressed-small: extensions %q", l.Extensions)
			}
			// Compressed both ways: far fewer bytes on the wire than in the
			// messages.
			if l := get("compressed"); l.Error == "" && (!l.OK || l.Extensions != "permessage-deflate" ||
				l.Types != "text,text,text,binary,text" || l.WireOut*4 > l.Payload || l.WireIn*4 > l.Payload) {
				t.Errorf("compressed: %s", l.raw)
			}
			if l := echo("compressed-server-window", "text", 5000); l.Extensions != "" {
				t.Errorf("compressed-server-window: extensions %q: server_max_window_bits=10 should be declined", l.Extensions)
			}
			if l := echo("compressed-client-window", "text", 50000); l.Extensions != "permessage-deflate" ||
				l.WireOut*4 > l.Payload || l.WireIn*4 > l.Payload {
				t.Errorf("compressed-client-window: %s", l.raw)
			}
			if l := get("ping"); l.Error == "" && !l.OK {
				t.Errorf("ping: %s", l.raw)
			}
			if l := get("server-ping"); l.Error == "" && !l.OK {
				t.Errorf("server-ping: %s", l.raw)
			}
			if got, _ := target.log.get(target.log.pongs, "/server-ping"); got != "ping from go" {
				t.Errorf("server-ping: OnWebSocketPong got %q, want ws's pong with our payload", got)
			}

			// Close codes as ws sees them: from our close, from our echo of
			// ws's close, from our failing the connection.
			if l := get("server-close"); l.Error == "" && (l.Code != 4001 || l.Reason != "bye from go") {
				t.Errorf("server-close: ws saw close %d %q, want 4001 bye from go", l.Code, l.Reason)
			}
			for name, code := range map[string]int{
				"client-close":            4000,
				"client-close-nostatus":   websocket.CloseNoStatus,
				"invalid-utf8":            websocket.CloseInvalidPayload,
				"invalid-utf8-fragmented": websocket.CloseInvalidPayload,
				"invalid-utf8-compressed": websocket.CloseInvalidPayload,
				"unmasked":                websocket.CloseProtocolError,
				"reserved-opcode":         websocket.CloseProtocolError,
				"rsv1-without-deflate":    websocket.CloseProtocolError,
				"fragmented-control":      websocket.CloseProtocolError,
				"invalid-close-code":      websocket.CloseProtocolError,
			} {
				if l := get(name); l.Error == "" && l.Code != code {
					t.Errorf("%s: ws saw close %d %q, want %d", name, l.Code, l.Reason, code)
				}
			}
			t.Run("too-big", func(t *testing.T) {
				// ws is still sending the message when we fail the
				// connection: our close frame reaches it only if the
				// connection is not reset (TestFailedConnectionIsNotReset).
				switch l := get("too-big"); {
				case l.Error != "":
				case l.Code == websocket.CloseAbnormal:
					t.Errorf("ws saw 1006, not 1009: the connection was reset")
				case l.Code != websocket.CloseMessageTooBig:
					t.Errorf("too-big: ws saw close %d %q, want 1009", l.Code, l.Reason)
				}
			})
			// And as OnWebSocketClose saw them.
			log := target.log
			testutil.Eventually(t, "OnWebSocketClose of the closes", func() bool {
				_, a := log.get(log.closes, "/client-close")
				_, b := log.get(log.closes, "/client-close-nostatus")
				_, c := log.get(log.closes, "/text")
				return a && b && c
			})
			for path, want := range map[string]string{
				"/client-close":          "4000 bye from ws",
				"/client-close-nostatus": "1005 ",
				"/text":                  "1000 ",
			} {
				if got, _ := log.get(log.closes, path); got != want {
					t.Errorf("%s: OnWebSocketClose(%s), want %s", path, got, want)
				}
			}
			log.mu.Lock()
			for _, e := range log.errs {
				t.Errorf("server: %s", e)
			}
			paths := make([]string, 0, len(log.closes))
			for p := range log.closes {
				paths = append(paths, p)
			}
			slices.Sort(paths)
			for _, p := range paths {
				t.Logf("OnWebSocketClose %s: %s", p, log.closes[p])
			}
			log.mu.Unlock()
		})
	}
}

// nodeEvents collects a node server's lines (after the first) for tests to
// wait on.
type nodeEvents struct {
	mu    sync.Mutex
	lines []nodeLine
}

func collect(p *nodeProc) *nodeEvents {
	e := &nodeEvents{}
	go func() {
		for {
			select {
			case l := <-p.lines:
				e.mu.Lock()
				e.lines = append(e.lines, l)
				e.mu.Unlock()
			case <-p.exited:
				return
			}
		}
	}()
	return e
}

// wait returns the first line of event ev on path.
func (e *nodeEvents) wait(t *testing.T, ev, path string) nodeLine {
	t.Helper()
	var found nodeLine
	testutil.Eventually(t, fmt.Sprintf("node event %s on %s", ev, path), func() bool {
		e.mu.Lock()
		defer e.mu.Unlock()
		for _, l := range e.lines {
			if l.Event == ev && l.Path == path {
				found = l
				return true
			}
		}
		return false
	})
	return found
}

// interopClient is a websocket.Dial connection whose messages, pongs and
// close arrive on channels.
type interopClient struct {
	t      *testing.T
	ac     *connection.AsyncConn[websocket.Message]
	msgs   chan websocket.Message
	pongs  chan string
	closed chan string // "code reason"
}

func dialInterop(t *testing.T, url string, opts websocket.ClientOptions) *interopClient {
	t.Helper()
	c := &interopClient{t: t, msgs: make(chan websocket.Message, 64), pongs: make(chan string, 8), closed: make(chan string, 1)}
	connected := make(chan struct{})
	opts.OnWebSocketConnect = func(*connection.Conn) { close(connected) }
	opts.OnWebSocketPong = func(_ *connection.Conn, p []byte) { c.pongs <- string(p) }
	opts.OnWebSocketClose = func(_ *connection.Conn, code int, reason string) { c.closed <- fmt.Sprint(code, " ", reason) }
	ac, err := websocket.Dial(url, opts)
	if err != nil {
		t.Fatal(err)
	}
	ac.OnMessage = func(_ *connection.Conn, m websocket.Message) {
		c.msgs <- websocket.Message{Opcode: m.Opcode, Payload: bytes.Clone(m.Payload)}
	}
	failed := make(chan error, 1)
	ac.OnError = func(_ *connection.Conn, err error) {
		select {
		case failed <- err:
		default:
		}
	}
	c.ac = ac
	ac.Connect()
	t.Cleanup(ac.Destroy)
	select {
	case <-connected:
	case err := <-failed:
		t.Fatalf("%s: %v", url, err)
	case <-time.After(testTimeout):
		t.Fatalf("%s: no handshake", url)
	}
	return c
}

func (c *interopClient) send(msg any) {
	c.t.Helper()
	if err := c.ac.Send(msg); err != nil {
		c.t.Fatalf("send: %v", err)
	}
}

func (c *interopClient) next() websocket.Message {
	c.t.Helper()
	select {
	case m := <-c.msgs:
		return m
	case e := <-c.closed:
		c.t.Fatalf("closed (%s) while waiting for a message", e)
	case <-time.After(testTimeout):
		c.t.Fatal("no message")
	}
	return websocket.Message{}
}

// expect sends msg and checks the answer's type and payload.
func (c *interopClient) expect(op websocket.Opcode, payload []byte) {
	c.t.Helper()
	m := c.next()
	if m.Opcode != op || !bytes.Equal(m.Payload, payload) {
		c.t.Fatalf("got %v of %d bytes (%.40q), want %v of %d bytes (%.40q)", m.Opcode, len(m.Payload), m.Payload, op, len(payload), payload)
	}
}

func (c *interopClient) waitClose() string {
	c.t.Helper()
	select {
	case e := <-c.closed:
		return e
	case <-time.After(testTimeout):
		c.t.Fatal("still open")
	}
	return ""
}

// prose returns n bytes of compressible text.
func prose(n int) []byte {
	words := strings.Fields("the quick brown fox jumps over the lazy dog while workerman and ws talk")
	var b []byte
	for i := 0; len(b) < n; i++ {
		b = append(b, words[(i*7)%len(words)]...)
		b = append(b, ' ')
	}
	return b[:n]
}

// noise returns n pseudo-random (incompressible) bytes.
func noise(n int, seed uint32) []byte {
	b := make([]byte, n)
	x := seed | 1
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

// Our client against a ws server.
func TestInteropWSServer(t *testing.T) {
	p := startNode(t, "server.mjs")
	first := p.next(nodeRunTimeout)
	if first.Event != "listening" || first.Port == 0 {
		t.Fatalf("first line %s, want the listening port", first.raw)
	}
	events := collect(p)
	base := fmt.Sprintf("ws://127.0.0.1:%d", first.Port)

	t.Run("text and binary", func(t *testing.T) {
		c := dialInterop(t, base+"/text", websocket.ClientOptions{Subprotocols: []string{"other", "interop.v1"}})
		if got := websocket.Subprotocol(c.ac.Conn); got != "interop.v1" {
			t.Errorf("subprotocol %q", got)
		}
		if e := events.wait(t, "connection", "/text"); e.Protocol != "interop.v1" || e.Extensions != "" {
			t.Errorf("ws saw %s", e.raw)
		}
		c.send("héllo wörld € 😀")
		c.expect(websocket.OpText, []byte("héllo wörld € 😀"))
		c.send(noise(300, 7))
		c.expect(websocket.OpBinary, noise(300, 7))
		c.send("")
		c.expect(websocket.OpText, []byte{})
		big := noise(1<<20, 42)
		c.send(big)
		c.expect(websocket.OpBinary, big)
		websocket.Close(c.ac.Conn, websocket.CloseNormal, "done")
		if e := events.wait(t, "close", "/text"); e.Code != 1000 || e.Reason != "done" {
			t.Errorf("ws saw close %d %q, want 1000 done", e.Code, e.Reason)
		}
		if got := c.waitClose(); got != "1000 done" {
			t.Errorf("OnWebSocketClose(%s), want ws's echo 1000 done", got)
		}
	})

	t.Run("compressed", func(t *testing.T) {
		c := dialInterop(t, base+"/compressed", websocket.ClientOptions{Deflate: &websocket.DeflateConfig{}})
		if e := events.wait(t, "connection", "/compressed"); e.Extensions != "permessage-deflate" {
			t.Errorf("ws saw %s", e.raw)
		}
		out0, in0 := c.ac.BytesWritten(), c.ac.BytesRead()
		text := prose(64 << 10)
		payload := 0
		for range 3 { // several messages: no context takeover resets both ways
			c.send(string(text))
			c.expect(websocket.OpText, text)
			payload += len(text)
		}
		bin := prose(20000)
		c.send(bin)
		c.expect(websocket.OpBinary, bin)
		payload += len(bin)
		huge := prose(1 << 20)
		c.send(string(huge))
		c.expect(websocket.OpText, huge)
		payload += len(huge)
		// One message in three compressed frames from ws.
		c.send("fragment-me-compressed")
		c.expect(websocket.OpText, []byte(strings.Repeat("x", 3000)+strings.Repeat("y", 3000)+strings.Repeat("z", 3000)))
		out, in := int(c.ac.BytesWritten()-out0), int(c.ac.BytesRead()-in0)
		t.Logf("%d bytes of messages each way: %d bytes written, %d read", payload, out, in)
		if out*4 > payload || in*4 > payload {
			t.Errorf("%d bytes of messages: %d bytes written, %d read: not compressed", payload, out, in)
		}
		// Small messages stay plain.
		c.send("tiny")
		c.expect(websocket.OpText, []byte("tiny"))
	})

	t.Run("compressed with context takeover", func(t *testing.T) {
		c := dialInterop(t, base+"/takeover", websocket.ClientOptions{
			Deflate: &websocket.DeflateConfig{ServerContextTakeover: true, ClientContextTakeover: true, Level: 6}})
		if e := events.wait(t, "connection", "/takeover"); e.Extensions != "permessage-deflate" {
			t.Errorf("ws saw %s", e.raw)
		}
		text := prose(64 << 10)
		for i := range 4 { // each message compressed against the previous ones, both ways
			msg := append([]byte(fmt.Sprint(i)), text...)
			c.send(string(msg))
			c.expect(websocket.OpText, msg)
		}
		c.send("fragment-me-compressed")
		c.expect(websocket.OpText, []byte(strings.Repeat("x", 3000)+strings.Repeat("y", 3000)+strings.Repeat("z", 3000)))
		c.send("tiny")
		c.expect(websocket.OpText, []byte("tiny"))
	})

	t.Run("fragmented from the server", func(t *testing.T) {
		c := dialInterop(t, base+"/fragmented", websocket.ClientOptions{})
		c.send("fragment-me")
		c.expect(websocket.OpText, []byte("fragmented"))
		c.send("fragment-me-binary")
		c.expect(websocket.OpBinary, []byte{0, 1, 2, 253, 254, 255})
	})

	t.Run("ping and pong", func(t *testing.T) {
		c := dialInterop(t, base+"/ping", websocket.ClientOptions{})
		// ws pings, our client answers, ws tells what it got.
		c.send("ping-me")
		c.expect(websocket.OpText, []byte("got pong: ping from ws"))
		// We ping, ws answers.
		c.send(websocket.Message{Opcode: websocket.OpPing, Payload: []byte("ping from go")})
		select {
		case got := <-c.pongs:
			if got != "ping from go" {
				t.Errorf("pong %q", got)
			}
		case <-time.After(testTimeout):
			t.Fatal("no pong")
		}
		if e := events.wait(t, "ping", "/ping"); e.Data != "ping from go" {
			t.Errorf("ws saw ping %q", e.Data)
		}
	})

	t.Run("close by ws", func(t *testing.T) {
		c := dialInterop(t, base+"/close-by-ws", websocket.ClientOptions{})
		c.send("close-me")
		if got := c.waitClose(); got != "4002 bye from ws" {
			t.Errorf("OnWebSocketClose(%s), want 4002 bye from ws", got)
		}
		if e := events.wait(t, "close", "/close-by-ws"); e.Code != 4002 {
			t.Errorf("ws saw close %d %q, want our echo of 4002", e.Code, e.Reason)
		}
		c = dialInterop(t, base+"/close-nostatus", websocket.ClientOptions{})
		c.send("close-nostatus")
		if got := c.waitClose(); got != "1005 " {
			t.Errorf("OnWebSocketClose(%s), want 1005 (no status)", got)
		}
		if e := events.wait(t, "close", "/close-nostatus"); e.Code != 1005 {
			t.Errorf("ws saw close %d, want 1005", e.Code)
		}
	})

	t.Run("close by us", func(t *testing.T) {
		c := dialInterop(t, base+"/close-by-us", websocket.ClientOptions{})
		websocket.Close(c.ac.Conn, 4003, "bye from go")
		if e := events.wait(t, "close", "/close-by-us"); e.Code != 4003 || e.Reason != "bye from go" {
			t.Errorf("ws saw close %d %q, want 4003 bye from go", e.Code, e.Reason)
		}
		if got := c.waitClose(); !strings.HasPrefix(got, "4003 ") {
			t.Errorf("OnWebSocketClose(%s), want ws's echo of 4003", got)
		}
	})

	// Violations by the server, written by hand: our client fails the
	// connection with the right code, which ws reports.
	for path, code := range map[string]int{
		"bad-utf8":        websocket.CloseInvalidPayload,
		"masked-frame":    websocket.CloseProtocolError,
		"reserved-opcode": websocket.CloseProtocolError,
	} {
		t.Run(path, func(t *testing.T) {
			c := dialInterop(t, base+"/"+path, websocket.ClientOptions{})
			c.send(path)
			got := c.waitClose()
			if e := events.wait(t, "close", "/"+path); e.Code != code {
				t.Errorf("ws saw close %d %q, want %d", e.Code, e.Reason, code)
			}
			t.Logf("OnWebSocketClose(%s)", got)
		})
	}

	t.Run("too big", func(t *testing.T) {
		c := dialInterop(t, base+"/too-big", websocket.ClientOptions{MaxMessageSize: 1 << 20})
		c.send("big-2mib")
		t.Logf("OnWebSocketClose(%s)", c.waitClose())
		switch e := events.wait(t, "close", "/too-big"); e.Code {
		case websocket.CloseMessageTooBig:
		case websocket.CloseAbnormal:
			t.Errorf("ws saw 1006, not 1009: the connection was reset")
		default:
			t.Errorf("ws saw close %d %q, want 1009", e.Code, e.Reason)
		}
	})
}
