package http_test

import (
	"bufio"
	"bytes"
	"io"
	nethttp "net/http"
	"strings"
	"testing"
	"time"

	"github.com/workerman-go/workerman/protocols/http"
)

// dateRE-free check: the Date field is an IMF-fixdate within a few seconds.
func checkDate(t *testing.T, wire []byte) {
	t.Helper()
	i := bytes.Index(wire, []byte("\r\nDate: "))
	if i < 0 {
		t.Fatalf("no Date in %q", wire)
	}
	v := string(wire[i+8 : i+8+len(nethttp.TimeFormat)])
	d, err := time.Parse(nethttp.TimeFormat, v)
	if err != nil || !strings.HasSuffix(v, " GMT") || time.Since(d).Abs() > 5*time.Second {
		t.Fatalf("Date %q: %v", v, err)
	}
	if wire[i+8+len(nethttp.TimeFormat)] != '\r' {
		t.Fatalf("Date value longer than IMF-fixdate: %q", wire[i:])
	}
}

// withoutDate removes the Date line so the rest can be compared exactly.
func withoutDate(wire []byte) string {
	s := string(wire)
	i := strings.Index(s, "Date: ")
	if i < 0 {
		return s
	}
	j := strings.Index(s[i:], "\r\n")
	return s[:i] + s[i+j+2:]
}

func reqFor(t *testing.T, in string) *http.Request { return parse(t, in) }

