package h2frame_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/workerman-go/workerman/protocols/http/internal/h2frame"
)

// TestAppendBytes compares each appender's output with the frame written by
// hand from the RFC layout.
func TestAppendBytes(t *testing.T) {
	tests := []struct {
		name      string
		got, want []byte
	}{
		{"DATA", h2frame.AppendData(nil, 1, true, []byte("hello")), raw(h2frame.TypeData, h2frame.FlagEndStream, 1, []byte("hello"))},
		{"DATA empty", h2frame.AppendData(nil, 1<<31-1, false, nil), raw(h2frame.TypeData, 0, 1<<31-1)},
		{"HEADERS", h2frame.AppendHeaders(nil, 3, false, []byte{0x82, 0x86}, 0), raw(h2frame.TypeHeaders, h2frame.FlagEndHeaders, 3, []byte{0x82, 0x86})},
		{"HEADERS END_STREAM", h2frame.AppendHeaders(nil, 3, true, []byte{0x88}, 0), raw(h2frame.TypeHeaders, h2frame.FlagEndHeaders|h2frame.FlagEndStream, 3, []byte{0x88})},
		{"RST_STREAM", h2frame.AppendRSTStream(nil, 5, h2frame.ErrCodeRefusedStream), raw(h2frame.TypeRSTStream, 0, 5, u32(7))},
		{"SETTINGS", h2frame.AppendSettings(nil, h2frame.Setting{ID: h2frame.SettingMaxConcurrentStreams, Val: 100}, h2frame.Setting{ID: h2frame.SettingInitialWindowSize, Val: 1 << 20}),
			raw(h2frame.TypeSettings, 0, 0, setting(h2frame.SettingMaxConcurrentStreams, 100), setting(h2frame.SettingInitialWindowSize, 1<<20))},
		{"SETTINGS empty", h2frame.AppendSettings(nil), raw(h2frame.TypeSettings, 0, 0)},
		{"SETTINGS ACK", h2frame.AppendSettingsAck(nil), raw(h2frame.TypeSettings, h2frame.FlagAck, 0)},
		{"PING", h2frame.AppendPing(nil, false, [8]byte{1, 2, 3, 4, 5, 6, 7, 8}), raw(h2frame.TypePing, 0, 0, []byte{1, 2, 3, 4, 5, 6, 7, 8})},
		{"PING ACK", h2frame.AppendPing(nil, true, [8]byte{'a'}), raw(h2frame.TypePing, h2frame.FlagAck, 0, []byte{'a', 0, 0, 0, 0, 0, 0, 0})},
		{"GOAWAY", h2frame.AppendGoAway(nil, 7, h2frame.ErrCodeEnhanceYourCalm, []byte("calm")), raw(h2frame.TypeGoAway, 0, 0, u32(7), u32(0xb), []byte("calm"))},
		{"GOAWAY no debug", h2frame.AppendGoAway(nil, 0, h2frame.ErrCodeNo, nil), raw(h2frame.TypeGoAway, 0, 0, u32(0), u32(0))},
		{"WINDOW_UPDATE", h2frame.AppendWindowUpdate(nil, 0, 1<<31-1), raw(h2frame.TypeWindowUpdate, 0, 0, u32(1<<31-1))},
		{"WINDOW_UPDATE stream", h2frame.AppendWindowUpdate(nil, 9, 1), raw(h2frame.TypeWindowUpdate, 0, 9, u32(1))},
		{"frame header", h2frame.AppendFrameHeader([]byte("x"), h2frame.Header{Length: 0x123456, Type: 0x42, Flags: 0x81, StreamID: 0x7fedcba9}),
			[]byte{'x', 0x12, 0x34, 0x56, 0x42, 0x81, 0x7f, 0xed, 0xcb, 0xa9}},
		{"appends to dst", h2frame.AppendSettingsAck([]byte("prefix")), append([]byte("prefix"), raw(h2frame.TypeSettings, h2frame.FlagAck, 0)...)},
	}
	for _, tt := range tests {
		if !bytes.Equal(tt.got, tt.want) {
			t.Errorf("%s:\n got % x\nwant % x", tt.name, tt.got, tt.want)
		}
	}
}

