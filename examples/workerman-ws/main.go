// Command workerman-ws is the WebSocket example of Workerman's manual (its
// simple examples: "use the WebSocket protocol to serve clients"), ported
// line by line: a worker on websocket://0.0.0.0:2000 with 4 event loops
// answers every message with "hello " and the message.
//
// The manual's PHP, for comparison (its comments translated):
//
//	<?php
//	use Workerman\Worker;
//	require_once __DIR__ . '/vendor/autoload.php';
//
//	// Note: unlike the previous example, this one uses the websocket protocol
//	$ws_worker = new Worker("websocket://0.0.0.0:2000");
//
//	// Start 4 processes to serve clients
//	$ws_worker->count = 4;
//
//	// When a client sends data, answer hello $data
//	$ws_worker->onMessage = function($connection, $data)
//	{
//	    // Send hello $data to the client
//	    $connection->send('hello ' . $data);
//	};
//
//	// Run the worker
//	Worker::runAll();
//
// The manual then tests it from a browser's console:
//
//	// Assuming the server's IP is 127.0.0.1
//	ws = new WebSocket("ws://127.0.0.1:2000");
//	ws.onopen = function() {
//	    alert("connected");
//	    ws.send('tom');
//	    alert("sent the string tom to the server");
//	};
//	ws.onmessage = function(e) {
//	    alert("message from the server: " + e.data);
//	};
//
// Not in the manual: the worker also answers a plain HTTP request on / with
// a page that runs that client code (Options.OnHTTPRequest), so there is
// something to open in a browser: http://127.0.0.1:2000/.
//
//	go run ./examples/workerman-ws
//	go run ./examples/workerman-ws -listen 127.0.0.1:9000 start
package main

import (
	_ "embed"
	"log"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/protocols/http"
	"github.com/workerman-go/workerman/protocols/websocket"
	"github.com/workerman-go/workerman/worker"
)

//go:embed public/index.html
var page string

// maxMessage is the largest message a client may send.
const maxMessage = 1 << 20

func main() {
	newServer("0.0.0.0:2000")

	// Run the worker
	worker.RunAll()
}

// newServer returns the worker, listening on hostport once started.
func newServer(hostport string) *worker.Worker[websocket.Message] {
	// Note: unlike the http examples, this one uses the websocket protocol
	wsWorker := worker.New("websocket://"+hostport, websocket.Protocol(websocket.Options{
		// Not in the manual: a request that is not a WebSocket handshake
		// gets the page (on /; 404 elsewhere), then the connection closes.
		OnHTTPRequest: func(c *connection.Conn, req *http.Request) *http.Response {
			if req.Path != "/" {
				return nil
			}
			return http.NewResponse(200, page).WithHeader("Content-Type", "text/html; charset=utf-8")
		},
	}))

	// Start 4 event loops to serve clients (Workerman's 4 processes)
	wsWorker.Count = 4

	// Not in the manual: every reply must find room in the send buffer.
	// The framework stops reading a client while the replies queued for it
	// fill half the buffer, so a buffer of twice the largest reply loses
	// nothing to a client that sends faster than it reads; a message is at
	// most 1 MiB (a larger one closes the connection with 1009).
	wsWorker.MaxPackageSize = maxMessage
	wsWorker.MaxSendBufferSize = 2*maxMessage + 64<<10
	wsWorker.OnError = func(c *connection.Conn, err error) {
		log.Printf("connection %d: %v", c.ID(), err) // a reply refused, a protocol error
	}

	// When a client sends data, answer hello $data
	wsWorker.OnMessage = func(connection *connection.Conn, data websocket.Message) {
		// Send hello $data to the client. Workerman sends a text frame; so
		// does Send of a string. (Not in the manual: a binary message, which
		// the manual's client never sends, is answered with a binary one,
		// since its bytes need not be the UTF-8 a text frame must carry.)
		if data.Opcode == websocket.OpBinary {
			connection.Send(append([]byte("hello "), data.Payload...))
			return
		}
		connection.Send("hello " + string(data.Payload))
	}
	return wsWorker
}
