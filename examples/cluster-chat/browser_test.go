package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/workerman-go/workerman/examples/internal/browsertest"
	"github.com/workerman-go/workerman/pubsub"
)

// shownMessage is a message as the chat page shows it.
type shownMessage struct {
	Author  string // the author's colour, as the browser computes it: rgb(r, g, b)
	Content string // the text a user reads
	HTML    string // the content's markup
}

// messagesJS lists the messages a chat page shows.
const messagesJS = `[...document.querySelectorAll('.messages > .message')].map(m => ({
  Author: getComputedStyle(m.querySelector('.author')).backgroundColor,
  Content: m.querySelector('.content').textContent,
  HTML: m.querySelector('.content').innerHTML,
}))`

// myColor returns the colour page p shows as its user's own, checking it
// is the one of the user's cookie.
func myColor(t *testing.T, p *browsertest.Page) string {
	t.Helper()
	c := browsertest.Eval[struct{ Shown, Cookie string }](p, `({
  Shown: getComputedStyle(document.querySelector('.author.me')).backgroundColor,
  Cookie: decodeURIComponent(document.cookie.match(/(?:^|;\s*)author=([^;]*)/)?.[1] ?? ''),
})`)
	if strings.ReplaceAll(c.Shown, " ", "") != c.Cookie {
		t.Fatalf("the page shows the colour %q as its user's, want the cookie's %q", c.Shown, c.Cookie)
	}
	return c.Shown
}

// Two people in two browsers, on the in-memory broker: what one sends, the
// other sees over each way of receiving (server-sent events, WebSocket,
// long polling), as text (markup in a message is shown, not applied), in
// the sender's colour.
func TestBrowserChat(t *testing.T) {
	s := start(t, chatOptions{})
	b := browsertest.Start(t)
	// Alice has the page open three times, once per way of receiving;
	// bob, in a browser of his own, over server-sent events.
	alice := map[string]*browsertest.Page{}
	for _, via := range []string{"sse", "ws", "poll"} {
		p := b.NewPage(t, "alice via "+via)
		p.Navigate(s.base + "/?via=" + via)
		p.WaitFor("the connection to open", `document.getElementById('state').textContent === 'open'`)
		if got := p.Text(".state a.current"); got != map[string]string{"sse": "SSE", "ws": "WebSocket", "poll": "long polling"}[via] {
			t.Fatalf("%s: the page says it receives over %q", via, got)
		}
		alice[via] = p
	}
	bob := b.NewPrivatePage(t, "bob")
	bob.Navigate(s.base + "/")
	bob.WaitFor("the connection to open", `document.getElementById('state').textContent === 'open'`)
	aliceColor, bobColor := myColor(t, alice["sse"]), myColor(t, bob)
	for _, p := range alice {
		if c := myColor(t, p); c != aliceColor {
			t.Fatalf("alice's tabs show the colours %s and %s: one cookie, one colour", aliceColor, c)
		}
	}

	// Bob writes markup and presses Send.
	const markup = "<b>x</b>"
	bob.Type(".form > textarea", markup)
	bob.Click("#send")
	everyone := []*browsertest.Page{alice["sse"], alice["ws"], alice["poll"], bob}
	for _, p := range everyone {
		p.WaitFor("bob's message", messagesJS+`.some(m => m.Content === `+browsertest.JS(markup)+`)`)
		ms := browsertest.Eval[[]shownMessage](p, messagesJS)
		if len(ms) != 1 || ms[0] != (shownMessage{Author: bobColor, Content: markup, HTML: "&lt;b&gt;x&lt;/b&gt;"}) {
			t.Fatalf("the page shows %+v, want bob's message only, as text, in his colour %s", ms, bobColor)
		}
		if n := browsertest.Eval[int](p, `document.querySelectorAll('.messages b').length`); n != 0 {
			t.Fatalf("the page has %d <b> elements in its messages: the markup was applied", n)
		}
	}

	// Alice answers from her WebSocket tab, with the Enter key: every page
	// shows it after bob's, in her colour.
	alice["ws"].Type(".form > textarea", "hi bob & co\n")
	for _, p := range everyone {
		p.WaitFor("alice's answer", messagesJS+`.length === 2`)
		if ms := browsertest.Eval[[]shownMessage](p, messagesJS); ms[1].Author != aliceColor || ms[1].Content != "hi bob & co" {
			t.Fatalf("the page shows %+v, want alice's answer in her colour %s", ms[1], aliceColor)
		}
	}
	bob.Screenshot("cluster-chat")
}

