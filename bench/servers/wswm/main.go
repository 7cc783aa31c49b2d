// Command wswm is the framework's own server for the WebSocket benchmark: a
// worker on websocket:// (websocket.Protocol), and a small http worker on a
// second port for publishing.
//
// -mode chooses what the connections get:
//
//   - echo: every data message is sent back as it came (same opcode and
//     payload; c.Send(websocket.Message));
//   - idle: nothing; the connections only hold their handshake state;
//   - broadcast: every connection subscribes, once its handshake is done, to
//     one topic of a pubsub.Hub (pubsub.WebSocketText: each message is one
//     text frame, encoded once per event loop). POST /publish on the http
//     worker publishes one message whose data is "<n> <unix ns>": n counts
//     1, 2, 3... and the time is that of the publish (time.Now().UnixNano()).
//
// Both workers are started with worker.CommandLine.Run (the RunAll command line);
// once both listen it prints "LISTENING <websocket addr> publish=<http addr>"
// on stdout, which the compare driver waits for. -pprof host:port serves
// net/http/pprof on a separate listener, for investigations.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/workerman-go/workerman/bench/internal/pprofserve"
	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/protocols/http"
	"github.com/workerman-go/workerman/protocols/websocket"
	"github.com/workerman-go/workerman/pubsub"
	"github.com/workerman-go/workerman/worker"
)

// topic is the broadcast topic.
const topic = "bench"

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address of the WebSocket worker (port 0: any free port)")
	mode := flag.String("mode", "echo", "what the connections get: echo, idle or broadcast")
	pprofAddr := flag.String("pprof", "", "serve net/http/pprof on this address (off by default)")
	flag.Parse()
	switch *mode {
	case "echo", "idle", "broadcast":
	default:
		fmt.Fprintf(os.Stderr, "wswm: unknown -mode %q (echo, idle, broadcast)\n", *mode)
		os.Exit(2)
	}
	host, _, err := net.SplitHostPort(*listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, "wswm: -listen:", err)
		os.Exit(2)
	}
	pprofserve.Start("wswm", *pprofAddr)

	// No replay: a subscriber gets what is published while it is connected.
	hub := pubsub.NewHub(pubsub.Options{NoReplay: true})
	// No pings and no idle timeout, like the gorilla server it is compared
	// with (and the load generator does not answer pings).
	opts := websocket.Options{PingInterval: -1, IdleTimeout: -1}
	if *mode == "broadcast" {
		opts.OnWebSocketConnected = func(c *connection.Conn, _ *http.Request) {
			if _, err := hub.Subscribe(c, topic, pubsub.WebSocketText, pubsub.SubscribeOptions{}); err != nil {
				c.Close() // the connection is already closing
			}
		}
	}
	ws := worker.New("websocket://"+*listen, websocket.Protocol(opts)) // *worker.Worker[websocket.Message]
	ws.Name = "bench-ws"
	if *mode == "echo" {
		// m.Payload is only valid during the callback; Send encodes it at once.
		ws.OnMessage = func(c *connection.Conn, m websocket.Message) { c.Send(m) }
	}

	var seq atomic.Uint64
	pub := worker.New("http://"+net.JoinHostPort(host, "0"), http.Protocol())
	pub.Name = "bench-ws-publish"
	pub.Count = 1
	pub.OnMessage = func(c *connection.Conn, r *http.Request) {
		if r.Method != "POST" || r.Path != "/publish" {
			c.Send(http.NewResponse(404, "POST /publish\n"))
			return
		}
		if *mode != "broadcast" {
			c.Send(http.NewResponse(404, "not in broadcast mode\n"))
			return
		}
		data := strconv.FormatUint(seq.Add(1), 10) + " " + strconv.FormatInt(time.Now().UnixNano(), 10)
		if _, err := hub.Publish(context.Background(), topic, pubsub.Message{Data: data}); err != nil {
			c.Send(http.NewResponse(500, err.Error()+"\n"))
			return
		}
		c.Send("ok\n")
	}
	// The workers start in order: once the second one runs, both listen.
	pub.OnWorkerStart = func(w *worker.Worker[*http.Request]) {
		fmt.Println("LISTENING", ws.Addr(), "publish="+w.Addr())
	}
	// A pid file of this process's own, so that rounds never trip over one
	// another's (worker.CommandLine.Run refuses to start when its pid file names a
	// live process).
	pid := filepath.Join(os.TempDir(), fmt.Sprintf("wswm-%d.pid", os.Getpid()))
	defer os.Remove(pid)
	if code := (worker.CommandLine{PidFile: pid}).Run(nil); code != 0 {
		os.Remove(pid)
		os.Exit(code)
	}
}
