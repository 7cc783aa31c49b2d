package wsframe_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/workerman-go/workerman/protocols"
	ws "github.com/workerman-go/workerman/protocols/websocket/wsframe"
)

type assembleCase struct {
	name   string
	cfg    func() ws.Config // server(0) when nil
	in     string
	want   []event
	code   int    // expected close code of the error, 0 for none
	reason string // expected reason, checked when not empty
	rest   int    // bytes left unconsumed
}

var (
	ping     = cf(ws.OpPing, true, "p")
	closeBye = cf(ws.OpClose, true, "\x03\xe8bye")
)

// The 4-byte U+1F600 and a text split across fragments at every point.
const grin = "\xf0\x9f\x98\x80"

var assembleCases = []assembleCase{
	// Valid streams.
	{name: "empty input"},
	{name: "partial header", in: cf(ws.OpText, true, "hi")[:1], rest: 1},
	{name: "partial mask key", in: cf(ws.OpText, true, "hi")[:5], rest: 5},
	{name: "text", in: cf(ws.OpText, true, "Hello"), want: []event{ev(ws.OpText, "Hello")}},
	{name: "binary", in: cf(ws.OpBinary, true, "\x00\xff\x00"), want: []event{ev(ws.OpBinary, "\x00\xff\x00")}},
	{name: "empty text", in: cf(ws.OpText, true, ""), want: []event{ev(ws.OpText, "")}},
	{name: "several", in: cf(ws.OpText, true, "a") + cf(ws.OpBinary, true, "b") + ping,
		want: []event{ev(ws.OpText, "a"), ev(ws.OpBinary, "b"), ev(ws.OpPing, "p")}},
	{name: "fragmented", in: cf(ws.OpText, false, "Hel") + cf(ws.OpContinuation, false, "") + cf(ws.OpContinuation, true, "lo"),
		want: []event{ev(ws.OpText, "Hello")}},
	{name: "fragmented with pings between",
		in: cf(ws.OpBinary, false, "one ") + ping + cf(ws.OpContinuation, false, "two ") +
			cf(ws.OpPong, true, "") + ping + cf(ws.OpContinuation, true, "three"),
		want: []event{ev(ws.OpPing, "p"), ev(ws.OpPong, ""), ev(ws.OpPing, "p"), ev(ws.OpBinary, "one two three")}},
	{name: "empty fragments then data", in: cf(ws.OpText, false, "") + cf(ws.OpContinuation, true, "x"),
		want: []event{ev(ws.OpText, "x")}},
	{name: "control payload 125", in: cf(ws.OpPing, true, strings.Repeat("p", 125)),
		want: []event{ev(ws.OpPing, strings.Repeat("p", 125))}},
	{name: "16-bit length", in: cf(ws.OpBinary, true, strings.Repeat("z", 300)),
		want: []event{ev(ws.OpBinary, strings.Repeat("z", 300))}},
	{name: "message then partial", in: cf(ws.OpText, true, "a") + cf(ws.OpText, true, "bcd")[:7],
		want: []event{ev(ws.OpText, "a")}},
	{name: "close", in: closeBye, want: []event{ev(ws.OpClose, "\x03\xe8bye")}},
	{name: "empty close", in: cf(ws.OpClose, true, ""), want: []event{ev(ws.OpClose, "")}},
	{name: "close 1012", in: cf(ws.OpClose, true, "\x03\xf4"), want: []event{ev(ws.OpClose, "\x03\xf4")}},
	{name: "close 4999", in: cf(ws.OpClose, true, "\x13\x87"), want: []event{ev(ws.OpClose, "\x13\x87")}},
	{name: "close discards what follows", in: closeBye + cf(ws.OpText, true, "ignored") + "\xff\xff garbage",
		want: []event{ev(ws.OpClose, "\x03\xe8bye")}},
	{name: "close between fragments", in: cf(ws.OpText, false, "a") + closeBye,
		want: []event{ev(ws.OpClose, "\x03\xe8bye")}},
	{name: "client", cfg: client(0), in: sf(ws.OpText, true, "Hello") + sf(ws.OpPing, true, ""),
		want: []event{ev(ws.OpText, "Hello"), ev(ws.OpPing, "")}},
	{name: "limit exact", cfg: server(5), in: cf(ws.OpText, false, "12") + cf(ws.OpContinuation, true, "345"),
		want: []event{ev(ws.OpText, "12345")}},
	{name: "limit exact header only", cfg: server(5), in: cf(ws.OpText, true, "12345")[:6], rest: 0},
	{name: "control frames are not limited", cfg: server(1), in: cf(ws.OpPing, true, "12345"),
		want: []event{ev(ws.OpPing, "12345")}},

	// UTF-8 across fragments.
	{name: "utf-8 split 1/3", in: cf(ws.OpText, false, "a"+grin[:1]) + cf(ws.OpContinuation, true, grin[1:]+"b"),
		want: []event{ev(ws.OpText, "a"+grin+"b")}},
	{name: "utf-8 split 2/2", in: cf(ws.OpText, false, grin[:2]) + cf(ws.OpContinuation, true, grin[2:]),
		want: []event{ev(ws.OpText, grin)}},
	{name: "utf-8 split 3/1", in: cf(ws.OpText, false, grin[:3]) + cf(ws.OpContinuation, true, grin[3:]),
		want: []event{ev(ws.OpText, grin)}},
	{name: "utf-8 split 1/1/1/1", in: cf(ws.OpText, false, grin[:1]) + cf(ws.OpContinuation, false, grin[1:2]) +
		ping + cf(ws.OpContinuation, false, grin[2:3]) + cf(ws.OpContinuation, true, grin[3:]),
		want: []event{ev(ws.OpPing, "p"), ev(ws.OpText, grin)}},
	{name: "utf-8 invalid split 1/3", in: cf(ws.OpText, false, "\xf4") + cf(ws.OpContinuation, true, "\x90\x80\x80"),
		code: 1007},
	{name: "utf-8 invalid split 2/2", in: cf(ws.OpText, false, "\xf4\x90") + cf(ws.OpContinuation, true, "\x80\x80"),
		code: 1007},
	{name: "utf-8 invalid split 3/1", in: cf(ws.OpText, false, "\xf0\x9f\x98") + cf(ws.OpContinuation, true, "a"),
		code: 1007},
	{name: "utf-8 ends inside a character", in: cf(ws.OpText, false, "ok") + cf(ws.OpContinuation, true, grin[:3]),
		code: 1007, reason: "text message ends inside a UTF-8 sequence"},
	{name: "utf-8 single frame cut", in: cf(ws.OpText, true, "a"+grin[:2]), code: 1007},
	{name: "utf-8 overlong", in: cf(ws.OpText, true, "\xc0\xaf"), code: 1007, reason: "invalid UTF-8 in text message"},
	{name: "utf-8 overlong 3-byte", in: cf(ws.OpText, true, "\xe0\x80\xaf"), code: 1007},
	{name: "utf-8 overlong split", in: cf(ws.OpText, false, "\xe0") + cf(ws.OpContinuation, true, "\x80\xaf"), code: 1007},
	{name: "utf-8 surrogate", in: cf(ws.OpText, true, "\xed\xa0\x80"), code: 1007},
	{name: "utf-8 surrogate split", in: cf(ws.OpText, false, "\xed") + cf(ws.OpContinuation, true, "\xbf\xbf"), code: 1007},
	{name: "utf-8 above U+10FFFF", in: cf(ws.OpText, true, "\xf4\x90\x80\x80"), code: 1007},
	{name: "utf-8 F5", in: cf(ws.OpText, true, "\xf5\x80\x80\x80"), code: 1007},
	{name: "utf-8 fails fast", in: cf(ws.OpText, true, "valid, then \xff and more")[:20], code: 1007},
	{name: "utf-8 fails fast in a prefix", in: cf(ws.OpText, false, "ab\xf4\x90"), code: 1007},
	{name: "utf-8 binary is not checked", in: cf(ws.OpBinary, true, "\xff\xfe"), want: []event{ev(ws.OpBinary, "\xff\xfe")}},

	// Protocol errors (1002).
	{name: "unmasked from client", in: sf(ws.OpText, true, "hi"), code: 1002, reason: "unmasked frame from the client"},
	{name: "masked from server", cfg: client(0), in: cf(ws.OpText, true, "hi"), code: 1002, reason: "masked frame from the server"},
	{name: "RSV1 without extension", in: hf(ws.FrameHeader{Fin: true, Rsv1: true, Opcode: ws.OpText}, "hi"),
		code: 1002, reason: "reserved bit RSV1 set without a negotiated extension"},
	{name: "RSV2", in: hf(ws.FrameHeader{Fin: true, Rsv2: true, Opcode: ws.OpText}, "hi"),
		code: 1002, reason: "reserved bit RSV2 set without a negotiated extension"},
	{name: "RSV3", in: hf(ws.FrameHeader{Fin: true, Rsv3: true, Opcode: ws.OpBinary}, "hi"),
		code: 1002, reason: "reserved bit RSV3 set without a negotiated extension"},
	{name: "RSV2 on ping", in: hf(ws.FrameHeader{Fin: true, Rsv2: true, Opcode: ws.OpPing}, ""), code: 1002},
	{name: "RSV2 with deflate", cfg: deflateServer(0, false), in: hf(ws.FrameHeader{Fin: true, Rsv2: true, Opcode: ws.OpText}, "hi"), code: 1002},
	{name: "RSV1 on continuation", cfg: deflateServer(0, false),
		in: hf(ws.FrameHeader{Rsv1: true, Opcode: ws.OpText}, "\xf2\x48") +
			hf(ws.FrameHeader{Fin: true, Rsv1: true, Opcode: ws.OpContinuation}, "\xcd\xc9\xc9\x07\x00"),
		code: 1002, reason: "RSV1 set on a continuation frame"},
	{name: "RSV1 on ping", cfg: deflateServer(0, false), in: hf(ws.FrameHeader{Fin: true, Rsv1: true, Opcode: ws.OpPing}, ""),
		code: 1002, reason: "RSV1 set on a ping frame"},
	{name: "opcode 3", in: hf(ws.FrameHeader{Fin: true, Opcode: 3}, ""), code: 1002, reason: "reserved opcode 0x3"},
	{name: "opcode 7", in: hf(ws.FrameHeader{Fin: true, Opcode: 7}, ""), code: 1002},
	{name: "opcode B", in: hf(ws.FrameHeader{Fin: true, Opcode: 0xB}, ""), code: 1002, reason: "reserved opcode 0xb"},
	{name: "opcode F", in: hf(ws.FrameHeader{Fin: true, Opcode: 0xF}, "x"), code: 1002},
	{name: "opcode 3 inside a message", in: cf(ws.OpText, false, "a") + hf(ws.FrameHeader{Fin: true, Opcode: 3}, ""), code: 1002},
	{name: "ping of 126 bytes", in: cf(ws.OpPing, true, strings.Repeat("p", 126)),
		code: 1002, reason: "ping frame with a 126-byte payload (control frames carry at most 125)"},
	{name: "close of 126 bytes, header only", in: cf(ws.OpClose, true, strings.Repeat("p", 126))[:8], code: 1002},
	{name: "fragmented ping", in: cf(ws.OpPing, false, "p"), code: 1002, reason: "fragmented ping frame"},
	{name: "fragmented close", in: cf(ws.OpClose, false, ""), code: 1002},
	{name: "fragmented pong", in: cf(ws.OpPong, false, ""), code: 1002},
	{name: "continuation first", in: cf(ws.OpContinuation, true, "x"),
		code: 1002, reason: "continuation frame without a message to continue"},
	{name: "continuation after a whole message", in: cf(ws.OpText, true, "x") + cf(ws.OpContinuation, true, "y"),
		want: []event{ev(ws.OpText, "x")}, code: 1002},
	{name: "text while fragmented", in: cf(ws.OpText, false, "x") + cf(ws.OpText, true, "y"),
		code: 1002, reason: "new text message while a fragmented text message is open"},
	{name: "binary while fragmented", in: cf(ws.OpText, false, "x") + ping + cf(ws.OpBinary, true, "y"),
		want: []event{ev(ws.OpPing, "p")}, code: 1002},
	{name: "non-minimal 16-bit length", in: "\x81\xfe\x00\x05" + string(testKey[:]) + "hello", code: 1002},
	{name: "non-minimal 64-bit length", in: "\x82\xff\x00\x00\x00\x00\x00\x00\x01\x00" + string(testKey[:]), code: 1002},
	{name: "64-bit length MSB", in: "\x82\xff\x80\x00\x00\x00\x00\x00\x00\x01" + string(testKey[:]), code: 1002},
	{name: "close of 1 byte", in: cf(ws.OpClose, true, "\x03"), code: 1002, reason: "close frame with a 1-byte payload"},
	{name: "close 999", in: cf(ws.OpClose, true, "\x03\xe7"), code: 1002, reason: "close frame with invalid status code 999"},
	{name: "close 1004", in: cf(ws.OpClose, true, "\x03\xec"), code: 1002},
	{name: "close 1005", in: cf(ws.OpClose, true, "\x03\xed"), code: 1002},
	{name: "close 1006", in: cf(ws.OpClose, true, "\x03\xee"), code: 1002},
	{name: "close 1015", in: cf(ws.OpClose, true, "\x03\xf7"), code: 1002},
	{name: "close 1016", in: cf(ws.OpClose, true, "\x03\xf8"), code: 1002},
	{name: "close 2999", in: cf(ws.OpClose, true, "\x0b\xb7"), code: 1002},
	{name: "close 5000", in: cf(ws.OpClose, true, "\x13\x88"), code: 1002},
	{name: "close reason not utf-8", in: cf(ws.OpClose, true, "\x03\xe8\xff"), code: 1007, reason: "close frame reason is not valid UTF-8"},
	{name: "close reason cut utf-8", in: cf(ws.OpClose, true, "\x03\xe8"+grin[:3]), code: 1007},

	// Message size (1009).
	{name: "over the limit", cfg: server(4), in: cf(ws.OpText, true, "12345"), code: 1009,
		reason: "message of at least 5 bytes exceeds the 4-byte limit"},
	{name: "over the limit, header only", cfg: server(4), in: cf(ws.OpText, true, "12345")[:6], code: 1009},
	{name: "over the limit in fragments", cfg: server(4), in: cf(ws.OpText, false, "12") + cf(ws.OpContinuation, true, "345")[:6],
		code: 1009, reason: "message of at least 5 bytes exceeds the 4-byte limit"},
	{name: "huge announced length", in: "\x82\xff\x7f\xff\xff\xff\xff\xff\xff\xff" + string(testKey[:]), code: 1009,
		reason: "message of at least 9223372036854775807 bytes exceeds the 10485760-byte limit"},
	{name: "limit after messages", cfg: server(4), in: cf(ws.OpText, true, "1234") + cf(ws.OpText, true, "12345"),
		want: []event{ev(ws.OpText, "1234")}, code: 1009},
}

