package pubsub_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	nethttp "net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/internal/testutil"
	"github.com/workerman-go/workerman/protocols/http"
	"github.com/workerman-go/workerman/protocols/sse"
	"github.com/workerman-go/workerman/pubsub"
	"github.com/workerman-go/workerman/worker"
)

const testTimeout = testutil.Timeout

func serve(t *testing.T, loops, maxSend int, onMessage func(c *connection.Conn, r *http.Request)) *worker.Worker[*http.Request] {
	t.Helper()
	w := worker.New("http://127.0.0.1:0", http.Protocol())
	w.Count = loops
	w.MaxSendBufferSize = maxSend
	w.OnMessage = onMessage
	testutil.Start(t, w)
	return w
}

// sseServer streams topic "news" to every client, resuming from
// Last-Event-ID; on a gap it sends a "snapshot" event first.
func sseServer(t *testing.T, hub *pubsub.Hub, loops, maxSend int) *worker.Worker[*http.Request] {
	return serve(t, loops, maxSend, func(c *connection.Conn, r *http.Request) {
		s, err := sse.Start(c, r, sse.Options{Heartbeat: -1})
		if err != nil {
			return
		}
		_, err = hub.Subscribe(c, "news", pubsub.SSE, pubsub.SubscribeOptions{
			After: s.LastEventID(),
			OnGap: func(err error) { s.Send(sse.Event{Event: "snapshot", Data: "state"}) },
		})
		if err != nil {
			t.Errorf("subscribe: %v", err)
		}
	})
}

// sseClient is a client of an event stream.
type sseClient struct {
	conn net.Conn
	dec  *sse.Decoder
}

// dialSSE opens the stream GET /news, with a Last-Event-ID unless lastID
// is "".
func dialSSE(t *testing.T, addr, lastID string) *sseClient {
	t.Helper()
	return dialSSEWith(t, &net.Dialer{Timeout: testTimeout}, addr, "/news", lastID)
}

func dialSSEWith(t *testing.T, d *net.Dialer, addr, path, lastID string) *sseClient {
	t.Helper()
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(testTimeout))
	req := "GET " + path + " HTTP/1.1\r\nHost: h\r\nAccept: text/event-stream\r\n"
	if lastID != "" {
		req += "Last-Event-ID: " + lastID + "\r\n"
	}
	io.WriteString(c, req+"\r\n")
	br := bufio.NewReader(c)
	resp, err := nethttp.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("stream: %v %v", resp, err)
	}
	return &sseClient{conn: c, dec: sse.NewDecoder(resp.Body, &sse.Parser{})}
}

func (cl *sseClient) next(t *testing.T) sse.Event {
	t.Helper()
	e, err := cl.dec.Next()
	if err != nil {
		t.Fatalf("reading an event: %v", err)
	}
	return e
}

// idOf maps the data of the messages publishN published to their ids.
var idOf = map[string]string{}

func publishN(t *testing.T, hub *pubsub.Hub, from, to int) {
	t.Helper()
	for i := from; i <= to; i++ {
		m, err := hub.Publish(ctx, "news", pubsub.Message{Data: "m" + strconv.Itoa(i)})
		if err != nil {
			t.Fatal(err)
		}
		idOf[m.Data] = m.ID
	}
}

// waitSubscribers waits until the hub has n subscriptions.
func waitSubscribers(t *testing.T, hub *pubsub.Hub, n int) {
	t.Helper()
	testutil.Eventually(t, fmt.Sprintf("%d subscribers", n), func() bool { return hub.Stats().Subscribers == n })
}

