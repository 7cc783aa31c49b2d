package metrics

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/internal/testutil"
	"github.com/workerman-go/workerman/protocols/text"
	"github.com/workerman-go/workerman/pubsub"
	"github.com/workerman-go/workerman/worker"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := (&http.Client{Timeout: testutil.Timeout}).Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// A Worker with a client and a Hub with a subscriber, scraped; then the
// Worker stops and is no longer ready.
func TestMetricsAndHealth(t *testing.T) {
	hub := pubsub.NewHub(pubsub.Options{})
	t.Cleanup(func() { hub.Close() })
	RegisterHub("chat", hub)

	w := worker.New("text://127.0.0.1:0", text.Protocol())
	w.Name = "metrics-test"
	w.OnConnect = func(c *connection.Conn) {
		if _, err := hub.Subscribe(c, "news", pubsub.Raw, pubsub.SubscribeOptions{}); err != nil {
			c.Close()
		}
	}
	w.OnMessage = func(c *connection.Conn, line string) { c.Send(line) }
	addr := testutil.Start(t, w)
	c := testutil.Dial(t, nil, addr)
	if _, err := io.WriteString(c, "hello\n"); err != nil {
		t.Fatal(err)
	}
	if b := make([]byte, 6); func() bool { _, err := io.ReadFull(c, b); return err != nil || string(b) != "hello\n" }() {
		t.Fatal("no echo")
	}
	testutil.Eventually(t, "a subscriber", func() bool { return hub.Stats().Subscribers == 1 })

	stop, err := Serve("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	base := "http://" + served.Load()

	code, body := get(t, base+"/metrics")
	if code != 200 {
		t.Fatalf("/metrics: %d %s", code, body)
	}
	for _, want := range []string{
		`workerman_up{worker="metrics-test"} 1`,
		`workerman_connections{worker="metrics-test"} 1`,
		`workerman_connections_accepted_total{worker="metrics-test"} 1`,
		`workerman_messages_total{worker="metrics-test"} 1`,
		`workerman_bytes_read_total{worker="metrics-test"} 6`,
		`workerman_loop_connections{loop="0",worker="metrics-test"}`,
		`pubsub_subscribers{hub="chat"} 1`,
		`pubsub_topics{hub="chat"} 1`,
		`go_goroutines `,
		`process_resident_memory_bytes `,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if code, body := get(t, base+"/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz: %d %q", code, body)
	}
	if code, body := get(t, base+"/readyz"); code != 200 {
		t.Errorf("/readyz while listening: %d %q", code, body)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := w.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	// A stopped Worker has left the process's set of Workers.
	if code, body := get(t, base+"/readyz"); code != 503 || !strings.Contains(body, "no worker is running") {
		t.Errorf("/readyz after the stop: %d %q", code, body)
	}
	if _, body := get(t, base+"/metrics"); strings.Contains(body, `worker="metrics-test"`) {
		t.Error("a stopped Worker is still in /metrics")
	}
}

// The -metrics flag is on the command line, and a bad address stops the
// start with an error that names it.
func TestFlagAndBadAddress(t *testing.T) {
	if worker.Flags.Lookup("metrics") == nil {
		t.Fatal("no -metrics flag on worker.Flags")
	}
	if _, err := Serve("127.0.0.1:no-port"); err == nil || !strings.Contains(err.Error(), "127.0.0.1:no-port") {
		t.Fatalf("Serve on a bad address: %v", err)
	}
}
