package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/pubsub"
)

// Defaults of Options.
const (
	DefaultPresenceTTL    = 30 * time.Second
	DefaultQueueSize      = 4096
	DefaultPublishers     = 4
	DefaultTimeout        = 5 * time.Second
	DefaultMaxMessageSize = 1 << 20
	DefaultTopicPrefix    = "gw:"
)

// Options configure a Gateway.
type Options struct {
	// Presence stores who is online (default: a new MemoryPresence, for
	// this process alone). Every process of a cluster must use the same
	// store (redispresence on the broker's Redis), the same TTL and the
	// same TopicPrefix.
	Presence Presence
	// PresenceTTL is how long an entry lives without a refresh (default
	// DefaultPresenceTTL, 30 s; at least 100 ms). The Gateway refreshes
	// its entries every PresenceTTL/3, so the entries of a process that
	// died are gone within PresenceTTL.
	PresenceTTL time.Duration
	// QueueSize bounds the asynchronous sends waiting to be published
	// (default DefaultQueueSize); beyond it they fail with ErrQueueFull.
	QueueSize int
	// Publishers is the number of goroutines that publish asynchronous
	// sends (default DefaultPublishers). The sends to one topic (a uid, a
	// group, a client) are published by one of them, in order.
	Publishers int
	// Timeout bounds each asynchronous publish, each call to the Presence
	// store, and Close (default DefaultTimeout).
	Timeout time.Duration
	// MaxMessageSize bounds the messages sent (default
	// DefaultMaxMessageSize, 1 MiB); beyond it they fail with ErrTooLarge.
	MaxMessageSize int
	// TopicPrefix starts the names of the Gateway's Hub topics and
	// presence sets (default DefaultTopicPrefix, "gw:").
	TopicPrefix string
	// Logger receives what nobody else is told of: failed asynchronous
	// publishes, failed presence updates, malformed messages (default
	// slog.Default()). Repeated faults are logged at most once a second
	// each, with the number left out.
	Logger *slog.Logger
}

// Stats are a snapshot of a Gateway's counters.
type Stats struct {
	Clients         int    // connections registered here
	Entries         int    // presence entries this Gateway keeps refreshed
	Queued          int    // asynchronous sends waiting to be published
	Published       uint64 // messages published (sends and controls)
	PublishErrors   uint64 // publishes that failed (asynchronous ones are logged)
	QueueFull       uint64 // asynchronous sends refused for a full queue
	Delivered       uint64 // messages handed to connections' Send
	SendErrors      uint64 // of those, the ones Send refused (full buffer, closed, not encodable)
	Malformed       uint64 // messages on the Gateway's topics that could not be read (dropped, logged)
	Refreshes       uint64 // full presence refreshes that succeeded
	PresenceErrors  uint64 // presence calls that failed (retried)
	PresenceDropped uint64 // presence removals given up while the store was down (they expire within the TTL)
}

// Gateway routes messages to connections by client id, uid, group or to
// all, across every process whose Hub shares the broker: GatewayWorker's
// Gateway. Make one with New, register connections with Register, and
// Close it when done. It is safe for concurrent use; the methods that take
// a *connection.Conn must be called on that connection's event loop.
type Gateway struct {
	hub      *pubsub.Hub
	presence Presence
	ttl      time.Duration
	timeout  time.Duration
	maxSize  int
	prefix   string
	node     string
	cacheID  uint64 // the key of the Gateway's state on each loop
	log      *slog.Logger
	logs     limiter

	// mu guards the fields below and every client's uid and groups.
	mu            sync.RWMutex
	closed        bool
	conns         map[*connection.Conn]*client
	entries       map[Entry]struct{} // of the live clients: refreshed
	pendingAdd    map[Entry]struct{} // added since the last presence update
	pendingRemove map[Entry]struct{} // removed since the last presence update

	queues   []chan job
	wake     chan struct{} // a presence update is pending
	stopPub  chan struct{}
	stopPres chan struct{}
	pubDone  sync.WaitGroup
	presDone chan struct{}
	closeCtx context.Context // the deadline of Close, once Close runs
	closeMu  sync.Mutex

	published, publishErrors, queueFull, delivered, sendErrors, malformed atomic.Uint64
	refreshes, presenceErrors, presenceDropped                            atomic.Uint64
}

// cacheIDs numbers the Gateways of the process.
var cacheIDs atomic.Uint64

// job is an asynchronous send.
type job struct {
	topic string
	m     pubsub.Message
}

// maxPendingRemove bounds the removals kept while the presence store is
// down; beyond, they are dropped (counted and logged) and expire by
// themselves.
const maxPendingRemove = 100_000

