package publishapi_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	nethttp "net/http"
	"strings"
	"testing"
	"time"

	"github.com/workerman-go/workerman/internal/testutil"
	"github.com/workerman-go/workerman/protocols/http"
	"github.com/workerman-go/workerman/pubsub"
	"github.com/workerman-go/workerman/pubsub/publishapi"
)

// A message published through the API reaches an SSE subscriber of its
// topic, with the id the answer gives.
func TestPublishReachesSubscriber(t *testing.T) {
	s := startServer(t, publishapi.Options{}, http.Config{})
	st := s.openStream(t, "news", 1)

	a := s.publish(t, `{"topic": "news", "data": "hello\nworld", "event": "headline"}`)
	expect(t, "publish", a, 200, "")
	id := a.field("id")
	if id == "" || a.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("answer %s %v: want an id and Cache-Control: no-store", a, a.header)
	}
	if e := st.next(t); e.ID != id || e.Event != "headline" || e.Data != "hello\nworld" {
		t.Fatalf("event %+v, want id %s, event headline, data hello\\nworld", e, id)
	}

	// Data that is not a string is sent as its compact JSON text; no event.
	a = s.publish(t, `{"data": {"a": [1, 2], "b": null}, "topic": "news"}`)
	expect(t, "publish an object", a, 200, "")
	if e := st.next(t); e.ID != a.field("id") || e.Event != "" || e.Data != `{"a":[1,2],"b":null}` {
		t.Fatalf("event %+v, want the compact JSON", e)
	}
	// Another topic's message does not reach it.
	expect(t, "other topic", s.publish(t, `{"topic": "sport", "data": "goal"}`), 200, "")
	a = s.publish(t, `{"topic": "news", "data": "last"}`)
	expect(t, "last", a, 200, "")
	if e := st.next(t); e.ID != a.field("id") || e.Data != "last" {
		t.Fatalf("event %+v, want the last one", e)
	}

	if got := s.api.Stats(); got.Published != 4 || got.Rejected != (publishapi.Rejected{}) || got.InFlight != 0 {
		t.Fatalf("stats %+v", got)
	}
	// Other paths are the application's.
	if a := s.do(t, "GET", "/other", ""); a.status != 404 {
		t.Fatalf("GET /other: %s, want the application's 404", a)
	}
}

// A subscriber with SubscribeFunc on a Hub sharing the broker receives it
// too: what a second worker process would see.
func TestPublishReachesAnotherHub(t *testing.T) {
	broker := pubsub.NewMemoryBroker(pubsub.MemoryBrokerOptions{})
	defer broker.Close()
	hub := pubsub.NewHub(pubsub.Options{Broker: broker})
	defer hub.Close()
	s := startServer(t, publishapi.Options{Hub: hub}, http.Config{})

	other := pubsub.NewHub(pubsub.Options{Broker: broker})
	defer other.Close()
	got := make(chan pubsub.Message, 1)
	startFuncSubscriber(t, other, "orders", got)

	a := s.publish(t, `{"topic": "orders", "data": "42"}`)
	expect(t, "publish", a, 200, "")
	if m := testutil.Recv(t, got, "the message"); m.ID != a.field("id") || m.Data != "42" {
		t.Fatalf("received %+v, want id %s", m, a.field("id"))
	}
}

