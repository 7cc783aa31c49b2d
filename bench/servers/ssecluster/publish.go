package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/protocols/http"
	"github.com/workerman-go/workerman/protocols/sse"
	"github.com/workerman-go/workerman/pubsub"
)

// benchSSE is the streams' Format: pubsub.SSE, except that a message
// whose Event holds the publisher's number N is written with the id
// "<broker id>-N" and no event name (see the package documentation).
var benchSSE = pubsub.NewFormat("bench-sse", func(dst []byte, m *pubsub.Message) ([]byte, error) {
	if m.Event == "" {
		return sse.Event{ID: m.ID, Data: m.Data}.AppendText(dst)
	}
	return sse.Event{ID: m.ID + "-" + m.Event, Data: m.Data}.AppendText(dst)
})

// maxCount bounds the events of one publish request.
const maxCount = 1000

// maxQuery bounds the query of a publish request, in bytes.
const maxQuery = 256

// publishReq is a parsed POST /publish: count events, numbered from first
// on when hasID.
type publishReq struct {
	first uint64
	hasID bool
	count int
}

// parsePublish parses the query of POST /publish: "id=N&count=K", both
// optional (count 1 to maxCount, default 1; id a positive integer, so that
// the ids N..N+K-1 do not overflow). Anything else is an error that says
// what is wrong.
func parsePublish(rawQuery string) (publishReq, error) {
	req := publishReq{count: 1}
	if len(rawQuery) > maxQuery {
		return req, fmt.Errorf("query longer than %d bytes", maxQuery)
	}
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return req, fmt.Errorf("bad query: %v", err)
	}
	for k, v := range q {
		if k != "id" && k != "count" {
			return req, fmt.Errorf("unknown parameter %q (id, count)", k)
		}
		if len(v) != 1 {
			return req, fmt.Errorf("parameter %q given %d times", k, len(v))
		}
	}
	if s, ok := q["count"]; ok {
		n, err := strconv.Atoi(s[0])
		if err != nil || n < 1 || n > maxCount {
			return req, fmt.Errorf("count must be an integer from 1 to %d, not %q", maxCount, s[0])
		}
		req.count = n
	}
	if s, ok := q["id"]; ok {
		n, err := strconv.ParseUint(s[0], 10, 63)
		if err != nil || n < 1 || strings.HasPrefix(s[0], "+") {
			return req, fmt.Errorf("id must be a positive integer below 2^63, not %q", s[0])
		}
		req.first, req.hasID = n, true
	}
	return req, nil
}

// publishJob is a publish request waiting for the publisher goroutine.
type publishJob struct {
	c   *connection.Conn
	req publishReq
}

// publisher publishes on one goroutine of its own, in the order of the
// requests: with a remote broker Hub.Publish waits for the network, which
// must never happen on an event loop.
type publisher struct {
	hub    *pubsub.Hub
	topic  string
	log    *slog.Logger
	jobs   chan publishJob
	done   chan struct{}
	failed atomic.Int64 // publishes that failed (answered 5xx)
	full   atomic.Int64 // requests refused with a full queue
}

// newPublisher starts the publisher goroutine of topic; stop ends it.
func newPublisher(hub *pubsub.Hub, topic string, log *slog.Logger) *publisher {
	p := &publisher{hub: hub, topic: topic, log: log, jobs: make(chan publishJob, 256), done: make(chan struct{})}
	go p.loop()
	return p
}

// enqueue hands a request to the goroutine without blocking; a full queue
// is answered 503 at once (and counted, and logged).
func (p *publisher) enqueue(c *connection.Conn, req publishReq) {
	select {
	case p.jobs <- publishJob{c, req}:
	default:
		n := p.full.Add(1)
		p.log.Warn("ssecluster: publish queue full, request refused", "refused", n)
		c.Send(http.NewResponse(503, "publish queue full\n"))
	}
}

// stop ends the goroutine once the queued requests are done.
func (p *publisher) stop() {
	close(p.jobs)
	<-p.done
}

func (p *publisher) loop() {
	defer close(p.done)
	for j := range p.jobs {
		body, status := p.publish(j.req)
		if status == 200 {
			j.c.Send(body)
		} else {
			j.c.Send(http.NewResponse(status, body))
		}
	}
}

// publish publishes the events of req and returns the answer: the times
// of the publishes, or the error.
func (p *publisher) publish(req publishReq) (string, int) {
	var b strings.Builder
	for i := range req.count {
		m := pubsub.Message{}
		if req.hasID {
			m.Event = strconv.FormatUint(req.first+uint64(i), 10)
		}
		now := time.Now().UnixNano()
		m.Data = strconv.FormatInt(now, 10)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err := p.hub.Publish(ctx, p.topic, m)
		cancel()
		if err != nil {
			n := p.failed.Add(1)
			p.log.Error("ssecluster: publish", "topic", p.topic, "number", m.Event, "failed", n, "err", err)
			status := 500
			if errors.Is(err, pubsub.ErrUnavailable) {
				status = 503
			}
			return fmt.Sprintf("publish %d of %d: %v\n", i+1, req.count, err), status
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(m.Data)
	}
	b.WriteByte('\n')
	return b.String(), 200
}