// refreshChunk is the most entries of one Presence.Refresh call.
const refreshChunk = 1000

// New returns a Gateway on hub, with its goroutines running (Close stops
// them). The Hub is not closed by the Gateway.
func New(hub *pubsub.Hub, opts Options) (*Gateway, error) {
	if hub == nil {
		return nil, errors.New("gateway: no Hub")
	}
	if opts.PresenceTTL < 0 || opts.QueueSize < 0 || opts.Publishers < 0 || opts.Timeout < 0 || opts.MaxMessageSize < 0 {
		return nil, fmt.Errorf("gateway: negative option in %+v", opts)
	}
	if opts.PresenceTTL == 0 {
		opts.PresenceTTL = DefaultPresenceTTL
	}
	if opts.PresenceTTL < 100*time.Millisecond {
		return nil, fmt.Errorf("gateway: PresenceTTL %v is below 100ms", opts.PresenceTTL)
	}
	if opts.QueueSize == 0 {
		opts.QueueSize = DefaultQueueSize
	}
	if opts.Publishers == 0 {
		opts.Publishers = DefaultPublishers
	}
	opts.Publishers = min(opts.Publishers, opts.QueueSize)
	if opts.Timeout == 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.MaxMessageSize == 0 {
		opts.MaxMessageSize = DefaultMaxMessageSize
	}
	if opts.TopicPrefix == "" {
		opts.TopicPrefix = DefaultTopicPrefix
	}
	if opts.Presence == nil {
		opts.Presence = NewMemoryPresence()
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	var node [8]byte
	_, _ = rand.Read(node[:]) // never fails (crypto/rand)
	g := &Gateway{
		hub:           hub,
		presence:      opts.Presence,
		ttl:           opts.PresenceTTL,
		timeout:       opts.Timeout,
		maxSize:       opts.MaxMessageSize,
		prefix:        opts.TopicPrefix,
		node:          hex.EncodeToString(node[:]),
		cacheID:       cacheIDs.Add(1),
		log:           opts.Logger,
		conns:         map[*connection.Conn]*client{},
		entries:       map[Entry]struct{}{},
		pendingAdd:    map[Entry]struct{}{},
		pendingRemove: map[Entry]struct{}{},
		wake:          make(chan struct{}, 1),
		stopPub:       make(chan struct{}),
		stopPres:      make(chan struct{}),
		presDone:      make(chan struct{}),
	}
	per := (opts.QueueSize + opts.Publishers - 1) / opts.Publishers
	for range opts.Publishers {
		q := make(chan job, per)
		g.queues = append(g.queues, q)
		g.pubDone.Add(1)
		go g.publisher(q)
	}
	go g.presenceLoop()
	return g, nil
}

// NodeID is the Gateway's random id: the first part of the client ids it
// gives, which makes them unique across the cluster.
func (g *Gateway) NodeID() string { return g.node }

// Hub is the Gateway's Hub.
func (g *Gateway) Hub() *pubsub.Hub { return g.hub }

// Stats returns a snapshot of the Gateway's counters.
func (g *Gateway) Stats() Stats {
	g.mu.RLock()
	clients, entries := len(g.conns), len(g.entries)
	g.mu.RUnlock()
	queued := 0
	for _, q := range g.queues {
		queued += len(q)
	}
	return Stats{
		Clients:         clients,
		Entries:         entries,
		Queued:          queued,
		Published:       g.published.Load(),
		PublishErrors:   g.publishErrors.Load(),
		QueueFull:       g.queueFull.Load(),
		Delivered:       g.delivered.Load(),
		SendErrors:      g.sendErrors.Load(),
		Malformed:       g.malformed.Load(),
		Refreshes:       g.refreshes.Load(),
		PresenceErrors:  g.presenceErrors.Load(),
		PresenceDropped: g.presenceDropped.Load(),
	}
}

// Close stops the Gateway: asynchronous sends are refused from now on,
// those queued are published (within Options.Timeout; the rest are
// dropped, logged and counted), the presence refresh stops, and the
// entries of the connections still registered are removed from the
// Presence store, so that the other processes see them offline at once.
// It does not close the connections or the Hub, and messages keep
// reaching the connections: call it as the Workers stop (OnWorkerStop) or
// after. The error says what could not be done. A second Close does
// nothing.
func (g *Gateway) Close() error {
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return nil
	}
	g.closed = true
	g.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), g.timeout)
	defer cancel()
	g.closeMu.Lock()
	g.closeCtx = ctx
	g.closeMu.Unlock()
	close(g.stopPub)
	g.pubDone.Wait()
	close(g.stopPres)
	<-g.presDone

	// A deadline of its own: the drain above may have used up the first.
	ctx, cancel = context.WithTimeout(context.Background(), g.timeout)
	defer cancel()
	g.mu.Lock()
	gone := make([]Entry, 0, len(g.entries)+len(g.pendingRemove))
	for e := range g.entries {
		gone = append(gone, e)
	}
	for e := range g.pendingRemove {
		gone = append(gone, e)
	}
	clear(g.entries)
	clear(g.pendingAdd)
	clear(g.pendingRemove)
	g.mu.Unlock()
	var errs []error
	for len(gone) > 0 {
		n := min(len(gone), refreshChunk)
		if err := g.presence.Remove(ctx, gone[:n]); err != nil {
			g.presenceErrors.Add(1)
			errs = append(errs, fmt.Errorf("gateway: close: removing %d presence entries (they expire within %v): %w", len(gone), g.ttl, err))
			break
		}
		gone = gone[n:]
	}
	return errors.Join(errs...)
}

