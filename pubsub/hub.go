package pubsub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/protocols/sse"
)

// Options configure a Hub.
type Options struct {
	// ReplayCount, ReplayAge, ReplayBytes, MaxBytes and NoReplay configure
	// the default MemoryBroker (see MemoryBrokerOptions: by default 1000
	// messages per topic, for 10 minutes, within 1 MiB per topic and 64 MiB
	// for all topics). With a Broker of your own they do nothing: its own
	// options bound the history.
	ReplayCount int
	ReplayAge   time.Duration
	ReplayBytes int
	MaxBytes    int
	NoReplay    bool
	// Broker carries messages between the Hubs that share it and keeps the
	// history (default: a new MemoryBroker for this Hub alone, which Close
	// closes).
	Broker Broker
	// Logger receives the faults nobody else is told of: gaps without
	// OnGap, evictions, the broker's errors (default slog.Default()).
	Logger *slog.Logger
}

// Stats are a snapshot of a Hub's counters.
type Stats struct {
	Published    uint64 // messages received from the broker
	Delivered    uint64 // messages written to subscribers or handed to their functions, replays included
	Evicted      uint64 // subscribers disconnected for not keeping up
	Gaps         uint64 // times a subscriber was told (OnGap), or it was logged, that messages were lost to it
	Subscribers  int    // current subscriptions
	Topics       int    // topics with subscribers
	BrokerErrors uint64 // faults of the broker itself (Handler.Error without a topic, or without ErrGap)
}

// String gives the counters on one line, for a status (see
// worker.AddStatus).
func (s Stats) String() string {
	return fmt.Sprintf("%d topics  %d subscribers  %d published  %d delivered  %d evicted  %d gaps  %d broker errors",
		s.Topics, s.Subscribers, s.Published, s.Delivered, s.Evicted, s.Gaps, s.BrokerErrors)
}

// historyTimeout bounds a replay's call to Broker.History.
const historyTimeout = 10 * time.Second

// Hub holds the topics that have subscribers on this server, and their
// subscribers per event loop. It is safe for concurrent use.
type Hub struct {
	broker Broker
	owned  bool // the Hub made the broker: Close closes it
	feed   Feed
	log    *slog.Logger
	closed atomic.Bool

	// mu orders the changes of the topic set (a topic's first subscriber,
	// its last one leaving) with the Watch and Unwatch calls that go with
	// them; it guards topic.subscribers. Lock order: mu, then the
	// broker's own lock (in Watch); the broker's, then topicsMu or a
	// topic's mu (in receive, which runs under the MemoryBroker's lock and
	// so must not take mu).
	mu sync.Mutex
	// topicsMu guards topics; nothing is taken while it is held.
	topicsMu sync.Mutex
	topics   map[string]*topic

	published, delivered, evicted, gaps, brokerErrors atomic.Uint64
	subscribers                                       atomic.Int64
}

// NewHub returns a Hub attached to its broker.
func NewHub(opts Options) *Hub {
	h := &Hub{broker: opts.Broker, log: opts.Logger, topics: map[string]*topic{}}
	if h.log == nil {
		h.log = slog.Default()
	}
	if h.broker == nil {
		h.broker = NewMemoryBroker(MemoryBrokerOptions{
			ReplayCount: opts.ReplayCount,
			ReplayAge:   opts.ReplayAge,
			ReplayBytes: opts.ReplayBytes,
			MaxBytes:    opts.MaxBytes,
			NoReplay:    opts.NoReplay,
		})
		h.owned = true
	}
	h.feed = h.broker.Attach(Handler{Message: h.receive, Error: h.brokerError})
	return h
}

// Close detaches the Hub from its broker (and closes the broker if the Hub
// made it): its subscribers receive nothing more, and Publish, History and
// Subscribe fail. It does not close the subscribers' connections.
func (h *Hub) Close() error {
	h.mu.Lock()
	if h.closed.Load() {
		h.mu.Unlock()
		return nil
	}
	h.closed.Store(true)
	h.mu.Unlock()
	err := h.feed.Close()
	if h.owned {
		err = errors.Join(err, h.broker.Close())
	}
	if err != nil {
		return fmt.Errorf("pubsub: closing the hub: %w", err)
	}
	return nil
}

// Broker returns the Hub's broker: Options.Broker, or the MemoryBroker the
// Hub made (whose Stats say what its history keeps).
func (h *Hub) Broker() Broker { return h.broker }

