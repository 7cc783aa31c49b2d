package h2frame_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/workerman-go/workerman/protocols/http/internal/h2frame"
)

// TestParseLayouts parses frames written by hand from the layouts of RFC
// 9113 section 6 and checks every field the readers return.
func TestParseLayouts(t *testing.T) {
	const (
		endStream  = h2frame.FlagEndStream
		endHeaders = h2frame.FlagEndHeaders
		padded     = h2frame.FlagPadded
		priority   = h2frame.FlagPriority
		ack        = h2frame.FlagAck
	)
	type prio = h2frame.Priority
	tests := []struct {
		name  string
		b     []byte
		check func(t *testing.T, f h2frame.Frame)
	}{
		{"DATA", raw(h2frame.TypeData, endStream, 1, []byte("hello")), func(t *testing.T, f h2frame.Frame) {
			wantHeader(t, f, 5, h2frame.TypeData, endStream, 1)
			wantBytes(t, "DataPayload", f.DataPayload(), "hello")
		}},
		{"DATA padded", raw(h2frame.TypeData, padded, 3, []byte{2}, []byte("hi"), pad(2)), func(t *testing.T, f h2frame.Frame) {
			wantHeader(t, f, 5, h2frame.TypeData, padded, 3)
			wantBytes(t, "DataPayload", f.DataPayload(), "hi")
		}},
		{"DATA padded empty", raw(h2frame.TypeData, padded|endStream, 3, []byte{0}), func(t *testing.T, f h2frame.Frame) {
			wantBytes(t, "DataPayload", f.DataPayload(), "")
		}},
		{"DATA all padding", raw(h2frame.TypeData, padded, 3, []byte{3}, pad(3)), func(t *testing.T, f h2frame.Frame) {
			wantHeader(t, f, 4, h2frame.TypeData, padded, 3)
			wantBytes(t, "DataPayload", f.DataPayload(), "")
		}},
		{"DATA empty", raw(h2frame.TypeData, endStream, 3), func(t *testing.T, f h2frame.Frame) {
			wantBytes(t, "DataPayload", f.DataPayload(), "")
		}},
		{"DATA undefined flags ignored", raw(h2frame.TypeData, 0xf6|endStream, 1, []byte("x")), func(t *testing.T, f h2frame.Frame) {
			wantBytes(t, "DataPayload", f.DataPayload(), "x")
		}},
		{"DATA reserved bit", raw(h2frame.TypeData, 0, 1<<31|5, []byte("x")), func(t *testing.T, f h2frame.Frame) {
			wantHeader(t, f, 1, h2frame.TypeData, 0, 5)
		}},
		{"DATA of the maximum size", raw(h2frame.TypeData, 0, 1, pad(h2frame.DefaultMaxFrameSize)), func(t *testing.T, f h2frame.Frame) {
			if len(f.DataPayload()) != h2frame.DefaultMaxFrameSize {
				t.Fatalf("DataPayload: %d bytes", len(f.DataPayload()))
			}
		}},
		{"HEADERS", raw(h2frame.TypeHeaders, endHeaders|endStream, 1, []byte{0x82, 0x86}), func(t *testing.T, f h2frame.Frame) {
			wantHeader(t, f, 2, h2frame.TypeHeaders, endHeaders|endStream, 1)
			wantFragment(t, f, "\x82\x86", prio{}, false)
		}},
		{"HEADERS padded with priority", raw(h2frame.TypeHeaders, padded|priority|endHeaders, 5, []byte{3}, u32(1<<31|3), []byte{15}, []byte("abc"), pad(3)), func(t *testing.T, f h2frame.Frame) {
			wantHeader(t, f, 12, h2frame.TypeHeaders, padded|priority|endHeaders, 5)
			wantFragment(t, f, "abc", prio{StreamDep: 3, Exclusive: true, Weight: 15}, true)
		}},
		{"HEADERS with priority", raw(h2frame.TypeHeaders, priority, 7, u32(0), []byte{255}, []byte("x")), func(t *testing.T, f h2frame.Frame) {
			wantFragment(t, f, "x", prio{Weight: 255}, true)
		}},
		{"HEADERS padded, padding fills it", raw(h2frame.TypeHeaders, padded, 7, []byte{2}, pad(2)), func(t *testing.T, f h2frame.Frame) {
			wantFragment(t, f, "", prio{}, false)
		}},
		{"PRIORITY", raw(h2frame.TypePriority, 0, 9, u32(1<<31|11), []byte{200}), func(t *testing.T, f h2frame.Frame) {
			wantHeader(t, f, 5, h2frame.TypePriority, 0, 9)
			if got, want := f.Priority(), (prio{StreamDep: 11, Exclusive: true, Weight: 200}); got != want {
				t.Fatalf("Priority() = %+v, want %+v", got, want)
			}
		}},
		{"RST_STREAM", raw(h2frame.TypeRSTStream, 0, 1, u32(8)), func(t *testing.T, f h2frame.Frame) {
			wantHeader(t, f, 4, h2frame.TypeRSTStream, 0, 1)
			if f.RSTCode() != h2frame.ErrCodeCancel {
				t.Fatalf("RSTCode() = %v", f.RSTCode())
			}
		}},
		{"RST_STREAM unknown code", raw(h2frame.TypeRSTStream, 0, 1, u32(0x1234)), func(t *testing.T, f h2frame.Frame) {
			if f.RSTCode() != 0x1234 {
				t.Fatalf("RSTCode() = %v", f.RSTCode())
			}
		}},
		{"SETTINGS", raw(h2frame.TypeSettings, 0, 0,
			setting(h2frame.SettingHeaderTableSize, 4096), setting(h2frame.SettingEnablePush, 0),
			setting(h2frame.SettingMaxConcurrentStreams, 100), setting(h2frame.SettingInitialWindowSize, 1<<31-1),
			setting(h2frame.SettingMaxFrameSize, 1<<24-1), setting(h2frame.SettingMaxHeaderListSize, 0),
			setting(h2frame.SettingEnableConnectProtocol, 1), setting(h2frame.SettingNoRFC7540Priorities, 1),
			setting(0xff, 7), setting(h2frame.SettingMaxFrameSize, 16384)),
			func(t *testing.T, f h2frame.Frame) {
				wantHeader(t, f, 60, h2frame.TypeSettings, 0, 0)
				wantSettings(t, f, []h2frame.Setting{
					{ID: h2frame.SettingHeaderTableSize, Val: 4096}, {ID: h2frame.SettingEnablePush, Val: 0},
					{ID: h2frame.SettingMaxConcurrentStreams, Val: 100}, {ID: h2frame.SettingInitialWindowSize, Val: 1<<31 - 1},
					{ID: h2frame.SettingMaxFrameSize, Val: 1<<24 - 1}, {ID: h2frame.SettingMaxHeaderListSize, Val: 0},
					{ID: h2frame.SettingEnableConnectProtocol, Val: 1}, {ID: h2frame.SettingNoRFC7540Priorities, Val: 1},
					{ID: 0xff, Val: 7}, {ID: h2frame.SettingMaxFrameSize, Val: 16384},
				})
			}},
		{"SETTINGS empty", raw(h2frame.TypeSettings, 0, 0), func(t *testing.T, f h2frame.Frame) {
			wantSettings(t, f, nil)
		}},
		{"SETTINGS ACK", raw(h2frame.TypeSettings, ack, 0), func(t *testing.T, f h2frame.Frame) {
			wantHeader(t, f, 0, h2frame.TypeSettings, ack, 0)
			wantSettings(t, f, nil)
		}},
		{"PUSH_PROMISE padded", raw(h2frame.TypePushPromise, endHeaders|padded, 1, []byte{1}, u32(2), []byte("hb"), pad(1)), func(t *testing.T, f h2frame.Frame) {
			wantHeader(t, f, 8, h2frame.TypePushPromise, endHeaders|padded, 1)
			id, block := f.PushPromise()
			if id != 2 || string(block) != "hb" {
				t.Fatalf("PushPromise() = %d, %q", id, block)
			}
		}},
		{"PUSH_PROMISE", raw(h2frame.TypePushPromise, 0, 1, u32(1<<31|4)), func(t *testing.T, f h2frame.Frame) {
			id, block := f.PushPromise()
			if id != 4 || len(block) != 0 {
				t.Fatalf("PushPromise() = %d, %q", id, block)
			}
		}},
		{"PING", raw(h2frame.TypePing, 0, 0, []byte("12345678")), func(t *testing.T, f h2frame.Frame) {
			wantHeader(t, f, 8, h2frame.TypePing, 0, 0)
			if d := f.PingData(); string(d[:]) != "12345678" {
				t.Fatalf("PingData() = %q", d)
			}
		}},
		{"PING ACK", raw(h2frame.TypePing, ack, 0, []byte("abcdefgh")), func(t *testing.T, f h2frame.Frame) {
			wantHeader(t, f, 8, h2frame.TypePing, ack, 0)
		}},
		{"GOAWAY", raw(h2frame.TypeGoAway, 0, 0, u32(1<<31|7), u32(2), []byte("debug")), func(t *testing.T, f h2frame.Frame) {
			wantHeader(t, f, 13, h2frame.TypeGoAway, 0, 0)
			last, code, debug := f.GoAway()
			if last != 7 || code != h2frame.ErrCodeInternal || string(debug) != "debug" {
				t.Fatalf("GoAway() = %d, %v, %q", last, code, debug)
			}
		}},
		{"GOAWAY without debug data", raw(h2frame.TypeGoAway, 0, 0, u32(0), u32(0)), func(t *testing.T, f h2frame.Frame) {
			last, code, debug := f.GoAway()
			if last != 0 || code != h2frame.ErrCodeNo || len(debug) != 0 {
				t.Fatalf("GoAway() = %d, %v, %q", last, code, debug)
			}
		}},
		{"WINDOW_UPDATE connection", raw(h2frame.TypeWindowUpdate, 0, 0, u32(1<<31|1000)), func(t *testing.T, f h2frame.Frame) {
			wantHeader(t, f, 4, h2frame.TypeWindowUpdate, 0, 0)
			if f.WindowIncrement() != 1000 {
				t.Fatalf("WindowIncrement() = %d", f.WindowIncrement())
			}
		}},
		{"WINDOW_UPDATE stream", raw(h2frame.TypeWindowUpdate, 0, 3, u32(1<<31-1)), func(t *testing.T, f h2frame.Frame) {
			if f.WindowIncrement() != 1<<31-1 {
				t.Fatalf("WindowIncrement() = %d", f.WindowIncrement())
			}
		}},
		{"CONTINUATION", raw(h2frame.TypeContinuation, endHeaders, 1, []byte("more")), func(t *testing.T, f h2frame.Frame) {
			wantHeader(t, f, 4, h2frame.TypeContinuation, endHeaders, 1)
			wantFragment(t, f, "more", prio{}, false)
		}},
		{"unknown type", raw(0x10, 0xff, 0, []byte("opaque")), func(t *testing.T, f h2frame.Frame) {
			wantHeader(t, f, 6, 0x10, 0xff, 0)
			wantBytes(t, "Payload", f.Payload, "opaque")
		}},
		{"unknown type on a stream", raw(0xfa, 0, 9), func(t *testing.T, f h2frame.Frame) {
			wantHeader(t, f, 0, 0xfa, 0, 9)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := mustParse(t, tt.b)
			tt.check(t, f)
			// Trailing bytes of the next frame are left alone.
			g, n, err := h2frame.Parse(append(tt.b[:len(tt.b):len(tt.b)], 0, 0), h2frame.DefaultMaxFrameSize)
			if err != nil || n != len(tt.b) || g.Header != f.Header || !bytes.Equal(g.Payload, f.Payload) {
				t.Fatalf("with trailing bytes: n = %d, err = %v, header %+v", n, err, g.Header)
			}
		})
	}
}