// Every refusal: its status, its JSON error, its counter.
func TestRefusals(t *testing.T) {
	s := startServer(t, publishapi.Options{MaxBodyBytes: 4096, MaxDataBytes: 100}, http.Config{})
	ct := []string{"Content-Type", "application/json"}
	signed := func(body string, at time.Time) []string {
		return append(ct, publishapi.SignatureHeader, publishapi.Sign(secret, []byte(body), at))
	}
	body := `{"topic":"news","data":"x"}`

	// 405 with Allow.
	for _, m := range []string{"GET", "PUT", "DELETE", "HEAD"} {
		a := s.do(t, m, "/publish", "")
		if a.status != 405 || a.header.Get("Allow") != "POST" {
			t.Fatalf("%s: %s %v, want 405 with Allow: POST", m, a, a.header)
		}
		if m != "HEAD" {
			expect(t, m, a, 405, "use POST")
		}
	}
	// 415.
	expect(t, "form", s.do(t, "POST", "/publish", body, "Content-Type", "application/x-www-form-urlencoded",
		publishapi.SignatureHeader, publishapi.Sign(secret, []byte(body), time.Now())), 415, "application/json")
	expect(t, "no content type", s.do(t, "POST", "/publish", body), 415, "application/json")
	// A charset parameter is fine.
	expect(t, "charset", s.do(t, "POST", "/publish", body, "Content-Type", "application/json; charset=utf-8",
		publishapi.SignatureHeader, publishapi.Sign(secret, []byte(body), time.Now())), 200, "")

	// 413: above the API's MaxBodyBytes.
	big := `{"topic":"news","data":"` + strings.Repeat("x", 5000) + `"}`
	expect(t, "big body", s.do(t, "POST", "/publish", big, signed(big, time.Now())...), 413, "more than the limit of 4096")

	// 401, with WWW-Authenticate, never the expected signature.
	good := publishapi.Sign(secret, []byte(body), time.Now())
	wantSig := good[strings.Index(good, "v1=")+3:]
	for _, tc := range []struct {
		name, header, want string
	}{
		{"missing", "", "no X-Signature header"},
		{"malformed", "v1=abc", "malformed X-Signature header"},
		{"no v1", "t=1700000000", "no v1"},
		{"stale", publishapi.Sign(secret, []byte(body), time.Now().Add(-10*time.Minute)), "outside the tolerance"},
		{"future", publishapi.Sign(secret, []byte(body), time.Now().Add(10*time.Minute)), "ahead"},
		{"wrong secret", publishapi.Sign([]byte("another secret"), []byte(body), time.Now()), "does not match"},
		{"other body", publishapi.Sign(secret, []byte(body+" "), time.Now()), "does not match"},
	} {
		h := ct
		if tc.header != "" {
			h = append(h, publishapi.SignatureHeader, tc.header)
		}
		a := s.do(t, "POST", "/publish", body, h...)
		expect(t, "401 "+tc.name, a, 401, tc.want)
		if !strings.Contains(a.header.Get("WWW-Authenticate"), "X-Signature") {
			t.Fatalf("401 %s: WWW-Authenticate %q", tc.name, a.header.Get("WWW-Authenticate"))
		}
		if strings.Contains(a.body, wantSig) {
			t.Fatalf("401 %s: the answer %q leaks the expected signature", tc.name, a.body)
		}
	}

	// 400.
	for _, tc := range []struct{ body, want string }{
		{``, "must be a JSON object"},
		{`[1]`, "must be a JSON object"},
		{`{"topic":"news","data":"x"`, "bad JSON"},
		{`{"topic":"news","data":"x"} {}`, "more after the object"},
		{`{"topic":"news","data":"x","extra":1}`, `unknown field "extra"`},
		{`{"topic":5,"data":"x"}`, "bad JSON"},
		{`{"data":"x"}`, `no "topic", "uid" or "group"`},
		{`{"topic":"news","uid":"1","data":"x"}`, "exclude each other"},
		{`{"topic":"","data":"x"}`, `"topic" is empty`},
		{`{"topic":"a\nb","data":"x"}`, "control character"},
		{`{"topic":"` + strings.Repeat("t", 257) + `","data":"x"}`, "more than 256"},
		{`{"topic":"news"}`, `no "data"`},
		{`{"topic":"news","data":null}`, `no "data"`},
		{`{"topic":"news","data":""}`, `"data" is empty`},
		{`{"topic":"news","data":"` + strings.Repeat("x", 101) + `"}`, `"data" has 101 bytes, more than the limit of 100`},
		{`{"topic":"news","data":"x","event":"a\r\nid: 1"}`, `"event" contains CR or LF`},
		{`{"topic":"news","data":"x","event":"a\nb"}`, `"event" contains CR or LF`},
		{`{"topic":"news","data":"x","exclude":["a"]}`, `"exclude" goes with "group" only`},
		{`{"uid":"1","data":"x"}`, `"uid": this API sends to no uid or group (publishapi.Options.Targets is not set)`},
		{`{"group":"g","data":"x"}`, `"group": this API sends to no uid or group`},
	} {
		expect(t, "400 "+tc.body, s.do(t, "POST", "/publish", tc.body, signed(tc.body, time.Now())...), 400, tc.want)
	}

	want := publishapi.Rejected{Method: 4, ContentType: 2, TooLarge: 1, Unauthorized: 7, BadRequest: 20}
	if got := s.api.Stats(); got.Rejected != want || got.Published != 1 {
		t.Fatalf("stats %+v, want 1 published and %+v", got, want)
	}
}

