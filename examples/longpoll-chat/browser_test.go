package main

import (
	"slices"
	"testing"

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
}
