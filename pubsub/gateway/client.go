package gateway

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/protocols/sse"
	"github.com/workerman-go/workerman/pubsub"
)

// client is a registered connection.
type client struct {
	g    *Gateway
	id   string
	c    *connection.Conn
	wrap func(msg string) any // what c.Send takes for a message; nil: the string

	// Guarded by g.mu (read by Uid and Groups from any goroutine).
	uid    string
	groups map[string]struct{}

	// Touched only on c's loop.
	uidSub    *pubsub.Subscription
	groupSubs map[string]*pubsub.Subscription
}

// Register registers c and returns its client id, unique across the
// cluster: the Gateway's NodeID and c's ID. From now on c receives what is
// sent to its client id and to all, written with c.Send(msg string): a
// WebSocket text frame, a text line, ... whatever c's protocol makes of a
// string. When c closes it is unregistered, unbound and leaves its groups.
//
// For an SSE stream use RegisterStream (c.Send of a string on an event
// stream writes raw bytes, not an event); for another framing,
// RegisterWith. Register a WebSocket once its handshake is done
// (websocket.Options.OnWebSocketConnected), an SSE stream after
// sse.Start.
//
// Call it on c's loop (from its callbacks; from elsewhere, in
// c.Loop().Run). Registering a connection again returns its id.
func (g *Gateway) Register(c *connection.Conn) (string, error) {
	return g.register(c, nil)
}

// RegisterStream registers the connection of an event stream: each
// message is written as an event with the message as its data (sse.Event{Data:
// msg}; a browser's EventSource gets it in onmessage, and does not
// dispatch an empty one). See Register.
func (g *Gateway) RegisterStream(s *sse.Stream) (string, error) {
	if s == nil {
		return "", errors.New("gateway: register: nil stream")
	}
	return g.register(s.Conn(), func(msg string) any { return sse.Event{Data: msg} })
}

// RegisterWith registers c with wrap, which turns each message into what
// c.Send is given (say an sse.Event with an event name, or a JSON
// envelope). wrap runs on c's loop, once per message and connection. See
// Register.
func (g *Gateway) RegisterWith(c *connection.Conn, wrap func(msg string) any) (string, error) {
	if wrap == nil {
		return "", errors.New("gateway: register: nil wrap function")
	}
	return g.register(c, wrap)
}

func (g *Gateway) register(c *connection.Conn, wrap func(string) any) (string, error) {
	if c == nil {
		return "", errors.New("gateway: register: nil connection")
	}
	g.mu.RLock()
	closed, existing := g.closed, g.conns[c]
	g.mu.RUnlock()
	switch {
	case closed:
		return "", fmt.Errorf("gateway: register: %w", ErrClosed)
	case existing != nil:
		return existing.id, nil
	}
	cl := &client{g: g, id: g.node + "-" + strconv.FormatUint(c.ID(), 16), c: c, wrap: wrap}
	var subs []*pubsub.Subscription
	for _, topic := range []string{g.clientTopic(cl.id), g.allTopic()} {
		s, err := g.hub.SubscribeFunc(c, topic, cl.deliver, pubsub.SubscribeOptions{})
		if err != nil {
			for _, s := range subs {
				s.Cancel()
			}
			return "", fmt.Errorf("gateway: register: %w", err)
		}
		subs = append(subs, s)
	}
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		for _, s := range subs {
			s.Cancel()
		}
		return "", fmt.Errorf("gateway: register: %w", ErrClosed)
	}
	g.conns[c] = cl
	g.addLocked(Entry{g.clientsSet(), cl.id})
	g.mu.Unlock()
	g.signal()
	c.WhenClosed(cl.closed) // the subscriptions end by themselves
	return cl.id, nil
}

// closed unregisters the client: on its loop, when its connection closes.
func (cl *client) closed() {
	g := cl.g
	g.mu.Lock()
	if g.conns[cl.c] != cl {
		g.mu.Unlock()
		return
	}
	delete(g.conns, cl.c)
	g.removeLocked(Entry{g.clientsSet(), cl.id})
	if cl.uid != "" {
		g.removeLocked(Entry{g.uidSet(cl.uid), cl.id})
	}
	for gr := range cl.groups {
		g.removeLocked(Entry{g.groupSet(gr), cl.id})
	}
	cl.uid, cl.groups = "", nil
	g.mu.Unlock()
	g.signal()
	cl.uidSub, cl.groupSubs = nil, nil
}

// lookup returns c's client.
func (g *Gateway) lookup(c *connection.Conn) (*client, error) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	if g.closed {
		return nil, ErrClosed
	}
	cl := g.conns[c]
	if cl == nil {
		return nil, ErrNotRegistered
	}
	return cl, nil
}

