package redisbroker_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	nethttp "net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/internal/testutil"
	"github.com/workerman-go/workerman/protocols/http"
	"github.com/workerman-go/workerman/protocols/sse"
	"github.com/workerman-go/workerman/pubsub"
	"github.com/workerman-go/workerman/pubsub/redisbroker"
	"github.com/workerman-go/workerman/worker"
)

var ctx = context.Background()

// newBroker returns a broker on the servers addrs, closed when the test
// ends.
func newBroker(t *testing.T, opts redisbroker.Options, addrs ...string) *redisbroker.Broker {
	t.Helper()
	opts.Addrs = addrs
	opts.Logger = testLogger(t)
	b, err := redisbroker.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// recorder is a Handler that records what it receives, in order.
type recorder struct {
	mu     sync.Mutex
	log    []record
	faults atomic.Int64
}

// record is a message received, or a gap reported.
type record struct {
	m   pubsub.Message
	gap error
}

func (r *recorder) handler() pubsub.Handler {
	return pubsub.Handler{
		Message: func(m pubsub.Message) {
			r.mu.Lock()
			r.log = append(r.log, record{m: m})
			r.mu.Unlock()
		},
		Error: func(topic string, err error) {
			if topic == "" {
				r.faults.Add(1)
				return
			}
			r.mu.Lock()
			r.log = append(r.log, record{gap: err})
			r.mu.Unlock()
		},
	}
}

// records returns a copy of the log.
func (r *recorder) records() []record {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]record(nil), r.log...)
}

// data returns the data of the messages received, in order.
func (r *recorder) data() []string {
	var out []string
	for _, rec := range r.records() {
		if rec.gap == nil {
			out = append(out, rec.m.Data)
		}
	}
	return out
}

// watch attaches a recorder watching topic and waits until the watch is
// in place.
func watch(t *testing.T, b *redisbroker.Broker, topic string) *recorder {
	t.Helper()
	r := &recorder{}
	f := b.Attach(r.handler())
	t.Cleanup(func() { f.Close() })
	f.Watch(topic)
	wctx, cancel := context.WithTimeout(ctx, testutil.Timeout)
	defer cancel()
	if err := f.(pubsub.WatchWaiter).WaitWatch(wctx, topic); err != nil {
		t.Fatal(err)
	}
	return r
}

