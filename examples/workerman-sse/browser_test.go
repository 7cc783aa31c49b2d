package main

import (
	"strings"
	"testing"
	"time"

	"github.com/workerman-go/workerman/examples/internal/browsertest"
	"github.com/workerman-go/workerman/examples/internal/ssetest"
	"github.com/workerman-go/workerman/internal/testutil"
	"github.com/workerman-go/workerman/timer"
)

// The manual's client in a browser: the page counts the "hello" events
// and lists each one with its id.
func TestBrowserWorkermanSSE(t *testing.T) {
	// Last (cleanups run last first): once the browser has gone, the
	// stream's process-wide timer sees it and deletes itself, so that the
	// next test starts without it.
	t.Cleanup(func() {
		testutil.Eventually(t, "the stream's timer to delete itself", func() bool { return timer.Len() == 0 })
	})
	interval = 20 * time.Millisecond
	s := ssetest.Start(t, newServer("127.0.0.1:0"))
	p := browsertest.Start(t).NewPage(t, "client.html")
	p.Navigate(s.URL + "/client.html")

	p.WaitFor("the connection to open", `document.getElementById('state').textContent === 'open'`)
	p.WaitFor("three events", `Number(document.getElementById('count').textContent) >= 3`)
	lines := browsertest.Eval[[]string](p, `[...document.querySelectorAll('#log > div')].map(d => d.textContent)`)
	if len(lines) < 3 {
		t.Fatalf("the page lists %d events, want 3 or more", len(lines))
	}
	for _, line := range lines {
		if !strings.HasSuffix(line, "  hello  (lastEventId 1)") {
			t.Fatalf("the page lists %q, want \"<time>  hello  (lastEventId 1)\"", line)
		}
	}
	p.Screenshot("workerman-sse")
}