// ClientID returns c's client id, "" when c is not registered. Safe for
// concurrent use.
func (g *Gateway) ClientID(c *connection.Conn) string {
	g.mu.RLock()
	defer g.mu.RUnlock()
	if cl := g.conns[c]; cl != nil {
		return cl.id
	}
	return ""
}

// Uid returns the uid c is bound to, "" if none (GatewayWorker's
// getUidByClientId, for a connection of this process). Safe for
// concurrent use.
func (g *Gateway) Uid(c *connection.Conn) string {
	g.mu.RLock()
	defer g.mu.RUnlock()
	if cl := g.conns[c]; cl != nil {
		return cl.uid
	}
	return ""
}

// Groups returns the groups c is in, sorted. Safe for concurrent use.
func (g *Gateway) Groups(c *connection.Conn) []string {
	g.mu.RLock()
	defer g.mu.RUnlock()
	cl := g.conns[c]
	if cl == nil {
		return nil
	}
	out := make([]string, 0, len(cl.groups))
	for gr := range cl.groups {
		out = append(out, gr)
	}
	slices.Sort(out)
	return out
}

// BindUid binds c to uid: c receives what is sent to uid, from any
// process, and IsUidOnline(uid) holds while c is open (everywhere once the
// presence store has it: at once with the in-memory store, a round trip
// later with Redis). A connection has one uid: binding another one
// unbinds the first (as GatewayWorker does); a uid may have many
// connections. With a remote broker, a message sent to uid within
// milliseconds of the bind may miss c (the broker's subscription is being
// made).
//
// Call it on c's loop (from its callbacks). It does not block.
func (g *Gateway) BindUid(c *connection.Conn, uid string) error {
	if err := checkName("uid", uid); err != nil {
		return err
	}
	cl, err := g.lookup(c)
	if err != nil {
		return fmt.Errorf("gateway: bind uid %q: %w", uid, err)
	}
	return cl.bind(uid)
}

// UnbindUid unbinds c from uid; it does nothing when c is not bound to
// uid. Call it on c's loop.
func (g *Gateway) UnbindUid(c *connection.Conn, uid string) error {
	if err := checkName("uid", uid); err != nil {
		return err
	}
	cl, err := g.lookup(c)
	if err != nil {
		return fmt.Errorf("gateway: unbind uid %q: %w", uid, err)
	}
	cl.unbind(uid)
	return nil
}

// JoinGroup makes c a member of group: it receives what is sent to the
// group, from any process. A connection may be in many groups. See
// BindUid about a remote broker. Call it on c's loop.
func (g *Gateway) JoinGroup(c *connection.Conn, group string) error {
	if err := checkName("group", group); err != nil {
		return err
	}
	cl, err := g.lookup(c)
	if err != nil {
		return fmt.Errorf("gateway: join group %q: %w", group, err)
	}
	return cl.join(group)
}

// LeaveGroup takes c out of group; it does nothing when c is not in it.
// Call it on c's loop.
func (g *Gateway) LeaveGroup(c *connection.Conn, group string) error {
	if err := checkName("group", group); err != nil {
		return err
	}
	cl, err := g.lookup(c)
	if err != nil {
		return fmt.Errorf("gateway: leave group %q: %w", group, err)
	}
	cl.leave(group)
	return nil
}

// bind runs on the client's loop.
func (cl *client) bind(uid string) error {
	g := cl.g
	g.mu.RLock()
	cur := cl.uid
	g.mu.RUnlock()
	if cur == uid {
		return nil
	}
	s, err := g.hub.SubscribeFunc(cl.c, g.uidTopic(uid), cl.deliver, pubsub.SubscribeOptions{})
	if err != nil {
		return fmt.Errorf("gateway: bind uid %q: %w", uid, err)
	}
	if cl.uidSub != nil {
		cl.uidSub.Cancel()
	}
	cl.uidSub = s
	g.mu.Lock()
	if g.conns[cl.c] == cl { // not closed meanwhile
		if cur != "" {
			g.removeLocked(Entry{g.uidSet(cur), cl.id})
		}
		cl.uid = uid
		g.addLocked(Entry{g.uidSet(uid), cl.id})
	}
	g.mu.Unlock()
	g.signal()
	return nil
}

// unbind runs on the client's loop.
func (cl *client) unbind(uid string) {
	g := cl.g
	g.mu.Lock()
	if cl.uid != uid {
		g.mu.Unlock()
		return
	}
	cl.uid = ""
	g.removeLocked(Entry{g.uidSet(uid), cl.id})
	g.mu.Unlock()
	g.signal()
	if cl.uidSub != nil {
		cl.uidSub.Cancel()
		cl.uidSub = nil
	}
}

