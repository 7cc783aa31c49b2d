// Package pubsub fans messages out to many connections: topics, their
// subscribers, and a bounded replay buffer per topic so that a client that
// reconnects receives exactly what it missed.
//
// A Hub keeps each topic's subscribers per event loop. Publishing a message
// hands one task to each loop that has subscribers of the topic (never one
// per connection), and that task writes the message to all of them; the
// message is encoded once per format (an SSE event, a WebSocket frame) for
// all its subscribers. A subscriber that cannot keep up (its send buffer is
// full) is disconnected instead of slowing the others: it reconnects and
// replays from where it was.
//
// Every message gets an increasing sequence number in its topic, and an id
// (the publisher's, or the sequence number): the id a client resumes from,
// as an SSE client's Last-Event-ID. Subscribing "after" an id replays the
// messages after it, then continues live, without a gap or a duplicate in
// between. When the id is older than what the buffer keeps, Subscribe says
// so (ErrGap), so the application can send a snapshot instead: a client is
// never silently skipped past messages.
//
// The Broker behind a Hub assigns sequence numbers and carries messages to
// every Hub that shares it: in one process, the in-memory broker (the
// default); across machines, a Redis broker (pub/sub for live fan-out,
// Streams for replay) fits the same interface.
//
// What it is not: it does not speak HTTP or WebSocket itself (sse.Start and
// the WebSocket upgrade make the streams; this package writes to them), and
// it does not persist messages beyond the replay buffer.
package pubsub

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/protocols"
	"github.com/workerman-go/workerman/protocols/sse"
)

// Message is one published message.
type Message struct {
	Topic string
	// Seq is the message's position in its topic, from 1, assigned by the
	// broker.
	Seq uint64
	// ID is what a client resumes from: the publisher's, or one the broker
	// makes (the in-memory broker's is "<epoch>-<Seq>", the epoch telling
	// one run of the process from the next, so an id a browser kept from
	// an earlier run is not mistaken for a message of this one). It must
	// not contain CR, LF or NUL (it becomes an SSE id).
	ID    string
	Event string // an event name (SSE's event field); optional
	Data  string
	Time  time.Time // when it was published
}

// Format turns a message into the bytes written to a subscriber's
// connection (an SSE event, a WebSocket frame). A Hub encodes each message
// once per Format on each loop, whatever the number of subscribers: Formats
// are compared by identity, so make each one once (a package variable).
type Format struct {
	name   string
	append func(dst []byte, m *Message) ([]byte, error)
}

// NewFormat returns a Format named name (for errors and logs) that encodes
// with fn.
func NewFormat(name string, fn func(dst []byte, m *Message) ([]byte, error)) *Format {
	return &Format{name: name, append: fn}
}

// Append appends m's encoding to dst.
func (f *Format) Append(dst []byte, m *Message) ([]byte, error) { return f.append(dst, m) }

// String is the Format's name.
func (f *Format) String() string { return f.name }

// SSE writes a message as a server-sent event with its id, event name and
// data, for subscribers that are sse.Streams.
var SSE = NewFormat("sse", func(dst []byte, m *Message) ([]byte, error) {
	return sse.Event{ID: m.ID, Event: m.Event, Data: m.Data}.AppendText(dst)
})

// Defaults for Options fields that are zero.
const (
	DefaultReplayCount = 1000
	DefaultReplayAge   = 10 * time.Minute
)

// Options configure a Hub.
type Options struct {
	// ReplayCount bounds each topic's replay buffer (default 1000
	// messages); negative: no replay buffer.
	ReplayCount int
	// ReplayAge drops messages older than this from it (default 10 min).
	ReplayAge time.Duration
	// Broker assigns sequence numbers and carries messages between Hubs
	// (default: a new in-memory broker, for this Hub alone).
	Broker Broker
}

