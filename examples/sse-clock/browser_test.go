package main

import (
	"strings"
	"testing"
	"time"

	"github.com/workerman-go/workerman/examples/internal/browsertest"
	"github.com/workerman-go/workerman/examples/internal/ssetest"
)

// The page in a browser: the connection opens and the clock ticks (the
// server's time, which changes once a second, replaces the text).
func TestBrowserClockTicks(t *testing.T) {
	interval = 50 * time.Millisecond
	s := ssetest.Start(t, newServer("127.0.0.1:0"))
	p := browsertest.Start(t).NewPage(t, "clock")
	p.Navigate(s.URL + "/")

	p.WaitFor("the connection to open", `document.getElementById('state').textContent === 'open'`)
	const prefix = "The server time is: "
	p.WaitFor("the time", `document.getElementById('time').textContent.startsWith(`+browsertest.JS(prefix)+`)`)
	shown := func() (string, time.Time) {
		t.Helper()
		text := p.Text("#time")
		at, err := time.Parse(time.RFC1123Z, strings.TrimPrefix(text, prefix))
		if err != nil {
			t.Fatalf("the page shows %q: %v", text, err)
		}
		return text, at
	}
	first, t1 := shown()
	p.WaitFor("the clock to tick", `document.getElementById('time').textContent !== `+browsertest.JS(first))
	if next, t2 := shown(); !t2.After(t1) {
		t.Fatalf("the clock went from %q to %q, want a later time", first, next)
	}
	p.Screenshot("sse-clock")
}
