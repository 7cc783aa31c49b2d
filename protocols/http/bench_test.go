package http_test

import (
	"bytes"
	"testing"

	"github.com/workerman-go/workerman/protocols/http"
)

// browserGET is a typical keep-alive GET from a browser, about 300 bytes.
const browserGET = "GET /articles/go-event-loops?page=2 HTTP/1.1\r\n" +
	"Host: www.example.com\r\n" +
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n" +
	"Accept: text/html,application/xhtml+xml,*/*;q=0.8\r\n" +
	"Accept-Language: en-US,en;q=0.5\r\n" +
	"Accept-Encoding: gzip, deflate, br\r\n" +
	"Connection: keep-alive\r\n" +
	"Cookie: sid=abc123\r\n" +
	"\r\n"

// BenchmarkParseGET parses the browser GET and builds its Request.
func BenchmarkParseGET(b *testing.B) {
	wire := []byte(browserGET)
	p := http.NewParser(http.Limits{})
	b.ReportAllocs()
	b.SetBytes(int64(len(wire)))
	for b.Loop() {
		req, n, err := p.Parse(wire)
		if err != nil || n != len(wire) || req.Host != "www.example.com" {
			b.Fatal(n, err)
		}
	}
}

// BenchmarkParseGETPipelined parses 16 pipelined GETs from one buffer.
func BenchmarkParseGETPipelined(b *testing.B) {
	wire := bytes.Repeat([]byte(browserGET), 16)
	p := http.NewParser(http.Limits{})
	b.ReportAllocs()
	b.SetBytes(int64(len(wire)))
	for b.Loop() {
		for in := wire; len(in) > 0; {
			_, n, err := p.Parse(in)
			if err != nil || n == 0 {
				b.Fatal(n, err)
			}
			in = in[n:]
		}
	}
}

// BenchmarkParsePOST parses a POST with a 1 KiB Content-Length body.
func BenchmarkParsePOST(b *testing.B) {
	wire := []byte("POST /api/items HTTP/1.1\r\nHost: api.example.com\r\nContent-Type: application/json\r\nContent-Length: 1024\r\n\r\n")
	wire = append(wire, bytes.Repeat([]byte("x"), 1024)...)
	p := http.NewParser(http.Limits{})
	b.ReportAllocs()
	b.SetBytes(int64(len(wire)))
	for b.Loop() {
		if _, n, err := p.Parse(wire); err != nil || n != len(wire) {
			b.Fatal(n, err)
		}
	}
}

// BenchmarkParseChunked parses a 16 KiB body sent as 16 chunks of 1 KiB.
func BenchmarkParseChunked(b *testing.B) {
	wire := []byte("POST /upload HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n")
	for range 16 {
		wire = append(wire, "400\r\n"...) // 1024 in hex
		wire = append(wire, bytes.Repeat([]byte("y"), 1024)...)
		wire = append(wire, "\r\n"...)
	}
	wire = append(wire, "0\r\n\r\n"...) // the last chunk
	p := http.NewParser(http.Limits{})
	b.ReportAllocs()
	b.SetBytes(int64(len(wire)))
	for b.Loop() {
		if _, n, err := p.Parse(wire); err != nil || n != len(wire) {
			b.Fatal(n, err)
		}
	}
}

// BenchmarkParseGETBytewise feeds the browser GET one byte per call, the
// slowloris pattern: the cost must stay proportional to the length.
func BenchmarkParseGETBytewise(b *testing.B) {
	wire := []byte(browserGET)
	p := http.NewParser(http.Limits{})
	b.ReportAllocs()
	b.SetBytes(int64(len(wire)))
	for b.Loop() {
		for i := 1; i <= len(wire); i++ {
			if _, _, err := p.Parse(wire[:i]); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkResponseHello encodes a 200 "hello" into a reused buffer.
func BenchmarkResponseHello(b *testing.B) {
	req, _, _ := http.NewParser(http.Limits{}).Parse([]byte(browserGET))
	resp := http.NewResponse(200, "hello").WithHeader("Content-Type", "text/plain; charset=utf-8")
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		buf, err = resp.AppendTo(buf[:0], req)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
}

// BenchmarkResponseNewHello builds the response for each request too, as a
// handler does.
func BenchmarkResponseNewHello(b *testing.B) {
	req, _, _ := http.NewParser(http.Limits{}).Parse([]byte(browserGET))
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		resp := http.NewResponse(200, "hello").WithHeader("Content-Type", "text/plain; charset=utf-8")
		buf, err = resp.AppendTo(buf[:0], req)
		if err != nil {
			b.Fatal(err)
		}
	}
}
