// Command ssecluster is the server of the scale-out benchmarks
// ("compare fanout" and "compare sse100k"): a worker with the http protocol
// whose Server-Sent Events streams all subscribe to one pubsub topic, with
// either the in-memory broker (one process) or a Redis shared by several
// processes (-redis), so that a publish reaches the streams of every
// process.
//
//   - GET / with Accept: text/event-stream starts a stream (sse.Start, a
//     heartbeat comment every -heartbeat, 15 s by default) subscribed to the
//     topic (-topic) from the next message on.
//   - POST /publish?id=N&count=K publishes K events (default 1) back to
//     back, numbered N, N+1, ...; each event's data is the time of its
//     publish, in Unix nanoseconds (CLOCK_REALTIME), taken just before
//     Hub.Publish. The broker makes the message ids (Redis's are stream
//     ids, "<ms>-<n>", which a client cannot count on); the number travels
//     in the message's Event field, and the streams' Format (benchSSE)
//     writes it after the broker's id: "id: <broker id>-N", no event name,
//     so that the load generator checks that every stream gets 1, 2, 3...
//     in order (it counts the number after the last '-'). Without id the
//     events carry the broker's id alone. The answer, 200, is
//     those times separated by spaces; 503 when the broker is unavailable
//     or the publish queue is full, 500 for another publish error, 400 for
//     a bad query. Publishing runs on one goroutine of its own, never on an
//     event loop (with Redis, Hub.Publish waits for the network), in the
//     order the requests arrive.
//
// With -reuseport (the default) several processes can listen on the same
// address (SO_REUSEPORT): the kernel spreads the connections over them.
// Start the first on port 0 and the others on the port it printed.
//
// It prints "LISTENING <addr>" once it listens (the compare driver waits
// for it). -pprof host:port serves net/http/pprof on a separate listener.
//
// It is a benchmark server, not an example of a production publish API
// (which would authenticate the publisher: see pubsub/publishapi).
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/workerman-go/workerman/bench/internal/pprofserve"
	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/protocols/http"
	"github.com/workerman-go/workerman/protocols/sse"
	"github.com/workerman-go/workerman/pubsub"
	"github.com/workerman-go/workerman/pubsub/redisbroker"
	"github.com/workerman-go/workerman/worker"
)

func main() {
	os.Exit(run())
}

func run() int {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on (port 0: any free port)")
	redisAddr := flag.String("redis", "", "Redis address host:port for pubsub/redisbroker (empty: the in-memory broker, one process)")
	prefix := flag.String("prefix", "wmbench:", "Redis key prefix")
	topic := flag.String("topic", "bench", "the topic every stream subscribes to")
	heartbeat := flag.Duration("heartbeat", sse.DefaultHeartbeat, "interval of the streams' heartbeat comments")
	reusePort := flag.Bool("reuseport", true, "listen with SO_REUSEPORT, so that several processes share the address")
	pprofAddr := flag.String("pprof", "", "serve net/http/pprof on this address (off by default)")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "ssecluster: unexpected arguments %q\n", flag.Args())
		return 2
	}
	if *topic == "" {
		fmt.Fprintln(os.Stderr, "ssecluster: -topic must not be empty")
		return 2
	}
	if *heartbeat <= 0 {
		fmt.Fprintln(os.Stderr, "ssecluster: -heartbeat must be positive")
		return 2
	}
	pprofserve.Start("ssecluster", *pprofAddr)

	opts := pubsub.Options{}
	if *redisAddr != "" {
		b, err := redisbroker.New(redisbroker.Options{Addrs: []string{*redisAddr}, KeyPrefix: *prefix})
		if err != nil {
			fmt.Fprintf(os.Stderr, "ssecluster: %v\n", err)
			return 2
		}
		defer b.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = b.Ping(ctx)
		cancel()
		if err != nil {
			fmt.Fprintf(os.Stderr, "ssecluster: %v\n", err)
			return 1
		}
		opts.Broker = b
	}
	hub := pubsub.NewHub(opts)
	defer hub.Close()
	pub := newPublisher(hub, *topic, slog.Default())
	defer pub.stop()

	w := worker.New("http://"+*listen, http.Protocol()) // *worker.Worker[*http.Request]
	w.Name = "bench-ssecluster"
	w.ReusePort = *reusePort
	w.OnWorkerStart = func(w *worker.Worker[*http.Request]) {
		fmt.Println("LISTENING", w.Addr())
	}
	w.OnMessage = func(c *connection.Conn, r *http.Request) {
		switch {
		case r.Method == "POST" && r.Path == "/publish":
			req, err := parsePublish(r.RawQuery)
			if err != nil {
				c.Send(http.NewResponse(400, err.Error()+"\n"))
				return
			}
			pub.enqueue(c, req)
		case r.Method == "GET" && r.Path == "/" && r.AcceptsEventStream():
			if _, err := sse.Start(c, r, sse.Options{Heartbeat: *heartbeat}); err != nil {
				return
			}
			if _, err := hub.Subscribe(c, *topic, benchSSE, pubsub.SubscribeOptions{}); err != nil {
				slog.Error("ssecluster: subscribe", "err", err)
				c.Close()
			}
		default:
			c.Send(http.NewResponse(404, "GET / with Accept: text/event-stream, or POST /publish?id=N&count=K\n"))
		}
	}
	// A pid file of this process's own, so that several processes (and
	// rounds) never trip over one another's.
	pid := filepath.Join(os.TempDir(), fmt.Sprintf("ssecluster-%d.pid", os.Getpid()))
	defer os.Remove(pid)
	return (worker.CommandLine{PidFile: pid}).Run(nil)
}