// TestRoundTrip appends frames of every type into one buffer and parses
// them back.
func TestRoundTrip(t *testing.T) {
	var b []byte
	b = h2frame.AppendSettings(b, h2frame.Setting{ID: h2frame.SettingMaxFrameSize, Val: 1 << 20}, h2frame.Setting{ID: h2frame.SettingEnablePush, Val: 0})
	b = h2frame.AppendSettingsAck(b)
	b = h2frame.AppendHeaders(b, 1, false, []byte("block"), h2frame.DefaultMaxFrameSize)
	b = h2frame.AppendData(b, 1, false, []byte("chunk"))
	b = h2frame.AppendData(b, 1, true, nil)
	b = h2frame.AppendRSTStream(b, 3, h2frame.ErrCodeCancel)
	b = h2frame.AppendPing(b, true, [8]byte{8, 7, 6, 5, 4, 3, 2, 1})
	b = h2frame.AppendWindowUpdate(b, 1, 1000)
	b = h2frame.AppendGoAway(b, 3, h2frame.ErrCodeNo, []byte("done"))
	b = append(h2frame.AppendFrameHeader(b, h2frame.Header{Length: 5, Type: h2frame.TypePriority, StreamID: 5}), 0x80, 0, 0, 3, 9)
	b = append(h2frame.AppendFrameHeader(b, h2frame.Header{Length: 1, Type: h2frame.TypeContinuation, Flags: h2frame.FlagEndHeaders, StreamID: 5}), 'c')
	b = append(h2frame.AppendFrameHeader(b, h2frame.Header{Length: 3, Type: 0x33, Flags: 0x7}), "ext"...)

	frames := parseAll(t, b)
	if len(frames) != 12 {
		t.Fatalf("%d frames", len(frames))
	}
	wantSettings(t, frames[0], []h2frame.Setting{{ID: h2frame.SettingMaxFrameSize, Val: 1 << 20}, {ID: h2frame.SettingEnablePush, Val: 0}})
	wantHeader(t, frames[1], 0, h2frame.TypeSettings, h2frame.FlagAck, 0)
	wantHeader(t, frames[2], 5, h2frame.TypeHeaders, h2frame.FlagEndHeaders, 1)
	wantFragment(t, frames[2], "block", h2frame.Priority{}, false)
	wantHeader(t, frames[3], 5, h2frame.TypeData, 0, 1)
	wantBytes(t, "DataPayload", frames[3].DataPayload(), "chunk")
	wantHeader(t, frames[4], 0, h2frame.TypeData, h2frame.FlagEndStream, 1)
	if frames[5].StreamID != 3 || frames[5].RSTCode() != h2frame.ErrCodeCancel {
		t.Fatalf("RST_STREAM %+v %v", frames[5].Header, frames[5].RSTCode())
	}
	if frames[6].Flags != h2frame.FlagAck || frames[6].PingData() != [8]byte{8, 7, 6, 5, 4, 3, 2, 1} {
		t.Fatalf("PING %+v", frames[6])
	}
	if frames[7].StreamID != 1 || frames[7].WindowIncrement() != 1000 {
		t.Fatalf("WINDOW_UPDATE %+v", frames[7])
	}
	if last, code, debug := frames[8].GoAway(); last != 3 || code != h2frame.ErrCodeNo || string(debug) != "done" {
		t.Fatalf("GOAWAY %d %v %q", last, code, debug)
	}
	if p := frames[9].Priority(); p != (h2frame.Priority{StreamDep: 3, Exclusive: true, Weight: 9}) {
		t.Fatalf("PRIORITY %+v", p)
	}
	wantFragment(t, frames[10], "c", h2frame.Priority{}, false)
	wantHeader(t, frames[11], 3, 0x33, 0x7, 0)
}

