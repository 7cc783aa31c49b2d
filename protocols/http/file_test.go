package http_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	nethttp "net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"
	"time"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/internal/testutil"
	"github.com/workerman-go/workerman/protocols/http"
)

// randomFile writes size pseudo-random bytes to dir/name and returns them.
func randomFile(t *testing.T, dir, name string, size int) []byte {
	t.Helper()
	data := make([]byte, size)
	r := rand.New(rand.NewPCG(uint64(size), 7))
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return data
}

// fetch sends a raw request and reads the response with net/http's parser.
func fetch(t *testing.T, addr, method, target string, header ...string) (status int, h map[string]string, body []byte) {
	t.Helper()
	c := dialRaw(t, addr)
	req := method + " " + target + " HTTP/1.1\r\nHost: h\r\n"
	for _, f := range header {
		req += f + "\r\n"
	}
	io.WriteString(c, req+"\r\n")
	resp, b := readResponse(t, bufio.NewReader(c), method)
	h = map[string]string{}
	for k := range resp.Header {
		h[k] = resp.Header.Get(k)
	}
	return resp.StatusCode, h, []byte(b)
}

func TestServeFile(t *testing.T) {
	dir := t.TempDir()
	small := randomFile(t, dir, "small.bin", 1000)
	large := randomFile(t, dir, "large.bin", 5<<20+123)
	os.WriteFile(filepath.Join(dir, "page.html"), []byte("<p>hi</p>"), 0o644)
	addr := serve(t, http.Config{}, func(c *connection.Conn, r *http.Request) {
		http.ServeFile(c, r, filepath.Join(dir, strings.TrimPrefix(r.Path, "/")))
	})

	st, h, body := fetch(t, addr, "GET", "/small.bin")
	if st != 200 || !bytes.Equal(body, small) || h["Content-Type"] != "application/octet-stream" || h["Accept-Ranges"] != "bytes" {
		t.Fatalf("small: %d %v, %d bytes", st, h, len(body))
	}
	st, _, body = fetch(t, addr, "GET", "/large.bin")
	if st != 200 || !bytes.Equal(body, large) {
		t.Fatalf("large: %d, %d bytes of %d", st, len(body), len(large))
	}
	st, h, _ = fetch(t, addr, "GET", "/page.html")
	if st != 200 || !strings.HasPrefix(h["Content-Type"], "text/html") {
		t.Fatalf("html: %d %v", st, h)
	}
	if st, _, _ := fetch(t, addr, "GET", "/missing"); st != 404 {
		t.Fatalf("missing file: %d", st)
	}

	// HEAD: the head only, with the length.
	st, h, body = fetch(t, addr, "HEAD", "/large.bin")
	if st != 200 || len(body) != 0 || h["Content-Length"] != fmt.Sprint(len(large)) {
		t.Fatalf("HEAD: %d %v %d", st, h, len(body))
	}

	// Conditional requests.
	fi, _ := os.Stat(filepath.Join(dir, "large.bin"))
	mod := fi.ModTime().UTC()
	if st, h, _ := fetch(t, addr, "GET", "/large.bin", "If-Modified-Since: "+mod.Format(nethttp.TimeFormat)); st != 304 || h["Last-Modified"] == "" {
		t.Fatalf("If-Modified-Since now: %d %v", st, h)
	}
	if st, _, _ := fetch(t, addr, "GET", "/small.bin", "If-Modified-Since: "+mod.Add(-time.Hour).Format(nethttp.TimeFormat)); st != 200 {
		t.Fatalf("If-Modified-Since an hour before: %d", st)
	}

	// Ranges.
	for _, tc := range []struct {
		rng          string
		status       int
		from, to     int // the bytes expected, [from, to)
		contentRange string
	}{
		{"bytes=0-99", 206, 0, 100, "bytes 0-99/1000"},
		{"bytes=900-", 206, 900, 1000, "bytes 900-999/1000"},
		{"bytes=-100", 206, 900, 1000, "bytes 900-999/1000"},
		{"bytes=990-5000", 206, 990, 1000, "bytes 990-999/1000"},
		{"bytes=-5000", 206, 0, 1000, "bytes 0-999/1000"},
		{"bytes=1000-", 416, 0, 0, "bytes */1000"},
		{"bytes=0-1,5-6", 200, 0, 1000, ""}, // several ranges: the whole file
		{"items=0-1", 200, 0, 1000, ""},
		{"bytes=5-1", 200, 0, 1000, ""},
	} {
		st, h, body := fetch(t, addr, "GET", "/small.bin", "Range: "+tc.rng)
		if st != tc.status || h["Content-Range"] != tc.contentRange {
			t.Errorf("Range %s: %d %q, want %d %q", tc.rng, st, h["Content-Range"], tc.status, tc.contentRange)
			continue
		}
		if st != 416 && !bytes.Equal(body, small[tc.from:tc.to]) {
			t.Errorf("Range %s: wrong bytes (%d)", tc.rng, len(body))
		}
	}
	// A range of the large file is streamed too.
	st, _, body = fetch(t, addr, "GET", "/large.bin", "Range: bytes=1000000-3999999")
	if st != 206 || !bytes.Equal(body, large[1000000:4000000]) {
		t.Fatalf("large range: %d, %d bytes", st, len(body))
	}
	// If-Range with another date: the whole file.
	st, _, body = fetch(t, addr, "GET", "/small.bin", "Range: bytes=0-9", "If-Range: "+mod.Add(-time.Hour).Format(nethttp.TimeFormat))
	if st != 200 || len(body) != len(small) {
		t.Fatalf("stale If-Range: %d, %d bytes", st, len(body))
	}
}

