package pubsub_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"
	"weak"

	"github.com/workerman-go/workerman/pubsub"
)

// publishData publishes a message with data on topic.
func publishData(t *testing.T, b pubsub.Broker, topic, data string) pubsub.Message {
	t.Helper()
	m, err := b.Publish(ctx, pubsub.Message{Topic: topic, Data: data})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// checkBudgets checks b's accounting against what it keeps.
func checkBudgets(t *testing.T, b *pubsub.MemoryBroker) {
	t.Helper()
	if err := pubsub.CheckBudgets(b); err != nil {
		t.Fatal(err)
	}
}

// sized is a message data of n bytes that starts with label.
func sized(label string, n int) string {
	return label + strings.Repeat(".", n-len(label))
}

// labels is the label of each message of ms: its data up to the first ".".
func labels(ms []pubsub.Message) string {
	var s []string
	for _, m := range ms {
		label, _, _ := strings.Cut(m.Data, ".")
		s = append(s, label)
	}
	return strings.Join(s, ",")
}

func historyLabels(t *testing.T, b pubsub.Broker, topic, after string) (string, error) {
	t.Helper()
	ms, err := b.History(ctx, topic, after, 0)
	return labels(ms), err
}

// Issue 9: 100 messages of 1 MB on one topic with the default options (1000
// messages, 10 minutes) kept 100 MB. A topic keeps 1 MiB by default: the
// newest messages within it, and a resume from a message that went is a
// gap, as a resume from one too old for the count is.
func TestMemoryBrokerDefaultByteBudget(t *testing.T) {
	b, _ := newBroker(t, pubsub.MemoryBrokerOptions{})
	var ms []pubsub.Message
	for i := range 100 {
		ms = append(ms, publishData(t, b, "chat", sized(strconv.Itoa(i), 1_000_000)))
	}
	kept, err := b.History(ctx, "chat", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	size := 0
	for _, m := range kept {
		size += len(m.Data) + len(m.ID) + len(m.Event) + len(m.Topic)
	}
	if len(kept) != 1 || kept[0].Seq != 100 || size > 1<<20 {
		t.Fatalf("kept %d messages of %d bytes (the last one %q), want the newest alone, within 1 MiB", len(kept), size, labels(kept[len(kept)-1:]))
	}
	if _, err := b.History(ctx, "chat", ms[97].ID, 0); !errors.Is(err, pubsub.ErrGap) {
		t.Fatalf("resuming after a dropped message: %v, want ErrGap", err)
	}
	if got, err := historyLabels(t, b, "chat", ms[98].ID); got != "99" || err != nil {
		t.Fatalf("resuming after the one just before the kept one: %q %v", got, err)
	}
}

// ReplayBytes bounds each topic: its oldest messages go first, each topic
// on its own; a resume from one that went is a gap.
func TestMemoryBrokerTopicBudget(t *testing.T) {
	// A message of 1000 bytes of data counts about 1150: three fit.
	b, _ := newBroker(t, pubsub.MemoryBrokerOptions{ReplayBytes: 3600})
	var ms []pubsub.Message
	for i := 1; i <= 20; i++ {
		ms = append(ms, publishData(t, b, "a", sized("a"+strconv.Itoa(i), 1000)))
		if i == 2 {
			publishData(t, b, "b", sized("b1", 1000))
			publishData(t, b, "b", sized("b2", 1000))
		}
		checkBudgets(t, b)
		if st := b.Stats(); st.Bytes > 2*3600 {
			t.Fatalf("after %d messages: %+v", i, st)
		}
	}
	if got, err := historyLabels(t, b, "a", ""); got != "a18,a19,a20" || err != nil {
		t.Fatalf("kept %q %v, want the newest three", got, err)
	}
	if got, err := historyLabels(t, b, "b", ""); got != "b1,b2" || err != nil {
		t.Fatalf("the other topic kept %q %v", got, err)
	}
	if got, err := historyLabels(t, b, "a", ms[16].ID); got != "a18,a19,a20" || err != nil {
		t.Fatalf("after the one just before the oldest kept: %q %v", got, err)
	}
	if _, err := b.History(ctx, "a", ms[15].ID, 0); !errors.Is(err, pubsub.ErrGap) {
		t.Fatalf("after a dropped one: %v, want ErrGap", err)
	}
	want := 0
	for _, m := range append(ms[17:], publishData(t, b, "b", sized("b3", 10))) {
		want += m.Size()
	}
	st := b.Stats()
	// b3 is small: b1 and b2 stay.
	if st.Messages != 6 || st.Bytes != want+2*(1000+len("b")+len(ms[0].ID)+pubsub.MessageOverhead) || st.TopicBudgetDrops != 17 || st.BrokerBudgetDrops != 0 || st.Topics != 2 || st.MaxBytes != pubsub.DefaultMaxBytes {
		t.Fatalf("stats %+v", st)
	}
}

// A message larger than ReplayBytes is delivered, but not kept; the older
// messages of its topic go with it, so that a resume from before it is a
// gap rather than a history without it.
func TestMemoryBrokerMessageOverBudget(t *testing.T) {
	b, _ := newBroker(t, pubsub.MemoryBrokerOptions{ReplayBytes: 3600})
	var got []string
	b.Attach(pubsub.Handler{Message: func(m pubsub.Message) { got = append(got, labels([]pubsub.Message{m})) }}).Watch("t")
	a1 := publishData(t, b, "t", sized("a1", 100))
	a2 := publishData(t, b, "t", sized("a2", 100))
	big := publishData(t, b, "t", sized("big", 3600))
	checkBudgets(t, b)
	if strings.Join(got, ",") != "a1,a2,big" {
		t.Fatalf("delivered %q", got)
	}
	if h, err := historyLabels(t, b, "t", ""); h != "" || err != nil {
		t.Fatalf("kept %q %v, want nothing", h, err)
	}
	if n := pubsub.RingLen(b, "t"); n != 0 {
		t.Fatalf("a ring of %d", n)
	}
	for _, after := range []string{a1.ID, a2.ID} {
		if _, err := b.History(ctx, "t", after, 0); !errors.Is(err, pubsub.ErrGap) {
			t.Fatalf("after a message before the large one: %v, want ErrGap", err)
		}
	}
	if h, err := historyLabels(t, b, "t", big.ID); h != "" || err != nil {
		t.Fatalf("after the large one, the newest: %q %v", h, err)
	}
	publishData(t, b, "t", sized("a4", 100))
	if h, err := historyLabels(t, b, "t", big.ID); h != "a4" || err != nil {
		t.Fatalf("after the large one: %q %v", h, err)
	}
	if _, err := b.History(ctx, "t", a2.ID, 0); !errors.Is(err, pubsub.ErrGap) {
		t.Fatalf("after a message before the large one: %v, want ErrGap", err)
	}
	if st := b.Stats(); st.Messages != 1 || st.TopicBudgetDrops != 3 {
		t.Fatalf("stats %+v", st)
	}
	checkBudgets(t, b)
}

// MaxBytes bounds all topics together: the oldest messages of the broker
// go first, whatever their topic, down to emptying topics.
func TestMemoryBrokerMaxBytes(t *testing.T) {
	// Five messages of 1000 bytes of data fit; ReplayBytes is cut to
	// MaxBytes.
	b, _ := newBroker(t, pubsub.MemoryBrokerOptions{MaxBytes: 6000})
	ids := map[string]string{}
	publish := func(labels ...string) {
		for _, l := range labels {
			ids[l] = publishData(t, b, l[:1], sized(l, 1000)).ID
			checkBudgets(t, b)
		}
	}
	expect := func(want ...string) {
		t.Helper()
		for i, topic := range []string{"a", "b", "c", "d"} {
			if got, err := historyLabels(t, b, topic, ""); got != want[i] || err != nil {
				t.Fatalf("topic %s kept %q %v, want %q", topic, got, err, want[i])
			}
		}
	}
	publish("a1", "b1", "c1", "a2", "b2", "c2")
	expect("a2", "b1,b2", "c1,c2", "")
	publish("a3")
	expect("a2,a3", "b2", "c1,c2", "")
	publish("c3", "b3")
	expect("a3", "b2,b3", "c2,c3", "")
	if st := b.Stats(); st.Messages != 5 || st.Bytes > 6000 || st.BrokerBudgetDrops != 4 || st.TopicBudgetDrops != 0 {
		t.Fatalf("stats %+v", st)
	}
	if _, err := b.History(ctx, "a", ids["a1"], 0); !errors.Is(err, pubsub.ErrGap) {
		t.Fatalf("after a dropped message: %v, want ErrGap", err)
	}
	if got, err := historyLabels(t, b, "a", ids["a2"]); got != "a3" || err != nil {
		t.Fatalf("after the one just before the oldest kept: %q %v", got, err)
	}
	// A message of 5000 bytes takes the place of all the others.
	ids["d1"] = publishData(t, b, "d", sized("d1", 5000)).ID
	checkBudgets(t, b)
	expect("", "", "", "d1")
	if _, err := b.History(ctx, "b", ids["b2"], 0); !errors.Is(err, pubsub.ErrGap) {
		t.Fatalf("after a dropped message of an emptied topic: %v, want ErrGap", err)
	}
	if got, err := historyLabels(t, b, "b", ids["b3"]); got != "" || err != nil {
		t.Fatalf("after the newest message of an emptied topic: %q %v", got, err)
	}
	if st := b.Stats(); st.Messages != 1 || st.BrokerBudgetDrops != 9 {
		t.Fatalf("stats %+v", st)
	}
	for _, topic := range []string{"a", "b", "c"} {
		if n := pubsub.RingLen(b, topic); n != 0 {
			t.Fatalf("topic %s: a ring of %d", topic, n)
		}
	}
}

// The budgets against a model: random publishes of random sizes on a few
// topics keep exactly what the rules say (the count, then the topic's
// budget, then the broker's, the oldest first), and the accounting stays
// true.
func TestMemoryBrokerBudgetModel(t *testing.T) {
	const count, topicBytes, maxBytes = 8, 3000, 7000
	b, _ := newBroker(t, pubsub.MemoryBrokerOptions{ReplayCount: count, ReplayBytes: topicBytes, MaxBytes: maxBytes})
	type entry struct {
		topic, label string
		size         int
	}
	var model []entry // kept, oldest first
	countDrops := 0
	// remove drops the oldest message of topic ("": of all).
	remove := func(topic string) {
		for i, e := range model {
			if topic == "" || e.topic == topic {
				model = append(model[:i], model[i+1:]...)
				return
			}
		}
	}
	sum := func(topic string) (n, size int) {
		for _, e := range model {
			if topic == "" || e.topic == topic {
				n++
				size += e.size
			}
		}
		return n, size
	}
	topics := []string{"t0", "t1", "t2", "t3", "t4"}
	r := rand.New(rand.NewPCG(9, 11))
	for i := range 3000 {
		topic := topics[r.IntN(len(topics))]
		label := "m" + strconv.Itoa(i)
		n := r.IntN(300) // mostly small: the count matters too
		if r.IntN(4) == 0 {
			n = r.IntN(3200)
		}
		m := publishData(t, b, topic, sized(label, len(label)+n))
		size := m.Size()
		if size > topicBytes {
			for n, _ := sum(topic); n > 0; n-- {
				remove(topic)
			}
		} else {
			model = append(model, entry{topic, label, size})
			if n, _ := sum(topic); n > count {
				remove(topic)
				countDrops++
			}
			for _, s := sum(topic); s > topicBytes; _, s = sum(topic) {
				remove(topic)
			}
			for _, s := sum(""); s > maxBytes; _, s = sum("") {
				remove("")
			}
		}
		checkBudgets(t, b)
		for _, topic := range topics {
			var want []string
			for _, e := range model {
				if e.topic == topic {
					want = append(want, e.label)
				}
			}
			if got, err := historyLabels(t, b, topic, ""); got != strings.Join(want, ",") || err != nil {
				t.Fatalf("publish %d: topic %s kept %q %v, want %q", i, topic, got, err, want)
			}
		}
		if n, size := sum(""); b.Stats().Messages != n || b.Stats().Bytes != size {
			t.Fatalf("publish %d: stats %+v, want %d messages of %d bytes", i, b.Stats(), n, size)
		}
	}
	if st := b.Stats(); st.TopicBudgetDrops == 0 || st.BrokerBudgetDrops == 0 || countDrops == 0 {
		t.Fatalf("the model did not reach the count and both budgets: %+v, %d by count", st, countDrops)
	}
}

// heapBytes is the live heap, after a collection.
func heapBytes() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// The memory of a dropped or expired message is released: nothing of the
// broker's keeps its data alive, and the heap stays within the budget.
func TestMemoryBrokerReleasesMemory(t *testing.T) {
	b, clock := newBroker(t, pubsub.MemoryBrokerOptions{})
	before := heapBytes()
	var data []weak.Pointer[byte]
	for i := range 100 {
		m := publishData(t, b, "chat", sized(strconv.Itoa(i), 1_000_000))
		data = append(data, weak.Make(unsafe.StringData(m.Data)))
	}
	after := heapBytes()
	t.Logf("heap after 100 messages of 1 MB: %.1f MiB more", float64(after-min(before, after))/(1<<20))
	if after > before+16<<20 {
		t.Fatalf("the heap grew by %d bytes, want at most 16 MiB", after-before)
	}
	for i, p := range data[:99] {
		if p.Value() != nil {
			t.Fatalf("message %d was dropped, its data is still alive", i)
		}
	}
	if data[99].Value() == nil {
		t.Fatal("the kept message's data was collected")
	}
	clock.advance(pubsub.DefaultReplayAge + time.Second)
	pubsub.Sweep(b)
	heapBytes()
	if data[99].Value() != nil {
		t.Fatal("the expired message's data is still alive")
	}
	if st := b.Stats(); st.Messages != 0 || st.Bytes != 0 {
		t.Fatalf("after expiry: %+v", st)
	}
}

// A ring that the budget empties is made smaller.
func TestMemoryBrokerRingShrinks(t *testing.T) {
	b, _ := newBroker(t, pubsub.MemoryBrokerOptions{ReplayBytes: 100_000})
	for i := range 500 {
		publishData(t, b, "t", fmt.Sprint(i))
	}
	if n := pubsub.RingLen(b, "t"); n < 500 {
		t.Fatalf("a ring of %d for 500 messages", n)
	}
	publishData(t, b, "t", sized("big", 99_000))
	checkBudgets(t, b)
	if k, n := pubsub.Kept(b, "t"), pubsub.RingLen(b, "t"); k > 10 || n > 4*k+16 {
		t.Fatalf("%d messages kept in a ring of %d", k, n)
	}
}
