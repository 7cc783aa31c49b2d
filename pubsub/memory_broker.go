package pubsub

import (
	"container/heap"
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/workerman-go/workerman/protocols/sse"
)

// Defaults of MemoryBrokerOptions (and of the Hub's Options, which make
// one).
//
// DefaultReplayBytes, 1 MiB per topic, keeps a topic's whole default
// history (1000 messages) when its messages are under about 900 bytes, as
// chat lines, notifications and small JSON events are: for them the count
// and the age decide. A topic of large messages keeps its newest
// MiB, which is what a client that was away for a moment needs. It is also
// a connection's default send buffer (connection.DefaultMaxSendBufferSize),
// into which a replay is written at once: a whole history of single-line
// messages, encoded, fits in it (each message's encoding is smaller than
// what Message.Size counts), rather than disconnecting the client as a
// slow one. A larger ReplayBytes wants a larger send buffer.
//
// DefaultMaxBytes, 64 MiB for all topics together, bounds what the history
// may take whatever the number of topics (the budget per topic alone grows
// with them: 1000 topics of 1 MiB are 1 GiB): 64 full topics, or thousands
// of topics of small messages, at a cost small beside a server's memory.
// Beyond it the oldest messages go first, the ones least likely to be asked
// for (only by the client that was away the longest).
const (
	DefaultReplayCount = 1000
	DefaultReplayAge   = 10 * time.Minute
	DefaultReplayBytes = 1 << 20
	DefaultMaxBytes    = 64 << 20
)

// MessageOverhead is what a MemoryBroker counts for each message it keeps,
// besides its strings (see Message.Size): its entry in the topic's ring
// and the allocation of its id.
const MessageOverhead = 128

// MemoryBrokerOptions configure a MemoryBroker.
type MemoryBrokerOptions struct {
	// ReplayCount is the most messages kept per topic (default 1000).
	ReplayCount int
	// ReplayAge drops kept messages older than this (default 10 min).
	ReplayAge time.Duration
	// ReplayBytes is the most bytes kept per topic, counted by
	// Message.Size (default DefaultReplayBytes, 1 MiB; at most MaxBytes).
	// Beyond it the topic's oldest messages are dropped. A message larger
	// than ReplayBytes is delivered but not kept, and the topic's older
	// messages are dropped with it: the history is always the newest
	// messages of the topic, without a hole, so a resume from before it is
	// a gap.
	ReplayBytes int
	// MaxBytes is the most bytes kept for all topics together (default
	// DefaultMaxBytes, 64 MiB). Beyond it the oldest messages of the broker
	// are dropped, whatever their topic.
	MaxBytes int
	// NoReplay keeps no history: every resume but from the newest message
	// is a gap.
	NoReplay bool
}

// MemoryBrokerStats are a snapshot of what a MemoryBroker keeps.
type MemoryBrokerStats struct {
	Topics   int // topics known: every topic published on, and those watched
	Messages int // messages kept, all topics together
	Bytes    int // their size, as the budgets count it (Message.Size)
	MaxBytes int // the budget of all topics (MemoryBrokerOptions.MaxBytes)
	// TopicBudgetDrops counts the messages dropped to keep a topic within
	// ReplayBytes (a message larger than it, never kept, counts too);
	// BrokerBudgetDrops those dropped to keep the broker within MaxBytes.
	// Messages dropped by count or age are not counted: that is their
	// time.
	TopicBudgetDrops  uint64
	BrokerBudgetDrops uint64
}

// MemoryBroker is the in-process Broker: per topic a sequence counter, a
// ring of the recent messages (bounded by count, age and bytes, grown as
// messages come and shrunk as they go), and the feeds watching it. Publish
// delivers to the watching feeds synchronously, under the broker's lock, so
// every Hub sees a topic's messages in order.
//
// The bytes of all topics together are bounded too (MaxBytes): the topics
// that keep messages are in a heap ordered by their oldest message, so that
// the oldest message of the broker is found at once when one must go. A
// publish costs O(1), and O(log topics) for each topic whose oldest message
// changes (one dropped, a first one kept); it never scans the topics. A dropped message is cleared from the
// ring, and a ring mostly empty is made smaller, so that the memory of
// what is dropped is released. (The broker keeps the strings it is given as
// they are: a Data that is a small part of a larger string keeps all of it
// alive. The publisher should pass a string of its own, as string(b) makes
// from bytes.)
//
// The ids it makes are "<epoch>-<seq>", the epoch (the broker's creation
// time in base 36, unique in the process) telling one broker's life from
// another's, so an id from an earlier run is a gap rather than another
// message. With these ids the message just before the oldest kept one is
// placed without being kept.
//
// A topic's sequence counter lives as long as the broker (a topic that comes
// back does not reuse ids): one small entry per topic ever published.
// Messages older than ReplayAge are dropped when their topic is used, and
// by a sweep every ReplayAge.
type MemoryBroker struct {
	epoch      string
	count      int // messages kept per topic; 0: none
	age        time.Duration
	topicBytes int // bytes kept per topic
	maxBytes   int // bytes kept for all topics
	now        func() time.Time
	sweepT     *time.Timer

	mu     sync.Mutex
	closed bool
	topics map[string]*memTopic
	feeds  map[*memFeed]struct{}
	// oldest holds the topics that keep messages, by their oldest one.
	oldest topicHeap
	order  uint64 // messages published, all topics together
	bytes  int    // kept, all topics together
	kept   int    // messages kept, all topics together

	topicDrops, brokerDrops uint64
}