// join runs on the client's loop.
func (cl *client) join(group string) error {
	g := cl.g
	if _, ok := cl.groupSubs[group]; ok {
		return nil
	}
	s, err := g.hub.SubscribeFunc(cl.c, g.groupTopic(group), cl.deliver, pubsub.SubscribeOptions{})
	if err != nil {
		return fmt.Errorf("gateway: join group %q: %w", group, err)
	}
	if cl.groupSubs == nil {
		cl.groupSubs = map[string]*pubsub.Subscription{}
	}
	cl.groupSubs[group] = s
	g.mu.Lock()
	if g.conns[cl.c] == cl {
		if cl.groups == nil {
			cl.groups = map[string]struct{}{}
		}
		cl.groups[group] = struct{}{}
		g.addLocked(Entry{g.groupSet(group), cl.id})
	}
	g.mu.Unlock()
	g.signal()
	return nil
}

// leave runs on the client's loop.
func (cl *client) leave(group string) {
	g := cl.g
	s, ok := cl.groupSubs[group]
	if !ok {
		return
	}
	delete(cl.groupSubs, group)
	g.mu.Lock()
	delete(cl.groups, group)
	g.removeLocked(Entry{g.groupSet(group), cl.id})
	g.mu.Unlock()
	g.signal()
	s.Cancel()
}

// decodeCache is a loop's last decoded message, so that a message to many
// connections of a loop is decoded once. It holds that message's data
// until the next one (and stays with the loop: a few words once the
// Gateway is gone).
type decodeCache struct {
	valid bool
	topic string
	seq   uint64
	d     decoded
	err   error
}

type cacheKey struct{ id uint64 }

// decode decodes m, once per loop: the subscribers of a loop that receive
// the same message get the first one's result (a message is identified by
// its topic and Seq). A malformed message is counted and logged once per
// loop.
func (cl *client) decode(m *pubsub.Message) (decoded, error) {
	g := cl.g
	dc := cl.c.Loop().Local(cacheKey{g.cacheID}, func() any { return &decodeCache{} }).(*decodeCache)
	if dc.valid && dc.seq == m.Seq && dc.topic == m.Topic {
		return dc.d, dc.err
	}
	d, err := decode(m)
	if err == nil && d.kind != kindData && !g.controlAllowed(m.Topic, d) {
		err = fmt.Errorf("%w: control %q on a topic that cannot carry it", ErrMalformed, m.Event)
	}
	*dc = decodeCache{valid: true, topic: m.Topic, seq: m.Seq, d: d, err: err}
	if err != nil {
		g.malformed.Add(1)
		if n, ok := g.logs.allow("malformed"); ok {
			g.log.Error("gateway: malformed message dropped", "topic", m.Topic, "id", m.ID, "err", err, "suppressed", n)
		}
	}
	return d, err
}

// controlAllowed reports whether a control message may come on topic:
// controls come on a client's own topic (only that client subscribes to
// it), except a leave, which may come on the topic of the group it leaves
// (Ungroup). Not on a uid's topic or "all".
func (g *Gateway) controlAllowed(topic string, d decoded) bool {
	if d.kind == kindLeave && topic == g.groupTopic(d.arg) {
		return true
	}
	return strings.HasPrefix(topic, g.prefix+"client:")
}

// deliver runs on the client's loop with the messages of one of its
// subscriptions.
func (cl *client) deliver(ms []pubsub.Message) {
	g := cl.g
	for i := range ms {
		d, err := cl.decode(&ms[i])
		if err != nil {
			continue
		}
		switch d.kind {
		case kindData:
			if !d.excludes(cl.id) {
				cl.send(d.payload)
			}
		case kindClose:
			if d.final {
				cl.c.Close(cl.message(d.payload))
			} else {
				cl.c.Close()
			}
		case kindBind:
			if err := cl.bind(d.arg); err != nil {
				g.log.Warn("gateway: bind by client id failed", "client", cl.id, "err", err)
			}
		case kindUnbind:
			cl.unbind(d.arg)
		case kindJoin:
			if err := cl.join(d.arg); err != nil {
				g.log.Warn("gateway: join by client id failed", "client", cl.id, "err", err)
			}
		case kindLeave:
			cl.leave(d.arg)
		}
	}
}

// message is what c.Send is given for msg.
func (cl *client) message(msg string) any {
	if cl.wrap != nil {
		return cl.wrap(msg)
	}
	return msg
}

// send writes one message to the connection.
func (cl *client) send(msg string) {
	g := cl.g
	err := cl.c.Send(cl.message(msg))
	if err == nil {
		g.delivered.Add(1)
		return
	}
	g.sendErrors.Add(1)
	// A full buffer has been reported to OnError (or logged) by the
	// connection; a closed one has nobody to tell.
	if !errors.Is(err, connection.ErrSendBufferFull) && !errors.Is(err, connection.ErrClosed) {
		if n, ok := g.logs.allow("send"); ok {
			g.log.Error("gateway: a connection refused a message", "client", cl.id, "err", err, "suppressed", n)
		}
	}
}
