package publishapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	nethttp "net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/internal/testutil"
	"github.com/workerman-go/workerman/protocols/http"
	"github.com/workerman-go/workerman/protocols/sse"
	"github.com/workerman-go/workerman/pubsub"
	"github.com/workerman-go/workerman/pubsub/publishapi"
	"github.com/workerman-go/workerman/worker"
)

var secret = []byte("0123456789abcdef0123456789abcdef")

// server is an http:// worker that serves an API and, on GET
// /events/<topic>, an SSE stream of the topic.
type server struct {
	api  *publishapi.API
	hub  *pubsub.Hub
	w    *worker.Worker[*http.Request]
	base string // http://host:port
}

// startServer starts a worker of one event loop (so that a blocked loop
// would show) with the API made from opts; opts.Secret defaults to secret
// and opts.Hub to a new Hub. cfg is the worker's HTTP configuration.
func startServer(t *testing.T, opts publishapi.Options, cfg http.Config) *server {
	t.Helper()
	if opts.Secret == nil && !opts.Insecure {
		opts.Secret = secret
	}
	if opts.Hub == nil && opts.Targets == nil {
		opts.Hub = pubsub.NewHub(pubsub.Options{})
		t.Cleanup(func() { opts.Hub.Close() })
	}
	api, err := publishapi.New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	s := &server{api: api, hub: opts.Hub}
	s.w = worker.New("http://127.0.0.1:0", http.ProtocolWith(cfg))
	s.w.Count = 1
	s.w.OnMessage = func(c *connection.Conn, r *http.Request) {
		if api.Serve(c, r) {
			return
		}
		if topic, ok := strings.CutPrefix(r.Path, "/events/"); ok {
			st, err := sse.Start(c, r, sse.Options{Heartbeat: -1})
			if err != nil {
				return
			}
			if _, err := s.hub.Subscribe(c, topic, pubsub.SSE, pubsub.SubscribeOptions{After: st.LastEventID()}); err != nil {
				c.Close()
			}
			return
		}
		c.Send(http.NewResponse(404, "not found\n"))
	}
	s.base = "http://" + testutil.Start(t, s.w)
	return s
}

