package wsframe_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/workerman-go/workerman/protocols"
	"github.com/workerman-go/workerman/protocols/websocket/wsframe"
)

// A server codec reads client frames with an Assembler, answers pings and
// closes, and writes unmasked frames.
func Example() {
	a := wsframe.NewAssembler(wsframe.Config{Role: wsframe.RoleServer, MaxMessageSize: 1 << 20})

	// What a browser might send: a text message in two fragments with a
	// ping between them, then a close. Clients mask every frame.
	var in []byte
	for _, f := range []struct {
		fin     bool
		op      wsframe.Opcode
		payload string
	}{
		{false, wsframe.OpText, "Hello, "},
		{true, wsframe.OpPing, "are you there?"},
		{true, wsframe.OpContinuation, "world"},
		{true, wsframe.OpClose, "\x03\xe8bye"},
	} {
		h := wsframe.FrameHeader{Fin: f.fin, Opcode: f.op, Masked: true, MaskKey: wsframe.NewMaskKey()}
		in = wsframe.AppendFrame(in, h, f.payload)
	}

	var out []byte // what the server writes back
	for len(in) > 0 {
		m, n, ok, err := a.Next(in)
		if err != nil {
			fmt.Println("error:", err)
			return
		}
		in = in[n:]
		if !ok {
			if n == 0 {
				break // need more bytes
			}
			continue // consumed part of a message
		}
		switch m.Opcode {
		case wsframe.OpText, wsframe.OpBinary:
			fmt.Printf("%s message: %q\n", m.Opcode, m.Payload)
		case wsframe.OpPing:
			fmt.Printf("ping %q\n", m.Payload)
			out = wsframe.AppendFrame(out, wsframe.FrameHeader{Fin: true, Opcode: wsframe.OpPong}, m.Payload)
		case wsframe.OpClose:
			code, reason, _ := wsframe.ParseClosePayload(m.Payload)
			fmt.Printf("close %d %q\n", code, reason)
			out = append(out, wsframe.CloseFrame(code, "")...)
		}
	}
	fmt.Printf("reply: % x\n", out)

	// Output:
	// ping "are you there?"
	// text message: "Hello, world"
	// close 1000 "bye"
	// reply: 8a 0e 61 72 65 20 79 6f 75 20 74 68 65 72 65 3f 88 02 03 e8
}

// A frame that breaks the protocol fails the connection with a close frame
// carrying the close code: the error is a protocols.Rejection.
func ExampleProtocolError() {
	a := wsframe.NewAssembler(wsframe.Config{})
	// An unmasked frame from a client.
	_, _, _, err := a.Next(wsframe.AppendFrame(nil, wsframe.FrameHeader{Fin: true, Opcode: wsframe.OpText}, "hi"))
	fmt.Println(err)

	var pe *wsframe.ProtocolError
	if errors.As(err, &pe) {
		fmt.Println("close code:", pe.Code)
	}
	var rej protocols.Rejection
	if errors.As(err, &rej) {
		fmt.Printf("reply: %q\n", rej.Reply())
	}
	// Output:
	// websocket: unmasked frame from the client (close 1002, protocol error)
	// close code: 1002
	// reply: "\x88 \x03\xeaunmasked frame from the client"
}

// Next consumes what has arrived and delivers a message once it is
// complete, so a codec never waits for a whole frame to be buffered.
func ExampleAssembler_Next() {
	a := wsframe.NewAssembler(wsframe.Config{Role: wsframe.RoleClient})
	// A server's frame (unmasked), arriving in two reads.
	frame := wsframe.AppendFrame(nil, wsframe.FrameHeader{Fin: true, Opcode: wsframe.OpText}, "Hello")

	m, n, ok, _ := a.Next(frame[:4])
	fmt.Println(n, ok) // the header and 2 payload bytes
	m, n, ok, _ = a.Next(frame[4:])
	fmt.Println(n, ok, m.Opcode, string(m.Payload))
	// Output:
	// 4 false
	// 3 true text Hello
}

// A codec parses a header once it has all arrived, then unmasks the
// payload in place.
func ExampleParseFrameHeader() {
	// A client's masked "Hello" (RFC 6455 section 5.7).
	in := []byte{0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}
	if _, n, _ := wsframe.ParseFrameHeader(in[:3]); n == 0 {
		fmt.Println("need more bytes")
	}
	h, n, err := wsframe.ParseFrameHeader(in)
	if err != nil {
		fmt.Println(err)
		return
	}
	payload := in[n : n+int(h.Length)]
	wsframe.Mask(h.MaskKey, 0, payload)
	fmt.Println(h.Fin, h.Opcode, h.Masked, h.Length, string(payload))
	// Output:
	// need more bytes
	// true text true 5 Hello
}