func wantHeader(t *testing.T, f h2frame.Frame, length uint32, typ h2frame.Type, flags h2frame.Flags, stream uint32) {
	t.Helper()
	want := h2frame.Header{Length: length, Type: typ, Flags: flags, StreamID: stream}
	if f.Header != want {
		t.Fatalf("header %+v, want %+v", f.Header, want)
	}
	if len(f.Payload) != int(length) {
		t.Fatalf("payload of %d bytes, want %d", len(f.Payload), length)
	}
}

func wantBytes(t *testing.T, what string, got []byte, want string) {
	t.Helper()
	if string(got) != want {
		t.Fatalf("%s = %q, want %q", what, got, want)
	}
}

func wantFragment(t *testing.T, f h2frame.Frame, block string, prio h2frame.Priority, hasPrio bool) {
	t.Helper()
	b, p, has := f.HeadersFragment()
	if string(b) != block || p != prio || has != hasPrio {
		t.Fatalf("HeadersFragment() = %q, %+v, %v; want %q, %+v, %v", b, p, has, block, prio, hasPrio)
	}
}

func wantSettings(t *testing.T, f h2frame.Frame, want []h2frame.Setting) {
	t.Helper()
	if f.NumSettings() != len(want) {
		t.Fatalf("NumSettings() = %d, want %d", f.NumSettings(), len(want))
	}
	var got []h2frame.Setting
	if err := f.Settings(func(s h2frame.Setting) error { got = append(got, s); return nil }); err != nil {
		t.Fatal(err)
	}
	for i, s := range want {
		if f.Setting(i) != s || got[i] != s {
			t.Fatalf("setting %d: Setting(i) = %+v, Settings gave %+v, want %+v", i, f.Setting(i), got[i], s)
		}
	}
}

