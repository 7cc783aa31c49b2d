package http

import (
	"testing"

	"github.com/workerman-go/workerman/protocols"
)

// BenchmarkParseAndRespond is the work of the HTTP codec for one keep-alive
// request: decode a browser-like GET and encode a "Hello, World!" answer, as
// `c.Send("Hello, World!")` does: one allocation per request (the Request,
// its fields and the copy of its head together, see newRequest).
func BenchmarkParseAndRespond(b *testing.B) {
	wire := []byte("GET /hello?x=1 HTTP/1.1\r\nHost: localhost:8080\r\n" +
		"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n" +
		"Accept: text/html,application/xhtml+xml,*/*;q=0.8\r\nAccept-Encoding: gzip, deflate, br\r\n" +
		"Connection: keep-alive\r\n\r\n")
	codec := Protocol().NewCodec(protocols.Limits{MaxPackageSize: 10 << 20})
	eff := codec.(protocols.Effector)
	out := make([]byte, 0, 4096)
	b.ReportAllocs()
	b.SetBytes(int64(len(wire)))
	for b.Loop() {
		req, n, _, err := codec.Decode(wire)
		if err != nil || req == nil || n != len(wire) {
			b.Fatal(n, err)
		}
		out, err = codec.Encode(out[:0], "Hello, World!")
		if err != nil {
			b.Fatal(err)
		}
		if eff.Effects()&protocols.ResumeDecode == 0 {
			b.Fatal("response not complete")
		}
	}
}