// Disconnect, publish 5, reconnect with Last-Event-ID: exactly those 5,
// then live messages, without duplicates.
func TestReplayAfterReconnect(t *testing.T) {
	hub := pubsub.NewHub(pubsub.Options{})
	defer hub.Close()
	w := sseServer(t, hub, 2, 0)

	cl := dialSSE(t, w.Addr(), "")
	waitSubscribers(t, hub, 1)
	publishN(t, hub, 1, 3)
	var last string
	for i := 1; i <= 3; i++ {
		e := cl.next(t)
		if e.Data != "m"+strconv.Itoa(i) {
			t.Fatalf("live event %d: %+v", i, e)
		}
		last = e.ID
	}
	cl.conn.Close()
	waitSubscribers(t, hub, 0)

	publishN(t, hub, 4, 8) // missed while away
	cl2 := dialSSE(t, w.Addr(), last)
	waitSubscribers(t, hub, 1)
	publishN(t, hub, 9, 9) // live again
	for i := 4; i <= 9; i++ {
		if e := cl2.next(t); e.Data != "m"+strconv.Itoa(i) || e.ID != idOf[e.Data] {
			t.Fatalf("after reconnect, event %d: %+v", i, e)
		}
	}
}

// An id older than the buffer: the app is told (and sends a snapshot).
func TestGapIsReported(t *testing.T) {
	hub := pubsub.NewHub(pubsub.Options{ReplayCount: 3})
	defer hub.Close()
	w := sseServer(t, hub, 1, 0)
	publishN(t, hub, 1, 10)
	cl := dialSSE(t, w.Addr(), idOf["m2"]) // 3..7 are gone
	waitSubscribers(t, hub, 1)
	if e := cl.next(t); e.Event != "snapshot" {
		t.Fatalf("first event %+v, want the snapshot", e)
	}
	publishN(t, hub, 11, 11)
	if e := cl.next(t); e.Data != "m11" {
		t.Fatalf("after the snapshot: %+v", e)
	}
	cl.conn.Close()
	waitSubscribers(t, hub, 0)

	// The buffer holds 9, 10, 11. Resuming after 8 (just before it) is no
	// gap: 9, 10, 11 are replayed. Resuming after 11 (the newest) replays
	// nothing.
	cl8 := dialSSE(t, w.Addr(), idOf["m8"])
	for i := 9; i <= 11; i++ {
		if e := cl8.next(t); e.Data != "m"+strconv.Itoa(i) {
			t.Fatalf("resuming after 8, event %d: %+v", i, e)
		}
	}
	cl11 := dialSSE(t, w.Addr(), idOf["m11"])
	waitSubscribers(t, hub, 2)
	publishN(t, hub, 12, 12)
	for _, c := range []*sseClient{cl8, cl11} {
		if e := c.next(t); e.Data != "m12" {
			t.Fatalf("live after resuming: %+v", e)
		}
	}
	if n := hub.Stats().Gaps; n != 1 {
		t.Fatalf("gaps counted: %d", n)
	}
}

// Options.ReplayBytes bounds the Hub's broker: a client resuming from a
// message dropped for the budget is told (OnGap), as for one dropped for the
// count; Hub.Broker reaches the broker's stats.
func TestGapAfterByteBudget(t *testing.T) {
	hub := pubsub.NewHub(pubsub.Options{ReplayBytes: 3 << 10})
	defer hub.Close()
	w := sseServer(t, hub, 1, 0)
	for i := 1; i <= 10; i++ {
		m, err := hub.Publish(ctx, "news", pubsub.Message{Data: "m" + strconv.Itoa(i) + strings.Repeat(".", 1000)})
		if err != nil {
			t.Fatal(err)
		}
		idOf["m"+strconv.Itoa(i)] = m.ID
	}
	st := hub.Broker().(*pubsub.MemoryBroker).Stats()
	if st.Messages != 2 || st.Bytes > 3<<10 || st.TopicBudgetDrops != 8 {
		t.Fatalf("broker stats %+v, want 2 messages kept within 3 KiB", st)
	}
	cl := dialSSE(t, w.Addr(), idOf["m7"]) // 8 is gone
	if e := cl.next(t); e.Event != "snapshot" {
		t.Fatalf("first event %+v, want the snapshot", e)
	}
	cl8 := dialSSE(t, w.Addr(), idOf["m8"])
	for i := 9; i <= 10; i++ {
		if e := cl8.next(t); !strings.HasPrefix(e.Data, "m"+strconv.Itoa(i)+".") {
			t.Fatalf("resuming after 8, event %d: %+v", i, e)
		}
	}
	if n := hub.Stats().Gaps; n != 1 {
		t.Fatalf("gaps counted: %d", n)
	}
}