// memTopic is one topic of a MemoryBroker, guarded by its mutex.
type memTopic struct {
	seq    uint64 // the last Seq given
	lastID string // the last message's id
	ring   []memEntry
	head   int // the oldest kept message, when n > 0
	n      int
	bytes  int // the size of the kept messages
	hindex int // the topic's place in the broker's heap; -1: not in it
	feeds  []*memFeed
}

// memEntry is a kept message, and its place among all the broker's
// messages.
type memEntry struct {
	m     Message
	order uint64
}

// lastEpoch makes the epochs of the brokers of a process distinct even when
// two are made in the same microsecond.
var lastEpoch atomic.Int64

// NewMemoryBroker returns an in-memory broker. Close stops it.
func NewMemoryBroker(opts MemoryBrokerOptions) *MemoryBroker {
	if opts.ReplayCount <= 0 {
		opts.ReplayCount = DefaultReplayCount
	}
	if opts.NoReplay {
		opts.ReplayCount = 0
	}
	if opts.ReplayAge <= 0 {
		opts.ReplayAge = DefaultReplayAge
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	if opts.ReplayBytes <= 0 {
		opts.ReplayBytes = DefaultReplayBytes
	}
	opts.ReplayBytes = min(opts.ReplayBytes, opts.MaxBytes)
	var epoch int64
	for {
		last := lastEpoch.Load()
		epoch = max(time.Now().UnixMicro(), last+1)
		if lastEpoch.CompareAndSwap(last, epoch) {
			break
		}
	}
	b := &MemoryBroker{
		epoch:      strconv.FormatInt(epoch, 36),
		count:      opts.ReplayCount,
		age:        opts.ReplayAge,
		topicBytes: opts.ReplayBytes,
		maxBytes:   opts.MaxBytes,
		now:        time.Now,
		topics:     map[string]*memTopic{},
		feeds:      map[*memFeed]struct{}{},
	}
	if b.count > 0 {
		b.mu.Lock() // sweep reads sweepT under it
		b.sweepT = time.AfterFunc(b.age, b.sweep)
		b.mu.Unlock()
	}
	return b
}

// Publish implements Broker. It does not block (beyond the broker's lock).
func (b *MemoryBroker) Publish(ctx context.Context, m Message) (Message, error) {
	if err := ctx.Err(); err != nil {
		return Message{}, fmt.Errorf("pubsub: publish on %q: %w", m.Topic, err)
	}
	if !sse.ValidID(m.ID) {
		return Message{}, ErrInvalidID
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return Message{}, fmt.Errorf("pubsub: publish on %q: %w", m.Topic, ErrClosed)
	}
	t := b.topic(m.Topic)
	t.seq++
	m.Seq = t.seq
	if m.ID == "" {
		m.ID = b.epoch + "-" + strconv.FormatUint(m.Seq, 10)
	}
	m.Time = b.now()
	t.lastID = m.ID
	if b.count > 0 {
		b.expire(t, m.Time.Add(-b.age))
		b.keep(t, m)
	}
	for _, f := range t.feeds {
		f.h.Message(m) // under b.mu: every feed sees the topic's messages in order
	}
	return m, nil
}

// History implements Broker. It does not block (beyond the broker's lock).
func (b *MemoryBroker) History(ctx context.Context, topic, after string, limit int) ([]Message, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("pubsub: history of %q: %w", topic, err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, fmt.Errorf("pubsub: history of %q: %w", topic, ErrClosed)
	}
	t := b.topics[topic]
	if t == nil {
		if after == "" {
			return nil, nil
		}
		return nil, fmt.Errorf("pubsub: history of %q after %q: nothing published: %w", topic, after, ErrGap)
	}
	b.expire(t, b.now().Add(-b.age))
	i, ok := t.since(after)
	if !ok {
		return nil, fmt.Errorf("pubsub: history of %q after %q: not kept: %w", topic, after, ErrGap)
	}
	n := t.n - i
	if limit > 0 {
		n = min(n, limit)
	}
	if n == 0 {
		return nil, nil
	}
	out := make([]Message, n)
	for k := range out {
		out[k] = *t.at(i + k)
	}
	return out, nil
}

// Stats returns a snapshot of what b keeps. After Close, it is all zero
// but the budget and the drops.
func (b *MemoryBroker) Stats() MemoryBrokerStats {
	b.mu.Lock()
	defer b.mu.Unlock()
	return MemoryBrokerStats{
		Topics:            len(b.topics),
		Messages:          b.kept,
		Bytes:             b.bytes,
		MaxBytes:          b.maxBytes,
		TopicBudgetDrops:  b.topicDrops,
		BrokerBudgetDrops: b.brokerDrops,
	}
}

// Attach implements Broker. A nil function of h is taken as one that does
// nothing.
func (b *MemoryBroker) Attach(h Handler) Feed {
	if h.Message == nil {
		h.Message = func(Message) {}
	}
	if h.Error == nil {
		h.Error = func(string, error) {}
	}
	f := &memFeed{b: b, h: h, topics: map[string]struct{}{}}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		f.closed = true
	} else {
		b.feeds[f] = struct{}{}
	}
	return f
}

