package pubsub

import (
	"context"
	"encoding/json"
	"time"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/protocols/http"
)

// DefaultPollTimeout is how long a long-poll request is parked by default:
// below the 30 s or more after which proxies commonly give up on a request
// (they answer 502/504 then, which long-poll clients treat as "poll again").
const DefaultPollTimeout = 25 * time.Second

// LongPoll answers long-poll requests from a Hub's topics: a request is
// parked until a message arrives or Timeout passes. Each answer carries a
// cursor (the id of its last message) that the client sends with its next
// request, so nothing published between two polls is lost; a request
// without one waits for the next message published.
//
// Answers:
//
//   - 200 with the message: the body is its Data (or, with Batch > 1, a
//     JSON array of {"id","event","data"} objects of every message waiting,
//     up to Batch), X-Cursor the id to send next, X-Event the event name
//     when it has one;
//   - 204 after Timeout, or when the server stops or hands over to a new
//     process (reload): nothing new, poll again with the same cursor;
//   - 410 when the messages after the cursor cannot all be replayed (it is
//     older than the history the broker keeps, or from an earlier run, or
//     the broker lost messages): some messages are lost to this client,
//     which should reload its state; X-Cursor is then the newest id (or
//     empty), to continue from.
//
// Every answer has Cache-Control: no-store. The parked request's
// subscription ends with its answer, or when its connection closes.
type LongPoll struct {
	Hub *Hub
	// Timeout is how long a request waits (default DefaultPollTimeout).
	Timeout time.Duration
	// CursorParam is the query parameter that carries the cursor (default
	// "cursor").
	CursorParam string
	// Batch is the most messages one answer carries (default 1).
	Batch int
}

// Serve answers req, a poll on topic. Call it from the connection's
// callbacks (OnMessage). It returns an error when it could not subscribe
// (the connection is closing, the Hub is closed); it answered nothing then.
func (lp *LongPoll) Serve(c *connection.Conn, req *http.Request, topic string) error {
	param := lp.CursorParam
	if param == "" {
		param = "cursor"
	}
	timeout := lp.Timeout
	if timeout <= 0 {
		timeout = DefaultPollTimeout
	}
	p := &poll{hub: lp.Hub, c: c, topic: topic, batch: max(lp.Batch, 1)}
	sub, err := lp.Hub.SubscribeFunc(c, topic, p.messages, SubscribeOptions{After: req.Query().Get(param), OnGap: p.gap})
	if err != nil {
		return err
	}
	// The replay, if any, and the live messages come in later loop tasks:
	// after these two are set.
	p.sub = sub
	p.timer = c.After(timeout, func() { p.answer(http.NewResponse(204, "")) })
	// A server that stops or hands over to a new process (reload) answers
	// at once: the client polls again, with the same cursor, and reaches
	// the new process.
	p.undrain = c.WhenDraining(func() { p.answer(http.NewResponse(204, "")) })
	return nil
}

// poll is one parked request. Everything runs on its connection's loop.
type poll struct {
	hub     *Hub
	c       *connection.Conn
	topic   string
	sub     *Subscription
	timer   *connection.Timer
	undrain func() // removes the WhenDraining hook
	batch   int
	done    bool
}

// messages answers with the first messages the subscription delivers:
// those replayed after the cursor, or the first live ones.
func (p *poll) messages(ms []Message) {
	if p.done {
		return
	}
	p.answer(p.response(ms[:min(len(ms), p.batch)]))
}

// gap answers 410: the messages after the cursor are lost to the client.
func (p *poll) gap(error) {
	if p.done {
		return
	}
	if id := p.hub.newestID(p.topic); id != "" {
		p.answer(gone(id))
		return
	}
	// The Hub has received nothing on the topic since it had subscribers:
	// the broker knows the newest id. Reading its history may block, so not
	// here on the loop; the request answers when it is read.
	p.finish()
	hub, c, topic := p.hub, p.c, p.topic
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), historyTimeout)
		defer cancel()
		newest := ""
		ms, err := hub.History(ctx, topic, "", 0)
		if err != nil {
			hub.log.Warn("pubsub: long poll: the newest id for a 410 is unknown", "topic", topic, "err", err)
		} else if len(ms) > 0 {
			newest = ms[len(ms)-1].ID
		}
		_ = c.Send(gone(newest)) // safe from any goroutine; an error: the client went away
	}()
}

// finish ends the request's subscription and timer.
func (p *poll) finish() {
	p.done = true
	p.sub.Cancel()
	if p.timer != nil {
		p.timer.Stop()
	}
	if p.undrain != nil {
		p.undrain()
	}
}

func (p *poll) answer(resp *http.Response) {
	if p.done {
		return
	}
	p.finish()
	resp.Header.Set("Cache-Control", "no-store")
	_ = p.c.Send(resp)
}

func (p *poll) response(ms []Message) *http.Response {
	last := ms[len(ms)-1]
	var resp *http.Response
	if p.batch == 1 {
		resp = http.NewResponse(200, last.Data).WithHeader("Content-Type", "text/plain; charset=utf-8")
		if last.Event != "" {
			resp.Header.Set("X-Event", last.Event)
		}
	} else {
		type item struct {
			ID    string `json:"id"`
			Event string `json:"event,omitempty"`
			Data  string `json:"data"`
		}
		items := make([]item, len(ms))
		for i, m := range ms {
			items[i] = item{m.ID, m.Event, m.Data}
		}
		body, _ := json.Marshal(items) // strings only: it cannot fail
		resp = http.NewResponse(200, "").WithBody(body).WithHeader("Content-Type", "application/json")
	}
	return resp.WithHeader("X-Cursor", last.ID)
}

// gone is the answer to a cursor whose messages are lost: newest is the
// cursor to go on from.
func gone(newest string) *http.Response {
	return http.NewResponse(410, "messages were lost: reload\n").
		WithHeader("Content-Type", "text/plain; charset=utf-8").
		WithHeader("Cache-Control", "no-store").
		WithHeader("X-Cursor", newest)
}
