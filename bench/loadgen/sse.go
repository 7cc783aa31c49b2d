package loadgen

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/workerman-go/workerman/protocols/sse"
)

// SSE mode: every connection sends one GET with Accept: text/event-stream
// as soon as it is established, reads the response head (200,
// text/event-stream; the body raw or chunked) and parses the stream with
// sse.Parser. An event whose data is a decimal Unix time in nanoseconds
// (CLOCK_REALTIME) gives a latency: its receipt time minus that time (the
// load generator and the server run on the same machine). Events with an
// id must be numbered 1, 2, 3... on every stream: anything else counts as
// out of order. An id may carry a prefix ending in '-' (pubsub's
// "<epoch>-<seq>"): the number after the last '-' is the one counted.
//
// After all heads are in (OnReady), one of:
//
//   - with Publishes or Burst: the fan-out schedule. A separate connection
//     POSTs PublishPath Publishes times, one at a time: each publish waits
//     until every stream has received it, then PublishGap; then Burst more
//     publishes go out back to back (pipelined in one write) and the time
//     until every stream has all of them gives the delivered events/s.
//     Latencies of the first Publishes events (by id) go into Latency,
//     those of the burst into BurstLatency.
//   - otherwise streams are read for Warmup + Duration, or until the
//     context ends (an idle hold); events received in the window after
//     Warmup are counted (EventsPerSec) and their latencies recorded.

// sseState is the per-connection state of a stream.
type sseState struct {
	head     headReader
	headDone bool
	chunked  bool
	chunk    chunkDecoder
	parser   sse.Parser
	lastID   uint64 // id of the last event, for the order check
	got      uint64 // events received
}

// fanout is the fan-out progress that the loops report to the publisher.
type fanout struct {
	received atomic.Int64 // fan-out events (with an id) received, all streams
	target   atomic.Int64 // what received must reach for the current step
	lastNs   atomic.Int64 // receipt time (Unix ns) of the latest one
	reached  chan struct{}
}

func newFanout() *fanout { return &fanout{reached: make(chan struct{}, 1)} }

// add notes one event received at now (Unix ns).
func (f *fanout) add(now int64) {
	for {
		old := f.lastNs.Load()
		if now <= old || f.lastNs.CompareAndSwap(old, now) {
			break
		}
	}
	if f.received.Add(1) == f.target.Load() {
		select {
		case f.reached <- struct{}{}:
		default:
		}
	}
}

// sseRequest is the request every stream sends.
func sseRequest(path string) []byte {
	return []byte("GET " + path + " HTTP/1.1\r\nHost: bench\r\nAccept: text/event-stream\r\nCache-Control: no-cache\r\n\r\n")
}

// sseStart sends the request of a connection just established.
func (l *loop) sseStart(c *conn) {
	c.sse = &sseState{}
	c.sse.parser.OnComment = l.onCommentFn
	l.writeRequest(c, l.request)
}

// writeRequest writes req, the request of a connection just established
// (an event stream's GET, a WebSocket handshake).
func (l *loop) writeRequest(c *conn, req []byte) {
	for {
		n, err := unix.Write(c.fd, req)
		switch {
		case err == unix.EINTR:
			continue
		case err != nil:
			l.ioFail(c, "write", err)
		case n < len(req):
			// A fresh socket takes a few hundred bytes at once.
			l.ioFail(c, "write", errors.New("short write of the request"))
		}
		return
	}
}

// streamRead reads what the server sent on c, an event stream or a
// WebSocket connection, and parses it.
func (l *loop) streamRead(c *conn) {
	for {
		n, err := unix.Read(c.fd, l.scratch)
		switch {
		case err == unix.EAGAIN:
			return
		case err == unix.EINTR:
			continue
		case err != nil:
			l.ioFail(c, "read", err)
			return
		case n == 0:
			l.peerClosed++
			l.noteErr("stream", errors.New("closed by the server"))
			l.closeConn(c)
			return
		}
		t := time.Now()
		l.nowNs, l.nowRel = t.UnixNano(), t.Sub(l.base)
		if c.ws != nil {
			l.wsFeed(c, l.scratch[:n])
		} else {
			l.sseFeed(c, l.scratch[:n])
		}
		if c.state != stOpen || n < len(l.scratch) {
			return // epoll is level-triggered: more comes as another event
		}
	}
}

