package sse

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/workerman-go/workerman/protocols"
)

// DefaultMaxSize is the limit a Parser applies when its MaxSize is zero or
// less: 1 MiB.
const DefaultMaxSize = 1 << 20

// keepCap is the largest buffer capacity a Parser keeps after use; a larger
// buffer, grown for one long line or event, is released for the garbage
// collector, so that many idle parsers stay small.
const keepCap = 64 << 10

const bom = "\xEF\xBB\xBF"

// maxRetryMillis is the largest retry value, in milliseconds, that fits in a
// time.Duration.
const maxRetryMillis = math.MaxInt64 / int64(time.Millisecond)

// Parser interprets an event stream as a browser does (WHATWG HTML §9.2.6,
// "interpreting an event stream"). The stream is given to Feed in chunks of
// any size, split anywhere, even between the "\r" and the "\n" of a line end
// or inside the byte order mark; the events come out as soon as their blank
// line has arrived.
//
// The rules, in short:
//
//   - One UTF-8 byte order mark at the very start of the stream is skipped;
//     one anywhere else is data.
//   - Lines end with "\r\n", "\n" or "\r".
//   - A line that starts with ':' is a comment, passed to OnComment.
//   - Any other line is a field: the name up to the first ':', the value
//     after it without one leading space (a line without ':' is a name with
//     an empty value). Names are case-sensitive; unknown ones are ignored.
//   - "data" appends the value and "\n" to the event's data; "event" sets its
//     type; "id" sets the last event ID, unless the value contains NUL (then
//     the field is ignored; an empty value sets it to ""); "retry" sets the
//     reconnection delay, in milliseconds, if the value is one or more ASCII
//     digits (other values, and values too large for a time.Duration, are
//     ignored).
//   - A blank line ends the block: the last event ID becomes the one the
//     stream has set so far (LastEventID); then, if the block had data, an
//     Event is dispatched with its data less the final "\n"; the data and the
//     type start again empty. The last event ID carries on to later events.
//   - An unfinished block, and an unfinished line, at the end of the stream
//     are discarded: they never reach Feed's emit.
//
// The parser does not decode UTF-8: field values are kept byte for byte,
// where a browser would replace each invalid sequence with U+FFFD.
//
// Memory is bounded by MaxSize: a line, or the data of one event, longer than
// MaxSize bytes is an error. Parsing allocates nothing per byte or per line:
// a dispatched event costs one allocation for its Data (none if it is
// empty), ID and Event strings are allocated only when they change, and a
// comment costs one allocation only when OnComment is set.
//
// The zero Parser is ready to use. A Parser parses one stream; it is not safe
// for concurrent use.
type Parser struct {
	// MaxSize is the longest line, without its line end, and the longest data
	// of one event, in bytes, that the parser accepts. Zero or less means
	// DefaultMaxSize. Feed returns an error that wraps
	// protocols.ErrPackageTooLarge when the stream exceeds it.
	MaxSize int

	// OnComment, if not nil, is called with each comment line: the text after
	// the ':', without one leading space.
	OnComment func(text string)

	bomDone bool // the start of the stream has been checked for a BOM
	bomHeld int  // bytes of a BOM seen at the start, while undecided
	skipLF  bool // the last line ended with a '\r' at the end of a chunk

	line []byte // the unfinished line carried over from the previous chunk
	data []byte // the data buffer: every data value of the block, each + "\n"

	typ      string // the event type buffer
	typCache string // the last non-empty type seen, to reuse its string
	id       string // the last event ID buffer
	lastID   string // the last event ID as of the last blank line

	retry      time.Duration // reconnection delay set by the stream
	retrySet   bool          // a valid retry field has been seen
	blockRetry time.Duration // reconnection delay set in the current block

	err error // the error that stopped the parser, returned by every Feed
}