// Stats returns a snapshot of the Hub's counters.
func (h *Hub) Stats() Stats {
	h.topicsMu.Lock()
	topics := len(h.topics)
	h.topicsMu.Unlock()
	return Stats{
		Published:    h.published.Load(),
		Delivered:    h.delivered.Load(),
		Evicted:      h.evicted.Load(),
		Gaps:         h.gaps.Load(),
		Subscribers:  int(h.subscribers.Load()),
		Topics:       topics,
		BrokerErrors: h.brokerErrors.Load(),
	}
}

// Publish publishes m on topic through the broker: it gets its Seq (and
// its ID when m.ID is empty, and its Time), and every subscriber of the
// topic, in every Hub of the broker, receives it. It returns the message as
// published. The MemoryBroker does not block: call it from anywhere; with a
// remote broker, not from an event loop.
func (h *Hub) Publish(ctx context.Context, topic string, m Message) (Message, error) {
	if !sse.ValidID(m.ID) {
		return Message{}, ErrInvalidID
	}
	if h.closed.Load() {
		return Message{}, fmt.Errorf("pubsub: publish on %q: %w", topic, ErrClosed)
	}
	m.Topic = topic
	return h.broker.Publish(ctx, m)
}

// History returns the broker's history of topic: the messages after the
// one with id after ("": from the oldest kept), oldest first, at most limit
// of them (limit <= 0: all). An error wrapping ErrGap says after cannot be
// placed. For applications that build a snapshot; with a remote broker it
// blocks (not on an event loop).
func (h *Hub) History(ctx context.Context, topic, after string, limit int) ([]Message, error) {
	if h.closed.Load() {
		return nil, fmt.Errorf("pubsub: history of %q: %w", topic, ErrClosed)
	}
	return h.broker.History(ctx, topic, after, limit)
}

// lookup returns the topic's state, nil when it has no subscribers.
func (h *Hub) lookup(name string) *topic {
	h.topicsMu.Lock()
	defer h.topicsMu.Unlock()
	return h.topics[name]
}

// acquire counts a new subscriber of the topic, making its state (and
// watching it) for the first one.
func (h *Hub) acquire(name string) (*topic, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed.Load() {
		return nil, fmt.Errorf("pubsub: subscribe to %q: %w", name, ErrClosed)
	}
	t := h.lookup(name)
	if t == nil {
		t = &topic{hub: h, name: name, loops: map[*connection.Loop]*loopSet{}}
		h.topicsMu.Lock()
		h.topics[name] = t
		h.topicsMu.Unlock()
		// After the topic is in the map: what the broker delivers from now
		// on finds it.
		h.feed.Watch(name)
	}
	t.subscribers++
	return t, nil
}

// release counts a subscriber gone; the last one drops the topic's state
// and unwatches it.
func (h *Hub) release(t *topic) {
	h.mu.Lock()
	defer h.mu.Unlock()
	t.subscribers--
	if t.subscribers > 0 {
		return
	}
	h.topicsMu.Lock()
	delete(h.topics, t.name)
	h.topicsMu.Unlock()
	if !h.closed.Load() {
		h.feed.Unwatch(t.name)
	}
}

// receive takes a message from the broker: one task per loop with
// subscribers of its topic writes it to them.
func (h *Hub) receive(m Message) {
	h.published.Add(1)
	t := h.lookup(m.Topic)
	if t == nil {
		return // no subscriber (any more)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if m.Seq <= t.lastSeq {
		return // already seen
	}
	t.lastSeq, t.lastID = m.Seq, m.ID
	t.queue(pending{m: &m})
}

// brokerError takes a fault from the broker: a gap on a topic goes to its
// subscribers, in order with its messages; the rest is logged and
// counted.
func (h *Hub) brokerError(topic string, err error) {
	if topic == "" || !errors.Is(err, ErrGap) {
		h.brokerErrors.Add(1)
		h.log.Error("pubsub: broker fault", "topic", topic, "err", err)
		return
	}
	t := h.lookup(topic)
	if t == nil {
		h.log.Debug("pubsub: gap on a topic without subscribers", "topic", topic, "err", err)
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.queue(pending{gap: err})
}

// newestID is the id of the newest message the Hub has received on topic
// while it had subscribers, "" if none.
func (h *Hub) newestID(topic string) string {
	t := h.lookup(topic)
	if t == nil {
		return ""
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.lastID
}
