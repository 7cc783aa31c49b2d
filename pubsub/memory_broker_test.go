package pubsub_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/workerman-go/workerman/pubsub"
)

var ctx = context.Background()

// fakeClock is a time that moves only when told.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newBroker(t *testing.T, opts pubsub.MemoryBrokerOptions) (*pubsub.MemoryBroker, *fakeClock) {
	t.Helper()
	b := pubsub.NewMemoryBroker(opts)
	t.Cleanup(func() { b.Close() })
	clock := &fakeClock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	pubsub.SetClock(b, clock.now)
	return b, clock
}

// publishTo publishes n messages "<from>".."<from+n-1>" on topic and returns
// them as published, by data.
func publishTo(t *testing.T, b pubsub.Broker, topic string, from, to int) map[string]pubsub.Message {
	t.Helper()
	out := map[string]pubsub.Message{}
	for i := from; i <= to; i++ {
		m, err := b.Publish(ctx, pubsub.Message{Topic: topic, Data: strconv.Itoa(i)})
		if err != nil {
			t.Fatal(err)
		}
		out[m.Data] = m
	}
	return out
}

// datas is the data of ms, joined by commas.
func datas(ms []pubsub.Message) string {
	var s []string
	for _, m := range ms {
		s = append(s, m.Data)
	}
	return strings.Join(s, ",")
}

func history(t *testing.T, b pubsub.Broker, topic, after string, limit int) (string, error) {
	t.Helper()
	ms, err := b.History(ctx, topic, after, limit)
	if err != nil && ms != nil {
		t.Fatalf("History(%q, %q): messages %q with the error %v", topic, after, datas(ms), err)
	}
	return datas(ms), err
}

