package http

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	nethttp "net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/workerman-go/workerman/protocols"
)

// feedBytewise gives p the input one more byte per call, as a slowloris
// client would, and returns the request and the bytes the parser examined.
func feedBytewise(t *testing.T, p *Parser, in []byte) (*Request, int) {
	t.Helper()
	start := p.cost
	off := 0 // consumed so far
	for i := 1; i <= len(in); i++ {
		req, n, err := p.Parse(in[off:i])
		if err != nil {
			t.Fatalf("after %d bytes: %v", i, err)
		}
		off += n
		if req != nil {
			if off != len(in) || i != len(in) {
				t.Fatalf("request after %d of %d bytes, %d consumed", i, len(in), off)
			}
			return req, p.cost - start
		}
	}
	t.Fatal("no request")
	return nil, 0
}

// TestSlowlorisCost feeds heads of about 16 KiB one byte per call. A parser
// that rescanned the head on each call would examine about n²/2 bytes; this
// one must stay below 4n.
func TestSlowlorisCost(t *testing.T) {
	many := "GET /" + strings.Repeat("p", 1000) + " HTTP/1.1\r\nHost: h\r\n"
	for i := 0; len(many) < 16<<10-200; i++ {
		many += fmt.Sprintf("X-Header-%d: %s\r\n", i, strings.Repeat("v", 150))
	}
	many += "\r\n"
	long := "GET / HTTP/1.1\r\nHost: h\r\nCookie: " + strings.Repeat("c", 16<<10-64) + "\r\n\r\n"
	chunked := "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" +
		strings.Repeat("1;ext=value\r\nx\r\n", 500) + "0\r\n" + strings.Repeat("T: v\r\n", 90) + "\r\n"
	for name, in := range map[string]string{"many fields": many, "one long field": long, "chunked": chunked} {
		t.Run(name, func(t *testing.T) {
			p := NewParser(Limits{MaxHeaderBytes: 16 << 10})
			if len(in) > 16<<10 && name != "chunked" {
				t.Fatalf("head of %d bytes is over the limit", len(in))
			}
			_, cost := feedBytewise(t, p, []byte(in))
			n := len(in)
			t.Logf("%d bytes, %d examined (%.2f per byte)", n, cost, float64(cost)/float64(n))
			if cost >= 4*n {
				t.Fatalf("examined %d bytes for a %d-byte request fed bytewise: not linear", cost, n)
			}
			// Fed at once, the same work.
			p2 := NewParser(Limits{MaxHeaderBytes: 16 << 10})
			if _, m, err := p2.Parse([]byte(in)); err != nil || m != n {
				t.Fatal(m, err)
			}
			if p2.cost >= 4*n {
				t.Fatalf("examined %d bytes at once", p2.cost)
			}
		})
	}
}

