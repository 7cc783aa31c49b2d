package h2frame_test

import (
	"bytes"
	"testing"

	"github.com/workerman-go/workerman/protocols/http/internal/h2frame"
)

// FuzzParse parses every frame of arbitrary bytes under an arbitrary
// maximum frame size. Parse must never panic, never return n > len(buf),
// report an incomplete frame only when it is, return a frame exactly as
// long as its header says, and give the same frame for its own bytes; the
// readers must not panic; and a frame re-appended by the appenders (without
// padding or priority) must parse back to the same values.
func FuzzParse(f *testing.F) {
	for _, b := range allocFrames() {
		f.Add(b, uint32(h2frame.DefaultMaxFrameSize))
		f.Add(b[:len(b)-1], uint32(0))                // truncated
		f.Add(b[:h2frame.HeaderLen], uint32(1<<24-1)) // header only
	}
	var seq []byte
	seq = append(seq, h2frame.ClientPreface...)
	seq = h2frame.AppendSettings(seq, h2frame.Setting{ID: h2frame.SettingEnablePush, Val: 0})
	seq = h2frame.AppendHeaders(seq, 1, false, bytes.Repeat([]byte{0x82}, 20000), 0)
	seq = h2frame.AppendData(seq, 1, true, []byte("body"))
	seq = h2frame.AppendGoAway(seq, 1, h2frame.ErrCodeNo, []byte("bye"))
	f.Add(seq[len(h2frame.ClientPreface):], uint32(h2frame.DefaultMaxFrameSize))
	f.Add(seq, uint32(h2frame.DefaultMaxFrameSize))
	for _, b := range [][]byte{
		rawLen(1<<24-1, h2frame.TypeData, 0, 1),                                                            // oversized
		rawLen(h2frame.DefaultMaxFrameSize+1, h2frame.TypeHeaders, 0, 1, pad(100)),                         // oversized
		raw(h2frame.TypeData, h2frame.FlagPadded, 1, []byte{200}, []byte("x")),                             // padding too long
		raw(h2frame.TypeHeaders, h2frame.FlagPadded|h2frame.FlagPriority, 1, []byte{0}, u32(1), []byte{0}), // padded, priority
		raw(h2frame.TypePushPromise, h2frame.FlagPadded, 1, []byte{1}, u32(2), []byte("a"), pad(1)),        // padded
		raw(h2frame.TypePriority, 0, 1, u32(1), []byte{0}),                                                 // self-dependency
		raw(h2frame.TypeWindowUpdate, 0, 1, u32(0)),                                                        // increment 0
		raw(h2frame.TypeSettings, 0, 0, setting(h2frame.SettingMaxFrameSize, 1)),                           // bad setting
		raw(h2frame.TypeSettings, h2frame.FlagAck, 0, pad(6)),                                              // ACK with payload
		raw(h2frame.TypeGoAway, 0, 0, u32(1<<31|1), u32(99), bytes.Repeat([]byte("d"), 17000)),             // long debug data
	} {
		f.Add(b, uint32(h2frame.DefaultMaxFrameSize))
		f.Add(b, uint32(1<<32-1))
	}

	f.Fuzz(func(t *testing.T, buf []byte, maxFrameSize uint32) {
		limit := max(maxFrameSize, h2frame.DefaultMaxFrameSize)
		for b := buf; ; {
			f, n, err := h2frame.Parse(b, maxFrameSize)
			if n < 0 || n > len(b) {
				t.Fatalf("n = %d with %d bytes", n, len(b))
			}
			if ce := asConn(err); ce != nil {
				if n != 0 || f.Payload != nil || f.Header != (h2frame.Header{}) {
					t.Fatalf("connection error %v with n = %d, %+v", err, n, f.Header)
				}
				return
			}
			if err != nil && asStream(err) == nil {
				t.Fatalf("error of another type: %#v", err)
			}
			if n == 0 {
				if err != nil {
					t.Fatalf("stream error %v with n = 0", err)
				}
				if h, ok := h2frame.ParseHeader(b); ok && h2frame.HeaderLen+int(h.Length) <= len(b) {
					t.Fatalf("complete frame %+v reported incomplete", h)
				}
				return
			}
			if n != h2frame.HeaderLen+int(f.Length) || len(f.Payload) != int(f.Length) || f.Length > limit || f.StreamID > h2frame.MaxStreamID {
				t.Fatalf("n = %d for %+v with a payload of %d (maximum %d)", n, f.Header, len(f.Payload), limit)
			}
			// The same frame from its own bytes, and incomplete without
			// its last byte.
			g, m, err2 := h2frame.Parse(b[:n], maxFrameSize)
			if m != n || g.Header != f.Header || !bytes.Equal(g.Payload, f.Payload) || (err == nil) != (err2 == nil) {
				t.Fatalf("alone: n = %d, %v; in the buffer: n = %d, %v", m, err2, n, err)
			}
			if _, m, err2 := h2frame.Parse(b[:n-1], maxFrameSize); m != 0 || err2 != nil {
				t.Fatalf("without its last byte: n = %d, %v", m, err2)
			}
			readAll(f)
			if err == nil {
				roundTrip(t, f)
			}
			b = b[n:]
		}
	})
}