// sseFeed parses b, the next bytes of c's response.
func (l *loop) sseFeed(c *conn, b []byte) {
	s := c.sse
	if !s.headDone {
		h, done, rest, err := s.head.feed(b)
		if err == nil && done {
			err = h.checkStream()
		}
		if err != nil {
			l.streamFail(c, "head", err)
			return
		}
		if !done {
			return
		}
		s.headDone, s.chunked = true, h.Chunked
		l.heads++
		b = rest
	}
	l.cur, l.feedErr = c, nil
	if s.chunked {
		end, err := s.chunk.feed(b, l.bodyFn)
		if err == nil && end {
			err = errors.New("the server ended the chunked body")
		}
		if err != nil {
			l.streamFail(c, "chunked", err)
			return
		}
	} else {
		l.body(b)
	}
	if l.feedErr != nil {
		l.streamFail(c, "sse", l.feedErr)
	}
}

// body feeds body bytes of l.cur to its parser.
func (l *loop) body(p []byte) {
	if l.feedErr == nil {
		l.feedErr = l.cur.sse.parser.Feed(p, l.emitFn)
	}
}

// emit counts an event of l.cur and records its latency.
func (l *loop) emit(e sse.Event) {
	c := l.cur
	s := c.sse
	s.got++
	l.nEvents++
	ts, ok := parseStamp(e.Data)
	if !ok {
		l.badData++
		return
	}
	if e.ID == "" { // a periodic event: counted in the window
		if l.nowRel >= l.warmEnd && l.nowRel < l.end {
			l.windowEvents++
			l.hist.Record(time.Duration(l.nowNs - ts))
		}
		return
	}
	num := e.ID
	if i := strings.LastIndexByte(num, '-'); i >= 0 {
		num = num[i+1:]
	}
	id, err := strconv.ParseUint(num, 10, 64)
	l.fanEvent(&s.lastID, id, err == nil, ts)
}

// fanEvent accounts a published event numbered id (idOK: the number could
// be read), published at ts (Unix ns) and received now (l.nowNs) by a
// stream whose last event was numbered *last.
func (l *loop) fanEvent(last *uint64, id uint64, idOK bool, ts int64) {
	if !idOK || id != *last+1 {
		l.outOfOrder++
	}
	*last = id
	lat := time.Duration(l.nowNs - ts)
	if id <= uint64(l.cfg.Publishes) {
		l.hist.Record(lat)
	} else {
		l.burstHist.Record(lat)
	}
	if l.fan != nil {
		l.fan.add(l.nowNs)
	}
}

func (l *loop) onComment(string) { l.comments++ }

// streamFail drops a stream (or WebSocket connection) that broke the
// protocol.
func (l *loop) streamFail(c *conn, what string, err error) {
	if l.headPending(c) {
		l.headFails++
	}
	l.streamErrors++
	l.noteErr(what, err)
	l.closeConn(c)
}

// headPending tells whether c, an event stream or a WebSocket connection,
// still waits for its response head.
func (l *loop) headPending(c *conn) bool {
	return (c.sse != nil && !c.sse.headDone) || (c.ws != nil && !c.ws.headDone)
}

// lastID is the number of the last published event c received, and
// whether c is a stream (or WebSocket connection) whose head arrived.
func (l *loop) lastID(c *conn) (uint64, bool) {
	switch {
	case c.sse != nil && c.sse.headDone:
		return c.sse.lastID, true
	case c.ws != nil && c.ws.headDone:
		return c.ws.lastID, true
	}
	return 0, false
}

// awaitHeads reads until every established stream (or WebSocket
// connection) has its response head (or failed), setupEnd passes or ctx
// ends.
func (l *loop) awaitHeads(ctx context.Context, setupEnd time.Duration) {
	for {
		pending := 0
		for i := range l.conns {
			if c := &l.conns[i]; c.state == stOpen && l.headPending(c) {
				pending++
			}
		}
		if pending == 0 {
			return
		}
		now := l.now()
		if now >= setupEnd || ctx.Err() != nil {
			for i := range l.conns {
				if c := &l.conns[i]; c.state == stOpen && l.headPending(c) {
					l.headFails++
					l.noteErr("head", errors.New("no response head in time"))
					l.closeConn(c)
				}
			}
			return
		}
		l.streamWait(min(setupEnd-now, 50*time.Millisecond))
	}
}

