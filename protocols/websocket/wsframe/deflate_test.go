package wsframe_test

import (
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/workerman-go/workerman/protocols"
	ws "github.com/workerman-go/workerman/protocols/websocket/wsframe"
)

// deflateClient returns a client configuration with permessage-deflate: it
// reads the unmasked server frames of the RFC 7692 examples.
func deflateClient(takeover bool) func() ws.Config {
	return func() ws.Config {
		return ws.Config{Role: ws.RoleClient, Decompressor: ws.NewDecompressor(takeover)}
	}
}

// compressed returns a client frame holding payload compressed by a fresh
// compressor.
func compressed(op ws.Opcode, payload string) string {
	c := ws.NewCompressor(flate.BestSpeed, false)
	return string(c.AppendFrameString(nil, ws.FrameHeader{Fin: true, Opcode: op, Masked: true, MaskKey: testKey}, payload))
}

// rsv1 returns a client frame with RSV1 set and a raw payload.
func rsv1(op ws.Opcode, fin bool, payload string) string {
	return hf(ws.FrameHeader{Fin: fin, Rsv1: true, Opcode: op}, payload)
}

var deflateCases = []assembleCase{
	// RFC 7692 section 7.2.3.
	{name: "7.2.3.1 one block", cfg: deflateClient(false), in: "\xc1\x07\xf2\x48\xcd\xc9\xc9\x07\x00",
		want: []event{ev(ws.OpText, "Hello")}},
	{name: "7.2.3.1 fragmented", cfg: deflateClient(false), in: "\x41\x03\xf2\x48\xcd" + "\x80\x04\xc9\xc9\x07\x00",
		want: []event{ev(ws.OpText, "Hello")}},
	{name: "7.2.3.2 shared window", cfg: deflateClient(true),
		in:   "\xc1\x07\xf2\x48\xcd\xc9\xc9\x07\x00" + "\xc1\x05\xf2\x00\x11\x00\x00",
		want: []event{ev(ws.OpText, "Hello"), ev(ws.OpText, "Hello")}},
	{name: "7.2.3.2 without the window", cfg: deflateClient(false),
		in:   "\xc1\x07\xf2\x48\xcd\xc9\xc9\x07\x00" + "\xc1\x05\xf2\x00\x11\x00\x00",
		want: []event{ev(ws.OpText, "Hello")}, code: 1007},
	{name: "7.2.3.3 stored block", cfg: deflateClient(false), in: "\xc1\x0b\x00\x05\x00\xfa\xff\x48\x65\x6c\x6c\x6f\x00",
		want: []event{ev(ws.OpText, "Hello")}},
	{name: "7.2.3.4 BFINAL", cfg: deflateClient(true), in: "\xc1\x08\xf3\x48\xcd\xc9\xc9\x07\x00\x00" + "\xc1\x05\xf2\x00\x11\x00\x00",
		want: []event{ev(ws.OpText, "Hello"), ev(ws.OpText, "Hello")}},
	{name: "7.2.3.5 two blocks", cfg: deflateClient(false), in: "\xc1\x0d\xf2\x48\x05\x00\x00\x00\xff\xff\xca\xc9\xc9\x07\x00",
		want: []event{ev(ws.OpText, "Hello")}},
	{name: "empty", cfg: deflateClient(false), in: "\xc1\x01\x00", want: []event{ev(ws.OpText, "")}},
	{name: "no payload at all", cfg: deflateClient(false), in: "\xc1\x00", want: []event{ev(ws.OpText, "")}},
	{name: "uncompressed message", cfg: deflateClient(false), in: sf(ws.OpText, true, "plain") + "\xc1\x07\xf2\x48\xcd\xc9\xc9\x07\x00",
		want: []event{ev(ws.OpText, "plain"), ev(ws.OpText, "Hello")}},

	// From the Compressor, masked.
	{name: "binary", cfg: deflateServer(0, false), in: compressed(ws.OpBinary, "\x00\x01\x02\x00\x01\x02\x00\x01\x02"),
		want: []event{ev(ws.OpBinary, "\x00\x01\x02\x00\x01\x02\x00\x01\x02")}},
	{name: "with a ping inside", cfg: deflateServer(0, false),
		in:   rsv1(ws.OpText, false, "\xf2\x48") + ping + cf(ws.OpContinuation, true, "\xcd\xc9\xc9\x07\x00"),
		want: []event{ev(ws.OpPing, "p"), ev(ws.OpText, "Hello")}},
	{name: "utf-8", cfg: deflateServer(0, false), in: compressed(ws.OpText, strings.Repeat("日本語 ", 50)),
		want: []event{ev(ws.OpText, strings.Repeat("日本語 ", 50))}},

	// Errors.
	{name: "corrupt", cfg: deflateServer(0, false), in: rsv1(ws.OpBinary, true, "\xff\xff\xff"), code: 1007},
	{name: "truncated", cfg: deflateServer(0, false), in: rsv1(ws.OpText, true, "\xf2\x48\xcd"), code: 1007},
	{name: "trailing garbage", cfg: deflateServer(0, false), in: rsv1(ws.OpText, true, "\xf2\x48\xcd\xc9\xc9\x07\x00\x00"), code: 1007},
	{name: "invalid utf-8", cfg: deflateServer(0, false), in: compressed(ws.OpText, "ok \xff"), code: 1007,
		reason: "invalid UTF-8 in text message"},
	{name: "utf-8 ends inside a character", cfg: deflateServer(0, false), in: compressed(ws.OpText, "ok "+grin[:2]), code: 1007,
		reason: "text message ends inside a UTF-8 sequence"},
	{name: "inflates past the limit", cfg: deflateServer(100, false), in: compressed(ws.OpBinary, strings.Repeat("a", 101)),
		code: 1009, reason: "compressed message inflates past the 100-byte limit"},
	{name: "inflates to the limit", cfg: deflateServer(100, false), in: compressed(ws.OpBinary, strings.Repeat("a", 100)),
		want: []event{ev(ws.OpBinary, strings.Repeat("a", 100))}},
	{name: "compressed wire limit", cfg: deflateServer(100, false), in: rsv1(ws.OpBinary, true, strings.Repeat("a", 165)),
		code: 1009, reason: "compressed message of at least 165 bytes exceeds the 164-byte limit"},
}

