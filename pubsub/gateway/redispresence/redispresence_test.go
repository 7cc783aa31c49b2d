package redispresence_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/internal/testutil"
	"github.com/workerman-go/workerman/protocols/text"
	"github.com/workerman-go/workerman/pubsub"
	"github.com/workerman-go/workerman/pubsub/gateway"
	"github.com/workerman-go/workerman/pubsub/gateway/redispresence"
	"github.com/workerman-go/workerman/pubsub/redisbroker"
	"github.com/workerman-go/workerman/worker"
)

var bg = context.Background()

// newBroker returns a broker on the Redis servers at addrs.
func newBroker(t *testing.T, addrs ...string) *redisbroker.Broker {
	t.Helper()
	b, err := redisbroker.New(redisbroker.Options{Addrs: addrs, KeyPrefix: "test:"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func newPresence(t *testing.T, b *redisbroker.Broker) *redispresence.Presence {
	t.Helper()
	p, err := redispresence.New(b, redispresence.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// The store itself: entries, counts, expiry, removal, on two shards.
func TestStore(t *testing.T) {
	r1, r2 := testutil.StartRedis(t), testutil.StartRedis(t)
	b := newBroker(t, r1.Addr, r2.Addr)
	p := newPresence(t, b)

	var entries []gateway.Entry
	for i := range 20 {
		entries = append(entries, gateway.Entry{Set: fmt.Sprintf("set%d", i%5), Member: fmt.Sprintf("m%d", i)})
	}
	if err := p.Refresh(bg, entries, time.Minute); err != nil {
		t.Fatal(err)
	}
	// The sets are spread over both servers.
	used := map[string]bool{}
	for i := range 5 {
		k := p.Key(fmt.Sprintf("set%d", i))
		if !strings.HasPrefix(k, "test:presence:") {
			t.Fatalf("key %q without the prefixes", k)
		}
		c := b.Client(k)
		used[c.Options().Addr] = true
		if ttl, err := c.PTTL(bg, k).Result(); err != nil || ttl <= time.Minute || ttl > 2*time.Minute {
			t.Fatalf("PTTL %s = %v, %v; want about 2 minutes", k, ttl, err)
		}
	}
	if len(used) != 2 {
		t.Fatalf("the sets are on %v, want both servers", used)
	}
	for i := range 5 {
		set := fmt.Sprintf("set%d", i)
		if n, err := p.Count(bg, set); n != 4 || err != nil {
			t.Fatalf("Count(%s) = %d, %v", set, n, err)
		}
	}
	if ok, err := p.Contains(bg, "set0", "m0"); !ok || err != nil {
		t.Fatalf("Contains(set0, m0) = %v, %v", ok, err)
	}
	if ok, err := p.Contains(bg, "set0", "m1"); ok || err != nil {
		t.Fatalf("Contains(set0, m1) = %v, %v", ok, err)
	}
	ms, err := p.Members(bg, "set1", 0)
	slices.Sort(ms)
	if err != nil || !slices.Equal(ms, []string{"m1", "m11", "m16", "m6"}) {
		t.Fatalf("Members(set1) = %v, %v", ms, err)
	}
	if ms, err := p.Members(bg, "set1", 2); len(ms) != 2 || err != nil {
		t.Fatalf("Members(set1, 2) = %v, %v", ms, err)
	}

	if err := p.Remove(bg, entries[:10]); err != nil {
		t.Fatal(err)
	}
	if n, err := p.Count(bg, "set0"); n != 2 || err != nil {
		t.Fatalf("Count(set0) after removing = %d, %v", n, err)
	}

	// An entry that is not refreshed expires; the next refresh of its set
	// removes it from Redis.
	if err := p.Refresh(bg, []gateway.Entry{{Set: "short", Member: "gone"}}, 50*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if ok, err := p.Contains(bg, "short", "gone"); !ok || err != nil {
		t.Fatalf("Contains(short, gone) = %v, %v", ok, err)
	}
	testutil.Eventually(t, "the entry expired", func() bool {
		n, err := p.Count(bg, "short")
		if err != nil {
			t.Fatal(err)
		}
		return n == 0
	})
	if ok, err := p.Contains(bg, "short", "gone"); ok || err != nil {
		t.Fatalf("Contains(short, gone) once expired = %v, %v", ok, err)
	}
	if err := p.Refresh(bg, []gateway.Entry{{Set: "short", Member: "new"}}, time.Minute); err != nil {
		t.Fatal(err)
	}
	k := p.Key("short")
	if n, err := b.Client(k).ZCard(bg, k).Result(); n != 1 || err != nil {
		t.Fatalf("ZCARD after a refresh = %d, %v; want the expired member removed", n, err)
	}
	if err := p.Refresh(bg, entries, 0); err == nil {
		t.Fatal("Refresh with a zero TTL: no error")
	}
	if _, err := redispresence.New(nil, redispresence.Options{}); err == nil {
		t.Fatal("New without a broker: no error")
	}
}

// A Redis that is down: the errors wrap pubsub.ErrUnavailable.
func TestRedisDown(t *testing.T) {
	r := testutil.StartRedis(t)
	p := newPresence(t, newBroker(t, r.Addr))
	r.Kill()
	ctx, cancel := context.WithTimeout(bg, testutil.Timeout)
	defer cancel()
	if _, err := p.Count(ctx, "s"); !errors.Is(err, pubsub.ErrUnavailable) {
		t.Fatalf("Count with Redis down: %v", err)
	}
	if _, err := p.Contains(ctx, "s", "m"); !errors.Is(err, pubsub.ErrUnavailable) {
		t.Fatalf("Contains with Redis down: %v", err)
	}
	if err := p.Refresh(ctx, []gateway.Entry{{Set: "s", Member: "m"}}, time.Second); !errors.Is(err, pubsub.ErrUnavailable) {
		t.Fatalf("Refresh with Redis down: %v", err)
	}
}

// node is one "process": a Hub on broker, a Gateway with presence in
// Redis, and a text server whose clients send "bind <uid>" and "join
// <group>".
type node struct {
	hub *pubsub.Hub
	gw  *gateway.Gateway
	log *testutil.Log
}

// memoryBroker returns a MemoryBroker closed when the test ends.
func memoryBroker(t *testing.T) *pubsub.MemoryBroker {
	b := pubsub.NewMemoryBroker(pubsub.MemoryBrokerOptions{})
	t.Cleanup(func() { b.Close() })
	return b
}

func newNode(t *testing.T, hubBroker pubsub.Broker, p gateway.Presence, ttl time.Duration) (*node, string) {
	t.Helper()
	n := &node{log: &testutil.Log{}}
	n.hub = pubsub.NewHub(pubsub.Options{Broker: hubBroker, Logger: n.log.Logger()})
	var err error
	n.gw, err = gateway.New(n.hub, gateway.Options{Presence: p, PresenceTTL: ttl, Logger: n.log.Logger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.gw.Close(); n.hub.Close() })
	w := worker.New("text://127.0.0.1:0", text.Protocol())
	w.OnConnect = func(c *connection.Conn) {
		id, err := n.gw.Register(c)
		if err != nil {
			c.Close("err " + err.Error())
			return
		}
		c.Send(id)
	}
	w.OnMessage = func(c *connection.Conn, line string) {
		cmd, arg, _ := strings.Cut(line, " ")
		var err error
		switch cmd {
		case "bind":
			err = n.gw.BindUid(c, arg)
		case "join":
			err = n.gw.JoinGroup(c, arg)
		default:
			err = fmt.Errorf("unknown command %q", cmd)
		}
		if err != nil {
			c.Send("err " + err.Error())
			return
		}
		c.Send("ok")
	}
	return n, testutil.Start(t, w)
}

type client struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
	id string
}

func dial(t *testing.T, addr string) *client {
	t.Helper()
	c := testutil.Dial(t, nil, addr)
	cl := &client{t: t, c: c, br: bufio.NewReader(c)}
	cl.id = cl.line()
	return cl
}

func (c *client) line() string {
	c.t.Helper()
	s, err := c.br.ReadString('\n')
	if err != nil {
		c.t.Fatalf("reading: %v (%q)", err, s)
	}
	return strings.TrimSuffix(s, "\n")
}

func (c *client) do(cmd string) {
	c.t.Helper()
	fmt.Fprintf(c.c, "%s\n", cmd)
	if got := c.line(); got != "ok" {
		c.t.Fatalf("%q answered %q", cmd, got)
	}
}

func eventually[T comparable](t *testing.T, what string, want T, f func(ctx context.Context) (T, error)) {
	t.Helper()
	testutil.Eventually(t, what, func() bool {
		v, err := f(bg)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return v == want
	})
}

// A uid bound on process A is online from process B; refreshed, it stays
// online; when A's Redis connections go (a crash, as far as Redis can
// tell), it is offline within the TTL, while A still holds the
// connection.
func TestPresenceAcrossProcesses(t *testing.T) {
	r := testutil.StartRedis(t)
	const ttl = time.Second
	// The Hubs' broker does not matter here: a MemoryBroker each.
	bA, bB := newBroker(t, r.Addr), newBroker(t, r.Addr)
	a, addrA := newNode(t, memoryBroker(t), newPresence(t, bA), ttl)
	b, _ := newNode(t, memoryBroker(t), newPresence(t, bB), ttl)

	c := dial(t, addrA)
	c.do("bind alice")
	c.do("join room")
	c2 := dial(t, addrA)
	c2.do("join room")

	eventually(t, "IsUidOnline(alice) on B", true, func(ctx context.Context) (bool, error) { return b.gw.IsUidOnline(ctx, "alice") })
	eventually(t, "GroupCount(room) on B", 2, func(ctx context.Context) (int, error) { return b.gw.GroupCount(ctx, "room") })
	eventually(t, "ClientCount on B", 2, b.gw.ClientCount)
	eventually(t, "IsOnline on B", true, func(ctx context.Context) (bool, error) { return b.gw.IsOnline(ctx, c.id) })
	if ids, err := b.gw.ClientIDsByUid(bg, "alice"); err != nil || !slices.Equal(ids, []string{c.id}) {
		t.Fatalf("ClientIDsByUid(alice) = %v, %v", ids, err)
	}
	if ok, err := b.gw.IsUidOnline(bg, "bob"); ok || err != nil {
		t.Fatalf("IsUidOnline(bob) = %v, %v", ok, err)
	}

	// Refreshed every TTL/3: still online after more than a TTL.
	start := a.gw.Stats().Refreshes
	testutil.Eventually(t, "4 refreshes", func() bool { return a.gw.Stats().Refreshes >= start+4 })
	if ok, err := b.gw.IsUidOnline(bg, "alice"); !ok || err != nil {
		t.Fatalf("IsUidOnline(alice) after 4 refreshes: %v, %v", ok, err)
	}

	// A loses Redis: its refreshes fail (logged, counted), and what it
	// had expires for B.
	bA.Close()
	eventually(t, "IsUidOnline(alice) on B after A lost Redis", false, func(ctx context.Context) (bool, error) { return b.gw.IsUidOnline(ctx, "alice") })
	eventually(t, "GroupCount(room) on B after A lost Redis", 0, func(ctx context.Context) (int, error) { return b.gw.GroupCount(ctx, "room") })
	eventually(t, "ClientCount on B after A lost Redis", 0, b.gw.ClientCount)
	testutil.Eventually(t, "A's failures counted", func() bool { return a.gw.Stats().PresenceErrors > 0 })
	if a.gw.Stats().Clients != 2 {
		t.Fatalf("A's stats %+v: the connections are still there", a.gw.Stats())
	}
	if !strings.Contains(a.log.String(), "refreshing presence failed") {
		t.Fatalf("A's failures not logged:\n%s", a.log.String())
	}
}

// Redis restarts empty: the Gateway's refreshes put its entries back.
func TestRedisRestart(t *testing.T) {
	r := testutil.StartRedis(t)
	p := newPresence(t, newBroker(t, r.Addr))
	a, addrA := newNode(t, memoryBroker(t), p, time.Second)
	c := dial(t, addrA)
	c.do("bind zoe")
	eventually(t, "IsUidOnline(zoe)", true, func(ctx context.Context) (bool, error) { return a.gw.IsUidOnline(ctx, "zoe") })
	r.Restart() // without its data
	testutil.Eventually(t, "IsUidOnline(zoe) after the restart", func() bool {
		ok, err := a.gw.IsUidOnline(bg, "zoe")
		return ok && err == nil // an error while the client reconnects is fine
	})
}

// Everything on Redis: the Hubs on the Redis broker, presence in the same
// Redis. SendToUid from B reaches the connection bound on A.
func TestCrossHubOverRedis(t *testing.T) {
	r := testutil.StartRedis(t)
	bA, bB := newBroker(t, r.Addr), newBroker(t, r.Addr)
	_, addrA := newNode(t, bA, newPresence(t, bA), 0)
	b, _ := newNode(t, bB, newPresence(t, bB), 0)

	c := dial(t, addrA)
	c.do("bind alice")
	c.do("join room")
	eventually(t, "IsUidOnline(alice) on B", true, func(ctx context.Context) (bool, error) { return b.gw.IsUidOnline(ctx, "alice") })

	lines := make(chan string, 100)
	go func() {
		defer close(lines)
		for {
			s, err := c.br.ReadString('\n')
			if err != nil {
				return
			}
			lines <- strings.TrimSuffix(s, "\n")
		}
	}()
	isPing := func(s string) bool { return strings.HasPrefix(s, "ping ") }
	// next returns the next line that is not a ping.
	next := func() string {
		t.Helper()
		for {
			s, ok := <-lines
			if !ok {
				t.Fatal("the connection closed")
			}
			if !isPing(s) {
				return s
			}
		}
	}
	// The broker subscribes A to a topic in the background: ping each
	// topic until a ping arrives, so that what follows is not sent before
	// the subscription is in place.
	ready := func(name string, send func(msg string) error) {
		t.Helper()
		deadline := time.Now().Add(testutil.Timeout)
		for {
			if err := send("ping " + name); err != nil {
				t.Fatal(err)
			}
			select {
			case s, ok := <-lines:
				if !ok || !isPing(s) {
					t.Fatalf("got %q, %v, want a ping", s, ok)
				}
				if s == "ping "+name {
					return
				}
			case <-time.After(50 * time.Millisecond): // not an assertion: ping again
			}
			if time.Now().After(deadline) {
				t.Fatalf("no ping on %s reached A", name)
			}
		}
	}
	ready("uid", func(m string) error { return b.gw.SendToUid(bg, "alice", m) })
	ready("group", func(m string) error { return b.gw.SendToGroup(bg, "room", m) })
	ready("client", func(m string) error { return b.gw.SendToClient(bg, c.id, m) })

	if err := b.gw.SendToUid(bg, "alice", "hello from B"); err != nil {
		t.Fatal(err)
	}
	if s := next(); s != "hello from B" {
		t.Fatalf("got %q", s)
	}
	if err := b.gw.SendToGroupAsync("room", "to the room", b.gw.NodeID()+"-1"); err != nil {
		t.Fatal(err)
	}
	if s := next(); s != "to the room" {
		t.Fatalf("got %q", s)
	}
	if err := b.gw.SendToClient(bg, c.id, "just you"); err != nil {
		t.Fatal(err)
	}
	if s := next(); s != "just you" {
		t.Fatalf("got %q", s)
	}
	if err := b.gw.CloseClient(bg, c.id, "bye"); err != nil {
		t.Fatal(err)
	}
	if s := next(); s != "bye" {
		t.Fatalf("got %q", s)
	}
	for s := range lines {
		if !isPing(s) {
			t.Fatalf("after the close: %q", s)
		}
	}
	eventually(t, "IsUidOnline(alice) after CloseClient", false, func(ctx context.Context) (bool, error) { return b.gw.IsUidOnline(ctx, "alice") })
}
