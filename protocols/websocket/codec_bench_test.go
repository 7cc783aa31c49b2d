package websocket

import (
	"strings"
	"testing"

	"github.com/workerman-go/workerman/protocols/websocket/wsframe"
)

// benchCodec is a server codec past its handshake, without a connection.
func benchCodec() *codec {
	s := newCodec((&Options{}).settings(1 << 20))
	s.ready.Store(true)
	return s
}

// BenchmarkEncodeText is the codec's part of sending a 64-byte text
// message: Send("...") on a WebSocket connection.
func BenchmarkEncodeText(b *testing.B) {
	s := benchCodec()
	msg := strings.Repeat("x", 64)
	out := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if out, err = s.Encode(out[:0], msg); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeText is the codec's part of receiving a masked 64-byte
// text message (the copy of the frame, which the codec unmasks in place,
// included).
func BenchmarkDecodeText(b *testing.B) {
	s := benchCodec()
	wire := wsframe.AppendFrame(nil, wsframe.FrameHeader{Fin: true, Opcode: OpText, Masked: true, MaskKey: [4]byte{1, 2, 3, 4}}, strings.Repeat("x", 64))
	in := make([]byte, len(wire))
	b.SetBytes(int64(len(wire)))
	b.ReportAllocs()
	for b.Loop() {
		copy(in, wire)
		m, n, _, err := s.Decode(in)
		if err != nil || n != len(wire) || len(m.Payload) != 64 {
			b.Fatal(n, err)
		}
	}
}
