package pubsub_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	nethttp "net/http"
	"strings"
	"sync"
	"testing"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/internal/testutil"
	"github.com/workerman-go/workerman/protocols/http"
	"github.com/workerman-go/workerman/protocols/sse"
	"github.com/workerman-go/workerman/pubsub"
	"github.com/workerman-go/workerman/worker"
)

// fakeBroker is a MemoryBroker whose History a test can hold back or make
// fail, which counts its feeds' Watch and Unwatch calls, and through which
// a test reports faults to the attached Hubs.
type fakeBroker struct {
	*pubsub.MemoryBroker

	mu        sync.Mutex
	handlers  []pubsub.Handler
	watches   map[string]int
	unwatches map[string]int
	history   func(ctx context.Context, topic, after string, limit int) ([]pubsub.Message, error)
}

func newFakeBroker(t *testing.T, opts pubsub.MemoryBrokerOptions) *fakeBroker {
	b := &fakeBroker{MemoryBroker: pubsub.NewMemoryBroker(opts), watches: map[string]int{}, unwatches: map[string]int{}}
	t.Cleanup(func() { b.Close() })
	return b
}

func (b *fakeBroker) History(ctx context.Context, topic, after string, limit int) ([]pubsub.Message, error) {
	b.mu.Lock()
	fn := b.history
	b.mu.Unlock()
	if fn != nil {
		return fn(ctx, topic, after, limit)
	}
	return b.MemoryBroker.History(ctx, topic, after, limit)
}

func (b *fakeBroker) Attach(h pubsub.Handler) pubsub.Feed {
	b.mu.Lock()
	b.handlers = append(b.handlers, h)
	b.mu.Unlock()
	return &fakeFeed{b: b, Feed: b.MemoryBroker.Attach(h)}
}

// fault reports err on topic to every attached Hub, as a remote broker's
// reader does.
func (b *fakeBroker) fault(topic string, err error) {
	b.mu.Lock()
	hs := append([]pubsub.Handler(nil), b.handlers...)
	b.mu.Unlock()
	for _, h := range hs {
		h.Error(topic, err)
	}
}

// counts returns the Watch and Unwatch calls made for topic.
func (b *fakeBroker) counts(topic string) (watches, unwatches int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.watches[topic], b.unwatches[topic]
}

// holdHistory makes every History call wait until release (or until its
// context ends: then it returns the context's error). Each call sends its
// context on calls once it waits. early: the memory broker's history is
// read before waiting (an answer that is old when it arrives); otherwise
// after (an answer ahead of the live messages). fail: History returns
// that error instead.
func (b *fakeBroker) holdHistory(early bool, fail error) (calls <-chan context.Context, release func()) {
	ch := make(chan context.Context, 16)
	gate := make(chan struct{})
	var once sync.Once
	b.mu.Lock()
	b.history = func(ctx context.Context, topic, after string, limit int) ([]pubsub.Message, error) {
		var ms []pubsub.Message
		var err error
		if early {
			ms, err = b.MemoryBroker.History(ctx, topic, after, limit)
		}
		ch <- ctx
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if fail != nil {
			return nil, fail
		}
		if !early {
			ms, err = b.MemoryBroker.History(ctx, topic, after, limit)
		}
		return ms, err
	}
	b.mu.Unlock()
	return ch, func() { once.Do(func() { close(gate) }) }
}

type fakeFeed struct {
	b *fakeBroker
	pubsub.Feed
}

func (f *fakeFeed) Watch(topic string) {
	f.b.mu.Lock()
	f.b.watches[topic]++
	f.b.mu.Unlock()
	f.Feed.Watch(topic)
}

func (f *fakeFeed) Unwatch(topic string) {
	f.b.mu.Lock()
	f.b.unwatches[topic]++
	f.b.mu.Unlock()
	f.Feed.Unwatch(topic)
}

func newHub(t *testing.T, opts pubsub.Options) *pubsub.Hub {
	hub := pubsub.NewHub(opts)
	t.Cleanup(func() { hub.Close() })
	return hub
}