func TestAssemblerDeflate(t *testing.T) {
	for _, tc := range deflateCases {
		t.Run(tc.name, func(t *testing.T) {
			runCase(t, tc, [][]byte{[]byte(tc.in)})
			for _, chunks := range splits([]byte(tc.in)) {
				runCase(t, tc, chunks)
			}
		})
	}
}

// messages returns a sequence of messages of various kinds and sizes.
func messages() [][]byte {
	r := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 70<<10)
	for i := range random {
		random[i] = byte(r.Uint32())
	}
	var msgs [][]byte
	for i := range 40 {
		msgs = append(msgs, fmt.Appendf(nil, `{"id":%d,"event":"price","symbol":"ACME","bid":%d.%02d,"ask":%d.%02d}`,
			i, 100+i%7, i*13%100, 101+i%7, i*17%100))
	}
	msgs = append(msgs,
		nil,
		[]byte("x"),
		random[:1000],
		random,                                   // incompressible: 64-bit length
		bytes.Repeat([]byte("abcdefgh"), 20<<10), // 160 KiB: more than the window
		random[:40<<10],
		[]byte(strings.Repeat("the same sentence again and again. ", 3000)),
	)
	return append(msgs, msgs[:40]...)
}

// TestDeflateRoundTrip compresses a sequence of messages and inflates it
// back, with and without context takeover, at several levels, both with
// Compress/Decompress and in frames through an Assembler.
func TestDeflateRoundTrip(t *testing.T) {
	msgs := messages()
	for _, takeover := range []bool{false, true} {
		for _, level := range []int{0, flate.HuffmanOnly, flate.BestSpeed, 6, flate.BestCompression} {
			t.Run(fmt.Sprintf("takeover %v level %d", takeover, level), func(t *testing.T) {
				// c and d for Compress and Decompress, fc and a for frames.
				c, fc := ws.NewCompressor(level, takeover), ws.NewCompressor(level, takeover)
				defer c.Release()
				defer fc.Release()
				d := ws.NewDecompressor(takeover)
				a := ws.NewAssembler(ws.Config{MaxMessageSize: 1 << 20, Decompressor: ws.NewDecompressor(takeover)})
				var wire, out []byte
				for i, m := range msgs {
					z := c.Compress(nil, m)
					var err error
					if out, err = d.Decompress(out[:0], z, 1<<20); err != nil || !bytes.Equal(out, m) {
						t.Fatalf("message %d (%d bytes): Decompress = %d bytes, %v", i, len(m), len(out), err)
					}
					op := ws.OpBinary
					if utf8.Valid(m) {
						op = ws.OpText
					}
					h := ws.FrameHeader{Fin: true, Opcode: op, Masked: true, MaskKey: ws.NewMaskKey()}
					if i%3 == 0 {
						wire = fc.AppendFrameString(wire[:0], h, string(m))
					} else {
						wire = fc.AppendFrame(wire[:0], h, m)
					}
					msg, n, ok, err := a.Next(wire)
					if err != nil || !ok || n != len(wire) || msg.Opcode != op || !bytes.Equal(msg.Payload, m) {
						t.Fatalf("message %d (%d bytes): Next = %v, %d, %v, %v", i, len(m), msg.Opcode, n, ok, err)
					}
				}
			})
		}
	}
}

