package main

import (
	"strings"
	"testing"

	"github.com/workerman-go/workerman/examples/internal/browsertest"
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
}
