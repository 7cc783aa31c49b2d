package pubsub

import (
	"context"
	"errors"
	"fmt"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/protocols"
)

// SubscribeOptions say where a subscription starts, and what happens when
// messages are missing.
type SubscribeOptions struct {
	// After is the id of the last message the client has (an SSE client's
	// Last-Event-ID, a long-poll cursor): the messages after it are written
	// first, then the live ones, without a gap or a duplicate in between.
	// "": only messages published from now on (unless ReplayAll).
	After string
	// ReplayAll, with After == "", writes every message the broker keeps
	// first (a new page that shows the recent history).
	ReplayAll bool
	// OnGap runs on the connection's loop, before any live message, when
	// the messages after After cannot all be replayed; err wraps ErrGap
	// (errors.Is), and the broker's error when it failed. Send the client a
	// snapshot there: the live messages that follow are those the Hub
	// receives after the newest one it had when OnGap was called, so a
	// snapshot made in OnGap stands for everything before. Without OnGap
	// the gap is logged (Warn), never silent, and the subscription goes on
	// with the messages there are (what could be replayed, the live ones);
	// either way Stats.Gaps counts it. It also runs when the broker reports
	// a live gap on the topic (Handler.Error with the topic), in order with
	// the topic's messages.
	OnGap func(err error)
}

// maxHeld bounds the live messages a subscription holds while its replay
// is read: a subscriber beyond it is evicted, as a slow one.
const maxHeld = 10_000

// Subscription is one connection's subscription to one topic. Its fields
// are touched only on the connection's loop.
type Subscription struct {
	hub    *Hub
	t      *topic
	c      *connection.Conn
	loop   *connection.Loop
	set    *loopSet
	f      *Format
	fn     func(ms []Message)
	onGap  func(err error)
	after  string // what the replay starts after, for messages
	next   uint64 // the first Seq not delivered yet
	index  int    // position in set.subs; -1 once cancelled
	unhook func() // removes Cancel from the connection's WhenClosed hooks

	// While the replay is read: the live messages received meanwhile, and
	// a gap the broker reported meanwhile.
	catching    bool
	held        []*Message
	liveGap     error
	stopHistory context.CancelFunc
}

// Subscribe makes c a subscriber of topic: every message published on it is
// written to c in format f (SSE for an sse.Stream). opts say where it
// starts (by default, with the next message published); a replay is read
// from the broker in the background and written before the live messages,
// which wait for it.
//
// It returns an error only when it made no subscription: f is nil, c has
// no loop or is closing, or the Hub is closed. Call it on c's loop (from its
// callbacks). The subscription ends when c closes, or with Cancel.
func (h *Hub) Subscribe(c *connection.Conn, topic string, f *Format, opts SubscribeOptions) (*Subscription, error) {
	if f == nil {
		return nil, fmt.Errorf("pubsub: subscribe to %q: no Format", topic)
	}
	return h.subscribe(c, topic, f, nil, opts)
}

// SubscribeFunc is Subscribe with a function instead of a Format: fn runs on
// c's loop with the replayed messages (and those that arrived while they were
// read) in one call, then with each live batch, in Seq order. The slice is
// read-only and valid during the call. Long polling uses it.
func (h *Hub) SubscribeFunc(c *connection.Conn, topic string, fn func(ms []Message), opts SubscribeOptions) (*Subscription, error) {
	if fn == nil {
		return nil, fmt.Errorf("pubsub: subscribe to %q: no function", topic)
	}
	return h.subscribe(c, topic, nil, fn, opts)
}

func (h *Hub) subscribe(c *connection.Conn, name string, f *Format, fn func([]Message), opts SubscribeOptions) (*Subscription, error) {
	l := c.Loop()
	if l == nil {
		return nil, fmt.Errorf("pubsub: subscribe to %q: the connection has no event loop (not connected)", name)
	}
	if c.Status() >= connection.StatusClosing {
		return nil, fmt.Errorf("pubsub: subscribe to %q: %w", name, connection.ErrClosed)
	}
	t, err := h.acquire(name)
	if err != nil {
		return nil, err
	}
	replay := opts.After != "" || opts.ReplayAll
	s := &Subscription{hub: h, t: t, c: c, loop: l, f: f, fn: fn, onGap: opts.OnGap, after: opts.After, catching: replay}

	// The topic is watched: from now on the Hub receives its messages, and
	// those with a Seq above lastSeq reach s.
	t.mu.Lock()
	s.next = t.lastSeq + 1
	set := t.loops[l]
	if set == nil {
		set = &loopSet{t: t, loop: l}
		t.loops[l] = set
	}
	s.set = set
	s.index = len(set.subs) // the set is touched only on its loop: this one
	set.subs = append(set.subs, s)
	t.mu.Unlock()
	h.subscribers.Add(1)

	s.unhook = c.WhenClosed(s.Cancel)
	if s.index < 0 { // closed meanwhile: Cancel ran
		return nil, fmt.Errorf("pubsub: subscribe to %q: %w", name, connection.ErrClosed)
	}
	if replay {
		// Asked after the subscription is in place, the history reaches at
		// least the messages received before it; the live ones held
		// meanwhile fill in the rest.
		ctx, cancel := context.WithTimeout(context.Background(), historyTimeout)
		s.stopHistory = cancel
		go func() {
			var msgs []Message
			var err error
			if w, ok := h.feed.(WatchWaiter); ok {
				// The live messages from then on are held: the history
				// read after it reaches them.
				err = w.WaitWatch(ctx, name)
			}
			if err == nil {
				msgs, err = h.broker.History(ctx, name, opts.After, 0)
			}
			cancel()
			l.Run(func() { s.caughtUp(msgs, err) })
		}()
	}
	return s, nil
}