func runCase(t *testing.T, tc assembleCase, chunks [][]byte) {
	t.Helper()
	cfg := tc.cfg
	if cfg == nil {
		cfg = server(0)
	}
	got := assemble(t, cfg, chunks...)
	want := outcome{events: tc.want, code: tc.code, rest: tc.rest}
	if tc.code != 0 {
		want.rest = 0
	}
	if !got.equal(want) {
		t.Fatalf("%d chunks: got %v\nwant %v", len(chunks), got, want)
	}
	if tc.reason != "" && got.reason != tc.reason {
		t.Fatalf("%d chunks: reason %q, want %q", len(chunks), got.reason, tc.reason)
	}
}

func TestAssembler(t *testing.T) {
	for _, tc := range assembleCases {
		t.Run(tc.name, func(t *testing.T) {
			runCase(t, tc, [][]byte{[]byte(tc.in)})
		})
	}
}

// TestAssemblerSplit delivers every case in every two-chunk split and one
// byte at a time, and expects the same outcome as when it arrives at once.
func TestAssemblerSplit(t *testing.T) {
	for _, tc := range assembleCases {
		t.Run(tc.name, func(t *testing.T) {
			for _, chunks := range splits([]byte(tc.in)) {
				runCase(t, tc, chunks)
			}
		})
	}
}