// TestParseErrors checks every error Parse returns: its kind (connection
// or stream), code, stream and message, what Parse returns with it, and
// whether it is found from the 9-byte header alone.
func TestParseErrors(t *testing.T) {
	const (
		conn   = true
		stream = false
		// headerOnly: found before the payload arrives.
		headerOnly = true
		payload    = false
	)
	const (
		padded   = h2frame.FlagPadded
		priority = h2frame.FlagPriority
	)
	tests := []struct {
		name       string
		b          []byte
		conn       bool
		code       h2frame.ErrCode
		streamID   uint32 // of a stream error
		headerOnly bool
		reason     string
	}{
		// Stream identifier 0 where a stream is needed (section 6).
		{"DATA on stream 0", raw(h2frame.TypeData, 0, 0, []byte("x")), conn, h2frame.ErrCodeProtocol, 0, headerOnly, "DATA frame on stream 0"},
		{"DATA on stream 0, reserved bit", raw(h2frame.TypeData, 0, 1<<31, []byte("x")), conn, h2frame.ErrCodeProtocol, 0, headerOnly, "DATA frame on stream 0"},
		{"HEADERS on stream 0", raw(h2frame.TypeHeaders, h2frame.FlagEndHeaders, 0, []byte{0x82}), conn, h2frame.ErrCodeProtocol, 0, headerOnly, "HEADERS frame on stream 0"},
		{"PRIORITY on stream 0", raw(h2frame.TypePriority, 0, 0, u32(1), []byte{1}), conn, h2frame.ErrCodeProtocol, 0, headerOnly, "PRIORITY frame on stream 0"},
		{"RST_STREAM on stream 0", raw(h2frame.TypeRSTStream, 0, 0, u32(0)), conn, h2frame.ErrCodeProtocol, 0, headerOnly, "RST_STREAM frame on stream 0"},
		{"PUSH_PROMISE on stream 0", raw(h2frame.TypePushPromise, 0, 0, u32(2)), conn, h2frame.ErrCodeProtocol, 0, headerOnly, "PUSH_PROMISE frame on stream 0"},
		{"CONTINUATION on stream 0", raw(h2frame.TypeContinuation, 0, 0, []byte("x")), conn, h2frame.ErrCodeProtocol, 0, headerOnly, "CONTINUATION frame on stream 0"},
		// A stream identifier where none may be.
		{"SETTINGS on a stream", raw(h2frame.TypeSettings, 0, 1), conn, h2frame.ErrCodeProtocol, 0, headerOnly, "SETTINGS frame on stream 1, must be on stream 0"},
		{"PING on a stream", raw(h2frame.TypePing, 0, 3, pad(8)), conn, h2frame.ErrCodeProtocol, 0, headerOnly, "PING frame on stream 3"},
		{"GOAWAY on a stream", raw(h2frame.TypeGoAway, 0, 5, pad(8)), conn, h2frame.ErrCodeProtocol, 0, headerOnly, "GOAWAY frame on stream 5"},
		// Fixed lengths.
		{"RST_STREAM of 3 bytes", raw(h2frame.TypeRSTStream, 0, 1, pad(3)), conn, h2frame.ErrCodeFrameSize, 0, headerOnly, "RST_STREAM frame of 3 bytes, must be 4"},
		{"RST_STREAM of 5 bytes", raw(h2frame.TypeRSTStream, 0, 1, pad(5)), conn, h2frame.ErrCodeFrameSize, 0, headerOnly, "RST_STREAM frame of 5 bytes"},
		{"WINDOW_UPDATE of 3 bytes", raw(h2frame.TypeWindowUpdate, 0, 0, pad(3)), conn, h2frame.ErrCodeFrameSize, 0, headerOnly, "WINDOW_UPDATE frame of 3 bytes, must be 4"},
		{"WINDOW_UPDATE of 5 bytes on a stream", raw(h2frame.TypeWindowUpdate, 0, 1, u32(1), pad(1)), conn, h2frame.ErrCodeFrameSize, 0, headerOnly, "WINDOW_UPDATE frame of 5 bytes"},
		{"SETTINGS of 5 bytes", raw(h2frame.TypeSettings, 0, 0, pad(5)), conn, h2frame.ErrCodeFrameSize, 0, headerOnly, "SETTINGS frame of 5 bytes, not a multiple of 6"},
		{"SETTINGS of 13 bytes", raw(h2frame.TypeSettings, 0, 0, pad(13)), conn, h2frame.ErrCodeFrameSize, 0, headerOnly, "not a multiple of 6"},
		{"SETTINGS ACK with a payload", raw(h2frame.TypeSettings, h2frame.FlagAck, 0, setting(1, 0)), conn, h2frame.ErrCodeFrameSize, 0, headerOnly, "SETTINGS ACK frame of 6 bytes, must be empty"},
		{"PING of 7 bytes", raw(h2frame.TypePing, 0, 0, pad(7)), conn, h2frame.ErrCodeFrameSize, 0, headerOnly, "PING frame of 7 bytes, must be 8"},
		{"PING of 9 bytes", raw(h2frame.TypePing, h2frame.FlagAck, 0, pad(9)), conn, h2frame.ErrCodeFrameSize, 0, headerOnly, "PING frame of 9 bytes"},
		{"GOAWAY of 7 bytes", raw(h2frame.TypeGoAway, 0, 0, pad(7)), conn, h2frame.ErrCodeFrameSize, 0, headerOnly, "GOAWAY frame of 7 bytes, must be at least 8"},
		// Too short for the fixed fields of the flags.
		{"DATA padded, empty", raw(h2frame.TypeData, padded, 1), conn, h2frame.ErrCodeFrameSize, 0, headerOnly, "DATA frame of 0 bytes with flags 0x8, too short"},
		{"HEADERS padded, empty", raw(h2frame.TypeHeaders, padded, 1), conn, h2frame.ErrCodeFrameSize, 0, headerOnly, "HEADERS frame of 0 bytes"},
		{"HEADERS with priority, 4 bytes", raw(h2frame.TypeHeaders, priority, 1, pad(4)), conn, h2frame.ErrCodeFrameSize, 0, headerOnly, "too short for its fixed fields of 5 bytes"},
		{"HEADERS padded with priority, 5 bytes", raw(h2frame.TypeHeaders, padded|priority, 1, pad(5)), conn, h2frame.ErrCodeFrameSize, 0, headerOnly, "fixed fields of 6 bytes"},
		{"PUSH_PROMISE of 3 bytes", raw(h2frame.TypePushPromise, 0, 1, pad(3)), conn, h2frame.ErrCodeFrameSize, 0, headerOnly, "PUSH_PROMISE frame of 3 bytes"},
		{"PUSH_PROMISE padded, 4 bytes", raw(h2frame.TypePushPromise, padded, 1, pad(4)), conn, h2frame.ErrCodeFrameSize, 0, headerOnly, "fixed fields of 5 bytes"},
		// Padding longer than the payload.
		{"DATA padding too long", raw(h2frame.TypeData, padded, 1, []byte{5}, []byte("abcd")), conn, h2frame.ErrCodeProtocol, 0, payload, "DATA frame of 5 bytes with 5 bytes of padding"},
		{"DATA padding 255", raw(h2frame.TypeData, padded, 1, []byte{255}), conn, h2frame.ErrCodeProtocol, 0, payload, "with 255 bytes of padding"},
		{"HEADERS padding too long", raw(h2frame.TypeHeaders, padded|h2frame.FlagEndHeaders, 1, []byte{3}, []byte("ab")), conn, h2frame.ErrCodeProtocol, 0, payload, "HEADERS frame of 3 bytes with 3 bytes of padding"},
		{"HEADERS padding over the priority", raw(h2frame.TypeHeaders, padded|priority, 1, []byte{2}, u32(0), []byte{0}, []byte("a")), conn, h2frame.ErrCodeProtocol, 0, payload, "with 2 bytes of padding"},
		{"PUSH_PROMISE padding too long", raw(h2frame.TypePushPromise, padded, 1, []byte{2}, u32(2), []byte("a")), conn, h2frame.ErrCodeProtocol, 0, payload, "PUSH_PROMISE frame of 6 bytes with 2 bytes of padding"},
		// SETTINGS values (section 6.5.2).
		{"ENABLE_PUSH 2", raw(h2frame.TypeSettings, 0, 0, setting(h2frame.SettingEnablePush, 2)), conn, h2frame.ErrCodeProtocol, 0, payload, "SETTINGS_ENABLE_PUSH is 2, must be 0 or 1"},
		{"INITIAL_WINDOW_SIZE 2^31", raw(h2frame.TypeSettings, 0, 0, setting(h2frame.SettingHeaderTableSize, 0), setting(h2frame.SettingInitialWindowSize, 1<<31)), conn, h2frame.ErrCodeFlowControl, 0, payload, "SETTINGS_INITIAL_WINDOW_SIZE is 2147483648"},
		{"MAX_FRAME_SIZE 16383", raw(h2frame.TypeSettings, 0, 0, setting(h2frame.SettingMaxFrameSize, 16383)), conn, h2frame.ErrCodeProtocol, 0, payload, "SETTINGS_MAX_FRAME_SIZE is 16383, must be within [16384, 16777215]"},
		{"MAX_FRAME_SIZE 2^24", raw(h2frame.TypeSettings, 0, 0, setting(h2frame.SettingMaxFrameSize, 1<<24)), conn, h2frame.ErrCodeProtocol, 0, payload, "SETTINGS_MAX_FRAME_SIZE is 16777216"},
		{"ENABLE_CONNECT_PROTOCOL 2", raw(h2frame.TypeSettings, 0, 0, setting(h2frame.SettingEnableConnectProtocol, 2)), conn, h2frame.ErrCodeProtocol, 0, payload, "SETTINGS_ENABLE_CONNECT_PROTOCOL is 2"},
		{"NO_RFC7540_PRIORITIES 7", raw(h2frame.TypeSettings, 0, 0, setting(h2frame.SettingNoRFC7540Priorities, 7)), conn, h2frame.ErrCodeProtocol, 0, payload, "SETTINGS_NO_RFC7540_PRIORITIES is 7"},
		// WINDOW_UPDATE of 0 (section 6.9).
		{"WINDOW_UPDATE 0 on the connection", raw(h2frame.TypeWindowUpdate, 0, 0, u32(0)), conn, h2frame.ErrCodeProtocol, 0, payload, "WINDOW_UPDATE frame with an increment of 0 on the connection"},
		{"WINDOW_UPDATE 0 on a stream", raw(h2frame.TypeWindowUpdate, 0, 7, u32(0)), stream, h2frame.ErrCodeProtocol, 7, payload, "WINDOW_UPDATE frame with an increment of 0"},
		{"WINDOW_UPDATE reserved bit only", raw(h2frame.TypeWindowUpdate, 0, 7, u32(1<<31)), stream, h2frame.ErrCodeProtocol, 7, payload, "increment of 0"},
		// PRIORITY (section 6.3) and self-dependency (section 5.3.1).
		{"PRIORITY of 4 bytes", raw(h2frame.TypePriority, 0, 3, pad(4)), stream, h2frame.ErrCodeFrameSize, 3, payload, "PRIORITY frame of 4 bytes, must be 5"},
		{"PRIORITY of 6 bytes", raw(h2frame.TypePriority, 0, 3, u32(1), pad(2)), stream, h2frame.ErrCodeFrameSize, 3, payload, "PRIORITY frame of 6 bytes"},
		{"PRIORITY of 0 bytes", raw(h2frame.TypePriority, 0, 3), stream, h2frame.ErrCodeFrameSize, 3, payload, "PRIORITY frame of 0 bytes"},
		{"PRIORITY on itself", raw(h2frame.TypePriority, 0, 3, u32(3), []byte{0}), stream, h2frame.ErrCodeProtocol, 3, payload, "PRIORITY frame makes stream 3 depend on itself"},
		{"PRIORITY on itself, exclusive", raw(h2frame.TypePriority, 0, 3, u32(1<<31|3), []byte{0}), stream, h2frame.ErrCodeProtocol, 3, payload, "depend on itself"},
		{"HEADERS on itself", raw(h2frame.TypeHeaders, priority|h2frame.FlagEndHeaders, 5, u32(5), []byte{0}, []byte("x")), stream, h2frame.ErrCodeProtocol, 5, payload, "HEADERS frame makes stream 5 depend on itself"},
		// Frame size (section 4.2).
		{"DATA over the maximum", rawLen(h2frame.DefaultMaxFrameSize+1, h2frame.TypeData, 0, 1), conn, h2frame.ErrCodeFrameSize, 0, headerOnly, "DATA frame of 16385 bytes on stream 1 exceeds the maximum frame size of 16384"},
		{"unknown type over the maximum", rawLen(1<<24-1, 0xee, 0, 0), conn, h2frame.ErrCodeFrameSize, 0, headerOnly, "UNKNOWN_TYPE_0xee frame of 16777215 bytes"},
		{"SETTINGS over the maximum", rawLen(6*3000, h2frame.TypeSettings, 0, 0), conn, h2frame.ErrCodeFrameSize, 0, headerOnly, "exceeds the maximum frame size"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check := func(t *testing.T, b []byte) {
				t.Helper()
				f, n, err := h2frame.Parse(b, h2frame.DefaultMaxFrameSize)
				if err == nil {
					t.Fatalf("Parse(% x) = %+v, n = %d, nil error", b, f.Header, n)
				}
				if !strings.Contains(err.Error(), tt.reason) || !strings.Contains(err.Error(), tt.code.String()) {
					t.Fatalf("error %q, want %s and %q", err, tt.code, tt.reason)
				}
				if tt.conn {
					ce := asConn(err)
					if ce == nil || ce.Code != tt.code || asStream(err) != nil {
						t.Fatalf("error %#v, want a *ConnError %s", err, tt.code)
					}
					if n != 0 || f.Header != (h2frame.Header{}) || f.Payload != nil {
						t.Fatalf("connection error with n = %d, frame %+v", n, f)
					}
					return
				}
				se := asStream(err)
				if se == nil || se.Code != tt.code || se.StreamID != tt.streamID || asConn(err) != nil {
					t.Fatalf("error %#v, want a *StreamError %s on stream %d", err, tt.code, tt.streamID)
				}
				if n != len(tt.b) || f.StreamID != tt.streamID || !bytes.Equal(f.Payload, tt.b[h2frame.HeaderLen:]) {
					t.Fatalf("stream error with n = %d (want %d), frame %+v", n, len(tt.b), f)
				}
			}
			check(t, tt.b)
			if tt.headerOnly {
				check(t, tt.b[:h2frame.HeaderLen])
			} else if f, n, err := h2frame.Parse(tt.b[:len(tt.b)-1], h2frame.DefaultMaxFrameSize); n != 0 || err != nil {
				t.Fatalf("incomplete frame: n = %d, err = %v, frame %+v", n, err, f)
			}
		})
	}
}

