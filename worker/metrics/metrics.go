// Package metrics shows a process's Workers, and the pubsub Hubs it is
// given, to Prometheus, with health endpoints, on an HTTP address of its
// own.
//
// Importing it adds the flag -metrics host:port to the Workerman command
// line (worker.Flags): with it, the start command serves there
//
//	/metrics   the Prometheus exposition: per Worker, its connections
//	           (open, accepted, refused), bytes in and out, messages, send
//	           failures, timers, panics, and the open connections per event
//	           loop; per Hub given to RegisterHub, its topics, subscribers,
//	           published, delivered, evicted and gaps; the Go runtime and
//	           the process
//	/healthz   200 while the process runs (liveness)
//	/readyz    200 while every Worker listens, 503 otherwise: one is not
//	           listening yet, or they have stopped (readiness)
//
// The endpoint is plain net/http, beside the event loops: a scrape reads
// counters that the loops keep anyway and takes no time from them. It is
// for a private network or localhost: it has no authentication.
//
// What it is not: a tracing or logging system, nor a dashboard.
package metrics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/workerman-go/workerman/pubsub"
	"github.com/workerman-go/workerman/worker"
)

// addr is the -metrics flag.
var addr string

func init() {
	worker.Flags.StringVar(&addr, "metrics", "", "`host:port` to serve /metrics, /healthz and /readyz on (empty: none)")
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

// RegisterHub adds a Hub's counters to /metrics, labelled hub=name.
// Registering a name again replaces the Hub.
func RegisterHub(name string, h *pubsub.Hub) {
	hubsMu.Lock()
	defer hubsMu.Unlock()
	hubs[name] = h
}

// Handler serves /metrics, /healthz and /readyz.
func Handler() http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collector{}, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorLog: slogErrors{}}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		snap := worker.Snapshot()
		if len(snap) == 0 {
			http.Error(w, "no worker is running", http.StatusServiceUnavailable)
			return
		}
		for _, s := range snap {
			if s.Address == "" {
				http.Error(w, fmt.Sprintf("worker %q is not listening", s.Name), http.StatusServiceUnavailable)
				return
			}
		}
		fmt.Fprintln(w, "ready")
	})
	return mux
}

// Serve serves Handler on address (host:port; port 0 picks one) until the
// returned stop function is called. The start command calls it when
// -metrics is given.
func Serve(address string) (stop func(), err error) {
	ln, err := net.Listen("tcp", address)
	if err != nil {
		return nil, fmt.Errorf("metrics: listening on %s: %w", address, err)
	}
	srv := &http.Server{Handler: Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			slog.Error("metrics: serving", "addr", ln.Addr().String(), "err", err)
		}
	}()
	slog.Info("metrics: serving /metrics, /healthz and /readyz", "addr", ln.Addr().String())
	served.Store(ln.Addr().String())
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}

// served is the address Serve listens on (for the tests).
var served stringValue

type stringValue struct {
	mu sync.Mutex
	s  string
}

func (v *stringValue) Store(s string) { v.mu.Lock(); v.s = s; v.mu.Unlock() }
func (v *stringValue) Load() string   { v.mu.Lock(); defer v.mu.Unlock(); return v.s }

// slogErrors passes promhttp's errors to slog.
type slogErrors struct{}

func (slogErrors) Println(v ...any) { slog.Error("metrics: " + fmt.Sprint(v...)) }