// topicServer streams the topic named by the request's path ("/news":
// "news"), after the client's Last-Event-ID; onGap, if not nil, is the
// subscriptions' OnGap, and a "snapshot" event is written after it;
// "/all/<topic>" subscribes with ReplayAll.
func topicServer(t *testing.T, hub *pubsub.Hub, loops int, onGap func(err error)) *worker.Worker[*http.Request] {
	return serve(t, loops, 0, func(c *connection.Conn, r *http.Request) {
		s, err := sse.Start(c, r, sse.Options{Heartbeat: -1})
		if err != nil {
			return
		}
		topic, all := strings.CutPrefix(r.Path[1:], "all/")
		opts := pubsub.SubscribeOptions{After: s.LastEventID(), ReplayAll: all}
		if onGap != nil {
			opts.OnGap = func(err error) {
				onGap(err)
				s.Send(sse.Event{Event: "snapshot", Data: "state"})
			}
		}
		if _, err := hub.Subscribe(c, topic, pubsub.SSE, opts); err != nil {
			t.Errorf("subscribe: %v", err)
		}
	})
}

func dialPath(t *testing.T, addr, path, lastID string) *sseClient {
	t.Helper()
	return dialSSEWith(t, &net.Dialer{Timeout: testTimeout}, addr, path, lastID)
}

// expect reads len(want) events: a message's data, or "!" and the event
// name of one that has an event.
func (cl *sseClient) expect(t *testing.T, want ...string) {
	t.Helper()
	var got []string
	for range want {
		e, err := cl.dec.Next()
		if err != nil {
			t.Fatalf("events %q, then %v; want %q", got, err, want)
		}
		if e.Event != "" {
			got = append(got, "!"+e.Event)
		} else {
			got = append(got, e.Data)
		}
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("events %q, want %q", got, want)
	}
}

