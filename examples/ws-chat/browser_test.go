package main

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/workerman-go/workerman/examples/internal/browsertest"
	"github.com/workerman-go/workerman/examples/internal/wstest"
	"github.com/workerman-go/workerman/internal/testutil"
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
}
