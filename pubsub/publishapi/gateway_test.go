package publishapi_test

import (
	"context"
	nethttp "net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/internal/testutil"
	"github.com/workerman-go/workerman/protocols/http"
	"github.com/workerman-go/workerman/protocols/sse"
	"github.com/workerman-go/workerman/pubsub"
	"github.com/workerman-go/workerman/pubsub/gateway"
	"github.com/workerman-go/workerman/pubsub/publishapi"
	"github.com/workerman-go/workerman/worker"
)

var _ publishapi.Targets = (*gateway.Gateway)(nil)

// With a real Gateway as Targets: a uid's message reaches the streams
// bound to it, a group's every member but the excluded ones, and what the
// Gateway refuses is a 400.
func TestGatewayTargets(t *testing.T) {
	hub := pubsub.NewHub(pubsub.Options{NoReplay: true})
	t.Cleanup(func() { hub.Close() })
	g, err := gateway.New(hub, gateway.Options{MaxMessageSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	api, err := publishapi.New(publishapi.Options{Targets: g, Secret: secret})
	if err != nil {
		t.Fatal(err)
	}

	// GET /gw?uid=..&group=..: a stream registered with the Gateway, bound
	// and joined, whose first event is its client id.
	w := worker.New("http://127.0.0.1:0", http.Protocol())
	w.Count = 1
	w.OnMessage = func(c *connection.Conn, r *http.Request) {
		if api.Serve(c, r) {
			return
		}
		st, err := sse.Start(c, r, sse.Options{Heartbeat: -1})
		if err != nil {
			return
		}
		id, err := g.RegisterStream(st)
		if err == nil {
			err = g.BindUid(c, r.Query().Get("uid"))
		}
		if err == nil {
			err = g.JoinGroup(c, r.Query().Get("group"))
		}
		if err != nil {
			t.Errorf("gateway: %v", err)
			c.Close()
			return
		}
		st.Send(sse.Event{Event: "id", Data: id})
	}
	s := &server{api: api, hub: hub, w: w, base: "http://" + testutil.Start(t, w)}

	open := func(uid, group string) (*stream, string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), testutil.Timeout)
		t.Cleanup(cancel)
		q := url.Values{"uid": {uid}, "group": {group}}
		req, _ := nethttp.NewRequestWithContext(ctx, "GET", s.base+"/gw?"+q.Encode(), nil)
		req.Header.Set("Accept", "text/event-stream")
		resp, err := nethttp.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("stream: %v %v", resp, err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		st := &stream{dec: sse.NewDecoder(resp.Body, &sse.Parser{})}
		e := st.next(t)
		if e.Event != "id" || e.Data == "" {
			t.Fatalf("first event %+v, want the client id", e)
		}
		return st, e.Data
	}
	alice, aliceID := open("alice", "room")
	bob, _ := open("bob", "room")

	expect(t, "uid", s.publish(t, `{"uid":"alice","data":"hi alice"}`), 200, "")
	if e := alice.next(t); e.Data != "hi alice" {
		t.Fatalf("alice got %+v", e)
	}
	expect(t, "group", s.publish(t, `{"group":"room","data":{"from":"alice"},"exclude":["`+aliceID+`"]}`), 200, "")
	if e := bob.next(t); e.Data != `{"from":"alice"}` {
		t.Fatalf("bob got %+v", e)
	}
	expect(t, "uid after", s.publish(t, `{"uid":"alice","data":"next"}`), 200, "")
	if e := alice.next(t); e.Data != "next" {
		t.Fatalf("alice got %+v, want next (not the group's message: she was excluded)", e)
	}

	// The Gateway's refusals: the request's fault.
	expect(t, "bad client id", s.publish(t, `{"group":"room","data":"x","exclude":["not an id!"]}`), 400, "invalid client id")
	expect(t, "too large for the Gateway", s.publish(t, `{"uid":"alice","data":"`+strings.Repeat("x", 1001)+`"}`), 400, "message too large")

	g.Close()
	expect(t, "closed gateway", s.publish(t, `{"uid":"alice","data":"x"}`), 503, "closed")

	got := api.Stats()
	if got.SentToUid != 2 || got.SentToGroup != 1 || got.Rejected != (publishapi.Rejected{BadRequest: 2, Unavailable: 1}) {
		t.Fatalf("stats %+v", got)
	}
}