// A server's frames are unmasked; a client masks each frame, with a fresh
// key from NewMaskKey (a fixed one here, to show the bytes).
func ExampleAppendFrame() {
	server := wsframe.AppendFrame(nil, wsframe.FrameHeader{Fin: true, Opcode: wsframe.OpText}, "Hello")
	fmt.Printf("% x\n", server)

	h := wsframe.FrameHeader{Fin: true, Opcode: wsframe.OpText, Masked: true, MaskKey: [4]byte{0x37, 0xfa, 0x21, 0x3d}}
	client := wsframe.AppendFrame(nil, h, "Hello")
	fmt.Printf("% x\n", client)
	// Output:
	// 81 05 48 65 6c 6c 6f
	// 81 85 37 fa 21 3d 7f 9f 4d 51 58
}

func ExampleAcceptKey() {
	key := "dGhlIHNhbXBsZSBub25jZQ==" // Sec-WebSocket-Key, RFC 6455 section 1.3
	if wsframe.ValidKey(key) {
		fmt.Println("Sec-WebSocket-Accept:", wsframe.AcceptKey(key))
	}
	// Output: Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=
}

func ExampleSelectSubprotocol() {
	offered := "mqtt, v2.chat, chat" // Sec-WebSocket-Protocol from the client
	fmt.Println(wsframe.SelectSubprotocol(offered, []string{"chat", "v2.chat"}))
	// Output: chat
}

func ExampleParseExtensions() {
	exts, err := wsframe.ParseExtensions(`permessage-deflate; client_max_window_bits; server_max_window_bits="10", permessage-deflate`)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range exts {
		fmt.Println(e.Name, e.Params)
	}
	// Output:
	// permessage-deflate [{client_max_window_bits } {server_max_window_bits 10}]
	// permessage-deflate []
}

// A server accepts the first permessage-deflate offer it can honour and
// answers with the agreed parameters.
func ExampleNegotiateDeflate() {
	offers, _ := wsframe.ParseExtensions("permessage-deflate; server_max_window_bits=10, permessage-deflate; client_max_window_bits")
	params, ok := wsframe.NegotiateDeflate(offers, wsframe.DeflateConfig{ServerContextTakeover: true})
	if !ok {
		fmt.Println("no compression")
		return
	}
	fmt.Println("Sec-WebSocket-Extensions:", params)

	// The connection's compressor and decompressor.
	comp := params.NewCompressor(wsframe.RoleServer, 0)
	defer comp.Release()
	dec := params.NewDecompressor(wsframe.RoleServer)
	_ = wsframe.Config{Role: wsframe.RoleServer, Decompressor: dec}
	// Output: Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover
}

// Compressed frames carry RSV1; an Assembler with a Decompressor inflates
// them.
func ExampleCompressor_AppendFrame() {
	msg := strings.Repeat("a message, ", 15)
	comp := wsframe.NewCompressor(0, false)
	frame := comp.AppendFrameString(nil, wsframe.FrameHeader{Fin: true, Opcode: wsframe.OpText}, msg)
	fmt.Println(len(msg), "bytes in", len(frame), "bytes on the wire")

	a := wsframe.NewAssembler(wsframe.Config{Role: wsframe.RoleClient, Decompressor: wsframe.NewDecompressor(false)})
	m, _, _, err := a.Next(frame)
	fmt.Println(string(m.Payload) == msg, err)
	// Output:
	// 165 bytes in 31 bytes on the wire
	// true <nil>
}

func ExampleCloseFrame() {
	frame := wsframe.CloseFrame(wsframe.CloseGoingAway, "restarting")
	fmt.Printf("% x\n", frame)

	h, n, _ := wsframe.ParseFrameHeader(frame)
	code, reason, err := wsframe.ParseClosePayload(frame[n : n+int(h.Length)])
	fmt.Println(h.Opcode, code, reason, err)
	fmt.Println(&wsframe.CloseError{Code: code, Reason: reason})
	// Output:
	// 88 0c 03 e9 72 65 73 74 61 72 74 69 6e 67
	// close 1001 restarting <nil>
	// websocket: close 1001 (going away): restarting
}