// readBack reads the response with an independent HTTP implementation.
func readBack(t *testing.T, wire []byte, method string) (*nethttp.Response, []byte) {
	t.Helper()
	resp, err := nethttp.ReadResponse(bufio.NewReader(bytes.NewReader(wire)), &nethttp.Request{Method: method})
	if err != nil {
		t.Fatalf("net/http cannot read %q: %v", wire, err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading body of %q: %v", wire, err)
	}
	return resp, body
}

func TestResponseBasic(t *testing.T) {
	get11 := reqFor(t, "GET / HTTP/1.1\r\nHost: h\r\n\r\n")
	r := http.NewResponse(200, "hello").WithHeader("Content-Type", "text/plain")
	wire, err := r.AppendTo([]byte("prefix"), get11)
	if err != nil {
		t.Fatal(err)
	}
	checkDate(t, wire)
	want := "prefixHTTP/1.1 200 OK\r\nServer: workerman-go\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello"
	if got := withoutDate(wire); got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
	resp, body := readBack(t, wire[len("prefix"):], "GET")
	if resp.StatusCode != 200 || string(body) != "hello" || resp.Close {
		t.Fatalf("read back %v %q", resp, body)
	}
	// Without a request: as for a keep-alive GET.
	wire2, _ := r.AppendTo(nil, nil)
	if withoutDate(wire2) != want[len("prefix"):] {
		t.Fatalf("nil request: %q", wire2)
	}
}

func TestResponseStatusLine(t *testing.T) {
	for _, tc := range []struct {
		r    *http.Response
		want string
	}{
		{&http.Response{Status: 404}, "HTTP/1.1 404 Not Found\r\n"},
		{&http.Response{Status: 299}, "HTTP/1.1 299 \r\n"},
		{&http.Response{Status: 200, Reason: "Fine Thanks"}, "HTTP/1.1 200 Fine Thanks\r\n"},
		{&http.Response{Status: 418, Reason: "I'm a teapot"}, "HTTP/1.1 418 I'm a teapot\r\n"},
	} {
		wire, err := tc.r.AppendTo(nil, nil)
		if err != nil || !strings.HasPrefix(string(wire), tc.want) {
			t.Errorf("%+v: %q, %v", tc.r, wire, err)
		}
	}
	for _, st := range []int{0, 99, 1000, -200} {
		if _, err := (&http.Response{Status: st}).AppendTo(nil, nil); err == nil {
			t.Errorf("status %d accepted", st)
		}
	}
	if _, err := (&http.Response{Status: 200, Reason: "OK\r\nX: y"}).AppendTo(nil, nil); err == nil {
		t.Error("reason with CRLF accepted")
	}
}

func TestResponseHeaderValidation(t *testing.T) {
	for _, f := range []http.Field{
		{"X-Bad", "a\r\nInjected: yes"},
		{"X-Bad", "a\nb"},
		{"X-Bad", "a\rb"},
		{"X-Bad", "a\x00b"},
		{"X-Bad", "a\x1bb"},
		{"X-Bad", "\x7f"},
		{"X Bad", "v"},
		{"X-Bad:", "v"},
		{"", "v"},
		{"X-Bad\r\n", "v"},
		{"Bäd", "v"},
		{"Transfer-Encoding", "chunked"},
		{"Content-Length", "abc"},
		{"Content-Length", "3"}, // less than the body
		{"Content-Length", "99999999999999999999"},
		{"Content-Length", ""},
	} {
		r := http.NewResponse(200, "body")
		r.Header = append(r.Header, f)
		dst := []byte("keep")
		out, err := r.AppendTo(dst, nil)
		if err == nil {
			t.Errorf("field %q: %q accepted", f.Name, f.Value)
		}
		if string(out) != "keep" {
			t.Errorf("field %q: wrote %q on error", f.Name, out)
		}
	}
	// Two Content-Length fields, even equal, are an error.
	r2 := http.NewResponse(200, "body")
	r2.Header.Add("Content-Length", "4")
	r2.Header.Add("Content-Length", "4")
	if _, err := r2.AppendTo(nil, nil); err == nil {
		t.Error("two Content-Length fields accepted")
	}
	// HTAB and obs-text are allowed in values.
	r := http.NewResponse(200, "").WithHeader("X-Ok", "a\tb \xff")
	if _, err := r.AppendTo(nil, nil); err != nil {
		t.Fatal(err)
	}
	// A Content-Length equal to the body is fine, and not doubled.
	r = http.NewResponse(200, "body").WithHeader("Content-Length", "4")
	wire, err := r.AppendTo(nil, nil)
	if err != nil || strings.Count(string(wire), "Content-Length") != 1 {
		t.Fatalf("%q %v", wire, err)
	}
	// Server and Date set by the application replace the automatic ones.
	r = http.NewResponse(200, "").WithHeader("server", "mine").WithHeader("Date", "Thu, 01 Jan 1970 00:00:00 GMT")
	wire, _ = r.AppendTo(nil, nil)
	if strings.Count(string(wire), "erver:") != 1 || strings.Count(string(wire), "Date:") != 1 || !strings.Contains(string(wire), "server: mine\r\n") {
		t.Fatalf("%q", wire)
	}
}

func TestResponseHEAD(t *testing.T) {
	head := reqFor(t, "HEAD / HTTP/1.1\r\nHost: h\r\n\r\n")
	wire, err := http.NewResponse(200, "hello world").AppendTo(nil, head)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(string(wire), "Content-Length: 11\r\n\r\n") {
		t.Fatalf("HEAD: %q", wire)
	}
	resp, body := readBack(t, wire, "HEAD")
	if resp.ContentLength != 11 || len(body) != 0 {
		t.Fatalf("read back %d %q", resp.ContentLength, body)
	}
	// An explicit length (of the GET body) is allowed for HEAD with no body.
	wire, err = http.NewResponse(200, "").WithHeader("Content-Length", "1234").AppendTo(nil, head)
	if err != nil || !strings.HasSuffix(string(wire), "Content-Length: 1234\r\n\r\n") {
		t.Fatalf("%q %v", wire, err)
	}
	// HEAD with a chunked response: the head only.
	wire, err = http.NewChunkedResponse(200).WithBody([]byte("x")).AppendTo(nil, head)
	if err != nil || !strings.HasSuffix(string(wire), "Transfer-Encoding: chunked\r\n\r\n") {
		t.Fatalf("%q %v", wire, err)
	}
}

func TestResponseNoBodyStatuses(t *testing.T) {
	for _, st := range []int{204, 304} {
		wire, err := http.NewResponse(st, "").AppendTo(nil, nil)
		if err != nil || strings.Contains(string(wire), "Content-Length") || !strings.HasSuffix(string(wire), "\r\n\r\n") {
			t.Errorf("%d: %q %v", st, wire, err)
		}
		checkDate(t, wire)
		readBack(t, wire, "GET")
		if _, err := http.NewResponse(st, "x").AppendTo(nil, nil); err == nil {
			t.Errorf("%d with a body accepted", st)
		}
		r := http.NewResponse(st, "")
		r.Chunked = true
		if _, err := r.AppendTo(nil, nil); err == nil {
			t.Errorf("chunked %d accepted", st)
		}
	}
	// 304 may repeat the representation's length; 204 may not have one.
	if _, err := http.NewResponse(304, "").WithHeader("Content-Length", "99").AppendTo(nil, nil); err != nil {
		t.Error(err)
	}
	if _, err := http.NewResponse(204, "").WithHeader("Content-Length", "0").AppendTo(nil, nil); err == nil {
		t.Error("204 with Content-Length accepted")
	}
	// 1xx: the status line and the application's fields only.
	wire, err := http.NewResponse(100, "").AppendTo(nil, nil)
	if err != nil || string(wire) != "HTTP/1.1 100 Continue\r\n\r\n" {
		t.Fatalf("100: %q %v", wire, err)
	}
	wire, err = http.NewResponse(101, "").WithHeader("Upgrade", "websocket").WithHeader("Connection", "Upgrade").
		AppendTo(nil, reqFor(t, "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"))
	if err != nil || string(wire) != "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n" {
		t.Fatalf("101: %q %v", wire, err)
	}
}

func TestResponseConnection(t *testing.T) {
	for _, tc := range []struct {
		req, conn string
		keep      bool
	}{
		{"GET / HTTP/1.1\r\nHost: h\r\n\r\n", "", true},
		{"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", "Connection: close\r\n", false},
		{"GET / HTTP/1.0\r\n\r\n", "Connection: close\r\n", false},
		{"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", "Connection: keep-alive\r\n", true},
	} {
		req := reqFor(t, tc.req)
		r := http.NewResponse(200, "ok")
		wire, err := r.AppendTo(nil, req)
		if err != nil {
			t.Fatal(err)
		}
		has := strings.Contains(string(wire), "Connection:")
		if tc.conn == "" && has || tc.conn != "" && !strings.Contains(string(wire), tc.conn) {
			t.Errorf("%q: %q", tc.req, wire)
		}
		resp, _ := readBack(t, wire, "GET")
		if resp.Close == tc.keep && req.ProtoMinor == 1 {
			t.Errorf("%q: net/http reads Close = %v", tc.req, resp.Close)
		}
	}
	// The application's own Connection field wins (and decides keepAlive:
	// see TestResponseKeepAlive).
	req := reqFor(t, "GET / HTTP/1.1\r\nHost: h\r\n\r\n")
	r := http.NewResponse(200, "").WithHeader("Connection", "close")
	wire, _ := r.AppendTo(nil, req)
	if strings.Count(string(wire), "Connection") != 1 {
		t.Fatalf("%q", wire)
	}
}

func TestResponseChunked(t *testing.T) {
	get11 := reqFor(t, "GET / HTTP/1.1\r\nHost: h\r\n\r\n")
	r := http.NewChunkedResponse(200).WithHeader("Content-Type", "text/plain").WithBody([]byte("first "))
	wire, err := r.AppendTo(nil, get11)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(wire), "Content-Length") || !strings.Contains(string(wire), "Transfer-Encoding: chunked\r\n\r\n6\r\nfirst \r\n") {
		t.Fatalf("%q", wire)
	}
	// The chunks that follow: TestChunkEncoders.
	// Chunked to HTTP/1.0 is refused; Chunked with Stream too.
	if _, err := r.AppendTo(nil, reqFor(t, "GET / HTTP/1.0\r\n\r\n")); err == nil {
		t.Fatal("chunked response to HTTP/1.0 accepted")
	}
	r.Stream = true
	if _, err := r.AppendTo(nil, get11); err == nil {
		t.Fatal("Chunked and Stream accepted")
	}
	// A chunked response with a Content-Length field is an error.
	if _, err := http.NewChunkedResponse(200).WithHeader("Content-Length", "0").AppendTo(nil, get11); err == nil {
		t.Fatal("Content-Length in a chunked response")
	}
}