// The metrics, described once.
var (
	workerLabels = []string{"worker"}
	descs        = struct {
		up, connections, accepted, refused, bytesRead, bytesWritten, messages, sendFailures, timers, panics, loopConnections *prometheus.Desc
		topics, subscribers, published, delivered, evicted, gaps, brokerErrors                                               *prometheus.Desc
	}{
		up:              prometheus.NewDesc("workerman_up", "1 while the Worker listens.", workerLabels, nil),
		connections:     prometheus.NewDesc("workerman_connections", "Open connections.", workerLabels, nil),
		accepted:        prometheus.NewDesc("workerman_connections_accepted_total", "Connections opened since the start.", workerLabels, nil),
		refused:         prometheus.NewDesc("workerman_connections_refused_total", "Connections closed at accept: over the cap, descriptor table full, or stopping.", workerLabels, nil),
		bytesRead:       prometheus.NewDesc("workerman_bytes_read_total", "Bytes received.", workerLabels, nil),
		bytesWritten:    prometheus.NewDesc("workerman_bytes_written_total", "Bytes sent.", workerLabels, nil),
		messages:        prometheus.NewDesc("workerman_messages_total", "Messages delivered to OnMessage.", workerLabels, nil),
		sendFailures:    prometheus.NewDesc("workerman_send_failures_total", "Sends dropped: send buffer full, or connection closed.", workerLabels, nil),
		timers:          prometheus.NewDesc("workerman_timers", "Pending connection timers.", workerLabels, nil),
		panics:          prometheus.NewDesc("workerman_panics_total", "Panics recovered in callbacks.", workerLabels, nil),
		loopConnections: prometheus.NewDesc("workerman_loop_connections", "Open connections per event loop.", []string{"worker", "loop"}, nil),
		topics:          prometheus.NewDesc("pubsub_topics", "Topics with subscribers.", []string{"hub"}, nil),
		subscribers:     prometheus.NewDesc("pubsub_subscribers", "Subscriptions.", []string{"hub"}, nil),
		published:       prometheus.NewDesc("pubsub_published_total", "Messages received from the broker.", []string{"hub"}, nil),
		delivered:       prometheus.NewDesc("pubsub_delivered_total", "Messages written to subscribers, replays included.", []string{"hub"}, nil),
		evicted:         prometheus.NewDesc("pubsub_evicted_total", "Subscribers disconnected for not keeping up.", []string{"hub"}, nil),
		gaps:            prometheus.NewDesc("pubsub_gaps_total", "Times subscribers were told that messages were lost to them.", []string{"hub"}, nil),
		brokerErrors:    prometheus.NewDesc("pubsub_broker_errors_total", "Faults of the broker itself.", []string{"hub"}, nil),
	}
)

// collector reads the Workers' and Hubs' counters at every scrape.
type collector struct{}

func (collector) Describe(ch chan<- *prometheus.Desc) {
	prometheus.DescribeByCollect(collector{}, ch)
}

func (collector) Collect(ch chan<- prometheus.Metric) {
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	for _, w := range worker.Snapshot() {
		up := 0.0
		if w.Address != "" {
			up = 1
		}
		st := w.Stats
		gauge(descs.up, up, w.Name)
		gauge(descs.connections, float64(st.Connections), w.Name)
		counter(descs.accepted, st.Accepted, w.Name)
		counter(descs.refused, st.Refused, w.Name)
		counter(descs.bytesRead, st.BytesRead, w.Name)
		counter(descs.bytesWritten, st.BytesWritten, w.Name)
		counter(descs.messages, st.Messages, w.Name)
		counter(descs.sendFailures, st.SendFailures, w.Name)
		gauge(descs.timers, float64(st.Timers), w.Name)
		counter(descs.panics, st.Panics, w.Name)
		for _, l := range st.Loops {
			gauge(descs.loopConnections, float64(l.Connections), w.Name, strconv.Itoa(l.Index))
		}
	}
	hubsMu.Lock()
	defer hubsMu.Unlock()
	for name, h := range hubs {
		st := h.Stats()
		gauge(descs.topics, float64(st.Topics), name)
		gauge(descs.subscribers, float64(st.Subscribers), name)
		counter(descs.published, st.Published, name)
		counter(descs.delivered, st.Delivered, name)
		counter(descs.evicted, st.Evicted, name)
		counter(descs.gaps, st.Gaps, name)
		counter(descs.brokerErrors, st.BrokerErrors, name)
	}
}