// quote is a 150-byte message: compress/flate at BestSpeed only refers to
// earlier messages from 128 bytes on.
var quote = []byte(`{"event":"price","symbol":"ACME","bid":101.25,"ask":101.50,"venue":"XNYS","time":"2026-12-01T10:00:00.000Z","seq":123456789,"flags":["regular","lit"]}`)

// TestDeflateContextTakeover checks that context takeover pays: a message
// repeated compresses to a few bytes the second time, and not without it.
func TestDeflateContextTakeover(t *testing.T) {
	m := quote
	for _, takeover := range []bool{false, true} {
		c := ws.NewCompressor(flate.BestSpeed, takeover)
		first := len(c.Compress(nil, m))
		second := len(c.Compress(nil, m))
		if takeover && second > first/4 {
			t.Errorf("with takeover: %d bytes, then %d", first, second)
		}
		if !takeover && second != first {
			t.Errorf("without takeover: %d bytes, then %d", first, second)
		}
		c.Release()
	}
}

func TestCompressorFrameHeaders(t *testing.T) {
	// Compressed lengths that need a 7-bit, 16-bit and 64-bit header.
	r := rand.New(rand.NewPCG(3, 4))
	for _, size := range []int{0, 10, 300, 70000} {
		p := make([]byte, size)
		for i := range p {
			p[i] = byte(r.Uint32())
		}
		for _, masked := range []bool{false, true} {
			c := ws.NewCompressor(flate.BestSpeed, false)
			h := ws.FrameHeader{Fin: true, Opcode: ws.OpBinary, Masked: masked}
			if masked {
				h.MaskKey = testKey
			}
			frame := c.AppendFrame([]byte("prefix"), h, p)
			if string(frame[:6]) != "prefix" {
				t.Fatalf("prefix overwritten: %q", frame[:6])
			}
			got, n, err := ws.ParseFrameHeader(frame[6:])
			if err != nil || !got.Rsv1 || got.Masked != masked || int64(len(frame)-6-n) != got.Length {
				t.Fatalf("size %d masked %v: header %+v, %d, %v; frame %d bytes", size, masked, got, n, err, len(frame))
			}
			body := bytes.Clone(frame[6+n:])
			if masked {
				ws.Mask(testKey, 0, body)
			}
			out, err := ws.NewDecompressor(false).Decompress(nil, body, 1<<20)
			if err != nil || !bytes.Equal(out, p) {
				t.Fatalf("size %d masked %v: Decompress = %d bytes, %v", size, masked, len(out), err)
			}
		}
	}
}