// The worker's own body limit answers 413 before the body is read, which
// is what a user sets to keep large bodies out of memory.
func TestWorkerBodyLimit(t *testing.T) {
	s := startServer(t, publishapi.Options{}, http.Config{Limits: http.Limits{MaxBodyBytes: 1000}})
	big := `{"topic":"news","data":"` + strings.Repeat("x", 2000) + `"}`
	a := s.publish(t, big)
	if a.status != 413 {
		t.Fatalf("big body: %s, want 413 from the HTTP codec", a)
	}
	if got := s.api.Stats(); got.Rejected.TooLarge != 0 {
		t.Fatalf("the API saw the request: %+v", got)
	}
	expect(t, "small body", s.publish(t, `{"topic":"news","data":"x"}`), 200, "")
}

// A secret being rotated: OldSecrets are accepted, and a header with
// several v1 values passes when one matches.
func TestSecretRotation(t *testing.T) {
	old := []byte("the old secret, still accepted..")
	s := startServer(t, publishapi.Options{OldSecrets: [][]byte{old}}, http.Config{})
	body := `{"topic":"news","data":"x"}`
	now := time.Now()
	withOld := publishapi.Sign(old, []byte(body), now)
	expect(t, "old secret", s.do(t, "POST", "/publish", body, "Content-Type", "application/json", publishapi.SignatureHeader, withOld), 200, "")

	wrong := publishapi.Sign([]byte("unknown"), []byte(body), now)
	good := publishapi.Sign(secret, []byte(body), now)
	both := wrong + "," + good[strings.Index(good, "v1="):]
	expect(t, "two v1", s.do(t, "POST", "/publish", body, "Content-Type", "application/json", publishapi.SignatureHeader, both), 200, "")
}

// Insecure: no signature needed.
func TestInsecure(t *testing.T) {
	s := startServer(t, publishapi.Options{Insecure: true, Path: "/internal/publish"}, http.Config{})
	a := s.do(t, "POST", "/internal/publish", `{"topic":"news","data":"x"}`, "Content-Type", "application/json")
	expect(t, "unsigned", a, 200, "")
	if a := s.do(t, "POST", "/publish", `{"topic":"news","data":"x"}`, "Content-Type", "application/json"); a.status != 404 {
		t.Fatalf("the default path: %s, want the application's 404", a)
	}
}

// uid and group go to the Targets; their errors become 503 and 500.
func TestTargets(t *testing.T) {
	targets := &fakeTargets{}
	s := startServer(t, publishapi.Options{Targets: targets}, http.Config{})

	a := s.publish(t, `{"uid":"42","data":"hi"}`)
	expect(t, "uid", a, 200, "")
	if a.json["ok"] != true {
		t.Fatalf("uid: %s, want {\"ok\":true}", a)
	}
	expect(t, "group", s.publish(t, `{"group":"room","data":{"n":1},"exclude":["c1","c2"]}`), 200, "")
	expect(t, "group without exclude", s.publish(t, `{"group":"room","data":"x"}`), 200, "")
	want := []string{`uid 42: hi`, `group room: {"n":1}, exclude ["c1" "c2"]`, `group room: x, exclude []`}
	if got := targets.take(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("targets got %q, want %q", got, want)
	}
	expect(t, "event with uid", s.publish(t, `{"uid":"42","data":"hi","event":"e"}`), 400, `"event" goes with "topic" only`)
	expect(t, "empty exclude", s.publish(t, `{"group":"room","data":"x","exclude":[""]}`), 400, `"exclude[0]" is empty`)
	expect(t, "topic without a Hub", s.publish(t, `{"topic":"news","data":"x"}`), 400, `"topic": this API publishes to no Hub`)

	targets.fail(fmt.Errorf("gateway: registry down: %w", pubsub.ErrUnavailable))
	a = s.publish(t, `{"uid":"42","data":"hi"}`)
	expect(t, "unavailable", a, 503, "registry down")
	if a.header.Get("Retry-After") != "1" {
		t.Fatalf("503: Retry-After %q, want 1", a.header.Get("Retry-After"))
	}
	targets.fail(errors.New("gateway: something broke"))
	expect(t, "failure", s.publish(t, `{"group":"room","data":"x"}`), 500, `sending to group "room": gateway: something broke`)

	got := s.api.Stats()
	if got.SentToUid != 1 || got.SentToGroup != 2 || got.Rejected != (publishapi.Rejected{BadRequest: 3, Unavailable: 1, Failed: 1}) {
		t.Fatalf("stats %+v", got)
	}
}

