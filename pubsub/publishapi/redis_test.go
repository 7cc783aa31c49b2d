package publishapi_test

import (
	"testing"

	"github.com/workerman-go/workerman/internal/testutil"
	"github.com/workerman-go/workerman/protocols/http"
	"github.com/workerman-go/workerman/pubsub"
	"github.com/workerman-go/workerman/pubsub/publishapi"
	"github.com/workerman-go/workerman/pubsub/redisbroker"
)

// Through a real Redis: a publish reaches a subscriber; with Redis killed
// the API answers 503 with Retry-After; restarted, it publishes again.
func TestRedis(t *testing.T) {
	r := testutil.StartRedis(t)
	var log testutil.Log
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("log:\n%s", log.String())
		}
	})
	b, err := redisbroker.New(redisbroker.Options{Addrs: []string{r.Addr}, KeyPrefix: "publishapi-test:", Logger: log.Logger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	hub := pubsub.NewHub(pubsub.Options{Broker: b, Logger: log.Logger()})
	t.Cleanup(func() { hub.Close() })
	s := startServer(t, publishapi.Options{Hub: hub, Logger: log.Logger()}, http.Config{})
	st := s.openStream(t, "news", 1)

	a := s.publish(t, `{"topic":"news","data":"before","event":"e"}`)
	expect(t, "publish", a, 200, "")
	if e := st.next(t); e.ID != a.field("id") || e.Data != "before" || e.Event != "e" {
		t.Fatalf("event %+v, want before with id %s", e, a.field("id"))
	}

	r.Kill()
	a = s.publish(t, `{"topic":"news","data":"while down"}`)
	expect(t, "Redis down", a, 503, "unavailable")
	if a.header.Get("Retry-After") != "1" {
		t.Fatalf("503: Retry-After %q", a.header.Get("Retry-After"))
	}

	r.Restart()
	// The broker reconnects by itself: publishes succeed again, soon.
	var after answer
	testutil.Eventually(t, "a publish after the restart", func() bool {
		after = s.publish(t, `{"topic":"news","data":"after"}`)
		if after.status != 200 && after.status != 503 {
			t.Fatalf("after the restart: %s, want 200 or 503", after)
		}
		return after.status == 200
	})
	// The subscriber receives it (after a gap, logged: Redis lost the
	// stream, and the server route has no OnGap).
	if e := st.next(t); e.ID != after.field("id") || e.Data != "after" {
		t.Fatalf("event %+v, want after with id %s", e, after.field("id"))
	}
	got := s.api.Stats()
	if got.Published != 2 || got.Rejected.Unavailable == 0 || got.Rejected != (publishapi.Rejected{Unavailable: got.Rejected.Unavailable}) {
		t.Fatalf("stats %+v", got)
	}
}