// A client that reads slowly still gets the whole file, and keep-alive
// continues after it.
func TestServeFileSlowReader(t *testing.T) {
	dir := t.TempDir()
	large := randomFile(t, dir, "f", 3<<20)
	addr := serve(t, http.Config{}, func(c *connection.Conn, r *http.Request) {
		if r.Path == "/next" {
			c.Send("next")
			return
		}
		http.ServeFile(c, r, filepath.Join(dir, "f"))
	})
	c := dialRaw(t, addr)
	io.WriteString(c, "GET /f HTTP/1.1\r\nHost: h\r\n\r\nGET /next HTTP/1.1\r\nHost: h\r\n\r\n")
	br := bufio.NewReaderSize(&slowReader{r: c}, 4096)
	if _, body := readResponse(t, br, "GET"); body != string(large) {
		t.Fatalf("got %d bytes of %d", len(body), len(large))
	}
	if _, body := readResponse(t, br, "GET"); body != "next" {
		t.Fatalf("after the file: %q", body)
	}
}

// slowReader reads at most 32 KiB at a time with a pause now and then.
type slowReader struct {
	r io.Reader
	n int
}

func (s *slowReader) Read(p []byte) (int, error) {
	if s.n++; s.n%16 == 0 {
		time.Sleep(2 * time.Millisecond)
	}
	return s.r.Read(p[:min(len(p), 32<<10)])
}

// A connection closed in the middle of a file releases the file.
func TestServeFileClosedMidwayReleasesTheFile(t *testing.T) {
	dir := t.TempDir()
	randomFile(t, dir, "f", 8<<20)
	addr := serve(t, http.Config{}, func(c *connection.Conn, r *http.Request) {
		http.ServeFile(c, r, filepath.Join(dir, "f"))
	})
	open := func() int {
		n := 0
		entries, _ := os.ReadDir("/proc/self/fd")
		for _, e := range entries {
			if target, err := os.Readlink("/proc/self/fd/" + e.Name()); err == nil && target == filepath.Join(dir, "f") {
				n++
			}
		}
		return n
	}
	for range 5 {
		c := dialRaw(t, addr)
		io.WriteString(c, "GET /f HTTP/1.1\r\nHost: h\r\n\r\n")
		io.ReadFull(c, make([]byte, 100<<10))
		c.Close()
	}
	testutil.Eventually(t, "every descriptor of the file closed", func() bool { return open() == 0 })
}