// Every subscriber on every loop receives every message, in order.
func TestFanOut(t *testing.T) {
	hub := pubsub.NewHub(pubsub.Options{})
	defer hub.Close()
	w := sseServer(t, hub, 2, 0)
	const clients, msgs = 60, 200
	var cls []*sseClient
	for range clients {
		cls = append(cls, dialSSE(t, w.Addr(), ""))
	}
	waitSubscribers(t, hub, clients)
	go func() {
		for i := 1; i <= msgs; i++ {
			hub.Publish(ctx, "news", pubsub.Message{Data: "m" + strconv.Itoa(i)})
		}
	}()
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for _, cl := range cls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 1; i <= msgs; i++ {
				e, err := cl.dec.Next()
				if err != nil || e.Data != "m"+strconv.Itoa(i) {
					errs <- fmt.Errorf("message %d: %+v %v", i, e, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if d := hub.Stats().Delivered; d != clients*msgs {
		t.Fatalf("delivered %d, want %d", d, clients*msgs)
	}
}

// A subscriber that stops reading is disconnected; the others get
// everything.
func TestSlowSubscriberEvicted(t *testing.T) {
	hub := pubsub.NewHub(pubsub.Options{})
	defer hub.Close()
	w := sseServer(t, hub, 1, 64<<10)
	dialSSEWith(t, testutil.SmallWindowDialer, w.Addr(), "/news", "") // reads nothing after the head
	fast := dialSSE(t, w.Addr(), "")
	waitSubscribers(t, hub, 2)
	big := strings.Repeat("x", 8<<10)
	done := make(chan error, 1)
	go func() {
		for i := 1; ; i++ {
			e, err := fast.dec.Next()
			switch {
			case err != nil || !strings.HasSuffix(e.ID, "-"+strconv.Itoa(i)):
				done <- fmt.Errorf("fast subscriber, message %d: %+v %v", i, e.ID, err)
				return
			case e.Event == "end":
				done <- nil
				return
			}
		}
	}()
	// Publish until the kernel's buffers for the slow client (a few MiB on
	// loopback) and its 64 KiB send buffer are full and it is evicted.
	for i := 1; hub.Stats().Evicted == 0; i++ {
		if i > 64<<20/len(big) {
			t.Fatal("no eviction after 64 MiB")
		}
		hub.Publish(ctx, "news", pubsub.Message{Data: big})
		if i%16 == 0 {
			time.Sleep(time.Millisecond) // let the fast one keep up
		}
	}
	hub.Publish(ctx, "news", pubsub.Message{Event: "end", Data: "end"})
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	waitSubscribers(t, hub, 1)
	if n := hub.Stats().Evicted; n != 1 {
		t.Fatalf("%d subscribers evicted, want 1", n)
	}
}

// Long polling: 50 clients, messages published faster than they poll:
// every client receives every message exactly once, in order.
func TestLongPollHighRate(t *testing.T) {
	hub := pubsub.NewHub(pubsub.Options{ReplayCount: 5000})
	defer hub.Close()
	lp := &pubsub.LongPoll{Hub: hub, Batch: 100, Timeout: 5 * time.Second}
	w := serve(t, 2, 0, func(c *connection.Conn, r *http.Request) {
		if err := lp.Serve(c, r, "chat"); err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	const clients, msgs = 50, 1000
	// Everyone starts from the same cursor: publish a first message.
	first, _ := hub.Publish(ctx, "chat", pubsub.Message{Data: "start"})
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for k := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &nethttp.Client{Timeout: testTimeout}
			defer client.CloseIdleConnections()
			cursor, got := first.ID, 0
			for got < msgs {
				resp, err := client.Get("http://" + w.Addr() + "/subscribe?cursor=" + cursor)
				if err != nil {
					errs <- err
					return
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode == 204 {
					continue
				}
				var items []struct{ ID, Data string }
				if resp.StatusCode != 200 || json.Unmarshal(body, &items) != nil {
					errs <- fmt.Errorf("client %d: %d %q", k, resp.StatusCode, body)
					return
				}
				for _, it := range items {
					got++
					if it.Data != "m"+strconv.Itoa(got) {
						errs <- fmt.Errorf("client %d: message %q, want m%d", k, it.Data, got)
						return
					}
				}
				cursor = resp.Header.Get("X-Cursor")
			}
		}()
	}
	for i := 1; i <= msgs; i++ {
		hub.Publish(ctx, "chat", pubsub.Message{Data: "m" + strconv.Itoa(i)})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	waitSubscribers(t, hub, 0)
}

func TestLongPollAnswers(t *testing.T) {
	hub := pubsub.NewHub(pubsub.Options{ReplayCount: 2})
	defer hub.Close()
	lp := &pubsub.LongPoll{Hub: hub, Timeout: 100 * time.Millisecond}
	w := serve(t, 1, 0, func(c *connection.Conn, r *http.Request) {
		if err := lp.Serve(c, r, "t"); err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	client := &nethttp.Client{Timeout: testTimeout}
	defer client.CloseIdleConnections()
	get := func(cursor string) (*nethttp.Response, string) {
		resp, err := client.Get("http://" + w.Addr() + "/?cursor=" + cursor)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(b)
	}
	if resp, _ := get(""); resp.StatusCode != 204 {
		t.Fatalf("nothing published: %d", resp.StatusCode)
	}
	// A parked request is answered by the next message.
	first := make(chan pubsub.Message, 1)
	go func() {
		waitSubscribers(t, hub, 1)
		m, _ := hub.Publish(ctx, "t", pubsub.Message{Data: "hello", Event: "greeting"})
		first <- m
	}()
	resp, body := get("")
	m1 := <-first
	if resp.StatusCode != 200 || body != "hello" || resp.Header.Get("X-Cursor") != m1.ID || resp.Header.Get("X-Event") != "greeting" {
		t.Fatalf("parked: %d %q %v", resp.StatusCode, body, resp.Header)
	}
	m2, _ := hub.Publish(ctx, "t", pubsub.Message{Data: "two"})
	hub.Publish(ctx, "t", pubsub.Message{Data: "three"})
	if resp, body := get(m1.ID); body != "two" || resp.Header.Get("X-Cursor") != m2.ID {
		t.Fatalf("from cursor 1: %q", body)
	}
	m4, _ := hub.Publish(ctx, "t", pubsub.Message{Data: "four"}) // the history keeps 3 and 4
	if resp, _ := get(m1.ID); resp.StatusCode != 410 || resp.Header.Get("X-Cursor") != m4.ID {
		t.Fatalf("lost cursor: %d %v", resp.StatusCode, resp.Header)
	}
	// An id of an earlier run of the process (another epoch) is a gap too.
	if resp, _ := get("0-3"); resp.StatusCode != 410 {
		t.Fatalf("cursor of another run: %d", resp.StatusCode)
	}
	waitSubscribers(t, hub, 0)
	// A parked request whose client goes away is unsubscribed.
	c, _ := net.Dial("tcp", w.Addr())
	io.WriteString(c, "GET /?cursor="+m4.ID+" HTTP/1.1\r\nHost: h\r\n\r\n")
	waitSubscribers(t, hub, 1)
	c.Close()
	waitSubscribers(t, hub, 0)
}
