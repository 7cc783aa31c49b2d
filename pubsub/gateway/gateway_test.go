package gateway_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/internal/testutil"
	"github.com/workerman-go/workerman/protocols/text"
	"github.com/workerman-go/workerman/pubsub"
	"github.com/workerman-go/workerman/pubsub/gateway"
	"github.com/workerman-go/workerman/worker"
)

var bg = context.Background()

// node is one "process": a Hub on the shared broker, its Gateway, and a
// text server whose clients drive the Gateway with commands.
type node struct {
	hub  *pubsub.Hub
	gw   *gateway.Gateway
	addr string
	log  *testutil.Log
}

// newNode starts a node on broker, with presence store p.
func newNode(t *testing.T, broker pubsub.Broker, p gateway.Presence, opts gateway.Options) *node {
	t.Helper()
	n := &node{log: &testutil.Log{}}
	n.hub = pubsub.NewHub(pubsub.Options{Broker: broker, Logger: n.log.Logger()})
	opts.Presence = p
	opts.Logger = n.log.Logger()
	var err error
	n.gw, err = gateway.New(n.hub, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// After the server stopped (cleanups run last first).
		if err := n.gw.Close(); err != nil {
			t.Errorf("gateway close: %v", err)
		}
		n.hub.Close()
	})
	w := worker.New("text://127.0.0.1:0", text.Protocol())
	w.Count = 2 // clients on both loops
	w.OnConnect = func(c *connection.Conn) {
		id, err := n.gw.Register(c)
		if err != nil {
			c.Close("err " + err.Error())
			return
		}
		c.Send("id " + id)
	}
	w.OnMessage = func(c *connection.Conn, line string) {
		cmd, arg, _ := strings.Cut(line, " ")
		var err error
		switch cmd {
		case "bind":
			err = n.gw.BindUid(c, arg)
		case "unbind":
			err = n.gw.UnbindUid(c, arg)
		case "join":
			err = n.gw.JoinGroup(c, arg)
		case "leave":
			err = n.gw.LeaveGroup(c, arg)
		case "touid": // touid <uid> <message>: the asynchronous send, from the loop
			uid, msg, _ := strings.Cut(arg, " ")
			err = n.gw.SendToUidAsync(uid, msg)
		case "whoami":
			c.Send("ok whoami " + n.gw.ClientID(c) + " " + n.gw.Uid(c) + " " + strings.Join(n.gw.Groups(c), ","))
			return
		default:
			err = fmt.Errorf("unknown command %q", cmd)
		}
		if err != nil {
			c.Send("err " + err.Error())
			return
		}
		c.Send("ok " + cmd)
	}
	n.addr = testutil.Start(t, w)
	return n
}

// client is a text client of a node.
type client struct {
	t    *testing.T
	conn net.Conn
	br   *bufio.Reader
	id   string
}

func (n *node) dial(t *testing.T) *client {
	t.Helper()
	c := testutil.Dial(t, nil, n.addr)
	cl := &client{t: t, conn: c, br: bufio.NewReader(c)}
	first := cl.line()
	id, ok := strings.CutPrefix(first, "id ")
	if !ok {
		t.Fatalf("first line %q, want the client id", first)
	}
	cl.id = id
	return cl
}

// line reads the next line.
func (c *client) line() string {
	c.t.Helper()
	s, err := c.br.ReadString('\n')
	if err != nil {
		c.t.Fatalf("client %s: reading: %v (got %q)", c.id, err, s)
	}
	return strings.TrimSuffix(s, "\n")
}

// do sends a command and expects it done.
func (c *client) do(cmd string) {
	c.t.Helper()
	if _, err := fmt.Fprintf(c.conn, "%s\n", cmd); err != nil {
		c.t.Fatal(err)
	}
	name, _, _ := strings.Cut(cmd, " ")
	if got := c.line(); got != "ok "+name {
		c.t.Fatalf("client %s: %q answered %q", c.id, cmd, got)
	}
}

