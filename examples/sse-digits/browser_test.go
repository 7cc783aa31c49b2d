package main

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/workerman-go/workerman/examples/internal/browsertest"
	"github.com/workerman-go/workerman/examples/internal/ssetest"
)

// The page in a browser: after Start it shows 1, 2, 3 and bye; the stream
// ends and the browser reconnects by itself, after the 5 seconds the
// stream asked for (retry), and the count starts again; Stop ends it.
func TestBrowserDigitsReconnectAfterBye(t *testing.T) {
	interval = 10 * time.Millisecond
	s := ssetest.Start(t, newServer("127.0.0.1:0"))
	p := browsertest.Start(t).NewPage(t, "digits")
	p.Navigate(s.URL + "/")

	if got := p.Text("#state"); got != "not started" {
		t.Fatalf("before Start the state is %q, want not started", got)
	}
	p.Click(`button[onclick="start()"]`)
	cycle := []string{
		"Event: open",
		"Event: message, data: 1",
		"Event: message, data: 2",
		"Event: message, data: 3",
		"Event: bye, data: bye-bye",
		"Event: error",
		"Reconnecting (readyState=0)...",
	}
	want := append(slices.Clone(cycle), cycle[:5]...) // the second stream, after the reconnection
	lines := `[...document.querySelectorAll('#logElem > div')].map(d => d.textContent)`
	p.WaitFor("the reconnection and the second count", lines+`.length >= `+strconv.Itoa(len(want)))
	got := browsertest.Eval[[]string](p, lines)
	if len(got) < len(want) || !slices.Equal(got[:len(want)], want) {
		t.Fatalf("the log shows:\n%s\nwant it to start with:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	p.Screenshot("sse-digits")

	p.Click(`button[onclick="stop()"]`)
	p.WaitFor("the stream to close", `document.getElementById('state').textContent === 'closed'`)
	if rs := browsertest.Eval[int](p, `eventSource.readyState`); rs != 2 {
		t.Fatalf("after Stop the EventSource's readyState is %d, want 2 (CLOSED)", rs)
	}
}