// A HEADERS frame refused with a stream error still gives its field block,
// which the server must decode to keep its HPACK state.
func TestStreamErrorKeepsHeadersFragment(t *testing.T) {
	b := raw(h2frame.TypeHeaders, h2frame.FlagPriority|h2frame.FlagEndHeaders, 5, u32(5), []byte{0}, []byte("\x82\x86"))
	f, n, err := h2frame.Parse(append(b, "next"...), h2frame.DefaultMaxFrameSize)
	if asStream(err) == nil || n != len(b) {
		t.Fatalf("n = %d, err = %v", n, err)
	}
	wantFragment(t, f, "\x82\x86", h2frame.Priority{StreamDep: 5}, true)
}

// TestParseIncremental feeds frames one byte at a time: Parse returns
// n == 0 until the frame is complete, then the frame.
func TestParseIncremental(t *testing.T) {
	var stream []byte
	stream = h2frame.AppendSettings(stream, h2frame.Setting{ID: h2frame.SettingInitialWindowSize, Val: 1 << 20})
	stream = h2frame.AppendSettingsAck(stream)
	stream = h2frame.AppendWindowUpdate(stream, 0, 1<<20)
	stream = h2frame.AppendHeaders(stream, 1, false, bytes.Repeat([]byte{0x82}, 40000), h2frame.DefaultMaxFrameSize)
	stream = append(stream, raw(h2frame.TypePriority, 0, 1, u32(0), []byte{16})...)
	stream = append(stream, raw(h2frame.TypeData, h2frame.FlagPadded, 1, []byte{4}, []byte("body"), pad(4))...)
	stream = h2frame.AppendData(stream, 1, true, nil)
	stream = h2frame.AppendPing(stream, false, [8]byte{1, 2, 3})
	stream = append(stream, raw(0x20, 0, 0, []byte("ext"))...)
	stream = h2frame.AppendRSTStream(stream, 1, h2frame.ErrCodeCancel)
	stream = h2frame.AppendGoAway(stream, 1, h2frame.ErrCodeNo, []byte("bye"))
	want := []h2frame.Type{
		h2frame.TypeSettings, h2frame.TypeSettings, h2frame.TypeWindowUpdate,
		h2frame.TypeHeaders, h2frame.TypeContinuation, h2frame.TypeContinuation,
		h2frame.TypePriority, h2frame.TypeData, h2frame.TypeData, h2frame.TypePing, 0x20,
		h2frame.TypeRSTStream, h2frame.TypeGoAway,
	}

	// Byte by byte into a growing buffer, consuming each frame as it
	// completes, as the server does.
	var buf []byte
	var got []h2frame.Type
	var body []byte
	for i, c := range stream {
		buf = append(buf, c)
		f, n, err := h2frame.Parse(buf, h2frame.DefaultMaxFrameSize)
		if err != nil {
			t.Fatalf("byte %d: %v", i, err)
		}
		if n == 0 {
			continue
		}
		if n != len(buf) {
			t.Fatalf("byte %d: n = %d, buffer of %d", i, n, len(buf))
		}
		got = append(got, f.Type)
		body = append(body, f.DataPayload()...)
		buf = buf[:0]
	}
	if len(buf) != 0 || fmt.Sprint(got) != fmt.Sprint(want) || string(body) != "body" {
		t.Fatalf("frames %v (%d bytes left, body %q), want %v", got, len(buf), body, want)
	}

	// Each frame alone: every strict prefix is incomplete.
	for b := stream; len(b) > 0; {
		_, size, err := h2frame.Parse(b, h2frame.DefaultMaxFrameSize)
		if err != nil || size == 0 {
			t.Fatalf("n = %d, err = %v", size, err)
		}
		for i := range size {
			if f, n, err := h2frame.Parse(b[:i], h2frame.DefaultMaxFrameSize); n != 0 || err != nil {
				t.Fatalf("prefix of %d of a %d-byte frame: n = %d, err = %v, %+v", i, size, n, err, f.Header)
			}
		}
		b = b[size:]
	}
}