// who returns what the server knows of the client: "<id> <uid> <groups>".
func (c *client) who() string {
	c.t.Helper()
	if _, err := fmt.Fprintf(c.conn, "whoami\n"); err != nil {
		c.t.Fatal(err)
	}
	got, ok := strings.CutPrefix(c.line(), "ok whoami ")
	if !ok {
		c.t.Fatalf("whoami answered %q", got)
	}
	return got
}

// expect reads the next line and checks it.
func (c *client) expect(want string) {
	c.t.Helper()
	if got := c.line(); got != want {
		c.t.Fatalf("client %s: got %q, want %q", c.id, got, want)
	}
}

// expectEOF checks that the server closed the connection.
func (c *client) expectEOF() {
	c.t.Helper()
	if s, err := c.br.ReadString('\n'); err == nil || s != "" {
		c.t.Fatalf("client %s: got %q, %v, want the end of the connection", c.id, s, err)
	}
}

// nothingBut checks that the client got nothing before the marker: it is
// sent to the client alone, after what it must not have received.
func (c *client) nothingBut(g *gateway.Gateway) {
	c.t.Helper()
	marker := "marker-" + c.id
	if err := g.SendToClient(bg, c.id, marker); err != nil {
		c.t.Fatal(err)
	}
	c.expect(marker)
}

// cluster is two nodes on one MemoryBroker and one MemoryPresence.
func cluster(t *testing.T, opts gateway.Options) (a, b *node) {
	t.Helper()
	broker := pubsub.NewMemoryBroker(pubsub.MemoryBrokerOptions{NoReplay: true})
	t.Cleanup(func() { broker.Close() })
	p := gateway.NewMemoryPresence()
	return newNode(t, broker, p, opts), newNode(t, broker, p, opts)
}

// eventually waits until f returns want, failing on an error.
func eventually[T comparable](t *testing.T, what string, want T, f func(ctx context.Context) (T, error)) {
	t.Helper()
	var last T
	testutil.Eventually(t, fmt.Sprintf("%s == %v (last %v)", what, want, &last), func() bool {
		v, err := f(bg)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		last = v
		return v == want
	})
}

func TestSendToUidAcrossHubs(t *testing.T) {
	a, b := cluster(t, gateway.Options{})
	alice := a.dial(t)
	alice.do("bind alice")
	alice2 := b.dial(t) // the same user on the other process
	alice2.do("bind alice")

	// Sent from B, synchronously: both of alice's connections get it.
	if err := b.gw.SendToUid(bg, "alice", "hello from B"); err != nil {
		t.Fatal(err)
	}
	alice.expect("hello from B")
	alice2.expect("hello from B")

	// Asynchronously, from a callback on A (the "touid" command).
	bob := a.dial(t)
	bob.do("touid alice hi alice")
	alice.expect("hi alice")
	alice2.expect("hi alice")
	bob.nothingBut(b.gw)

	// Presence, from either side.
	eventually(t, "IsUidOnline(alice) on B", true, func(ctx context.Context) (bool, error) { return b.gw.IsUidOnline(ctx, "alice") })
	eventually(t, "IsUidOnline(bob) on A", false, func(ctx context.Context) (bool, error) { return a.gw.IsUidOnline(ctx, "bob") })
	ids, err := b.gw.ClientIDsByUid(bg, "alice")
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(ids)
	want := []string{alice.id, alice2.id}
	slices.Sort(want)
	if !slices.Equal(ids, want) {
		t.Fatalf("ClientIDsByUid(alice) = %v, want %v", ids, want)
	}
	if alice.id == alice2.id || !strings.HasPrefix(alice.id, a.gw.NodeID()+"-") || !strings.HasPrefix(alice2.id, b.gw.NodeID()+"-") {
		t.Fatalf("client ids %q (node %s), %q (node %s)", alice.id, a.gw.NodeID(), alice2.id, b.gw.NodeID())
	}
	eventually(t, "ClientCount", 3, b.gw.ClientCount)
}