// Errors of Subscribe and Publish.
var (
	// ErrGap: the id to resume after is no longer in the replay buffer (or
	// was never published): some messages cannot be replayed. The
	// subscription is live anyway; send the client a snapshot.
	ErrGap = errors.New("pubsub: messages after that id are no longer available")
	// ErrInvalidID: a message id with CR, LF or NUL.
	ErrInvalidID = errors.New("pubsub: message id contains CR, LF or NUL")
)

// Stats are a Hub's counters, safe to read from any goroutine.
type Stats struct {
	Published   atomic.Uint64 // messages received from the broker
	Delivered   atomic.Uint64 // message writes to subscribers (replays included)
	Evicted     atomic.Uint64 // subscribers disconnected for not keeping up
	Gaps        atomic.Uint64 // subscriptions that could not replay everything
	Subscribers atomic.Int64  // current subscriptions
}

// Hub holds topics and their subscribers. It is safe for concurrent use.
type Hub struct {
	opts   Options
	broker Broker
	cancel func()

	mu     sync.Mutex
	topics map[string]*topic

	stats Stats
}

// NewHub returns a Hub and connects it to its broker.
func NewHub(opts Options) *Hub {
	if opts.ReplayCount == 0 {
		opts.ReplayCount = DefaultReplayCount
	}
	if opts.ReplayCount < 0 {
		opts.ReplayCount = 0
	}
	if opts.ReplayAge <= 0 {
		opts.ReplayAge = DefaultReplayAge
	}
	if opts.Broker == nil {
		opts.Broker = NewMemoryBroker()
	}
	h := &Hub{opts: opts, broker: opts.Broker, topics: map[string]*topic{}}
	h.cancel = h.broker.Listen(h.receive)
	return h
}

// Close disconnects the Hub from its broker: it receives no more messages.
func (h *Hub) Close() { h.cancel() }

// Stats returns the Hub's counters.
func (h *Hub) Stats() *Stats { return &h.stats }

// Publish publishes a message on topic: the broker assigns its Seq (and
// its ID when m.ID is empty, and Time) and every subscriber of the topic,
// in every Hub of the broker, receives it. It returns the message as
// published.
func (h *Hub) Publish(topic string, m Message) (Message, error) {
	if !sse.ValidID(m.ID) {
		return Message{}, ErrInvalidID
	}
	m.Topic = topic
	return h.broker.Publish(m)
}

// Subscription is one connection's subscription to one topic.
type Subscription struct {
	hub   *Hub
	t     *topic
	c     *connection.Conn
	loop  *connection.Loop
	set   *loopSet
	f     *Format
	fn    func(m *Message)
	next  uint64 // the first Seq to deliver live (loop-only after Subscribe)
	index int    // position in set.subs; -1 once cancelled
}

// Subscribe makes c a subscriber of topic: every message published on it is
// written to c in format f (SSE for an sse.Stream). With after == "" it
// starts with the next message; otherwise after is the id of the last
// message the client has, and the messages after it are written first.
// If after is no longer in the replay buffer (or unknown), nothing is
// replayed and Subscribe returns the live subscription with ErrGap: send
// the client a snapshot of the current state.
//
// Call it from c's callbacks (on its loop). The subscription ends when c
// closes, or with Cancel.
func (h *Hub) Subscribe(c *connection.Conn, topic, after string, f *Format) (*Subscription, error) {
	if f == nil {
		return nil, errors.New("pubsub: Subscribe needs a Format")
	}
	return h.subscribe(c, topic, after, f, nil)
}

// SubscribeFunc is Subscribe with a function instead of a Format: fn runs on
// c's loop for every message (the replayed ones first). Long polling uses
// it.
func (h *Hub) SubscribeFunc(c *connection.Conn, topic, after string, fn func(m *Message)) (*Subscription, error) {
	if fn == nil {
		return nil, errors.New("pubsub: SubscribeFunc needs a function")
	}
	return h.subscribe(c, topic, after, nil, fn)
}