// Close implements Broker. It always returns nil.
func (b *MemoryBroker) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil
	}
	b.closed = true
	if b.sweepT != nil {
		b.sweepT.Stop()
	}
	for f := range b.feeds {
		f.closed = true
		f.topics = nil
	}
	b.feeds, b.topics = nil, nil
	b.oldest, b.bytes, b.kept = nil, 0, 0
	return nil
}

// topic returns the topic named name, made if needed. b.mu is held.
func (b *MemoryBroker) topic(name string) *memTopic {
	t := b.topics[name]
	if t == nil {
		t = &memTopic{hindex: -1}
		b.topics[name] = t
	}
	return t
}

// sweep drops the expired messages of every topic, and comes back after
// ReplayAge.
func (b *MemoryBroker) sweep() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	cutoff := b.now().Add(-b.age)
	for _, t := range b.topics {
		b.expire(t, cutoff)
	}
	b.sweepT.Reset(b.age)
}

// keep records m, just published, in t's history, within the count and
// the budgets: the oldest messages of t go first, then, beyond MaxBytes,
// the oldest of the broker.
func (b *MemoryBroker) keep(t *memTopic, m Message) {
	size := m.Size()
	if size > b.topicBytes {
		// Not kept. The older messages go too, so that the history stays
		// the newest messages without a hole: a resume from before m is a
		// gap, from m up to date.
		b.topicDrops += uint64(t.n) + 1
		for t.n > 0 {
			b.drop(t)
		}
		b.settle(t)
		return
	}
	if t.n == b.count {
		b.drop(t)
	}
	if t.n == len(t.ring) {
		t.resize(min(b.count, 2*len(t.ring)+4))
	}
	b.order++
	t.ring[(t.head+t.n)%len(t.ring)] = memEntry{m: m, order: b.order}
	t.n++
	t.bytes += size
	b.bytes += size
	b.kept++
	for t.bytes > b.topicBytes {
		b.drop(t)
		b.topicDrops++
	}
	b.settle(t)
	for b.bytes > b.maxBytes {
		// t's message is not the one to go: it fits in ReplayBytes, which
		// is at most MaxBytes, so the others go before it.
		o := b.oldest[0]
		b.drop(o)
		b.brokerDrops++
		b.settle(o)
	}
}

// drop drops t's oldest kept message (t.n > 0). settle(t) must follow:
// t's oldest message changed.
func (b *MemoryBroker) drop(t *memTopic) {
	e := &t.ring[t.head]
	size := e.m.Size()
	*e = memEntry{} // its strings are released
	t.head = (t.head + 1) % len(t.ring)
	t.n--
	t.bytes -= size
	b.bytes -= size
	b.kept--
}

// settle puts t in its place in the heap of oldest messages after its
// oldest message changed, or takes it out when it keeps none, and makes a
// ring that is mostly empty smaller (an empty one is released).
func (b *MemoryBroker) settle(t *memTopic) {
	switch {
	case t.n == 0:
		if t.hindex >= 0 {
			heap.Remove(&b.oldest, t.hindex)
		}
	case t.hindex < 0:
		heap.Push(&b.oldest, t)
	default:
		heap.Fix(&b.oldest, t.hindex)
	}
	switch {
	case t.n == 0:
		t.ring, t.head = nil, 0
	case len(t.ring) > 16 && t.n <= len(t.ring)/4:
		t.resize(2 * t.n)
	}
}