// TestAssemblerFailsFast checks errors that must come before the rest of the
// frame: a size over the limit from the header alone, invalid UTF-8 from the
// bytes received so far.
func TestAssemblerFailsFast(t *testing.T) {
	frame := cf(ws.OpText, true, "abc\xf4\x90"+strings.Repeat("x", 1000))
	a := ws.NewAssembler(ws.Config{})
	hdr := ws.HeaderSize(ws.FrameHeader{Masked: true, Length: 1005})
	// The header and the first bytes, valid so far.
	_, n, ok, err := a.Next([]byte(frame[:hdr+4]))
	if err != nil || ok || n != hdr+4 {
		t.Fatalf("valid prefix: n=%d ok=%v err=%v", n, ok, err)
	}
	// 0xF4 0x90 cannot begin a character: the rest is not needed.
	_, _, _, err = a.Next([]byte(frame[hdr+4 : hdr+5]))
	var pe *ws.ProtocolError
	if !errors.As(err, &pe) || pe.Code != ws.CloseInvalidPayload {
		t.Fatalf("err = %v, want 1007", err)
	}

	a = ws.NewAssembler(ws.Config{MaxMessageSize: 1 << 20})
	_, _, _, err = a.Next(ws.AppendFrameHeader(nil, ws.FrameHeader{Fin: true, Opcode: ws.OpBinary, Masked: true, Length: 1<<20 + 1}))
	if !errors.As(err, &pe) || pe.Code != ws.CloseMessageTooBig || !errors.Is(err, protocols.ErrPackageTooLarge) {
		t.Fatalf("err = %v, want 1009 wrapping ErrPackageTooLarge", err)
	}
}