// Feed parses chunk, the next bytes of the stream, and calls emit with each
// event it completes, in order (emit may be nil to drop them). emit must not
// call Feed. The parser keeps what it needs of an unfinished line, so chunk
// may be reused once Feed returns.
//
// Feed returns an error, wrapping protocols.ErrPackageTooLarge, when the
// stream breaks the MaxSize bound; the events before that point have been
// emitted. The parser is then stopped, and every later Feed returns the same
// error until Reset.
func (p *Parser) Feed(chunk []byte, emit func(Event)) error {
	if p.err != nil {
		return p.err
	}
	in := chunk
	if !p.bomDone {
		if in = p.skipBOM(in); !p.bomDone {
			return nil
		}
	}
	max := p.MaxSize
	if max <= 0 {
		max = DefaultMaxSize
	}
	// lf is the index of the next '\n' at or after i (-1 if there is none):
	// kept across lines, so a stream whose lines end with '\r' is searched
	// for '\n' once per chunk, not once per line.
	lf := bytes.IndexByte(in, '\n')
	for i := 0; i < len(in); {
		if p.skipLF {
			p.skipLF = false
			if in[i] == '\n' {
				i++
				continue
			}
		}
		if lf >= 0 && lf < i {
			if lf = bytes.IndexByte(in[i:], '\n'); lf >= 0 {
				lf += i
			}
		}
		end := len(in)
		if lf >= 0 {
			end = lf
		}
		if cr := bytes.IndexByte(in[i:end], '\r'); cr >= 0 {
			end = i + cr
		}
		if end == len(in) {
			// No line end in the rest of the chunk: keep it for the next.
			if len(p.line)+end-i > max {
				return p.fail(fmt.Errorf("sse: line longer than MaxSize %d: %w", max, protocols.ErrPackageTooLarge))
			}
			p.line = append(p.line, in[i:]...)
			return nil
		}
		line := in[i:end]
		if len(p.line) > 0 {
			line = append(p.line, line...)
			p.line = line
		}
		if len(line) > max {
			return p.fail(fmt.Errorf("sse: line longer than MaxSize %d: %w", max, protocols.ErrPackageTooLarge))
		}
		i = end + 1
		if in[end] == '\r' {
			if i == len(in) {
				p.skipLF = true
			} else if in[i] == '\n' {
				i++
			}
		}
		if len(line) == 0 {
			// A blank line (never carried over: it has no bytes).
			if p.dispatch() {
				if emit != nil {
					emit(p.event())
				} else {
					p.data, p.typ, p.blockRetry = trim(p.data), "", 0
				}
			}
			continue
		}
		if err := p.processLine(line, max); err != nil {
			return p.fail(err)
		}
		if len(p.line) > 0 {
			p.line = trim(p.line)
		}
	}
	return nil
}

// skipBOM consumes the bytes of a byte order mark at the start of the
// stream. When the stream turns out not to start with one, the bytes it held
// back become the start of the first line.
func (p *Parser) skipBOM(in []byte) []byte {
	for len(in) > 0 {
		if in[0] != bom[p.bomHeld] {
			p.line = append(p.line, bom[:p.bomHeld]...)
			p.bomDone = true
			return in
		}
		in = in[1:]
		if p.bomHeld++; p.bomHeld == len(bom) {
			p.bomDone = true
			return in
		}
	}
	return in
}

// processLine interprets one complete line that is not blank, without its
// line end.
func (p *Parser) processLine(line []byte, max int) error {
	if line[0] == ':' {
		if p.OnComment != nil {
			p.OnComment(string(cutSpace(line[1:])))
		}
		return nil
	}
	name, value := line, []byte(nil)
	if c := bytes.IndexByte(line, ':'); c >= 0 {
		name, value = line[:c], cutSpace(line[c+1:])
	}
	switch string(name) {
	case "data":
		if len(p.data)+len(value) > max {
			return fmt.Errorf("sse: event data longer than MaxSize %d: %w", max, protocols.ErrPackageTooLarge)
		}
		p.data = append(p.data, value...)
		p.data = append(p.data, '\n')
	case "event":
		switch {
		case len(value) == 0:
			p.typ = ""
		case string(value) == p.typCache:
			p.typ = p.typCache
		default:
			p.typCache = string(value)
			p.typ = p.typCache
		}
	case "id":
		if bytes.IndexByte(value, 0) < 0 && string(value) != p.id {
			p.id = string(value)
		}
	case "retry":
		if d, ok := parseRetry(value); ok {
			p.retry, p.retrySet, p.blockRetry = d, true, d
		}
	}
	return nil
}

