package redisbroker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/workerman-go/workerman/pubsub"
)

// How a feed's readers pace themselves.
const (
	// pingEvery: a live connection silent this long is pinged; silent
	// twice as long, it is taken for dead and made again.
	pingEvery = 15 * time.Second
	// catchUpPage is the most entries read per topic in one catch-up
	// round; catchUpBatch the most topics per pipelined round trip.
	catchUpPage  = 1000
	catchUpBatch = 500
	// maxHeldLive bounds the live messages held per topic while it
	// catches up; beyond, they are dropped and read from the stream again.
	maxHeldLive = 10_000
	// backoffMin and backoffMax pace the reconnections.
	backoffMin = 100 * time.Millisecond
	backoffMax = 2 * time.Second
	// faultEvery: a fault that lasts is reported again this often.
	faultEvery = 30 * time.Second
)

// feed is a Hub's attachment: the topics it watches, and one reader per
// shard that has some. Everything is guarded by mu, which is also held
// while messages are handed to the Hub, so that a topic's messages reach
// it in order, whether they come live or from a catch-up.
type feed struct {
	b      *Broker
	h      pubsub.Handler
	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.Mutex
	closed  bool
	topics  map[string]*watched
	readers map[*shard]*reader
	wg      sync.WaitGroup
}

// watched is a topic the feed watches.
type watched struct {
	topic   string
	channel string
	r       *reader

	// pos is where the topic's stream was read up to (hasPos): the newest
	// entry seen, or the stream's newest when the topic was first caught
	// up or after a gap; "0-0" when there was no stream.
	pos    streamID
	hasPos bool
	// newest is the newest entry handed to the Hub (delivered): nothing
	// older is handed again, whatever happens to the stream.
	newest    streamID
	delivered bool
	// live: caught up in the reader's current session, live messages go
	// straight to the Hub; otherwise they are held until it is.
	live     bool
	held     []entry
	overflow bool // held messages were dropped: read the stream again
	ready    chan struct{}
	isReady  bool
	// since is when Watch was called (Unix ms, this host's clock): its
	// first catch-up delivers the entries from then on.
	since int64
	gone  bool // unwatched
}

// reader is a feed's connection to one shard: a Redis pub/sub connection
// subscribed to the channels of the feed's topics on that shard (run
// reads it), and a control loop (control) that subscribes and catches up.
type reader struct {
	f    *feed
	s    *shard
	kick chan struct{}

	// Guarded by f.mu.
	ps         *redis.PubSub
	session    int
	byChannel  map[string]*watched
	subscribed map[string]bool // channels asked for in this session
	catchup    map[*watched]struct{}
	// offset is Redis's clock less this host's, in ms, less the round
	// trip that measured it: so that "since" errs towards earlier.
	offset int64
}