// resize moves t's kept messages to a ring of size n (n >= t.n).
func (t *memTopic) resize(n int) {
	ring := make([]memEntry, n)
	for i := range t.n {
		ring[i] = t.ring[(t.head+i)%len(t.ring)]
	}
	t.ring, t.head = ring, 0
}

// at returns the i-th kept message, oldest first.
func (t *memTopic) at(i int) *Message { return &t.ring[(t.head+i)%len(t.ring)].m }

// expire drops the messages of t published before cutoff.
func (b *MemoryBroker) expire(t *memTopic, cutoff time.Time) {
	if t.n == 0 || !t.at(0).Time.Before(cutoff) {
		return
	}
	for t.n > 0 && t.at(0).Time.Before(cutoff) {
		b.drop(t)
	}
	b.settle(t)
}

// since returns the index of the first kept message after the one with id
// after, or false when after cannot be placed.
func (t *memTopic) since(after string) (int, bool) {
	switch {
	case after == "":
		return 0, true
	case t.seq > 0 && after == t.lastID:
		return t.n, true // up to date
	}
	for i := t.n - 1; i >= 0; i-- {
		if t.at(i).ID == after {
			return i + 1, true
		}
	}
	// With the broker's own ids ("<epoch>-<seq>"), the message just before
	// the oldest kept one is known without being kept.
	if t.n > 0 {
		first := t.at(0)
		fe, fseq, ok1 := splitID(first.ID)
		ae, aseq, ok2 := splitID(after)
		if ok1 && ok2 && fe == ae && fseq == first.Seq && aseq+1 == fseq {
			return 0, true
		}
	}
	return 0, false
}

// splitID splits an id made by a MemoryBroker, "<epoch>-<seq>".
func splitID(id string) (epoch string, seq uint64, ok bool) {
	i := strings.LastIndexByte(id, '-')
	if i <= 0 {
		return "", 0, false
	}
	seq, err := strconv.ParseUint(id[i+1:], 10, 64)
	if err != nil || strconv.FormatUint(seq, 10) != id[i+1:] {
		return "", 0, false
	}
	return id[:i], seq, true
}

// topicHeap is the topics that keep messages, the one with the oldest
// message first (container/heap).
type topicHeap []*memTopic

func (h topicHeap) Len() int { return len(h) }

func (h topicHeap) Less(i, j int) bool {
	a, b := h[i], h[j]
	return a.ring[a.head].order < b.ring[b.head].order
}

func (h topicHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].hindex, h[j].hindex = i, j
}

func (h *topicHeap) Push(x any) {
	t := x.(*memTopic)
	t.hindex = len(*h)
	*h = append(*h, t)
}

func (h *topicHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	t.hindex = -1
	return t
}

// memFeed is a Hub's attachment to a MemoryBroker. Its fields are guarded
// by the broker's mutex.
type memFeed struct {
	b      *MemoryBroker
	h      Handler
	topics map[string]struct{}
	closed bool
}

// Watch implements Feed. On a closed broker or feed it reports ErrClosed
// to Handler.Error (topic "").
func (f *memFeed) Watch(topic string) {
	b := f.b
	b.mu.Lock()
	if f.closed {
		b.mu.Unlock()
		f.h.Error("", fmt.Errorf("pubsub: watch %q: %w", topic, ErrClosed))
		return
	}
	defer b.mu.Unlock()
	if _, ok := f.topics[topic]; ok {
		return
	}
	f.topics[topic] = struct{}{}
	t := b.topic(topic)
	t.feeds = append(t.feeds, f)
}

// Unwatch implements Feed.
func (f *memFeed) Unwatch(topic string) {
	b := f.b
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := f.topics[topic]; !ok {
		return
	}
	delete(f.topics, topic)
	f.unwatch(topic)
}

// unwatch takes f off the topic's feeds. b.mu is held.
func (f *memFeed) unwatch(topic string) {
	b := f.b
	t := b.topics[topic]
	if t == nil {
		return
	}
	for i, g := range t.feeds {
		if g == f {
			last := len(t.feeds) - 1
			t.feeds[i] = t.feeds[last]
			t.feeds[last] = nil
			t.feeds = t.feeds[:last]
			break
		}
	}
	if t.seq == 0 && len(t.feeds) == 0 {
		delete(b.topics, topic) // watched, never published: nothing to remember
	}
}

// Close implements Feed. It always returns nil.
func (f *memFeed) Close() error {
	b := f.b
	b.mu.Lock()
	defer b.mu.Unlock()
	if f.closed {
		return nil
	}
	f.closed = true
	for topic := range f.topics {
		f.unwatch(topic)
	}
	f.topics = nil
	delete(b.feeds, f)
	return nil
}