// TestNeedMoreAllocs checks that waiting for the rest of a head allocates
// nothing.
func TestNeedMoreAllocs(t *testing.T) {
	in := []byte("GET /path HTTP/1.1\r\nHost: example.com\r\nUser-Agent: x\r\nAccept: */*\r\n")
	p := NewParser(Limits{})
	p.Parse(in) // the first call may grow the reusable field slice
	allocs := testing.AllocsPerRun(100, func() {
		p.Reset()
		if req, _, err := p.Parse(in); req != nil || err != nil {
			t.Fatal(req, err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations while waiting for the end of the head", allocs)
	}
}

// TestDateCache checks that the Date value is formatted once per second.
func TestDateCache(t *testing.T) {
	now := time.Date(2026, 2, 3, 4, 5, 6, 100, time.FixedZone("CET", 3600))
	clock = func() time.Time { return now }
	defer func() { clock = time.Now }()

	if got := string(appendDate(nil)); got != "Tue, 03 Feb 2026 03:05:06 GMT" {
		t.Fatalf("Date = %q", got)
	}
	first := dateCache.Load()
	now = now.Add(800 * time.Millisecond) // same second
	if string(appendDate([]byte("x"))) != "xTue, 03 Feb 2026 03:05:06 GMT" || dateCache.Load() != first {
		t.Fatal("formatted again within the same second")
	}
	if allocs := testing.AllocsPerRun(100, func() { appendDate(make([]byte, 0, 64)[:0]) }); allocs > 1 {
		t.Fatalf("%v allocations per cached Date", allocs)
	}
	now = now.Add(200 * time.Millisecond) // next second
	if got := string(appendDate(nil)); got != "Tue, 03 Feb 2026 03:05:07 GMT" || dateCache.Load() == first {
		t.Fatalf("Date after a second = %q", got)
	}
}

// TestHugeLimits checks that limits near the top of int do not overflow the
// offsets computed from them.
func TestHugeLimits(t *testing.T) {
	p := NewParser(Limits{MaxHeaderBytes: int(^uint(0) >> 1), MaxHeaders: int(^uint(0) >> 1), MaxBodyBytes: 1<<63 - 1})
	in := []byte("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n7fffffffffffffff\r\nab")
	if req, n, err := p.Parse(in); req != nil || n != len(in) || err != nil {
		t.Fatal(req, n, err) // head, chunk-size line and the data so far consumed
	}
	p = NewParser(Limits{MaxHeaderBytes: int(^uint(0) >> 1)})
	in = []byte("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nT: v\r\n\r\n")
	if req, n, err := p.Parse(in); req == nil || n != len(in) || err != nil || req.Trailer.Get("t") != "v" {
		t.Fatal(req, n, err)
	}
}

// parseRequest parses one complete request or fails the test.
func parseRequest(t *testing.T, in string) *Request {
	t.Helper()
	req, n, err := NewParser(Limits{}).Parse([]byte(in))
	if err != nil || req == nil || n != len(in) {
		t.Fatalf("Parse(%q) = %v, %d, %v", in, req, n, err)
	}
	return req
}

// TestResponseKeepAlive checks when the connection may carry another
// request after a response.
func TestResponseKeepAlive(t *testing.T) {
	for _, tc := range []struct {
		req  string
		keep bool
	}{
		{"GET / HTTP/1.1\r\nHost: h\r\n\r\n", true},
		{"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", false},
		{"GET / HTTP/1.0\r\n\r\n", false},
		{"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true},
	} {
		req := parseRequest(t, tc.req)
		if r := NewResponse(200, "ok"); r.keepAlive(req) != tc.keep {
			t.Errorf("%q: keepAlive = %v", tc.req, r.keepAlive(req))
		}
	}
	// The application's own Connection field decides.
	get11 := parseRequest(t, "GET / HTTP/1.1\r\nHost: h\r\n\r\n")
	if NewResponse(200, "").WithHeader("Connection", "close").keepAlive(get11) {
		t.Fatal("keepAlive with Connection: close")
	}
	if !NewResponse(200, "").keepAlive(nil) {
		t.Fatal("keepAlive(nil)")
	}
	// A stream ends with its connection.
	r := NewResponse(200, "retry: 1000\n\n").WithHeader("Content-Type", "text/event-stream")
	r.Stream = true
	if r.keepAlive(get11) {
		t.Fatal("keepAlive for a Stream")
	}
}

// TestChunkEncoders writes a chunked body after a Chunked response's head
// and reads it back with net/http.
func TestChunkEncoders(t *testing.T) {
	get11 := parseRequest(t, "GET / HTTP/1.1\r\nHost: h\r\n\r\n")
	r := NewChunkedResponse(200).WithHeader("Content-Type", "text/plain").WithBody([]byte("first "))
	wire, err := r.AppendTo(nil, get11)
	if err != nil {
		t.Fatal(err)
	}
	wire = appendChunk(wire, []byte("second chunk of 27 bytes..."))
	wire = appendChunk(wire, []byte(nil)) // nothing: an empty chunk would end the body
	wire, err = appendLastChunk(wire, Header{{"X-Sum", "abc"}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(string(wire), "1b\r\nsecond chunk of 27 bytes...\r\n0\r\nX-Sum: abc\r\n\r\n") {
		t.Fatalf("%q", wire)
	}
	resp, err := nethttp.ReadResponse(bufio.NewReader(bytes.NewReader(wire)), &nethttp.Request{Method: "GET"})
	if err != nil {
		t.Fatalf("net/http cannot read %q: %v", wire, err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil || string(body) != "first second chunk of 27 bytes..." || resp.Trailer.Get("X-Sum") != "abc" {
		t.Fatalf("read back %q (%v) trailer %v", body, err, resp.Trailer)
	}
	if got := appendChunk(nil, make([]byte, 4096)); !bytes.HasPrefix(got, []byte("1000\r\n")) || len(got) != 4096+8 {
		t.Fatalf("appendChunk 4096: %q...", got[:8])
	}
	if got, _ := appendLastChunk(nil, nil); string(got) != lastChunk {
		t.Fatalf("last chunk %q", got)
	}
	if got, err := appendLastChunk([]byte("k"), Header{{"X", "a\r\nb"}}); err == nil || string(got) != "k" {
		t.Fatal("invalid trailer accepted")
	}
}

// TestMultipartCleanup checks that cleanup removes the temporary file a
// large upload spilled to, and is harmless without a form.
func TestMultipartCleanup(t *testing.T) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("upload", "big.bin")
	fw.Write(bytes.Repeat([]byte("0123456789"), 10000)) // 100 kB: beyond maxMemory
	mw.Close()
	req := parseRequest(t, "POST /u HTTP/1.1\r\nHost: h\r\nContent-Type: "+mw.FormDataContentType()+
		"\r\nContent-Length: "+strconv.Itoa(body.Len())+"\r\n\r\n"+body.String())
	form, err := req.MultipartForm(1 << 10)
	if err != nil {
		t.Fatal(err)
	}
	f, _ := form.File["upload"][0].Open()
	osf, spilled := f.(*os.File)
	f.Close()
	if !spilled {
		t.Fatal("a file above maxMemory was kept in memory")
	}
	tmp := osf.Name()
	if _, err := os.Stat(tmp); err != nil {
		t.Fatal(err)
	}
	if err := req.cleanup(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Fatalf("temporary file %s still exists after cleanup: %v", tmp, err)
	}
	if err := parseRequest(t, "GET / HTTP/1.1\r\nHost: h\r\n\r\n").cleanup(); err != nil {
		t.Fatal(err)
	}
}

// TestParserReuseAlloc: a connection whose response becomes a stream (an
// event stream) gives its parser back, and the next connection takes it
// instead of making one, with its limits; a closed connection gives its
// parser back too.
func TestParserReuseAlloc(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops what is put back at random under the race detector")
	}
	proto := ProtocolWith(Config{}).(*serverProtocol)
	in := []byte("GET /events HTTP/1.1\r\nHost: example.com\r\nAccept: text/event-stream\r\n\r\n")
	open := func(maxBody int) (*serverCodec, *Parser) {
		t.Helper()
		s := proto.NewCodec(protocols.Limits{MaxPackageSize: maxBody}).(*serverCodec)
		req, n, _, err := s.Decode(in)
		if err != nil || req == nil || n != len(in) {
			t.Fatalf("Decode: %v, %d, %v", req, n, err)
		}
		return s, s.parser
	}
	s1, p1 := open(1 << 20)
	if p1.lim.MaxBodyBytes != 1<<20 {
		t.Fatalf("MaxBodyBytes %d, want the Worker's MaxPackageSize", p1.lim.MaxBodyBytes)
	}
	resp := NewResponse(200, "")
	resp.Header.Add("Content-Type", "text/event-stream")
	resp.Stream = true
	if _, err := s1.Encode(nil, resp); err != nil {
		t.Fatal(err)
	}
	if s1.parser != nil {
		t.Fatal("a stream kept its parser")
	}
	s2, p2 := open(2 << 20)
	if p2 != p1 {
		t.Fatal("the next connection made a parser instead of taking the stream's")
	}
	fresh := NewParser(Limits{})
	fresh.Parse(in)
	if p2.lim.MaxBodyBytes != 2<<20 || p2.cost != fresh.cost {
		t.Fatalf("the reused parser has MaxBodyBytes %d and cost %d, want 2 MiB and %d (a fresh parser's)", p2.lim.MaxBodyBytes, p2.cost, fresh.cost)
	}
	s2.Closed()
	if s2.parser != nil {
		t.Fatal("a closed connection kept its parser")
	}
	if _, p3 := open(1 << 20); p3 != p1 {
		t.Fatal("the parser of the closed connection was not reused")
	}
}
