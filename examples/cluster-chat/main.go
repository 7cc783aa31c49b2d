// Command cluster-chat is the chat of examples/sse-chat for several processes
// or machines: the same program started N times shares its messages through
// Redis, and a browser gets them over server-sent events, a WebSocket or long
// polling, whichever process it reaches.
//
// Flags, before the command word (see worker.CommandLine):
//
//	-redis host:port     Redis that the processes share (empty: an in-memory
//	                     broker, this process alone)
//	-publish-secret s    the secret of the HTTP publish API, POST /publish (or
//	                     the environment variable CLUSTER_CHAT_PUBLISH_SECRET,
//	                     which ps does not show; empty: no API)
//	-metrics host:port   serve /metrics (the workers and the chat's hub, for
//	                     Prometheus), /healthz and /readyz (package
//	                     worker/metrics)
//
// With -redis, the Worker sets ReusePort: several copies may listen on the
// same address (each with its own -pidfile), and the kernel spreads the
// connections among them.
//
// URLs:
//
//   - GET / is the page. It receives over server-sent events by default;
//     ?via=ws picks a WebSocket and ?via=poll long polling.
//   - GET / with "Accept: text/event-stream" is the event stream: an event
//     per message, with the message's id; a reconnecting EventSource sends
//     the id of the last one it has (Last-Event-ID) and gets exactly those
//     it missed.
//   - GET / with a WebSocket handshake is the WebSocket: a text message per
//     chat message, {"id":"...","data":"..."}; ?last=<id> resumes after the
//     message with that id. The socket only receives: messages are sent
//     with POST /send.
//   - GET /poll is long polling: a JSON array of {"id","data"} objects and
//     the X-Cursor header, the id to send back as ?cursor= with the next
//     poll (pubsub.LongPoll). Without a cursor the answer is the recent
//     history (at once) or, when there is none, the next message; 204 after
//     25 seconds without one; 410 when the messages after the cursor are
//     lost (the page starts over without a cursor).
//   - POST /send publishes the form field "message", as in sse-chat.
//   - POST /publish is the publish API (package pubsub/publishapi), for
//     backends, when a secret is set: {"topic":"chat","data":{"author":
//     "rgb(1,2,3)","content":"hello"}} signed with the secret.
//
// Every client gets the same messages with the same ids (the pubsub Hub's),
// whatever its kind and whichever process serves it. A new client (no id),
// or one whose id is no longer kept, gets the recent history first: SSE and
// WebSocket clients after a "reset" event, which clears the list.
//
// Each message's data is a JSON object, {"author":"rgb(r,g,b)","content":
// "..."}; content is plain text, shown by the page as text (never as HTML:
// a message published through the API cannot inject markup either).
//
// With Redis, publishing waits for Redis, so /send publishes on a goroutine
// and answers from there: 200, 503 when Redis cannot be reached
// (pubsub.ErrUnavailable: the page retries), 504 when it took too long.
//
// The limits: a message has at most 2000 characters (413), a POST /send at
// most 32 KiB of body, any request at most 128 KiB (413 before it is read).
// The topic keeps the last 100 messages for 24 hours (in memory within a
// byte budget that holds 100 of the largest); the publish API takes data of
// at most the size of the largest chat message. A connection's send buffer
// is 4 MiB, to take a new page's whole history at once (Redis trims its
// streams by whole blocks, so it may keep somewhat more than 100).
//
//	go run ./examples/cluster-chat                           # http://127.0.0.1:8092/
//	go run ./examples/cluster-chat -redis 127.0.0.1:6379 -listen 127.0.0.1:8092 -pidfile /tmp/chat-1.pid start
//	go run ./examples/cluster-chat -redis 127.0.0.1:6379 -listen 127.0.0.1:8092 -pidfile /tmp/chat-2.pid start
package main

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/workerman-go/workerman/protocols/http"
	"github.com/workerman-go/workerman/pubsub"
	"github.com/workerman-go/workerman/pubsub/redisbroker"
	"github.com/workerman-go/workerman/worker"
	"github.com/workerman-go/workerman/worker/metrics"
)

//go:embed public
var public embed.FS