func TestAssemblerReply(t *testing.T) {
	// A server's reply is an unmasked close frame with the code and reason.
	a := ws.NewAssembler(ws.Config{})
	_, _, _, err := a.Next([]byte(sf(ws.OpText, true, "x")))
	var rej protocols.Rejection
	if !errors.As(err, &rej) {
		t.Fatalf("err %v is not a protocols.Rejection", err)
	}
	if want := ws.CloseFrame(1002, "unmasked frame from the client"); !bytes.Equal(rej.Reply(), want) {
		t.Fatalf("Reply = %q, want %q", rej.Reply(), want)
	}
	// A client's reply is masked, and a server assembler takes it.
	a = ws.NewAssembler(ws.Config{Role: ws.RoleClient})
	_, _, _, err = a.Next([]byte(sf(ws.OpText, true, "\xff")))
	if !errors.As(err, &rej) {
		t.Fatalf("err %v is not a protocols.Rejection", err)
	}
	reply := rej.Reply()
	h, _, _ := ws.ParseFrameHeader(reply)
	if !h.Masked {
		t.Fatalf("client reply not masked: % x", reply)
	}
	got := assemble(t, server(0), reply)
	if len(got.events) != 1 || got.events[0] != ev(ws.OpClose, "\x03\xefinvalid UTF-8 in text message") {
		t.Fatalf("client reply reads as %v", got)
	}
}

