// Package metrics shows a process's Workers, and the pubsub Hubs it is
// given, to Prometheus and to a person at a browser, with health
// endpoints, on an HTTP address of its own.
//
// Importing it adds the flag -metrics host:port to the Workerman command
// line (worker.Flags): with it, the start command serves there
//
//	/metrics        the Prometheus exposition (text format): per Worker,
//	                its connections (open, by protocol, accepted, refused),
//	                bytes in and out, messages, send failures, send buffers
//	                that filled up, timers, panics; per event loop, its open
//	                connections and the work waiting for it; per Worker, a
//	                histogram of the loops' task latency (from work handed
//	                to an idle loop to the loop starting it); the process's
//	                HTTP responses by status class and WebSocket messages
//	                received and sent; per Hub given to RegisterHub, its
//	                topics, subscribers, published, delivered, evicted,
//	                gaps and broker faults; the Go runtime and the process
//	/healthz        200 while the process runs (liveness)
//	/readyz         200 while every Worker listens and every registered
//	                Hub's broker answers a ping (a Redis broker does; the
//	                in-memory one has nothing to ask); 503 otherwise, with
//	                the reason (readiness)
//	/status         the status command's table, as a web page that updates
//	                itself every second
//	/status/events  the same table as server-sent events, one a second
//
// The endpoints are served by a Worker of the process, named "metrics",
// with the http protocol and one event loop: it shows in /metrics and on
// /status like the others (/readyz leaves it out), and a reload hands its
// listener over with the others'. The work of a scrape (reading
// the counters, counting the connections of every loop, reading /proc) runs
// on goroutines, never on an event loop. The counters themselves are kept
// by the loops and the codecs anyway, as uncontended atomic adds.
//
// The endpoint is for a private network or localhost: it has no
// authentication, and /status shows the process's figures to anyone who
// can reach it.
//
// What it is not: a tracing or logging system, nor a dashboard (point
// Grafana at Prometheus for that).
package metrics

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/protocols/http"
	"github.com/workerman-go/workerman/pubsub"
	"github.com/workerman-go/workerman/worker"
)

// addr is the -metrics flag.
var addr string

func init() {
	worker.Flags.StringVar(&addr, "metrics", "", "`host:port` to serve /metrics, /healthz, /readyz and /status on (empty: none)")
	worker.AddStartHook(func() (func(), error) {
		if addr == "" {
			return nil, nil
		}
		return Serve(addr)
	})
}

var (
	hubsMu sync.Mutex
	hubs   = map[string]*pubsub.Hub{}
)

// RegisterHub adds a Hub's counters to /metrics, labelled hub=name, and its
// broker to /readyz. Registering a name again replaces the Hub; registering
// nil removes the name.
func RegisterHub(name string, h *pubsub.Hub) {
	hubsMu.Lock()
	defer hubsMu.Unlock()
	if h == nil {
		delete(hubs, name)
		return
	}
	hubs[name] = h
}

// registeredHubs returns a copy of the registered Hubs.
func registeredHubs() map[string]*pubsub.Hub {
	hubsMu.Lock()
	defer hubsMu.Unlock()
	out := make(map[string]*pubsub.Hub, len(hubs))
	for name, h := range hubs {
		out[name] = h
	}
	return out
}

// stopTimeout bounds the stop of the metrics Worker: its connections are
// scrapes and status pages, which close at once.
const stopTimeout = 3 * time.Second

