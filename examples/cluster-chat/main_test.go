package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	nethttp "net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/workerman-go/workerman/examples/internal/author"
	"github.com/workerman-go/workerman/examples/internal/wstest"
	"github.com/workerman-go/workerman/internal/testutil"
	"github.com/workerman-go/workerman/protocols/http"
	"github.com/workerman-go/workerman/protocols/sse"
	"github.com/workerman-go/workerman/protocols/websocket"
	"github.com/workerman-go/workerman/pubsub"
	"github.com/workerman-go/workerman/pubsub/publishapi"
)

const me = "rgb(1,2,3)"

// --- Clients, for a server of this process or of another ---

// deadlineConn bounds every read by testutil.Timeout: a stream that stays
// open for the whole test never hangs it, and a long wait is allowed as
// long as something arrives.
type deadlineConn struct{ net.Conn }

func (c deadlineConn) Read(p []byte) (int, error) {
	_ = c.SetReadDeadline(time.Now().Add(testutil.Timeout))
	return c.Conn.Read(p)
}

// client is an HTTP client whose every read is bounded.
func client(t *testing.T) *nethttp.Client {
	tr := &nethttp.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{Timeout: testutil.Timeout}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return deadlineConn{c}, nil
	}}
	t.Cleanup(tr.CloseIdleConnections)
	return &nethttp.Client{Transport: tr}
}

// do sends a request to base+path with header fields as name, value pairs
// and returns the response with its body read.
func do(t *testing.T, base, method, path, body string, header ...string) (*nethttp.Response, string) {
	t.Helper()
	req, err := nethttp.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := client(t).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", method, path, err)
	}
	return resp, string(b)
}

// post sends a chat message as user me and checks that it is taken.
func post(t *testing.T, base, text string) {
	t.Helper()
	if resp, body := postAs(t, base, text, cookieFor(me)); resp.StatusCode != 200 {
		t.Fatalf("POST /send %q: %d %q", text, resp.StatusCode, body)
	}
}

// postAs sends a chat message with the given Cookie header (none if "").
func postAs(t *testing.T, base, text, cookie string) (*nethttp.Response, string) {
	t.Helper()
	header := []string{"Content-Type", "application/x-www-form-urlencoded"}
	if cookie != "" {
		header = append(header, "Cookie", cookie)
	}
	return do(t, base, "POST", "/send", url.Values{"message": {text}}.Encode(), header...)
}

// cookieFor is the Cookie header of a user with that colour.
func cookieFor(color string) string { return author.CookieName + "=" + url.QueryEscape(color) }

// colorCookie returns the colour set by resp's author cookie, "" if none.
func colorCookie(t *testing.T, resp *nethttp.Response) string {
	t.Helper()
	for _, c := range resp.Cookies() {
		if c.Name == author.CookieName {
			color, err := url.QueryUnescape(c.Value)
			if err != nil || !author.Valid(color) {
				t.Fatalf("cookie %s=%q: not a colour", c.Name, c.Value)
			}
			return color
		}
	}
	return ""
}

// got is a chat message as a client received it.
type got struct {
	id string
	message
}

func decode(t *testing.T, id, data string) got {
	t.Helper()
	var m message
	if id == "" || json.Unmarshal([]byte(data), &m) != nil {
		t.Fatalf("message id %q data %q: want an id and JSON data", id, data)
	}
	return got{id, m}
}

// sseClient is an event stream.
type sseClient struct {
	t    *testing.T
	body io.ReadCloser
	dec  *sse.Decoder
}

