package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/workerman-go/workerman/examples/internal/browsertest"
	"github.com/workerman-go/workerman/examples/internal/ssetest"
	"github.com/workerman-go/workerman/internal/testutil"
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

// myColorJS is the colour a chat page shows as its user's own, and the
// one its cookie holds.
const myColorJS = `({
  Shown: getComputedStyle(document.querySelector('.author.me')).backgroundColor,
  Cookie: decodeURIComponent(document.cookie.match(/(?:^|;\s*)author=([^;]*)/)?.[1] ?? ''),
})`

// myColor returns the colour page p shows as its user's own, checking it
// is the one of the user's cookie.
func myColor(t *testing.T, p *browsertest.Page) string {
	t.Helper()
	c := browsertest.Eval[struct{ Shown, Cookie string }](p, myColorJS)
	if strings.ReplaceAll(c.Shown, " ", "") != c.Cookie {
		t.Fatalf("the page shows the colour %q as its user's, want the cookie's %q", c.Shown, c.Cookie)
	}
	return c.Shown
}

// Two people in two browsers: what one sends, the other sees, as text
// (markup in a message is shown, not applied), in the sender's colour.
func TestBrowserChat(t *testing.T) {
	s := ssetest.Start(t, newServer("127.0.0.1:0"))
	b := browsertest.Start(t)
	alice, bob := b.NewPage(t, "alice"), b.NewPrivatePage(t, "bob") // separate cookies: two users
	for _, p := range []*browsertest.Page{alice, bob} {
		p.Navigate(s.URL + "/")
		p.WaitFor("the connection to open", `document.getElementById('state').textContent === 'open'`)
	}
	aliceColor, bobColor := myColor(t, alice), myColor(t, bob) // given by the server with the page

	// Bob writes markup and presses Send; both pages show it as text.
	const markup = "<b>x</b>"
	bob.Type(".form > textarea", markup)
	bob.Click("#send")
	for _, p := range []*browsertest.Page{alice, bob} {
		p.WaitFor("bob's message", messagesJS+`.some(m => m.Content === `+browsertest.JS(markup)+`)`)
		ms := browsertest.Eval[[]shownMessage](p, messagesJS)
		if len(ms) != 1 || ms[0] != (shownMessage{Author: bobColor, Content: markup, HTML: "&lt;b&gt;x&lt;/b&gt;"}) {
			t.Fatalf("the page shows %+v, want bob's message only, as text, in his colour %s", ms, bobColor)
		}
		if n := browsertest.Eval[int](p, `document.querySelectorAll('.messages b').length`); n != 0 {
			t.Fatalf("the page has %d <b> elements in its messages: the markup was applied", n)
		}
	}
	if got := bob.Text(".form > textarea"); got != "" {
		t.Errorf("bob's text area holds %q after sending, want it empty", got)
	}

	// Alice answers with the Enter key; bob sees it in her colour.
	alice.Type(".form > textarea", "hi bob & co\n")
	bob.WaitFor("alice's answer", messagesJS+`.length === 2`)
	if ms := browsertest.Eval[[]shownMessage](bob, messagesJS); ms[1].Author != aliceColor || ms[1].Content != "hi bob & co" {
		t.Fatalf("bob's page shows %+v, want alice's answer in her colour %s", ms[1], aliceColor)
	}
	bob.Screenshot("sse-chat")
}

// The burst test's sizes.
const (
	burstSize = 10_000 // messages published at once
	shownMax  = 500    // the messages a page shows: MAX_MESSAGES in chat.js
)

// contentsJS lists the contents of the messages a chat page shows, oldest
// first.
const contentsJS = `[...document.querySelectorAll('.messages > .message > .content')].map(c => c.textContent)`

// atEndJS tells whether a chat page's list is scrolled to its end.
const atEndJS = `(m => m.scrollHeight - m.clientHeight - m.scrollTop <= 1)(document.querySelector('.messages'))`

