package pubsub

import (
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
const (
	DefaultReplayCount = 1000
	DefaultReplayAge   = 10 * time.Minute
)

// MemoryBrokerOptions configure a MemoryBroker.
type MemoryBrokerOptions struct {
	// ReplayCount is the most messages kept per topic (default 1000).
	ReplayCount int
	// ReplayAge drops kept messages older than this (default 10 min).
	ReplayAge time.Duration
	// NoReplay keeps no history: every resume but from the newest message
	// is a gap.
	NoReplay bool
}

// MemoryBroker is the in-process Broker: per topic a sequence counter, a
// ring of the recent messages (bounded by count and age, grown as messages
// come), and the feeds watching it. Publish delivers to the watching feeds
// synchronously, under the broker's lock, so every Hub sees a topic's
// messages in order.
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
	epoch  string
	count  int // messages kept per topic; 0: none
	age    time.Duration
	now    func() time.Time
	sweepT *time.Timer

	mu     sync.Mutex
	closed bool
	topics map[string]*memTopic
	feeds  map[*memFeed]struct{}
}

// memTopic is one topic of a MemoryBroker, guarded by its mutex.
type memTopic struct {
	seq    uint64 // the last Seq given
	lastID string // the last message's id
	ring   []Message
	head   int // the oldest kept message, when n > 0
	n      int
	feeds  []*memFeed
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
	var epoch int64
	for {
		last := lastEpoch.Load()
		epoch = max(time.Now().UnixMicro(), last+1)
		if lastEpoch.CompareAndSwap(last, epoch) {
			break
		}
	}
	b := &MemoryBroker{
		epoch:  strconv.FormatInt(epoch, 36),
		count:  opts.ReplayCount,
		age:    opts.ReplayAge,
		now:    time.Now,
		topics: map[string]*memTopic{},
		feeds:  map[*memFeed]struct{}{},
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
		t.expire(m.Time.Add(-b.age))
		t.push(m, b.count)
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
	t.expire(b.now().Add(-b.age))
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
	return nil
}

// topic returns the topic named name, made if needed. b.mu is held.
func (b *MemoryBroker) topic(name string) *memTopic {
	t := b.topics[name]
	if t == nil {
		t = &memTopic{}
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
		t.expire(cutoff)
	}
	b.sweepT.Reset(b.age)
}

// push appends m to the ring, which grows up to limit messages; at the
// limit, the oldest goes.
func (t *memTopic) push(m Message, limit int) {
	switch {
	case t.n == limit:
		t.ring[t.head] = Message{}
		t.head = (t.head + 1) % len(t.ring)
		t.n--
	case t.n == len(t.ring):
		ring := make([]Message, min(limit, 2*len(t.ring)+4))
		for i := range t.n {
			ring[i] = *t.at(i)
		}
		t.ring, t.head = ring, 0
	}
	t.ring[(t.head+t.n)%len(t.ring)] = m
	t.n++
}

// at returns the i-th kept message, oldest first.
func (t *memTopic) at(i int) *Message { return &t.ring[(t.head+i)%len(t.ring)] }

// expire drops the messages published before cutoff; an emptied ring is
// released.
func (t *memTopic) expire(cutoff time.Time) {
	for t.n > 0 && t.ring[t.head].Time.Before(cutoff) {
		t.ring[t.head] = Message{}
		t.head = (t.head + 1) % len(t.ring)
		t.n--
	}
	if t.n == 0 {
		t.ring, t.head = nil, 0
	}
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
