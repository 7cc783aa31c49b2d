package wsframe_test

import (
	"errors"
	"fmt"
	"testing"

	ws "github.com/workerman-go/workerman/protocols/websocket/wsframe"
)

// testKey is the masking key of the frames the tests build.
var testKey = [4]byte{0x37, 0xfa, 0x21, 0x3d}

// cf returns a client frame: masked with testKey.
func cf(op ws.Opcode, fin bool, payload string) string {
	return string(ws.AppendFrame(nil, ws.FrameHeader{Fin: fin, Opcode: op, Masked: true, MaskKey: testKey}, payload))
}

// sf returns a server frame: unmasked.
func sf(op ws.Opcode, fin bool, payload string) string {
	return string(ws.AppendFrame(nil, ws.FrameHeader{Fin: fin, Opcode: op}, payload))
}

// hf returns a client frame with an arbitrary header (the length is set from
// the payload).
func hf(h ws.FrameHeader, payload string) string {
	h.Masked, h.MaskKey = true, testKey
	return string(ws.AppendFrame(nil, h, payload))
}

// event is one delivered message, copied.
type event struct {
	Op      ws.Opcode
	Payload string
}

func (e event) String() string {
	p := e.Payload
	if len(p) > 40 {
		p = fmt.Sprintf("%.40q...(%d bytes)", p, len(p))
	} else {
		p = fmt.Sprintf("%q", p)
	}
	return e.Op.String() + " " + p
}

// outcome is what an Assembler made of a stream.
type outcome struct {
	events []event
	code   int    // close code of the error, 0 for none
	reason string // the error's reason
	rest   int    // bytes left unconsumed (without error)
}

func (o outcome) String() string {
	return fmt.Sprintf("events %v, code %d (%s), rest %d", o.events, o.code, o.reason, o.rest)
}

func (o outcome) equal(p outcome) bool {
	if len(o.events) != len(p.events) || o.code != p.code || o.rest != p.rest {
		return false
	}
	for i := range o.events {
		if o.events[i] != p.events[i] {
			return false
		}
	}
	return true
}

// assemble mimics a codec on the framework: it appends each chunk to a
// connection buffer, calls Next until it needs more bytes, and drops the
// consumed bytes by moving the rest to the front and overwriting what is
// left behind. cfg is called once, so that a Decompressor is fresh.
func assemble(t testing.TB, cfg func() ws.Config, chunks ...[]byte) outcome {
	t.Helper()
	a := ws.NewAssembler(cfg())
	var o outcome
	var buf []byte
	for _, chunk := range chunks {
		buf = append(buf, chunk...)
		for {
			m, n, ok, err := a.Next(buf)
			if err != nil {
				var pe *ws.ProtocolError
				if !errors.As(err, &pe) {
					t.Fatalf("Next: error %v is not a *ProtocolError", err)
				}
				if n != 0 || ok {
					t.Fatalf("Next: error %v with n=%d ok=%v", err, n, ok)
				}
				if _, n2, _, err2 := a.Next(buf); err2 != err || n2 != 0 {
					t.Fatalf("Next after error: %v, %d; want the same error", err2, n2)
				}
				o.code, o.reason = pe.Code, pe.Reason
				return o
			}
			if n < 0 || n > len(buf) {
				t.Fatalf("Next: n=%d outside [0, %d]", n, len(buf))
			}
			if ok {
				if n == 0 {
					t.Fatalf("Next: message %v without consuming bytes", m)
				}
				o.events = append(o.events, event{m.Opcode, string(m.Payload)})
			}
			if n == 0 {
				break
			}
			left := copy(buf, buf[n:])
			for i := left; i < len(buf); i++ {
				buf[i] = 0xA5
			}
			buf = buf[:left]
		}
	}
	o.rest = len(buf)
	return o
}

// server returns a server configuration with a limit.
func server(limit int) func() ws.Config {
	return func() ws.Config { return ws.Config{MaxMessageSize: limit} }
}

// client returns a client configuration with a limit.
func client(limit int) func() ws.Config {
	return func() ws.Config { return ws.Config{Role: ws.RoleClient, MaxMessageSize: limit} }
}

// deflateServer returns a server configuration with permessage-deflate.
func deflateServer(limit int, takeover bool) func() ws.Config {
	return func() ws.Config {
		return ws.Config{MaxMessageSize: limit, Decompressor: ws.NewDecompressor(takeover)}
	}
}

// splits returns the ways to deliver stream: every split into two chunks,
// and one byte at a time.
func splits(stream []byte) [][][]byte {
	var out [][][]byte
	for i := 0; i <= len(stream); i++ {
		out = append(out, [][]byte{stream[:i], stream[i:]})
	}
	bytewise := make([][]byte, len(stream))
	for i := range stream {
		bytewise[i] = stream[i : i+1]
	}
	return append(out, bytewise)
}

// ev returns an event.
func ev(op ws.Opcode, payload string) event { return event{op, payload} }
