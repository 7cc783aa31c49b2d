// Package wsframe is the wire layer of WebSocket: RFC 6455 (The WebSocket
// Protocol) and RFC 7692 (permessage-deflate) as pure code over byte slices.
// It holds frames (Opcode, FrameHeader, ParseFrameHeader, AppendFrame),
// masking (Mask, NewMaskKey), close payloads (the close codes,
// ParseClosePayload, AppendClosePayload, CloseFrame, CloseError), message
// assembly with every validation the RFCs require (Assembler, with its
// *ProtocolError), the handshake's computations (AcceptKey, ValidKey,
// SelectSubprotocol, ParseExtensions), and compression (NegotiateDeflate,
// DeflateOffer, ParseDeflateResponse, Compressor, Decompressor).
//
// Applications do not need it: package
// github.com/workerman-go/workerman/protocols/websocket runs WebSocket
// servers and clients on the framework's connections, and builds on this
// package. wsframe is for protocol authors and for clients that speak
// WebSocket on their own sockets, such as a load generator.
//
// It does no networking and holds no connection: it never reads, writes,
// blocks or starts a goroutine, and it does not parse HTTP. Everything here
// is shaped for an event-loop codec, which is handed all the bytes buffered
// so far and must say how many it consumed:
//
//   - ParseFrameHeader returns n == 0 until a whole header has arrived;
//   - Assembler.Next consumes headers and payload bytes as they arrive, and
//     returns a message once one is complete, a *ProtocolError otherwise
//     when the peer breaks the protocol;
//   - AppendFrame, CloseFrame and Compressor.AppendFrame append to a caller's
//     buffer.
//
// # Receiving
//
// An Assembler per connection enforces the rules of RFC 6455 section 5
// (masking by role, reserved bits and opcodes, control frames,
// fragmentation), validates text as UTF-8 incrementally, limits message
// sizes from the lengths frames announce, validates close frames, and, with a
// Decompressor, inflates compressed messages under the same limit. Every
// violation is a *ProtocolError carrying the close code to fail the
// connection with; it implements protocols.Rejection, so its Reply (the close
// frame) reaches the peer before the framework closes the connection.
//
// # Sending
//
// A server sends unmasked frames; a client masks every frame with a fresh
// key from NewMaskKey. AppendFrame writes a frame for a string or []byte
// payload; with permessage-deflate, Compressor.AppendFrame writes a
// compressed one.
//
// # Handshake
//
// AcceptKey and ValidKey compute and check the keys, SelectSubprotocol picks
// a subprotocol, ParseExtensions reads Sec-WebSocket-Extensions, and
// NegotiateDeflate (server) or DeflateOffer and ParseDeflateResponse
// (client) agree on permessage-deflate parameters.
//
// # Performance
//
// Nothing here allocates per frame in the steady state: header parsing and
// encoding, masking (8 bytes at a time), UTF-8 validation (through
// utf8.Valid, 8 ASCII bytes at a time) and message assembly work in place or
// in retained buffers. A single-frame message that arrived whole is unmasked
// where it lies and delivered without a copy. Compression uses pooled
// compress/flate writers and readers (compress/flate itself allocates Huffman
// tables for some blocks); see Compressor and Decompressor for the memory
// each connection holds with and without context takeover.
package wsframe
