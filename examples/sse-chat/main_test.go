package main

import (
	"encoding/json"
	"html"
	nethttp "net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/workerman-go/workerman/examples/internal/author"
	"github.com/workerman-go/workerman/examples/internal/ssetest"
	"github.com/workerman-go/workerman/pubsub"
)

// post sends a message with the given Cookie header (none if "").
func post(s *ssetest.Server, text, cookie string) (*nethttp.Response, string) {
	header := []string{"Content-Type", "application/x-www-form-urlencoded"}
	if cookie != "" {
		header = append(header, "Cookie", cookie)
	}
	return s.Do("POST", "/send", url.Values{"message": {text}}.Encode(), header...)
}

// colorCookie returns the colour set by resp's author cookie, "" if none.
func colorCookie(t *testing.T, resp *nethttp.Response) string {
	t.Helper()
	for _, c := range resp.Cookies() {
		if c.Name == author.CookieName {
			color, err := url.QueryUnescape(c.Value)
			if err != nil || !author.Valid(color) {
				t.Fatalf("cookie %s=%q: not a colour", c.Name, c.Value)
			}
			return color
		}
	}
	return ""
}

// cookieFor is the Cookie header of a user with that colour.
func cookieFor(color string) string { return author.CookieName + "=" + url.QueryEscape(color) }

// sent is a message as a stream delivers it.
type sent struct {
	id string
	message
}

func next(t *testing.T, st *ssetest.Stream) sent {
	t.Helper()
	e := st.Next()
	var m message
	if e.Event != "" || e.ID == "" || json.Unmarshal([]byte(e.Data), &m) != nil {
		t.Fatalf("event %+v, want a message with an id and JSON data", e)
	}
	return sent{e.ID, m}
}

func expectReset(t *testing.T, st *ssetest.Stream) {
	t.Helper()
	if e := st.Next(); e.Event != "reset" {
		t.Fatalf("event %+v, want reset", e)
	}
}

func TestChat(t *testing.T) {
	s := ssetest.Start(t, newServer("127.0.0.1:0"))

	// The page gives a new user a colour.
	resp, _ := s.Page("/", `<script src="/chat.js">`)
	if colorCookie(t, resp) == "" {
		t.Fatal("GET /: no author cookie for a new user")
	}
	if resp, body := s.Do("GET", "/chat.js", ""); resp.StatusCode != 200 || !strings.Contains(body, "new EventSource('/')") {
		t.Fatalf("GET /chat.js: %d\n%s", resp.StatusCode, body)
	}

	const me = "rgb(1,2,3)"
	a := s.Open("/")
	expectReset(t, a) // the history: empty

	// A message is escaped, published and delivered; a valid cookie is kept.
	text := `<script>alert("x")</script> & more`
	resp, got := post(s, text, cookieFor(me))
	if resp.StatusCode != 200 || colorCookie(t, resp) != "" {
		t.Fatalf("POST /send: %d %q, cookie %v: want 200 and the cookie kept", resp.StatusCode, got, resp.Header["Set-Cookie"])
	}
	m1 := next(t, a)
	if m1.Author != me || m1.Content != html.EscapeString(text) || strings.ContainsAny(m1.Content, `<>"`) {
		t.Fatalf("delivered %+v, want author %s and the escaped text", m1, me)
	}

	// A forged cookie, or none, gets a new colour, which the message carries.
	for _, cookie := range []string{
		cookieFor(`rgb(1,2,3)"><script>alert(1)</script>`),
		cookieFor("rgb(256,0,0)"),
		cookieFor("rgb(1, 2, 3)"),
		cookieFor("red"),
		author.CookieName + "=rgb(1,2,3)", // not encoded: "," is not allowed in a cookie
		"",
	} {
		resp, _ := post(s, "hello", cookie)
		color := colorCookie(t, resp)
		if resp.StatusCode != 200 || color == "" {
			t.Fatalf("cookie %q: %d, set %v: want 200 and a new colour", cookie, resp.StatusCode, resp.Header["Set-Cookie"])
		}
		if m := next(t, a); m.Author != color {
			t.Fatalf("cookie %q: delivered %+v, want the new colour %s", cookie, m, color)
		}
	}

	// Bad requests.
	if resp, _ := post(s, "   ", cookieFor(me)); resp.StatusCode != 400 {
		t.Errorf("empty message: %d, want 400", resp.StatusCode)
	}
	if resp, _ := post(s, strings.Repeat("x", maxMessage+1), cookieFor(me)); resp.StatusCode != 413 {
		t.Errorf("long message: %d, want 413", resp.StatusCode)
	}
	if resp, _ := s.Do("GET", "/send?message=hi", ""); resp.StatusCode != 405 {
		t.Errorf("GET /send: %d, want 405", resp.StatusCode)
	}

	// The page goes away; messages are sent meanwhile; it comes back with the
	// id of the last message it had, and gets exactly those it missed.
	post(s, "before", cookieFor(me))
	seen := next(t, a)
	a.Close()
	post(s, "missed 1", cookieFor(me))
	post(s, "missed 2", cookieFor(me))
	b := s.Open("/", "Last-Event-ID", seen.id)
	for _, want := range []string{"missed 1", "missed 2", "live"} {
		if want == "live" {
			post(s, "live", cookieFor(me))
		}
		if m := next(t, b); m.Content != want {
			t.Fatalf("after resuming: %+v, want %q", m, want)
		}
	}

	// A page with an id the server no longer knows (an earlier run), and a
	// new page: the whole history, after a reset.
	for _, header := range [][]string{{"Last-Event-ID", "unknown-1"}, nil} {
		c := s.Open("/", header...)
		expectReset(t, c)
		var contents []string
		for range 11 { // every message so far
			contents = append(contents, next(t, c).Content)
		}
		if contents[0] != m1.Content || contents[7] != "before" || contents[10] != "live" {
			t.Fatalf("history %q", contents)
		}
		c.Close()
	}
}