func (b *Broker) newFeed(h pubsub.Handler) *feed {
	if h.Message == nil {
		h.Message = func(pubsub.Message) {}
	}
	if h.Error == nil {
		h.Error = func(string, error) {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	f := &feed{b: b, h: h, ctx: ctx, cancel: cancel, topics: map[string]*watched{}, readers: map[*shard]*reader{}}
	b.mu.Lock()
	if b.closed {
		f.closed = true
		cancel()
	} else {
		b.feeds[f] = struct{}{}
	}
	b.mu.Unlock()
	return f
}

// Watch implements pubsub.Feed: the topic's channel is subscribed in the
// background, then the topic is caught up from its stream (WaitWatch
// waits for that).
func (f *feed) Watch(topic string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		go f.h.Error("", fmt.Errorf("redisbroker: watch %q: %w", topic, pubsub.ErrClosed))
		return
	}
	if f.topics[topic] != nil {
		return
	}
	s := f.b.shardOf(topic)
	r := f.readers[s]
	if r == nil {
		r = &reader{f: f, s: s, kick: make(chan struct{}, 1), byChannel: map[string]*watched{}, subscribed: map[string]bool{}, catchup: map[*watched]struct{}{}}
		f.readers[s] = r
		f.wg.Add(2)
		go r.run()
		go r.control()
	}
	w := &watched{topic: topic, channel: f.b.channel(topic), r: r, ready: make(chan struct{}), since: time.Now().UnixMilli()}
	f.topics[topic] = w
	r.byChannel[w.channel] = w
	r.signal()
}

// Unwatch implements pubsub.Feed.
func (f *feed) Unwatch(topic string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	w := f.topics[topic]
	if w == nil {
		return
	}
	w.gone = true
	w.held = nil
	delete(f.topics, topic)
	delete(w.r.byChannel, w.channel)
	delete(w.r.catchup, w)
	w.r.signal()
}

// WaitWatch implements pubsub.WatchWaiter: it returns once the topic's
// channel is subscribed and the topic caught up, so that every message
// published from then on reaches the Hub.
func (f *feed) WaitWatch(ctx context.Context, topic string) error {
	f.mu.Lock()
	w := f.topics[topic]
	f.mu.Unlock()
	if w == nil {
		return fmt.Errorf("redisbroker: wait for %q: not watched", topic)
	}
	select {
	case <-w.ready:
		return nil
	case <-f.ctx.Done():
		return fmt.Errorf("redisbroker: wait for %q: %w", topic, pubsub.ErrClosed)
	case <-ctx.Done():
		return fmt.Errorf("redisbroker: wait for %q to be watched: %w: %w", topic, pubsub.ErrUnavailable, ctx.Err())
	}
}

// Close implements pubsub.Feed: its connections close, it delivers nothing
// more.
func (f *feed) Close() error {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return nil
	}
	f.closed = true
	f.cancel()
	f.topics = map[string]*watched{}
	for _, r := range f.readers {
		if r.ps != nil {
			_ = r.ps.Close()
		}
	}
	f.mu.Unlock()
	f.wg.Wait()
	f.b.mu.Lock()
	delete(f.b.feeds, f)
	f.b.mu.Unlock()
	return nil
}

// signal wakes the control loop.
func (r *reader) signal() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// run keeps a pub/sub session with the shard: it makes the connection,
// reads it until it fails, and makes it again after a pause.
func (r *reader) run() {
	f := r.f
	defer f.wg.Done()
	backoff := backoffMin
	var faultSince, lastReport time.Time
	for {
		ps := r.s.client.Subscribe(f.ctx)
		offset, offErr := r.clockOffset()
		f.mu.Lock()
		if f.closed {
			f.mu.Unlock()
			_ = ps.Close()
			return
		}
		if offErr == nil {
			r.offset = offset
		}
		r.ps = ps
		r.session++
		clear(r.subscribed)
		clear(r.catchup)
		for _, w := range r.byChannel {
			w.live = false // held until caught up in this session
		}
		f.mu.Unlock()
		r.signal()

		confirmed, err := r.receive(ps)
		_ = ps.Close()
		if f.ctx.Err() != nil {
			return
		}
		now := time.Now()
		if confirmed {
			backoff = backoffMin
			faultSince = time.Time{}
		}
		if faultSince.IsZero() {
			faultSince = now
		}
		if lastReport.Before(faultSince) || now.Sub(lastReport) >= faultEvery {
			lastReport = now
			f.h.Error("", fmt.Errorf("redisbroker: live connection to %s lost (since %s), reconnecting: %w: %w", r.s.client.Options().Addr, faultSince.Format(time.RFC3339), pubsub.ErrUnavailable, err))
		}
		select {
		case <-time.After(backoff):
		case <-f.ctx.Done():
			return
		}
		backoff = min(2*backoff, backoffMax)
	}
}

// clockOffset measures Redis's clock less this host's (ms), less the
// round trip, so that a time on this host maps to a Redis time no later
// than it.
func (r *reader) clockOffset() (int64, error) {
	ctx, cancel := context.WithTimeout(r.f.ctx, pingEvery)
	defer cancel()
	before := time.Now()
	t, err := r.s.client.Time(ctx).Result()
	if err != nil {
		return 0, err
	}
	rtt := time.Since(before)
	return t.UnixMilli() - before.UnixMilli() - rtt.Milliseconds() - 1, nil
}

