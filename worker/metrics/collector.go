package metrics

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/common/expfmt"

	"github.com/workerman-go/workerman/protocols/http"
	"github.com/workerman-go/workerman/protocols/websocket"
	"github.com/workerman-go/workerman/worker"
)

// registry holds the collectors of /metrics: the Workers' and Hubs'
// counters, the Go runtime, the process.
var registry = sync.OnceValue(func() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collector{}, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
})

// textFormat is the exposition format of /metrics: Prometheus's text
// format, which every scraper reads.
var textFormat = expfmt.NewFormat(expfmt.TypeTextPlain)

// metricsResponse gathers the registry and answers /metrics with it, or
// with 500 and the error when a collector fails (logged too). It runs on a
// goroutine of its own.
func metricsResponse() *http.Response {
	mfs, err := registry().Gather()
	if err != nil {
		slog.Error("metrics: gathering", "err", err)
		return textResponse(500, fmt.Sprintf("metrics: gathering: %v\n", err))
	}
	var b bytes.Buffer
	enc := expfmt.NewEncoder(&b, textFormat)
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			slog.Error("metrics: encoding", "family", mf.GetName(), "err", err)
			return textResponse(500, fmt.Sprintf("metrics: encoding %s: %v\n", mf.GetName(), err))
		}
	}
	return http.NewResponse(200, "").WithBody(b.Bytes()).
		WithHeader("Content-Type", string(textFormat)).
		WithHeader("Cache-Control", "no-store")
}

// listTimeout bounds the wait for busy event loops when a scrape counts
// the connections by protocol.
const listTimeout = 2 * time.Second

// The metrics, described once.
var (
	workerLabels = []string{"worker"}
	loopLabels   = []string{"worker", "loop"}
	hubLabels    = []string{"hub"}
	descs        = struct {
		up, connections, byProtocol, accepted, refused, bytesRead, bytesWritten, messages, sendFailures, bufferFull, timers, panics *prometheus.Desc
		loopConnections, loopQueue, taskLatency                                                                                     *prometheus.Desc
		httpResponses, wsMessages                                                                                                   *prometheus.Desc
		topics, subscribers, published, delivered, evicted, gaps, brokerErrors                                                      *prometheus.Desc
	}{
		up:              prometheus.NewDesc("workerman_up", "1 while the Worker listens.", workerLabels, nil),
		connections:     prometheus.NewDesc("workerman_connections", "Open connections.", workerLabels, nil),
		byProtocol:      prometheus.NewDesc("workerman_connections_by_protocol", "Open connections by what they carry: http, sse, websocket, text...", []string{"worker", "protocol"}, nil),
		accepted:        prometheus.NewDesc("workerman_connections_accepted_total", "Connections opened since the start.", workerLabels, nil),
		refused:         prometheus.NewDesc("workerman_connections_refused_total", "Connections closed at accept: over the cap, or the descriptor table (nearly) full.", workerLabels, nil),
		bytesRead:       prometheus.NewDesc("workerman_bytes_read_total", "Bytes received.", workerLabels, nil),
		bytesWritten:    prometheus.NewDesc("workerman_bytes_written_total", "Bytes sent.", workerLabels, nil),
		messages:        prometheus.NewDesc("workerman_messages_total", "Messages delivered to OnMessage.", workerLabels, nil),
		sendFailures:    prometheus.NewDesc("workerman_send_failures_total", "Sends dropped: send buffer full, or connection closed.", workerLabels, nil),
		bufferFull:      prometheus.NewDesc("workerman_buffer_full_total", "Times a connection's send buffer filled up (OnBufferFull).", workerLabels, nil),
		timers:          prometheus.NewDesc("workerman_timers", "Pending connection timers.", workerLabels, nil),
		panics:          prometheus.NewDesc("workerman_panics_total", "Panics recovered in callbacks.", workerLabels, nil),
		loopConnections: prometheus.NewDesc("workerman_loop_connections", "Open connections per event loop.", loopLabels, nil),
		loopQueue:       prometheus.NewDesc("workerman_loop_queue_length", "Work waiting for the event loop: tasks, and connections with sends not yet flushed.", loopLabels, nil),
		taskLatency:     prometheus.NewDesc("workerman_loop_task_latency_seconds", "Time from work handed to an idle event loop (a wake-up queued) to the loop starting it, all loops of the Worker.", workerLabels, nil),
		httpResponses:   prometheus.NewDesc("workerman_http_responses_total", "HTTP responses sent by the process, by status class.", []string{"class"}, nil),
		wsMessages:      prometheus.NewDesc("workerman_websocket_messages_total", "WebSocket data messages of the process, by direction.", []string{"direction"}, nil),
		topics:          prometheus.NewDesc("pubsub_topics", "Topics with subscribers.", hubLabels, nil),
		subscribers:     prometheus.NewDesc("pubsub_subscribers", "Subscriptions.", hubLabels, nil),
		published:       prometheus.NewDesc("pubsub_published_total", "Messages received from the broker.", hubLabels, nil),
		delivered:       prometheus.NewDesc("pubsub_delivered_total", "Messages written to subscribers, replays included.", hubLabels, nil),
		evicted:         prometheus.NewDesc("pubsub_evicted_total", "Subscribers disconnected for not keeping up.", hubLabels, nil),
		gaps:            prometheus.NewDesc("pubsub_gaps_total", "Times subscribers were told that messages were lost to them.", hubLabels, nil),
		brokerErrors:    prometheus.NewDesc("pubsub_broker_errors_total", "Faults of the broker itself.", hubLabels, nil),
	}
)