func TestDecompressLimit(t *testing.T) {
	p := bytes.Repeat([]byte("0123456789"), 1000)
	z := ws.NewCompressor(flate.BestSpeed, false).Compress(nil, p)
	d := ws.NewDecompressor(false)
	if out, err := d.Decompress([]byte("kept"), z, len(p)); err != nil || string(out[:4]) != "kept" || !bytes.Equal(out[4:], p) {
		t.Fatalf("at the limit: %d bytes, %v", len(out), err)
	}
	_, err := d.Decompress(nil, z, len(p)-1)
	var pe *ws.ProtocolError
	if !errors.As(err, &pe) || pe.Code != ws.CloseMessageTooBig || !errors.Is(err, protocols.ErrPackageTooLarge) {
		t.Fatalf("over the limit: %v", err)
	}
	_, err = d.Decompress(nil, []byte{0xff, 0xff}, 100)
	var corrupt flate.CorruptInputError
	if !errors.As(err, &pe) || pe.Code != ws.CloseInvalidPayload || !errors.As(err, &corrupt) {
		t.Fatalf("corrupt: %v", err)
	}
	// The default limit.
	if out, err := d.Decompress(nil, z, 0); err != nil || !bytes.Equal(out, p) {
		t.Fatalf("default limit: %v", err)
	}
}

// bomb returns 100 MiB of zeros compressed as a permessage-deflate payload:
// 1 MiB of zeros compressed and flushed, 100 times over (each copy ends
// byte-aligned with a sync flush, and only refers to zeros).
func bomb(t testing.TB) []byte {
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.BestCompression)
	w.Write(make([]byte, 1<<20))
	w.Flush()
	one := buf.Bytes()
	if !bytes.HasSuffix(one, []byte{0, 0, 0xff, 0xff}) {
		t.Fatal("no sync flush")
	}
	z := bytes.Repeat(one, 100)
	return z[:len(z)-4]
}

// TestDecompressBomb inflates 100 MiB of zeros compressed to about 100 KiB
// with a 1 MiB limit, alone and through an Assembler: the error must come
// while inflating, with memory for the limit, not for the whole output.
func TestDecompressBomb(t *testing.T) {
	z := bomb(t)
	t.Logf("100 MiB of zeros compress to %d bytes", len(z))
	const limit = 1 << 20
	measure := func(name string, f func() error) {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		err := f()
		runtime.ReadMemStats(&after)
		var pe *ws.ProtocolError
		if !errors.As(err, &pe) || pe.Code != ws.CloseMessageTooBig {
			t.Fatalf("%s: err = %v, want 1009", name, err)
		}
		allocated := after.TotalAlloc - before.TotalAlloc
		t.Logf("%s: %v; %d KiB allocated", name, err, allocated>>10)
		if allocated > 4*limit {
			t.Fatalf("%s: %d bytes allocated for a %d-byte limit", name, allocated, limit)
		}
	}
	measure("Decompress", func() error {
		_, err := ws.NewDecompressor(false).Decompress(nil, z, limit)
		return err
	})
	frame := ws.AppendFrameHeader(nil, ws.FrameHeader{Fin: true, Rsv1: true, Opcode: ws.OpBinary, Masked: true, Length: int64(len(z))})
	frame = append(frame, z...) // mask key 0: the payload as it is
	measure("Assembler", func() error {
		a := ws.NewAssembler(ws.Config{MaxMessageSize: limit, Decompressor: ws.NewDecompressor(true)})
		_, _, _, err := a.Next(frame)
		return err
	})
}