func TestGroupsWithExclusion(t *testing.T) {
	a, b := cluster(t, gateway.Options{})
	c1, c2, c3 := a.dial(t), b.dial(t), a.dial(t)
	for _, c := range []*client{c1, c2, c3} {
		c.do("join room")
	}
	c1.do("join other")
	c1.do("bind u1")
	if got, want := c1.who(), c1.id+" u1 other,room"; got != want {
		t.Fatalf("whoami: %q, want %q", got, want)
	}

	eventually(t, "GroupCount(room)", 3, func(ctx context.Context) (int, error) { return b.gw.GroupCount(ctx, "room") })
	if err := b.gw.SendToGroup(bg, "room", "hi all but c1", c1.id); err != nil {
		t.Fatal(err)
	}
	c2.expect("hi all but c1")
	c3.expect("hi all but c1")
	c1.nothingBut(a.gw)

	// Many exclusions (a set is built from 8 on), asynchronously.
	many := []string{c2.id, c3.id}
	for i := range 20 {
		many = append(many, fmt.Sprintf("%s-%x", b.gw.NodeID(), 1000+i))
	}
	if err := a.gw.SendToGroupAsync("room", "only c1", many...); err != nil {
		t.Fatal(err)
	}
	c1.expect("only c1")
	c2.nothingBut(b.gw)
	c3.nothingBut(b.gw)

	// Leaving.
	c3.do("leave room")
	eventually(t, "GroupCount(room) after a leave", 2, func(ctx context.Context) (int, error) { return a.gw.GroupCount(ctx, "room") })
	if err := a.gw.SendToGroup(bg, "room", "after the leave"); err != nil {
		t.Fatal(err)
	}
	c1.expect("after the leave")
	c2.expect("after the leave")
	c3.nothingBut(a.gw)
	ids, err := a.gw.ClientIDsByGroup(bg, "room", 1)
	if err != nil || len(ids) != 1 || ids[0] != c1.id && ids[0] != c2.id {
		t.Fatalf("ClientIDsByGroup(room, 1) = %v, %v", ids, err)
	}

	// Ungroup: every member leaves, in both processes.
	if err := b.gw.Ungroup(bg, "room"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "GroupCount(room) after Ungroup", 0, func(ctx context.Context) (int, error) { return a.gw.GroupCount(ctx, "room") })
	if err := a.gw.SendToGroup(bg, "room", "to nobody"); err != nil {
		t.Fatal(err)
	}
	if err := a.gw.SendToGroup(bg, "other", "c1 is still in other"); err != nil {
		t.Fatal(err)
	}
	c1.expect("c1 is still in other")
	c2.nothingBut(a.gw)
}

func TestSendToAll(t *testing.T) {
	a, b := cluster(t, gateway.Options{})
	cs := []*client{a.dial(t), b.dial(t), a.dial(t), b.dial(t)}
	if err := a.gw.SendToAll(bg, "everyone"); err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		c.expect("everyone")
	}
	if err := b.gw.SendToAllAsync("all but two", cs[0].id, cs[1].id); err != nil {
		t.Fatal(err)
	}
	cs[2].expect("all but two")
	cs[3].expect("all but two")
	cs[0].nothingBut(a.gw)
	cs[1].nothingBut(a.gw)
	eventually(t, "ClientCount", 4, a.gw.ClientCount)
}

