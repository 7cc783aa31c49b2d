package main

import (
	"strings"
	"testing"

	"github.com/workerman-go/workerman/examples/internal/browsertest"
	"github.com/workerman-go/workerman/examples/internal/ssetest"
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
}