func TestNegotiateDeflate(t *testing.T) {
	both := ws.DeflateConfig{ServerContextTakeover: true, ClientContextTakeover: true}
	tests := []struct {
		name   string
		offer  string
		cfg    ws.DeflateConfig
		ok     bool
		answer string
	}{
		{"firefox", "permessage-deflate", both, true, "permessage-deflate"},
		{"chrome", "permessage-deflate; client_max_window_bits", both, true, "permessage-deflate"},
		{"zero config", "permessage-deflate; client_max_window_bits", ws.DeflateConfig{}, true,
			"permessage-deflate; server_no_context_takeover; client_no_context_takeover"},
		{"server takeover only", "permessage-deflate", ws.DeflateConfig{ServerContextTakeover: true}, true,
			"permessage-deflate; client_no_context_takeover"},
		{"client asks server_no_context_takeover", "permessage-deflate; server_no_context_takeover", both, true,
			"permessage-deflate; server_no_context_takeover"},
		{"client offers client_no_context_takeover", "permessage-deflate; client_no_context_takeover", both, true,
			"permessage-deflate; client_no_context_takeover"},
		{"server_max_window_bits=15", "permessage-deflate; server_max_window_bits=15", both, true,
			"permessage-deflate; server_max_window_bits=15"},
		{"quoted 15", `permessage-deflate; server_max_window_bits="15"`, both, true,
			"permessage-deflate; server_max_window_bits=15"},
		{"client_max_window_bits=8", "permessage-deflate; client_max_window_bits=8", both, true, "permessage-deflate"},
		{"fallback offer", "permessage-deflate; client_max_window_bits; server_max_window_bits=10, permessage-deflate; client_max_window_bits",
			both, true, "permessage-deflate"},
		{"other extensions first", "x-webkit-deflate-frame, foo; bar=1, permessage-deflate", both, true, "permessage-deflate"},
		{"all parameters", "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=15; client_max_window_bits=9",
			both, true, "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=15"},

		{"no offer", "", both, false, ""},
		{"other extension", "x-webkit-deflate-frame", both, false, ""},
		{"server_max_window_bits=10", "permessage-deflate; server_max_window_bits=10", both, false, ""},
		{"server_max_window_bits without value", "permessage-deflate; server_max_window_bits", both, false, ""},
		{"client_max_window_bits=7", "permessage-deflate; client_max_window_bits=7", both, false, ""},
		{"client_max_window_bits=16", "permessage-deflate; client_max_window_bits=16", both, false, ""},
		{"leading zero", "permessage-deflate; client_max_window_bits=09", both, false, ""},
		{"value on a flag", "permessage-deflate; server_no_context_takeover=1", both, false, ""},
		{"value on client flag", "permessage-deflate; client_no_context_takeover=1", both, false, ""},
		{"unknown parameter", "permessage-deflate; foo", both, false, ""},
		{"duplicate", "permessage-deflate; client_no_context_takeover; client_no_context_takeover", both, false, ""},
		{"duplicate window bits", "permessage-deflate; server_max_window_bits=15; server_max_window_bits=15", both, false, ""},
		{"case matters", "Permessage-Deflate", both, false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			exts, err := ws.ParseExtensions(tc.offer)
			if err != nil {
				t.Fatal(err)
			}
			p, ok := ws.NegotiateDeflate(exts, tc.cfg)
			if ok != tc.ok || (ok && p.String() != tc.answer) {
				t.Fatalf("NegotiateDeflate = %q, %v; want %q, %v", p, ok, tc.answer, tc.ok)
			}
		})
	}
}