// openSSE opens the event stream at base, as an EventSource (with
// Last-Event-ID last, when not "").
func openSSE(t *testing.T, base, last string) *sseClient {
	t.Helper()
	req, err := nethttp.NewRequest("GET", base+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", sse.ContentType)
	if last != "" {
		req.Header.Set("Last-Event-ID", last)
	}
	resp, err := client(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), sse.ContentType) {
		t.Fatalf("GET / as an event stream: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return &sseClient{t: t, body: resp.Body, dec: sse.NewDecoder(resp.Body, &sse.Parser{})}
}

func (s *sseClient) event() sse.Event {
	s.t.Helper()
	e, err := s.dec.Next()
	if err != nil {
		s.t.Fatalf("reading the event stream: %v", err)
	}
	return e
}

func (s *sseClient) next() got {
	s.t.Helper()
	e := s.event()
	if e.Event != "" {
		s.t.Fatalf("event %+v, want a message", e)
	}
	return decode(s.t, e.ID, e.Data)
}

func (s *sseClient) reset() {
	s.t.Helper()
	if e := s.event(); e.Event != "reset" {
		s.t.Fatalf("event %+v, want reset", e)
	}
}

func (s *sseClient) close() { s.body.Close() }

// wsClient is the page's WebSocket.
type wsClient struct {
	t *testing.T
	*wstest.Client
}

// dialWS opens the WebSocket at addr (host:port), resuming after last when
// not "".
func dialWS(t *testing.T, addr, last string) *wsClient {
	t.Helper()
	u := "ws://" + addr + "/"
	if last != "" {
		u += "?last=" + url.QueryEscape(last)
	}
	return &wsClient{t, wstest.Dial(t, u)}
}

func (w *wsClient) item() item {
	w.t.Helper()
	text := w.Text()
	var it item
	if err := json.Unmarshal([]byte(text), &it); err != nil {
		w.t.Fatalf("WebSocket message %q: %v", text, err)
	}
	return it
}

func (w *wsClient) next() got {
	w.t.Helper()
	it := w.item()
	if it.Event != "" {
		w.t.Fatalf("WebSocket item %+v, want a message", it)
	}
	return decode(w.t, it.ID, it.Data)
}

func (w *wsClient) reset() {
	w.t.Helper()
	if it := w.item(); it.Event != "reset" || it.ID != "" {
		w.t.Fatalf("WebSocket item %+v, want reset", it)
	}
}

// pollAnswer is the answer to a poll.
type pollAnswer struct {
	status int
	cursor string
	items  []item
	body   string
}

// poll sends a poll (after cursor, when not "") at once and returns the
// channel of its answer.
func poll(t *testing.T, base, cursor string) <-chan pollAnswer {
	path := "/poll"
	if cursor != "" {
		path += "?cursor=" + url.QueryEscape(cursor)
	}
	ch := make(chan pollAnswer, 1)
	c := client(t)
	go func() {
		resp, err := c.Get(base + path)
		if err != nil {
			ch <- pollAnswer{status: -1, body: err.Error()}
			return
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		a := pollAnswer{status: resp.StatusCode, cursor: resp.Header.Get("X-Cursor"), body: string(b)}
		if err != nil {
			a.status, a.body = -1, err.Error()
		} else if a.status == 200 {
			if err := json.Unmarshal(b, &a.items); err != nil {
				a.status, a.body = -1, "bad JSON: "+err.Error()
			}
		}
		if cc := resp.Header.Get("Cache-Control"); a.status > 0 && cc != "no-store" {
			a.status, a.body = -1, "Cache-Control: "+cc
		}
		ch <- a
	}()
	return ch
}

// answer receives a poll's answer, which must have status.
func answer(t *testing.T, ch <-chan pollAnswer, status int) pollAnswer {
	t.Helper()
	a := testutil.Recv(t, ch, "the answer to a poll")
	if a.status != status {
		t.Fatalf("poll answered %d %q, want %d", a.status, a.body, status)
	}
	return a
}

// messages decodes a poll's items, checking that the cursor is the last
// one's id.
func (a pollAnswer) messages(t *testing.T) []got {
	t.Helper()
	if len(a.items) == 0 || a.cursor != a.items[len(a.items)-1].ID {
		t.Fatalf("poll answer %+v: want messages, and the last one's id as X-Cursor", a)
	}
	ms := make([]got, len(a.items))
	for i, it := range a.items {
		ms[i] = decode(t, it.ID, it.Data)
	}
	return ms
}

// contents returns the messages' contents.
func contents(ms []got) []string {
	var s []string
	for _, m := range ms {
		s = append(s, m.Content)
	}
	return s
}

// --- In-process tests, on the in-memory broker ---

// started is a chat server started in the test.
type started struct {
	ch   *chat
	addr string
	base string
}

func start(t *testing.T, opts chatOptions) *started {
	t.Helper()
	if opts.hub == nil {
		hub, closeHub, err := newHub("")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { closeHub() }) // after the server stops (cleanups run last first)
		opts.hub = hub
	}
	if opts.pollTimeout == 0 {
		opts.pollTimeout = testutil.Timeout / 2 // never reached while a test waits for a message
	}
	ch, err := newChat(opts)
	if err != nil {
		t.Fatal(err)
	}
	w := newServer("127.0.0.1:0", ch)
	w.Count = 1
	addr := testutil.Start(t, w)
	return &started{ch: ch, addr: addr, base: "http://" + addr}
}

// subscribers waits until the hub has n subscriptions: the clients are
// subscribed, a message published now reaches them all.
func (s *started) subscribers(t *testing.T, n int) {
	t.Helper()
	testutil.Eventually(t, "the clients subscribed", func() bool { return s.ch.hub.Stats().Subscribers == n })
}

func TestPage(t *testing.T) {
	s := start(t, chatOptions{})
	resp, body := do(t, s.base, "GET", "/", "", "Accept", "text/html")
	if resp.StatusCode != 200 || !strings.Contains(body, `<script src="/chat.js">`) || colorCookie(t, resp) == "" {
		t.Fatalf("GET /: %d, cookie %v\n%s", resp.StatusCode, resp.Header["Set-Cookie"], body)
	}
	resp, body = do(t, s.base, "GET", "/chat.js", "")
	for _, want := range []string{"new EventSource('/')", "new WebSocket(", "'/poll'", "requestAnimationFrame", "MAX_MESSAGES = 500", "textContent = m.content"} {
		if resp.StatusCode != 200 || !strings.Contains(body, want) {
			t.Fatalf("GET /chat.js: %d, no %q", resp.StatusCode, want)
		}
	}
	if resp, _ := do(t, s.base, "GET", "/style.css", ""); resp.StatusCode != 200 {
		t.Fatalf("GET /style.css: %d", resp.StatusCode)
	}
}

// A message reaches a page over each kind of stream, with the same id; the
// content arrives as it was written, as text.
func TestEveryClientKindGetsTheSameMessages(t *testing.T) {
	s := start(t, chatOptions{})
	sa := openSSE(t, s.base, "")
	sa.reset() // the history: empty
	wa := dialWS(t, s.addr, "")
	wa.reset()
	pa := poll(t, s.base, "") // no history: waits for the next message
	s.subscribers(t, 3)

	text := `<script>alert("x")</script> & more`
	post(t, s.base, text)
	m := sa.next()
	if m.Author != me || m.Content != text {
		t.Fatalf("SSE: %+v, want %s and %q", m, me, text)
	}
	if w := wa.next(); w != m {
		t.Fatalf("WebSocket: %+v, want %+v", w, m)
	}
	if p := answer(t, pa, 200).messages(t); len(p) != 1 || p[0] != m {
		t.Fatalf("poll: %+v, want %+v", p, m)
	}

	// The next poll, with its cursor, waits; then all three again.
	pa = poll(t, s.base, m.id)
	s.subscribers(t, 3)
	post(t, s.base, "second")
	m2 := sa.next()
	if m2.Content != "second" || m2.id == m.id {
		t.Fatalf("SSE: %+v", m2)
	}
	if w := wa.next(); w != m2 {
		t.Fatalf("WebSocket: %+v, want %+v", w, m2)
	}
	if p := answer(t, pa, 200).messages(t); len(p) != 1 || p[0] != m2 {
		t.Fatalf("poll: %+v, want %+v", p, m2)
	}

	// A new page of each kind: the history, the same ids.
	sb := openSSE(t, s.base, "")
	sb.reset()
	wb := dialWS(t, s.addr, "")
	wb.reset()
	p := answer(t, poll(t, s.base, ""), 200).messages(t) // at once: there is a history
	for i, want := range []got{m, m2} {
		if g := sb.next(); g != want {
			t.Fatalf("SSE history %d: %+v, want %+v", i, g, want)
		}
		if g := wb.next(); g != want {
			t.Fatalf("WebSocket history %d: %+v, want %+v", i, g, want)
		}
		if p[i] != want {
			t.Fatalf("poll history %d: %+v, want %+v", i, p[i], want)
		}
	}
}

// Each kind of client that goes away comes back with the id of the last
// message it has and gets exactly those it missed; with an id the server
// does not know, it starts over with the history.
func TestEveryClientKindResumes(t *testing.T) {
	s := start(t, chatOptions{})
	sa := openSSE(t, s.base, "")
	sa.reset()
	wa := dialWS(t, s.addr, "")
	wa.reset()
	s.subscribers(t, 2)
	post(t, s.base, "seen")
	seen := sa.next()
	if w := wa.next(); w != seen {
		t.Fatalf("WebSocket: %+v, want %+v", w, seen)
	}
	sa.close()
	wa.Close(websocket.CloseGoingAway, "")
	wa.ExpectClose()
	s.subscribers(t, 0)
	post(t, s.base, "missed 1")
	post(t, s.base, "missed 2")

	sb := openSSE(t, s.base, seen.id)
	wb := dialWS(t, s.addr, seen.id)
	p := answer(t, poll(t, s.base, seen.id), 200).messages(t)
	if c := contents(p); len(c) != 2 || c[0] != "missed 1" || c[1] != "missed 2" {
		t.Fatalf("poll after %s: %q", seen.id, c)
	}
	for i, want := range []string{"missed 1", "missed 2", "live"} {
		if want == "live" {
			post(t, s.base, "live")
		}
		m := sb.next()
		if m.Content != want || i < 2 && m != p[i] {
			t.Fatalf("SSE after resuming: %+v, want %q", m, want)
		}
		if w := wb.next(); w != m {
			t.Fatalf("WebSocket after resuming: %+v, want %+v", w, m)
		}
	}

	// An id from elsewhere (an earlier run): the history, after a reset;
	// a poll is told the messages are lost (410) and starts over.
	sc := openSSE(t, s.base, "unknown-1")
	sc.reset()
	wc := dialWS(t, s.addr, "unknown-1")
	wc.reset()
	for _, want := range []string{"seen", "missed 1", "missed 2", "live"} {
		if m := sc.next(); m.Content != want {
			t.Fatalf("SSE history: %+v, want %q", m, want)
		}
		if m := wc.next(); m.Content != want {
			t.Fatalf("WebSocket history: %+v, want %q", m, want)
		}
	}
	if a := answer(t, poll(t, s.base, "unknown-1"), 410); a.cursor == "" {
		t.Fatalf("410 without the newest id as X-Cursor: %+v", a)
	}
	if c := contents(answer(t, poll(t, s.base, ""), 200).messages(t)); len(c) != 4 {
		t.Fatalf("the history after a 410: %q", c)
	}
}

func TestBadRequests(t *testing.T) {
	s := start(t, chatOptions{pollTimeout: 50 * time.Millisecond})
	long := strings.Repeat("x", maxIDBytes+1)
	for _, c := range []struct {
		method, path, body string
		header             []string
		status             int
	}{
		{"POST", "/send", "message=+++", []string{"Content-Type", "application/x-www-form-urlencoded"}, 400},
		{"POST", "/send", "message=" + strings.Repeat("x", maxMessage+1), []string{"Content-Type", "application/x-www-form-urlencoded"}, 413},
		{"POST", "/send", "message=" + strings.Repeat("x", maxSendBody), []string{"Content-Type", "application/x-www-form-urlencoded"}, 413},
		{"POST", "/send", "message=" + strings.Repeat("x", maxBody), []string{"Content-Type", "application/x-www-form-urlencoded"}, 413},
		{"POST", "/send", "message=%zz", []string{"Content-Type", "application/x-www-form-urlencoded"}, 400},
		{"GET", "/send?message=hi", "", nil, 405},
		{"POST", "/poll", "", nil, 405},
		{"GET", "/poll?cursor=" + long, "", nil, 400},
		{"GET", "/?last=" + long, "", []string{"Connection", "Upgrade", "Upgrade", "websocket", "Sec-WebSocket-Version", "13", "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="}, 400},
		{"GET", "/", "", []string{"Connection", "Upgrade", "Upgrade", "websocket"}, 426}, // no version
		{"POST", "/publish", "{}", []string{"Content-Type", "application/json"}, 404},    // no secret: no API
		{"GET", "/nothing", "", nil, 404},
	} {
		resp, body := do(t, s.base, c.method, c.path, c.body, c.header...)
		if resp.StatusCode != c.status {
			t.Errorf("%s %.60s: %d %q, want %d", c.method, c.path, resp.StatusCode, body, c.status)
		}
	}
	// A poll that sees no message: 204, without and with a cursor.
	answer(t, poll(t, s.base, ""), 204)
	answer(t, poll(t, s.base, "some-1"), 410) // and one the server does not know

	// The socket only receives.
	w := dialWS(t, s.addr, "")
	w.reset()
	w.Send("hello")
	if e := w.ExpectClose(); e.Code != websocket.ClosePolicyViolation {
		t.Fatalf("a message on the socket: closed with %+v, want %d", e, websocket.ClosePolicyViolation)
	}
}

// A forged cookie, or none, gets a new colour, which the message carries.
func TestAuthors(t *testing.T) {
	s := start(t, chatOptions{})
	sa := openSSE(t, s.base, "")
	sa.reset()
	for _, cookie := range []string{
		cookieFor(`rgb(1,2,3)"><script>alert(1)</script>`),
		cookieFor("rgb(256,0,0)"),
		cookieFor("red"),
		author.CookieName + "=rgb(1,2,3)", // not encoded: "," is not allowed in a cookie
		"",
	} {
		resp, _ := postAs(t, s.base, "hello", cookie)
		color := colorCookie(t, resp)
		if resp.StatusCode != 200 || color == "" {
			t.Fatalf("cookie %q: %d, set %v: want 200 and a new colour", cookie, resp.StatusCode, resp.Header["Set-Cookie"])
		}
		if m := sa.next(); m.Author != color {
			t.Fatalf("cookie %q: delivered %+v, want the new colour %s", cookie, m, color)
		}
	}
	resp, _ := postAs(t, s.base, "kept", cookieFor(me))
	if resp.StatusCode != 200 || colorCookie(t, resp) != "" {
		t.Fatalf("a valid cookie: %d, set %v: want it kept", resp.StatusCode, resp.Header["Set-Cookie"])
	}
	if m := sa.next(); m.Author != me {
		t.Fatalf("delivered %+v, want %s", m, me)
	}
}

// failingBroker is a broker whose Publish fails with err.
type failingBroker struct {
	pubsub.Broker
	err error
}

func (b failingBroker) Publish(context.Context, pubsub.Message) (pubsub.Message, error) {
	return pubsub.Message{}, b.err
}

// A publish that fails is answered: 503 when the broker cannot be reached
// (the page sends again), 500 otherwise.
func TestPublishFailures(t *testing.T) {
	for _, c := range []struct {
		err    error
		status int
	}{
		{pubsub.ErrUnavailable, 503},
		{errors.New("broken"), 500},
		{context.DeadlineExceeded, 504},
	} {
		mb := pubsub.NewMemoryBroker(pubsub.MemoryBrokerOptions{})
		t.Cleanup(func() { mb.Close() })
		hub := pubsub.NewHub(pubsub.Options{Broker: failingBroker{mb, c.err}})
		t.Cleanup(func() { hub.Close() })
		s := start(t, chatOptions{hub: hub})
		resp, body := postAs(t, s.base, "hello", cookieFor(me))
		if resp.StatusCode != c.status {
			t.Fatalf("%v: %d %q, want %d", c.err, resp.StatusCode, body, c.status)
		}
		if c.status == 503 && resp.Header.Get("Retry-After") == "" {
			t.Fatalf("503 without Retry-After")
		}
	}
}

// The publish API: a backend publishes on the chat's topic, signed with
// the secret; the message reaches the pages like any other.
func TestPublishAPI(t *testing.T) {
	const secret = "a secret for the test, long enough"
	s := start(t, chatOptions{secret: secret})
	sa := openSSE(t, s.base, "")
	sa.reset()
	wa := dialWS(t, s.addr, "")
	wa.reset()
	s.subscribers(t, 2)

	body := `{"topic":"chat","data":{"author":"rgb(9,9,9)","content":"from a backend"}}`
	sig := publishapi.Sign([]byte(secret), []byte(body), time.Now())
	resp, answer := do(t, s.base, "POST", "/publish", body, "Content-Type", "application/json", publishapi.SignatureHeader, sig)
	var published struct{ ID string }
	if resp.StatusCode != 200 || json.Unmarshal([]byte(answer), &published) != nil || published.ID == "" {
		t.Fatalf("POST /publish: %d %q", resp.StatusCode, answer)
	}
	want := got{published.ID, message{"rgb(9,9,9)", "from a backend"}}
	if m := sa.next(); m != want {
		t.Fatalf("SSE: %+v, want %+v", m, want)
	}
	if m := wa.next(); m != want {
		t.Fatalf("WebSocket: %+v, want %+v", m, want)
	}

	// Unsigned, or data larger than a chat message: refused.
	if resp, answer := do(t, s.base, "POST", "/publish", body, "Content-Type", "application/json"); resp.StatusCode != 401 {
		t.Fatalf("unsigned: %d %q, want 401", resp.StatusCode, answer)
	}
	big := `{"topic":"chat","data":"` + strings.Repeat("x", maxData+1) + `"}`
	sig = publishapi.Sign([]byte(secret), []byte(big), time.Now())
	if resp, answer := do(t, s.base, "POST", "/publish", big, "Content-Type", "application/json", publishapi.SignatureHeader, sig); resp.StatusCode != 400 {
		t.Fatalf("data of %d bytes: %d %q, want 400", maxData+1, resp.StatusCode, answer)
	}
}

// The history holds keep messages of the largest kind (maxMessage control
// characters, 6 bytes each in the data) within its byte budget: none is
// dropped for its size, and a new page gets them all.
func TestHistoryWithinBudget(t *testing.T) {
	s := start(t, chatOptions{})
	const longest = "rgb(255,255,255)"
	text := func(i int) string {
		if i%2 == 1 {
			return strings.Repeat("<", maxMessage) // \u003c
		}
		return strings.Repeat("\x01", maxMessage) // \u0001
	}
	for i := range keep {
		if resp, body := postAs(t, s.base, text(i), cookieFor(longest)); resp.StatusCode != 200 {
			t.Fatalf("message %d: %d %q", i, resp.StatusCode, body)
		}
	}
	st := s.ch.hub.Broker().(*pubsub.MemoryBroker).Stats()
	if st.Messages != keep || st.Bytes > keepBytes || st.TopicBudgetDrops != 0 || st.BrokerBudgetDrops != 0 {
		t.Fatalf("broker stats %+v, want %d messages kept within %d bytes", st, keep, keepBytes)
	}
	c := openSSE(t, s.base, "")
	c.reset()
	size := 0
	for i := range keep {
		e := c.event()
		size = max(size, len(e.Data))
		if m := decode(t, e.ID, e.Data); m.Content != text(i) {
			t.Fatalf("history, message %d: %.100q", i, e.Data)
		}
	}
	if size != maxData {
		t.Fatalf("the longest data has %d bytes, want maxData, %d", size, maxData)
	}
	p := answer(t, poll(t, s.base, ""), 200).messages(t)
	if len(p) != keep {
		t.Fatalf("a first poll: %d messages, want the %d of the history", len(p), keep)
	}
}

// --- Processes of the program, on a real Redis ---

// binary is the program built once for the tests that run it.
var binary struct {
	once sync.Once
	path string
	err  error
}

// buildBinary builds the program with go build (once) and returns its
// path.
func buildBinary(t *testing.T) string {
	t.Helper()
	binary.once.Do(func() {
		dir, err := os.MkdirTemp("", "cluster-chat-test")
		if err != nil {
			binary.err = err
			return
		}
		binDir = dir
		gobin, err := exec.LookPath("go")
		if err != nil {
			binary.err = fmt.Errorf("building the program: %w", err)
			return
		}
		path := filepath.Join(dir, "cluster-chat")
		out, err := exec.Command(gobin, "build", "-o", path, ".").CombinedOutput()
		if err != nil {
			binary.err = fmt.Errorf("go build: %v\n%s", err, out)
			return
		}
		binary.path = path
	})
	if binary.err != nil {
		t.Fatal(binary.err)
	}
	return binary.path
}

// binDir is the folder of the built program, removed after the tests.
var binDir string

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// proc is a running copy of the program.
type proc struct {
	cmd    *exec.Cmd
	addr   string // host:port it listens on
	base   string // http://host:port
	pid    string // its pid file
	stderr *testutil.Log
}

// runProgram runs the program with args to its end and returns its
// output (stdout and stderr) and exit status.
func runProgram(t *testing.T, bin string, env []string, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testutil.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return string(out), ee.ExitCode()
	case err != nil:
		t.Fatalf("%v: %v", args, err)
	}
	return string(out), 0
}

// startProgram runs "start" in the foreground with args before it, and
// waits until it listens. It is stopped (SIGTERM, exit 0) with stop, or
// killed when the test ends.
func startProgram(t *testing.T, bin string, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{pid: filepath.Join(t.TempDir(), "chat.pid"), stderr: &testutil.Log{}}
	args = append(args, "-listen", "127.0.0.1:0", "-pidfile", p.pid, "start")
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stderr = p.stderr
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
			_ = p.cmd.Wait()
		}
	})
	lines := make(chan string)
	go func() {
		defer close(lines)
		r := bufio.NewReader(out)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			lines <- line
		}
	}()
	timeout := time.After(testutil.Timeout)
	for p.addr == "" {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("%v exited before listening; stderr: %s", args, p.stderr.String())
			}
			if _, a, found := strings.Cut(line, "listening on "); found {
				p.addr = strings.TrimSpace(a)
			}
		case <-timeout:
			t.Fatalf("%v did not print its address; stderr: %s", args, p.stderr.String())
		}
	}
	go func() {
		for range lines {
		}
	}()
	p.base = "http://" + p.addr
	return p
}