func TestSendToClientAndCloseClient(t *testing.T) {
	a, b := cluster(t, gateway.Options{})
	c := a.dial(t)
	other := a.dial(t)
	if err := b.gw.SendToClient(bg, c.id, "just you"); err != nil {
		t.Fatal(err)
	}
	c.expect("just you")
	if err := b.gw.SendToClientAsync(c.id, "just you, later"); err != nil {
		t.Fatal(err)
	}
	c.expect("just you, later")
	other.nothingBut(b.gw)

	eventually(t, "IsOnline", true, func(ctx context.Context) (bool, error) { return b.gw.IsOnline(ctx, c.id) })
	eventually(t, "ClientCount", 2, b.gw.ClientCount)
	if err := b.gw.CloseClient(bg, c.id, "bye"); err != nil {
		t.Fatal(err)
	}
	c.expect("bye")
	c.expectEOF()
	eventually(t, "IsOnline after CloseClient", false, func(ctx context.Context) (bool, error) { return b.gw.IsOnline(ctx, c.id) })
	eventually(t, "ClientCount after CloseClient", 1, b.gw.ClientCount)

	// Without a final message, asynchronously.
	if err := b.gw.CloseClientAsync(other.id); err != nil {
		t.Fatal(err)
	}
	other.expectEOF()
	eventually(t, "ClientCount after the second close", 0, b.gw.ClientCount)
	testutil.Eventually(t, "A has no client", func() bool { return a.gw.Stats().Clients == 0 })
}

func TestUnbindAndLeaveOnClose(t *testing.T) {
	a, b := cluster(t, gateway.Options{})
	c := a.dial(t)
	c.do("bind carol")
	c.do("join g1")
	c.do("join g2")
	eventually(t, "IsUidOnline(carol)", true, func(ctx context.Context) (bool, error) { return b.gw.IsUidOnline(ctx, "carol") })
	eventually(t, "GroupCount(g2)", 1, func(ctx context.Context) (int, error) { return b.gw.GroupCount(ctx, "g2") })
	if st := a.gw.Stats(); st.Clients != 1 || st.Entries != 4 {
		t.Fatalf("stats %+v, want 1 client with 4 entries", st)
	}

	c.conn.Close()
	eventually(t, "IsUidOnline(carol) after the close", false, func(ctx context.Context) (bool, error) { return b.gw.IsUidOnline(ctx, "carol") })
	for _, g := range []string{"g1", "g2"} {
		eventually(t, "GroupCount "+g, 0, func(ctx context.Context) (int, error) { return b.gw.GroupCount(ctx, g) })
	}
	eventually(t, "ClientCount", 0, b.gw.ClientCount)
	testutil.Eventually(t, "no subscription left", func() bool { return a.hub.Stats().Subscribers == 0 })
	if st := a.gw.Stats(); st.Clients != 0 || st.Entries != 0 {
		t.Fatalf("stats %+v, want nothing left", st)
	}
}

func TestUnbindAndRebind(t *testing.T) {
	a, b := cluster(t, gateway.Options{})
	c := a.dial(t)
	c.do("bind dave")
	c.do("bind erin") // replaces dave
	eventually(t, "IsUidOnline(erin)", true, func(ctx context.Context) (bool, error) { return b.gw.IsUidOnline(ctx, "erin") })
	eventually(t, "IsUidOnline(dave)", false, func(ctx context.Context) (bool, error) { return b.gw.IsUidOnline(ctx, "dave") })
	if err := b.gw.SendToUid(bg, "dave", "to dave"); err != nil {
		t.Fatal(err)
	}
	if err := b.gw.SendToUid(bg, "erin", "to erin"); err != nil {
		t.Fatal(err)
	}
	c.expect("to erin")

	c.do("unbind dave") // not bound to dave: nothing happens
	c.do("unbind erin")
	eventually(t, "IsUidOnline(erin) after unbind", false, func(ctx context.Context) (bool, error) { return b.gw.IsUidOnline(ctx, "erin") })
	if err := b.gw.SendToUid(bg, "erin", "to erin again"); err != nil {
		t.Fatal(err)
	}
	c.nothingBut(b.gw)
	eventually(t, "ClientCount", 1, b.gw.ClientCount) // still registered
}

