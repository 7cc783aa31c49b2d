package main

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/workerman-go/workerman/examples/internal/browsertest"
	"github.com/workerman-go/workerman/examples/internal/wstest"
	"github.com/workerman-go/workerman/internal/testutil"
	"github.com/workerman-go/workerman/pubsub"
)

// Two visitors in a browser: what one sends, both see, newest first, cut
// to 50 characters (characters as a user counts them: an emoji is one),
// as text (markup in a message is shown, not applied).
func TestBrowserChat(t *testing.T) {
	hub := newHub()
	t.Cleanup(func() { hub.Close() }) // after the server stops (cleanups run last first)
	w := newChat("127.0.0.1:0", hub)
	w.Count = 1
	addr := wstest.Start(t, w)
	b := browsertest.Start(t)
	first, second := b.NewPage(t, "first visitor"), b.NewPage(t, "second visitor")
	for _, p := range []*browsertest.Page{first, second} {
		p.Navigate("http://" + addr + "/")
		p.WaitFor("the connection to open", `document.getElementById('state').textContent === 'open'`)
	}
	// Both are in the set of clients: a message sent now reaches them (the
	// chat keeps no history).
	testutil.Eventually(t, "2 subscribers", func() bool { return hub.Stats().Subscribers == 2 })

	shown := `[...document.querySelectorAll('#messages > div')].map(d => d.textContent)`
	var want []string // newest first, as the page shows them
	for i, m := range []struct {
		from       *browsertest.Page
		send, show string
	}{
		{first, strings.Repeat("0123456789", 6), strings.Repeat("0123456789", 5)},
		{second, strings.Repeat("🙂", 55), strings.Repeat("🙂", 50)},
		{first, "<b>x</b>", "<b>x</b>"},
	} {
		m.from.SetValue("form[name=publish] input[name=message]", m.send)
		m.from.Click("form[name=publish] input[type=submit]")
		want = append([]string{m.show}, want...)
		for _, p := range []*browsertest.Page{first, second} {
			p.WaitFor("message "+strconv.Itoa(i+1), shown+`.length === `+strconv.Itoa(i+1))
			if got := browsertest.Eval[[]string](p, shown); !slices.Equal(got, want) {
				t.Fatalf("after message %d the page shows %q, want %q", i+1, got, want)
			}
		}
	}
	for _, p := range []*browsertest.Page{first, second} {
		if n := browsertest.Eval[int](p, `document.querySelectorAll('#messages b').length`); n != 0 {
			t.Fatalf("the page has %d <b> elements in its messages: the markup was applied", n)
		}
		if got := p.Text("#state"); got != "open" {
			t.Fatalf("the page's state is %q, want open", got)
		}
	}
	first.Screenshot("ws-chat")
}

// shownMax is how many messages a page shows: MAX_MESSAGES in index.html.
const shownMax = 500

// shownJS lists the messages a page shows, newest first.
const shownJS = `[...document.querySelectorAll('#messages > div')].map(d => d.textContent)`

// A burst of 10,000 messages reaches a page: the page stays responsive and
// shows the last 500 (its bound), newest first, in order, none lost, and
// the newest in view. Then a user who has scrolled down to read keeps
// reading the same messages while more arrive.
//
// The messages are published on the chat's topic as the server publishes
// what a client sends, from this goroutine: at once, and in a known order,
// the order in which the hub delivers them to every client.
func TestBrowserBurst(t *testing.T) {
	const burstSize = 10_000
	hub := newHub()
	t.Cleanup(func() { hub.Close() }) // after the server stops (cleanups run last first)
	w := newChat("127.0.0.1:0", hub)
	w.Count = 1
	addr := wstest.Start(t, w)
	b := browsertest.Start(t)
	p := b.NewPage(t, "reader")
	p.Navigate("http://" + addr + "/")
	p.WaitFor("the connection to open", `document.getElementById('state').textContent === 'open'`)
	testutil.Eventually(t, "the page subscribed", func() bool { return hub.Stats().Subscribers == 1 })

	var sent []string // the messages published, in order
	publish := func(text string) {
		t.Helper()
		if _, err := hub.Publish(context.Background(), topic, pubsub.Message{Data: text}); err != nil {
			t.Fatalf("publishing %q: %v", text, err)
		}
		sent = append(sent, text)
	}
	newestShown := func(what string) {
		t.Helper()
		p.WaitFor(what, shownJS+`[0] === `+browsertest.JS(sent[len(sent)-1]))
	}
	start := time.Now()
	for i := 1; i < burstSize; i++ {
		publish(fmt.Sprintf("m-%d", i))
	}
	publish(fmt.Sprintf("last-%d", burstSize))
	published := time.Since(start)
	newestShown("the burst's last message")
	t.Logf("%d messages published in %v; the page showed the last one %v after the first was published",
		burstSize, published, time.Since(start))
	if got := browsertest.Eval[int](p, `1+1`); got != 2 {
		t.Fatalf("the page evaluates 1+1 to %d", got)
	}
	checkShown(t, browsertest.Eval[[]string](p, shownJS), sent)
	if top := browsertest.Eval[float64](p, `document.getElementById('messages').scrollTop`); top != 0 {
		t.Errorf("the list is scrolled by %vpx, want 0: the newest message in view", top)
	}

	// The user scrolls down to read the 250th message; more messages come,
	// one at a time: each goes above it, the oldest is trimmed below, and
	// it stays where it was.
	top := browsertest.Eval[float64](p, `(() => {
  const m = document.getElementById('messages');
  window.reading = m.children[250];
  m.scrollTop = reading.offsetTop - m.firstElementChild.offsetTop;
  return reading.getBoundingClientRect().top;
})()`)
	reading := browsertest.Eval[string](p, `reading.textContent`)
	for i := 1; i <= 10; i++ {
		publish(fmt.Sprintf("more-%d", i))
		newestShown("a message that came while the user reads")
	}
	checkShown(t, browsertest.Eval[[]string](p, shownJS), sent)
	view := browsertest.Eval[struct {
		Shown bool
		Top   float64
	}](p, `({Shown: reading.isConnected, Top: reading.getBoundingClientRect().top})`)
	if !view.Shown || view.Top < top-1 || view.Top > top+1 {
		t.Errorf("the message the user reads (%q) moved: %+v, want it still shown at %v", reading, view, top)
	}
}

// checkShown checks that a page shows the last shownMax of the messages
// sent, newest first.
func checkShown(t *testing.T, shown, sent []string) {
	t.Helper()
	want := slices.Clone(sent[max(0, len(sent)-shownMax):])
	slices.Reverse(want)
	if !slices.Equal(shown, want) {
		for i := range min(len(shown), len(want)) {
			if shown[i] != want[i] {
				t.Fatalf("the page shows %q at %d, want %q: the last %d sent, newest first, %q to %q",
					shown[i], i, want[i], len(want), want[0], want[len(want)-1])
			}
		}
		t.Fatalf("the page shows %d messages, want %d (its bound): the last sent, newest first, %q to %q",
			len(shown), len(want), want[0], want[len(want)-1])
	}
}