// TestParseOversized: a length above the maximum is refused from the header
// alone; maxFrameSize is raised to the default and may be larger.
func TestParseOversized(t *testing.T) {
	header := rawLen(1<<24-1, h2frame.TypeData, 0, 1)
	if _, n, err := h2frame.Parse(header, h2frame.DefaultMaxFrameSize); n != 0 || asConn(err) == nil || asConn(err).Code != h2frame.ErrCodeFrameSize {
		t.Fatalf("16 MiB header at the default maximum: n = %d, err = %v", n, err)
	}
	if _, n, err := h2frame.Parse(header, h2frame.MaxFrameSizeLimit); n != 0 || err != nil {
		t.Fatalf("16 MiB header at the largest maximum: n = %d, err = %v (want waiting)", n, err)
	}
	big := raw(h2frame.TypeData, 0, 1, pad(100000))
	if f, n, err := h2frame.Parse(big, 100000); err != nil || n != len(big) || len(f.DataPayload()) != 100000 {
		t.Fatalf("100000-byte frame at a maximum of 100000: n = %d, err = %v", n, err)
	}
	if _, _, err := h2frame.Parse(big, 99999); asConn(err) == nil || !strings.Contains(err.Error(), "maximum frame size of 99999") {
		t.Fatalf("100000-byte frame at a maximum of 99999: %v", err)
	}
	full := raw(h2frame.TypeData, 0, 1, pad(h2frame.DefaultMaxFrameSize))
	for _, max := range []uint32{0, 1, 9, 16383} {
		if _, n, err := h2frame.Parse(full, max); err != nil || n != len(full) {
			t.Fatalf("16384-byte frame at a maximum of %d: n = %d, err = %v", max, n, err)
		}
	}
}