func TestByClientID(t *testing.T) {
	a, b := cluster(t, gateway.Options{})
	c := a.dial(t)
	// An HTTP API on B binds the page's connection (on A) by its client id.
	if err := b.gw.BindUidByID(bg, c.id, "frank"); err != nil {
		t.Fatal(err)
	}
	if err := b.gw.JoinGroupByID(bg, c.id, "staff"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "IsUidOnline(frank)", true, func(ctx context.Context) (bool, error) { return b.gw.IsUidOnline(ctx, "frank") })
	eventually(t, "GroupCount(staff)", 1, func(ctx context.Context) (int, error) { return b.gw.GroupCount(ctx, "staff") })
	if err := b.gw.SendToUid(bg, "frank", "to frank"); err != nil {
		t.Fatal(err)
	}
	c.expect("to frank")
	if err := b.gw.SendToGroup(bg, "staff", "to staff"); err != nil {
		t.Fatal(err)
	}
	c.expect("to staff")

	if err := b.gw.UnbindUidByID(bg, c.id, "frank"); err != nil {
		t.Fatal(err)
	}
	if err := b.gw.LeaveGroupByID(bg, c.id, "staff"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "IsUidOnline(frank) after unbind", false, func(ctx context.Context) (bool, error) { return b.gw.IsUidOnline(ctx, "frank") })
	eventually(t, "GroupCount(staff) after leave", 0, func(ctx context.Context) (int, error) { return b.gw.GroupCount(ctx, "staff") })
}

func TestInvalidArguments(t *testing.T) {
	a, _ := cluster(t, gateway.Options{MaxMessageSize: 10})
	g := a.gw
	long := strings.Repeat("x", gateway.MaxNameLen+1)
	tooMany := make([]string, gateway.MaxExclude+1)
	for i := range tooMany {
		tooMany[i] = fmt.Sprintf("n-%x", i)
	}
	for _, tc := range []struct {
		name string
		err  error
		want error
	}{
		{"empty uid", g.SendToUid(bg, "", "x"), gateway.ErrInvalidName},
		{"long uid", g.SendToUidAsync(long, "x"), gateway.ErrInvalidName},
		{"control char", g.SendToGroup(bg, "a\nb", "x"), gateway.ErrInvalidName},
		{"not utf-8", g.SendToGroupAsync("\xff", "x"), gateway.ErrInvalidName},
		{"too large", g.SendToAll(bg, "12345678901"), gateway.ErrTooLarge},
		{"too large async", g.SendToUidAsync("u", "12345678901"), gateway.ErrTooLarge},
		{"bad client id", g.SendToClient(bg, "a,b", "x"), gateway.ErrInvalidClientID},
		{"empty client id", g.CloseClient(bg, ""), gateway.ErrInvalidClientID},
		{"bad exclusion", g.SendToAll(bg, "x", "ok", "not ok"), gateway.ErrInvalidClientID},
		{"too many exclusions", g.SendToAllAsync("x", tooMany...), gateway.ErrTooManyExcluded},
		{"bad uid by id", g.BindUidByID(bg, "n-1", ""), gateway.ErrInvalidName},
		{"bad id by id", g.JoinGroupByID(bg, "n 1", "g"), gateway.ErrInvalidClientID},
	} {
		if !errors.Is(tc.err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, tc.err, tc.want)
		}
	}
	if err := g.CloseClient(bg, "n-1", "a", "b"); err == nil {
		t.Error("CloseClient with two final messages: no error")
	}
	if _, err := g.IsUidOnline(bg, ""); !errors.Is(err, gateway.ErrInvalidName) {
		t.Errorf("IsUidOnline(\"\"): %v", err)
	}
	if _, err := g.IsOnline(bg, "x y"); !errors.Is(err, gateway.ErrInvalidClientID) {
		t.Errorf("IsOnline(\"x y\"): %v", err)
	}

	// From a connection: the error is answered, nothing changes.
	c := a.dial(t)
	if _, err := fmt.Fprintf(c.conn, "bind %s\n", long); err != nil {
		t.Fatal(err)
	}
	if got := c.line(); !strings.HasPrefix(got, "err gateway: invalid uid or group name") {
		t.Fatalf("bind with a long uid: %q", got)
	}
	if st := a.gw.Stats(); st.Entries != 1 {
		t.Fatalf("stats %+v, want the client's entry only", st)
	}

	// Options.
	if _, err := gateway.New(a.hub, gateway.Options{PresenceTTL: time.Millisecond}); err == nil {
		t.Error("New with a 1ms TTL: no error")
	}
	if _, err := gateway.New(a.hub, gateway.Options{QueueSize: -1}); err == nil {
		t.Error("New with a negative queue: no error")
	}
	if _, err := gateway.New(nil, gateway.Options{}); err == nil {
		t.Error("New without a Hub: no error")
	}
}