// startFuncSubscriber starts a worker whose one connection subscribes to
// topic on hub with SubscribeFunc, handing each message to got.
func startFuncSubscriber(t *testing.T, hub *pubsub.Hub, topic string, got chan<- pubsub.Message) {
	t.Helper()
	w := worker.New("http://127.0.0.1:0", http.Protocol())
	w.OnMessage = func(c *connection.Conn, r *http.Request) {
		_, err := hub.SubscribeFunc(c, topic, func(ms []pubsub.Message) {
			for _, m := range ms {
				got <- m
			}
		}, pubsub.SubscribeOptions{})
		if err != nil {
			t.Errorf("subscribe: %v", err)
		}
	}
	conn := testutil.Dial(t, nil, testutil.Start(t, w))
	if _, err := io.WriteString(conn, "GET /subscribe HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, "the subscriber", func() bool { return hub.Stats().Subscribers == 1 })
}

// client is the HTTP client of the tests: bounded in time.
var client = &nethttp.Client{Timeout: testutil.Timeout}

// answer is a response of the API.
type answer struct {
	status int
	header nethttp.Header
	body   string
	json   map[string]any
}

func (a answer) String() string { return fmt.Sprintf("%d %s", a.status, strings.TrimSpace(a.body)) }

// field returns the JSON body's string field name.
func (a answer) field(name string) string {
	s, _ := a.json[name].(string)
	return s
}

// do sends a request to the server; header holds name, value pairs.
func (s *server) do(t *testing.T, method, path, body string, header ...string) answer {
	t.Helper()
	a, err := s.try(method, path, body, header...)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// try is do for any goroutine: it returns its failure.
func (s *server) try(method, path, body string, header ...string) (answer, error) {
	req, err := nethttp.NewRequest(method, s.base+path, strings.NewReader(body))
	if err != nil {
		return answer{}, err
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		return answer{}, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{}, fmt.Errorf("%s %s: reading the body: %w", method, path, err)
	}
	a := answer{status: resp.StatusCode, header: resp.Header, body: string(b)}
	if method != "HEAD" && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(b, &a.json); err != nil {
			return answer{}, fmt.Errorf("%s %s: the answer %q is not a JSON object: %w", method, path, b, err)
		}
	}
	return a, nil
}

// signedHeader is the header of a request with body, signed with secret
// now.
func signedHeader(body string) []string {
	return []string{"Content-Type", "application/json",
		publishapi.SignatureHeader, publishapi.Sign(secret, []byte(body), time.Now())}
}

// publish sends body to /publish, signed with secret now.
func (s *server) publish(t *testing.T, body string) answer {
	t.Helper()
	return s.do(t, "POST", "/publish", body, signedHeader(body)...)
}

// expect checks an answer's status and, for an error, that its JSON error
// contains want.
func expect(t *testing.T, what string, a answer, status int, want string) {
	t.Helper()
	if a.status != status {
		t.Fatalf("%s: %s, want %d", what, a, status)
	}
	if a.header.Get("Content-Type") != "application/json" {
		t.Fatalf("%s: Content-Type %q, want application/json", what, a.header.Get("Content-Type"))
	}
	if status != 200 && !strings.Contains(a.field("error"), want) {
		t.Fatalf("%s: error %q, want it to contain %q", what, a.field("error"), want)
	}
}

// stream is an SSE client of /events/<topic>.
type stream struct {
	dec *sse.Decoder
}

// openStream opens the stream of topic and waits until the hub has n
// subscribers.
func (s *server) openStream(t *testing.T, topic string, n int) *stream {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testutil.Timeout)
	t.Cleanup(cancel)
	req, _ := nethttp.NewRequestWithContext(ctx, "GET", s.base+"/events/"+topic, nil)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := nethttp.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("stream: %v %v", resp, err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	testutil.Eventually(t, fmt.Sprintf("%d subscribers", n), func() bool { return s.hub.Stats().Subscribers == n })
	return &stream{dec: sse.NewDecoder(resp.Body, &sse.Parser{})}
}

func (st *stream) next(t *testing.T) sse.Event {
	t.Helper()
	e, err := st.dec.Next()
	if err != nil {
		t.Fatalf("reading an event: %v", err)
	}
	return e
}

// fakeTargets records what it is asked to send; err, when set, is what it
// returns.
type fakeTargets struct {
	mu    sync.Mutex
	calls []string
	err   error
}

func (f *fakeTargets) SendToUid(ctx context.Context, uid, data string) error {
	return f.record(ctx, fmt.Sprintf("uid %s: %s", uid, data))
}

func (f *fakeTargets) SendToGroup(ctx context.Context, group, data string, exclude ...string) error {
	return f.record(ctx, fmt.Sprintf("group %s: %s, exclude %q", group, data, exclude))
}

func (f *fakeTargets) record(ctx context.Context, call string) error {
	if _, ok := ctx.Deadline(); !ok {
		return fmt.Errorf("%s: the context has no deadline", call)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call)
	return f.err
}

func (f *fakeTargets) take() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	calls := f.calls
	f.calls = nil
	return calls
}

func (f *fakeTargets) fail(err error) {
	f.mu.Lock()
	f.err = err
	f.mu.Unlock()
}

// fakeBroker is a MemoryBroker whose Publish a test can make fail or hold
// until the test lets it go.
type fakeBroker struct {
	*pubsub.MemoryBroker

	mu      sync.Mutex
	err     error         // returned by Publish, when set
	gate    chan struct{} // when set, Publish waits for it to close (or its context)
	waiting int           // Publish calls waiting at the gate
}

func newFakeBroker(t *testing.T) *fakeBroker {
	b := &fakeBroker{MemoryBroker: pubsub.NewMemoryBroker(pubsub.MemoryBrokerOptions{})}
	t.Cleanup(func() { b.Close() })
	return b
}

func (b *fakeBroker) Publish(ctx context.Context, m pubsub.Message) (pubsub.Message, error) {
	b.mu.Lock()
	err, gate := b.err, b.gate
	if gate != nil {
		b.waiting++
	}
	b.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return pubsub.Message{}, fmt.Errorf("fake broker: %w", ctx.Err())
		}
	}
	if err != nil {
		return pubsub.Message{}, err
	}
	return b.MemoryBroker.Publish(ctx, m)
}

func (b *fakeBroker) fail(err error) {
	b.mu.Lock()
	b.err = err
	b.mu.Unlock()
}

// hold makes Publish wait until the returned function is called.
func (b *fakeBroker) hold() (release func()) {
	gate := make(chan struct{})
	b.mu.Lock()
	b.gate = gate
	b.mu.Unlock()
	return func() {
		b.mu.Lock()
		b.gate = nil
		b.waiting = 0
		b.mu.Unlock()
		close(gate)
	}
}

func (b *fakeBroker) held() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.waiting
}
