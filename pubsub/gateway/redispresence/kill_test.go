package redispresence_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
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

// nodeEnv, set to a Redis address, makes the test binary run a Gateway
// node instead of the tests (TestMain): a text worker whose connections
// register, and bind to the uid they send; it prints its address and
// runs until killed.
const nodeEnv = "WM_TEST_PRESENCE_NODE"

// killTTL is the presence TTL of the node the test kills.
const killTTL = time.Second

func TestMain(m *testing.M) {
	if addr := os.Getenv(nodeEnv); addr != "" {
		if err := runNode(addr); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	os.Exit(m.Run())
}

func runNode(redisAddr string) error {
	b, err := redisbroker.New(redisbroker.Options{Addrs: []string{redisAddr}, KeyPrefix: "test:"})
	if err != nil {
		return err
	}
	p, err := redispresence.New(b, redispresence.Options{})
	if err != nil {
		return err
	}
	g, err := gateway.New(pubsub.NewHub(pubsub.Options{Broker: b}), gateway.Options{Presence: p, PresenceTTL: killTTL})
	if err != nil {
		return err
	}
	w := worker.New("text://127.0.0.1:0", text.Protocol())
	w.OnMessage = func(c *connection.Conn, uid string) {
		if _, err := g.Register(c); err != nil {
			c.Send("err " + err.Error())
			return
		}
		if err := g.BindUid(c, uid); err != nil {
			c.Send("err " + err.Error())
			return
		}
		c.Send("ok")
	}
	if err := w.Start(context.Background()); err != nil {
		return err
	}
	fmt.Println(w.Addr())
	select {} // until killed
}

// A uid bound on a process that is killed (SIGKILL: no cleanup) is
// offline for the others once its entry's deadline passes, and that
// deadline is at most the TTL after the kill (the bound the package
// documents, on one machine's clock).
func TestKilledProcessGoesOffline(t *testing.T) {
	r := testutil.StartRedis(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), nodeEnv+"="+r.Addr)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("the node's address: %v", err)
	}
	c := testutil.Dial(t, nil, strings.TrimSpace(addr))
	fmt.Fprintln(c, "alice")
	if line, err := bufio.NewReader(c).ReadString('\n'); err != nil || line != "ok\n" {
		t.Fatalf("bind on the node: %q, %v", line, err)
	}

	b, _ := newNode(t, memoryBroker(t), newPresence(t, newBroker(t, r.Addr)), killTTL)
	eventually(t, "alice online, seen from another process", true, func(ctx context.Context) (bool, error) { return b.gw.IsUidOnline(ctx, "alice") })

	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	_ = cmd.Wait()

	broker := newBroker(t, r.Addr)
	key := newPresence(t, broker).Key("gw:uid:alice")
	scores, err := broker.Client(key).ZRangeWithScores(context.Background(), key, 0, -1).Result()
	if err != nil || len(scores) != 1 {
		t.Fatalf("alice's entries: %v, %v", scores, err)
	}
	if deadline := time.UnixMilli(int64(scores[0].Score)); deadline.After(killed.Add(killTTL)) {
		t.Fatalf("alice's entry expires at %v, later than the TTL (%v) after the kill (%v)", deadline, killTTL, killed)
	}
	eventually(t, "alice offline after the kill", false, func(ctx context.Context) (bool, error) { return b.gw.IsUidOnline(ctx, "alice") })
}