func TestMalformedDropped(t *testing.T) {
	a, b := cluster(t, gateway.Options{})
	c := a.dial(t)
	c.do("join room")
	for _, tc := range []struct{ topic, event, data string }{
		{"gw:all", "junk", "x"},                         // unknown event
		{"gw:all", "gw:x", "no newline"},                // exclusion without its newline
		{"gw:all", "gw:x", "bad id!\npayload"},          // invalid excluded id
		{"gw:all", "gw:x", "\npayload"},                 // empty excluded id
		{"gw:group:room", "gw:bind", "mallory"},         // a control on a group topic
		{"gw:all", "gw:close", ""},                      // a close to everyone
		{"gw:client:" + c.id, "gw:close", "no equals"},  // a close without its "="
		{"gw:client:" + c.id, "gw:join", ""},            // a join without a group
		{"gw:group:room", "gw:leave", "another group"},  // a leave of another group
		{"gw:all", "gw:x", strings.Repeat("a,", 70000)}, // an endless list
	} {
		before := a.gw.Stats().Malformed
		if _, err := b.hub.Publish(bg, tc.topic, pubsub.Message{Event: tc.event, Data: tc.data}); err != nil {
			t.Fatal(err)
		}
		c.nothingBut(b.gw)
		if n := a.gw.Stats().Malformed; n != before+1 {
			t.Fatalf("%s %s %.20q: Stats.Malformed = %d, want %d", tc.topic, tc.event, tc.data, n, before+1)
		}
	}
	if !strings.Contains(a.log.String(), "malformed message dropped") {
		t.Fatalf("no log line for the malformed messages:\n%s", a.log.String())
	}
	if a.gw.Uid(nil) != "" || len(a.gw.Groups(nil)) != 0 {
		t.Fatal("Uid/Groups of an unregistered connection")
	}
	// The connection is still in its group, and open.
	if err := b.gw.SendToGroup(bg, "room", "still here"); err != nil {
		t.Fatal(err)
	}
	c.expect("still here")
}

// gatedBroker is a MemoryBroker whose Publish can be held (a slow Redis)
// or made to fail (a Redis down).
type gatedBroker struct {
	*pubsub.MemoryBroker
	gate chan struct{}
	fail atomic.Bool
	held atomic.Int32
}

func (b *gatedBroker) Publish(ctx context.Context, m pubsub.Message) (pubsub.Message, error) {
	if b.fail.Load() {
		return pubsub.Message{}, fmt.Errorf("test broker: %w", pubsub.ErrUnavailable)
	}
	b.held.Add(1)
	select {
	case <-b.gate:
	case <-ctx.Done():
		return pubsub.Message{}, ctx.Err()
	}
	return b.MemoryBroker.Publish(ctx, m)
}