const (
	topic      = "chat"
	keep       = 100  // messages kept: the history a new page gets, and what a reconnecting one can replay
	maxMessage = 2000 // characters
	// maxSendBody bounds the body of a POST /send: more than the form
	// field of a message of maxMessage characters takes (24 KB: at most
	// 12 bytes each, a 4-byte character URL-encoded).
	maxSendBody = 32 << 10
	// maxBody bounds any request's body: a publish API request with data
	// of maxData bytes, escaped again as a JSON string (at most 6 bytes
	// each).
	maxBody = 128 << 10
	// maxData bounds a message's data: the JSON of a message of
	// maxMessage characters, each at most 6 bytes once escaped for JSON (a
	// control character's \u0001, a "<" as \u003c), with the longest
	// author. The publish API takes no more.
	maxData = 6*maxMessage + len(`{"author":"rgb(255,255,255)","content":""}`)
	// keepBytes is the in-memory history's byte budget: keep messages of
	// maxData, each with its topic and id (64 bytes are more than enough)
	// and the broker's overhead.
	keepBytes = keep * (maxData + 64 + pubsub.MessageOverhead)
	keepAge   = 24 * time.Hour
	// sendBuffer is a connection's send buffer: a new page's history at
	// once (keepBytes, 1.2 MB, or somewhat more messages from Redis).
	sendBuffer = 4 << 20
	// keyPrefix starts the chat's keys in Redis.
	keyPrefix = "cluster-chat:"
	// secretEnv holds the publish API's secret when -publish-secret does
	// not.
	secretEnv = "CLUSTER_CHAT_PUBLISH_SECRET"
	// defaultAddr is where the chat listens without -listen.
	defaultAddr = "127.0.0.1:8092"
)

// The program's flags, given before the command word.
var (
	redisFlag  = worker.Flags.String("redis", "", "`host:port` of the Redis the processes share (empty: in memory, this process alone)")
	secretFlag = worker.Flags.String("publish-secret", "", "`secret` of the publish API, POST /publish (default $"+secretEnv+"; empty: no API)")
)

func main() {
	worker.ParseFlags()
	if err := run(*redisFlag, publishSecret(*secretFlag)); err != nil {
		fmt.Fprintln(os.Stderr, "cluster-chat:", err)
		os.Exit(2)
	}
}

// publishSecret is the flag's secret, or else the environment's.
func publishSecret(flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	return os.Getenv(secretEnv)
}

// run builds the chat on its broker and runs the command line.
func run(redisAddr, secret string) error {
	if redisAddr != "" {
		if err := checkHostPort(redisAddr); err != nil {
			return fmt.Errorf("-redis: %w", err)
		}
	}
	hub, closeHub, err := newHub(redisAddr)
	if err != nil {
		return err
	}
	ch, err := newChat(chatOptions{hub: hub, secret: secret})
	if err != nil {
		return err
	}
	w := newServer(defaultAddr, ch)
	// status prints the hub's counters: topics, subscribers, evictions,
	// gaps; so does /metrics with -metrics host:port.
	worker.AddStatus("pubsub", func() string { return hub.Stats().String() })
	metrics.RegisterHub("chat", hub)
	if redisAddr != "" {
		// Several copies of the program on one address share the chat
		// through Redis: the kernel spreads the connections among them.
		w.ReusePort = true
		w.OnWorkerStart = func(*worker.Worker[*http.Request]) { go warnIfUnreachable(hub, redisAddr) }
	}
	worker.RunAll()
	if err := closeHub(); err != nil {
		slog.Error("cluster-chat: closing the hub", "err", err)
	}
	return nil
}

// checkHostPort checks that s is host:port with both parts.
func checkHostPort(s string) error {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return err
	}
	if host == "" || port == "" {
		return fmt.Errorf("%q: want host:port", s)
	}
	return nil
}

// newHub returns the chat's hub: on Redis at redisAddr, or in memory when
// it is "". close closes the hub and its broker.
func newHub(redisAddr string) (hub *pubsub.Hub, close func() error, err error) {
	if redisAddr == "" {
		hub = pubsub.NewHub(pubsub.Options{ReplayCount: keep, ReplayAge: keepAge, ReplayBytes: keepBytes})
		return hub, hub.Close, nil
	}
	b, err := redisbroker.New(redisbroker.Options{
		Addrs:       []string{redisAddr},
		KeyPrefix:   keyPrefix,
		ReplayCount: keep,
		ReplayAge:   keepAge,
	})
	if err != nil {
		return nil, nil, err
	}
	hub = pubsub.NewHub(pubsub.Options{Broker: b})
	return hub, func() error { return errors.Join(hub.Close(), b.Close()) }, nil
}

// warnIfUnreachable says at start when Redis does not answer: the chat
// runs anyway, /send answers 503 until Redis is back, and the streams
// receive again once it is.
func warnIfUnreachable(hub *pubsub.Hub, addr string) {
	b, ok := hub.Broker().(*redisbroker.Broker)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := b.Ping(ctx); err != nil {
		slog.Warn("cluster-chat: Redis does not answer; sending fails (503) until it does", "redis", addr, "err", err)
	}
}