func TestAssemblerZeroCopy(t *testing.T) {
	in := []byte(cf(ws.OpBinary, true, "payload") + cf(ws.OpPing, true, "ping"))
	a := ws.NewAssembler(ws.Config{})
	m, n, ok, err := a.Next(in)
	if err != nil || !ok || string(m.Payload) != "payload" {
		t.Fatalf("Next = %v %d %v %v", m, n, ok, err)
	}
	if &m.Payload[0] != &in[n-7] {
		t.Fatal("a whole single-frame message was copied")
	}
	m, _, ok, err = a.Next(in[n:])
	if err != nil || !ok || string(m.Payload) != "ping" || &m.Payload[0] != &in[len(in)-4] {
		t.Fatalf("ping: %v %v %v", m, ok, err)
	}
}

// TestAssemblerAllocs checks that assembling costs no allocation in the
// steady state: whole frames, fragmented messages and messages that arrive
// in pieces, once the retained buffer has grown.
func TestAssemblerAllocs(t *testing.T) {
	text := strings.Repeat("héllo wörld ", 100)
	streams := map[string][]byte{
		"whole":      []byte(cf(ws.OpText, true, text)),
		"fragmented": []byte(cf(ws.OpText, false, text[:501]) + ping + cf(ws.OpContinuation, true, text[501:])),
	}
	for name, stream := range streams {
		a := ws.NewAssembler(ws.Config{})
		buf := make([]byte, len(stream))
		// run delivers the stream chunk bytes at a time, calling Next
		// until it needs more after each arrival.
		run := func(chunk int) {
			copy(buf, stream) // unmasked in place: restore
			start := 0
			for end := chunk; ; end += chunk {
				end = min(end, len(buf))
				for {
					_, n, _, err := a.Next(buf[start:end])
					if err != nil {
						t.Fatal(err)
					}
					start += n
					if n == 0 || start == end {
						break
					}
				}
				if end == len(buf) {
					break
				}
			}
		}
		if raceEnabled {
			t.Skip("allocation counts are not meaningful under the race detector (sync.Pool drops items)")
		}
		for _, chunk := range []int{len(stream), 100, 7} {
			run(chunk) // warm up
			if allocs := testing.AllocsPerRun(50, func() { run(chunk) }); allocs != 0 {
				t.Errorf("%s in chunks of %d: %v allocations", name, chunk, allocs)
			}
		}
	}
}

