package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/workerman-go/workerman/examples/internal/ssetest"
)

// readPosition reads an event's position, which must be its data and its id
// (an event's ID is the lastEventId it was dispatched with; the parser's
// own LastEventID may already be a later event's, when several arrived in
// one read).
func readPosition(t *testing.T, st *ssetest.Stream) (x, y int) {
	t.Helper()
	e := st.Next()
	if e.ID != e.Data {
		t.Fatalf("event %+v: want the same id and data", e)
	}
	x, y, ok := parsePosition(e.Data)
	if !ok || fmt.Sprintf("%d,%d", x, y) != e.Data {
		t.Fatalf("event %+v: data is not a position x,y inside %dx%d", e, width, height)
	}
	return x, y
}

// checkStep checks that x, y is one step (20 px, up, down, left or right)
// from px, py.
func checkStep(t *testing.T, px, py, x, y int) {
	t.Helper()
	dx, dy := x-px, y-py
	if !(dx == 0 && (dy == step || dy == -step) || dy == 0 && (dx == step || dx == -step)) {
		t.Fatalf("moved from %d,%d to %d,%d: not one step of %d px", px, py, x, y, step)
	}
}

func TestMovement(t *testing.T) {
	interval = 2 * time.Millisecond
	s := ssetest.Start(t, newServer("127.0.0.1:0"))

	s.Page("/", "new EventSource('/')")

	// A new client: the object starts at the centre and moves one step at a
	// time, staying inside the area (the edges are checked below).
	st := s.Open("/")
	px, py := width/2, height/2
	for range 100 {
		x, y := readPosition(t, st)
		checkStep(t, px, py, x, y)
		px, py = x, y
	}
	st.Close()

	// A client that reconnects carries on from its Last-Event-ID, the edges
	// and corners included.
	for _, id := range []string{"100,100", "0,0", "800,600", "0,600", fmt.Sprintf("%d,%d", px, py)} {
		fromX, fromY, _ := parsePosition(id)
		st := s.Open("/", "Last-Event-ID", id)
		x, y := readPosition(t, st)
		checkStep(t, fromX, fromY, x, y)
		st.Close()
	}

	// A Last-Event-ID that is not a position inside the area: the centre.
	for _, id := range []string{"", "garbage", "1,2,3", "801,0", "0,601", "-20,40", "40,", "4e2,300", " 400,300", "0x10,20", "+400,300"} {
		st := s.Open("/", "Last-Event-ID", id)
		x, y := readPosition(t, st)
		checkStep(t, width/2, height/2, x, y)
		st.Close()
	}
}