// The history holds keep messages of the largest kind (maxMessage control
// characters, 6 bytes each in the event's data) within its byte budget:
// none is dropped for its size, and a new page gets them all. A body over
// maxBody is refused before it is read.
func TestHistoryWithinBudget(t *testing.T) {
	ch := newChat()
	t.Cleanup(func() { ch.hub.Close() }) // after the server stops (cleanups run last first)
	s := ssetest.Start(t, newServerWith("127.0.0.1:0", ch))

	const me = "rgb(255,255,255)" // the longest author
	if resp, body := s.Do("POST", "/send", "message="+strings.Repeat("x", 1_000_000), "Content-Type", "application/x-www-form-urlencoded"); resp.StatusCode != 413 {
		t.Fatalf("a body of 1 MB: %d %q, want 413", resp.StatusCode, body)
	}
	// The largest: control characters; quotes and 4-byte characters come
	// close.
	text := func(i int) string {
		switch i {
		case 1:
			return strings.Repeat(`"`, maxMessage)
		case 2:
			return strings.Repeat("😀", maxMessage)
		}
		return strings.Repeat("\x01", maxMessage)
	}
	for i := range keep {
		if resp, body := post(s, text(i), cookieFor(me)); resp.StatusCode != 200 {
			t.Fatalf("message %d: %d %q", i, resp.StatusCode, body)
		}
	}
	st := ch.hub.Broker().(*pubsub.MemoryBroker).Stats()
	if st.Messages != keep || st.Bytes > keepBytes || st.TopicBudgetDrops != 0 || st.BrokerBudgetDrops != 0 {
		t.Fatalf("broker stats %+v, want %d messages kept within %d bytes", st, keep, keepBytes)
	}
	c := s.Open("/")
	expectReset(t, c)
	longest := 0
	for i := range keep {
		e := c.Next()
		longest = max(longest, len(e.Data))
		var m message
		if json.Unmarshal([]byte(e.Data), &m) != nil || m.Content != html.EscapeString(text(i)) {
			t.Fatalf("history, message %d: %.100q", i, e.Data)
		}
	}
	if longest != maxData {
		t.Fatalf("the longest data has %d bytes, want maxData, %d", longest, maxData)
	}
}