func TestDeflateClient(t *testing.T) {
	both := ws.DeflateConfig{ServerContextTakeover: true, ClientContextTakeover: true}
	if got := ws.DeflateOffer(both); got != "permessage-deflate" {
		t.Errorf("offer = %q", got)
	}
	if got := ws.DeflateOffer(ws.DeflateConfig{}); got != "permessage-deflate; server_no_context_takeover; client_no_context_takeover" {
		t.Errorf("offer = %q", got)
	}
	tests := []struct {
		name     string
		response string
		cfg      ws.DeflateConfig
		ok       bool
		want     ws.DeflateParams
		err      string
	}{
		{"declined", "", both, false, ws.DeflateParams{}, ""},
		{"declined, other extension", "foo", both, false, ws.DeflateParams{}, ""},
		{"plain", "permessage-deflate", both, true, ws.DeflateParams{}, ""},
		{"server resets anyway", "permessage-deflate; server_no_context_takeover", both, true,
			ws.DeflateParams{ServerNoContextTakeover: true}, ""},
		{"server forbids client takeover", "permessage-deflate; client_no_context_takeover", both, true,
			ws.DeflateParams{ClientNoContextTakeover: true}, ""},
		{"server window", "permessage-deflate; server_max_window_bits=10", both, true,
			ws.DeflateParams{ServerMaxWindowBits: 10}, ""},
		{"zero config, answered", "permessage-deflate; server_no_context_takeover; client_no_context_takeover", ws.DeflateConfig{}, true,
			ws.DeflateParams{ServerNoContextTakeover: true, ClientNoContextTakeover: true}, ""},
		{"zero config, client flag not repeated", "permessage-deflate; server_no_context_takeover", ws.DeflateConfig{}, true,
			ws.DeflateParams{ServerNoContextTakeover: true, ClientNoContextTakeover: true}, ""},

		{"server_no_context_takeover missing", "permessage-deflate", ws.DeflateConfig{}, false, ws.DeflateParams{},
			"websocket: permessage-deflate response lacks the server_no_context_takeover the client asked for"},
		{"client_max_window_bits not offered", "permessage-deflate; client_max_window_bits=15", both, false, ws.DeflateParams{},
			"websocket: permessage-deflate response has unexpected parameter client_max_window_bits"},
		{"bad window", "permessage-deflate; server_max_window_bits=16", both, false, ws.DeflateParams{},
			`websocket: permessage-deflate response has server_max_window_bits="16"`},
		{"flag with value", "permessage-deflate; server_no_context_takeover=1", both, false, ws.DeflateParams{},
			"websocket: permessage-deflate response has server_no_context_takeover with a value"},
		{"repeated", "permessage-deflate; client_no_context_takeover; client_no_context_takeover", both, false, ws.DeflateParams{},
			"websocket: permessage-deflate response repeats client_no_context_takeover"},
		{"twice", "permessage-deflate, permessage-deflate", both, false, ws.DeflateParams{},
			"websocket: permessage-deflate accepted twice"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			exts, err := ws.ParseExtensions(tc.response)
			if err != nil {
				t.Fatal(err)
			}
			p, ok, err := ws.ParseDeflateResponse(exts, tc.cfg)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || ok != tc.ok || p != tc.want {
				t.Fatalf("= %+v, %v, %v; want %+v, %v", p, ok, err, tc.want, tc.ok)
			}
		})
	}
}

// TestDeflateParamsRoles checks which side takes over its context.
func TestDeflateParamsRoles(t *testing.T) {
	// The server keeps its context, the client does not.
	p := ws.DeflateParams{ClientNoContextTakeover: true}
	m := quote
	growth := func(c *ws.Compressor) int {
		defer c.Release()
		first := len(c.Compress(nil, m))
		second := len(c.Compress(nil, m)) // smaller when it takes the first as history
		return first - second
	}
	if growth(p.NewCompressor(ws.RoleServer, 0)) <= 0 {
		t.Error("server compressor does not take over its context")
	}
	if growth(p.NewCompressor(ws.RoleClient, 0)) != 0 {
		t.Error("client compressor takes over its context")
	}
	// A client's decompressor follows the server's context.
	sc := p.NewCompressor(ws.RoleServer, 0)
	defer sc.Release()
	cd, sd := p.NewDecompressor(ws.RoleClient), p.NewDecompressor(ws.RoleServer)
	z1, z2 := sc.Compress(nil, m), sc.Compress(nil, m)
	if _, err := cd.Decompress(nil, z1, 0); err != nil {
		t.Fatal(err)
	}
	if out, err := cd.Decompress(nil, z2, 0); err != nil || !bytes.Equal(out, m) {
		t.Fatalf("client decompressor: %q, %v", out, err)
	}
	sd.Decompress(nil, z1, 0)
	if out, err := sd.Decompress(nil, z2, 0); err == nil && bytes.Equal(out, m) {
		t.Fatal("server decompressor kept a context the client may not use")
	}
}

