package wsframe

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// validPrefixRef reports, by brute force, whether p can begin valid UTF-8:
// whether up to 3 more continuation bytes (one from each range the rules
// distinguish) make it valid.
func validPrefixRef(p []byte) bool {
	conts := []byte{0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF}
	var try func(q []byte, more int) bool
	try = func(q []byte, more int) bool {
		if utf8.Valid(q) {
			return true
		}
		if more == 0 {
			return false
		}
		for _, c := range conts {
			if try(append(q[:len(q):len(q)], c), more-1) {
				return true
			}
		}
		return false
	}
	return try(p, 3)
}

var utf8Cases = []string{
	"", "a", "hello, world",
	"é", "€", "😀", "ab😀cd€é",
	"\xc2\x80", "\xdf\xbf", // U+0080, U+07FF
	"\xe0\xa0\x80", "\xed\x9f\xbf", "\xee\x80\x80", "\xef\xbf\xbf", // U+0800, U+D7FF, U+E000, U+FFFF
	"\xf0\x90\x80\x80", "\xf4\x8f\xbf\xbf", // U+10000, U+10FFFF
	// Overlong encodings.
	"\xc0\x80", "\xc1\xbf", "\xe0\x80\x80", "\xe0\x9f\xbf", "\xf0\x80\x80\x80", "\xf0\x8f\xbf\xbf",
	// Surrogates.
	"\xed\xa0\x80", "\xed\xbf\xbf", "\xed\xa0\x80\xed\xb0\x80",
	// Beyond U+10FFFF, and bytes that never appear.
	"\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xf7\xbf\xbf\xbf", "\xf8\x88\x80\x80\x80", "\xfe", "\xff",
	// Continuation bytes without a lead, and truncated sequences.
	"\x80", "a\xbf", "\xe2\x82", "\xe2\x82a", "\xf0\x9f\x98", "\xf0\x9f\x98a", "\xf0\x9fa\x80",
	"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited", // Autobahn 6.x style
}

// feed writes the pieces to a fresh state and returns whether it stayed
// valid and complete.
func feed(pieces ...[]byte) bool {
	var s utf8State
	for _, p := range pieces {
		if !s.write(p) {
			return false
		}
	}
	return s.complete()
}

func TestUTF8Splits(t *testing.T) {
	for _, c := range utf8Cases {
		for _, s := range []string{c, "ab" + c, c + "cd", "xyz" + c + "\xc3\xa9" + c} {
			b := []byte(s)
			want := utf8.Valid(b)
			if got := feed(b); got != want {
				t.Fatalf("%q whole: %v, want %v", s, got, want)
			}
			for i := 0; i <= len(b); i++ {
				for j := i; j <= len(b); j++ {
					if got := feed(b[:i], b[i:j], b[j:]); got != want {
						t.Fatalf("%q split at %d, %d: %v, want %v", s, i, j, got, want)
					}
				}
			}
		}
	}
}

// TestUTF8FailFast feeds each case byte by byte: write must fail at the
// first byte after which no continuation can be valid, and not before.
func TestUTF8FailFast(t *testing.T) {
	for _, c := range utf8Cases {
		var s utf8State
		for i := range len(c) {
			ok := s.write([]byte{c[i]})
			want := validPrefixRef([]byte(c[:i+1]))
			if ok != want {
				t.Fatalf("%q: after %d bytes write = %v, want %v", c, i+1, ok, want)
			}
			if !ok {
				break
			}
		}
	}
	// Every input of 1 to 3 bytes taken from one byte of each class the
	// rules distinguish, whole.
	class := []byte{0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf,
		0xe0, 0xe1, 0xec, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xf7, 0xf8, 0xff}
	buf := make([]byte, 0, 3)
	var walk func()
	walk = func() {
		want := validPrefixRef(buf)
		var s utf8State
		if got := s.write(buf); got != want {
			t.Fatalf("% x whole: write = %v, want %v", buf, got, want)
		}
		if len(buf) == 3 {
			return
		}
		for _, c := range class {
			buf = append(buf, c)
			walk()
			buf = buf[:len(buf)-1]
		}
	}
	walk()
}

func FuzzUTF8(f *testing.F) {
	for _, c := range utf8Cases {
		f.Add([]byte(c), uint8(1), uint8(2))
	}
	f.Fuzz(func(t *testing.T, data []byte, a, b uint8) {
		i := min(int(a), len(data))
		j := min(i+int(b), len(data))
		if got, want := feed(data[:i], data[i:j], data[j:]), utf8.Valid(data); got != want {
			t.Fatalf("%q split at %d, %d: %v, want %v", data, i, j, got, want)
		}
		// Fail fast, byte by byte.
		var s utf8State
		for k := range data {
			ok := s.write(data[k : k+1])
			if want := validPrefixRef(data[:k+1]); ok != want {
				t.Fatalf("%q after %d bytes: %v, want %v", data, k+1, ok, want)
			}
			if !ok {
				break
			}
		}
	})
}

// BenchmarkUTF8 validates 64 KiB of text in 4 KiB pieces: ASCII, mixed
// (Latin, Greek, CJK, emoji: 1- to 4-byte characters, some split between
// pieces), and utf8.Valid on the mixed text at once for comparison.
func BenchmarkUTF8(b *testing.B) {
	ascii := []byte(strings.Repeat("The quick brown fox jumps over the lazy dog. ", 1500)[:64<<10])
	mixed := []byte(strings.Repeat("Grüße, καλημέρα, 你好世界, 😀! ", 2000)[:64<<10])
	for !utf8.Valid(mixed) {
		mixed = mixed[:len(mixed)-1]
	}
	for _, tc := range []struct {
		name string
		text []byte
	}{{"ascii", ascii}, {"mixed", mixed}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(tc.text)))
			for b.Loop() {
				var s utf8State
				for p := tc.text; len(p) > 0; {
					n := min(len(p), 4096)
					if !s.write(p[:n]) {
						b.Fatal("invalid")
					}
					p = p[n:]
				}
				if !s.complete() {
					b.Fatal("incomplete")
				}
			}
		})
	}
	b.Run("utf8.Valid/mixed", func(b *testing.B) {
		b.SetBytes(int64(len(mixed)))
		for b.Loop() {
			if !utf8.Valid(mixed) {
				b.Fatal("invalid")
			}
		}
	})
}
