// Package websocket runs WebSocket connections (RFC 6455, with the
// permessage-deflate compression of RFC 7692) on the framework's event
// loops, with Workerman's names: servers, as a websocket:// Worker or by
// upgrading requests on an http Worker, and clients. It does its networking
// through package connection. The wire primitives it builds on (frames,
// masking, close payloads, message assembly, deflate) are in package
// github.com/workerman-go/workerman/protocols/websocket/wsframe, for
// protocol authors; an application needs only this package.
//
// # Servers
//
// A websocket:// Worker takes Protocol(Options): each connection answers
// the opening handshake, then OnMessage receives every data message as a
// Message.
//
//	w := worker.New("websocket://0.0.0.0:8000", websocket.Protocol(websocket.Options{}))
//	w.OnMessage = func(c *connection.Conn, m websocket.Message) { c.Send(string(m.Payload)) }
//
// On an http Worker, Upgrade(c, req, opts, onMessage), called from its
// OnMessage, turns a request that asks for it into a WebSocket connection,
// so that pages and WebSockets share a port. Options choose subprotocols,
// compression, limits, pings and the callbacks.
//
// # Clients
//
// Dial(url, ClientOptions) prepares a connection.AsyncConn to a ws:// URL
// (Workerman's AsyncTcpConnection('ws://...')): set its callbacks, then
// Connect. Subprotocol tells which subprotocol the server chose.
//
// # Sending
//
// Send on a WebSocket connection writes
//   - a string as a text frame, or as a binary one with Options.Binary,
//     ClientOptions.Binary or SetBinary;
//   - a []byte as a binary frame;
//   - a Message with its opcode: OpText, OpBinary, OpPing or OpPong;
//   - a protocols.Raw as it is: whole frames encoded beforehand (with
//     wsframe; masked, on a client), such as a broadcast encoded once for
//     many connections.
//
// With permessage-deflate negotiated, data messages of CompressThreshold
// bytes or more are compressed. A client masks every frame it encodes. Once
// a close frame has been sent, Send fails with ErrClosing.
//
// # Closing
//
// Close(c, code, reason) starts the closing handshake: a close frame with
// one of the Close... codes (or 3000-4999), after which nothing more is
// sent; the connection closes when the peer answers, or after CloseTimeout.
// A code that may not be sent (CloseNoStatus, CloseAbnormal, 0, 5000...)
// sends a close frame without a status, which the peer reports as 1005.
// A close frame from the peer is answered and the connection closed.
// OnWebSocketClose tells how a connection ended: with the peer's code and
// reason, CloseNoStatus for a close frame without a code, or CloseAbnormal
// when TCP ended without a close frame.
//
// # Callbacks
//
// Besides the Worker's (or the AsyncConn's) OnConnect, OnMessage and
// OnClose, with Workerman's names: OnWebSocketConnect (a server checks or
// refuses the handshake, picks a subprotocol, adds response fields; on a
// client, the handshake is done), OnWebSocketConnected (a server's 101 is
// sent), OnHTTPRequest (a websocket:// Worker answers a plain HTTP request,
// such as the page that opens the WebSocket), OnWebSocketPing (replaces the
// automatic pong), OnWebSocketPong and OnWebSocketClose.
//
// # Goroutines
//
// OnMessage and the callbacks of Options and ClientOptions run on the
// connection's event loop, one at a time, and must not block; the
// handshake, the reading of frames, pongs, and the ping, idle and close
// timers run there too. Send, Close, SetBinary and
// Subprotocol are safe to call from any goroutine: Send encodes the frame
// on the calling goroutine, and the loop writes frames in the order they
// were sent. The package starts no goroutine of its own.
//
// # Limits
//
// MaxMessageSize (by default the connection's MaxPackageSize, 10 MiB)
// bounds a message after reassembly and decompression: a larger one fails
// the connection with CloseMessageTooBig (1009), detected from the lengths
// its frames announce, before they are buffered. With Deflate,
// decompression stops at the same limit, so a compressed message cannot
// inflate past it. Other breaches of the protocol fail the connection with
// the RFC's code (CloseProtocolError, CloseInvalidPayload for text that is
// not UTF-8).
//
// # Dead peers
//
// A connection (server or client) pings its peer every PingInterval
// (DefaultPingInterval, 30 s, by default) and closes with CloseGoingAway
// (1001) when nothing at all (no message, no pong, no ping) has arrived
// from the peer for IdleTimeout (by default twice the ping interval:
// DefaultIdleTimeout, 60 s), so a peer that vanished without a FIN, or
// that stopped answering, does not hold its connection forever; a peer
// that answers pings stays connected. Zero means the default; a negative
// PingInterval or IdleTimeout turns that check off. The checks of all the
// connections of an event loop run from one loop timer, not a timer per
// connection.
package websocket