func (h *Hub) subscribe(c *connection.Conn, name, after string, f *Format, fn func(m *Message)) (*Subscription, error) {
	l := c.Loop()
	if l == nil {
		return nil, errors.New("pubsub: the connection has no event loop (not connected)")
	}
	if c.Status() >= connection.StatusClosing {
		return nil, connection.ErrClosed
	}
	t := h.topic(name)
	s := &Subscription{hub: h, t: t, c: c, loop: l, f: f, fn: fn, index: -1}

	t.mu.Lock()
	replay, gap := t.since(after, h.opts.ReplayAge)
	s.next = t.lastSeq + 1
	set := t.loops[l]
	if set == nil {
		set = &loopSet{t: t, loop: l}
		t.loops[l] = set
	}
	s.set = set
	s.index = len(set.subs) // the set is touched only on its loop: this one
	set.subs = append(set.subs, s)
	t.subscribers++
	t.mu.Unlock()

	h.stats.Subscribers.Add(1)
	c.WhenClosed(s.Cancel)
	var buf []byte
	for i := range replay {
		if s.index < 0 {
			break // evicted
		}
		buf = s.deliver(&replay[i], buf[:0])
	}
	if gap {
		h.stats.Gaps.Add(1)
		return s, fmt.Errorf("%w (topic %q, after %q)", ErrGap, name, after)
	}
	return s, nil
}

// Cancel ends the subscription. Call it on the connection's loop (from its
// callbacks); it runs by itself when the connection closes.
func (s *Subscription) Cancel() {
	if s.index < 0 {
		return
	}
	set := s.set
	last := len(set.subs) - 1
	moved := set.subs[last]
	set.subs[s.index] = moved
	moved.index = s.index
	set.subs[last] = nil
	set.subs = set.subs[:last]
	s.index = -1
	s.hub.stats.Subscribers.Add(-1)

	t := s.t
	t.mu.Lock()
	t.subscribers--
	if len(set.subs) == 0 && t.loops[s.loop] == set {
		delete(t.loops, s.loop)
	}
	t.mu.Unlock()
}

// deliver writes m to the subscriber, using buf for encoding; it returns buf
// for reuse. A subscriber whose buffer is full is disconnected.
func (s *Subscription) deliver(m *Message, buf []byte) []byte {
	if s.fn != nil {
		s.hub.stats.Delivered.Add(1)
		s.fn(m)
		return buf
	}
	buf, err := s.f.Append(buf, m)
	if err != nil {
		return buf
	}
	s.write(buf)
	return buf
}

// write sends encoded bytes through the connection's codec (as
// protocols.Raw, so a connection that may no longer take messages refuses
// them), evicting the subscriber if it cannot take them.
func (s *Subscription) write(wire []byte) {
	switch err := s.c.Send(protocols.Raw(wire)); {
	case err == nil:
		s.hub.stats.Delivered.Add(1)
	case errors.Is(err, connection.ErrSendBufferFull):
		s.hub.stats.Evicted.Add(1)
		s.Cancel()
		s.c.Destroy() // it reconnects and replays from its last id
	}
}

// topic is one topic's replay buffer and the loops with subscribers.
type topic struct {
	name string

	mu          sync.Mutex
	ring        []Message // replay buffer, oldest first from head
	head, n     int
	lastSeq     uint64
	lastID      string
	loops       map[*connection.Loop]*loopSet
	subscribers int
}

// loopSet is a topic's subscribers on one loop. Only that loop touches
// subs; pending and scheduled are guarded by the topic's mutex.
type loopSet struct {
	t    *topic
	loop *connection.Loop
	subs []*Subscription

	pending   []*Message // published, not yet delivered on this loop
	scheduled bool       // a drain task is queued
}