// publisher publishes the asynchronous sends of one queue, until Close;
// then what is left, within Close's deadline.
func (g *Gateway) publisher(q chan job) {
	defer g.pubDone.Done()
	for {
		select {
		case j := <-q:
			ctx, cancel := context.WithTimeout(context.Background(), g.timeout)
			g.publishJob(ctx, j)
			cancel()
		case <-g.stopPub:
			g.closeMu.Lock()
			ctx := g.closeCtx
			g.closeMu.Unlock()
			dropped := 0
			for {
				select {
				case j := <-q:
					if ctx.Err() != nil {
						dropped++
						g.publishErrors.Add(1)
						continue
					}
					g.publishJob(ctx, j)
					continue
				default:
				}
				break
			}
			if dropped > 0 {
				g.log.Error("gateway: close: queued sends dropped, the deadline passed", "dropped", dropped)
			}
			return
		}
	}
}

// publishJob publishes one asynchronous send, logging a failure.
func (g *Gateway) publishJob(ctx context.Context, j job) {
	if err := g.publish(ctx, j.topic, j.m); err != nil {
		if n, ok := g.logs.allow("publish"); ok {
			g.log.Error("gateway: asynchronous send failed, message dropped", "topic", j.topic, "err", err, "suppressed", n)
		}
	}
}

// publish publishes m on topic, counting the outcome.
func (g *Gateway) publish(ctx context.Context, topic string, m pubsub.Message) error {
	if _, err := g.hub.Publish(ctx, topic, m); err != nil {
		g.publishErrors.Add(1)
		return fmt.Errorf("gateway: publish on %q: %w", topic, err)
	}
	g.published.Add(1)
	return nil
}

// enqueue hands an asynchronous send to the publisher of its topic.
func (g *Gateway) enqueue(topic string, m pubsub.Message) error {
	h := uint32(2166136261) // FNV-1a
	for i := 0; i < len(topic); i++ {
		h = (h ^ uint32(topic[i])) * 16777619
	}
	q := g.queues[h%uint32(len(g.queues))]
	// The read lock orders this with Close: once Close has set closed, no
	// job joins a queue the publishers may have drained already.
	g.mu.RLock()
	defer g.mu.RUnlock()
	if g.closed {
		return fmt.Errorf("gateway: send on %q: %w", topic, ErrClosed)
	}
	select {
	case q <- job{topic, m}:
		return nil
	default:
		g.queueFull.Add(1)
		return fmt.Errorf("gateway: send on %q: %w", topic, ErrQueueFull)
	}
}

// Topics and presence sets.

func (g *Gateway) clientTopic(id string) string { return g.prefix + "client:" + id }
func (g *Gateway) uidTopic(uid string) string   { return g.prefix + "uid:" + uid }
func (g *Gateway) groupTopic(gr string) string  { return g.prefix + "group:" + gr }
func (g *Gateway) allTopic() string             { return g.prefix + "all" }
func (g *Gateway) clientsSet() string           { return g.prefix + "clients" }
func (g *Gateway) uidSet(uid string) string     { return g.prefix + "uid:" + uid }
func (g *Gateway) groupSet(gr string) string    { return g.prefix + "group:" + gr }

// limiter lets one log line per key through per second, and counts the
// others.
type limiter struct {
	mu   sync.Mutex
	last map[string]time.Time
	left map[string]int
}

// allow reports whether a line for key may be logged now, with the number
// of lines left out since the last one.
func (l *limiter) allow(key string) (int, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.last == nil {
		l.last, l.left = map[string]time.Time{}, map[string]int{}
	}
	now := time.Now()
	if now.Sub(l.last[key]) < time.Second {
		l.left[key]++
		return 0, false
	}
	n := l.left[key]
	l.last[key], l.left[key] = now, 0
	return n, true
}