func publish(t *testing.T, b *redisbroker.Broker, topic string, data ...string) []pubsub.Message {
	t.Helper()
	var out []pubsub.Message
	for _, d := range data {
		m, err := b.Publish(ctx, pubsub.Message{Topic: topic, Data: d, Event: "e" + d})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

func seq(from, to int) []string {
	var out []string
	for i := from; i <= to; i++ {
		out = append(out, strconv.Itoa(i))
	}
	return out
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestPublishAndHistory(t *testing.T) {
	r := testutil.StartRedis(t)
	b := newBroker(t, redisbroker.Options{}, r.Addr)

	ms := publish(t, b, "news", seq(1, 5)...)
	for i, m := range ms {
		if m.Topic != "news" || m.Data != strconv.Itoa(i+1) || m.Event != "e"+m.Data {
			t.Fatalf("published %+v", m)
		}
		if time.Since(m.Time) > time.Minute || time.Until(m.Time) > time.Minute {
			t.Fatalf("message time %v", m.Time)
		}
		if i > 0 && (m.Seq <= ms[i-1].Seq || m.ID == ms[i-1].ID) {
			t.Fatalf("Seq/ID not increasing: %+v after %+v", m, ms[i-1])
		}
	}

	all, err := b.History(ctx, "news", "", 0)
	if err != nil || len(all) != 5 {
		t.Fatalf("History all = %d messages, %v", len(all), err)
	}
	for i := range all {
		if all[i] != ms[i] {
			t.Fatalf("History[%d] = %+v, published %+v", i, all[i], ms[i])
		}
	}
	after, err := b.History(ctx, "news", ms[1].ID, 0)
	if err != nil || len(after) != 3 || after[0].ID != ms[2].ID {
		t.Fatalf("History after the 2nd = %+v, %v", after, err)
	}
	limited, err := b.History(ctx, "news", ms[1].ID, 2)
	if err != nil || len(limited) != 2 || limited[1].ID != ms[3].ID {
		t.Fatalf("History after the 2nd, limit 2 = %+v, %v", limited, err)
	}
	if got, err := b.History(ctx, "news", ms[4].ID, 0); err != nil || len(got) != 0 {
		t.Fatalf("History after the newest = %+v, %v", got, err)
	}
	if got, err := b.History(ctx, "nothing", "", 0); err != nil || len(got) != 0 {
		t.Fatalf("History of a topic never published = %+v, %v", got, err)
	}
	// Ids that cannot be placed: gaps.
	for _, id := range []string{"junk", "0-0", "1-1", ms[4].ID + "0", "99999999999999-1"} {
		if _, err := b.History(ctx, "news", id, 0); !errors.Is(err, pubsub.ErrGap) {
			t.Errorf("History after %q: %v, want ErrGap", id, err)
		}
	}
	if _, err := b.History(ctx, "nothing", ms[0].ID, 0); !errors.Is(err, pubsub.ErrGap) {
		t.Errorf("History of a missing stream after an id: %v, want ErrGap", err)
	}
	if _, err := b.Publish(ctx, pubsub.Message{Topic: "news", ID: "mine"}); err == nil {
		t.Error("a publish with an id of its own was accepted")
	}
}

// Trimmed history: resuming from a message no longer kept is a gap; from
// the one just before the oldest kept is not.
func TestHistoryTrimmed(t *testing.T) {
	r := testutil.StartRedis(t)
	b := newBroker(t, redisbroker.Options{ReplayCount: 10}, r.Addr)
	ms := publish(t, b, "t", seq(1, 400)...)

	kept, err := b.History(ctx, "t", "", 0)
	if err != nil || len(kept) < 10 || len(kept) >= 400 || kept[len(kept)-1].ID != ms[399].ID {
		t.Fatalf("kept %d messages, %v", len(kept), err)
	}
	for i := 1; i < len(kept); i++ {
		if kept[i].Seq <= kept[i-1].Seq {
			t.Fatal("history out of order")
		}
	}
	if _, err := b.History(ctx, "t", ms[0].ID, 0); !errors.Is(err, pubsub.ErrGap) {
		t.Fatalf("after a trimmed message: %v, want ErrGap", err)
	}
	oldest, _ := strconv.Atoi(kept[0].Data)
	got, err := b.History(ctx, "t", ms[oldest-2].ID, 0)
	if err != nil || len(got) != len(kept) {
		t.Fatalf("after the message before the oldest kept: %d messages, %v", len(got), err)
	}
}

// Two processes (two brokers) on one Redis: the messages either publishes
// reach the feeds of both, in one order.
func TestTwoBrokersShareTopics(t *testing.T) {
	r := testutil.StartRedis(t)
	b1 := newBroker(t, redisbroker.Options{}, r.Addr)
	b2 := newBroker(t, redisbroker.Options{}, r.Addr)
	r1, r2 := watch(t, b1, "t"), watch(t, b2, "t")
	var want []string
	for i := 1; i <= 100; i++ {
		b := b1
		if i%2 == 0 {
			b = b2
		}
		publish(t, b, "t", strconv.Itoa(i))
		want = append(want, strconv.Itoa(i))
	}
	testutil.Eventually(t, "both feeds receive the 100 messages", func() bool {
		return len(r1.data()) == 100 && len(r2.data()) == 100
	})
	if !equal(r1.data(), want) || !equal(r2.data(), want) {
		t.Fatalf("received %v and %v", r1.data(), r2.data())
	}
}

// The live connection is cut: the feed reconnects and reads what was
// published meanwhile from the stream, without a gap or a duplicate.
func TestReconnectCatchesUp(t *testing.T) {
	r := testutil.StartRedis(t)
	b := newBroker(t, redisbroker.Options{}, r.Addr)
	pub := newBroker(t, redisbroker.Options{}, r.Addr)
	rec := watch(t, b, "t")
	publish(t, pub, "t", seq(1, 10)...)
	testutil.Eventually(t, "10 messages", func() bool { return len(rec.data()) == 10 })

	for round := range 3 {
		if err := b.Client("t").Do(ctx, "CLIENT", "KILL", "TYPE", "pubsub").Err(); err != nil {
			t.Fatal(err)
		}
		from := 11 + round*20
		publish(t, pub, "t", seq(from, from+19)...)
	}
	want := seq(1, 70)
	testutil.Eventually(t, "70 messages", func() bool { return len(rec.data()) >= 70 })
	for _, rec := range rec.records() {
		if rec.gap != nil {
			t.Fatalf("a gap was reported: %v", rec.gap)
		}
	}
	if got := rec.data(); !equal(got, want) {
		t.Fatalf("received %v", got)
	}
}

// A stream deleted under a live reader (as Redis losing it): the next
// message is not the one after the last delivered, and the stream cannot
// say what came between: a gap, then the messages.
func TestStreamDeletedIsAGap(t *testing.T) {
	r := testutil.StartRedis(t)
	b := newBroker(t, redisbroker.Options{}, r.Addr)
	rec := watch(t, b, "t")
	publish(t, b, "t", "1", "2")
	testutil.Eventually(t, "2 messages", func() bool { return len(rec.data()) == 2 })
	if err := b.Client("t").Del(ctx, b.KeyPrefix()+"s:t").Err(); err != nil {
		t.Fatal(err)
	}
	publish(t, b, "t", "3", "4")
	testutil.Eventually(t, "4 messages", func() bool { return len(rec.data()) == 4 })
	recs := rec.records()
	if len(recs) != 5 || recs[2].gap == nil || !errors.Is(recs[2].gap, pubsub.ErrGap) {
		t.Fatalf("records: %+v, want 1, 2, a gap, 3, 4", recs)
	}
}

// Redis killed (SIGKILL) and restarted empty during a stream of publishes:
// publishes fail while it is down, with ErrUnavailable; the subscriber
// receives no message twice or out of order, and every acknowledged
// message it did not receive is covered by a gap reported in its place.
func TestRedisKilledDuringPublishes(t *testing.T) {
	r := testutil.StartRedis(t)
	pub := newBroker(t, redisbroker.Options{}, r.Addr)
	b := newBroker(t, redisbroker.Options{}, r.Addr)
	rec := watch(t, b, "t")
	publish := func(ctx context.Context, data string) error {
		_, err := pub.Publish(ctx, pubsub.Message{Topic: "t", Data: data})
		return err
	}
	acked := publishThroughRestart(t, r, publish)
	acked = publishUntilReceived(t, acked, publish, func() []record { return rec.records() })
	checkNoSilentLoss(t, acked, rec.records())
	if rec.faults.Load() == 0 {
		t.Error("the lost connection was not reported as a fault")
	}
}

// The same through Hubs, end to end: an SSE client of one server, the
// messages published through the Hub of another.
func TestRedisKilledUnderSSEClients(t *testing.T) {
	r := testutil.StartRedis(t)
	hubA := pubsub.NewHub(pubsub.Options{Broker: newBroker(t, redisbroker.Options{}, r.Addr), Logger: testLogger(t)})
	hubB := pubsub.NewHub(pubsub.Options{Broker: newBroker(t, redisbroker.Options{}, r.Addr), Logger: testLogger(t)})
	t.Cleanup(func() { hubA.Close(); hubB.Close() })
	client := dialSSE(t, sseServer(t, hubA), "")
	testutil.Eventually(t, "a subscriber", func() bool { return hubA.Stats().Subscribers == 1 })

	var mu sync.Mutex
	var events []record
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			e, err := client.dec.Next()
			if err != nil {
				return
			}
			mu.Lock()
			if e.Event == "gap" {
				events = append(events, record{gap: errors.New(e.Data)})
			} else {
				events = append(events, record{m: pubsub.Message{ID: e.ID, Data: e.Data}})
			}
			mu.Unlock()
		}
	}()
	publish := func(ctx context.Context, data string) error {
		_, err := hubB.Publish(ctx, "news", pubsub.Message{Data: data})
		return err
	}
	acked := publishThroughRestart(t, r, publish)
	acked = publishUntilReceived(t, acked, publish, func() []record {
		mu.Lock()
		defer mu.Unlock()
		return append([]record(nil), events...)
	})
	client.conn.Close()
	<-done
	checkNoSilentLoss(t, acked, events)
	if hubA.Stats().Gaps == 0 {
		t.Error("the Hub counted no gap")
	}
}

// publishThroughRestart publishes 1, 2, 3, ... with publish, kills Redis
// after 100 were acknowledged, restarts it (empty) after 3 failures, and
// stops 100 acknowledged publishes later. It returns the acknowledged
// ones.
func publishThroughRestart(t *testing.T, r *testutil.Redis, publish func(ctx context.Context, data string) error) []int {
	t.Helper()
	var (
		mu       sync.Mutex
		acked    []int
		failures int
	)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 1; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			pctx, cancel := context.WithTimeout(ctx, time.Second)
			err := publish(pctx, strconv.Itoa(i))
			cancel()
			mu.Lock()
			if err == nil {
				acked = append(acked, i)
			} else {
				if !errors.Is(err, pubsub.ErrUnavailable) {
					t.Errorf("publish %d: %v, want ErrUnavailable", i, err)
				}
				failures++
			}
			mu.Unlock()
			if err != nil {
				time.Sleep(20 * time.Millisecond) // Redis is down: no hurry
			}
		}
	}()
	ackedN := func() int { mu.Lock(); defer mu.Unlock(); return len(acked) }
	testutil.Eventually(t, "100 publishes", func() bool { return ackedN() >= 100 })
	r.Kill()
	testutil.Eventually(t, "publishes failing", func() bool { mu.Lock(); defer mu.Unlock(); return failures >= 3 })
	r.Restart()
	n := ackedN()
	testutil.Eventually(t, "100 publishes after the restart", func() bool { return ackedN() >= n+100 })
	close(stop)
	<-done
	return acked
}