// drain runs on the set's loop: it delivers the pending messages, up to
// maxBatchBytes of them, and queues itself again for the rest.
func (set *loopSet) drain() {
	t := set.t
	t.mu.Lock()
	n, size := 0, 0
	for n < len(set.pending) && (n == 0 || size+len(set.pending[n].Data) <= maxBatchBytes) {
		size += len(set.pending[n].Data)
		n++
	}
	batch := append([]*Message(nil), set.pending[:n]...)
	rest := copy(set.pending, set.pending[n:])
	clear(set.pending[rest:])
	set.pending = set.pending[:rest]
	if rest > 0 {
		set.loop.Run(set.drain)
	} else {
		set.scheduled = false
	}
	t.mu.Unlock()
	set.deliverAll(batch)
}

func (h *Hub) topic(name string) *topic {
	h.mu.Lock()
	defer h.mu.Unlock()
	t := h.topics[name]
	if t == nil {
		t = &topic{name: name, ring: make([]Message, h.opts.ReplayCount), loops: map[*connection.Loop]*loopSet{}}
		h.topics[name] = t
	}
	return t
}

// receive takes a message from the broker: it goes into the replay buffer,
// and one task per loop with subscribers writes it to them.
func (h *Hub) receive(m Message) {
	h.stats.Published.Add(1)
	t := h.topic(m.Topic)
	t.mu.Lock()
	defer t.mu.Unlock()
	if m.Seq <= t.lastSeq {
		return // already seen
	}
	t.lastSeq, t.lastID = m.Seq, m.ID
	if len(t.ring) > 0 {
		if t.n == len(t.ring) {
			t.ring[t.head] = Message{}
			t.head = (t.head + 1) % len(t.ring)
			t.n--
		}
		t.ring[(t.head+t.n)%len(t.ring)] = m
		t.n++
	}
	if len(t.loops) == 0 {
		return
	}
	msg := &m
	for l, set := range t.loops {
		// Queued under t.mu, so every loop sees the messages in Seq order.
		// Messages that arrive while a delivery task is queued join it:
		// a burst costs each subscriber one write, not one per message.
		set.pending = append(set.pending, msg)
		if !set.scheduled {
			set.scheduled = true
			l.Run(set.drain)
		}
	}
}

// maxBatchBytes bounds the data one delivery task writes to each
// subscriber: a larger burst is cut into several tasks, and the loop
// flushes in between, so a fast client's send buffer never holds a whole
// burst.
const maxBatchBytes = 64 << 10

// deliverAll runs on the set's loop: it writes the messages to every
// subscriber that did not have them replayed, encoding each message once
// per format.
func (set *loopSet) deliverAll(batch []*Message) {
	// The encodings, per format (a loop rarely sees more than two) and per
	// message of the batch, made on first use.
	type encodings struct {
		f    *Format
		wire [][]byte // nil: not encoded yet (or failed)
		done []bool
	}
	var byFormat []encodings
	wire := func(f *Format, j int) []byte {
		k := 0
		for k < len(byFormat) && byFormat[k].f != f {
			k++
		}
		if k == len(byFormat) {
			byFormat = append(byFormat, encodings{f: f, wire: make([][]byte, len(batch)), done: make([]bool, len(batch))})
		}
		e := &byFormat[k]
		if !e.done[j] {
			e.done[j] = true
			if b, err := f.Append(nil, batch[j]); err == nil {
				e.wire[j] = b
			}
		}
		return e.wire[j]
	}
	// Iterate backwards: eviction moves the last subscriber into the slot.
	for i := len(set.subs) - 1; i >= 0; i-- {
		if i >= len(set.subs) {
			continue
		}
		s := set.subs[i]
		for j, m := range batch {
			if s.index < 0 {
				break // evicted, or cancelled by its callback
			}
			if m.Seq < s.next {
				continue // replayed when it subscribed
			}
			if s.fn != nil {
				s.deliver(m, nil)
				continue
			}
			if b := wire(s.f, j); b != nil {
				s.write(b)
			}
		}
	}
}

