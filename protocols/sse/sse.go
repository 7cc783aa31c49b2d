// Package sse is Server-Sent Events (the text/event-stream media type,
// WHATWG HTML §9.2) for workerman-go: the events and their encoding, the
// server side of a stream on an http:// connection, and a parser for the
// client side.
//
// # Encoding
//
// An [Event] (ID, Event type, Data, Retry, Comment) is encoded by AppendText
// as one block of "name: value" lines ending with a blank line, so blocks
// can be written back to back. Every "\r\n", "\r" and "\n" in Data or a
// Comment starts a new data or comment line, so no value can end a block
// early or add a field of its own; an ID with CR, LF or NUL (see [ValidID]),
// an Event type with CR or LF, and a Retry below a millisecond cannot be
// written faithfully and are errors. [Heartbeat] is the smallest comment
// block. The details, and what a browser does with each field, are on Event.
//
// # Starting a stream
//
// [Start] answers a request of the http:// protocol with the head of an
// event stream and returns its [Stream]: Send writes events, Comment
// comments and Close ends it. On any error Start returns no stream, a HEAD
// request included ([ErrHead]). Resumed and LastEventID tell a client that
// reconnects from a new one, and c.WhenClosed runs code when the stream
// ends (see the Start examples):
//
//	s, err := sse.Start(c, r, sse.Options{})
//	if err != nil {
//		return // no stream (ErrHead: a HEAD request got the head alone)
//	}
//	if s.Resumed() {
//		// the client reconnects: send what came after s.LastEventID()
//	} else {
//		// a new client
//	}
//	c.WhenClosed(func() { /* the stream has ended */ })
//
// [Options] set the heartbeat, the Retry advice, CORS and more header
// fields.
//
// Heartbeats ([Heartbeat] comments, every Options.Heartbeat) keep an idle
// stream alive through proxies and reveal a client that has gone. They do
// not cost a timer per stream: one timer per event loop and interval sends
// them for all of that loop's streams, and a stream leaves it when its
// connection closes.
//
// [NoContent] answers 204 instead, which stops a browser's EventSource from
// reconnecting.
//
// # Workerman's way
//
// Code ported from Workerman works as it is: send an http.Response with
// Content-Type text/event-stream and the body "\r\n", then send Events on
// the connection. That is the compatibility path. It has none of what Start
// adds: no heartbeat, no Last-Event-ID handling (read the header yourself),
// no Retry advice, and neither Cache-Control: no-cache nor
// X-Accel-Buffering: no.
//
// # Parsing
//
// A [Parser] interprets a stream as a browser's EventSource does, from
// chunks split anywhere, and returns its events; a [Decoder] does the same
// for an io.Reader. Both bound the memory they keep with Parser.MaxSize. They
// are for Go programs that read a stream: tests, load generators, clients.
package sse

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// ContentType is the media type of an event stream, for the Content-Type
// header of the HTTP response that carries it. An event stream is always
// UTF-8: browsers ignore any charset parameter.
const ContentType = "text/event-stream"

// Heartbeat is the smallest comment block, for keeping an idle stream alive:
// a browser ignores it, and a Parser passes "" to OnComment. It can be
// written between any two encoded events.
const Heartbeat = ":\n\n"

// Errors returned by Event.AppendText and Event.MarshalText.
var (
	ErrInvalidID    = errors.New("sse: id contains CR, LF or NUL")
	ErrInvalidType  = errors.New("sse: event type contains CR or LF")
	ErrInvalidRetry = errors.New("sse: retry is negative or shorter than a millisecond")
)