// stop stops the program with SIGTERM and checks that it exits 0.
func (p *proc) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	if err := testutil.Recv(t, done, "the program's exit"); err != nil {
		t.Fatalf("exit: %v; stderr: %s", err, p.stderr.String())
	}
}

// The program's own flags come before the command word with the built-in
// ones; -h lists them all; a bad one is exit 2.
func TestCommandLine(t *testing.T) {
	bin := buildBinary(t)
	out, code := runProgram(t, bin, nil, "-h")
	for _, want := range []string{"-redis host:port", "-publish-secret secret", secretEnv, "-listen host:port", "-pidfile file", "start [-d]"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Fatalf("-h: exit %d, no %q in:\n%s", code, want, out)
		}
	}
	pid := filepath.Join(t.TempDir(), "x.pid")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-pidfile", pid, "-nope", "start"}, "flag provided but not defined: -nope"},
		{[]string{"-pidfile", pid, "-redis", "no-port", "start"}, "-redis: address no-port: missing port in address"},
		{[]string{"-pidfile", pid, "-redis", ":6379", "start"}, `-redis: ":6379": want host:port`},
		{[]string{"-pidfile", pid, "start", "-redis", "127.0.0.1:6379"}, "-redis goes before the command"},
	} {
		out, code := runProgram(t, bin, nil, c.args...)
		if code != 2 || !strings.Contains(out, c.want) {
			t.Errorf("%q: exit %d, output %q; want exit 2 and %q", c.args, code, out, c.want)
		}
	}
	// A command that reads the pid file alone.
	if out, code := runProgram(t, bin, nil, "-pidfile", pid, "status"); code != 1 || !strings.Contains(out, "not running") {
		t.Fatalf("status: exit %d, output %q", code, out)
	}
}

