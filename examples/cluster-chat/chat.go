package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/examples/internal/author"
	"github.com/workerman-go/workerman/protocols/http"
	"github.com/workerman-go/workerman/protocols/sse"
	"github.com/workerman-go/workerman/protocols/websocket"
	"github.com/workerman-go/workerman/protocols/websocket/wsframe"
	"github.com/workerman-go/workerman/pubsub"
	"github.com/workerman-go/workerman/pubsub/publishapi"
	"github.com/workerman-go/workerman/worker"
)

const (
	// publishTimeout bounds a publish of POST /send (504 beyond).
	publishTimeout = 10 * time.Second
	// maxIDBytes bounds an id a client sends back (?last=, ?cursor=).
	maxIDBytes = 256
	// maxPollItems bounds the messages of a first poll's answer: the
	// newest of the history (the page shows no more).
	maxPollItems = 500
)

// chatOptions configure a chat.
type chatOptions struct {
	hub *pubsub.Hub
	// secret is the publish API's; "" mounts no API.
	secret string
	// pollTimeout is how long a poll waits (default
	// pubsub.DefaultPollTimeout).
	pollTimeout time.Duration
}

// chat is the chat room: its pubsub topic, the long polling on it, and the
// publish API.
type chat struct {
	hub         *pubsub.Hub
	poll        *pubsub.LongPoll
	pollTimeout time.Duration
	api         *publishapi.API // nil: none
}

func newChat(opts chatOptions) (*chat, error) {
	ch := &chat{hub: opts.hub, pollTimeout: opts.pollTimeout}
	if ch.pollTimeout <= 0 {
		ch.pollTimeout = pubsub.DefaultPollTimeout
	}
	ch.poll = &pubsub.LongPoll{Hub: ch.hub, Timeout: ch.pollTimeout, Batch: maxPollItems}
	if opts.secret != "" {
		api, err := publishapi.New(publishapi.Options{
			Hub:          ch.hub,
			Secret:       []byte(opts.secret),
			MaxBodyBytes: maxBody,
			MaxDataBytes: maxData,
		})
		if err != nil {
			return nil, fmt.Errorf("the publish API: %w", err)
		}
		ch.api = api
	}
	return ch, nil
}

// newServer returns the chat's worker, listening on hostport once started.
func newServer(hostport string, ch *chat) *worker.Worker[*http.Request] {
	pages, err := fs.Sub(public, "public")
	if err != nil {
		panic(err) // the embedded folder is part of the program
	}
	files := http.NewFSServer(pages)
	index, err := fs.ReadFile(pages, "index.html")
	if err != nil {
		panic(err)
	}

	w := worker.New("http://"+hostport, http.ProtocolWith(http.Config{Limits: http.Limits{MaxBodyBytes: maxBody}}))
	w.Name = "cluster-chat"
	// The hub writes a new page's history at once: the send buffer holds
	// it, where the default 1 MiB could disconnect the page as a slow one.
	w.MaxSendBufferSize = sendBuffer
	// A send refused for a full buffer: the client is too slow for the
	// chat. As the connection package recommends, it is closed, and it
	// reconnects with the id of the last message it has, and catches up.
	w.OnError = func(c *connection.Conn, err error) {
		if errors.Is(err, connection.ErrSendBufferFull) {
			slog.Info("cluster-chat: a client does not keep up; disconnected, it will catch up when it reconnects", "conn", c.ID(), "peer", c.RemoteAddr())
			c.Destroy()
			return
		}
		slog.Debug("cluster-chat: connection error", "conn", c.ID(), "err", err)
	}
	w.OnMessage = func(c *connection.Conn, r *http.Request) {
		if ch.api != nil && ch.api.Serve(c, r) {
			return // POST /publish
		}
		switch {
		case ch.api == nil && r.Path == publishapi.DefaultPath:
			c.Send(http.NewResponse(404, "the publish API is off: start the chat with -publish-secret or $"+secretEnv+"\n"))
		case r.Path == "/" && r.IsUpgrade("websocket"):
			ch.websocket(c, r)
		case r.Path == "/" && r.AcceptsEventStream():
			ch.stream(c, r)
		case r.Path == "/" && (r.Method == "GET" || r.Method == "HEAD"):
			// The page, served here rather than by the file server, to give
			// a new user a colour before the first message.
			resp := http.NewResponse(200, string(index)).WithHeader("Content-Type", "text/html; charset=utf-8")
			author.Color(r, resp)
			c.Send(resp)
		case r.Path == "/poll":
			ch.longPoll(c, r)
		case r.Path == "/send":
			ch.send(c, r)
		default:
			files.Serve(c, r)
		}
	}
	return w
}

// message is the data of one chat message.
type message struct {
	Author  string `json:"author"`  // rgb(r,g,b)
	Content string `json:"content"` // plain text
}

