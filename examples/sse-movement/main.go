// Command sse-movement is the "movement" demo of the HTML5 server-push
// article (a Jetty EventSource servlet there): an object moves at random
// inside an 800x600 area, 20 px up, down, left or right every 2 seconds,
// and every event carries its position "x,y" as both its data and its id:
//
//	id: 420,300
//	data: 420,300
//
// The browser remembers the last id and sends it back in the Last-Event-ID
// header when it reconnects, so the object carries on from where it was:
// stop the server, start it again, and the object has not jumped back.
// A Last-Event-ID that is not a valid position (two integers inside the
// area) is ignored, and the object starts at the centre, as it does for a
// new client.
//
// The servlet's onOpen and onResume are the two branches of
// Stream.Resumed: a client that reconnects has a Last-Event-ID.
//
//	go run ./examples/sse-movement                     # http://127.0.0.1:8086/
//	go run ./examples/sse-movement -listen 0.0.0.0:9000 start
package main

import (
	"embed"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"regexp"
	"strconv"
	"time"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/protocols/http"
	"github.com/workerman-go/workerman/protocols/sse"
	"github.com/workerman-go/workerman/worker"
)

//go:embed public
var public embed.FS

// The area, the step and the pace: the servlet's new MovementEventSource(800, 600, 20).
const (
	width  = 800
	height = 600
	step   = 20
)

// interval is the time between two moves (the test shortens it).
var interval = 2 * time.Second

func main() {
	newServer("127.0.0.1:8086")
	worker.RunAll()
}

// newServer returns the worker, listening on hostport once started.
func newServer(hostport string) *worker.Worker[*http.Request] {
	pages, err := fs.Sub(public, "public")
	if err != nil {
		panic(err) // the embedded folder is part of the program
	}
	files := http.NewFSServer(pages)

	w := worker.New("http://"+hostport, http.Protocol())
	w.Name = "sse-movement"
	w.OnMessage = func(c *connection.Conn, r *http.Request) {
		if r.Path != "/" || !r.AcceptsEventStream() {
			files.Serve(c, r)
			return
		}
		s, err := sse.Start(c, r, sse.Options{})
		if err != nil {
			return // no stream: ErrHead for a HEAD request
		}
		x, y := width/2, height/2 // a new client starts at the centre
		if s.Resumed() {
			if px, py, ok := parsePosition(s.LastEventID()); ok {
				x, y = px, py // a client that reconnects carries on
			}
		}
		move(s, x, y)
	}
	return w
}

// move moves the object of stream s from x, y: one step at once, then one
// every interval, each sent as an event. OnMessage and the timer run on the
// connection's event loop, one at a time, so x and y need no lock; the timer
// stops when the connection closes.
func move(s *sse.Stream, x, y int) {
	s.Comment("Start sending movement information.")
	next := func() {
		x, y = randomStep(x, y)
		pos := fmt.Sprintf("%d,%d", x, y)
		s.Send(sse.Event{ID: pos, Data: pos})
	}
	next()
	s.Conn().Every(interval, next)
}

// randomStep returns the position one step from x, y in a random direction
// that stays inside the area.
func randomStep(x, y int) (int, int) {
	dirs := [4][2]int{{-1, 0}, {0, -1}, {1, 0}, {0, 1}}
	for {
		d := dirs[rand.IntN(len(dirs))]
		nx, ny := x+d[0]*step, y+d[1]*step
		if inside(nx, ny) {
			return nx, ny
		}
	}
}

func inside(x, y int) bool { return x >= 0 && x <= width && y >= 0 && y <= height }

// position is a valid id: two decimal integers, without sign or spaces.
var position = regexp.MustCompile(`^([0-9]{1,3}),([0-9]{1,3})$`)

// parsePosition reads an id "x,y": two decimal integers inside the area.
func parsePosition(id string) (x, y int, ok bool) {
	m := position.FindStringSubmatch(id)
	if m == nil {
		return 0, 0, false
	}
	x, _ = strconv.Atoi(m[1])
	y, _ = strconv.Atoi(m[2])
	return x, y, inside(x, y)
}
