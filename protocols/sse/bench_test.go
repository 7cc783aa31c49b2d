package sse_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/workerman-go/workerman/protocols/sse"
)

var benchEvent = sse.Event{
	ID:    "1234567",
	Event: "update",
	Data:  `{"id":1234567,"price":101.25,"qty":300,"side":"buy","venue":"X"}`,
}

func benchAppend(b *testing.B, e sse.Event) {
	buf, err := e.AppendText(nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		if buf, err = e.AppendText(buf[:0]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppendText encodes a typical event (id, type, 64 bytes of JSON)
// into a reused buffer.
func BenchmarkAppendText(b *testing.B) { benchAppend(b, benchEvent) }

// BenchmarkAppendTextMultiline encodes 1 KiB of data in 32 lines.
func BenchmarkAppendTextMultiline(b *testing.B) {
	benchAppend(b, sse.Event{Data: strings.Repeat(strings.Repeat("x", 31)+"\n", 32)})
}

// BenchmarkAppendTextLarge encodes 64 KiB of data on one line.
func BenchmarkAppendTextLarge(b *testing.B) {
	benchAppend(b, sse.Event{Data: strings.Repeat("x", 64<<10)})
}

// benchStream is 100 typical events, every tenth with a retry field and a
// comment before it.
func benchStream(b *testing.B) []byte {
	var stream []byte
	for i := range 100 {
		e := benchEvent
		if i%10 == 0 {
			e.Retry, e.Comment = time.Second, "keep-alive"
		}
		var err error
		if stream, err = e.AppendText(stream); err != nil {
			b.Fatal(err)
		}
	}
	return stream
}

func benchFeed(b *testing.B, stream []byte, chunk int) {
	var p sse.Parser
	n := 0
	emit := func(sse.Event) { n++ }
	b.ReportAllocs()
	b.SetBytes(int64(len(stream)))
	for b.Loop() {
		for i := 0; i < len(stream); i += chunk {
			if err := p.Feed(stream[i:min(i+chunk, len(stream))], emit); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/event")
}

// BenchmarkParse parses 100 typical events arriving in one read.
func BenchmarkParse(b *testing.B) { s := benchStream(b); benchFeed(b, s, len(s)) }

// BenchmarkParseSmallReads parses the same stream arriving 100 bytes at a
// time, so that lines are carried over from one chunk to the next.
func BenchmarkParseSmallReads(b *testing.B) { benchFeed(b, benchStream(b), 100) }

// BenchmarkParseCR parses the stream with every line end made "\r", which
// must cost about the same as "\n".
func BenchmarkParseCR(b *testing.B) {
	benchFeed(b, bytes.ReplaceAll(benchStream(b), []byte("\n"), []byte("\r")), 1<<20)
}

// BenchmarkDecoder reads the stream through a Decoder.
func BenchmarkDecoder(b *testing.B) {
	stream := benchStream(b)
	r := bytes.NewReader(stream)
	b.ReportAllocs()
	b.SetBytes(int64(len(stream)))
	for b.Loop() {
		r.Reset(stream)
		d := sse.NewDecoder(r, nil)
		for {
			if _, err := d.Next(); err != nil {
				break
			}
		}
	}
}