// streamWait waits up to timeout for readiness and reads the streams ready.
func (l *loop) streamWait(timeout time.Duration) {
	n, err := l.wait(timeout + time.Millisecond)
	if err != nil {
		l.noteErr("epoll_wait", err)
		time.Sleep(time.Millisecond)
		return
	}
	for _, ev := range l.events[:n] {
		if c := &l.conns[ev.Fd]; c.state == stOpen {
			l.streamRead(c)
		}
	}
}

// streamRecv reads the streams (or WebSocket connections) until end or ctx
// ends; events received in [warmEnd, end) are counted in the window.
func (l *loop) streamRecv(ctx context.Context, warmEnd, end time.Duration) {
	l.warmEnd, l.end = warmEnd, end
	for {
		now := l.now()
		if now >= end || ctx.Err() != nil {
			return
		}
		l.streamWait(min(end-now, 100*time.Millisecond))
	}
}

// FanoutResult is the outcome of the fan-out schedule.
type FanoutResult struct {
	Publishes int `json:"publishes"` // awaited one at a time
	Completed int `json:"completed"` // of them, received by every stream in time
	Burst     int `json:"burst"`
	// CompleteUs: per awaited publish, from sending the POST to the last
	// stream's receipt, µs (median and max).
	CompleteP50us float64   `json:"complete_p50_us"`
	CompleteMaxUs float64   `json:"complete_max_us"`
	CompleteUs    []float64 `json:"complete_us,omitempty"` // every publish, in order
	// The burst: events it delivered (Burst × streams), from writing the
	// requests to the last receipt, and the rate.
	BurstEvents       uint64  `json:"burst_events"`
	BurstSec          float64 `json:"burst_sec"`
	BurstEventsPerSec float64 `json:"burst_events_per_sec"`
	BurstComplete     bool    `json:"burst_complete"`
	// CPU of the server and of this process during the burst, % of a core.
	BurstServerCPUPct float64 `json:"burst_server_cpu_pct,omitempty"`
	BurstClientCPUPct float64 `json:"burst_client_cpu_pct,omitempty"`
	Error             string  `json:"error,omitempty"`
}