// publishUntilReceived goes on publishing the numbers after acked, one
// every 20 ms, until the subscriber (whose records received returns) has
// one of them: the messages published before were delivered or skipped
// by then. It returns acked with the new ones.
func publishUntilReceived(t *testing.T, acked []int, publish func(ctx context.Context, data string) error, received func() []record) []int {
	t.Helper()
	stop := acked[len(acked)-1]
	next := stop + 1
	testutil.Eventually(t, "a message published after the others", func() bool {
		if recs := received(); len(recs) > 0 {
			if v, _ := strconv.Atoi(recs[len(recs)-1].m.Data); v > stop {
				return true
			}
		}
		if err := publish(ctx, strconv.Itoa(next)); err != nil {
			t.Fatal(err)
		}
		acked = append(acked, next)
		next++
		time.Sleep(20 * time.Millisecond)
		return false
	})
	return acked
}

// checkNoSilentLoss checks what a subscriber received (messages whose
// data are the numbers publishThroughRestart published, and gaps): no
// message twice or out of order, at least one gap (Redis lost its data),
// and a gap wherever an acknowledged message is missing.
func checkNoSilentLoss(t *testing.T, acked []int, recs []record) {
	t.Helper()
	received := map[int]int{} // data -> index in recs
	prev, gaps := 0, 0
	for i, r := range recs {
		if r.gap != nil {
			gaps++
			continue
		}
		v, err := strconv.Atoi(r.m.Data)
		if err != nil {
			t.Fatalf("unexpected message %+v", r.m)
		}
		if v <= prev {
			t.Fatalf("message %d after %d (duplicate or out of order)", v, prev)
		}
		prev = v
		received[v] = i
	}
	if gaps == 0 {
		t.Fatal("Redis lost its data, and no gap was reported")
	}
	for _, v := range acked {
		if _, ok := received[v]; ok {
			continue
		}
		// The records around where v would be: a gap must be among them.
		before, after := -1, len(recs)
		for w, i := range received {
			if w < v && i > before {
				before = i
			}
			if w > v && i < after {
				after = i
			}
		}
		found := false
		for i := before + 1; i < after; i++ {
			found = found || recs[i].gap != nil
		}
		if !found {
			t.Fatalf("message %d was acknowledged, not received, and no gap stands in its place", v)
		}
	}
	t.Logf("%d acknowledged, %d received, %d gaps", len(acked), len(received), gaps)
}

