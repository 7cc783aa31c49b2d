package main

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/workerman-go/workerman/examples/internal/browsertest"
	"github.com/workerman-go/workerman/examples/internal/ssetest"
)

// The page in a browser: it parses each event's JSON and shows the hour,
// minutes and seconds it holds (two digits for the last two), and the
// clock ticks.
func TestBrowserJSON(t *testing.T) {
	interval = 50 * time.Millisecond
	s := ssetest.Start(t, newServer("127.0.0.1:0"))
	p := browsertest.Start(t).NewPage(t, "json")
	p.Navigate(s.URL + "/")

	p.WaitFor("the connection to open", `document.getElementById('state').textContent === 'open'`)
	p.WaitFor("an event", `document.getElementById('raw').textContent !== ''`)
	// The fields and raw are set in one event handler: a read sees them
	// all from the same event.
	type shown struct{ Raw, Hour, Minute, Second string }
	v := browsertest.Eval[shown](p, `(() => {
  const text = (id) => document.getElementById(id).textContent;
  return {Raw: text('raw'), Hour: text('hour'), Minute: text('minute'), Second: text('second')};
})()`)
	var c clock
	if err := json.Unmarshal([]byte(v.Raw), &c); err != nil {
		t.Fatalf("the page shows the event %q: %v", v.Raw, err)
	}
	if want := (shown{v.Raw, fmt.Sprint(c.Hour), fmt.Sprintf("%02d", c.Minute), fmt.Sprintf("%02d", c.Second)}); v != want {
		t.Fatalf("the page shows %+v, want %+v", v, want)
	}
	p.WaitFor("the clock to tick", `document.getElementById('second').textContent !== `+browsertest.JS(v.Second))
	p.Screenshot("sse-json")
}