// Ids are "<epoch>-<seq>", Seq counts from 1 per topic, and the epoch tells
// two brokers apart.
func TestMemoryBrokerIDs(t *testing.T) {
	b1, clock := newBroker(t, pubsub.MemoryBrokerOptions{})
	b2, _ := newBroker(t, pubsub.MemoryBrokerOptions{})
	m1, _ := b1.Publish(ctx, pubsub.Message{Topic: "a", Data: "x"})
	m2, _ := b1.Publish(ctx, pubsub.Message{Topic: "a", Data: "y"})
	other, _ := b1.Publish(ctx, pubsub.Message{Topic: "b", Data: "z"})
	n1, _ := b2.Publish(ctx, pubsub.Message{Topic: "a", Data: "x"})
	epoch, _, _ := strings.Cut(m1.ID, "-")
	if m1.Seq != 1 || m2.Seq != 2 || other.Seq != 1 || m1.ID != epoch+"-1" || m2.ID != epoch+"-2" || other.ID != epoch+"-1" {
		t.Fatalf("ids and seqs: %+v %+v %+v", m1, m2, other)
	}
	if m1.Topic != "a" || !m1.Time.Equal(clock.now()) {
		t.Fatalf("topic and time: %+v", m1)
	}
	if n1.ID == m1.ID {
		t.Fatalf("two brokers made the same id %q", n1.ID)
	}
	// b2 cannot place b1's ids, even with a Seq it has.
	if _, err := history(t, b2, "a", m1.ID, 0); !errors.Is(err, pubsub.ErrGap) {
		t.Fatalf("another broker's id: %v, want ErrGap", err)
	}
	// The publisher's id is kept, and resumed from.
	own, _ := b1.Publish(ctx, pubsub.Message{Topic: "a", ID: "mine", Data: "w"})
	b1.Publish(ctx, pubsub.Message{Topic: "a", Data: "v"})
	if own.ID != "mine" || own.Seq != 3 {
		t.Fatalf("own id: %+v", own)
	}
	if got, err := history(t, b1, "a", "mine", 0); got != "v" || err != nil {
		t.Fatalf("after an own id: %q %v", got, err)
	}
	if _, err := b1.Publish(ctx, pubsub.Message{Topic: "a", ID: "bad\nid"}); !errors.Is(err, pubsub.ErrInvalidID) {
		t.Fatalf("an id with LF: %v", err)
	}
	done, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := b1.Publish(done, pubsub.Message{Topic: "a"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("a cancelled context: %v", err)
	}
}

// The history keeps ReplayCount messages; the one just before the oldest
// kept is placed without being kept; older ones are a gap.
func TestMemoryBrokerHistoryCount(t *testing.T) {
	b, _ := newBroker(t, pubsub.MemoryBrokerOptions{ReplayCount: 3})
	if got, err := history(t, b, "t", "", 0); got != "" || err != nil {
		t.Fatalf("an unknown topic from the start: %q %v", got, err)
	}
	if _, err := history(t, b, "t", "x-1", 0); !errors.Is(err, pubsub.ErrGap) {
		t.Fatalf("an unknown topic after an id: %v", err)
	}
	ms := publishTo(t, b, "t", 1, 10)
	for _, c := range []struct {
		after string
		limit int
		want  string
		gap   bool
	}{
		{"", 0, "8,9,10", false},
		{"", 2, "8,9", false},
		{ms["9"].ID, 0, "10", false},
		{ms["8"].ID, 0, "9,10", false},
		{ms["7"].ID, 0, "8,9,10", false}, // just before the oldest
		{ms["7"].ID, 1, "8", false},
		{ms["6"].ID, 0, "", true},
		{ms["10"].ID, 0, "", false}, // up to date
		{"never", 0, "", true},
		{strings.Replace(ms["7"].ID, "-", "x-", 1), 0, "", true}, // another epoch
	} {
		got, err := history(t, b, "t", c.after, c.limit)
		if got != c.want || errors.Is(err, pubsub.ErrGap) != c.gap || err != nil && !c.gap {
			t.Errorf("History(after %q, limit %d) = %q, %v; want %q, gap %v", c.after, c.limit, got, err, c.want, c.gap)
		}
	}
}

// Messages older than ReplayAge go; the ring grows with the messages, not
// at once to ReplayCount.
func TestMemoryBrokerHistoryAge(t *testing.T) {
	b, clock := newBroker(t, pubsub.MemoryBrokerOptions{ReplayAge: 90 * time.Second})
	ms := publishTo(t, b, "t", 1, 1)
	if n := pubsub.RingLen(b, "t"); n == 0 || n > 8 {
		t.Fatalf("one message, a ring of %d", n)
	}
	clock.advance(time.Minute)
	for k, m := range publishTo(t, b, "t", 2, 2) {
		ms[k] = m
	}
	clock.advance(time.Minute) // 1 is 2 min old, 2 is 1 min old
	for k, m := range publishTo(t, b, "t", 3, 3) {
		ms[k] = m
	}
	if n := pubsub.Kept(b, "t"); n != 2 {
		t.Fatalf("a publish kept %d messages, want 2: the expired one goes", n)
	}
	if got, err := history(t, b, "t", "", 0); got != "2,3" || err != nil {
		t.Fatalf("after 2 min: %q %v", got, err)
	}
	if got, err := history(t, b, "t", ms["1"].ID, 0); got != "2,3" || err != nil {
		t.Fatalf("after the expired one just before the oldest: %q %v", got, err)
	}
	clock.advance(time.Minute) // 2 is 2 min old, 3 is 1 min old
	if _, err := history(t, b, "t", ms["1"].ID, 0); !errors.Is(err, pubsub.ErrGap) {
		t.Fatalf("two expired: %v", err)
	}
	// The sweep drops what expired without a publish or a read, and lets
	// go of an emptied ring; the sequence goes on.
	clock.advance(time.Hour)
	pubsub.Sweep(b)
	if n := pubsub.RingLen(b, "t"); n != 0 {
		t.Fatalf("after the sweep, a ring of %d", n)
	}
	if got, err := history(t, b, "t", ms["3"].ID, 0); got != "" || err != nil {
		t.Fatalf("up to date after everything expired: %q %v", got, err)
	}
	if m, _ := b.Publish(ctx, pubsub.Message{Topic: "t"}); m.Seq != 4 {
		t.Fatalf("after the sweep, Seq %d", m.Seq)
	}
	// Growing: 1000 messages fit, and the ring stops at 1000.
	publishTo(t, b, "big", 1, 1500)
	if n := pubsub.RingLen(b, "big"); n != pubsub.DefaultReplayCount {
		t.Fatalf("ring of %d after 1500 messages", n)
	}
	if got, _ := history(t, b, "big", "", 1); got != "501" {
		t.Fatalf("oldest kept: %q", got)
	}
}

// NoReplay keeps nothing: every resume but from the newest is a gap.
func TestMemoryBrokerNoReplay(t *testing.T) {
	b, _ := newBroker(t, pubsub.MemoryBrokerOptions{NoReplay: true})
	var got []string
	f := b.Attach(pubsub.Handler{Message: func(m pubsub.Message) { got = append(got, m.Data) }})
	f.Watch("t")
	ms := publishTo(t, b, "t", 1, 3)
	if strings.Join(got, ",") != "1,2,3" {
		t.Fatalf("delivered %q", got)
	}
	if h, err := history(t, b, "t", "", 0); h != "" || err != nil {
		t.Fatalf("history: %q %v", h, err)
	}
	if _, err := history(t, b, "t", ms["2"].ID, 0); !errors.Is(err, pubsub.ErrGap) {
		t.Fatalf("resuming before the newest: %v", err)
	}
	if h, err := history(t, b, "t", ms["3"].ID, 0); h != "" || err != nil {
		t.Fatalf("resuming from the newest: %q %v", h, err)
	}
	if n := pubsub.RingLen(b, "t"); n != 0 {
		t.Fatalf("a ring of %d", n)
	}
}

// A feed receives the topics it watches, from Watch to Unwatch, in order;
// Close detaches it.
func TestMemoryBrokerFeeds(t *testing.T) {
	b, _ := newBroker(t, pubsub.MemoryBrokerOptions{})
	var mu sync.Mutex
	got := map[string][]string{}
	feed := func(name string) pubsub.Feed {
		return b.Attach(pubsub.Handler{Message: func(m pubsub.Message) {
			mu.Lock()
			got[name] = append(got[name], m.Topic+m.Data)
			mu.Unlock()
		}})
	}
	f1, f2 := feed("f1"), feed("f2")
	publishTo(t, b, "a", 1, 1) // nobody watches
	f1.Watch("a")
	f1.Watch("a") // twice: delivered once
	f2.Watch("b")
	publishTo(t, b, "a", 2, 3)
	publishTo(t, b, "b", 1, 1)
	f2.Watch("a")
	publishTo(t, b, "a", 4, 4)
	f1.Unwatch("a")
	publishTo(t, b, "a", 5, 5)
	f2.Close()
	publishTo(t, b, "a", 6, 6)
	publishTo(t, b, "b", 2, 2)
	f2.Watch("a") // closed: nothing
	publishTo(t, b, "a", 7, 7)
	want := map[string][]string{"f1": {"a2", "a3", "a4"}, "f2": {"b1", "a4", "a5"}}
	mu.Lock()
	defer mu.Unlock()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("delivered %v, want %v", got, want)
	}
}