func TestFileServer(t *testing.T) {
	base := t.TempDir()
	root := filepath.Join(base, "public")
	os.MkdirAll(filepath.Join(root, "sub"), 0o755)
	os.WriteFile(filepath.Join(root, "index.html"), []byte("home"), 0o644)
	os.WriteFile(filepath.Join(root, "sub", "index.html"), []byte("sub home"), 0o644)
	os.WriteFile(filepath.Join(root, "app.js"), []byte("js"), 0o644)
	os.WriteFile(filepath.Join(root, ".env"), []byte("SECRET"), 0o644)
	os.WriteFile(filepath.Join(base, "secret.txt"), []byte("SECRET"), 0o644)
	if err := os.Symlink(filepath.Join(base, "secret.txt"), filepath.Join(root, "link.txt")); err != nil {
		t.Fatal(err)
	}
	fsrv, err := http.NewFileServer(root)
	if err != nil {
		t.Fatal(err)
	}
	defer fsrv.Close()
	addr := serve(t, http.Config{}, func(c *connection.Conn, r *http.Request) { fsrv.Serve(c, r) })

	for _, tc := range []struct {
		method, target string
		status         int
		body           string
	}{
		{"GET", "/", 200, "home"},
		{"GET", "/index.html", 200, "home"},
		{"GET", "/app.js", 200, "js"},
		{"GET", "/sub/", 200, "sub home"},
		{"GET", "/sub", 301, ""},
		{"GET", "/missing", 404, ""},
		{"GET", "/../secret.txt", 404, ""},
		{"GET", "/sub/../../secret.txt", 404, ""},
		{"GET", "/%2e%2e/secret.txt", 404, ""},
		{"GET", "/link.txt", 0, ""}, // a symlink out of the folder: refused (403 or 404)
		{"GET", "/.env", 404, ""},
		{"GET", "/sub/%2e%2e/.env", 404, ""},
		{"POST", "/", 405, ""},
	} {
		st, h, body := fetch(t, addr, tc.method, tc.target, "Content-Length: 0")
		switch {
		case tc.status == 0 && (st == 403 || st == 404) && !strings.Contains(string(body), "SECRET"):
		case st != tc.status:
			t.Errorf("%s %s: %d, want %d (%q)", tc.method, tc.target, st, tc.status, body)
		case tc.body != "" && string(body) != tc.body:
			t.Errorf("%s %s: body %q, want %q", tc.method, tc.target, body, tc.body)
		case strings.Contains(string(body), "SECRET"):
			t.Errorf("%s %s: leaked a secret", tc.method, tc.target)
		case st == 301 && h["Location"] != "/sub/":
			t.Errorf("redirect to %q", h["Location"])
		}
	}
}

// A FileServer over an fs.FS (as embed.FS): files without a modification
// time, ranges through Seek, large ones streamed.
func TestFSServer(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789"), 30_000)
	fsys := fstest.MapFS{
		"index.html": {Data: []byte("<h1>page</h1>")},
		"big.txt":    {Data: big},
	}
	fsrv := http.NewFSServer(fsys)
	addr := serve(t, http.Config{}, func(c *connection.Conn, r *http.Request) { fsrv.Serve(c, r) })
	if st, h, body := fetch(t, addr, "GET", "/"); st != 200 || string(body) != "<h1>page</h1>" || h["Last-Modified"] != "" {
		t.Fatalf("index: %d %v %q", st, h, body)
	}
	if st, _, body := fetch(t, addr, "GET", "/big.txt"); st != 200 || !bytes.Equal(body, big) {
		t.Fatalf("big: %d, %d bytes", st, len(body))
	}
	if st, _, body := fetch(t, addr, "GET", "/big.txt", "Range: bytes=100000-"); st != 206 || !bytes.Equal(body, big[100000:]) {
		t.Fatalf("range: %d, %d bytes", st, len(body))
	}
}