// The payload's capacity ends with the frame: appending to it does not
// overwrite the next frame.
func TestPayloadCapacity(t *testing.T) {
	b := append(raw(h2frame.TypeData, 0, 1, []byte("ab")), raw(h2frame.TypePing, 0, 0, []byte("12345678"))...)
	f, n, err := h2frame.Parse(b, 0)
	if err != nil {
		t.Fatal(err)
	}
	_ = append(f.Payload, "XXXXXXXXXXXX"...)
	g := mustParse(t, b[n:])
	if d := g.PingData(); string(d[:]) != "12345678" {
		t.Fatalf("next frame overwritten: %q", d)
	}
}

func TestParsePreface(t *testing.T) {
	p := []byte(h2frame.ClientPreface)
	for i := range len(p) {
		if n, err := h2frame.ParsePreface(p[:i]); n != 0 || err != nil {
			t.Fatalf("prefix of %d: n = %d, err = %v", i, n, err)
		}
	}
	if n, err := h2frame.ParsePreface(append(p, h2frame.AppendSettings(nil)...)); n != 24 || err != nil {
		t.Fatalf("preface and SETTINGS: n = %d, err = %v", n, err)
	}
	for _, bad := range []string{"GET / HTTP/1.1\r\n", "G", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\r", "PRI * HTTP/1.1"} {
		n, err := h2frame.ParsePreface([]byte(bad))
		if ce := asConn(err); n != 0 || ce == nil || ce.Code != h2frame.ErrCodeProtocol || !strings.Contains(err.Error(), "invalid client connection preface") {
			t.Fatalf("%q: n = %d, err = %v", bad, n, err)
		}
	}
}