// shownMax is how many messages a page shows: MAX_MESSAGES in chat.js.
const shownMax = 500

// contentsJS lists the contents of the messages a chat page shows, oldest
// first.
const contentsJS = `[...document.querySelectorAll('.messages > .message > .content')].map(c => c.textContent)`

// atEndJS tells whether a chat page's list is scrolled to its end.
const atEndJS = `(m => m.scrollHeight - m.clientHeight - m.scrollTop <= 1)(document.querySelector('.messages'))`

// burster publishes chat messages on s's topic, as POST /send publishes
// them, from the test's goroutine: at once, and in a known order, the
// order in which the hub delivers them to every client. sent is every
// message published so far, in order.
type burster struct {
	t    *testing.T
	s    *started
	sent []string
}

// publish publishes a message of user me with that text.
func (pub *burster) publish(text string) {
	pub.t.Helper()
	data, err := json.Marshal(message{Author: me, Content: text})
	if err == nil {
		_, err = pub.s.ch.hub.Publish(context.Background(), topic, pubsub.Message{Data: string(data)})
	}
	if err != nil {
		pub.t.Fatalf("publishing %q: %v", text, err)
	}
	pub.sent = append(pub.sent, text)
}

// lastShown waits until page p shows the last message published.
func (pub *burster) lastShown(p *browsertest.Page, what string) {
	pub.t.Helper()
	p.WaitFor(what, contentsJS+`.at(-1) === `+browsertest.JS(pub.sent[len(pub.sent)-1]))
}

// checkShown checks that page p answers, and shows the last shownMax of
// the messages published, in order.
func (pub *burster) checkShown(p *browsertest.Page, name string) {
	t := pub.t
	t.Helper()
	if got := browsertest.Eval[int](p, `1+1`); got != 2 {
		t.Fatalf("%s: the page evaluates 1+1 to %d", name, got)
	}
	shown := browsertest.Eval[[]string](p, contentsJS)
	want := pub.sent[max(0, len(pub.sent)-shownMax):]
	if len(shown) != len(want) {
		t.Fatalf("%s: the page shows %d messages, want %d (its bound)", name, len(shown), len(want))
	}
	for i := range shown {
		if shown[i] != want[i] {
			t.Fatalf("%s: the page shows %q at %d, want %q: the last %d published, in order, %q to %q",
				name, shown[i], i, want[i], len(want), want[0], want[len(want)-1])
		}
	}
}