// publisher runs the fan-out schedule against streams streams and returns
// its outcome; the CPU samples bound the schedule.
func publisher(ctx context.Context, cfg *Config, f *fanout, streams int) (fr FanoutResult, cpu0, cpu1 cpuSample) {
	fr.Publishes, fr.Burst = cfg.Publishes, cfg.PublishBurst
	cpu0 = sampleCPU(cfg.ServerPID)
	defer func() { cpu1 = sampleCPU(cfg.ServerPID) }()
	d := net.Dialer{Timeout: cfg.ConnectTimeout}
	target := cfg.PublishTarget
	if target == "" {
		target = cfg.Target
	}
	nc, err := d.DialContext(ctx, "tcp", target)
	if err != nil {
		fr.Error = fmt.Sprintf("publisher: %v", err)
		return
	}
	defer nc.Close()
	br := bufio.NewReader(nc)
	req := []byte("POST " + cfg.PublishPath + " HTTP/1.1\r\nHost: bench\r\nContent-Length: 0\r\n\r\n")
	// post writes k requests at once and reads their k responses.
	post := func(k int) error {
		nc.SetDeadline(time.Now().Add(cfg.PublishTimeout))
		b := make([]byte, 0, k*len(req))
		for range k {
			b = append(b, req...)
		}
		if _, err := nc.Write(b); err != nil {
			return err
		}
		for range k {
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				return err
			}
			_, err = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
			resp.Body.Close()
			if err != nil {
				return err
			}
			if resp.StatusCode != 200 {
				return fmt.Errorf("status %q", resp.Status)
			}
		}
		return nil
	}
	// await waits until f.received reaches want.
	await := func(want int64) bool {
		t := time.NewTimer(cfg.PublishTimeout)
		defer t.Stop()
		for f.received.Load() < want {
			select {
			case <-f.reached:
			case <-t.C:
				return f.received.Load() >= want
			case <-ctx.Done():
				return false
			}
		}
		return true
	}
	n := int64(streams)
	var complete []float64
	for i := 1; i <= cfg.Publishes; i++ {
		want := int64(i) * n
		f.target.Store(want)
		t0 := time.Now().UnixNano()
		if err := post(1); err != nil {
			fr.Error = fmt.Sprintf("publish %d: %v", i, err)
			return
		}
		if !await(want) {
			fr.Error = fmt.Sprintf("publish %d: %d of %d streams received it within %v", i, f.received.Load()-want+n, n, cfg.PublishTimeout)
			return
		}
		complete = append(complete, float64(f.lastNs.Load()-t0)/1e3)
		fr.CompleteUs = append(fr.CompleteUs, math.Round(complete[len(complete)-1]))
		fr.Completed++
		if !sleepCtx(ctx, cfg.PublishGap) {
			return
		}
	}
	if len(complete) > 0 {
		fr.CompleteP50us, fr.CompleteMaxUs = quantile(complete, 0.5), quantile(complete, 1)
	}
	if cfg.PublishBurst == 0 {
		return
	}
	before := int64(cfg.Publishes) * n
	want := before + int64(cfg.PublishBurst)*n
	f.target.Store(want)
	b0 := sampleCPU(cfg.ServerPID)
	t0 := time.Now().UnixNano()
	if err := post(cfg.PublishBurst); err != nil {
		fr.Error = fmt.Sprintf("burst: %v", err)
		return
	}
	fr.BurstComplete = await(want)
	b1 := sampleCPU(cfg.ServerPID)
	fr.BurstEvents = uint64(f.received.Load() - before)
	fr.BurstSec = float64(f.lastNs.Load()-t0) / 1e9
	if fr.BurstSec > 0 {
		fr.BurstEventsPerSec = float64(fr.BurstEvents) / fr.BurstSec
	}
	if w := time.Duration(time.Now().UnixNano() - t0).Seconds(); w > 0 {
		if b0.okServer && b1.okServer {
			fr.BurstServerCPUPct = (b1.server - b0.server).Seconds() / w * 100
		}
		fr.BurstClientCPUPct = (b1.self - b0.self).Seconds() / w * 100
	}
	if !fr.BurstComplete {
		fr.Error = fmt.Sprintf("burst: %d of %d events received within %v", fr.BurstEvents, int64(cfg.PublishBurst)*n, cfg.PublishTimeout)
	}
	return
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// quantile returns the q-quantile of v (nearest rank; v is sorted in place).
func quantile(v []float64, q float64) float64 {
	if len(v) == 0 {
		return 0
	}
	sort.Float64s(v)
	k := int(q*float64(len(v))+0.5) - 1
	k = max(0, min(k, len(v)-1))
	return v[k]
}

// parseStamp reads the time an event's data carries: Unix nanoseconds
// ("1796234889062341900", as the Go servers write it) or Unix seconds with
// a fraction ("1796234889.0623419", PHP's microtime(true)), without
// allocating. ok is false for anything else.
func parseStamp(s string) (ns int64, ok bool) {
	const maxSec = 1 << 33 // beyond the year 2200: not seconds
	var whole int64
	i := 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		if whole > (1<<63-1-9)/10 {
			return 0, false
		}
		whole = whole*10 + int64(s[i]-'0')
	}
	if i == 0 {
		return 0, false
	}
	if i == len(s) {
		return whole, true
	}
	if s[i] != '.' || i+1 == len(s) || whole >= maxSec {
		return 0, false
	}
	var frac, scale int64 = 0, int64(time.Second)
	for j := i + 1; j < len(s); j++ {
		c := s[j]
		if c < '0' || c > '9' {
			return 0, false
		}
		if scale > 1 { // digits past nanoseconds are dropped
			scale /= 10
			frac += int64(c-'0') * scale
		}
	}
	return whole*int64(time.Second) + frac, true
}
