package h2frame_test

import (
	"testing"

	"github.com/workerman-go/workerman/protocols/http/internal/h2frame"
)

// allocFrames holds one valid frame of each type, parsed in the allocation
// tests.
func allocFrames() [][]byte {
	return [][]byte{
		raw(h2frame.TypeData, h2frame.FlagPadded|h2frame.FlagEndStream, 1, []byte{2}, []byte("data"), pad(2)),
		raw(h2frame.TypeHeaders, h2frame.FlagPadded|h2frame.FlagPriority|h2frame.FlagEndHeaders, 1, []byte{1}, u32(3), []byte{7}, []byte("block"), pad(1)),
		raw(h2frame.TypePriority, 0, 1, u32(3), []byte{7}),
		raw(h2frame.TypeRSTStream, 0, 1, u32(8)),
		raw(h2frame.TypeSettings, 0, 0, setting(h2frame.SettingMaxFrameSize, 1<<20), setting(h2frame.SettingInitialWindowSize, 1<<20)),
		raw(h2frame.TypeSettings, h2frame.FlagAck, 0),
		raw(h2frame.TypePushPromise, h2frame.FlagEndHeaders, 1, u32(2), []byte("block")),
		raw(h2frame.TypePing, 0, 0, []byte("12345678")),
		raw(h2frame.TypeGoAway, 0, 0, u32(1), u32(0), []byte("debug")),
		raw(h2frame.TypeWindowUpdate, 0, 0, u32(1000)),
		raw(h2frame.TypeContinuation, h2frame.FlagEndHeaders, 1, []byte("more")),
		raw(0x44, 0, 0, []byte("unknown")),
	}
}

var sink int

func TestAllocsParseAndReaders(t *testing.T) {
	frames := allocFrames()
	// Incomplete frames, and every frame with its readers.
	allocs := testing.AllocsPerRun(100, func() {
		for _, b := range frames {
			if _, n, err := h2frame.Parse(b[:len(b)-1], h2frame.DefaultMaxFrameSize); n != 0 || err != nil {
				panic("incomplete frame parsed")
			}
			f, n, err := h2frame.Parse(b, h2frame.DefaultMaxFrameSize)
			if err != nil || n != len(b) {
				panic("frame not parsed")
			}
			sink += len(f.DataPayload())
			block, prio, _ := f.HeadersFragment()
			sink += len(block) + int(prio.StreamDep) + int(f.Priority().Weight)
			sink += int(f.RSTCode())
			for i := range f.NumSettings() {
				sink += int(f.Setting(i).Val)
			}
			_ = f.Settings(func(s h2frame.Setting) error { sink += int(s.ID); return nil })
			d := f.PingData()
			sink += int(d[0])
			last, code, debug := f.GoAway()
			sink += int(last) + int(code) + len(debug)
			sink += int(f.WindowIncrement())
			id, pp := f.PushPromise()
			sink += int(id) + len(pp)
			if f.Type <= h2frame.TypeContinuation { // the name of an unknown type is built
				sink += len(f.Type.String())
			}
			sink += len(h2frame.ErrCodeCancel.String()) + len(h2frame.SettingMaxFrameSize.String())
		}
		if n, err := h2frame.ParsePreface([]byte(h2frame.ClientPreface)); n != 24 || err != nil {
			panic("preface")
		}
		if h2frame.ValidateSetting(h2frame.Setting{ID: h2frame.SettingMaxFrameSize, Val: 16384}) != nil {
			panic("ValidateSetting")
		}
	})
	if allocs != 0 {
		t.Fatalf("Parse and the readers allocate %v times", allocs)
	}
}

func TestAllocsAppend(t *testing.T) {
	dst := make([]byte, 0, 1<<16)
	block := make([]byte, 40000)
	data := make([]byte, 1000)
	allocs := testing.AllocsPerRun(100, func() {
		b := dst[:0]
		b = h2frame.AppendSettings(b, h2frame.Setting{ID: h2frame.SettingMaxConcurrentStreams, Val: 100}, h2frame.Setting{ID: h2frame.SettingInitialWindowSize, Val: 1 << 20})
		b = h2frame.AppendSettingsAck(b)
		b = h2frame.AppendHeaders(b, 1, false, block, h2frame.DefaultMaxFrameSize)
		b = h2frame.AppendData(b, 1, true, data)
		b = h2frame.AppendRSTStream(b, 1, h2frame.ErrCodeCancel)
		b = h2frame.AppendPing(b, true, [8]byte{1})
		b = h2frame.AppendGoAway(b, 1, h2frame.ErrCodeNo, []byte("bye"))
		b = h2frame.AppendWindowUpdate(b, 0, 1<<20)
		b = h2frame.AppendFrameHeader(b, h2frame.Header{Type: h2frame.TypePriority, Length: 5, StreamID: 1})
		sink += len(b)
	})
	if allocs != 0 {
		t.Fatalf("the appenders allocate %v times into a buffer with room", allocs)
	}
}