// A burst of 10,000 messages reaches a page over server-sent events and
// another over a WebSocket: each stays responsive and shows the last 500
// (its bound), in order, none lost, scrolled to the newest. Then a user
// who has scrolled up to read keeps reading the same messages while more
// arrive.
func TestBrowserBurst(t *testing.T) {
	const burstSize = 10_000
	s := start(t, chatOptions{})
	b := browsertest.Start(t)
	vias := []string{"sse", "ws"}
	pages := map[string]*browsertest.Page{}
	for _, via := range vias {
		p := b.NewPage(t, "reader via "+via)
		p.Navigate(s.base + "/?via=" + via)
		p.WaitFor("the connection to open", `document.getElementById('state').textContent === 'open'`)
		pages[via] = p
	}
	s.subscribers(t, len(vias))

	pub := &burster{t: t, s: s}
	start := time.Now()
	for i := 1; i < burstSize; i++ {
		pub.publish(fmt.Sprintf("m-%d", i))
	}
	pub.publish(fmt.Sprintf("last-%d", burstSize))
	published := time.Since(start)
	for _, via := range vias {
		pub.lastShown(pages[via], "the burst's last message")
		t.Logf("%d messages published in %v; the page via %s showed the last one %v after the first was published",
			burstSize, published, via, time.Since(start))
	}
	for _, via := range vias {
		pub.checkShown(pages[via], via)
		if !browsertest.Eval[bool](pages[via], atEndJS) {
			t.Errorf("%s: the list is not scrolled to its end, the newest message", via)
		}
	}

	// The user scrolls up to read the 250th message; more messages come,
	// one at a time: each time the oldest is trimmed above it, and it stays
	// where it was.
	tops := map[string]float64{}
	for _, via := range vias {
		tops[via] = browsertest.Eval[float64](pages[via], `(() => {
  const m = document.querySelector('.messages');
  window.reading = m.children[250];
  m.scrollTop = reading.offsetTop - m.firstElementChild.offsetTop;
  return reading.getBoundingClientRect().top;
})()`)
	}
	for i := 1; i <= 10; i++ {
		pub.publish(fmt.Sprintf("more-%d", i))
		for _, via := range vias {
			pub.lastShown(pages[via], "a message that came while the user reads")
		}
	}
	for _, via := range vias {
		p := pages[via]
		pub.checkShown(p, via)
		view := browsertest.Eval[struct {
			Shown    bool
			Top      float64
			AtBottom bool
		}](p, `({Shown: reading.isConnected, Top: reading.getBoundingClientRect().top, AtBottom: `+atEndJS+`})`)
		if top := tops[via]; !view.Shown || view.Top < top-1 || view.Top > top+1 || view.AtBottom {
			t.Errorf("%s: the message the user reads moved: %+v, want it still shown at %v, and the list not scrolled to its end", via, view, top)
		}
	}

	// A reset (the history follows) empties the list, and drops the
	// messages still waiting to be drawn: the page's handlers, called in
	// one task, as when the messages come in one read.
	p := pages["sse"]
	p.Script(`add('{"content":"before the reset"}'); reset(); add('{"content":"history"}')`)
	p.WaitFor("the list replaced", contentsJS+`.join() === 'history'`)
}

// The same messages, over long polling: the page shows the last 500, in
// order, none lost, scrolled to the newest, and stays responsive.
//
// The server keeps the last keep (100) messages for a poll that comes with
// its cursor: a page further behind is answered 410 and starts over with
// the history, losing messages (and the browser logs the 410 as an error).
// So the messages are published keep at a time, each time at once, when
// the page shows the last of the previous ones: as fast as a page can take
// them without loss (one poll answers with every message after its
// cursor).
func TestBrowserBurstPolling(t *testing.T) {
	const total = 10_000
	s := start(t, chatOptions{})
	b := browsertest.Start(t)
	p := b.NewPage(t, "reader via poll")
	p.Navigate(s.base + "/?via=poll")
	p.WaitFor("the connection to open", `document.getElementById('state').textContent === 'open'`)
	s.subscribers(t, 1) // the first poll, parked: it gets the next message published

	pub := &burster{t: t, s: s}
	start := time.Now()
	for len(pub.sent) < total {
		for range keep {
			pub.publish(fmt.Sprintf("m-%d", len(pub.sent)+1))
		}
		pub.lastShown(p, fmt.Sprintf("message %d", len(pub.sent)))
	}
	t.Logf("the page showed %d messages in %v", total, time.Since(start))
	pub.checkShown(p, "poll")
	if !browsertest.Eval[bool](p, atEndJS) {
		t.Errorf("the list is not scrolled to its end, the newest message")
	}
}
