package http_test

import (
	"bytes"
	"io"
	"mime/multipart"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/workerman-go/workerman/protocols/http"
)

// parse parses one complete request or fails the test.
func parse(t *testing.T, in string) *http.Request {
	t.Helper()
	req, n, err := http.NewParser(http.Limits{}).Parse([]byte(in))
	if err != nil || n != len(in) {
		t.Fatalf("Parse(%q) = %v, %d, %v", in, req, n, err)
	}
	return req
}

func get(headers string) string { return "GET / HTTP/1.1\r\nHost: h\r\n" + headers + "\r\n" }

func TestHeader(t *testing.T) {
	var h http.Header
	h.Add("Content-Type", "a")
	h.Add("X-Multi", "1")
	h.Add("x-multi", "2")
	h.Add("Other", "o")
	if h.Get("content-type") != "a" || h.Get("CONTENT-TYPE") != "a" || h.Get("missing") != "" {
		t.Fatal("Get is not case-insensitive")
	}
	if !slices.Equal(h.Values("X-MULTI"), []string{"1", "2"}) || h.Values("none") != nil {
		t.Fatalf("Values = %q", h.Values("X-MULTI"))
	}
	if !h.Has("other") || h.Has("othe") {
		t.Fatal("Has")
	}
	h.Add("Empty", "")
	if v, ok := h.Lookup("empty"); !ok || v != "" {
		t.Fatal("Lookup of an empty value")
	}
	h.Set("X-Multi", "3")
	want := http.Header{{"Content-Type", "a"}, {"X-Multi", "3"}, {"Other", "o"}, {"Empty", ""}}
	if !reflect.DeepEqual(h, want) {
		t.Fatalf("after Set: %v", h)
	}
	h.Set("New", "n")
	h.Del("content-type")
	h.Del("absent")
	want = http.Header{{"X-Multi", "3"}, {"Other", "o"}, {"Empty", ""}, {"New", "n"}}
	if !reflect.DeepEqual(h, want) {
		t.Fatalf("after Del: %v", h)
	}
	var names []string
	for name, value := range h.All() {
		names = append(names, name+"="+value)
		if name == "Empty" {
			break
		}
	}
	if !slices.Equal(names, []string{"X-Multi=3", "Other=o", "Empty="}) {
		t.Fatalf("All = %q", names)
	}
	c := h.Clone()
	c[0].Value = "changed"
	if h[0].Value != "3" || http.Header(nil).Clone() != nil {
		t.Fatal("Clone shares storage")
	}
	// ASCII-only folding: the Kelvin sign is not K.
	h.Add("\u212aey", "kelvin")
	if h.Get("key") != "" {
		t.Fatal("non-ASCII folding")
	}
}

func TestRequestHeaderStorage(t *testing.T) {
	// More fields than the inline storage holds.
	var b strings.Builder
	for i := range 40 {
		b.WriteString("X-" + strings.Repeat("a", i) + ": v\r\n")
	}
	req := parse(t, get(b.String()))
	if len(req.Header) != 41 || req.Header.Get("x-"+strings.Repeat("a", 39)) != "v" {
		t.Fatalf("%d fields", len(req.Header))
	}
	// Adding to a parsed request's header does not disturb another request.
	r1 := parse(t, get("A: 1\r\n"))
	r2 := parse(t, get("A: 2\r\n"))
	r1.Header.Add("B", "x")
	if r2.Header.Has("B") || r1.Header.Get("b") != "x" {
		t.Fatal("header storage shared between requests")
	}
}

func TestQuery(t *testing.T) {
	req := parse(t, "GET /s?q=go+lang&q=x&e=%26&semi;colon=1 HTTP/1.1\r\nHost: h\r\n\r\n")
	q := req.Query()
	// A malformed pair (a semicolon separator) is skipped.
	if !slices.Equal(q["q"], []string{"go lang", "x"}) || q.Get("e") != "&" || len(q) != 2 {
		t.Fatalf("Query = %v", q)
	}
	if reflect.ValueOf(req.Query()).Pointer() != reflect.ValueOf(q).Pointer() {
		t.Fatal("Query parsed twice")
	}
	if len(parse(t, get("")).Query()) != 0 {
		t.Fatal("empty query")
	}
}