// errDead is a connection that did not answer a ping.
var errDead = errors.New("no answer to a ping")

// receive reads a session's pub/sub connection until it fails. It reports
// whether a subscription was confirmed (the connection worked).
func (r *reader) receive(ps *redis.PubSub) (confirmed bool, err error) {
	f := r.f
	pinged := false
	for {
		v, err := ps.ReceiveTimeout(f.ctx, pingEvery)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() && f.ctx.Err() == nil {
				if pinged {
					return confirmed, errDead
				}
				pinged = true
				if err := ps.Ping(f.ctx); err != nil {
					return confirmed, err
				}
				continue
			}
			return confirmed, err
		}
		pinged = false
		switch v := v.(type) {
		case *redis.Subscription:
			if v.Kind == "subscribe" {
				confirmed = true
				f.mu.Lock()
				if w := r.byChannel[v.Channel]; w != nil {
					// Subscribed: from now on its messages come here;
					// those before are read from the stream.
					w.live = false
					r.catchup[w] = struct{}{}
					r.signal()
				}
				f.mu.Unlock()
			}
		case *redis.Message:
			r.live(v)
		}
	}
}

// live takes a message from the channel.
func (r *reader) live(v *redis.Message) {
	f := r.f
	e, err := decodeLive(v.Payload)
	f.mu.Lock()
	defer f.mu.Unlock()
	w := r.byChannel[v.Channel]
	if w == nil || f.closed {
		return
	}
	if err != nil {
		// Not published by this broker's script: the topic's readers may
		// have missed something.
		f.h.Error(w.topic, fmt.Errorf("redisbroker: topic %q: %w: %w", w.topic, err, pubsub.ErrGap))
		return
	}
	if w.live && w.hasPos && w.pos.less(e.id) && e.id.n != w.pos.n+1 {
		// Not the entry after the last one delivered (a stream made
		// again, or one this connection did not see): the stream says
		// whether anything was lost.
		w.live = false
		r.catchup[w] = struct{}{}
		r.signal()
	}
	if !w.live {
		if len(w.held) >= maxHeldLive {
			w.held, w.overflow = nil, true
		}
		if !w.overflow {
			w.held = append(w.held, e)
		}
		return
	}
	w.deliver(e)
}

// deliver moves the topic's position to e, and hands e to the Hub unless
// it was delivered already. f.mu is held.
func (w *watched) deliver(e entry) {
	if !w.hasPos || w.pos.less(e.id) {
		w.pos, w.hasPos = e.id, true
	}
	if w.delivered && !w.newest.less(e.id) {
		return
	}
	w.newest, w.delivered = e.id, true
	w.r.f.h.Message(e.message(w.topic))
}

// control subscribes the channels of the watched topics (and unsubscribes
// the others), and catches up the topics whose subscription was
// confirmed.
func (r *reader) control() {
	f := r.f
	defer f.wg.Done()
	backoff := backoffMin
	for {
		select {
		case <-r.kick:
		case <-f.ctx.Done():
			return
		}
		r.subscribe()
		if err := r.catchUp(); err != nil {
			if f.ctx.Err() != nil {
				return
			}
			// Tried again after a pause (the live connection, if it
			// failed too, reports the fault).
			select {
			case <-time.After(backoff):
			case <-f.ctx.Done():
				return
			}
			backoff = min(2*backoff, backoffMax)
			r.signal()
			continue
		}
		backoff = backoffMin
	}
}