// Every feed sees a topic's messages in Seq order, whatever the number of
// publishers.
func TestMemoryBrokerOrder(t *testing.T) {
	b, _ := newBroker(t, pubsub.MemoryBrokerOptions{})
	const feeds, publishers, each = 4, 4, 500
	last := make([]uint64, feeds)
	bad := make(chan string, feeds)
	for i := range feeds {
		b.Attach(pubsub.Handler{Message: func(m pubsub.Message) {
			if m.Seq != last[i]+1 { // under the broker's lock: no race
				select {
				case bad <- fmt.Sprintf("feed %d: Seq %d after %d", i, m.Seq, last[i]):
				default:
				}
			}
			last[i] = m.Seq
		}}).Watch("t")
	}
	var wg sync.WaitGroup
	for range publishers {
		wg.Go(func() {
			for range each {
				b.Publish(ctx, pubsub.Message{Topic: "t"})
			}
		})
	}
	wg.Wait()
	close(bad)
	for s := range bad {
		t.Fatal(s)
	}
	for i, n := range last {
		if n != publishers*each {
			t.Fatalf("feed %d saw up to %d", i, n)
		}
	}
}

// After Close, Publish and History fail and feeds receive nothing; a watch
// is reported as a broker fault.
func TestMemoryBrokerClose(t *testing.T) {
	b, _ := newBroker(t, pubsub.MemoryBrokerOptions{})
	var got []string
	var faults []error
	f := b.Attach(pubsub.Handler{
		Message: func(m pubsub.Message) { got = append(got, m.Data) },
		Error:   func(topic string, err error) { faults = append(faults, err) },
	})
	f.Watch("t")
	publishTo(t, b, "t", 1, 1)
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Publish(ctx, pubsub.Message{Topic: "t"}); !errors.Is(err, pubsub.ErrClosed) {
		t.Fatalf("Publish after Close: %v", err)
	}
	if _, err := b.History(ctx, "t", "", 0); !errors.Is(err, pubsub.ErrClosed) {
		t.Fatalf("History after Close: %v", err)
	}
	f.Watch("u")
	if len(got) != 1 || len(faults) != 1 || !errors.Is(faults[0], pubsub.ErrClosed) {
		t.Fatalf("delivered %q, faults %v", got, faults)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("a second Close: %v", err)
	}
	f.Unwatch("t")
	if err := f.Close(); err != nil {
		t.Fatalf("closing a feed of a closed broker: %v", err)
	}
}

// Publishing with no feed watching allocates only the id.
func TestMemoryBrokerPublishAllocs(t *testing.T) {
	b, _ := newBroker(t, pubsub.MemoryBrokerOptions{ReplayCount: 16})
	publishTo(t, b, "t", 1, 32) // the ring is grown
	if n := testing.AllocsPerRun(100, func() { b.Publish(ctx, pubsub.Message{Topic: "t", Data: "x"}) }); n > 1 {
		t.Fatalf("%v allocations per Publish, want at most 1 (the id)", n)
	}
	if n := testing.AllocsPerRun(100, func() { b.Publish(ctx, pubsub.Message{Topic: "t", ID: "own", Data: "x"}) }); n != 0 {
		t.Fatalf("%v allocations per Publish with an id, want 0", n)
	}
}
