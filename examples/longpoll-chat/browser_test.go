package main

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/workerman-go/workerman/examples/internal/browsertest"
	"github.com/workerman-go/workerman/examples/internal/ssetest"
	"github.com/workerman-go/workerman/pubsub"
)

// Two visitors in a browser: what one sends, both pages receive by long
// polling, in order, as text (markup in a message is shown, not applied).
func TestBrowserLongPollChat(t *testing.T) {
	hub := pubsub.NewHub(pubsub.Options{})
	t.Cleanup(func() { hub.Close() }) // after the server stops (cleanups run last first)
	s := ssetest.Start(t, newChat("127.0.0.1:0", hub, pubsub.DefaultPollTimeout))
	b := browsertest.Start(t)
	first, second := b.NewPage(t, "first visitor"), b.NewPage(t, "second visitor")
	for _, p := range []*browsertest.Page{first, second} {
		p.Navigate(s.URL + "/")
	}
	// Both pages' first polls are parked: a message published now reaches
	// them (a first poll, without a cursor, waits for the next message).
	parked(t, hub, 2)

	const markup = "<b>x</b>"
	second.Type("form[name=publish] input[name=message]", markup)
	second.Click("form[name=publish] input[type=submit]")
	shown := `[...document.querySelectorAll('#subscribe > div')].map(d => d.textContent)`
	first.WaitFor("the second visitor's message", shown+`.length >= 1`)
	first.Type("form[name=publish] input[name=message]", "and me")
	first.Click("form[name=publish] input[type=submit]")
	for _, p := range []*browsertest.Page{first, second} {
		p.WaitFor("both messages", shown+`.length >= 2`)
		if got, want := browsertest.Eval[[]string](p, shown), []string{markup, "and me"}; !slices.Equal(got, want) {
			t.Fatalf("the page shows %q, want %q", got, want)
		}
		if n := browsertest.Eval[int](p, `document.querySelectorAll('#subscribe b').length`); n != 0 {
			t.Fatalf("the page has %d <b> elements in its messages: the markup was applied", n)
		}
		if got := p.Text("#state"); got != "waiting for a message" {
			t.Fatalf("the page's state is %q, want waiting for a message", got)
		}
	}
	second.Screenshot("longpoll-chat")
}

// shownMax is how many messages a page shows: MAX_MESSAGES in browser.js.
const shownMax = 500

// shownJS lists the messages a page shows, oldest first.
const shownJS = `[...document.querySelectorAll('#subscribe > div')].map(d => d.textContent)`

// atEndJS tells whether a page's list is scrolled to its end.
const atEndJS = `(m => m.scrollHeight - m.clientHeight - m.scrollTop <= 1)(document.getElementById('subscribe'))`

// Messages as fast as long polling carries them to a page: the page shows
// the last 500 (its bound), in order, none lost, scrolled to the newest,
// and it stays responsive. Then a user who has scrolled up to read keeps
// reading the same messages while more arrive.
//
// A page gets one message per request, and the server keeps the last keep
// (100) messages for a page that comes back with its cursor: a page further
// behind is answered 410 and loses messages (the browser logs the 410 as an
// error). So the messages are published on the chat's hub, as POST
// /publish publishes them, keep at a time, each time at once, when the page
// shows the last of the previous ones: as fast as a page can take them
// without loss, and in a known order, the order in which the hub delivers
// them. A request takes a browser a few milliseconds: 600 messages, more
// than the page shows, take seconds (10,000 would take a minute or more).
func TestBrowserBurst(t *testing.T) {
	const total = 600
	hub := newHub()                   // the program's own history, of keep messages
	t.Cleanup(func() { hub.Close() }) // after the server stops (cleanups run last first)
	s := ssetest.Start(t, newChat("127.0.0.1:0", hub, pubsub.DefaultPollTimeout))
	b := browsertest.Start(t)
	p := b.NewPage(t, "reader")
	p.Navigate(s.URL + "/")
	parked(t, hub, 1) // the page's first poll: it gets the next message published

	var sent []string // the messages published, in order
	publish := func(text string) {
		t.Helper()
		if _, err := hub.Publish(context.Background(), topic, pubsub.Message{Data: text}); err != nil {
			t.Fatalf("publishing %q: %v", text, err)
		}
		sent = append(sent, text)
	}
	lastShown := func(what string) {
		t.Helper()
		p.WaitFor(what, shownJS+`.at(-1) === `+browsertest.JS(sent[len(sent)-1]))
	}
	start := time.Now()
	for len(sent) < total {
		for range keep {
			publish(fmt.Sprintf("m-%d", len(sent)+1))
		}
		lastShown(fmt.Sprintf("message %d", len(sent)))
	}
	t.Logf("the page showed %d messages in %v", total, time.Since(start))
	if got := browsertest.Eval[int](p, `1+1`); got != 2 {
		t.Fatalf("the page evaluates 1+1 to %d", got)
	}
	checkShown(t, browsertest.Eval[[]string](p, shownJS), sent)
	if !browsertest.Eval[bool](p, atEndJS) {
		t.Errorf("the list is not scrolled to its end, the newest message")
	}

	// The user scrolls up to read the 250th message; more messages come,
	// one per poll: each time the oldest is trimmed above it, and it stays
	// where it was.
	top := browsertest.Eval[float64](p, `(() => {
  const m = document.getElementById('subscribe');
  window.reading = m.children[250];
  m.scrollTop = reading.offsetTop - m.firstElementChild.offsetTop;
  return reading.getBoundingClientRect().top;
})()`)
	reading := browsertest.Eval[string](p, `reading.textContent`)
	for i := 1; i <= 10; i++ {
		publish(fmt.Sprintf("more-%d", i))
	}
	lastShown("the messages that came while the user reads")
	checkShown(t, browsertest.Eval[[]string](p, shownJS), sent)
	view := browsertest.Eval[struct {
		Shown    bool
		Top      float64
		AtBottom bool
	}](p, `({Shown: reading.isConnected, Top: reading.getBoundingClientRect().top, AtBottom: `+atEndJS+`})`)
	if !view.Shown || view.Top < top-1 || view.Top > top+1 || view.AtBottom {
		t.Errorf("the message the user reads (%q) moved: %+v, want it still shown at %v, and the list not scrolled to its end", reading, view, top)
	}
}

// checkShown checks that a page shows the last shownMax of the messages
// sent, in order.
func checkShown(t *testing.T, shown, sent []string) {
	t.Helper()
	want := sent[max(0, len(sent)-shownMax):]
	if !slices.Equal(shown, want) {
		for i := range min(len(shown), len(want)) {
			if shown[i] != want[i] {
				t.Fatalf("the page shows %q at %d, want %q: the last %d sent, in order, %q to %q",
					shown[i], i, want[i], len(want), want[0], want[len(want)-1])
			}
		}
		t.Fatalf("the page shows %d messages, want %d (its bound): the last sent, %q to %q",
			len(shown), len(want), want[0], want[len(want)-1])
	}
}