// collector reads the Workers' and Hubs' counters at every scrape.
type collector struct{}

func (collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{
		descs.up, descs.connections, descs.byProtocol, descs.accepted, descs.refused, descs.bytesRead, descs.bytesWritten,
		descs.messages, descs.sendFailures, descs.bufferFull, descs.timers, descs.panics,
		descs.loopConnections, descs.loopQueue, descs.taskLatency, descs.httpResponses, descs.wsMessages,
		descs.topics, descs.subscribers, descs.published, descs.delivered, descs.evicted, descs.gaps, descs.brokerErrors,
	} {
		ch <- d
	}
}

func (collector) Collect(ch chan<- prometheus.Metric) {
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), listTimeout)
	snap, err := worker.SnapshotConnections(ctx)
	cancel()
	if err != nil {
		// The counters are there; only some counts by protocol are missing.
		slog.Warn("metrics: counting the connections by protocol", "err", err)
	}
	seen := map[string]int{}
	for _, w := range snap {
		// Workers of the same name get a label each: name, name#2...
		name := w.Name
		if seen[name]++; seen[name] > 1 {
			name += "#" + strconv.Itoa(seen[name])
		}
		up := 0.0
		if w.Address != "" {
			up = 1
		}
		st := w.Stats
		gauge(descs.up, up, name)
		gauge(descs.connections, float64(st.Connections), name)
		counter(descs.accepted, st.Accepted, name)
		counter(descs.refused, st.Refused, name)
		counter(descs.bytesRead, st.BytesRead, name)
		counter(descs.bytesWritten, st.BytesWritten, name)
		counter(descs.messages, st.Messages, name)
		counter(descs.sendFailures, st.SendFailures, name)
		gauge(descs.timers, float64(st.Timers), name)
		counter(descs.panics, st.Panics, name)
		for _, l := range st.Loops {
			gauge(descs.loopConnections, float64(l.Connections), name, strconv.Itoa(l.Index))
			gauge(descs.loopQueue, float64(l.Queued), name, strconv.Itoa(l.Index))
		}
		for protocol, n := range w.Protocols {
			gauge(descs.byProtocol, float64(n), name, protocol)
		}
		counter(descs.bufferFull, st.BufferFull, name)
		if w.TaskLatency.Bounds != nil {
			ch <- histogram(descs.taskLatency, w.TaskLatency, name)
		}
	}
	for i, n := range http.ResponseCounts() {
		counter(descs.httpResponses, n, strconv.Itoa(i+1)+"xx")
	}
	received, sent := websocket.MessageCounts()
	counter(descs.wsMessages, received, "received")
	counter(descs.wsMessages, sent, "sent")
	for name, h := range registeredHubs() {
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

// histogram turns a Latency into a Prometheus histogram in seconds, with
// cumulative buckets.
func histogram(d *prometheus.Desc, h worker.Latency, labels ...string) prometheus.Metric {
	buckets := make(map[float64]uint64, len(h.Bounds))
	var cum uint64
	for i, bound := range h.Bounds {
		if i < len(h.Counts) {
			cum += h.Counts[i]
		}
		buckets[bound.Seconds()] = cum
	}
	return prometheus.MustNewConstHistogram(d, h.Count(), h.Sum.Seconds(), buckets, labels...)
}