func TestDecompressNoLimitOverflow(t *testing.T) {
	out, err := ws.NewDecompressor(false).Decompress(nil, []byte("\xf2\x48\xcd\xc9\xc9\x07\x00"), math.MaxInt)
	if err != nil || string(out) != "Hello" {
		t.Fatalf("= %q, %v", out, err)
	}
}

// The server's answer to every combination of the two context takeover
// parameters in the offer and of its own config: each parameter is in the
// answer when the offer has it or the config forbids that side's takeover.
// A client's client_no_context_takeover is echoed: gorilla/websocket, which
// offers both, fails the handshake ("invalid compression negotiation")
// without it.
func TestNegotiateDeflateContextTakeover(t *testing.T) {
	for _, offerServer := range []bool{false, true} {
		for _, offerClient := range []bool{false, true} {
			for _, cfg := range []ws.DeflateConfig{
				{}, {ServerContextTakeover: true}, {ClientContextTakeover: true},
				{ServerContextTakeover: true, ClientContextTakeover: true},
			} {
				offer := "permessage-deflate"
				if offerServer {
					offer += "; server_no_context_takeover"
				}
				if offerClient {
					offer += "; client_no_context_takeover"
				}
				want := ws.DeflateParams{
					ServerNoContextTakeover: offerServer || !cfg.ServerContextTakeover,
					ClientNoContextTakeover: offerClient || !cfg.ClientContextTakeover,
				}
				exts, err := ws.ParseExtensions(offer)
				if err != nil {
					t.Fatal(err)
				}
				p, ok := ws.NegotiateDeflate(exts, cfg)
				if !ok || p != want {
					t.Errorf("offer %q, config %+v: answer %q, %v; want %q", offer, cfg, p, ok, want)
				}
			}
		}
	}
}

// Our client and our server agree on every combination of their configs:
// the client accepts the server's answer to its offer, both sides take
// over a context only when both allow it, and messages compressed by each
// side inflate at the other, several in a row.
func TestDeflateNegotiationRoundTrip(t *testing.T) {
	configs := []ws.DeflateConfig{
		{}, {ServerContextTakeover: true}, {ClientContextTakeover: true},
		{ServerContextTakeover: true, ClientContextTakeover: true},
	}
	msgs := [][]byte{quote, append([]byte("again: "), quote...), quote}
	for _, cc := range configs {
		for _, sc := range configs {
			name := fmt.Sprintf("client %+v, server %+v", cc, sc)
			offer, err := ws.ParseExtensions(ws.DeflateOffer(cc))
			if err != nil {
				t.Fatal(err)
			}
			sp, ok := ws.NegotiateDeflate(offer, sc)
			if !ok {
				t.Fatalf("%s: offer %q declined", name, ws.DeflateOffer(cc))
			}
			answer, err := ws.ParseExtensions(sp.String())
			if err != nil {
				t.Fatal(err)
			}
			cp, ok, err := ws.ParseDeflateResponse(answer, cc)
			if !ok || err != nil {
				t.Fatalf("%s: the client refused the answer %q: %v, %v", name, sp, ok, err)
			}
			want := ws.DeflateParams{
				ServerNoContextTakeover: !(cc.ServerContextTakeover && sc.ServerContextTakeover),
				ClientNoContextTakeover: !(cc.ClientContextTakeover && sc.ClientContextTakeover),
			}
			if sp != want || cp != want {
				t.Errorf("%s: server agreed %+v, client %+v; want %+v", name, sp, cp, want)
			}
			exchange := func(from, to ws.Role, fp, tp ws.DeflateParams) {
				c := fp.NewCompressor(from, 0)
				defer c.Release()
				d := tp.NewDecompressor(to)
				for i, m := range msgs {
					out, err := d.Decompress(nil, c.Compress(nil, m), 0)
					if err != nil || !bytes.Equal(out, m) {
						t.Errorf("%s: message %d from the %v: %.30q, %v", name, i, from, out, err)
					}
				}
			}
			exchange(ws.RoleServer, ws.RoleClient, sp, cp)
			exchange(ws.RoleClient, ws.RoleServer, cp, sp)
		}
	}
}