// pub publishes messages with these data on topic.
func pub(t *testing.T, hub *pubsub.Hub, topic string, data ...string) []pubsub.Message {
	t.Helper()
	var out []pubsub.Message
	for _, d := range data {
		m, err := hub.Publish(ctx, topic, pubsub.Message{Data: d})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

// Live messages published while the replay is read are held, then merged
// after it by Seq: none lost, none written twice, in order; whether the
// broker's answer is older than they are or already has them.
func TestReplayWhileHistoryIsSlow(t *testing.T) {
	for _, early := range []bool{true, false} {
		t.Run(fmt.Sprintf("history read before the live messages %v", early), func(t *testing.T) {
			b := newFakeBroker(t, pubsub.MemoryBrokerOptions{})
			hub := newHub(t, pubsub.Options{Broker: b})
			w := topicServer(t, hub, 1, nil)
			calls, release := b.holdHistory(early, nil)
			defer release()
			ms := pub(t, hub, "news", "m1", "m2", "m3")
			cl := dialPath(t, w.Addr(), "/news", ms[0].ID)
			testutil.Recv(t, calls, "the replay's History")
			pub(t, hub, "news", "m4", "m5") // live, while the replay is read
			release()
			pub(t, hub, "news", "m6")
			cl.expect(t, "m2", "m3", "m4", "m5", "m6")
			pub(t, hub, "news", "m7")
			cl.expect(t, "m7")
			if s := hub.Stats(); s.Gaps != 0 || s.Delivered != 6 {
				t.Fatalf("stats %+v", s)
			}
		})
	}
}

// A function subscriber gets the replay and the messages held meanwhile in
// one call, then each live batch.
func TestSubscribeFuncReplayInOneCall(t *testing.T) {
	b := newFakeBroker(t, pubsub.MemoryBrokerOptions{})
	hub := newHub(t, pubsub.Options{Broker: b})
	w := serve(t, 1, 0, func(c *connection.Conn, r *http.Request) {
		s, err := sse.Start(c, r, sse.Options{Heartbeat: -1})
		if err != nil {
			return
		}
		_, err = hub.SubscribeFunc(c, "news", func(ms []pubsub.Message) {
			s.Send(sse.Event{Data: datas(ms)})
		}, pubsub.SubscribeOptions{After: s.LastEventID()})
		if err != nil {
			t.Errorf("subscribe: %v", err)
		}
	})
	calls, release := b.holdHistory(true, nil)
	defer release()
	ms := pub(t, hub, "news", "m1", "m2", "m3")
	cl := dialPath(t, w.Addr(), "/news", ms[0].ID)
	testutil.Recv(t, calls, "the replay's History")
	pub(t, hub, "news", "m4", "m5")
	release()
	cl.expect(t, "m2,m3,m4,m5")
	pub(t, hub, "news", "m6")
	cl.expect(t, "m6")
}

// History failing is a gap: OnGap gets an error wrapping ErrGap and the
// cause, before any live message; the live messages go on after the
// newest the Hub had then (the snapshot stands for those). Without OnGap
// it is logged, and the held messages are written.
func TestReplayHistoryFails(t *testing.T) {
	cause := errors.New("broker down")
	t.Run("OnGap", func(t *testing.T) {
		b := newFakeBroker(t, pubsub.MemoryBrokerOptions{})
		hub := newHub(t, pubsub.Options{Broker: b})
		gaps := make(chan error, 1)
		w := topicServer(t, hub, 1, func(err error) { gaps <- err })
		calls, release := b.holdHistory(true, cause)
		defer release()
		ms := pub(t, hub, "news", "m1", "m2", "m3")
		cl := dialPath(t, w.Addr(), "/news", ms[0].ID)
		testutil.Recv(t, calls, "the replay's History")
		pub(t, hub, "news", "m4") // held: the snapshot covers it
		release()
		cl.expect(t, "!snapshot")
		if err := testutil.Recv(t, gaps, "OnGap"); !errors.Is(err, pubsub.ErrGap) || !errors.Is(err, cause) {
			t.Fatalf("OnGap(%v): want ErrGap and the cause", err)
		}
		pub(t, hub, "news", "m5")
		cl.expect(t, "m5")
		if n := hub.Stats().Gaps; n != 1 {
			t.Fatalf("%d gaps counted", n)
		}
	})
	t.Run("logged", func(t *testing.T) {
		b := newFakeBroker(t, pubsub.MemoryBrokerOptions{})
		var log testutil.Log
		hub := newHub(t, pubsub.Options{Broker: b, Logger: log.Logger()})
		w := topicServer(t, hub, 1, nil)
		calls, release := b.holdHistory(true, cause)
		defer release()
		ms := pub(t, hub, "news", "m1", "m2", "m3")
		cl := dialPath(t, w.Addr(), "/news", ms[0].ID)
		testutil.Recv(t, calls, "the replay's History")
		pub(t, hub, "news", "m4")
		release()
		pub(t, hub, "news", "m5")
		cl.expect(t, "m4", "m5")
		if n := hub.Stats().Gaps; n != 1 {
			t.Fatalf("%d gaps counted", n)
		}
		if l := log.String(); !strings.Contains(l, "level=WARN") || !strings.Contains(l, "broker down") {
			t.Fatalf("log: %s", l)
		}
	})
}

// A gap the broker reports on a live topic reaches OnGap of that topic's
// subscribers, on their loops, in order with the messages; the other
// topics' subscribers are not told. A fault of the broker itself is logged
// and counted.
func TestLiveGap(t *testing.T) {
	b := newFakeBroker(t, pubsub.MemoryBrokerOptions{})
	var log testutil.Log
	hub := newHub(t, pubsub.Options{Broker: b, Logger: log.Logger()})
	w := topicServer(t, hub, 2, func(error) {})
	var news []*sseClient
	for range 3 {
		news = append(news, dialPath(t, w.Addr(), "/news", ""))
	}
	other := dialPath(t, w.Addr(), "/other", "")
	waitSubscribers(t, hub, 4)
	pub(t, hub, "news", "m1")
	b.fault("news", fmt.Errorf("stream trimmed: %w", pubsub.ErrGap))
	for _, cl := range news {
		cl.expect(t, "m1", "!snapshot")
	}
	pub(t, hub, "news", "m2")
	pub(t, hub, "other", "o1")
	for _, cl := range news {
		cl.expect(t, "m2")
	}
	other.expect(t, "o1")
	if s := hub.Stats(); s.Gaps != 3 || s.BrokerErrors != 0 {
		t.Fatalf("stats %+v, want 3 gaps", s)
	}

	b.fault("", errors.New("connection lost"))
	if s := hub.Stats(); s.BrokerErrors != 1 || s.Gaps != 3 {
		t.Fatalf("stats %+v, want 1 broker error", s)
	}
	if l := log.String(); !strings.Contains(l, "level=ERROR") || !strings.Contains(l, "connection lost") {
		t.Fatalf("log: %s", l)
	}
}

// After OnGap, the live messages start after the newest one the Hub had
// when it was called, which the snapshot sent in OnGap covers: a message
// that arrived after the gap but before OnGap ran is not written again.
func TestLiveGapSkipsWhatTheSnapshotCovers(t *testing.T) {
	b := newFakeBroker(t, pubsub.MemoryBrokerOptions{})
	hub := newHub(t, pubsub.Options{Broker: b})
	conns := make(chan *connection.Conn, 1)
	w := serve(t, 1, 0, func(c *connection.Conn, r *http.Request) {
		s, err := sse.Start(c, r, sse.Options{Heartbeat: -1})
		if err != nil {
			return
		}
		_, err = hub.Subscribe(c, "news", pubsub.SSE, pubsub.SubscribeOptions{
			OnGap: func(error) { s.Send(sse.Event{Event: "snapshot"}) },
		})
		if err != nil {
			t.Errorf("subscribe: %v", err)
		}
		conns <- c
	})
	cl := dialPath(t, w.Addr(), "/news", "")
	loop := testutil.Recv(t, conns, "the subscription").Loop()
	// Hold the loop while the gap and a message queue up behind it.
	unblock, blocked := make(chan struct{}), make(chan struct{})
	loop.Run(func() {
		close(blocked)
		<-unblock
	})
	testutil.Recv(t, blocked, "the loop")
	b.fault("news", fmt.Errorf("stream trimmed: %w", pubsub.ErrGap))
	pub(t, hub, "news", "m1") // after the gap, before OnGap runs
	close(unblock)
	cl.expect(t, "!snapshot")
	pub(t, hub, "news", "m2")
	cl.expect(t, "m2")
}

// A live gap while the replay is read replaces it: OnGap, then the
// messages after it. Without OnGap it is logged, and the client gets what
// there is.
func TestLiveGapWhileCatchingUp(t *testing.T) {
	t.Run("OnGap", testLiveGapWhileCatchingUp)
	t.Run("logged", func(t *testing.T) {
		b := newFakeBroker(t, pubsub.MemoryBrokerOptions{})
		var log testutil.Log
		hub := newHub(t, pubsub.Options{Broker: b, Logger: log.Logger()})
		w := topicServer(t, hub, 1, nil)
		calls, release := b.holdHistory(true, nil)
		defer release()
		ms := pub(t, hub, "news", "m1", "m2")
		cl := dialPath(t, w.Addr(), "/news", ms[0].ID)
		testutil.Recv(t, calls, "the replay's History")
		pub(t, hub, "news", "m3")
		b.fault("news", fmt.Errorf("stream trimmed: %w", pubsub.ErrGap))
		release()
		pub(t, hub, "news", "m4")
		cl.expect(t, "m2", "m3", "m4")
		if n := hub.Stats().Gaps; n != 1 {
			t.Fatalf("%d gaps counted", n)
		}
		if l := log.String(); !strings.Contains(l, "level=WARN") || !strings.Contains(l, "stream trimmed") {
			t.Fatalf("log: %s", l)
		}
	})
}

func testLiveGapWhileCatchingUp(t *testing.T) {
	b := newFakeBroker(t, pubsub.MemoryBrokerOptions{})
	hub := newHub(t, pubsub.Options{Broker: b})
	gaps := make(chan error, 1)
	w := topicServer(t, hub, 1, func(err error) { gaps <- err })
	calls, release := b.holdHistory(true, nil)
	defer release()
	ms := pub(t, hub, "news", "m1", "m2")
	cl := dialPath(t, w.Addr(), "/news", ms[0].ID)
	testutil.Recv(t, calls, "the replay's History")
	pub(t, hub, "news", "m3")
	lost := fmt.Errorf("stream trimmed: %w", pubsub.ErrGap)
	b.fault("news", lost)
	release()
	cl.expect(t, "!snapshot")
	if err := testutil.Recv(t, gaps, "OnGap"); !errors.Is(err, lost) {
		t.Fatalf("OnGap(%v), want the broker's error", err)
	}
	pub(t, hub, "news", "m4")
	cl.expect(t, "m4")
	if n := hub.Stats().Gaps; n != 1 {
		t.Fatalf("%d gaps counted", n)
	}
}

// Beyond MaxHeld live messages while the replay is read, the subscriber is
// evicted, counted and logged.
func TestHeldMessagesBound(t *testing.T) {
	b := newFakeBroker(t, pubsub.MemoryBrokerOptions{})
	var log testutil.Log
	hub := newHub(t, pubsub.Options{Broker: b, Logger: log.Logger()})
	w := topicServer(t, hub, 1, nil)
	calls, release := b.holdHistory(true, nil)
	defer release()
	ms := pub(t, hub, "news", "m1")
	cl := dialPath(t, w.Addr(), "/news", ms[0].ID)
	testutil.Recv(t, calls, "the replay's History")
	for range pubsub.MaxHeld + 1 {
		pub(t, hub, "news", "x")
	}
	waitSubscribers(t, hub, 0)
	if e, err := cl.dec.Next(); err == nil {
		t.Fatalf("the evicted subscriber got %+v", e)
	}
	if n := hub.Stats().Evicted; n != 1 {
		t.Fatalf("%d evicted", n)
	}
	if l := log.String(); !strings.Contains(l, "evicted") {
		t.Fatalf("log: %s", l)
	}
}

// The Hub watches a topic from its first subscriber to its last one, and
// keeps no state for it in between.
func TestTopicStateFollowsSubscribers(t *testing.T) {
	b := newFakeBroker(t, pubsub.MemoryBrokerOptions{})
	hub := newHub(t, pubsub.Options{Broker: b})
	w := topicServer(t, hub, 2, nil)
	c1, c2 := dialPath(t, w.Addr(), "/news", ""), dialPath(t, w.Addr(), "/news", "")
	waitSubscribers(t, hub, 2)
	if w, u := b.counts("news"); w != 1 || u != 0 || hub.Stats().Topics != 1 {
		t.Fatalf("two subscribers: %d watches, %d unwatches, %d topics", w, u, hub.Stats().Topics)
	}
	c1.conn.Close()
	waitSubscribers(t, hub, 1)
	if w, u := b.counts("news"); w != 1 || u != 0 {
		t.Fatalf("one subscriber left: %d watches, %d unwatches", w, u)
	}
	c2.conn.Close()
	waitSubscribers(t, hub, 0)
	if w, u := b.counts("news"); w != 1 || u != 1 || hub.Stats().Topics != 0 {
		t.Fatalf("none left: %d watches, %d unwatches, %d topics", w, u, hub.Stats().Topics)
	}
	before := hub.Stats().Published
	pub(t, hub, "news", "unheard")
	if n := hub.Stats().Published; n != before {
		t.Fatalf("the Hub received a message of a topic it no longer watches")
	}
	c3 := dialPath(t, w.Addr(), "/news", "")
	waitSubscribers(t, hub, 1)
	pub(t, hub, "news", "again")
	c3.expect(t, "again")
	if w, _ := b.counts("news"); w != 2 {
		t.Fatalf("%d watches, want 2", w)
	}
}

// ReplayAll writes the kept history first; a subscription without it
// starts with the next message.
func TestReplayAll(t *testing.T) {
	hub := newHub(t, pubsub.Options{ReplayCount: 3})
	w := topicServer(t, hub, 1, nil)
	pub(t, hub, "news", "m1", "m2", "m3", "m4")
	all := dialPath(t, w.Addr(), "/all/news", "")
	live := dialPath(t, w.Addr(), "/news", "")
	waitSubscribers(t, hub, 2)
	pub(t, hub, "news", "m5")
	all.expect(t, "m2", "m3", "m4", "m5")
	live.expect(t, "m5")
}

// With the default budgets, a topic's whole history, written at once, fits
// a connection's default send buffer: a subscriber that asks for it all
// gets it, rather than being evicted as a slow one.
func TestReplayAllOfAFullTopic(t *testing.T) {
	hub := newHub(t, pubsub.Options{})
	w := topicServer(t, hub, 1, nil)
	var data []string
	for i := range 200 {
		data = append(data, fmt.Sprintf("m%d.%s", i, strings.Repeat(".", 10_000)))
	}
	pub(t, hub, "news", data...)
	st := hub.Broker().(*pubsub.MemoryBroker).Stats()
	if st.Messages < 90 || st.Messages >= 200 || st.Bytes > pubsub.DefaultReplayBytes {
		t.Fatalf("broker stats %+v: want the budget, 1 MiB, to decide", st)
	}
	all := dialPath(t, w.Addr(), "/all/news", "")
	for _, want := range data[200-st.Messages:] {
		e, err := all.dec.Next()
		if err != nil || e.Data != want {
			t.Fatalf("replay: %.20q %v, want %.20q (evicted: %d)", e.Data, err, want, hub.Stats().Evicted)
		}
	}
	if n := hub.Stats().Evicted; n != 0 {
		t.Fatalf("%d evicted", n)
	}
}

// A subscription cancelled while its replay is read abandons it (its
// History's context ends) and gets nothing from it.
func TestCancelWhileCatchingUp(t *testing.T) {
	b := newFakeBroker(t, pubsub.MemoryBrokerOptions{})
	hub := newHub(t, pubsub.Options{Broker: b})
	type subscribed struct {
		c   *connection.Conn
		sub *pubsub.Subscription
	}
	subs := make(chan subscribed, 1)
	got := make(chan []pubsub.Message, 1)
	gaps := make(chan error, 1)
	w := serve(t, 1, 0, func(c *connection.Conn, r *http.Request) {
		s, err := sse.Start(c, r, sse.Options{Heartbeat: -1})
		if err != nil {
			return
		}
		sub, err := hub.SubscribeFunc(c, "news", func(ms []pubsub.Message) { got <- ms },
			pubsub.SubscribeOptions{After: s.LastEventID(), OnGap: func(err error) { gaps <- err }})
		if err != nil {
			t.Errorf("subscribe: %v", err)
		}
		subs <- subscribed{c, sub}
	})
	calls, release := b.holdHistory(false, nil)
	defer release()
	ms := pub(t, hub, "news", "m1", "m2")
	dialPath(t, w.Addr(), "/news", ms[0].ID)
	historyCtx := testutil.Recv(t, calls, "the replay's History")
	s := testutil.Recv(t, subs, "the subscription")
	loop := s.c.Loop()
	loop.Run(s.sub.Cancel)
	testutil.Recv(t, historyCtx.Done(), "the replay's context to end")
	if err := historyCtx.Err(); err != context.Canceled {
		t.Fatalf("the replay's context ended with %v, want it cancelled", err)
	}
	// However late the replay comes back, it is dropped; a second Cancel
	// does nothing.
	done := make(chan struct{})
	loop.Run(func() {
		pubsub.CaughtUp(s.sub, ms[1:], nil)
		pubsub.CaughtUp(s.sub, nil, pubsub.ErrGap)
		s.sub.Cancel()
		close(done)
	})
	testutil.Recv(t, done, "the loop")
	if len(got) != 0 || len(gaps) != 0 {
		t.Fatalf("a cancelled subscription got %d calls, %d gaps", len(got), len(gaps))
	}
	if st := hub.Stats(); st.Subscribers != 0 || st.Delivered != 0 || st.Gaps != 0 || st.Topics != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// Subscribe returns an error only with no subscription; Publish checks ids;
// a closed Hub refuses everything.
func TestHubErrors(t *testing.T) {
	hub := newHub(t, pubsub.Options{})
	results := make(chan []string, 1)
	w := serve(t, 1, 0, func(c *connection.Conn, r *http.Request) {
		var bad []string
		check := func(what string, sub *pubsub.Subscription, err error, want error) {
			if sub != nil || err == nil || want != nil && !errors.Is(err, want) {
				bad = append(bad, fmt.Sprintf("%s: %v, %v", what, sub, err))
			}
		}
		sub, err := hub.Subscribe(c, "t", nil, pubsub.SubscribeOptions{})
		check("nil Format", sub, err, nil)
		sub, err = hub.SubscribeFunc(c, "t", nil, pubsub.SubscribeOptions{})
		check("nil function", sub, err, nil)
		if sub, err := hub.Subscribe(c, "t", pubsub.SSE, pubsub.SubscribeOptions{}); err != nil {
			bad = append(bad, fmt.Sprintf("subscribe: %v", err))
		} else {
			sub.Cancel()
			sub.Cancel()
		}
		c.Close()
		sub, err = hub.Subscribe(c, "t", pubsub.SSE, pubsub.SubscribeOptions{})
		check("closing connection", sub, err, connection.ErrClosed)
		results <- bad
	})
	client := &nethttp.Client{Timeout: testTimeout}
	if resp, err := client.Get("http://" + w.Addr() + "/"); err == nil {
		resp.Body.Close()
	}
	for _, b := range testutil.Recv(t, results, "the checks") {
		t.Error(b)
	}
	if n := hub.Stats().Subscribers; n != 0 {
		t.Fatalf("%d subscribers", n)
	}
	if _, err := hub.Publish(ctx, "t", pubsub.Message{ID: "a\rb"}); !errors.Is(err, pubsub.ErrInvalidID) {
		t.Fatalf("an id with CR: %v", err)
	}
	hub.Close()
	if _, err := hub.Publish(ctx, "t", pubsub.Message{}); !errors.Is(err, pubsub.ErrClosed) {
		t.Fatalf("Publish on a closed hub: %v", err)
	}
	if _, err := hub.History(ctx, "t", "", 0); !errors.Is(err, pubsub.ErrClosed) {
		t.Fatalf("History on a closed hub: %v", err)
	}
	if err := hub.Close(); err != nil {
		t.Fatalf("a second Close: %v", err)
	}
}

// Hubs that share a broker receive each other's messages; closing one
// leaves the broker (which it did not make) to the others.
func TestHubsShareABroker(t *testing.T) {
	broker := pubsub.NewMemoryBroker(pubsub.MemoryBrokerOptions{})
	defer broker.Close()
	a := newHub(t, pubsub.Options{Broker: broker})
	b := newHub(t, pubsub.Options{Broker: broker})
	w := topicServer(t, a, 1, nil)
	cl := dialPath(t, w.Addr(), "/news", "")
	waitSubscribers(t, a, 1)
	pub(t, b, "news", "from b")
	cl.expect(t, "from b")
	a.Close()
	if _, err := a.Publish(ctx, "news", pubsub.Message{}); !errors.Is(err, pubsub.ErrClosed) {
		t.Fatalf("Publish on a closed hub: %v", err)
	}
	if ms, err := b.History(ctx, "news", "", 0); err != nil || datas(ms) != "from b" {
		t.Fatalf("history after closing the other hub: %q %v", datas(ms), err)
	}
	pub(t, b, "news", "after")
}
