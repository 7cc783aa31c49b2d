package pubsub

import (
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
//   - 204 after Timeout: nothing new, poll again with the same cursor;
//   - 410 when the cursor is older than the replay buffer: some messages
//     are lost to this client, which should reload its state; X-Cursor
//     is then the newest id (or empty), to continue from.
//
// The parked request's subscription ends with its answer, or when its
// connection closes.
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
// callbacks (OnMessage).
func (lp *LongPoll) Serve(c *connection.Conn, req *http.Request, topic string) error {
	param := lp.CursorParam
	if param == "" {
		param = "cursor"
	}
	timeout := lp.Timeout
	if timeout <= 0 {
		timeout = DefaultPollTimeout
	}
	batch := max(lp.Batch, 1)

	p := &poll{c: c, batch: batch}
	sub, err := lp.Hub.SubscribeFunc(c, topic, req.Query().Get(param), p.add)
	if err != nil && sub == nil {
		return err
	}
	p.sub = sub
	if err != nil { // a gap
		p.answer(gone(lp.Hub, topic))
		return nil
	}
	if len(p.msgs) > 0 { // replayed: answer at once
		p.answer(p.response())
		return nil
	}
	p.timer = c.After(timeout, func() { p.answer(http.NewResponse(204, "")) })
	return nil
}

// poll is one parked request. Everything runs on its connection's loop.
type poll struct {
	c     *connection.Conn
	sub   *Subscription
	timer *connection.Timer
	batch int
	msgs  []Message
	done  bool
}

// add takes a message for the request: while subscribing (replay) it
// collects up to batch of them; live, it answers at once.
func (p *poll) add(m *Message) {
	if p.done || len(p.msgs) >= p.batch {
		return
	}
	p.msgs = append(p.msgs, *m)
	if p.sub != nil { // live
		p.answer(p.response())
	}
}

func (p *poll) answer(resp *http.Response) {
	if p.done {
		return
	}
	p.done = true
	if p.sub != nil {
		p.sub.Cancel()
	}
	if p.timer != nil {
		p.timer.Stop()
	}
	resp.Header.Set("Cache-Control", "no-store")
	_ = p.c.Send(resp)
}

func (p *poll) response() *http.Response {
	last := p.msgs[len(p.msgs)-1]
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
		items := make([]item, len(p.msgs))
		for i, m := range p.msgs {
			items[i] = item{m.ID, m.Event, m.Data}
		}
		body, _ := json.Marshal(items)
		resp = http.NewResponse(200, "").WithBody(body).WithHeader("Content-Type", "application/json")
	}
	return resp.WithHeader("X-Cursor", last.ID)
}

// gone is the answer to a cursor older than the replay buffer.
func gone(h *Hub, topic string) *http.Response {
	t := h.topic(topic)
	t.mu.Lock()
	newest := t.lastID
	t.mu.Unlock()
	return http.NewResponse(410, "messages were lost: reload\n").
		WithHeader("Content-Type", "text/plain; charset=utf-8").
		WithHeader("X-Cursor", newest)
}
