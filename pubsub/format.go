package pubsub

import (
	"github.com/workerman-go/workerman/protocols/sse"
	"github.com/workerman-go/workerman/protocols/websocket/wsframe"
)

// Format turns a message into the bytes written to a subscriber's
// connection (an SSE event, a WebSocket frame). A Hub encodes each message
// once per Format on each loop, whatever the number of subscribers: Formats
// are compared by identity, so make each one once (a package variable).
//
// The Formats of the built-in protocols are here (SSE, WebSocketText,
// WebSocketBinary, Raw), so that the protocols need not know this package;
// NewFormat makes others. The bytes are sent through the connection's codec
// as protocols.Raw, so a connection whose state allows no message (a
// WebSocket that sent its close frame) refuses them.
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

// WebSocketText writes a message's Data as one text frame, for subscribers
// that are WebSocket connections (a websocket:// Worker, or an upgrade). The
// frame is a server's: unmasked and uncompressed, which is valid whatever
// extensions a connection negotiated, so one encoding serves them all.
// Data must be UTF-8, as the browser requires of a text message.
var WebSocketText = NewFormat("websocket-text", func(dst []byte, m *Message) ([]byte, error) {
	return wsframe.AppendFrame(dst, wsframe.FrameHeader{Fin: true, Opcode: wsframe.OpText}, m.Data), nil
})

// WebSocketBinary writes a message's Data as one binary frame (an
// ArrayBuffer or Blob in the browser), as WebSocketText does for text.
var WebSocketBinary = NewFormat("websocket-binary", func(dst []byte, m *Message) ([]byte, error) {
	return wsframe.AppendFrame(dst, wsframe.FrameHeader{Fin: true, Opcode: wsframe.OpBinary}, m.Data), nil
})

// Raw writes a message's Data as it is: for connections of a protocol that
// frames nothing more (tcp), or when the publisher has encoded the data
// for its subscribers' protocol itself (a text:// line ending in "\n").
var Raw = NewFormat("raw", func(dst []byte, m *Message) ([]byte, error) {
	return append(dst, m.Data...), nil
})
