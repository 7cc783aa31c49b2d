package h2frame_test

import (
	"errors"
	"fmt"

	"github.com/workerman-go/workerman/protocols/http/internal/h2frame"
)

// The loop of an HTTP/2 connection: check the preface, then parse the
// frames buffered so far, act on each and consume it, and stop at an
// incomplete frame until more bytes arrive. The answers are appended to the
// buffer the loop writes.
func Example() {
	// What a client sent, as the event loop buffered it; the last frame is
	// still arriving.
	in := []byte(h2frame.ClientPreface)
	in = h2frame.AppendSettings(in, h2frame.Setting{ID: h2frame.SettingInitialWindowSize, Val: 1 << 20})
	in = h2frame.AppendHeaders(in, 1, false, []byte("(an HPACK block)"), h2frame.DefaultMaxFrameSize)
	in = h2frame.AppendData(in, 1, true, []byte("hello"))
	in = h2frame.AppendPing(in, false, [8]byte{'p', 'i', 'n', 'g'})
	in = append(in, h2frame.AppendData(nil, 3, false, []byte("partial"))[:12]...)

	var out []byte // what the loop writes back

	n, err := h2frame.ParsePreface(in)
	if err != nil || n == 0 {
		fmt.Println("no preface yet or not HTTP/2:", err)
		return
	}
	in = in[n:] // consume

loop:
	for {
		f, n, err := h2frame.Parse(in, h2frame.DefaultMaxFrameSize)
		var se *h2frame.StreamError
		var ce *h2frame.ConnError
		switch {
		case errors.As(err, &se):
			out = h2frame.AppendRSTStream(out, se.StreamID, se.Code)
			in = in[n:] // the frame is consumed; the connection goes on
			continue
		case errors.As(err, &ce):
			out = h2frame.AppendGoAway(out, 1, ce.Code, nil)
			fmt.Println(err) // then close the connection
			return
		case n == 0:
			fmt.Printf("waiting for more bytes (%d buffered)\n", len(in))
			break loop
		}

		switch f.Type {
		case h2frame.TypeSettings:
			if !f.Flags.Has(h2frame.FlagAck) {
				_ = f.Settings(func(s h2frame.Setting) error {
					fmt.Printf("setting %v = %d\n", s.ID, s.Val)
					return nil
				})
				out = h2frame.AppendSettingsAck(out)
			}
		case h2frame.TypeHeaders:
			block, _, _ := f.HeadersFragment() // to the HPACK decoder
			fmt.Printf("stream %d: field block %q, complete: %v\n", f.StreamID, block, f.Flags.Has(h2frame.FlagEndHeaders))
		case h2frame.TypeData:
			fmt.Printf("stream %d: data %q, end of stream: %v\n", f.StreamID, f.DataPayload(), f.Flags.Has(h2frame.FlagEndStream))
			if f.Length > 0 { // give back the connection window, padding included
				out = h2frame.AppendWindowUpdate(out, 0, f.Length)
			}
		case h2frame.TypePing:
			if !f.Flags.Has(h2frame.FlagAck) {
				out = h2frame.AppendPing(out, true, f.PingData())
			}
		default:
			// Frames of unknown types are ignored.
		}
		in = in[n:] // consume: f.Payload is not used after this
	}

	for len(out) > 0 {
		f, n, _ := h2frame.Parse(out, h2frame.DefaultMaxFrameSize)
		fmt.Printf("sent %v flags 0x%x stream %d length %d\n", f.Type, uint8(f.Flags), f.StreamID, f.Length)
		out = out[n:]
	}
	// Output:
	// setting INITIAL_WINDOW_SIZE = 1048576
	// stream 1: field block "(an HPACK block)", complete: true
	// stream 1: data "hello", end of stream: true
	// waiting for more bytes (12 buffered)
	// sent SETTINGS flags 0x1 stream 0 length 0
	// sent WINDOW_UPDATE flags 0x0 stream 0 length 4
	// sent PING flags 0x1 stream 0 length 8
}
