package websocket_test

import (
	"errors"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/workerman-go/workerman/protocols/websocket"
	"github.com/workerman-go/workerman/protocols/websocket/wsframe"
)

// A server that fails a connection (here 1009, a message over the limit)
// while the client is still sending must not reset the connection: RFC 6455
// section 7.1.7 has it send the close frame, and the client has to be able
// to read it and answer. Closing the socket with unread input would make the
// kernel answer with a reset (RST), and a client that handles its failed
// write before it reads (ws does) would report 1006 instead of 1009. So the
// connection lingers: it sends FIN after the close frame and reads and
// discards input until the client closes or connection.LingerTimeout passes.
func TestFailedConnectionIsNotReset(t *testing.T) {
	addr := echoServer(t, websocket.Options{MaxMessageSize: 1000}, 0)
	for range 5 {
		r, _ := dialRaw(t, addr, "/")
		// A well-behaved client sending a large message: it writes until
		// it reads the server's close frame, then stops and answers it.
		var stop atomic.Bool
		written := make(chan error, 1)
		go func() {
			h := wsframe.FrameHeader{Fin: true, Opcode: websocket.OpBinary, Masked: true, MaskKey: [4]byte{1, 2, 3, 4}, Length: 64 << 20}
			_, err := r.conn.Write(wsframe.AppendFrameHeader(nil, h))
			chunk := make([]byte, 16<<10)
			for n := 0; err == nil && n < 64<<20 && !stop.Load(); n += len(chunk) {
				_, err = r.conn.Write(chunk)
			}
			written <- err
		}()
		m, err := r.next()
		stop.Store(true)
		if err != nil || m.Opcode != websocket.OpClose {
			t.Fatalf("got %v %v, want the close frame", m.Opcode, err)
		}
		if code, _, _ := wsframe.ParseClosePayload(m.Payload); code != websocket.CloseMessageTooBig {
			t.Fatalf("close code %d, want 1009", code)
		}
		reset := func(err error) bool { return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) }
		if err := <-written; reset(err) {
			t.Errorf("the client's message was cut by a reset: %v", err)
		}
		reply := wsframe.AppendFrame(nil, wsframe.FrameHeader{Fin: true, Opcode: websocket.OpClose, Masked: true},
			wsframe.AppendClosePayload(nil, websocket.CloseMessageTooBig, ""))
		if _, err := r.conn.Write(reply); reset(err) {
			t.Fatalf("answering the close frame: %v (the server reset the connection)", err)
		}
		r.conn.Close()
	}
}