// Two processes of the program on one Redis are one chat: a message sent
// to either reaches the pages of both, over each kind of stream, with the
// same id; and a page that reconnects to the other process with the id of
// the last message it has gets exactly the ones it missed.
func TestTwoProcessesOnRedis(t *testing.T) {
	r := testutil.StartRedis(t)
	bin := buildBinary(t)
	const secret = "the secret of the test's publish API"
	env := []string{secretEnv + "=" + secret} // as an operator would, rather than -publish-secret
	a := startProgram(t, bin, env, "-redis", r.Addr)
	b := startProgram(t, bin, env, "-redis", r.Addr)
	procs := []*proc{a, b}

	// The first message, seen by a new page of a.
	first := openSSE(t, a.base, "")
	first.reset()
	post(t, a.base, "first")
	m0 := first.next()

	// Pages of both, of each kind, after the first message.
	type pages struct {
		sse *sseClient
		ws  *wsClient
		pol <-chan pollAnswer
	}
	var all []pages
	for _, p := range procs {
		all = append(all, pages{openSSE(t, p.base, m0.id), dialWS(t, p.addr, m0.id), poll(t, p.base, m0.id)})
	}
	post(t, a.base, "hello")
	m1 := first.next()
	if m1.Content != "hello" || m1.Author != me {
		t.Fatalf("a's first page: %+v", m1)
	}
	for i, pg := range all {
		if m := pg.sse.next(); m != m1 {
			t.Fatalf("process %d, SSE: %+v, want %+v", i, m, m1)
		}
		if m := pg.ws.next(); m != m1 {
			t.Fatalf("process %d, WebSocket: %+v, want %+v", i, m, m1)
		}
		if ms := answer(t, pg.pol, 200).messages(t); len(ms) != 1 || ms[0] != m1 {
			t.Fatalf("process %d, poll: %+v, want %+v", i, ms, m1)
		}
	}

	// The other way, and through the publish API.
	post(t, b.base, "from b")
	body := `{"topic":"chat","data":{"author":"rgb(9,9,9)","content":"from a backend"}}`
	resp, answerBody := do(t, a.base, "POST", "/publish", body, "Content-Type", "application/json",
		publishapi.SignatureHeader, publishapi.Sign([]byte(secret), []byte(body), time.Now()))
	if resp.StatusCode != 200 {
		t.Fatalf("POST /publish: %d %q", resp.StatusCode, answerBody)
	}
	m2 := all[0].sse.next()
	m3 := all[0].sse.next()
	if m2.Content != "from b" || m3.Content != "from a backend" || m3.Author != "rgb(9,9,9)" {
		t.Fatalf("a's SSE page: %+v, %+v", m2, m3)
	}
	for i, pg := range all {
		if i > 0 {
			if m := pg.sse.next(); m != m2 {
				t.Fatalf("process %d, SSE: %+v, want %+v", i, m, m2)
			}
			if m := pg.sse.next(); m != m3 {
				t.Fatalf("process %d, SSE: %+v, want %+v", i, m, m3)
			}
		}
		for _, want := range []got{m2, m3} {
			if m := pg.ws.next(); m != want {
				t.Fatalf("process %d, WebSocket: %+v, want %+v", i, m, want)
			}
		}
	}

	// A new page of b gets the history, which is Redis's, the same ids.
	nb := openSSE(t, b.base, "")
	nb.reset()
	for _, want := range []got{m0, m1, m2, m3} {
		if m := nb.next(); m != want {
			t.Fatalf("b's history: %+v, want %+v", m, want)
		}
	}

	// a's SSE page goes away; messages are sent meanwhile, to both; it
	// comes back to b with the id of the last message it had, and gets
	// exactly those it missed, then the live ones.
	gone := all[0].sse
	gone.close()
	post(t, b.base, "missed 1")
	post(t, a.base, "missed 2")
	back := openSSE(t, b.base, m3.id)
	var missed []got
	for _, want := range []string{"missed 1", "missed 2", "live"} {
		if want == "live" {
			post(t, a.base, "live")
		}
		m := back.next()
		if m.Content != want {
			t.Fatalf("back on b after %s: %+v, want %q", m3.id, m, want)
		}
		missed = append(missed, m)
	}
	// The same over the two other kinds, across processes too.
	ws := dialWS(t, b.addr, m3.id)
	for _, want := range missed {
		if m := ws.next(); m != want {
			t.Fatalf("WebSocket back on b: %+v, want %+v", m, want)
		}
	}
	if ms := answer(t, poll(t, a.base, m3.id), 200).messages(t); len(ms) != 3 || ms[0] != missed[0] || ms[2] != missed[2] {
		t.Fatalf("poll on a after %s: %+v, want %+v", m3.id, ms, missed)
	}

	// status reads one instance, by its pid file.
	out, code := runProgram(t, bin, nil, "-pidfile", a.pid, "status")
	if code != 0 || !strings.Contains(out, "cluster-chat") || !strings.Contains(out, a.addr) ||
		!strings.Contains(out, "by protocol: ") || !strings.Contains(out, "sse ") || !strings.Contains(out, "pubsub: ") {
		t.Fatalf("status of a: exit %d, output %q", code, out)
	}

	// Redis gone: sending is refused with 503, and the page sends again.
	r.Kill()
	if resp, body := postAs(t, a.base, "nobody hears", cookieFor(me)); resp.StatusCode != 503 {
		t.Fatalf("POST /send without Redis: %d %q, want 503", resp.StatusCode, body)
	}

	for _, p := range procs {
		p.stop(t)
	}
}