// subscribe brings the session's subscriptions in line with the watched
// topics. A failure is left to the session: it fails too, and the next
// one subscribes everything again.
func (r *reader) subscribe() {
	f := r.f
	f.mu.Lock()
	ps := r.ps
	var add, drop []string
	for ch := range r.byChannel {
		if !r.subscribed[ch] {
			r.subscribed[ch] = true
			add = append(add, ch)
		}
	}
	for ch := range r.subscribed {
		if r.byChannel[ch] == nil {
			delete(r.subscribed, ch)
			drop = append(drop, ch)
		}
	}
	f.mu.Unlock()
	if ps == nil {
		return
	}
	ctx, cancel := context.WithTimeout(f.ctx, pingEvery)
	defer cancel()
	if len(add) > 0 {
		_ = ps.Subscribe(ctx, add...)
	}
	if len(drop) > 0 {
		_ = ps.Unsubscribe(ctx, drop...)
	}
}

// catchUp reads, for every topic whose subscription was confirmed, what
// its stream holds after the topic's position, hands it to the Hub, then
// the live messages held meanwhile, and makes the topic live; or reports
// a gap when the stream no longer holds all of it.
func (r *reader) catchUp() error {
	f := r.f
	for {
		f.mu.Lock()
		session := r.session
		var batch []*watched
		var pos []string
		for w := range r.catchup {
			delete(r.catchup, w)
			batch = append(batch, w)
			if w.hasPos {
				pos = append(pos, w.pos.String())
			} else {
				// First watched: from the time of Watch, on Redis's clock.
				pos = append(pos, "since:"+strconv.FormatInt(w.since+r.offset, 10))
			}
			if len(batch) == catchUpBatch {
				break
			}
		}
		f.mu.Unlock()
		if len(batch) == 0 {
			return nil
		}
		ctx, cancel := context.WithTimeout(f.ctx, pingEvery)
		cmds := make([]*redis.Cmd, len(batch))
		_, err := r.s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, w := range batch {
				cmds[i] = rangeScript.Eval(ctx, p, []string{f.b.streamKey(w.topic)}, pos[i], catchUpPage)
			}
			return nil
		})
		cancel()
		f.mu.Lock()
		if err != nil {
			for _, w := range batch {
				if !w.gone && r.session == session {
					r.catchup[w] = struct{}{}
				}
			}
			f.mu.Unlock()
			return err
		}
		var errs []error
		for i, w := range batch {
			if w.gone || r.session != session || f.closed {
				continue // the next session catches it up
			}
			res, err := decodeRange(cmds[i].Val())
			if err != nil {
				// Tried again after a pause.
				errs = append(errs, fmt.Errorf("redisbroker: catching up %q: %w", w.topic, err))
				r.catchup[w] = struct{}{}
				continue
			}
			r.apply(w, pos[i], res)
		}
		f.mu.Unlock()
		if err := errors.Join(errs...); err != nil {
			f.b.opts.Logger.Error("redisbroker: catching up", "err", err)
			return err
		}
	}
}

// apply hands a catch-up's result to the Hub. f.mu is held.
func (r *reader) apply(w *watched, pos string, res rangeResult) {
	f := r.f
	f.b.opts.Logger.Debug("redisbroker: caught up", "topic", w.topic, "after", pos, "status", res.status, "newest", res.last.String(), "entries", len(res.entries), "held", len(w.held))
	switch {
	case res.status != "ok":
		f.h.Error(w.topic, fmt.Errorf("redisbroker: topic %q after %s: %s: %w", w.topic, pos, gapReason(res.status), pubsub.ErrGap))
	}
	for _, e := range res.entries {
		w.deliver(e)
	}
	if res.status != "ok" || !w.hasPos {
		// Read from the stream's newest on (after a gap: what it holds
		// now comes after the gap).
		w.pos, w.hasPos = res.last, true
	}
	if len(res.entries) == catchUpPage || w.overflow {
		// More in the stream (or held messages dropped): another round.
		w.overflow = false
		w.held = nil
		r.catchup[w] = struct{}{}
		return
	}
	for _, e := range w.held {
		w.deliver(e)
	}
	w.held = nil
	w.live = true
	if !w.isReady {
		w.isReady = true
		close(w.ready)
	}
}