// A broker that cannot be reached: 503 with Retry-After; other errors 500;
// a publish slower than Timeout 504; a closed Hub 503.
func TestBrokerFailures(t *testing.T) {
	b := newFakeBroker(t)
	hub := pubsub.NewHub(pubsub.Options{Broker: b})
	var log testutil.Log
	s := startServer(t, publishapi.Options{Hub: hub, Timeout: 50 * time.Millisecond, RetryAfter: 2500 * time.Millisecond, Logger: log.Logger()}, http.Config{})
	body := `{"topic":"news","data":"x"}`

	b.fail(fmt.Errorf("redis: dial tcp: connection refused: %w", pubsub.ErrUnavailable))
	a := s.publish(t, body)
	expect(t, "unavailable", a, 503, "connection refused")
	if a.header.Get("Retry-After") != "3" {
		t.Fatalf("503: Retry-After %q, want 3 (2.5 s rounded up)", a.header.Get("Retry-After"))
	}

	b.fail(errors.New("broker: disk on fire"))
	expect(t, "failure", s.publish(t, body), 500, `publishing on topic "news": broker: disk on fire`)
	if !strings.Contains(log.String(), "disk on fire") {
		t.Fatalf("the 500 is not logged: %q", log.String())
	}

	b.fail(nil)
	release := b.hold()
	expect(t, "timeout", s.publish(t, body), 504, "may or may not")
	release()
	expect(t, "recovered", s.publish(t, body), 200, "")

	hub.Close()
	expect(t, "closed hub", s.publish(t, body), 503, "closed")

	got := s.api.Stats()
	if got.Published != 1 || got.Rejected != (publishapi.Rejected{Unavailable: 2, Failed: 1, Timeout: 1}) {
		t.Fatalf("stats %+v", got)
	}
}

// Publishes wait on a goroutine, never on the event loop: while they are
// held, the loop (the worker has one) answers other requests; beyond
// MaxInFlight a request is refused at once with 503; a pipelined request
// waits for the answer before it.
func TestInFlight(t *testing.T) {
	b := newFakeBroker(t)
	hub := pubsub.NewHub(pubsub.Options{Broker: b})
	t.Cleanup(func() { hub.Close() })
	s := startServer(t, publishapi.Options{Hub: hub, MaxInFlight: 2}, http.Config{})
	release := b.hold()
	defer func() {
		if release != nil {
			release()
		}
	}()

	// Two requests pipelined on one connection, and one on another.
	conn := testutil.Dial(t, nil, strings.TrimPrefix(s.base, "http://"))
	rawRequest := func(data string) string {
		body := `{"topic":"news","data":"` + data + `"}`
		return "POST /publish HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
			publishapi.SignatureHeader + ": " + publishapi.Sign(secret, []byte(body), time.Now()) + "\r\n" +
			fmt.Sprintf("Content-Length: %d\r\n\r\n", len(body)) + body
	}
	if _, err := io.WriteString(conn, rawRequest("first")+rawRequest("second")); err != nil {
		t.Fatal(err)
	}
	third := make(chan answer, 1)
	go func() {
		body := `{"topic":"news","data":"third"}`
		a, err := s.try("POST", "/publish", body, signedHeader(body)...)
		if err != nil {
			t.Errorf("third: %v", err)
		}
		third <- a
	}()
	testutil.Eventually(t, "two publishes held", func() bool { return b.held() == 2 })
	if got := s.api.Stats().InFlight; got != 2 {
		t.Fatalf("in flight: %d, want 2", got)
	}

	// The loop is free: another request is answered, and one more publish
	// is refused at once.
	if a := s.do(t, "GET", "/other", ""); a.status != 404 {
		t.Fatalf("GET /other while publishes wait: %s", a)
	}
	a := s.publish(t, `{"topic":"news","data":"fourth"}`)
	expect(t, "beyond MaxInFlight", a, 503, "too many publishes under way (2)")
	if a.header.Get("Retry-After") != "1" {
		t.Fatalf("busy: Retry-After %q", a.header.Get("Retry-After"))
	}

	release()
	release = nil
	br := bufio.NewReader(conn)
	var ids []string
	for range 2 { // the first answer, then the second, whose publish waited for it
		resp, err := nethttp.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("reading a pipelined answer: %v", err)
		}
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("pipelined: %d %s", resp.StatusCode, b)
		}
		ids = append(ids, string(b))
	}
	expect(t, "third", testutil.Recv(t, third, "the third answer"), 200, "")
	history, err := hub.History(context.Background(), "news", "", 0)
	if err != nil || len(history) != 3 {
		t.Fatalf("history %+v %v, want 3 messages", history, err)
	}
	// In request order: the second request was read after the first's answer.
	var datas []string
	for _, m := range history {
		datas = append(datas, m.Data)
	}
	if i, j := indexOf(datas, "first"), indexOf(datas, "second"); i < 0 || j < i {
		t.Fatalf("published %q: want first before second", datas)
	}
	if !strings.Contains(ids[0], history[indexOf(datas, "first")].ID) || !strings.Contains(ids[1], history[indexOf(datas, "second")].ID) {
		t.Fatalf("answers %q do not match %+v", ids, history)
	}
	got := s.api.Stats()
	if got.Published != 3 || got.InFlight != 0 || got.Rejected != (publishapi.Rejected{Busy: 1}) {
		t.Fatalf("stats %+v", got)
	}
}