// Event is one event of a stream. The zero value of each field means "not
// set".
//
// An Event is encoded as one block of lines ending with a blank line, so
// blocks can be written back to back and a browser never sees half of one
// merged with the next. Lines end with "\n" and every field is written as
// "name: value", with one space after the colon, so a value that starts with
// a space keeps it. In order, a block holds:
//
//   - Comment: one ": text" line per line of the comment (a line of the
//     comment that is empty is written as ":"). A browser ignores comments;
//     they keep idle connections and proxies alive.
//   - ID: "id: value". When the browser reaches the blank line it sets its
//     lastEventId to the value, and sends it back in the Last-Event-ID header
//     when it reconnects. An empty ID writes no field, so the browser keeps
//     its previous lastEventId: this package cannot tell it to forget one.
//   - Event: "event: type", the type of the event the browser dispatches
//     ("message", the default, when no type is sent).
//   - Retry: "retry: milliseconds", the browser's new reconnection delay. It
//     takes effect at once, whether or not the block dispatches an event.
//   - Data: one "data: line" per line of Data (an empty line is written as
//     "data:"). Every "\r\n", "\r" and "\n" in Data ends a line, exactly the
//     line ends a browser understands, so no byte of Data can end a field
//     early or start a field of its own; the browser joins the lines with
//     "\n", so it receives every line end as "\n".
//
// A browser dispatches an event only for a block that has at least one data
// field. The encoder therefore writes data lines when Data is not empty, or
// when Event is set: Event{Event: "close"} dispatches a "close" event whose
// data is "". A block with neither (only ID, Retry or Comment) dispatches
// nothing: it updates lastEventId or the reconnection delay, or is a comment.
// To dispatch a "message" with empty data, set Event to "message". The zero
// Event is a lone blank line, which a browser ignores.
//
// Values are written as given: the encoder does not check that they are valid
// UTF-8 (a browser decodes the stream as UTF-8 and replaces each invalid
// sequence with U+FFFD, and this package's parser keeps the bytes as they
// are). An ID that contains "\r", "\n" or NUL, an Event that contains "\r" or
// "\n", and a Retry that is negative or shorter than a millisecond cannot be
// written faithfully and are errors.
//
// The Parser returns events in the same form: ID is the last event ID at the
// time of the dispatch (it persists from one event to the next until the
// stream changes it), Event is the type as sent ("" when the stream sent none,
// which a browser dispatches as "message"), Data is the data without its last
// "\n", Retry is the reconnection delay set by the event's own block (0 if it
// had no valid retry field), and Comment is always "" (comments go to
// Parser.OnComment).
type Event struct {
	ID      string
	Event   string
	Data    string
	Comment string
	// Retry is the reconnection delay, encoded in whole milliseconds
	// (truncated). 0 means none; a negative value or one between 0 and 1 ms
	// is an error.
	Retry time.Duration
}

// AppendText appends the encoded block of e to b and returns the extended
// slice; on error it returns b unchanged. Appending to a slice with enough
// capacity allocates nothing. It implements encoding.TextAppender.
func (e Event) AppendText(b []byte) ([]byte, error) {
	if !validValue(e.ID, false) {
		return b, ErrInvalidID
	}
	if !validValue(e.Event, true) {
		return b, ErrInvalidType
	}
	if e.Retry < 0 || (e.Retry > 0 && e.Retry < time.Millisecond) {
		return b, ErrInvalidRetry
	}
	if e.Comment != "" {
		b = appendLines(b, ":", e.Comment)
	}
	if e.ID != "" {
		b = append(b, "id: "...)
		b = append(b, e.ID...)
		b = append(b, '\n')
	}
	if e.Event != "" {
		b = append(b, "event: "...)
		b = append(b, e.Event...)
		b = append(b, '\n')
	}
	if e.Retry > 0 {
		b = append(b, "retry: "...)
		b = strconv.AppendInt(b, e.Retry.Milliseconds(), 10)
		b = append(b, '\n')
	}
	if e.Data != "" || e.Event != "" {
		b = appendLines(b, "data:", e.Data)
	}
	return append(b, '\n'), nil
}

// MarshalText returns the encoded block of e. It implements
// encoding.TextMarshaler.
func (e Event) MarshalText() ([]byte, error) {
	return e.AppendText(nil)
}

// ValidID reports whether id can be sent as an event id: no CR, LF or NUL.
func ValidID(id string) bool { return validValue(id, false) }

// validValue reports whether s can be the value of an id (nul false) or
// event (nul true) field: no CR or LF, and no NUL unless allowed. IDs and
// types are short, so a plain loop beats the general searches.
func validValue(s string, nul bool) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\r', '\n':
			return false
		case 0:
			if !nul {
				return false
			}
		}
	}
	return true
}

// appendLines appends one line per line of s, each made of prefix, a space
// and the line; an empty line is prefix alone. "\r\n", "\r" and "\n" all end
// a line of s, and a line end at the very end of s is followed by one more,
// empty, line, so the parser gives back s with every line end made "\n".
//
// It searches s for '\n' and '\r' separately, each with the vectorized
// IndexByte, and remembers where the next '\n' is, so that s is searched in
// linear time whatever mix of line ends it holds.
func appendLines(b []byte, prefix, s string) []byte {
	lf := strings.IndexByte(s, '\n') // index of the next '\n' in s, -1 if none
	for {
		end := len(s)
		if lf >= 0 {
			end = lf
		}
		if cr := strings.IndexByte(s[:end], '\r'); cr >= 0 {
			end = cr
		}
		b = append(b, prefix...)
		if end > 0 {
			b = append(b, ' ')
			b = append(b, s[:end]...)
		}
		b = append(b, '\n')
		if end == len(s) {
			return b
		}
		next := end + 1
		if s[end] == '\r' && next < len(s) && s[next] == '\n' {
			next++
		}
		s = s[next:]
		if lf >= 0 {
			if lf -= next; lf < 0 {
				lf = strings.IndexByte(s, '\n')
			}
		}
	}
}

// Size is about how many bytes the event encodes to (its data and comment
// text). It makes an Event a protocols.Sizer: Send refuses one that does
// not fit in the room left in the connection's send buffer.
func (e Event) Size() int { return len(e.Data) + len(e.Comment) + len(e.ID) + len(e.Event) }