// caughtUp runs on the loop with the replay read from the broker: it
// delivers it, then the live messages held meanwhile that come after it,
// and makes the subscription live; or it reports the gap.
func (s *Subscription) caughtUp(history []Message, err error) {
	if s.index < 0 {
		return // cancelled meanwhile
	}
	held := s.held
	gap := s.liveGap // a gap on the live topic meanwhile
	s.catching, s.held, s.liveGap, s.stopHistory = false, nil, nil, nil
	if err != nil {
		if !errors.Is(err, ErrGap) {
			err = fmt.Errorf("%w: %w", ErrGap, err)
		}
		err = fmt.Errorf("pubsub: replaying %q after %q: %w", s.t.name, s.after, err)
		gap = errors.Join(err, gap)
		history = nil
	}
	if gap != nil {
		s.t.mu.Lock()
		lastSeq := s.t.lastSeq
		s.t.mu.Unlock()
		if s.gap(gap, lastSeq) {
			return // the snapshot OnGap sends stands for what was held
		}
		// Logged: the client gets what there is.
	}
	msgs := history // the broker's copy: ours
	if len(msgs) > 0 {
		s.next = max(s.next, msgs[len(msgs)-1].Seq+1)
	}
	for _, m := range held {
		if m.Seq >= s.next {
			msgs = append(msgs, *m)
			s.next = m.Seq + 1
		}
	}
	if len(msgs) == 0 {
		return
	}
	if s.fn != nil {
		s.hub.delivered.Add(uint64(len(msgs)))
		s.fn(msgs)
		return
	}
	var buf []byte
	for i := range msgs {
		if s.index < 0 {
			return // evicted
		}
		b, err := s.f.Append(buf[:0], &msgs[i])
		if err != nil {
			s.hub.log.Error("pubsub: cannot encode a message; a subscriber misses it", "format", s.f.String(), "topic", s.t.name, "id", msgs[i].ID, "err", err)
			continue
		}
		buf = b
		s.write(buf)
	}
}

// gap tells the subscriber that messages were lost: OnGap, after which the
// live messages start above lastSeq (the newest the Hub had), or a log
// line. It reports whether OnGap ran.
func (s *Subscription) gap(err error, lastSeq uint64) bool {
	s.hub.gaps.Add(1)
	if s.onGap == nil {
		s.hub.log.Warn("pubsub: messages lost to a subscriber (no OnGap)", "topic", s.t.name, "conn", s.c.ID(), "err", err)
		return false
	}
	s.next = max(s.next, lastSeq+1)
	s.onGap(err)
	return true
}

// hold keeps live messages that arrive while the replay is read, evicting
// the subscriber beyond maxHeld of them.
func (s *Subscription) hold(ms []*Message) {
	if len(s.held)+len(ms) > maxHeld {
		s.hub.evicted.Add(1)
		s.hub.log.Warn("pubsub: subscriber evicted: too many live messages while its replay was read", "topic", s.t.name, "conn", s.c.ID(), "held", len(s.held))
		s.Cancel()
		s.c.Destroy() // it reconnects and replays from its last id
		return
	}
	s.held = append(s.held, ms...)
}

// Cancel ends the subscription; a replay being read is dropped. Call it on
// the connection's loop (from its callbacks); it runs by itself when the
// connection closes. It does nothing the second time.
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
	if s.stopHistory != nil {
		s.stopHistory()
	}
	if s.unhook != nil {
		s.unhook() // a connection that lives on (keep-alive long polls) keeps no hook per subscription
	}
	s.fn, s.onGap, s.held, s.liveGap, s.stopHistory, s.unhook = nil, nil, nil, nil, nil, nil

	t := s.t
	t.mu.Lock()
	if len(set.subs) == 0 && t.loops[s.loop] == set {
		delete(t.loops, s.loop)
	}
	t.mu.Unlock()
	s.hub.release(t)
	s.hub.subscribers.Add(-1) // last: once Stats shows it, the topic is released
}

// write sends encoded bytes through the connection's codec (as
// protocols.Raw, so a connection that may no longer take messages refuses
// them), evicting the subscriber if it cannot take them.
func (s *Subscription) write(wire []byte) {
	switch err := s.c.Send(protocols.Raw(wire)); {
	case err == nil:
		s.hub.delivered.Add(1)
	case errors.Is(err, connection.ErrSendBufferFull):
		s.hub.evicted.Add(1)
		s.Cancel()
		s.c.Destroy() // it reconnects and replays from its last id
	}
}