func TestQueueFullAndFailedPublish(t *testing.T) {
	broker := &gatedBroker{MemoryBroker: pubsub.NewMemoryBroker(pubsub.MemoryBrokerOptions{}), gate: make(chan struct{})}
	defer broker.Close()
	log := &testutil.Log{}
	hub := pubsub.NewHub(pubsub.Options{Broker: broker})
	defer hub.Close()
	g, err := gateway.New(hub, gateway.Options{QueueSize: 1, Publishers: 1, Timeout: testutil.Timeout, Logger: log.Logger()})
	if err != nil {
		t.Fatal(err)
	}
	// The publisher takes the first and is held; the second waits in the
	// queue; the third finds it full.
	if err := g.SendToUidAsync("u", "1"); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, "the first publish held", func() bool { return broker.held.Load() == 1 })
	if err := g.SendToUidAsync("u", "2"); err != nil {
		t.Fatal(err)
	}
	if err := g.SendToUidAsync("u", "3"); !errors.Is(err, gateway.ErrQueueFull) {
		t.Fatalf("third send: %v, want ErrQueueFull", err)
	}
	if st := g.Stats(); st.QueueFull != 1 || st.Queued != 1 {
		t.Fatalf("stats %+v, want 1 refused, 1 queued", st)
	}
	close(broker.gate)
	testutil.Eventually(t, "both published", func() bool { return g.Stats().Published == 2 })

	// A broker that is down: the synchronous send says so (503 for an
	// HTTP API), the asynchronous one is logged and counted.
	broker.fail.Store(true)
	if err := g.SendToGroup(bg, "g", "x"); !errors.Is(err, pubsub.ErrUnavailable) {
		t.Fatalf("SendToGroup with the broker down: %v, want ErrUnavailable", err)
	}
	if err := g.SendToGroupAsync("g", "y"); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, "the failure counted", func() bool { return g.Stats().PublishErrors == 2 })
	testutil.Eventually(t, "the failure logged", func() bool {
		return strings.Contains(log.String(), "asynchronous send failed")
	})

	// After Close, sends are refused.
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	if err := g.SendToUidAsync("u", "late"); !errors.Is(err, gateway.ErrClosed) {
		t.Fatalf("send after Close: %v, want ErrClosed", err)
	}
	if err := g.SendToUid(bg, "u", "late"); !errors.Is(err, gateway.ErrClosed) {
		t.Fatalf("send after Close: %v, want ErrClosed", err)
	}
	if err := g.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// flakyPresence is a MemoryPresence whose updates can be made to fail,
// as a Redis that is down would.
type flakyPresence struct {
	*gateway.MemoryPresence
	down atomic.Bool
}

var errDown = errors.New("test presence: down")

func (p *flakyPresence) Refresh(ctx context.Context, es []gateway.Entry, ttl time.Duration) error {
	if p.down.Load() {
		return errDown
	}
	return p.MemoryPresence.Refresh(ctx, es, ttl)
}

func (p *flakyPresence) Remove(ctx context.Context, es []gateway.Entry) error {
	if p.down.Load() {
		return errDown
	}
	return p.MemoryPresence.Remove(ctx, es)
}