func TestCookies(t *testing.T) {
	req := parse(t, get("Cookie: a=1; b=\"two\";c=;  bad name=x; d=x y; =e; f=3\r\nCookie: g=4; a=5\r\n"))
	want := []http.Cookie{{Name: "a", Value: "1"}, {Name: "b", Value: "two"}, {Name: "c"}, {Name: "f", Value: "3"}, {Name: "g", Value: "4"}, {Name: "a", Value: "5"}}
	if got := req.Cookies(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Cookies = %+v", got)
	}
	for name, want := range map[string]string{"a": "1", "b": "two", "g": "4"} {
		if v, ok := req.Cookie(name); !ok || v != want {
			t.Errorf("Cookie(%q) = %q, %v", name, v, ok)
		}
	}
	if v, ok := req.Cookie("c"); !ok || v != "" {
		t.Error("empty cookie")
	}
	for _, name := range []string{"A", "d", "missing", "bad name"} {
		if _, ok := req.Cookie(name); ok {
			t.Errorf("Cookie(%q) found", name)
		}
	}
	if parse(t, get("")).Cookies() != nil {
		t.Error("cookies without a Cookie field")
	}
}

func TestForms(t *testing.T) {
	body := "name=Ann+Lee&tag=a&tag=b&x=%41"
	in := "POST /f?tag=q&only=query HTTP/1.1\r\nHost: h\r\nContent-Type: Application/X-WWW-Form-Urlencoded; charset=utf-8\r\n" +
		"Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
	req := parse(t, in)
	pf, err := req.PostForm()
	if err != nil || pf.Get("name") != "Ann Lee" || !slices.Equal(pf["tag"], []string{"a", "b"}) || pf.Get("x") != "A" || pf.Has("only") {
		t.Fatalf("PostForm = %v, %v", pf, err)
	}
	f, err := req.Form()
	if err != nil || !slices.Equal(f["tag"], []string{"a", "b", "q"}) || f.Get("only") != "query" {
		t.Fatalf("Form = %v, %v", f, err)
	}
	f["tag"][0] = "changed"
	if pf["tag"][0] != "a" {
		t.Fatal("Form shares slices with PostForm")
	}
	// Not a form: PostForm is empty, Form is the query.
	req = parse(t, "POST /?a=1 HTTP/1.1\r\nHost: h\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nb=2")
	pf, err = req.PostForm()
	if err != nil || len(pf) != 0 {
		t.Fatalf("PostForm of text/plain = %v", pf)
	}
	if f, _ := req.Form(); len(f) != 1 || f.Get("a") != "1" {
		t.Fatalf("Form = %v", f)
	}
	// A malformed body is an error, and what parsed is kept.
	req = parse(t, "POST / HTTP/1.1\r\nHost: h\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 9\r\n\r\na=1&b=%zz")
	if pf, err := req.PostForm(); err == nil || pf.Get("a") != "1" {
		t.Fatalf("malformed PostForm = %v, %v", pf, err)
	}
	if _, err := req.Form(); err == nil {
		t.Fatal("Form hides the error")
	}
	if req.ContentType() != "application/x-www-form-urlencoded" {
		t.Fatal(req.ContentType())
	}
}

func TestJSON(t *testing.T) {
	req := parse(t, "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 17\r\n\r\n{\"a\":1,\"b\":[2,3]}")
	var v struct {
		A int
		B []int
	}
	if err := req.JSON(&v); err != nil || v.A != 1 || !slices.Equal(v.B, []int{2, 3}) {
		t.Fatalf("JSON = %+v, %v", v, err)
	}
	if err := parse(t, get("")).JSON(&v); err == nil {
		t.Fatal("JSON of an empty body")
	}
}

func TestMultipartForm(t *testing.T) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("title", "hello")
	fw, _ := mw.CreateFormFile("upload", "big.bin")
	big := bytes.Repeat([]byte("0123456789"), 10000) // 100 kB: beyond maxMemory
	fw.Write(big)
	fw, _ = mw.CreateFormFile("small", "s.txt")
	fw.Write([]byte("tiny"))
	mw.Close()
	in := "POST /u HTTP/1.1\r\nHost: h\r\nContent-Type: " + mw.FormDataContentType() +
		"\r\nContent-Length: " + strconv.Itoa(body.Len()) + "\r\n\r\n" + body.String()
	req := parse(t, in)
	form, err := req.MultipartForm(1 << 10)
	if err != nil {
		t.Fatal(err)
	}
	if form.Value["title"][0] != "hello" || len(form.File["upload"]) != 1 || form.File["upload"][0].Filename != "big.bin" {
		t.Fatalf("form = %+v", form)
	}
	again, err2 := req.MultipartForm(0)
	if again != form || err2 != nil {
		t.Fatal("MultipartForm parsed twice")
	}
	readFile := func(name string) []byte {
		f, err := form.File[name][0].Open()
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		b, _ := io.ReadAll(f)
		return b
	}
	if !bytes.Equal(readFile("upload"), big) || string(readFile("small")) != "tiny" {
		t.Fatal("file contents")
	}
	// The big file spilled to a temporary file (removed by cleanup: see
	// TestMultipartCleanup and TestMultipartFilesRemoved).
	f, _ := form.File["upload"][0].Open()
	_, spilled := f.(*os.File)
	f.Close()
	if !spilled {
		t.Fatal("a file above maxMemory was kept in memory")
	}

	if _, err := parse(t, get("")).MultipartForm(1 << 20); err != http.ErrNotMultipart {
		t.Fatalf("not multipart: %v", err)
	}
	if _, err := parse(t, get("Content-Type: multipart/form-data\r\n")).MultipartForm(1 << 20); err != http.ErrNotMultipart {
		t.Fatalf("no boundary: %v", err)
	}
}