// Two shards: topics spread over two Redis servers by their name, every
// topic published, watched and replayed on its own shard.
func TestShards(t *testing.T) {
	r1, r2 := testutil.StartRedis(t), testutil.StartRedis(t)
	b := newBroker(t, redisbroker.Options{}, r1.Addr, r2.Addr)
	other := newBroker(t, redisbroker.Options{}, r1.Addr, r2.Addr)
	recs := map[string]*recorder{}
	for i := range 20 {
		topic := "topic" + strconv.Itoa(i)
		recs[topic] = watch(t, b, topic)
	}
	for topic := range recs {
		publish(t, other, topic, topic+"-1", topic+"-2")
	}
	for topic, rec := range recs {
		testutil.Eventually(t, topic, func() bool { return equal(rec.data(), []string{topic + "-1", topic + "-2"}) })
		h, err := other.History(ctx, topic, "", 0)
		if err != nil || len(h) != 2 {
			t.Fatalf("history of %s: %v, %v", topic, h, err)
		}
	}
	for _, addr := range []string{r1.Addr, r2.Addr} {
		single := newBroker(t, redisbroker.Options{}, addr)
		n, err := single.Client("").DBSize(ctx).Result()
		if err != nil || n < 3 {
			t.Fatalf("shard %s holds %d keys (%v): topics are not spread", addr, n, err)
		}
	}
}