// since returns the messages after the one with id after, oldest first.
// gap reports that after is not in the buffer (too old, or never
// published): then nothing is replayed, and the caller must tell the
// application. t.mu is held.
func (t *topic) since(after string, maxAge time.Duration) (msgs []Message, gap bool) {
	if after == "" {
		return nil, false
	}
	t.expire(maxAge)
	if t.lastSeq > 0 && after == t.lastID {
		return nil, false // up to date
	}
	for i := t.n - 1; i >= 0; i-- {
		if t.at(i).ID == after {
			return t.copyFrom(i + 1), false
		}
	}
	// With the broker's own ids ("<epoch>-<seq>"), the message just before
	// the buffer's oldest is known without being kept.
	if t.n > 0 {
		first := t.at(0)
		fe, fseq, ok1 := splitID(first.ID)
		ae, aseq, ok2 := splitID(after)
		if ok1 && ok2 && fe == ae && fseq == first.Seq && aseq+1 == fseq {
			return t.copyFrom(0), false
		}
	}
	return nil, true
}

// splitID splits an id made by the in-memory broker, "<epoch>-<seq>".
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

// at returns the i-th message of the buffer, oldest first.
func (t *topic) at(i int) *Message { return &t.ring[(t.head+i)%len(t.ring)] }

func (t *topic) copyFrom(i int) []Message {
	if i >= t.n {
		return nil
	}
	out := make([]Message, 0, t.n-i)
	for ; i < t.n; i++ {
		out = append(out, *t.at(i))
	}
	return out
}

// expire drops messages older than maxAge.
func (t *topic) expire(maxAge time.Duration) {
	cutoff := time.Now().Add(-maxAge)
	for t.n > 0 && t.ring[t.head].Time.Before(cutoff) {
		t.ring[t.head] = Message{}
		t.head = (t.head + 1) % len(t.ring)
		t.n--
	}
}

// Broker assigns each published message its place in its topic and carries
// it to every Hub listening.
type Broker interface {
	// Publish assigns m.Seq (the next number of m.Topic), m.ID when it is
	// empty and m.Time, hands the message to every listener, and returns
	// it.
	Publish(m Message) (Message, error)
	// Listen makes fn receive every message published through the broker,
	// once, in Seq order within a topic. fn must not block. cancel stops it.
	Listen(fn func(Message)) (cancel func())
}

// MemoryBroker is the in-process Broker: sequence numbers per topic, and
// delivery to its listeners as part of Publish. The ids it makes are
// "<epoch>-<seq>", the epoch being the broker's creation time in base 36.
type MemoryBroker struct {
	epoch string

	mu        sync.Mutex
	seq       map[string]uint64
	listeners map[int]func(Message)
	nextID    int
}

// NewMemoryBroker returns an in-memory broker.
func NewMemoryBroker() *MemoryBroker {
	return &MemoryBroker{
		epoch:     strconv.FormatInt(time.Now().UnixMicro(), 36),
		seq:       map[string]uint64{},
		listeners: map[int]func(Message){},
	}
}

// Publish implements Broker.
func (b *MemoryBroker) Publish(m Message) (Message, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.seq[m.Topic]++
	m.Seq = b.seq[m.Topic]
	if m.ID == "" {
		m.ID = b.epoch + "-" + strconv.FormatUint(m.Seq, 10)
	}
	m.Time = time.Now()
	for _, fn := range b.listeners {
		fn(m) // under b.mu: listeners see each topic's messages in order
	}
	return m, nil
}

// Listen implements Broker.
func (b *MemoryBroker) Listen(fn func(Message)) func() {
	b.mu.Lock()
	defer b.mu.Unlock()
	id := b.nextID
	b.nextID++
	b.listeners[id] = fn
	return func() {
		b.mu.Lock()
		delete(b.listeners, id)
		b.mu.Unlock()
	}
}