// A process whose refreshes stop (a crash, a store it cannot reach): its
// entries expire within the TTL. And refreshes that fail are retried.
func TestPresenceExpiresAndRetries(t *testing.T) {
	broker := pubsub.NewMemoryBroker(pubsub.MemoryBrokerOptions{NoReplay: true})
	defer broker.Close()
	shared := gateway.NewMemoryPresence()
	flaky := &flakyPresence{MemoryPresence: shared}
	const ttl = 300 * time.Millisecond
	a := newNode(t, broker, flaky, gateway.Options{PresenceTTL: ttl})
	b := newNode(t, broker, shared, gateway.Options{PresenceTTL: ttl})

	c := a.dial(t)
	c.do("bind gina")
	eventually(t, "IsUidOnline(gina)", true, func(ctx context.Context) (bool, error) { return b.gw.IsUidOnline(ctx, "gina") })
	// Refreshed: still online after several TTLs.
	start := a.gw.Stats().Refreshes
	testutil.Eventually(t, "4 refreshes", func() bool { return a.gw.Stats().Refreshes >= start+4 })
	if ok, err := b.gw.IsUidOnline(bg, "gina"); !ok || err != nil {
		t.Fatalf("IsUidOnline(gina) after 4 refreshes: %v, %v", ok, err)
	}

	// A cannot refresh any more: gina expires, though A still has her.
	flaky.down.Store(true)
	eventually(t, "IsUidOnline(gina) once A stopped refreshing", false, func(ctx context.Context) (bool, error) { return b.gw.IsUidOnline(ctx, "gina") })
	testutil.Eventually(t, "the failures counted", func() bool { return a.gw.Stats().PresenceErrors >= 2 })
	if !strings.Contains(a.log.String(), "refreshing presence failed") {
		t.Fatalf("no log line for the failed refresh:\n%s", a.log.String())
	}

	// The store is back: gina is online again.
	flaky.down.Store(false)
	eventually(t, "IsUidOnline(gina) once A refreshes again", true, func(ctx context.Context) (bool, error) { return b.gw.IsUidOnline(ctx, "gina") })
}

// Updates that fail (the store down) are retried: with a TTL longer than
// the test's timeout, only a retry can make them visible.
func TestPresenceUpdatesRetried(t *testing.T) {
	broker := pubsub.NewMemoryBroker(pubsub.MemoryBrokerOptions{NoReplay: true})
	defer broker.Close()
	shared := gateway.NewMemoryPresence()
	flaky := &flakyPresence{MemoryPresence: shared}
	opts := gateway.Options{PresenceTTL: time.Hour}
	a := newNode(t, broker, flaky, opts)
	b := newNode(t, broker, shared, opts)

	flaky.down.Store(true)
	c := a.dial(t)
	c.do("bind jane")
	testutil.Eventually(t, "the update failed", func() bool { return a.gw.Stats().PresenceErrors >= 1 })
	if ok, err := b.gw.IsUidOnline(bg, "jane"); ok || err != nil {
		t.Fatalf("IsUidOnline(jane) with the store down: %v, %v", ok, err)
	}
	flaky.down.Store(false)
	eventually(t, "IsUidOnline(jane) once the store is back", true, func(ctx context.Context) (bool, error) { return b.gw.IsUidOnline(ctx, "jane") })

	flaky.down.Store(true)
	errs := a.gw.Stats().PresenceErrors
	c.do("unbind jane")
	testutil.Eventually(t, "the removal failed", func() bool { return a.gw.Stats().PresenceErrors > errs })
	flaky.down.Store(false)
	eventually(t, "IsUidOnline(jane) after the unbind", false, func(ctx context.Context) (bool, error) { return b.gw.IsUidOnline(ctx, "jane") })
	eventually(t, "ClientCount", 1, b.gw.ClientCount)
}

// Close removes the Gateway's entries at once.
func TestCloseRemovesPresence(t *testing.T) {
	a, b := cluster(t, gateway.Options{})
	c := a.dial(t)
	c.do("bind hank")
	eventually(t, "IsUidOnline(hank)", true, func(ctx context.Context) (bool, error) { return b.gw.IsUidOnline(ctx, "hank") })
	if err := a.gw.Close(); err != nil {
		t.Fatal(err)
	}
	if ok, err := b.gw.IsUidOnline(bg, "hank"); ok || err != nil {
		t.Fatalf("IsUidOnline(hank) after A's Close: %v, %v", ok, err)
	}
	if n, err := b.gw.ClientCount(bg); n != 0 || err != nil {
		t.Fatalf("ClientCount after A's Close: %v, %v", n, err)
	}
	if _, err := fmt.Fprintf(c.conn, "bind ivan\n"); err != nil {
		t.Fatal(err)
	}
	if got := c.line(); !strings.Contains(got, gateway.ErrClosed.Error()) {
		t.Fatalf("bind after Close: %q", got)
	}
}