// Publish and History while Redis is down fail with ErrUnavailable.
func TestUnavailable(t *testing.T) {
	r := testutil.StartRedis(t)
	b := newBroker(t, redisbroker.Options{}, r.Addr)
	publish(t, b, "t", "1")
	r.Kill()
	if _, err := b.Publish(ctx, pubsub.Message{Topic: "t", Data: "2"}); !errors.Is(err, pubsub.ErrUnavailable) {
		t.Fatalf("publish with Redis down: %v", err)
	}
	if _, err := b.History(ctx, "t", "", 0); !errors.Is(err, pubsub.ErrUnavailable) {
		t.Fatalf("history with Redis down: %v", err)
	}
	if err := b.Ping(ctx); !errors.Is(err, pubsub.ErrUnavailable) {
		t.Fatalf("ping with Redis down: %v", err)
	}
	b.Close()
	if _, err := b.Publish(ctx, pubsub.Message{Topic: "t", Data: "3"}); !errors.Is(err, pubsub.ErrClosed) {
		t.Fatalf("publish on a closed broker: %v", err)
	}
}

// Two servers (two Hubs on their brokers) share a topic: an SSE client of
// the first that reconnects to the second with its Last-Event-ID gets
// exactly the messages it missed, then the live ones.
func TestResumeOnAnotherServer(t *testing.T) {
	r := testutil.StartRedis(t)
	hubA := pubsub.NewHub(pubsub.Options{Broker: newBroker(t, redisbroker.Options{}, r.Addr), Logger: testLogger(t)})
	hubB := pubsub.NewHub(pubsub.Options{Broker: newBroker(t, redisbroker.Options{}, r.Addr), Logger: testLogger(t)})
	t.Cleanup(func() { hubA.Close(); hubB.Close() })
	addrA, addrB := sseServer(t, hubA), sseServer(t, hubB)

	a := dialSSE(t, addrA, "")
	testutil.Eventually(t, "a subscriber on A", func() bool { return hubA.Stats().Subscribers == 1 })
	ms := pubHub(t, hubB, seq(1, 3)...) // published on B, delivered on A
	for _, m := range ms {
		if e := a.next(t); e.ID != m.ID || e.Data != m.Data {
			t.Fatalf("A got %+v, want %+v", e, m)
		}
	}
	a.conn.Close()
	testutil.Eventually(t, "no subscriber on A", func() bool { return hubA.Stats().Subscribers == 0 })
	missed := pubHub(t, hubA, seq(4, 6)...)

	b := dialSSE(t, addrB, ms[2].ID)
	for _, m := range missed {
		if e := b.next(t); e.ID != m.ID || e.Data != m.Data {
			t.Fatalf("B replayed %+v, want %+v", e, m)
		}
	}
	live := pubHub(t, hubA, "7")
	if e := b.next(t); e.ID != live[0].ID {
		t.Fatalf("B got %+v live, want %+v", e, live[0])
	}
	if st := hubB.Stats(); st.Gaps != 0 {
		t.Fatalf("gaps on B: %+v", st)
	}
}

