package http

import (
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/protocols"
)

// idleGrace is how long an idle keep-alive connection stays open once the
// server has handed over to a new process: a request already on its way
// is answered (with "Connection: close") instead of meeting a closed
// connection. A client that sends nothing in that time is not waiting for
// anything.
const idleGrace = time.Second

// Drain implements connection.Drainer: the server is stopping, or a new
// process has taken over the listening socket (restart).
//
//   - A request being read or answered is answered, with
//     "Connection: close", and the connection closes after it.
//   - An idle keep-alive connection closes: at once on a stop, after
//     idleGrace on a restart (a request that arrives meanwhile is answered
//     and closes it).
//   - An event stream ends; on a restart its last event is a retry hint
//     (Config.RestartRetry), so that the browser comes back to the new
//     process soon, with its Last-Event-ID.
//   - Another stream (a body without a length) ends.
func (s *serverCodec) Drain(c *connection.Conn, restart bool) {
	if s.h2 != nil {
		// GOAWAY; each stream drains as a connection of its own.
		s.h2.goAway()
		return
	}
	s.mu.Lock()
	s.draining = true
	streaming, events := s.streaming, s.events
	s.mu.Unlock()
	switch {
	case streaming && events && restart:
		_ = c.Send(protocols.Raw(retryHint(s.proto.cfg.RestartRetry)))
		c.Close()
	case streaming:
		c.Close()
	case !s.idle():
		// completeLocked closes the connection after the response.
	case restart:
		c.After(idleGrace, func() {
			if s.idle() {
				c.Close()
			}
		})
	default:
		c.Close()
	}
}

// idle reports whether no request is being read or answered. It runs on
// the connection's loop.
func (s *serverCodec) idle() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cur == nil && !s.streaming && s.loading == nil && (s.parser == nil || !s.parser.inProgress())
}

// retryHint is the event-stream field that sets a browser's reconnection
// delay to a random value in [d, 2d), followed by the blank line that ends
// the (empty) event.
func retryHint(d time.Duration) string {
	ms := d.Milliseconds()
	ms += rand.Int64N(max(ms, 1))
	return "retry: " + strconv.FormatInt(ms, 10) + "\n\n"
}
