package pubsub_test

import (
	"context"
	"io"
	nethttp "net/http"
	"testing"
	"time"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/internal/testutil"
	"github.com/workerman-go/workerman/protocols/http"
	"github.com/workerman-go/workerman/pubsub"
)

// A parked long poll answers 204 (poll again, same cursor) as soon as the
// server stops or hands over to a new process, instead of holding the
// stop until its timeout; the answer closes the connection.
func TestLongPollAnswersWhenTheServerStops(t *testing.T) {
	hub := pubsub.NewHub(pubsub.Options{})
	defer hub.Close()
	lp := &pubsub.LongPoll{Hub: hub, Timeout: time.Hour}
	parked := make(chan struct{}, 1)
	w := serve(t, 1, 0, func(c *connection.Conn, r *http.Request) {
		if err := lp.Serve(c, r, "t"); err != nil {
			t.Errorf("serve: %v", err)
		}
		parked <- struct{}{}
	})
	answered := make(chan *nethttp.Response, 1)
	go func() {
		client := &nethttp.Client{Timeout: testutil.Timeout}
		resp, err := client.Get("http://" + w.Addr() + "/?cursor=")
		if err != nil {
			t.Errorf("poll: %v", err)
			answered <- nil
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		answered <- resp
	}()
	testutil.Recv(t, parked, "the poll parked")
	ctx, cancel := context.WithTimeout(context.Background(), testutil.Timeout)
	defer cancel()
	if err := w.Stop(ctx); err != nil {
		t.Fatalf("stop: %v", err)
	}
	resp := testutil.Recv(t, answered, "the poll's answer")
	if resp == nil {
		t.FailNow()
	}
	if resp.StatusCode != 204 || !resp.Close {
		t.Fatalf("answer %d, Close=%v; want 204 with Connection: close", resp.StatusCode, resp.Close)
	}
	if st := hub.Stats(); st.Subscribers != 0 {
		t.Fatalf("%d subscribers left after the answer", st.Subscribers)
	}
}