// A folder is redirected to its path with a final '/', and that path is on
// this host whatever the raw target: never "//host" or "/\host" (which a
// browser follows to another host), built from the cleaned path, with
// anything but path characters percent-encoded.
func TestFileServerRedirectStaysOnHost(t *testing.T) {
	dirs := []string{"sub", "evil.example", "evil", "a b", "€", "50%", "q?x"}
	root := t.TempDir()
	mapfs := fstest.MapFS{"index.html": {Data: []byte("home")}}
	for _, d := range dirs {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(root, d, "index.html"), []byte(d), 0o644)
		mapfs[d+"/index.html"] = &fstest.MapFile{Data: []byte(d)}
	}
	os.WriteFile(filepath.Join(root, "index.html"), []byte("home"), 0o644)
	dirServer, err := http.NewFileServer(root)
	if err != nil {
		t.Fatal(err)
	}
	defer dirServer.Close()

	for _, srv := range []struct {
		name string
		fs   *http.FileServer
	}{{"NewFileServer", dirServer}, {"NewFSServer", http.NewFSServer(mapfs)}} {
		t.Run(srv.name, func(t *testing.T) {
			addr := serve(t, http.Config{}, func(c *connection.Conn, r *http.Request) { srv.fs.Serve(c, r) })
			for _, tc := range []struct {
				target   string
				location string // "" when no redirect is expected
			}{
				{"//evil.example/..", "/"},
				{"///evil.example/..", "/"},
				{"////evil.example/..", "/"},
				{"/%2F%2Fevil.example/..", "/"},
				{"/%2f/evil.example/..", "/"},
				{"//evil.example/%2e%2e", "/"},
				{"//evil.example/../", ""}, // the root itself, with its '/'
				{"/\\evil.example/..", ""},
				{"/%5Cevil.example/..", ""},
				{"/%5C%5Cevil.example/..", ""},
				{"//%5Cevil.example/..", ""},
				{"/%09/evil.example/..", ""},
				{"/%0D%0ALocation:%20//evil.example/..", ""},
				{"//evil.example", "/evil.example/"},
				{"//evil.example?x=1", "/evil.example/?x=1"},
				{"/.//evil", "/evil/"},
				{"/./evil", "/evil/"},
				{"/sub/..//evil.example", "/evil.example/"},
				{"/sub", "/sub/"},
				{"/sub?a=1&b=%2F%2Fx", "/sub/?a=1&b=%2F%2Fx"},
				{"/sub/.", "/sub/"},
				{"/sub/..", "/"},
				{"/a%20b", "/a%20b/"},
				{"/%E2%82%AC", "/%E2%82%AC/"},
				{"/50%25", "/50%25/"},
				{"/q%3Fx", "/q%3Fx/"},
				{"http://h//evil.example/..", "/"},
				{"http://h//evil.example", "/evil.example/"},
			} {
				st, h, _ := fetch(t, addr, "GET", tc.target)
				loc, hasLoc := h["Location"]
				if hasLoc && !onThisHost(loc) {
					t.Errorf("%s: %d Location %q leads to another host", tc.target, st, loc)
					continue
				}
				switch {
				case tc.location == "" && (st/100 == 3 || hasLoc):
					t.Errorf("%s: %d Location %q, want no redirect", tc.target, st, loc)
				case tc.location != "" && (st != 301 || loc != tc.location):
					t.Errorf("%s: %d Location %q, want 301 to %q", tc.target, st, loc, tc.location)
				}
			}
		})
	}
}