// The author cookie is the one value of a client's that the chat parses
// itself: whatever the Cookie header holds, the author is a valid colour
// (rgb(r,g,b), each part at most 255), the cookie's when it is one, and a
// new one is set otherwise.
func FuzzAuthorCookie(f *testing.F) {
	for _, s := range []string{
		cookieFor("rgb(1,2,3)"), cookieFor("rgb(255,255,255)"), cookieFor("rgb(256,0,0)"), cookieFor("rgb(1, 2, 3)"),
		cookieFor("red"), "", author.CookieName + "=rgb(1,2,3)", cookieFor(`rgb(1,2,3)"><script>`), cookieFor("rgb(001,2,3)"),
		cookieFor("rgb(1,2,3)\n"), "a=b; " + cookieFor("rgb(9,9,9)"), author.CookieName + "=%zz",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, cookie string) {
		var r http.Request
		r.Header.Add("Cookie", cookie)
		resp := http.NewResponse(200, "")
		color := author.Color(&r, resp)
		var red, green, blue int
		if n, err := fmt.Sscanf(color, "rgb(%d,%d,%d)", &red, &green, &blue); n != 3 || err != nil || !author.Valid(color) ||
			red > 255 || green > 255 || blue > 255 || !strings.HasSuffix(color, ")") {
			t.Fatalf("cookie %q: author %q is not a colour", cookie, color)
		}
		set := resp.Header.Get("Set-Cookie") != ""
		v, ok := r.Cookie(author.CookieName)
		sent, err := url.QueryUnescape(v)
		kept := ok && err == nil && sent == color
		if kept == set {
			t.Fatalf("cookie %q: author %q, Set-Cookie %q: want a new colour set exactly when the cookie's is not one", cookie, color, resp.Header.Get("Set-Cookie"))
		}
	})
}