func readAll(f h2frame.Frame) {
	sink += len(f.DataPayload())
	block, p, _ := f.HeadersFragment()
	sink += len(block) + int(p.Weight) + int(f.Priority().StreamDep) + int(f.RSTCode())
	_ = f.Settings(func(s h2frame.Setting) error { sink += int(s.Val); return nil })
	d := f.PingData()
	last, code, debug := f.GoAway()
	id, pp := f.PushPromise()
	sink += int(d[7]) + int(last) + int(code) + len(debug) + int(f.WindowIncrement()) + int(id) + len(pp)
	sink += len(f.Type.String())
}

// roundTrip appends a valid frame again and checks what parses back.
func roundTrip(t *testing.T, f h2frame.Frame) {
	t.Helper()
	// Any frame: its header and payload.
	g := reparse(t, append(h2frame.AppendFrameHeader(nil, f.Header), f.Payload...))[0]
	if g.Header != f.Header || !bytes.Equal(g.Payload, f.Payload) {
		t.Fatalf("header and payload: %+v, want %+v", g.Header, f.Header)
	}
	endStream := f.Flags.Has(h2frame.FlagEndStream)
	ack := f.Flags.Has(h2frame.FlagAck)
	switch f.Type {
	case h2frame.TypeData:
		g := reparse(t, h2frame.AppendData(nil, f.StreamID, endStream, f.DataPayload()))[0]
		if g.StreamID != f.StreamID || g.Flags.Has(h2frame.FlagEndStream) != endStream || !bytes.Equal(g.DataPayload(), f.DataPayload()) {
			t.Fatalf("DATA: %+v, want %+v", g.Header, f.Header)
		}
	case h2frame.TypeHeaders:
		block, _, _ := f.HeadersFragment()
		frames := reparse(t, h2frame.AppendHeaders(nil, f.StreamID, endStream, block, 0))
		var joined []byte
		for _, g := range frames {
			frag, _, _ := g.HeadersFragment()
			joined = append(joined, frag...)
		}
		if frames[0].Type != h2frame.TypeHeaders || frames[0].Flags.Has(h2frame.FlagEndStream) != endStream || !bytes.Equal(joined, block) {
			t.Fatalf("HEADERS: %+v, want %+v", frames[0].Header, f.Header)
		}
	case h2frame.TypeSettings:
		var b []byte
		if ack {
			b = h2frame.AppendSettingsAck(nil)
		} else {
			var list []h2frame.Setting
			_ = f.Settings(func(s h2frame.Setting) error { list = append(list, s); return nil })
			b = h2frame.AppendSettings(nil, list...)
		}
		if g := reparse(t, b)[0]; g.Flags.Has(h2frame.FlagAck) != ack || !bytes.Equal(g.Payload, f.Payload) {
			t.Fatalf("SETTINGS: %+v, want %+v", g.Header, f.Header)
		}
	case h2frame.TypePing:
		if g := reparse(t, h2frame.AppendPing(nil, ack, f.PingData()))[0]; g.Flags.Has(h2frame.FlagAck) != ack || g.PingData() != f.PingData() {
			t.Fatalf("PING: %+v, want %+v", g, f)
		}
	case h2frame.TypeGoAway:
		last, code, debug := f.GoAway()
		l2, c2, d2 := reparse(t, h2frame.AppendGoAway(nil, last, code, debug))[0].GoAway()
		if l2 != last || c2 != code || !bytes.Equal(d2, debug[:min(len(debug), h2frame.DefaultMaxFrameSize-8)]) {
			t.Fatalf("GOAWAY: %d %v %d bytes, want %d %v %d bytes", l2, c2, len(d2), last, code, len(debug))
		}
	case h2frame.TypeRSTStream:
		if g := reparse(t, h2frame.AppendRSTStream(nil, f.StreamID, f.RSTCode()))[0]; g.StreamID != f.StreamID || g.RSTCode() != f.RSTCode() {
			t.Fatalf("RST_STREAM: %+v, want %+v", g, f)
		}
	case h2frame.TypeWindowUpdate:
		if g := reparse(t, h2frame.AppendWindowUpdate(nil, f.StreamID, f.WindowIncrement()))[0]; g.StreamID != f.StreamID || g.WindowIncrement() != f.WindowIncrement() {
			t.Fatalf("WINDOW_UPDATE: %+v, want %+v", g, f)
		}
	}
}

// reparse parses appended frames, which must all be valid.
func reparse(t *testing.T, b []byte) []h2frame.Frame {
	t.Helper()
	var frames []h2frame.Frame
	for len(b) > 0 {
		f, n, err := h2frame.Parse(b, h2frame.MaxFrameSizeLimit)
		if err != nil || n == 0 {
			t.Fatalf("re-appended frame: n = %d, %v", n, err)
		}
		frames = append(frames, f)
		b = b[n:]
	}
	return frames
}
