package pubsub_test

import (
	"bytes"
	"testing"

	"github.com/workerman-go/workerman/protocols/websocket/wsframe"
	"github.com/workerman-go/workerman/pubsub"
)

// The WebSocket formats write one whole server frame per message, which a
// client-side Assembler reads back as the message; Raw writes the data as
// it is.
func TestFormats(t *testing.T) {
	m := &pubsub.Message{ID: "e-1", Event: "news", Data: "héllo\nworld"}
	for _, tc := range []struct {
		f  *pubsub.Format
		op wsframe.Opcode
	}{{pubsub.WebSocketText, wsframe.OpText}, {pubsub.WebSocketBinary, wsframe.OpBinary}} {
		b, err := tc.f.Append([]byte("prefix"), m)
		if err != nil || !bytes.HasPrefix(b, []byte("prefix")) {
			t.Fatalf("%v: Append = %q, %v: it must append", tc.f, b, err)
		}
		a := wsframe.NewAssembler(wsframe.Config{Role: wsframe.RoleClient})
		got, n, ok, err := a.Next(b[len("prefix"):])
		if err != nil || !ok || n != len(b)-len("prefix") {
			t.Fatalf("%v: frame %q: n %d ok %v err %v", tc.f, b, n, ok, err)
		}
		if got.Opcode != tc.op || string(got.Payload) != m.Data {
			t.Fatalf("%v: read back %v %q", tc.f, got.Opcode, got.Payload)
		}
	}
	b, err := pubsub.Raw.Append(nil, m)
	if err != nil || string(b) != m.Data {
		t.Fatalf("Raw: %q, %v", b, err)
	}
	b, err = pubsub.SSE.Append(nil, m)
	if err != nil || string(b) != "id: e-1\nevent: news\ndata: héllo\ndata: world\n\n" {
		t.Fatalf("SSE: %q, %v", b, err)
	}
}
