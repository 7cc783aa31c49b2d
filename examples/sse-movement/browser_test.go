package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/examples/internal/browsertest"
	"github.com/workerman-go/workerman/examples/internal/ssetest"
	"github.com/workerman-go/workerman/internal/testutil"
	"github.com/workerman-go/workerman/protocols/http"
)

// The page in a browser, through a restart of the server (what the page
// suggests trying): the square moves; the server stops, which drops the
// page's connection; a new server starts on the same address; the browser
// reconnects by itself with the Last-Event-ID of the last position it had,
// and the square carries on from there, one step at a time.
//
// The first server moves the square once only (its interval is an hour),
// so the last position before the restart is one step from the centre: a
// server that ignored Last-Event-ID would start one step from the centre
// too, never one step from that position (a step changes the parity of
// the position's distance from the centre, in steps).
func TestBrowserMovementResumesAfterRestart(t *testing.T) {
	interval = time.Hour
	first := newServer("127.0.0.1:0")
	s := ssetest.Start(t, first)
	addr := strings.TrimPrefix(s.URL, "http://")
	p := browsertest.Start(t).NewPage(t, "movement")
	p.Navigate(s.URL + "/")

	// Every position the page shows, in order, as the user sees them (the
	// first may be there already).
	p.Script(`{
  const pos = document.getElementById('pos');
  window.seen = pos.textContent === '–' ? [] : [pos.textContent];
  new MutationObserver((records) => {
    for (const r of records) for (const n of r.addedNodes) window.seen.push(n.textContent);
  }).observe(pos, {childList: true});
}`)
	p.WaitFor("the connection to open", `document.getElementById('state').textContent === 'open'`)
	p.WaitFor("the square to move", `window.seen.length >= 1`)

	// The server stops: the page's stream ends, and the browser waits (3 s,
	// its default) before it reconnects.
	ctx, cancel := context.WithTimeout(context.Background(), testutil.Timeout)
	defer cancel()
	if err := first.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	p.WaitFor("the page to see the connection drop", `document.getElementById('state').textContent === 'reconnecting…'`)
	before := browsertest.Eval[[]string](p, `window.seen`)
	last := positionShown(t, before[len(before)-1])

	// A new server on the same address, moving the square every 50 ms,
	// which tells the test the Last-Event-ID of each stream request.
	interval = 50 * time.Millisecond
	second := newServer(addr)
	ids := make(chan string, 8)
	serve := second.OnMessage
	second.OnMessage = func(c *connection.Conn, r *http.Request) {
		if r.AcceptsEventStream() {
			select {
			case ids <- r.Header.Get("Last-Event-ID"):
			default: // a later reconnection: the test reads the first only
			}
		}
		serve(c, r)
	}
	ssetest.Start(t, second)

	if id := testutil.Recv(t, ids, "the browser's reconnection"); id != last {
		t.Fatalf("the browser reconnected with Last-Event-ID %q, want %q, the last position it showed", id, last)
	}
	p.WaitFor("the connection to open again", `document.getElementById('state').textContent === 'open'`)
	p.WaitFor("the square to move on", `window.seen.length >= `+strconv.Itoa(len(before)+3))

	// One step at a time from the centre, all along: across the restart
	// too, where a server that ignored Last-Event-ID would start again from
	// the centre. The square is where the last event put it.
	type shown struct {
		Seen      []string
		Left, Top string
	}
	v := browsertest.Eval[shown](p, `({Seen: window.seen, Left: document.getElementById('box').style.left, Top: document.getElementById('box').style.top})`)
	px, py := width/2, height/2
	for i, text := range v.Seen {
		x, y, _ := parsePosition(positionShown(t, text))
		if dx, dy := x-px, y-py; dx*dx+dy*dy != step*step {
			t.Fatalf("the page showed %q after %d,%d (position %d of %q; %d before the restart): not one step",
				text, px, py, i+1, v.Seen, len(before))
		}
		px, py = x, y
	}
	if left, top := fmt.Sprintf("%dpx", px), fmt.Sprintf("%dpx", py); v.Left != left || v.Top != top {
		t.Fatalf("the square is at left %s, top %s; want %s, %s, the last position shown", v.Left, v.Top, left, top)
	}
	p.Screenshot("sse-movement")
}

// positionShown reads the position the page shows, "x,y (lastEventId
// x,y)": the event's data and its id, which must be the same position.
func positionShown(t *testing.T, text string) string {
	t.Helper()
	data, id, ok := strings.Cut(text, " (lastEventId ")
	if !ok || id != data+")" {
		t.Fatalf("the page shows %q, want \"x,y (lastEventId x,y)\"", text)
	}
	if _, _, ok := parsePosition(data); !ok {
		t.Fatalf("the page shows %q: not a position inside the area", text)
	}
	return data
}
