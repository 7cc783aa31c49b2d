package main

import (
	"regexp"
	"testing"
	"time"

	"github.com/workerman-go/workerman/examples/internal/browsertest"
	"github.com/workerman-go/workerman/examples/internal/ssetest"
)

// The page in a browser: each named event shows its time in the label of
// its colour, drawn in that colour, and every label is updated (the names
// are drawn at random; with an event every 5 ms all three come quickly).
func TestBrowserColors(t *testing.T) {
	interval = 5 * time.Millisecond
	s := ssetest.Start(t, newServer("127.0.0.1:0"))
	p := browsertest.Start(t).NewPage(t, "colors")
	p.Navigate(s.URL + "/")

	p.WaitFor("the connection to open", `document.getElementById('state').textContent === 'open'`)
	clock := regexp.MustCompile(`^\d\d:\d\d:\d\d$`)
	for color, rgb := range map[string]string{"red": "rgb(255, 0, 0)", "green": "rgb(0, 128, 0)", "blue": "rgb(0, 0, 255)"} {
		span := "label." + color + " > span"
		p.WaitFor("an event "+color, `/^\d\d:\d\d:\d\d$/.test(document.querySelector(`+browsertest.JS(span)+`).textContent)`)
		if got := p.Text(span); !clock.MatchString(got) {
			t.Errorf("the %s label shows %q, want a time", color, got)
		}
		if got := browsertest.Eval[string](p, `getComputedStyle(document.querySelector(`+browsertest.JS(span)+`)).color`); got != rgb {
			t.Errorf("the %s label is drawn in %s, want %s", color, got, rgb)
		}
	}
	// The labels go on changing: each shows the time of its last event.
	before := p.Text("label.red > span") + p.Text("label.green > span") + p.Text("label.blue > span")
	p.WaitFor("the labels to change", `[...document.querySelectorAll('label > span')].map(s => s.textContent).join('') !== `+browsertest.JS(before))
	p.Screenshot("sse-colors")
}
