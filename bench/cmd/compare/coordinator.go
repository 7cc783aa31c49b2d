package main

// The publish coordinator of the scale-out benchmarks ("compare fanout",
// "compare sse100k"). The streams of one measurement are spread over
// several load generator processes, each running the sse fan-out schedule
// of bench/loadgen (publishes awaited one at a time at all of its streams,
// then a burst). Their publisher POSTs do not go to the server: they go
// here, to /publish/<k> for load generator k. The coordinator is a
// barrier: when every load generator has asked for publish j, it publishes
// once on the servers (POST /publish?id=j&count=1 of bench/servers/ssecluster)
// and answers all of them; so every load generator waits for every
// publish at all of its streams before the next, and the events reach the
// streams of all processes. The first publish also waits for the gate
// (open), so that the driver can read the servers' memory with every
// stream up and nothing published yet. The first request of the burst
// publishes the whole burst (count=burst, back to back on the server); the
// burst's other requests are answered at once.
//
// The time each request arrives is kept: a load generator reports, per
// publish, the time from sending its request to its last stream's receipt,
// and arrival + that time is its last receipt (late by the request's trip
// over loopback, a fraction of a millisecond); the latest over all load
// generators minus the publish time the server answered is the
// publish-to-last-receipt time of that publish (completion).

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// publishFunc publishes count events with the ids first, first+1, ... and
// returns the time of each publish (Unix ns) as the server took it.
type publishFunc func(ctx context.Context, first, count int) ([]int64, error)

// coordinator is the barrier between the load generators and the servers.
type coordinator struct {
	k         int // load generators
	publishes int // awaited one at a time
	burst     int // then back to back
	publish   publishFunc
	ctx       context.Context
	gate      chan struct{}
	gateOnce  sync.Once

	ln  net.Listener
	srv *http.Server

	mu       sync.Mutex
	next     []int     // per load generator: the number of its next request
	arrivals [][]int64 // [load generator][step]: Unix ns; step publishes is the burst
	steps    []*coStep
}

// coStep is one publish (or the burst) of the schedule.
type coStep struct {
	arrived int
	done    chan struct{}
	ts      []int64 // the server's publish times
	err     error
	fired   time.Time // when the coordinator published
}

// newCoordinator makes the barrier of k load generators for a schedule of
// publishes and a burst; publish does the real publishes.
func newCoordinator(ctx context.Context, k, publishes, burst int, publish publishFunc) *coordinator {
	n := publishes
	if burst > 0 {
		n++
	}
	co := &coordinator{k: k, publishes: publishes, burst: burst, publish: publish, ctx: ctx,
		gate: make(chan struct{}), next: make([]int, k), arrivals: make([][]int64, k), steps: make([]*coStep, n)}
	for i := range co.arrivals {
		co.arrivals[i] = make([]int64, n)
	}
	for i := range co.steps {
		co.steps[i] = &coStep{done: make(chan struct{})}
	}
	return co
}

// start listens on a free loopback port and serves; addr is where.
func (co *coordinator) start() (addr string, err error) {
	co.ln, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("coordinator: %w", err)
	}
	co.srv = &http.Server{Handler: co, ReadHeaderTimeout: 10 * time.Second}
	go co.srv.Serve(co.ln)
	return co.ln.Addr().String(), nil
}

// close stops serving; requests still waiting are answered with an error.
func (co *coordinator) close() {
	co.open()
	if co.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if co.srv.Shutdown(ctx) != nil {
			co.srv.Close()
		}
	}
}

// open lets the first publish go.
func (co *coordinator) open() { co.gateOnce.Do(func() { close(co.gate) }) }

// ServeHTTP implements http.Handler: POST /publish/<k>.
func (co *coordinator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	k, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/publish/"))
	if r.Method != http.MethodPost || !strings.HasPrefix(r.URL.Path, "/publish/") || err != nil || k < 0 || k >= co.k {
		http.Error(w, fmt.Sprintf("coordinator: want POST /publish/<0..%d>, got %s %s", co.k-1, r.Method, r.URL.Path), http.StatusNotFound)
		return
	}
	now := time.Now().UnixNano()
	co.mu.Lock()
	j := co.next[k]
	co.next[k]++
	if j >= len(co.steps) {
		co.mu.Unlock()
		if j < co.publishes+co.burst { // the rest of the burst: published with its first request
			io.WriteString(w, "ok\n")
			return
		}
		http.Error(w, fmt.Sprintf("coordinator: request %d of load generator %d is beyond the schedule (%d publishes, burst %d)", j+1, k, co.publishes, co.burst), http.StatusConflict)
		return
	}
	co.arrivals[k][j] = now
	st := co.steps[j]
	st.arrived++
	last := st.arrived == co.k
	co.mu.Unlock()
	if last {
		go co.fire(j)
	}
	select {
	case <-st.done:
	case <-r.Context().Done():
		return
	}
	if st.err != nil {
		http.Error(w, st.err.Error(), http.StatusServiceUnavailable)
		return
	}
	io.WriteString(w, "ok\n")
}

// fire publishes step j once every load generator asked for it.
func (co *coordinator) fire(j int) {
	st := co.steps[j]
	defer close(st.done)
	if j == 0 {
		select {
		case <-co.gate:
		case <-co.ctx.Done():
			st.err = co.ctx.Err()
			return
		}
	}
	first, count := j+1, 1
	if j == co.publishes {
		count = co.burst
	}
	st.fired = time.Now()
	ctx, cancel := context.WithTimeout(co.ctx, 30*time.Second)
	defer cancel()
	st.ts, st.err = co.publish(ctx, first, count)
	if st.err == nil && len(st.ts) != count {
		st.err = fmt.Errorf("publish %d: %d times for %d events", first, len(st.ts), count)
	}
}