// item is a message as a WebSocket or a poll delivers it: the shape of
// pubsub.LongPoll's batches.
type item struct {
	ID    string `json:"id,omitempty"`
	Event string `json:"event,omitempty"`
	Data  string `json:"data"`
}

// resetItem tells a WebSocket client that the history follows, replacing
// what it shows (SSE clients get an event "reset").
const resetItem = `{"event":"reset","data":""}`

// --- Server-sent events ---

// stream starts the event stream of a page.
func (ch *chat) stream(c *connection.Conn, r *http.Request) {
	s, err := sse.Start(c, r, sse.Options{})
	if err != nil {
		return // answered already
	}
	ch.subscribeSSE(c, s, s.LastEventID())
}

// subscribeSSE writes the topic's messages to the stream: those after the
// id last (the last message the page has), or, for a new page (last ==
// ""), the whole history after a "reset". Either way the hub writes the
// replayed messages, then the live ones, with none lost or repeated in
// between, whichever process published them.
func (ch *chat) subscribeSSE(c *connection.Conn, s *sse.Stream, last string) {
	opts := pubsub.SubscribeOptions{After: last, ReplayAll: last == ""}
	if last == "" {
		s.Send(sse.Event{Event: "reset"}) // the history follows
	}
	var sub *pubsub.Subscription
	if last != "" {
		// The messages after last are no longer kept (or last comes from
		// elsewhere): the page starts over with the history, on a
		// subscription that replays it.
		opts.OnGap = func(error) {
			sub.Cancel()
			ch.subscribeSSE(c, s, "")
		}
	}
	var err error
	if sub, err = ch.hub.Subscribe(c, topic, pubsub.SSE, opts); err != nil {
		c.Close() // the connection is closing
	}
}

// --- WebSocket ---

// wsFormat writes a message to a WebSocket as one text frame holding an
// item: its id, and its data as a JSON string.
var wsFormat = pubsub.NewFormat("cluster-chat-websocket", func(dst []byte, m *pubsub.Message) ([]byte, error) {
	b, err := json.Marshal(item{ID: m.ID, Event: m.Event, Data: m.Data})
	if err != nil {
		return dst, err
	}
	return wsframe.AppendFrame(dst, wsframe.FrameHeader{Fin: true, Opcode: wsframe.OpText}, b), nil
})

// websocket upgrades a request on / to the page's WebSocket; ?last= is the
// id of the last message the page has.
func (ch *chat) websocket(c *connection.Conn, r *http.Request) {
	last := r.Query().Get("last")
	if len(last) > maxIDBytes {
		c.Send(http.NewResponse(400, fmt.Sprintf("last: an id has at most %d bytes\n", maxIDBytes)))
		return
	}
	opts := websocket.Options{
		OnWebSocketConnected: func(c *connection.Conn, _ *http.Request) { ch.subscribeWS(c, last) },
	}
	// A refused handshake is answered with its HTTP error by Upgrade.
	_ = websocket.Upgrade(c, r, opts, func(c *connection.Conn, _ websocket.Message) {
		// The socket only receives: a message sent on it would be lost.
		websocket.Close(c, websocket.ClosePolicyViolation, "send messages with POST /send")
	})
}

// subscribeWS is subscribeSSE for a WebSocket.
func (ch *chat) subscribeWS(c *connection.Conn, last string) {
	opts := pubsub.SubscribeOptions{After: last, ReplayAll: last == ""}
	if last == "" {
		c.Send(resetItem) // a text message: the history follows
	}
	var sub *pubsub.Subscription
	if last != "" {
		opts.OnGap = func(error) {
			sub.Cancel()
			ch.subscribeWS(c, "")
		}
	}
	var err error
	if sub, err = ch.hub.Subscribe(c, topic, wsFormat, opts); err != nil {
		c.Close() // the connection is closing
	}
}

// --- Long polling ---

// longPoll answers GET /poll: with ?cursor=, pubsub.LongPoll (the messages
// after it, or the next one); without, the history or the next message.
func (ch *chat) longPoll(c *connection.Conn, r *http.Request) {
	if r.Method != "GET" {
		c.Send(http.NewResponse(405, "use GET\n").WithHeader("Allow", "GET"))
		return
	}
	cursor := r.Query().Get("cursor")
	if len(cursor) > maxIDBytes {
		c.Send(http.NewResponse(400, fmt.Sprintf("cursor: an id has at most %d bytes\n", maxIDBytes)))
		return
	}
	var err error
	if cursor != "" {
		err = ch.poll.Serve(c, r, topic)
	} else {
		err = ch.firstPoll(c)
	}
	if err != nil {
		c.Close() // the connection is closing
	}
}