// onThisHost reports whether a Location value is a path on the host that
// sent it, for a browser as well as for a URL parser: it starts with a
// single '/' followed by neither '/' nor '\', holds only printable ASCII
// without '\', and its path does not decode to one starting with "//" or
// "/\".
func onThisHost(loc string) bool {
	if len(loc) == 0 || loc[0] != '/' || len(loc) > 1 && (loc[1] == '/' || loc[1] == '\\') {
		return false
	}
	for i := 0; i < len(loc); i++ {
		if loc[i] <= ' ' || loc[i] >= 0x7f || loc[i] == '\\' {
			return false
		}
	}
	u, err := url.Parse(loc)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return false
	}
	if strings.HasPrefix(u.Path, "//") || strings.HasPrefix(u.Path, "/\\") {
		return false
	}
	base, _ := url.Parse("http://this.host/some/page")
	return base.ResolveReference(u).Host == "this.host"
}

// The conditional requests of RFC 9110 §13 (If-Match, If-Unmodified-Since,
// If-None-Match, If-Modified-Since, in the order of §13.2.2, and If-Range)
// get the status net/http's FileServer gives for the same request on the
// same files.
func TestFileServerConditionalsLikeNetHTTP(t *testing.T) {
	dir := t.TempDir()
	randomFile(t, dir, "f.bin", 1000)
	randomFile(t, dir, "big.bin", 200<<10)
	mod := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	for _, name := range []string{"f.bin", "big.bin"} {
		if err := os.Chtimes(filepath.Join(dir, name), mod, mod); err != nil {
			t.Fatal(err)
		}
	}
	fsrv, err := http.NewFileServer(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer fsrv.Close()
	ours := serve(t, http.Config{}, func(c *connection.Conn, r *http.Request) { fsrv.Serve(c, r) })
	ref := httptest.NewServer(nethttp.FileServer(nethttp.Dir(dir)))
	defer ref.Close()
	theirs := strings.TrimPrefix(ref.URL, "http://")

	date := func(d time.Duration) string { return mod.Add(d).Format(nethttp.TimeFormat) }
	cases := []struct {
		target string
		header []string
		want   int // net/http's status, checked too so that the table says what it tests
	}{
		{"/f.bin", nil, 200},
		{"/missing", nil, 404},
		{"/missing", []string{"If-None-Match: *"}, 404},
		{"/missing", []string{"If-Match: *"}, 404},
		// If-None-Match.
		{"/f.bin", []string{"If-None-Match: *"}, 304},
		{"/big.bin", []string{"If-None-Match: *"}, 304},
		{"/f.bin", []string{`If-None-Match: "abc"`}, 200},
		{"/f.bin", []string{`If-None-Match: W/"abc", "def"`}, 200},
		{"/f.bin", []string{`If-None-Match: "abc", *`}, 304},
		{"/f.bin", []string{`If-None-Match: "abc"`, "If-Modified-Since: " + date(0)}, 200},
		{"/f.bin", []string{"If-None-Match: *", "If-Modified-Since: " + date(-time.Hour)}, 304},
		// If-Modified-Since.
		{"/f.bin", []string{"If-Modified-Since: " + date(0)}, 304},
		{"/f.bin", []string{"If-Modified-Since: " + date(time.Hour)}, 304},
		{"/f.bin", []string{"If-Modified-Since: " + date(-time.Second)}, 200},
		{"/f.bin", []string{"If-Modified-Since: yesterday"}, 200},
		// If-Match.
		{"/f.bin", []string{"If-Match: *"}, 200},
		{"/f.bin", []string{`If-Match: "abc"`}, 412},
		{"/f.bin", []string{`If-Match: W/"abc"`}, 412},
		{"/f.bin", []string{`If-Match: "abc", *`}, 200},
		{"/f.bin", []string{`If-Match: "abc"`, "If-None-Match: *"}, 412},
		{"/f.bin", []string{`If-Match: "abc"`, "If-Modified-Since: " + date(0)}, 412},
		{"/f.bin", []string{`If-Match: "abc"`, "Range: bytes=0-9"}, 412},
		{"/f.bin", []string{"If-Match: *", "If-None-Match: *"}, 304},
		{"/big.bin", []string{`If-Match: "x"`}, 412},
		// If-Unmodified-Since, ignored when If-Match is present.
		{"/f.bin", []string{"If-Unmodified-Since: " + date(0)}, 200},
		{"/f.bin", []string{"If-Unmodified-Since: " + date(time.Hour)}, 200},
		{"/f.bin", []string{"If-Unmodified-Since: " + date(-time.Second)}, 412},
		{"/f.bin", []string{"If-Unmodified-Since: " + date(-time.Hour), "If-None-Match: *"}, 412},
		{"/f.bin", []string{"If-Unmodified-Since: " + date(-time.Hour), "Range: bytes=0-9"}, 412},
		{"/f.bin", []string{"If-Unmodified-Since: not a date"}, 200},
		{"/f.bin", []string{"If-Match: *", "If-Unmodified-Since: " + date(-time.Hour)}, 200},
		{"/f.bin", []string{"If-Unmodified-Since: " + date(0), "If-Modified-Since: " + date(0)}, 304},
		// Ranges and If-Range.
		{"/f.bin", []string{"Range: bytes=0-9"}, 206},
		{"/f.bin", []string{"Range: bytes=5000-"}, 416},
		{"/f.bin", []string{"Range: bytes=0-9", "If-Range: " + date(0)}, 206},
		{"/f.bin", []string{"Range: bytes=0-9", "If-Range: " + date(-time.Hour)}, 200},
		{"/f.bin", []string{"Range: bytes=0-9", "If-Unmodified-Since: " + date(0)}, 206},
		{"/f.bin", []string{"Range: bytes=0-9", "If-None-Match: *"}, 304},
	}
	for _, method := range []string{"GET", "HEAD"} {
		for _, tc := range cases {
			stRef, _, _ := fetch(t, theirs, method, tc.target, tc.header...)
			st, _, _ := fetch(t, ours, method, tc.target, tc.header...)
			if method == "HEAD" && (tc.want == 206 || tc.want == 416) {
				// RFC 9110 §14.2 defines Range for GET only and asks a
				// server to ignore it otherwise; net/http honours it on
				// HEAD too.
				if st != 200 {
					t.Errorf("%s %s %q: %d, want 200 (Range ignored)", method, tc.target, tc.header, st)
				}
				continue
			}
			if st != stRef || st != tc.want {
				t.Errorf("%s %s %q: %d, net/http %d (want %d)", method, tc.target, tc.header, st, stRef, tc.want)
			}
		}
	}
}

// emfileFS fails every Open as a process out of file descriptors does.
type emfileFS struct{ err error }

func (f emfileFS) Open(name string) (fs.File, error) {
	return nil, &fs.PathError{Op: "open", Path: name, Err: f.err}
}

// A file that cannot be opened for want of file descriptors (EMFILE, ENFILE)
// is answered 503 with Retry-After: the condition is temporary, and
// neither 404 nor 403 is true.
func TestFileServerOutOfDescriptors(t *testing.T) {
	for _, errno := range []syscall.Errno{syscall.EMFILE, syscall.ENFILE} {
		fsrv := http.NewFSServer(emfileFS{errno})
		addr := serve(t, http.Config{}, func(c *connection.Conn, r *http.Request) {
			if err := fsrv.Serve(c, r); !errors.Is(err, errno) {
				t.Errorf("Serve returned %v, want %v", err, errno)
			}
		})
		st, h, _ := fetch(t, addr, "GET", "/index.html")
		if st != 503 || h["Retry-After"] != "1" {
			t.Errorf("%v: %d %v, want 503 with Retry-After: 1", errno, st, h)
		}
	}
}