func TestValidateSetting(t *testing.T) {
	tests := []struct {
		s    h2frame.Setting
		code h2frame.ErrCode // 0: valid
	}{
		{h2frame.Setting{ID: h2frame.SettingEnablePush, Val: 0}, 0},
		{h2frame.Setting{ID: h2frame.SettingEnablePush, Val: 1}, 0},
		{h2frame.Setting{ID: h2frame.SettingEnablePush, Val: 2}, h2frame.ErrCodeProtocol},
		{h2frame.Setting{ID: h2frame.SettingInitialWindowSize, Val: 0}, 0},
		{h2frame.Setting{ID: h2frame.SettingInitialWindowSize, Val: 1<<31 - 1}, 0},
		{h2frame.Setting{ID: h2frame.SettingInitialWindowSize, Val: 1 << 31}, h2frame.ErrCodeFlowControl},
		{h2frame.Setting{ID: h2frame.SettingInitialWindowSize, Val: 1<<32 - 1}, h2frame.ErrCodeFlowControl},
		{h2frame.Setting{ID: h2frame.SettingMaxFrameSize, Val: 16383}, h2frame.ErrCodeProtocol},
		{h2frame.Setting{ID: h2frame.SettingMaxFrameSize, Val: 16384}, 0},
		{h2frame.Setting{ID: h2frame.SettingMaxFrameSize, Val: 1<<24 - 1}, 0},
		{h2frame.Setting{ID: h2frame.SettingMaxFrameSize, Val: 1 << 24}, h2frame.ErrCodeProtocol},
		{h2frame.Setting{ID: h2frame.SettingMaxFrameSize, Val: 0}, h2frame.ErrCodeProtocol},
		{h2frame.Setting{ID: h2frame.SettingEnableConnectProtocol, Val: 1}, 0},
		{h2frame.Setting{ID: h2frame.SettingEnableConnectProtocol, Val: 2}, h2frame.ErrCodeProtocol},
		{h2frame.Setting{ID: h2frame.SettingNoRFC7540Priorities, Val: 2}, h2frame.ErrCodeProtocol},
		{h2frame.Setting{ID: h2frame.SettingHeaderTableSize, Val: 1<<32 - 1}, 0},
		{h2frame.Setting{ID: h2frame.SettingMaxConcurrentStreams, Val: 0}, 0},
		{h2frame.Setting{ID: h2frame.SettingMaxHeaderListSize, Val: 1<<32 - 1}, 0},
		{h2frame.Setting{ID: 0, Val: 1<<32 - 1}, 0},
		{h2frame.Setting{ID: 0x7, Val: 5}, 0},
		{h2frame.Setting{ID: 0xffff, Val: 5}, 0},
	}
	for _, tt := range tests {
		err := h2frame.ValidateSetting(tt.s)
		if tt.code == 0 {
			if err != nil {
				t.Errorf("%v=%d: %v", tt.s.ID, tt.s.Val, err)
			}
			continue
		}
		if ce := asConn(err); ce == nil || ce.Code != tt.code || !strings.Contains(ce.Reason, tt.s.ID.String()) {
			t.Errorf("%v=%d: %v, want a *ConnError %s", tt.s.ID, tt.s.Val, err, tt.code)
		}
	}
}

func TestStrings(t *testing.T) {
	for v, want := range map[h2frame.ErrCode]string{
		h2frame.ErrCodeNo: "NO_ERROR", h2frame.ErrCodeProtocol: "PROTOCOL_ERROR", h2frame.ErrCodeInternal: "INTERNAL_ERROR",
		h2frame.ErrCodeFlowControl: "FLOW_CONTROL_ERROR", h2frame.ErrCodeSettingsTimeout: "SETTINGS_TIMEOUT",
		h2frame.ErrCodeStreamClosed: "STREAM_CLOSED", h2frame.ErrCodeFrameSize: "FRAME_SIZE_ERROR",
		h2frame.ErrCodeRefusedStream: "REFUSED_STREAM", h2frame.ErrCodeCancel: "CANCEL",
		h2frame.ErrCodeCompression: "COMPRESSION_ERROR", h2frame.ErrCodeConnect: "CONNECT_ERROR",
		h2frame.ErrCodeEnhanceYourCalm: "ENHANCE_YOUR_CALM", h2frame.ErrCodeInadequateSecurity: "INADEQUATE_SECURITY",
		h2frame.ErrCodeHTTP11Required: "HTTP_1_1_REQUIRED", 0xe: "UNKNOWN_ERROR_0xe", 0xffffffff: "UNKNOWN_ERROR_0xffffffff",
	} {
		if v.String() != want {
			t.Errorf("ErrCode(%d).String() = %q, want %q", uint32(v), v.String(), want)
		}
	}
	for v, want := range map[h2frame.Type]string{
		h2frame.TypeData: "DATA", h2frame.TypeHeaders: "HEADERS", h2frame.TypePriority: "PRIORITY",
		h2frame.TypeRSTStream: "RST_STREAM", h2frame.TypeSettings: "SETTINGS", h2frame.TypePushPromise: "PUSH_PROMISE",
		h2frame.TypePing: "PING", h2frame.TypeGoAway: "GOAWAY", h2frame.TypeWindowUpdate: "WINDOW_UPDATE",
		h2frame.TypeContinuation: "CONTINUATION", 0xa: "UNKNOWN_TYPE_0xa", 0xff: "UNKNOWN_TYPE_0xff",
	} {
		if v.String() != want {
			t.Errorf("Type(%d).String() = %q, want %q", uint8(v), v.String(), want)
		}
	}
	for v, want := range map[h2frame.SettingID]string{
		h2frame.SettingHeaderTableSize: "HEADER_TABLE_SIZE", h2frame.SettingEnablePush: "ENABLE_PUSH",
		h2frame.SettingMaxConcurrentStreams: "MAX_CONCURRENT_STREAMS", h2frame.SettingInitialWindowSize: "INITIAL_WINDOW_SIZE",
		h2frame.SettingMaxFrameSize: "MAX_FRAME_SIZE", h2frame.SettingMaxHeaderListSize: "MAX_HEADER_LIST_SIZE",
		h2frame.SettingEnableConnectProtocol: "ENABLE_CONNECT_PROTOCOL", h2frame.SettingNoRFC7540Priorities: "NO_RFC7540_PRIORITIES",
		0: "UNKNOWN_SETTING_0x0", 7: "UNKNOWN_SETTING_0x7", 0xffff: "UNKNOWN_SETTING_0xffff",
	} {
		if v.String() != want {
			t.Errorf("SettingID(%d).String() = %q, want %q", uint16(v), v.String(), want)
		}
	}
}

