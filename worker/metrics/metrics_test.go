package metrics

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	nethttp "net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/internal/testutil"
	"github.com/workerman-go/workerman/protocols/http"
	"github.com/workerman-go/workerman/protocols/sse"
	"github.com/workerman-go/workerman/protocols/tcp"
	"github.com/workerman-go/workerman/protocols/text"
	"github.com/workerman-go/workerman/protocols/websocket"
	"github.com/workerman-go/workerman/protocols/websocket/wsframe"
	"github.com/workerman-go/workerman/pubsub"
	"github.com/workerman-go/workerman/worker"
)

var client = &nethttp.Client{Timeout: testutil.Timeout}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// serve starts the endpoints on a port of their own for the test and
// returns their base URL.
func serve(t *testing.T) string {
	t.Helper()
	stop, err := Serve("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	// No status rendered by an earlier test.
	reportCache.mu.Lock()
	reportCache.text = ""
	reportCache.mu.Unlock()
	return "http://" + served.Load()
}

// scrape gets /metrics and parses it with Prometheus's text parser.
func scrape(t *testing.T, base string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := client.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("/metrics: %d %s", resp.StatusCode, b)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("/metrics: Content-Type %q", ct)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	return mfs
}

// value returns the value of the sample of family name whose labels
// include labels (name=value pairs), and whether there is one.
func value(mfs map[string]*dto.MetricFamily, name string, labels ...string) (float64, bool) {
	mf := mfs[name]
	if mf == nil {
		return 0, false
	}
next:
	for _, m := range mf.GetMetric() {
		for i := 0; i+1 < len(labels); i += 2 {
			found := false
			for _, lp := range m.GetLabel() {
				if lp.GetName() == labels[i] && lp.GetValue() == labels[i+1] {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

func mustValue(t *testing.T, mfs map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	t.Helper()
	v, ok := value(mfs, name, labels...)
	if !ok {
		t.Fatalf("/metrics has no %s%v", name, labels)
	}
	return v
}

// A Worker with a client and a Hub with a subscriber, scraped; then the
// Worker stops and is no longer ready.
func TestMetricsAndHealth(t *testing.T) {
	hub := pubsub.NewHub(pubsub.Options{})
	t.Cleanup(func() { hub.Close() })
	RegisterHub("chat", hub)
	t.Cleanup(func() { RegisterHub("chat", nil) })

	w := worker.New("text://127.0.0.1:0", text.Protocol())
	w.Name = "metrics-test"
	w.OnConnect = func(c *connection.Conn) {
		if _, err := hub.Subscribe(c, "news", pubsub.Raw, pubsub.SubscribeOptions{}); err != nil {
			c.Close()
		}
	}
	w.OnMessage = func(c *connection.Conn, line string) { c.Send(line) }
	addr := testutil.Start(t, w)
	c := testutil.Dial(t, nil, addr)
	if _, err := io.WriteString(c, "hello\n"); err != nil {
		t.Fatal(err)
	}
	if b := make([]byte, 6); func() bool { _, err := io.ReadFull(c, b); return err != nil || string(b) != "hello\n" }() {
		t.Fatal("no echo")
	}
	testutil.Eventually(t, "a subscriber", func() bool { return hub.Stats().Subscribers == 1 })

	base := serve(t)
	code, body := get(t, base+"/metrics")
	if code != 200 {
		t.Fatalf("/metrics: %d %s", code, body)
	}
	for _, want := range []string{
		`workerman_up{worker="metrics-test"} 1`,
		`workerman_connections{worker="metrics-test"} 1`,
		`workerman_connections_by_protocol{protocol="text",worker="metrics-test"} 1`,
		`workerman_connections_accepted_total{worker="metrics-test"} 1`,
		`workerman_messages_total{worker="metrics-test"} 1`,
		`workerman_bytes_read_total{worker="metrics-test"} 6`,
		`workerman_loop_connections{loop="0",worker="metrics-test"}`,
		`workerman_loop_queue_length{loop="0",worker="metrics-test"}`,
		`workerman_buffer_full_total{worker="metrics-test"} 0`,
		`workerman_loop_task_latency_seconds_bucket{worker="metrics-test",le="+Inf"}`,
		`workerman_http_responses_total{class="2xx"}`,
		`workerman_websocket_messages_total{direction="sent"}`,
		`workerman_up{worker="metrics"} 1`,
		`pubsub_subscribers{hub="chat"} 1`,
		`pubsub_topics{hub="chat"} 1`,
		`go_goroutines `,
		`process_resident_memory_bytes `,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if code, body := get(t, base+"/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz: %d %q", code, body)
	}
	if code, body := get(t, base+"/readyz"); code != 200 || body != "ready\n" {
		t.Errorf("/readyz while listening: %d %q", code, body)
	}
	if code, _ := get(t, base+"/nothing-here"); code != 404 {
		t.Errorf("/nothing-here: %d, want 404", code)
	}
	resp, err := client.Post(base+"/metrics", "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 || resp.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST /metrics: %d, Allow %q; want 405, GET, HEAD", resp.StatusCode, resp.Header.Get("Allow"))
	}

	ctx, cancel := context.WithTimeout(context.Background(), testutil.Timeout)
	defer cancel()
	if err := w.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	// A stopped Worker has left the process's set of Workers; the metrics
	// Worker itself does not make the process ready.
	if code, body := get(t, base+"/readyz"); code != 503 || !strings.Contains(body, "no worker is running") {
		t.Errorf("/readyz after the stop: %d %q", code, body)
	}
	if _, body := get(t, base+"/metrics"); strings.Contains(body, `worker="metrics-test"`) {
		t.Error("a stopped Worker is still in /metrics")
	}
}

// The counters move with the traffic: HTTP responses by class, WebSocket
// messages each way, a send buffer that fills up, the loops' task latency.
func TestCountersMoveWithTraffic(t *testing.T) {
	// An HTTP Worker: 200 on /, 404 elsewhere.
	hw := worker.New("http://127.0.0.1:0", http.Protocol())
	hw.Name = "web"
	hw.OnMessage = func(c *connection.Conn, r *http.Request) {
		if r.Path == "/" {
			c.Send("hello")
			return
		}
		c.Send(http.NewResponse(404, "no\n"))
	}
	haddr := testutil.Start(t, hw)

	// A WebSocket echo Worker.
	ww := worker.New("websocket://127.0.0.1:0", websocket.Protocol(websocket.Options{}))
	ww.Name = "ws"
	ww.OnMessage = func(c *connection.Conn, m websocket.Message) { c.Send(m) }
	waddr := testutil.Start(t, ww)

	// A Worker whose connections' send buffers fill up at once: 1 KiB,
	// and a 4 KiB message on connect.
	conns := make(chan *connection.Conn, 1)
	fw := worker.New("tcp://127.0.0.1:0", tcp.Protocol())
	fw.Name = "full"
	fw.Count = 1
	fw.MaxSendBufferSize = 1024
	fw.OnError = func(*connection.Conn, error) {} // the refused send is expected
	fw.OnConnect = func(c *connection.Conn) {
		c.Send(make([]byte, 4096))
		conns <- c
	}
	faddr := testutil.Start(t, fw)

	base := serve(t)
	before := scrape(t, base)

	// HTTP: one 200 and one 404.
	if code, _ := get(t, "http://"+haddr+"/"); code != 200 {
		t.Fatalf("GET /: %d", code)
	}
	if code, _ := get(t, "http://"+haddr+"/missing"); code != 404 {
		t.Fatalf("GET /missing: %d", code)
	}

	// WebSocket: one message each way, with a raw client (the framework's
	// own client would count its messages too).
	wsEcho(t, waddr, "ping me")

	// A full buffer, then work handed to the loop from outside it until a
	// wake-up has been timed.
	testutil.Dial(t, nil, faddr)
	fc := testutil.Recv(t, conns, "the connection")
	onLoop(t, fc.Loop()) // OnConnect's sends are flushed: the buffer was full

	after := scrape(t, base)
	delta := func(name string, labels ...string) float64 {
		return mustValue(t, after, name, labels...) - mustValue(t, before, name, labels...)
	}
	// The first scrape's own 200 is counted after it was gathered.
	if d := delta("workerman_http_responses_total", "class", "2xx"); d != 2 {
		t.Errorf("2xx moved by %v, want 2 (GET / and the first scrape)", d)
	}
	if d := delta("workerman_http_responses_total", "class", "4xx"); d != 1 {
		t.Errorf("4xx moved by %v, want 1", d)
	}
	if d := delta("workerman_websocket_messages_total", "direction", "received"); d != 1 {
		t.Errorf("WebSocket messages received moved by %v, want 1", d)
	}
	if d := delta("workerman_websocket_messages_total", "direction", "sent"); d != 1 {
		t.Errorf("WebSocket messages sent moved by %v, want 1", d)
	}
	if v := mustValue(t, after, "workerman_buffer_full_total", "worker", "full"); v != 1 {
		t.Errorf("buffer full of worker full: %v, want 1", v)
	}
	if v := mustValue(t, after, "workerman_send_failures_total", "worker", "full"); v != 1 {
		t.Errorf("send failures of worker full: %v, want 1", v)
	}
	if v := mustValue(t, after, "workerman_connections_by_protocol", "worker", "ws", "protocol", "websocket"); v != 1 {
		t.Errorf("WebSocket connections: %v, want 1", v)
	}
	if v := mustValue(t, after, "workerman_loop_queue_length", "worker", "full", "loop", "0"); v != 0 {
		t.Errorf("queue of an idle loop: %v, want 0", v)
	}

	// The task latency: a histogram whose count grows with the wake-ups
	// of the loop (a Run from this goroutine queues one when the loop is
	// idle; one that finds it busy is picked up without a wake-up).
	initial := mustValue(t, after, "workerman_loop_task_latency_seconds", "worker", "full")
	testutil.Eventually(t, "a timed wake-up of the loop", func() bool {
		onLoop(t, fc.Loop())
		return mustValue(t, scrape(t, base), "workerman_loop_task_latency_seconds", "worker", "full") > initial
	})
	h := after["workerman_loop_task_latency_seconds"]
	if h.GetType() != dto.MetricType_HISTOGRAM {
		t.Fatalf("task latency is a %v, want a histogram", h.GetType())
	}
	for _, m := range h.GetMetric() {
		bs := m.GetHistogram().GetBucket()
		if len(bs) == 0 || bs[len(bs)-1].GetCumulativeCount() > m.GetHistogram().GetSampleCount() {
			t.Errorf("task latency buckets %v of %d samples", bs, m.GetHistogram().GetSampleCount())
		}
	}
}

// onLoop runs a task on l and waits for it: what l was asked to do before
// is done.
func onLoop(t *testing.T, l *connection.Loop) {
	t.Helper()
	done := make(chan struct{})
	l.Run(func() { close(done) })
	testutil.Recv(t, done, "a loop task")
}

// wsEcho sends one text message over a new WebSocket connection to addr,
// with a raw client, and checks its echo.
func wsEcho(t *testing.T, addr, msg string) {
	t.Helper()
	c := testutil.Dial(t, nil, addr)
	_ = c.SetDeadline(time.Now().Add(testutil.Timeout))
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: "+addr+"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(c)
	status, err := r.ReadString('\n')
	if err != nil || !strings.HasPrefix(status, "HTTP/1.1 101") {
		t.Fatalf("handshake: %q %v", status, err)
	}
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if line == "\r\n" {
			break
		}
	}
	frame := wsframe.AppendFrame(nil, wsframe.FrameHeader{Fin: true, Opcode: wsframe.OpText, Masked: true, MaskKey: [4]byte{7, 1, 2, 3}}, msg)
	if _, err := c.Write(frame); err != nil {
		t.Fatal(err)
	}
	echo := make([]byte, 2+len(msg)) // an unmasked frame of fewer than 126 bytes
	if _, err := io.ReadFull(r, echo); err != nil {
		t.Fatal(err)
	}
	if echo[0] != 0x81 || int(echo[1]) != len(msg) || string(echo[2:]) != msg {
		t.Fatalf("echo %q, want a text frame of %q", echo, msg)
	}
}

// /status is a page that shows the status; /status/events streams it,
// one event a second.
func TestStatusPageAndEvents(t *testing.T) {
	w := worker.New("text://127.0.0.1:0", text.Protocol())
	w.Name = "status-<test>" // escaped in the page
	w.OnMessage = func(c *connection.Conn, line string) {}
	testutil.Start(t, w)
	base := serve(t)

	resp, err := client.Get(base + "/status")
	if err != nil {
		t.Fatal(err)
	}
	page, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("/status: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{"<!doctype html>", "WORKERMAN-GO STATUS", "status-&lt;test&gt;", "new EventSource('status/events')"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("/status lacks %q", want)
		}
	}
	if strings.Contains(string(page), "status-<test>") {
		t.Error("/status shows a Worker's name unescaped")
	}

	// The stream: read events until two have carried the status.
	c := testutil.Dial(t, nil, served.Load())
	_ = c.SetDeadline(time.Now().Add(testutil.Timeout))
	if _, err := io.WriteString(c, "GET /status/events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(c)
	head, err := r.ReadString('\n')
	if err != nil || !strings.HasPrefix(head, "HTTP/1.1 200") {
		t.Fatalf("/status/events: %q %v", head, err)
	}
	events, inEvent, sawType := 0, false, false
	for events < 2 {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("after %d events: %v", events, err)
		}
		line = strings.TrimRight(line, "\r\n")
		if strings.HasPrefix(strings.ToLower(line), "content-type: text/event-stream") {
			sawType = true
		}
		if strings.HasPrefix(line, "data: ") && strings.Contains(line, "WORKERMAN-GO STATUS") {
			inEvent = true
		}
		if line == "" && inEvent {
			events++
			inEvent = false
		}
	}
	if !sawType {
		t.Error("/status/events is not text/event-stream")
	}
}

// /readyz asks the brokers of the registered Hubs: a broker that does not
// answer makes the process not ready.
func TestReadyzAsksTheBroker(t *testing.T) {
	w := worker.New("text://127.0.0.1:0", text.Protocol())
	w.OnMessage = func(c *connection.Conn, line string) {}
	testutil.Start(t, w)
	base := serve(t)

	b := &pingBroker{Broker: pubsub.NewMemoryBroker(pubsub.MemoryBrokerOptions{})}
	hub := pubsub.NewHub(pubsub.Options{Broker: b})
	t.Cleanup(func() { hub.Close() })
	RegisterHub("pinged", hub)
	t.Cleanup(func() { RegisterHub("pinged", nil) })

	if code, body := get(t, base+"/readyz"); code != 200 {
		t.Errorf("/readyz with the broker up: %d %q", code, body)
	}
	b.down.Store(true)
	if code, body := get(t, base+"/readyz"); code != 503 || !strings.Contains(body, `hub "pinged"`) || !strings.Contains(body, "broker down") {
		t.Errorf("/readyz with the broker down: %d %q", code, body)
	}
}

// pingBroker is a memory broker with a Ping, as a Redis broker has.
type pingBroker struct {
	pubsub.Broker
	down atomic.Bool
}

func (b *pingBroker) Ping(context.Context) error {
	if b.down.Load() {
		return fmt.Errorf("broker down: %w", pubsub.ErrUnavailable)
	}
	return nil
}

// The -metrics flag is on the command line, and a bad address stops the
// start with an error that names it.
func TestFlagAndBadAddress(t *testing.T) {
	if worker.Flags.Lookup("metrics") == nil {
		t.Fatal("no -metrics flag on worker.Flags")
	}
	n := len(worker.Snapshot())
	if _, err := Serve("127.0.0.1:no-port"); err == nil || !strings.Contains(err.Error(), "127.0.0.1:no-port") {
		t.Fatalf("Serve on a bad address: %v", err)
	}
	if len(worker.Snapshot()) != n {
		t.Error("a Serve refused for its address left a Worker behind")
	}
	// An address in use.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if _, err := Serve(ln.Addr().String()); err == nil || !strings.Contains(err.Error(), ln.Addr().String()) {
		t.Fatalf("Serve on an address in use: %v", err)
	}
}

// HTTP/2 connections and their streams are counted apart: "h2" for the
// connection, "sse/h2" for each event stream it carries.
func TestHTTP2ConnectionsAndStreams(t *testing.T) {
	hw := worker.New("http://127.0.0.1:0", http.Protocol())
	hw.Name = "h2"
	hw.OnMessage = func(c *connection.Conn, r *http.Request) {
		if _, err := sse.Start(c, r, sse.Options{}); err == nil {
			c.Send(sse.Event{Data: "open"})
		}
	}
	haddr := testutil.Start(t, hw)
	base := serve(t)

	protos := new(nethttp.Protocols)
	protos.SetUnencryptedHTTP2(true)
	tr := &nethttp.Transport{Protocols: protos}
	defer tr.CloseIdleConnections()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for i := range 3 {
		req, _ := nethttp.NewRequestWithContext(ctx, "GET", "http://"+haddr+"/", nil)
		req.Header.Set("Accept", "text/event-stream")
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatalf("stream %d: %v", i, err)
		}
		defer resp.Body.Close()
		buf := make([]byte, 64)
		if n, err := resp.Body.Read(buf); err != nil || !strings.Contains(string(buf[:n]), "data: open") || resp.ProtoMajor != 2 {
			t.Fatalf("stream %d: %s %q %v", i, resp.Proto, buf[:n], err)
		}
	}
	after := scrape(t, base)
	if v := mustValue(t, after, "workerman_connections_by_protocol", "worker", "h2", "protocol", "h2"); v != 1 {
		t.Errorf("HTTP/2 connections: %v, want 1", v)
	}
	if v := mustValue(t, after, "workerman_connections_by_protocol", "worker", "h2", "protocol", "sse/h2"); v != 3 {
		t.Errorf("event streams over HTTP/2: %v, want 3", v)
	}
}