// Serve serves the endpoints on address (host:port; port 0 picks one) with
// a Worker named "metrics", until the returned stop function is called.
// The start command calls it when -metrics is given, once the other
// Workers listen, and calls stop once they have stopped.
func Serve(address string) (stop func(), err error) {
	if _, err := net.ResolveTCPAddr("tcp", address); err != nil {
		return nil, fmt.Errorf("metrics: address %s: %w", address, err)
	}
	w := worker.New("http://"+address, http.Protocol())
	w.Name = "metrics"
	w.Count = 1
	w.StopTimeout = stopTimeout
	w.OnMessage = handle
	if err := w.Start(context.Background()); err != nil {
		return nil, fmt.Errorf("metrics: serving on %s: %w", address, err)
	}
	bound := w.Addr()
	own.add(bound)
	served.Store(bound)
	slog.Info("metrics: serving /metrics, /healthz, /readyz and /status", "addr", bound)
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
		defer cancel()
		if err := w.Stop(ctx); err != nil {
			slog.Error("metrics: stopping", "addr", bound, "err", err)
		}
		own.remove(bound)
	}, nil
}

// own holds the addresses the metrics Workers of the process are bound to,
// so that /readyz leaves them out: the process is ready when the Workers
// it serves are.
var own = addrSet{m: map[string]bool{}}

type addrSet struct {
	mu sync.Mutex
	m  map[string]bool
}

func (s *addrSet) add(a string)    { s.mu.Lock(); s.m[a] = true; s.mu.Unlock() }
func (s *addrSet) remove(a string) { s.mu.Lock(); delete(s.m, a); s.mu.Unlock() }
func (s *addrSet) has(a string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[a]
}

// served is the address the last Serve listens on (for the tests).
var served stringValue

type stringValue struct {
	mu sync.Mutex
	s  string
}

func (v *stringValue) Store(s string) { v.mu.Lock(); v.s = s; v.mu.Unlock() }
func (v *stringValue) Load() string   { v.mu.Lock(); defer v.mu.Unlock(); return v.s }

// handle routes a request of the metrics Worker. It runs on the Worker's
// event loop: what takes time (gathering, counting connections, pinging a
// broker) runs on a goroutine that sends the answer.
func handle(c *connection.Conn, r *http.Request) {
	if r.Method != "GET" && r.Method != "HEAD" {
		c.Send(http.NewResponse(405, "only GET and HEAD\n").WithHeader("Allow", "GET, HEAD"))
		return
	}
	switch r.Path {
	case "/metrics":
		go func() { c.Send(metricsResponse()) }()
	case "/healthz":
		c.Send(textResponse(200, "ok\n"))
	case "/readyz":
		go func() { c.Send(readyResponse()) }()
	case "/status":
		go func() { c.Send(statusPage()) }()
	case "/status/events":
		statusEvents(c, r)
	default:
		c.Send(textResponse(404, "not found: the endpoints are /metrics, /healthz, /readyz, /status and /status/events\n"))
	}
}

// textResponse is a plain-text response that no cache keeps.
func textResponse(status int, body string) *http.Response {
	return http.NewResponse(status, body).
		WithHeader("Content-Type", "text/plain; charset=utf-8").
		WithHeader("Cache-Control", "no-store")
}

// pingTimeout bounds the ping of a broker by /readyz.
const pingTimeout = 2 * time.Second

// pinger is a broker that can say whether it is reachable (a Redis broker).
type pinger interface {
	Ping(ctx context.Context) error
}

// readyResponse answers /readyz: 200 when every Worker (but the metrics
// ones) listens and every registered Hub's broker answers.
func readyResponse() *http.Response {
	n := 0
	for _, s := range worker.Snapshot() {
		if s.Address != "" && own.has(s.Address) {
			continue
		}
		if s.Address == "" {
			return textResponse(503, fmt.Sprintf("worker %q is not listening\n", s.Name))
		}
		n++
	}
	if n == 0 {
		return textResponse(503, "no worker is running\n")
	}
	for name, h := range registeredHubs() {
		p, ok := h.Broker().(pinger)
		if !ok {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), pingTimeout)
		err := p.Ping(ctx)
		cancel()
		if err != nil {
			return textResponse(503, fmt.Sprintf("hub %q: the broker does not answer: %v\n", name, err))
		}
	}
	return textResponse(200, "ready\n")
}