func TestErrorValues(t *testing.T) {
	_, _, err := h2frame.Parse(raw(h2frame.TypePing, 0, 1, pad(8)), 0)
	wrapped := fmt.Errorf("connection 7: %w", err)
	if ce := asConn(wrapped); ce == nil || ce.Code != h2frame.ErrCodeProtocol {
		t.Fatalf("errors.As through a wrap: %v", wrapped)
	}
	if got, want := err.Error(), "h2frame: connection error PROTOCOL_ERROR: PING frame on stream 1, must be on stream 0"; got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
	_, _, err = h2frame.Parse(raw(h2frame.TypePriority, 0, 3, pad(4)), 0)
	if got, want := err.Error(), "h2frame: stream 3 error FRAME_SIZE_ERROR: PRIORITY frame of 4 bytes, must be 5"; got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
	if se := asStream(fmt.Errorf("wrapped: %w", err)); se == nil || se.StreamID != 3 {
		t.Fatalf("errors.As through a wrap: %v", err)
	}
}

func TestFlagsHas(t *testing.T) {
	f := h2frame.FlagEndStream | h2frame.FlagPadded
	if !f.Has(h2frame.FlagEndStream) || !f.Has(h2frame.FlagPadded) || !f.Has(f) || f.Has(h2frame.FlagEndHeaders) || f.Has(h2frame.FlagPadded|h2frame.FlagPriority) {
		t.Fatal("Flags.Has")
	}
}

func TestParseHeader(t *testing.T) {
	h, ok := h2frame.ParseHeader([]byte{0x12, 0x34, 0x56, 0x07, 0x89, 0xff, 0xff, 0xff, 0xff, 0xaa})
	if want := (h2frame.Header{Length: 0x123456, Type: 7, Flags: 0x89, StreamID: 1<<31 - 1}); !ok || h != want {
		t.Fatalf("ParseHeader = %+v, %v, want %+v", h, ok, want)
	}
	if _, ok := h2frame.ParseHeader(make([]byte, 8)); ok {
		t.Fatal("ParseHeader of 8 bytes: ok")
	}
}

// The readers return zero values on a frame of another type, or one Parse
// would refuse, and never panic.
func TestReadersOnOtherFrames(t *testing.T) {
	frames := []h2frame.Frame{{}}
	for typ := range h2frame.Type(12) {
		for _, flags := range []h2frame.Flags{0, 0xff, h2frame.FlagPadded} {
			for _, p := range [][]byte{nil, {255}, {9, 1, 2, 3, 4, 5}, {0, 0, 0, 0}} {
				frames = append(frames, h2frame.Frame{Header: h2frame.Header{Type: typ, Flags: flags, Length: uint32(len(p))}, Payload: p})
			}
		}
	}
	for _, f := range frames {
		block, _, _ := f.HeadersFragment()
		if f.Type != h2frame.TypeData && f.DataPayload() != nil ||
			f.Type != h2frame.TypeHeaders && f.Type != h2frame.TypeContinuation && block != nil ||
			f.Type != h2frame.TypePriority && f.Priority() != (h2frame.Priority{}) ||
			f.Type != h2frame.TypeRSTStream && f.RSTCode() != 0 ||
			f.Type != h2frame.TypeSettings && f.NumSettings() != 0 ||
			f.Type != h2frame.TypePing && f.PingData() != [8]byte{} ||
			f.Type != h2frame.TypeWindowUpdate && f.WindowIncrement() != 0 {
			t.Errorf("a reader of another type returns a value for %+v", f.Header)
		}
		if last, code, debug := f.GoAway(); f.Type != h2frame.TypeGoAway && (last != 0 || code != 0 || debug != nil) {
			t.Errorf("GoAway on %+v", f.Header)
		}
		if id, block := f.PushPromise(); f.Type != h2frame.TypePushPromise && (id != 0 || block != nil) {
			t.Errorf("PushPromise on %+v", f.Header)
		}
		_ = f.Settings(func(h2frame.Setting) error { return nil })
	}
	// Malformed frames of the right type.
	for _, f := range []h2frame.Frame{
		{Header: h2frame.Header{Type: h2frame.TypeData, Flags: h2frame.FlagPadded}},
		{Header: h2frame.Header{Type: h2frame.TypeData, Flags: h2frame.FlagPadded}, Payload: []byte{3, 1}},
		{Header: h2frame.Header{Type: h2frame.TypeHeaders, Flags: h2frame.FlagPriority}, Payload: []byte{1, 2}},
		{Header: h2frame.Header{Type: h2frame.TypePushPromise}, Payload: []byte{1, 2}},
		{Header: h2frame.Header{Type: h2frame.TypePushPromise, Flags: h2frame.FlagPadded}, Payload: []byte{9, 0, 0, 0, 1}},
	} {
		block, _, has := f.HeadersFragment()
		id, pp := f.PushPromise()
		if f.DataPayload() != nil || block != nil || has || id != 0 || pp != nil {
			t.Errorf("malformed %+v % x: a reader returns a value", f.Header, f.Payload)
		}
	}
}

func TestSettingsStopsAtError(t *testing.T) {
	f := mustParse(t, h2frame.AppendSettings(nil, h2frame.Setting{ID: 1, Val: 1}, h2frame.Setting{ID: 3, Val: 2}, h2frame.Setting{ID: 6, Val: 3}))
	stop := fmt.Errorf("stop")
	calls := 0
	if err := f.Settings(func(s h2frame.Setting) error {
		calls++
		if s.ID == 3 {
			return stop
		}
		return nil
	}); err != stop || calls != 2 {
		t.Fatalf("Settings: err = %v after %d calls", err, calls)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("Setting(3) of 3 did not panic")
		}
	}()
	f.Setting(3)
}