func TestResponseStream(t *testing.T) {
	get11 := reqFor(t, "GET / HTTP/1.1\r\nHost: h\r\nAccept: text/event-stream\r\n\r\n")
	r := http.NewResponse(200, "retry: 1000\n\n").WithHeader("Content-Type", "text/event-stream").WithHeader("Cache-Control", "no-cache")
	r.Stream = true
	wire, err := r.AppendTo(nil, get11)
	if err != nil {
		t.Fatal(err)
	}
	s := string(wire)
	if strings.Contains(s, "Content-Length") || strings.Contains(s, "Transfer-Encoding") ||
		!strings.Contains(s, "Connection: close\r\n\r\nretry: 1000\n\n") {
		t.Fatalf("%q", wire)
	}
}

func TestSetCookie(t *testing.T) {
	r := http.NewResponse(200, "")
	exp := time.Date(2030, 5, 6, 7, 8, 9, 0, time.FixedZone("X", 3600))
	for _, c := range []http.Cookie{
		{Name: "sid", Value: "abc123", Path: "/app", Domain: ".example.com", Expires: exp, MaxAge: 3600,
			Secure: true, HttpOnly: true, SameSite: http.SameSiteNone},
		{Name: "a", Value: "\"quoted\"", SameSite: http.SameSiteLax},
		{Name: "gone", MaxAge: -1, SameSite: http.SameSiteStrict},
	} {
		if err := r.SetCookie(c); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{
		"sid=abc123; Path=/app; Domain=example.com; Expires=Mon, 06 May 2030 06:08:09 GMT; Max-Age=3600; Secure; HttpOnly; SameSite=None",
		"a=\"quoted\"; SameSite=Lax",
		"gone=; Max-Age=0; SameSite=Strict",
	}
	got := r.Header.Values("Set-Cookie")
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("Set-Cookie:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	wire, err := r.AppendTo(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, _ := readBack(t, wire, "GET")
	cs := resp.Cookies()
	if len(cs) != 3 || cs[0].Name != "sid" || cs[0].Value != "abc123" || !cs[0].Secure || !cs[0].HttpOnly ||
		cs[0].MaxAge != 3600 || cs[0].Path != "/app" || cs[0].Domain != "example.com" || !cs[0].Expires.Equal(exp) ||
		cs[2].MaxAge != -1 {
		t.Fatalf("read back cookies %+v", cs)
	}
	if (http.Cookie{Name: "n", Value: "v"}).String() != "n=v" || (http.Cookie{Name: "bad name"}).String() != "" {
		t.Fatal("Cookie.String")
	}

	for _, c := range []http.Cookie{
		{Name: "", Value: "v"},
		{Name: "a b", Value: "v"},
		{Name: "a;b", Value: "v"},
		{Name: "a", Value: "has space"},
		{Name: "a", Value: "semi;colon"},
		{Name: "a", Value: "comma,"},
		{Name: "a", Value: "back\\slash"},
		{Name: "a", Value: "\"unbalanced"},
		{Name: "a", Value: "crlf\r\nX: y"},
		{Name: "a", Value: "é"},
		{Name: "a", Path: "/p;x"},
		{Name: "a", Path: "/p\n"},
		{Name: "a", Domain: "exa mple.com"},
		{Name: "a", Domain: "."},
		{Name: "a", Domain: "a;b"},
		{Name: "a", Expires: time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC)},
		{Name: "a", SameSite: http.SameSiteNone},
	} {
		before := len(r.Header)
		if err := r.SetCookie(c); err == nil {
			t.Errorf("cookie %+v accepted", c)
		}
		if len(r.Header) != before {
			t.Errorf("cookie %+v added on error", c)
		}
	}
}

func TestStatusText(t *testing.T) {
	for code, text := range map[int]string{200: "OK", 404: "Not Found", 413: "Content Too Large", 431: "Request Header Fields Too Large", 505: "HTTP Version Not Supported", 299: ""} {
		if got := http.StatusText(code); got != text {
			t.Errorf("StatusText(%d) = %q", code, got)
		}
	}
	// Every reason phrase matches the registry as net/http knows it (up to
	// the names RFC 9110 changed).
	renamed := map[int]bool{413: true, 414: true, 416: true, 422: true}
	for code := 100; code < 600; code++ {
		ours, theirs := http.StatusText(code), nethttp.StatusText(code)
		if ours != theirs && !renamed[code] && !(code == 418 || code == 306 || code == 509 || code == 510) {
			t.Errorf("StatusText(%d) = %q, net/http says %q", code, ours, theirs)
		}
	}
}