// TestAppendHeadersSplit checks the HEADERS and CONTINUATION frames of
// field blocks around the maximum frame size.
func TestAppendHeadersSplit(t *testing.T) {
	block := make([]byte, 40000)
	for i := range block {
		block[i] = byte(i)
	}
	tests := []struct {
		size      int
		max       uint32
		endStream bool
		lengths   []uint32
	}{
		{0, 0, true, []uint32{0}},
		{40000, h2frame.DefaultMaxFrameSize, true, []uint32{16384, 16384, 7232}},
		{40000, h2frame.DefaultMaxFrameSize, false, []uint32{16384, 16384, 7232}},
		{40000, 0, false, []uint32{16384, 16384, 7232}},   // raised to the default
		{40000, 100, false, []uint32{16384, 16384, 7232}}, // raised to the default
		{40000, 20000, true, []uint32{20000, 20000}},      // exact multiple
		{40000, 1 << 30, false, []uint32{40000}},          // lowered to the limit
		{16384, h2frame.DefaultMaxFrameSize, true, []uint32{16384}},
		{16385, h2frame.DefaultMaxFrameSize, true, []uint32{16384, 1}},
		{32768, h2frame.DefaultMaxFrameSize, false, []uint32{16384, 16384}},
	}
	for _, tt := range tests {
		b := h2frame.AppendHeaders(nil, 7, tt.endStream, block[:tt.size], tt.max)
		frames := parseAll(t, b)
		if len(frames) != len(tt.lengths) {
			t.Fatalf("%d bytes at %d: %d frames, want %d", tt.size, tt.max, len(frames), len(tt.lengths))
		}
		var joined []byte
		for i, f := range frames {
			wantType, wantFlags := h2frame.TypeContinuation, h2frame.Flags(0)
			if i == 0 {
				wantType = h2frame.TypeHeaders
				if tt.endStream {
					wantFlags |= h2frame.FlagEndStream
				}
			}
			if i == len(frames)-1 {
				wantFlags |= h2frame.FlagEndHeaders
			}
			wantHeader(t, f, tt.lengths[i], wantType, wantFlags, 7)
			frag, _, _ := f.HeadersFragment()
			joined = append(joined, frag...)
		}
		if !bytes.Equal(joined, block[:tt.size]) {
			t.Fatalf("%d bytes at %d: the fragments do not join into the block", tt.size, tt.max)
		}
	}
}

func TestAppendGoAwayCutsDebug(t *testing.T) {
	debug := bytes.Repeat([]byte("d"), 20000)
	f := mustParse(t, h2frame.AppendGoAway(nil, 1, h2frame.ErrCodeInternal, debug))
	if _, _, got := f.GoAway(); f.Length != h2frame.DefaultMaxFrameSize || len(got) != h2frame.DefaultMaxFrameSize-8 {
		t.Fatalf("frame of %d bytes, debug of %d", f.Length, len(got))
	}
}

// The appenders panic, naming the value, on what the wire format cannot
// carry.
func TestAppendPanics(t *testing.T) {
	tests := []struct {
		name, want string
		fn         func()
	}{
		{"length", "frame length 16777216 above 16777215", func() {
			h2frame.AppendFrameHeader(nil, h2frame.Header{Length: 1 << 24})
		}},
		{"stream", "stream identifier 2147483648 above 2^31-1", func() {
			h2frame.AppendFrameHeader(nil, h2frame.Header{StreamID: 1 << 31})
		}},
		{"DATA stream", "stream identifier 4294967295", func() { h2frame.AppendData(nil, 1<<32-1, false, nil) }},
		{"DATA length", "frame length 16777216", func() { h2frame.AppendData(nil, 1, false, make([]byte, 1<<24+5)) }},
		{"HEADERS stream", "stream identifier 2147483648", func() { h2frame.AppendHeaders(nil, 1<<31, false, nil, 0) }},
		{"GOAWAY last stream", "stream identifier 2147483648", func() { h2frame.AppendGoAway(nil, 1<<31, 0, nil) }},
		{"WINDOW_UPDATE increment", "window increment 2147483648 above 2^31-1", func() { h2frame.AppendWindowUpdate(nil, 0, 1<<31) }},
	}
	for _, tt := range tests {
		func() {
			defer func() {
				r := recover()
				if s, _ := r.(string); !strings.Contains(s, tt.want) {
					t.Errorf("%s: panic %v, want %q", tt.name, r, tt.want)
				}
			}()
			tt.fn()
		}()
	}
}