func TestAcceptsEventStream(t *testing.T) {
	for accept, want := range map[string]bool{
		"text/event-stream":                                  true,
		"Text/Event-Stream":                                  true,
		"text/html, text/event-stream;q=0.5":                 true,
		"text/event-stream; charset=utf-8":                   true,
		"text/event-stream ; q=1.000":                        true,
		"application/json, TEXT/EVENT-STREAM;Q=0.001, */*":   true,
		"text/event-stream;x=\"a,b;q=0\";q=0.1":              true,
		"":                                                   false,
		"*/*":                                                false,
		"text/*":                                             false,
		"text/event-stream;q=0":                              false,
		"text/event-stream;q=0.000":                          false,
		"text/event-stream;q=0, text/event-stream":           false,
		"text/event-streams":                                 false,
		"text/event-stream;q=1.5":                            false,
		"text/event-stream;q=abc":                            false,
		"text/event-stream;q":                                false,
		"text/event-stream;q=0.0001":                         false,
		"application/text/event-stream":                      false,
		"text/html;p=\"text/event-stream\"":                  false,
		"text/html, application/xhtml+xml, */*;q=0.8":        false,
		"text/event-stream;":                                 true,
		"text/event-stream;q=1 x":                            false,
		"text/event-stream;q=01":                             false,
		"text/event-stream;a=\"open":                         false,
		"text/event-stream;a=\"x\\":                          false,
		"text/html;a=\"x\\\",text/event-stream\"":            false,
		"text/html;a=\"x\\\"\", text/event-stream":           true,
		"text/event-stream;charset=\"utf-8\";level=1;q=0.50": true,
	} {
		h := ""
		if accept != "" {
			h = "Accept: " + accept + "\r\n"
		}
		if got := parse(t, get(h)).AcceptsEventStream(); got != want {
			t.Errorf("Accept: %s: AcceptsEventStream = %v, want %v", accept, got, want)
		}
	}
	// Several Accept fields form one list.
	if !parse(t, get("Accept: text/html\r\nAccept: text/event-stream\r\n")).AcceptsEventStream() {
		t.Error("second Accept field ignored")
	}
}

func TestIsUpgrade(t *testing.T) {
	for _, tc := range []struct {
		headers, protocol string
		want              bool
	}{
		{"Connection: Upgrade\r\nUpgrade: websocket\r\n", "websocket", true},
		{"Connection: keep-alive, upgrade\r\nUpgrade: WebSocket\r\n", "websocket", true},
		{"Connection: keep-alive\r\nConnection: Upgrade\r\nUpgrade: h2c, websocket/13\r\n", "WEBSOCKET", true},
		{"Connection: upgrade\r\nUpgrade: websocket/13\r\n", "websocket/13", true},
		{"Connection: upgrade\r\nUpgrade: websocket/13\r\n", "websocket/12", false},
		{"Connection: upgrade\r\nUpgrade: websocket\r\n", "h2c", false},
		{"Upgrade: websocket\r\n", "websocket", false},
		{"Connection: upgrades\r\nUpgrade: websocket\r\n", "websocket", false},
		{"Connection: upgrade\r\n", "websocket", false},
		{"Connection: upgrade\r\nUpgrade: websocket\r\n", "", false},
	} {
		if got := parse(t, get(tc.headers)).IsUpgrade(tc.protocol); got != tc.want {
			t.Errorf("%q IsUpgrade(%q) = %v", tc.headers, tc.protocol, got)
		}
	}
}

func TestKeepAlive(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"GET / HTTP/1.1\r\nHost: h\r\n\r\n", true},
		{"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", false},
		{"GET / HTTP/1.1\r\nHost: h\r\nConnection: Close\r\n\r\n", false},
		{"GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\nConnection: x, close\r\n\r\n", false},
		{"GET / HTTP/1.1\r\nHost: h\r\nConnection: closed\r\n\r\n", true},
		{"GET / HTTP/1.0\r\n\r\n", false},
		{"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true},
		{"GET / HTTP/1.0\r\nConnection: KEEP-ALIVE, close\r\n\r\n", false},
		{"GET / HTTP/1.0\r\nKeep-Alive: timeout=5\r\n\r\n", false},
	} {
		if got := parse(t, tc.in).KeepAlive(); got != tc.want {
			t.Errorf("%q: KeepAlive = %v", tc.in, got)
		}
	}
}