// TestAssemblerLarge sends a 16 MiB message (single frame and fragmented,
// text and binary) through the assembler in 64 KiB reads.
func TestAssemblerLarge(t *testing.T) {
	const size = 16 << 20
	payload := bytes.Repeat([]byte("0123456789abcdef€"), size/19+1)[:size-3]
	payload = append(payload, "€"...)
	for _, fragmented := range []bool{false, true} {
		var stream []byte
		if fragmented {
			// 1 MiB + 1 byte fragments: some cut inside a character.
			for off := 0; off < size; {
				end := min(size, off+1<<20+1)
				op := ws.OpContinuation
				if off == 0 {
					op = ws.OpText
				}
				h := ws.FrameHeader{Fin: end == size, Opcode: op, Masked: true, MaskKey: ws.NewMaskKey()}
				stream = ws.AppendFrame(stream, h, payload[off:end])
				off = end
			}
		} else {
			stream = ws.AppendFrame(nil, ws.FrameHeader{Fin: true, Opcode: ws.OpText, Masked: true, MaskKey: testKey}, payload)
		}
		a := ws.NewAssembler(ws.Config{MaxMessageSize: size})
		var got []byte
		for in := stream; len(in) > 0; {
			chunk := in[:min(len(in), 64<<10)]
			consumed := 0
			for {
				m, n, ok, err := a.Next(chunk[consumed:])
				if err != nil {
					t.Fatalf("fragmented %v: %v", fragmented, err)
				}
				consumed += n
				if ok {
					got = bytes.Clone(m.Payload)
				}
				if n == 0 || consumed == len(chunk) {
					break
				}
			}
			in = in[consumed:]
			if consumed == 0 {
				t.Fatalf("fragmented %v: stuck with %d bytes left", fragmented, len(in))
			}
		}
		if !bytes.Equal(got, payload) {
			t.Fatalf("fragmented %v: got %d bytes, want the %d-byte payload", fragmented, len(got), len(payload))
		}
		// One byte less is refused.
		a = ws.NewAssembler(ws.Config{MaxMessageSize: size - 1})
		var err error
		for in := stream; err == nil; {
			var n int
			_, n, _, err = a.Next(in)
			if n == 0 && err == nil {
				t.Fatalf("fragmented %v: no error at limit size-1", fragmented)
			}
			in = in[n:]
		}
		var pe *ws.ProtocolError
		if !errors.As(err, &pe) || pe.Code != ws.CloseMessageTooBig {
			t.Fatalf("fragmented %v: err = %v, want 1009", fragmented, err)
		}
	}
}

func TestAssemblerReset(t *testing.T) {
	a := ws.NewAssembler(ws.Config{})
	if _, _, _, err := a.Next([]byte(sf(ws.OpText, true, "x"))); err == nil {
		t.Fatal("no error")
	}
	a.Reset(ws.Config{Role: ws.RoleClient})
	m, _, ok, err := a.Next([]byte(sf(ws.OpText, true, "x")))
	if err != nil || !ok || string(m.Payload) != "x" {
		t.Fatalf("after Reset: %v %v %v", m, ok, err)
	}
	var zero ws.Assembler // a server with the default limit
	m, _, ok, err = zero.Next([]byte(cf(ws.OpBinary, true, "y")))
	if err != nil || !ok || string(m.Payload) != "y" {
		t.Fatalf("zero Assembler: %v %v %v", m, ok, err)
	}
}

func TestRoleString(t *testing.T) {
	if ws.RoleServer.String() != "server" || ws.RoleClient.String() != "client" {
		t.Fatal(ws.RoleServer.String(), ws.RoleClient.String())
	}
}