func pubHub(t *testing.T, h *pubsub.Hub, data ...string) []pubsub.Message {
	t.Helper()
	var out []pubsub.Message
	for _, d := range data {
		m, err := h.Publish(ctx, "news", pubsub.Message{Data: d})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

// sseServer streams the topic "news" from hub, resuming from
// Last-Event-ID; on a gap it sends an event "gap".
func sseServer(t *testing.T, hub *pubsub.Hub) string {
	w := worker.New("http://127.0.0.1:0", http.Protocol())
	w.Count = 2
	w.OnMessage = func(c *connection.Conn, r *http.Request) {
		s, err := sse.Start(c, r, sse.Options{Heartbeat: -1})
		if err != nil {
			return
		}
		_, err = hub.Subscribe(c, "news", pubsub.SSE, pubsub.SubscribeOptions{
			After: s.LastEventID(),
			OnGap: func(err error) { s.Send(sse.Event{Event: "gap", Data: err.Error()}) },
		})
		if err != nil {
			t.Errorf("subscribe: %v", err)
		}
	}
	return testutil.Start(t, w)
}

type sseClient struct {
	conn net.Conn
	dec  *sse.Decoder
}

func dialSSE(t *testing.T, addr, lastID string) *sseClient {
	t.Helper()
	c := testutil.Dial(t, nil, addr)
	req := "GET /news HTTP/1.1\r\nHost: h\r\nAccept: text/event-stream\r\n"
	if lastID != "" {
		req += "Last-Event-ID: " + lastID + "\r\n"
	}
	if _, err := io.WriteString(c, req+"\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := nethttp.ReadResponse(bufio.NewReader(c), nil)
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
	if e.Event == "gap" {
		t.Fatalf("unexpected gap: %s", e.Data)
	}
	return e
}

// testLogger returns a logger whose lines are shown when the test fails.
func testLogger(t *testing.T) *slog.Logger {
	var log testutil.Log
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("log:\n%s", log.String())
		}
	})
	return log.Logger()
}

// Retention bounds some topics' history differently.
func TestRetention(t *testing.T) {
	r := testutil.StartRedis(t)
	b := newBroker(t, redisbroker.Options{ReplayCount: 1000, Retention: func(topic string) redisbroker.Retention {
		if topic == "short" {
			return redisbroker.Retention{Count: 1, Age: 30 * time.Second, KeyTTL: time.Minute}
		}
		return redisbroker.Retention{}
	}}, r.Addr)
	publish(t, b, "short", seq(1, 400)...)
	publish(t, b, "long", seq(1, 400)...)
	short, _ := b.History(ctx, "short", "", 0)
	long, _ := b.History(ctx, "long", "", 0)
	if len(short) >= 400 || len(long) != 400 {
		t.Fatalf("kept %d of the short topic, %d of the long one", len(short), len(long))
	}
	ttl, err := b.Client("short").PTTL(ctx, b.KeyPrefix()+"s:short").Result()
	if err != nil || ttl > time.Minute || ttl <= 0 {
		t.Fatalf("the short topic's stream expires in %v (%v)", ttl, err)
	}
}
