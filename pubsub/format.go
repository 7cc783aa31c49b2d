package pubsub

import "github.com/workerman-go/workerman/protocols/sse"

// Format turns a message into the bytes written to a subscriber's
// connection (an SSE event, a WebSocket frame). A Hub encodes each message
// once per Format on each loop, whatever the number of subscribers: Formats
// are compared by identity, so make each one once (a package variable).
type Format struct {
	name   string
	append func(dst []byte, m *Message) ([]byte, error)
}

// NewFormat returns a Format named name (for errors and logs) that encodes
// with fn.
func NewFormat(name string, fn func(dst []byte, m *Message) ([]byte, error)) *Format {
	return &Format{name: name, append: fn}
}

// Append appends m's encoding to dst.
func (f *Format) Append(dst []byte, m *Message) ([]byte, error) { return f.append(dst, m) }

// String is the Format's name.
func (f *Format) String() string { return f.name }

// SSE writes a message as a server-sent event with its id, event name and
// data, for subscribers that are sse.Streams.
var SSE = NewFormat("sse", func(dst []byte, m *Message) ([]byte, error) {
	return sse.Event{ID: m.ID, Event: m.Event, Data: m.Data}.AppendText(dst)
})