// dispatch ends a block, at a blank line, and reports whether it has an
// event to dispatch; if so, event returns it and must be called before the
// next line.
func (p *Parser) dispatch() bool {
	p.lastID = p.id
	if len(p.data) > 0 {
		return true
	}
	p.typ, p.blockRetry = "", 0
	return false
}

// event returns the event of the block that dispatch has just ended, and
// empties the block.
func (p *Parser) event() Event {
	e := Event{ID: p.id, Event: p.typ, Data: string(p.data[:len(p.data)-1]), Retry: p.blockRetry}
	p.data = trim(p.data)
	p.typ, p.blockRetry = "", 0
	return e
}

// LastEventID returns the last event ID, as a browser's EventSource would
// report it: the value of the last valid id field before the last blank line.
// A client sends it in the Last-Event-ID header when it reconnects.
func (p *Parser) LastEventID() string { return p.lastID }

// Retry returns the reconnection delay set by the last valid retry field, and
// whether there was one. Unlike an id, a retry field takes effect at once,
// even in a block that is never finished.
func (p *Parser) Retry() (time.Duration, bool) { return p.retry, p.retrySet }

// Reset makes p ready to parse a new stream: it forgets everything about the
// previous one (including LastEventID, Retry and a stopping error) but keeps
// MaxSize and OnComment. A client that reconnects keeps the last event ID and
// the reconnection delay itself.
func (p *Parser) Reset() {
	*p = Parser{MaxSize: p.MaxSize, OnComment: p.OnComment, line: trim(p.line), data: trim(p.data)}
}

func (p *Parser) fail(err error) error {
	p.err = err
	return err
}

// cutSpace removes one leading space from a field value.
func cutSpace(v []byte) []byte {
	if len(v) > 0 && v[0] == ' ' {
		return v[1:]
	}
	return v
}

// trim empties a buffer for reuse, or releases it if it has grown large.
func trim(b []byte) []byte {
	if cap(b) > keepCap {
		return nil
	}
	return b[:0]
}

// parseRetry reads a retry value: one or more ASCII digits, a number of
// milliseconds that fits in a time.Duration.
func parseRetry(v []byte) (time.Duration, bool) {
	if len(v) == 0 {
		return 0, false
	}
	var ms int64
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := int64(c - '0')
		if ms > (maxRetryMillis-d)/10 {
			return 0, false
		}
		ms = ms*10 + d
	}
	return time.Duration(ms) * time.Millisecond, true
}

// Decoder reads events from an io.Reader, with a Parser.
type Decoder struct {
	r       io.Reader
	p       *Parser
	buf     []byte
	queue   []Event // events parsed from the last read and not yet returned
	head    int     // the next event of queue to return
	err     error   // the error that ends the stream, after queue
	empties int     // consecutive reads that returned nothing
	emit    func(Event)
}

// decoderBufferSize is the size of a Decoder's read buffer.
const decoderBufferSize = 16 << 10

// NewDecoder returns a Decoder that reads the stream from r and parses it with
// p, or with a new zero Parser if p is nil. Keep p to configure it before the
// first Next and to read its LastEventID and Retry.
func NewDecoder(r io.Reader, p *Parser) *Decoder {
	if p == nil {
		p = new(Parser)
	}
	d := &Decoder{r: r, p: p, buf: make([]byte, decoderBufferSize)}
	d.emit = func(ev Event) { d.queue = append(d.queue, ev) }
	return d
}

// Next returns the next event of the stream. At the end of the stream it
// returns io.EOF, discarding an unfinished event as a browser does; it
// returns the reader's other errors, and the parser's, as they are, after
// the events that came before them.
func (d *Decoder) Next() (Event, error) {
	for {
		if d.head < len(d.queue) {
			ev := d.queue[d.head]
			d.queue[d.head] = Event{}
			d.head++
			return ev, nil
		}
		d.queue, d.head = d.queue[:0], 0
		if d.err != nil {
			return Event{}, d.err
		}
		n, err := d.r.Read(d.buf)
		if n > 0 {
			d.empties = 0
			if perr := d.p.Feed(d.buf[:n], d.emit); perr != nil {
				d.err = perr
				continue
			}
		} else if err == nil {
			if d.empties++; d.empties >= 100 {
				err = io.ErrNoProgress
			}
		}
		if err != nil {
			d.err = err
		}
	}
}