// firstPoll parks a poll without a cursor: it is answered with the
// history (at once when there is one) and the messages that came while it
// was read, or else with the next message, or 204 after the poll timeout.
func (ch *chat) firstPoll(c *connection.Conn) error {
	p := &parkedPoll{c: c}
	sub, err := ch.hub.SubscribeFunc(c, topic, p.messages, pubsub.SubscribeOptions{ReplayAll: true, OnGap: p.gap})
	if err != nil {
		return err
	}
	// The history and the live messages come in later loop tasks: after
	// these two are set.
	p.sub = sub
	p.timer = c.After(ch.pollTimeout, func() { p.answer(http.NewResponse(204, "")) })
	return nil
}

// parkedPoll is a poll without a cursor. Everything runs on its
// connection's loop.
type parkedPoll struct {
	c     *connection.Conn
	sub   *pubsub.Subscription
	timer *connection.Timer
	done  bool
}

// messages answers with the first messages delivered: the history and
// those held while it was read, or the first live ones.
func (p *parkedPoll) messages(ms []pubsub.Message) {
	if len(ms) == 0 {
		return
	}
	ms = ms[max(0, len(ms)-maxPollItems):]
	items := make([]item, len(ms))
	for i, m := range ms {
		items[i] = item{ID: m.ID, Event: m.Event, Data: m.Data}
	}
	body, err := json.Marshal(items)
	if err != nil { // strings only: it cannot fail
		p.answer(http.NewResponse(500, err.Error()+"\n"))
		return
	}
	p.answer(http.NewResponse(200, "").WithBody(body).
		WithHeader("Content-Type", "application/json").
		WithHeader("X-Cursor", ms[len(ms)-1].ID))
}

// gap answers 503: the history could not be read (the broker is down) or
// messages were lost meanwhile; the page polls again.
func (p *parkedPoll) gap(err error) {
	slog.Warn("cluster-chat: a poll without cursor: no history", "err", err)
	p.answer(http.NewResponse(503, "the history is unavailable: retry\n").WithHeader("Retry-After", "1"))
}

func (p *parkedPoll) answer(resp *http.Response) {
	if p.done {
		return
	}
	p.done = true
	p.sub.Cancel()
	p.timer.Stop()
	resp.Header.Set("Cache-Control", "no-store")
	_ = p.c.Send(resp) // an error: the client left, or OnError was told
}

// --- Sending ---

// send takes a message: POST /send with the form field "message". It is
// published on a goroutine (with Redis, publishing waits for the network,
// which an event loop must not), which sends the answer.
func (ch *chat) send(c *connection.Conn, r *http.Request) {
	if r.Method != "POST" {
		c.Send(http.NewResponse(405, "use POST\n").WithHeader("Allow", "POST"))
		return
	}
	if len(r.Body) > maxSendBody {
		c.Send(http.NewResponse(413, fmt.Sprintf("a POST /send has at most %d bytes of body\n", maxSendBody)))
		return
	}
	form, err := r.PostForm()
	text := strings.TrimSpace(form.Get("message"))
	switch {
	case err != nil:
		c.Send(http.NewResponse(400, "bad form: "+err.Error()+"\n"))
		return
	case text == "":
		c.Send(http.NewResponse(400, "empty message\n"))
		return
	case utf8.RuneCountInString(text) > maxMessage:
		c.Send(http.NewResponse(413, fmt.Sprintf("a message has at most %d characters\n", maxMessage)))
		return
	}
	resp := http.NewResponse(200, "ok\n").WithHeader("Content-Type", "text/plain; charset=utf-8")
	data, err := json.Marshal(message{Author: author.Color(r, resp), Content: text})
	if err != nil { // strings only: it cannot fail
		c.Send(http.NewResponse(500, err.Error()+"\n"))
		return
	}
	go c.Guard("cluster-chat publish", func() {
		ctx, cancel := context.WithTimeout(context.Background(), publishTimeout)
		defer cancel()
		if _, err := ch.hub.Publish(ctx, topic, pubsub.Message{Data: string(data)}); err != nil {
			resp = publishFailure(err)
		}
		if err := c.Send(resp); err != nil {
			// The client left (the message is published all the same), or
			// OnError was told.
			slog.Debug("cluster-chat: the answer to POST /send was not sent", "conn", c.ID(), "err", err)
		}
	})
}

// publishFailure is the answer to a POST /send whose publish failed: 503
// when the broker cannot be reached (the page sends it again), 504 when it
// took too long (it may have been published), 500 otherwise. Each is
// logged.
func publishFailure(err error) *http.Response {
	switch {
	case errors.Is(err, pubsub.ErrUnavailable):
		slog.Warn("cluster-chat: publish: the broker is unavailable", "err", err)
		return http.NewResponse(503, "the chat is unavailable for a moment: retry\n").WithHeader("Retry-After", "1")
	case errors.Is(err, context.DeadlineExceeded):
		slog.Warn("cluster-chat: publish timed out", "err", err)
		return http.NewResponse(504, "sending took too long: the message may have been sent\n")
	default:
		slog.Error("cluster-chat: publish failed", "err", err)
		return http.NewResponse(500, "not sent: "+err.Error()+"\n")
	}
}
