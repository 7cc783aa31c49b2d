package websocket

import "github.com/workerman-go/workerman/protocols/websocket/wsframe"

// Message is a data message as OnMessage receives it: OpText or OpBinary,
// reassembled from its fragments and inflated if it was compressed. Pings,
// pongs and close frames do not reach OnMessage: the connection answers
// them (see Callbacks).
//
// Payload is only valid until OnMessage returns: copy it to keep it.
//
// Send accepts a Message too: OpText or OpBinary sends a data message,
// OpPing or OpPong a control frame (at most 125 bytes of payload).
//
// Message has the same fields as wsframe.Message, so either converts to
// the other.
type Message struct {
	Opcode  Opcode
	Payload []byte
}

// Opcode is the type of a message (wsframe.Opcode): OpText or OpBinary for
// the data messages OnMessage receives, and also OpPing or OpPong for the
// Messages Send accepts.
type Opcode = wsframe.Opcode

// The opcodes an application meets: data messages are OpText (UTF-8, checked
// on arrival) or OpBinary; OpPing and OpPong are control frames a Message
// may carry to Send; OpClose frames are sent by Close.
const (
	OpText   Opcode = wsframe.OpText
	OpBinary Opcode = wsframe.OpBinary
	OpClose  Opcode = wsframe.OpClose
	OpPing   Opcode = wsframe.OpPing
	OpPong   Opcode = wsframe.OpPong
)

// Close status codes, for Close and OnWebSocketClose (RFC 6455 section
// 7.4.1, and the IANA registry for 1012-1015; the same as wsframe's). Codes
// 3000-3999 are registered by libraries and frameworks, 4000-4999 are free
// for applications.
const (
	CloseNormal             = wsframe.CloseNormal             // the purpose of the connection was fulfilled
	CloseGoingAway          = wsframe.CloseGoingAway          // a server going down, a browser leaving the page
	CloseProtocolError      = wsframe.CloseProtocolError      // the peer broke RFC 6455 (or a negotiated extension)
	CloseUnsupportedData    = wsframe.CloseUnsupportedData    // a type of data the endpoint cannot accept (text for a binary-only endpoint)
	CloseNoStatus           = wsframe.CloseNoStatus           // a close frame without a status code; never sent in one
	CloseAbnormal           = wsframe.CloseAbnormal           // the connection was lost without a close frame; never sent
	CloseInvalidPayload     = wsframe.CloseInvalidPayload     // data inconsistent with the message type: invalid UTF-8 in text
	ClosePolicyViolation    = wsframe.ClosePolicyViolation    // a message that violates the endpoint's policy
	CloseMessageTooBig      = wsframe.CloseMessageTooBig      // a message too big to process
	CloseMandatoryExtension = wsframe.CloseMandatoryExtension // (client) the server did not negotiate an extension the client needs
	CloseInternalError      = wsframe.CloseInternalError      // (server) an unexpected condition prevented fulfilling the request
	CloseServiceRestart     = wsframe.CloseServiceRestart     // the server is restarting
	CloseTryAgainLater      = wsframe.CloseTryAgainLater      // the server is overloaded: try again later
	CloseBadGateway         = wsframe.CloseBadGateway         // a gateway or proxy got an invalid response upstream
	CloseTLSHandshake       = wsframe.CloseTLSHandshake       // the TLS handshake failed; never sent
)

// DeflateConfig is what an endpoint allows when it negotiates
// permessage-deflate (RFC 7692), for Options.Deflate and
// ClientOptions.Deflate: the compression level of the messages it sends,
// and context takeover in each direction (see wsframe.DeflateConfig). The
// zero value is the cheapest in memory: flate.BestSpeed, and no compression
// state held between messages.
type DeflateConfig = wsframe.DeflateConfig

// Size is the length of the payload. It makes a Message a protocols.Sizer:
// Send refuses one that does not fit in the room left in the connection's
// send buffer, as it does a string or []byte.
func (m Message) Size() int { return len(m.Payload) }