// A burst of 10,000 messages reaches a page: the page stays responsive and
// shows the last 500 (its bound), in order, none lost, scrolled to the
// newest. Then a user who has scrolled up to read keeps reading the same
// messages while more arrive.
//
// The messages are published on the chat's topic as POST /send publishes
// them, from this goroutine: at once (posting them, each a request, would
// take longer than the page takes to show them), and in a known order, the
// order in which the hub delivers them to every page.
func TestBrowserBurst(t *testing.T) {
	ch := newChat()
	t.Cleanup(func() { ch.hub.Close() }) // after the server stops (cleanups run last first)
	s := ssetest.Start(t, newServerWith("127.0.0.1:0", ch))
	b := browsertest.Start(t)
	p := b.NewPage(t, "reader")
	p.Navigate(s.URL + "/")
	p.WaitFor("the connection to open", `document.getElementById('state').textContent === 'open'`)
	testutil.Eventually(t, "the page subscribed", func() bool { return ch.hub.Stats().Subscribers == 1 })

	var sent []string // the messages published, in order
	publish := func(text string) {
		t.Helper()
		if err := ch.publish(message{Author: "rgb(1,2,3)", Content: text}); err != nil {
			t.Fatalf("publishing %q: %v", text, err)
		}
		sent = append(sent, text)
	}
	start := time.Now()
	for i := 1; i < burstSize; i++ {
		publish(fmt.Sprintf("m-%d", i))
	}
	last := fmt.Sprintf("last-%d", burstSize)
	publish(last)
	published := time.Since(start)
	p.WaitFor("the burst's last message", contentsJS+`.at(-1) === `+browsertest.JS(last))
	t.Logf("%d messages published in %v; the page showed the last one %v after the first was published",
		burstSize, published, time.Since(start))
	if got := browsertest.Eval[int](p, `1+1`); got != 2 {
		t.Fatalf("the page evaluates 1+1 to %d", got)
	}
	checkShown(t, browsertest.Eval[[]string](p, contentsJS), sent)
	if !browsertest.Eval[bool](p, atEndJS) {
		t.Errorf("the list is not scrolled to its end, the newest message")
	}

	// The user scrolls up to read the 250th message; more messages come,
	// one at a time: each time the oldest is trimmed above it, and it stays
	// where it was.
	top := browsertest.Eval[float64](p, `(() => {
  const m = document.querySelector('.messages');
  window.reading = m.children[250];
  m.scrollTop = reading.offsetTop - m.firstElementChild.offsetTop;
  return reading.getBoundingClientRect().top;
})()`)
	reading := browsertest.Eval[string](p, `reading.querySelector('.content').textContent`)
	for i := 1; i <= 10; i++ {
		publish(fmt.Sprintf("more-%d", i))
		p.WaitFor("a message that came while the user reads", contentsJS+`.at(-1) === `+browsertest.JS(sent[len(sent)-1]))
	}
	checkShown(t, browsertest.Eval[[]string](p, contentsJS), sent)
	view := browsertest.Eval[struct {
		Shown    bool
		Top      float64
		AtBottom bool
	}](p, `({Shown: reading.isConnected, Top: reading.getBoundingClientRect().top, AtBottom: `+atEndJS+`})`)
	if !view.Shown || view.Top < top-1 || view.Top > top+1 || view.AtBottom {
		t.Errorf("the message the user reads (%q) moved: %+v, want it still shown at %v, and the list not scrolled to its end", reading, view, top)
	}

	// A "reset" (the history follows) empties the list, and drops the
	// messages still waiting to be drawn: the stream's handlers, called
	// in one task, as when the events come in one read.
	p.Script(`add({author: 'rgb(1,2,3)', content: 'before the reset'}); reset(); add({author: 'rgb(1,2,3)', content: 'history'})`)
	p.WaitFor("the list replaced", contentsJS+`.join() === 'history'`)
}

// checkShown checks that a page shows the last shownMax of the messages
// sent, in order.
func checkShown(t *testing.T, shown, sent []string) {
	t.Helper()
	want := sent[max(0, len(sent)-shownMax):]
	if len(shown) != len(want) {
		t.Fatalf("the page shows %d messages, want %d (its bound)", len(shown), len(want))
	}
	for i := range shown {
		if shown[i] != want[i] {
			t.Fatalf("the page shows %q at %d, want %q: the last %d sent, in order, %q to %q",
				shown[i], i, want[i], len(want), want[0], want[len(want)-1])
		}
	}
}
