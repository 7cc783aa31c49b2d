package websocket

import (
	"testing"

	"github.com/workerman-go/workerman/protocols"
	"github.com/workerman-go/workerman/protocols/websocket/wsframe"
)

// Data messages count, each way; control frames do not. A fragmented
// message counts once, when it is complete.
func TestMessageCounts(t *testing.T) {
	s := benchCodec()
	recv0, sent0 := MessageCounts()

	for _, msg := range []any{"text", []byte("binary"), Message{Opcode: OpText, Payload: []byte("m")},
		protocols.Raw(wsframe.AppendFrame(nil, wsframe.FrameHeader{Fin: true, Opcode: OpText}, "pre-encoded")),
		Message{Opcode: OpPing}} {
		if _, err := s.Encode(nil, msg); err != nil {
			t.Fatalf("encode %v: %v", msg, err)
		}
	}
	if _, err := s.Encode(nil, 42); err == nil {
		t.Fatal("an int was encoded")
	}

	mask := [4]byte{9, 8, 7, 6}
	var in []byte
	in = wsframe.AppendFrame(in, wsframe.FrameHeader{Fin: true, Opcode: OpText, Masked: true, MaskKey: mask}, "one")
	in = wsframe.AppendFrame(in, wsframe.FrameHeader{Fin: true, Opcode: OpPong, Masked: true, MaskKey: mask}, "")
	in = wsframe.AppendFrame(in, wsframe.FrameHeader{Fin: false, Opcode: OpBinary, Masked: true, MaskKey: mask}, "two, ")
	in = wsframe.AppendFrame(in, wsframe.FrameHeader{Fin: true, Opcode: wsframe.OpContinuation, Masked: true, MaskKey: mask}, "in parts")
	delivered := 0
	for len(in) > 0 {
		m, n, skip, err := s.Decode(in)
		if err != nil || n == 0 {
			t.Fatalf("decode: %d %v", n, err)
		}
		if !skip && (m.Opcode == OpText || m.Opcode == OpBinary) {
			delivered++
		}
		in = in[n:]
	}

	recv, sent := MessageCounts()
	if recv-recv0 != 2 || delivered != 2 {
		t.Errorf("received moved by %d (%d delivered), want 2", recv-recv0, delivered)
	}
	if sent-sent0 != 4 {
		t.Errorf("sent moved by %d, want 4 (a ping is not a message)", sent-sent0)
	}
}
