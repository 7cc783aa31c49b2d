// Command ssewm is the framework's own server for the Server-Sent Events
// benchmark: a worker with the http protocol that answers GET / with
// Accept: text/event-stream by starting a stream with sse.Start.
//
// -mode chooses what the streams get:
//
//   - idle: nothing but the heartbeat comment every 15 s (sse.Start's
//     default, a timer owned by the connection);
//   - tick: one event per second from the connection's own timer (c.Every),
//     its data the time of sending (Unix ns); no heartbeat, the events keep
//     the stream alive;
//   - fanout: every stream subscribes to one topic of a pubsub.Hub (and has
//     the 15 s heartbeat); POST /publish publishes one event on it whose
//     data is the time of the publish (Unix ns): pubsub writes it to every
//     subscriber, with its id (1, 2, 3...).
//
// The worker is started with worker.CommandLine.Run (the RunAll command line) and
// prints "LISTENING <addr>" once it listens, which the compare driver waits
// for. -tls-cert FILE -tls-key FILE serve TLS (Worker.TLSConfig with the
// key pair; the TLS benchmark, compare tls). -pprof host:port serves
// net/http/pprof on a separate listener, for investigations.
package main

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/workerman-go/workerman/bench/internal/pprofserve"
	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/protocols/http"
	"github.com/workerman-go/workerman/protocols/sse"
	"github.com/workerman-go/workerman/pubsub"
	"github.com/workerman-go/workerman/worker"
)

// topic is the fan-out topic.
const topic = "bench"

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on (port 0: any free port)")
	mode := flag.String("mode", "idle", "what the streams get: idle, tick or fanout")
	pprofAddr := flag.String("pprof", "", "serve net/http/pprof on this address (off by default)")
	certFile := flag.String("tls-cert", "", "serve TLS with this certificate `file` (PEM), with -tls-key")
	keyFile := flag.String("tls-key", "", "private key `file` (PEM) of -tls-cert")
	flag.Parse()
	switch *mode {
	case "idle", "tick", "fanout":
	default:
		fmt.Fprintf(os.Stderr, "ssewm: unknown -mode %q (idle, tick, fanout)\n", *mode)
		os.Exit(2)
	}
	if (*certFile == "") != (*keyFile == "") {
		fmt.Fprintln(os.Stderr, "ssewm: -tls-cert and -tls-key go together")
		os.Exit(2)
	}
	pprofserve.Start("ssewm", *pprofAddr)

	hub := pubsub.NewHub(pubsub.Options{})
	w := worker.New("http://"+*listen, http.Protocol()) // *worker.Worker[*http.Request]
	w.Name = "bench-sse"
	if *certFile != "" {
		cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
		if err != nil {
			fmt.Fprintf(os.Stderr, "ssewm: -tls-cert %s, -tls-key %s: %v\n", *certFile, *keyFile, err)
			os.Exit(1)
		}
		w.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	}
	w.OnWorkerStart = func(w *worker.Worker[*http.Request]) {
		fmt.Println("LISTENING", w.Addr())
	}
	w.OnMessage = func(c *connection.Conn, r *http.Request) {
		switch {
		case r.Method == "POST" && r.Path == "/publish":
			if *mode != "fanout" {
				c.Send(http.NewResponse(404, "not in fanout mode\n"))
				return
			}
			now := time.Now().UnixNano()
			if _, err := hub.Publish(context.Background(), topic, pubsub.Message{Data: strconv.FormatInt(now, 10)}); err != nil {
				c.Send(http.NewResponse(500, err.Error()+"\n"))
				return
			}
			c.Send("ok\n")
		case r.Method == "GET" && r.Path == "/" && r.AcceptsEventStream():
			serveStream(c, r, *mode, hub)
		default:
			c.Send(http.NewResponse(404, "GET / with Accept: text/event-stream, or POST /publish\n"))
		}
	}
	// A pid file of this process's own, so that rounds never trip over one
	// another's (worker.CommandLine.Run refuses to start when its pid file names a
	// live process).
	pid := filepath.Join(os.TempDir(), fmt.Sprintf("ssewm-%d.pid", os.Getpid()))
	defer os.Remove(pid)
	if code := (worker.CommandLine{PidFile: pid}).Run(nil); code != 0 {
		os.Remove(pid)
		os.Exit(code)
	}
}

// serveStream starts the stream of one client.
func serveStream(c *connection.Conn, r *http.Request, mode string, hub *pubsub.Hub) {
	switch mode {
	case "idle":
		sse.Start(c, r, sse.Options{Heartbeat: sse.DefaultHeartbeat})
	case "tick":
		s, err := sse.Start(c, r, sse.Options{Heartbeat: -1})
		if err != nil {
			return
		}
		c.Every(time.Second, func() {
			s.Send(sse.Event{Data: strconv.FormatInt(time.Now().UnixNano(), 10)})
		})
	case "fanout":
		if _, err := sse.Start(c, r, sse.Options{Heartbeat: sse.DefaultHeartbeat}); err != nil {
			return
		}
		if _, err := hub.Subscribe(c, topic, pubsub.SSE, pubsub.SubscribeOptions{}); err != nil {
			c.Close()
		}
	}
}