// schedule is what the coordinator saw: for each step (the publishes, then
// the burst) the server's publish times (nil when it did not happen) and
// the arrival of each load generator's request.
type schedule struct {
	Times    [][]int64 `json:"times"`    // [step]: the server's publish times (the burst: one per event)
	Arrivals [][]int64 `json:"arrivals"` // [load generator][step]: Unix ns, 0 when it never asked
	Errors   []string  `json:"errors,omitempty"`
}

// result returns what the coordinator saw; call it once the load
// generators are done.
func (co *coordinator) result() schedule {
	co.mu.Lock()
	defer co.mu.Unlock()
	var s schedule
	for j, st := range co.steps {
		select {
		case <-st.done:
			if st.err != nil {
				s.Errors = append(s.Errors, fmt.Sprintf("step %d: %v", j+1, st.err))
			} else {
				s.Times = append(s.Times, st.ts)
				continue
			}
		default:
		}
		s.Times = append(s.Times, nil)
	}
	for _, a := range co.arrivals {
		s.Arrivals = append(s.Arrivals, append([]int64(nil), a...))
	}
	return s
}

// completions computes, for each awaited publish j (0-based), the time
// from its publish (times[j][0]) to the last receipt over all load
// generators: the latest arrivals[k][j] + completeUs[k][j]. completeUs[k]
// is load generator k's list of "POST to last receipt" times, in µs (nil
// for one that reported nothing: the publish is then incomplete). A
// publish that some load generator did not complete is left out; the
// result is in µs, one per publish completed by all.
func completions(times [][]int64, arrivals [][]int64, completeUs [][]float64, publishes int) []float64 {
	var out []float64
	for j := 0; j < publishes && j < len(times); j++ {
		if len(times[j]) == 0 {
			continue
		}
		last, ok := lastReceipt(arrivals, j, func(k int) (float64, bool) {
			if j < len(completeUs[k]) {
				return completeUs[k][j], true
			}
			return 0, false
		})
		if ok {
			out = append(out, float64(last-times[j][0])/1e3)
		}
	}
	return out
}

// burstSpan is the time from the burst's first publish to the last
// receipt of its events over all load generators, in seconds (false when
// some load generator did not complete it): burstSec[k] is load generator
// k's time from sending its burst to its last receipt (0: incomplete).
func burstSpan(times [][]int64, arrivals [][]int64, burstSec []float64, publishes int) (float64, bool) {
	if publishes >= len(times) || len(times[publishes]) == 0 {
		return 0, false
	}
	last, ok := lastReceipt(arrivals, publishes, func(k int) (float64, bool) {
		return burstSec[k] * 1e6, burstSec[k] > 0
	})
	if !ok {
		return 0, false
	}
	return float64(last-times[publishes][0]) / 1e9, true
}

// lastReceipt is the latest arrivals[k][j] + us(k) µs over every load
// generator k, in Unix ns; false when one of them has no value.
func lastReceipt(arrivals [][]int64, j int, us func(k int) (float64, bool)) (int64, bool) {
	var last int64
	for k := range arrivals {
		v, ok := us(k)
		if !ok || j >= len(arrivals[k]) || arrivals[k][j] == 0 {
			return 0, false
		}
		last = max(last, arrivals[k][j]+int64(v*1e3))
	}
	return last, len(arrivals) > 0
}

// serverPublisher publishes through POST /publish?id=N&count=K of
// bench/servers/ssecluster at addr, on one kept-alive connection.
func serverPublisher(addr string) (publishFunc, func()) {
	tr := &http.Transport{MaxIdleConnsPerHost: 1, DisableCompression: true}
	client := &http.Client{Transport: tr}
	fn := func(ctx context.Context, first, count int) ([]int64, error) {
		url := fmt.Sprintf("http://%s/publish?id=%d&count=%d", addr, first, count)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, nil)
		if err != nil {
			return nil, fmt.Errorf("publish %d: %w", first, err)
		}
		resp, err := client.Do(req)
		if err != nil {
			return nil, fmt.Errorf("publish %d: %w", first, err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if err != nil {
			return nil, fmt.Errorf("publish %d: reading the answer: %w", first, err)
		}
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("publish %d: server answered %s: %s", first, resp.Status, strings.TrimSpace(string(body)))
		}
		ts, err := parseTimestamps(string(body), count)
		if err != nil {
			return nil, fmt.Errorf("publish %d: %w", first, err)
		}
		return ts, nil
	}
	return fn, tr.CloseIdleConnections
}

// parseTimestamps parses the answer of a publish: want Unix ns times
// (positive decimal integers) separated by spaces, then a newline.
func parseTimestamps(s string, want int) ([]int64, error) {
	f := strings.Fields(s)
	if len(f) != want {
		return nil, fmt.Errorf("answer has %d times for %d events: %.80q", len(f), want, s)
	}
	out := make([]int64, 0, len(f))
	for _, v := range f {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("answer has %.30q where a time (Unix ns) should be", v)
		}
		out = append(out, n)
	}
	return out, nil
}

var errNoRedis = errors.New("redis-server not found: install it (apt-get install redis-server)")