func indexOf(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

func TestNewErrors(t *testing.T) {
	hub := pubsub.NewHub(pubsub.Options{})
	defer hub.Close()
	for _, tc := range []struct {
		opts publishapi.Options
		want string
	}{
		{publishapi.Options{Secret: secret}, "no Hub and no Targets"},
		{publishapi.Options{Hub: hub}, "empty Secret"},
		{publishapi.Options{Hub: hub, Secret: []byte{}}, "empty Secret"},
		{publishapi.Options{Hub: hub, Secret: secret, Insecure: true}, "Insecure with a Secret"},
		{publishapi.Options{Hub: hub, Secret: secret, OldSecrets: [][]byte{nil}}, "OldSecrets[0] is empty"},
		{publishapi.Options{Hub: hub, Secret: secret, MaxInFlight: -1}, "negative"},
		{publishapi.Options{Hub: hub, Secret: secret, Tolerance: time.Millisecond}, "below a second"},
		{publishapi.Options{Hub: hub, Secret: secret, Path: "publish"}, "does not start with '/'"},
	} {
		api, err := publishapi.New(tc.opts)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%+v) = %v, %v; want an error with %q", tc.opts, api, err, tc.want)
		}
	}
	api, err := publishapi.New(publishapi.Options{Hub: hub, Secret: secret})
	if err != nil || api.Path() != "/publish" {
		t.Fatalf("New: %v, %v", api, err)
	}
}

// panicTargets panics in every send.
type panicTargets struct{}

func (panicTargets) SendToUid(context.Context, string, string) error { panic("targets broke") }
func (panicTargets) SendToGroup(context.Context, string, string, ...string) error {
	panic("targets broke")
}

// A Targets that panics closes the request's connection (logged by the
// connection), is counted as a failure, and the server goes on.
func TestTargetsPanic(t *testing.T) {
	s := startServer(t, publishapi.Options{Targets: panicTargets{}}, http.Config{})
	body := `{"uid":"1","data":"x"}`
	if a, err := s.try("POST", "/publish", body, signedHeader(body)...); err == nil {
		t.Fatalf("answered %s, want the connection closed", a)
	}
	testutil.Eventually(t, "the failure counted", func() bool { return s.api.Stats().Rejected.Failed == 1 })
	expect(t, "after the panic", s.publish(t, `{"group":"g","data":""}`), 400, `"data" is empty`)
	if got := s.api.Stats(); got.InFlight != 0 {
		t.Fatalf("stats %+v", got)
	}
}
