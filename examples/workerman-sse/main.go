// Command workerman-sse is the SSE example of Workerman's manual, ported line
// by line: a worker on http://0.0.0.0:8080 answers a request whose Accept
// header is text/event-stream with the head of an event stream, then pushes
// an event every 2 seconds from a timer; any other request gets "ok".
//
// The manual's PHP, for comparison:
//
//	$worker = new Worker('http://0.0.0.0:8080');
//	$worker->onMessage = function(TcpConnection $connection, Request $request)
//	{
//	    if ($request->header('accept') === 'text/event-stream') {
//	        $connection->send(new Response(200, ['Content-Type' => 'text/event-stream'], "\r\n"));
//	        $timer_id = Timer::add(2, function () use ($connection, &$timer_id){
//	            if ($connection->getStatus() !== TcpConnection::STATUS_ESTABLISHED) {
//	                Timer::del($timer_id);
//	                return;
//	            }
//	            $connection->send(new ServerSentEvents(['event' => 'message', 'data' => 'hello', 'id'=>1]));
//	        });
//	        return;
//	    }
//	    $connection->send('ok');
//	};
//	Worker::runAll();
//
// Run it, then open http://127.0.0.1:8080/client.html (the manual's client
// code in a page), or:
//
//	go run ./examples/workerman-sse
//	curl -N -H 'Accept: text/event-stream' http://127.0.0.1:8080/
package main

import (
	"embed"
	"io/fs"
	"sync/atomic"
	"time"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/protocols/http"
	"github.com/workerman-go/workerman/protocols/sse"
	"github.com/workerman-go/workerman/timer"
	"github.com/workerman-go/workerman/worker"
)

//go:embed public
var public embed.FS

// interval is the manual's Timer::add(2, ...) (the test shortens it).
var interval = 2 * time.Second

func main() {
	newServer("0.0.0.0:8080")

	// Run the server
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
	w.Name = "workerman-sse"

	w.OnMessage = func(conn *connection.Conn, request *http.Request) {
		// Not in the manual: the page with the manual's client code, so that
		// there is something to open in a browser.
		if request.Path == "/client.html" {
			files.Serve(conn, request)
			return
		}

		// If the Accept header is text/event-stream, this is an SSE request
		// (the manual compares the whole header; request.AcceptsEventStream()
		// would also accept a list of types, parameters and q-values).
		if request.Header.Get("Accept") == "text/event-stream" {
			// First send a response with the header Content-Type: text/event-stream
			conn.Send(http.NewResponse(200, "\r\n").WithHeader("Content-Type", "text/event-stream"))
			// Push data to the client periodically.
			//
			// timer.Add is Workerman's Timer::add: a process-wide timer, whose
			// callback runs on the timer goroutine. It reads its own id through
			// an atomic (PHP's &$timer_id): should it run before the id is
			// stored, it finds 0, deletes nothing, and deletes itself next time.
			var timerID atomic.Uint64
			timerID.Store(uint64(timer.Add(interval, func() {
				// Once the connection is closed the timer must be deleted,
				// otherwise timers pile up and leak memory.
				//
				// In workerman-go, conn.Every(interval, fn) would make this
				// check unnecessary: a timer owned by the connection runs on
				// its event loop and is deleted when the connection closes
				// (see the sse-clock example).
				if conn.Status() != connection.StatusEstablished {
					timer.Del(timer.ID(timerID.Load()))
					return
				}
				// Send a "message" event carrying the data hello (giving the
				// message an id is optional). Send is safe from any goroutine.
				conn.Send(sse.Event{Event: "message", Data: "hello", ID: "1"})
			})))
			return
		}
		conn.Send("ok")
	}
	return w
}
