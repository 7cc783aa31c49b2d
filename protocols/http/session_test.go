package http_test

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/protocols/http"
)

// A counter kept in the session across requests that carry its cookie.
func TestSessionCounter(t *testing.T) {
	dir := t.TempDir()
	store, err := http.NewFileSessionStore(dir, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	addr := serve(t, http.Config{Session: &http.SessionConfig{Store: store}}, func(c *connection.Conn, r *http.Request) {
		s, err := r.Session()
		if err != nil {
			c.Send(http.NewResponse(500, err.Error()))
			return
		}
		if r.Path == "/logout" {
			s.Flush()
			c.Send("bye")
			return
		}
		v, _ := s.Get("n")
		n, _ := strconv.Atoi(v)
		s.Set("n", strconv.Itoa(n+1))
		c.Send(strconv.Itoa(n + 1))
	})
	c := dialRaw(t, addr)
	br := bufio.NewReader(c)
	send := func(path, cookie string) (string, string) {
		req := "GET " + path + " HTTP/1.1\r\nHost: h\r\n"
		if cookie != "" {
			req += "Cookie: other=1; " + cookie + "\r\n"
		}
		io.WriteString(c, req+"\r\n")
		resp, body := readResponse(t, br, "GET")
		return body, resp.Header.Get("Set-Cookie")
	}
	body, set := send("/", "")
	if body != "1" || !strings.HasPrefix(set, "PHPSID=") || !strings.Contains(set, "HttpOnly") || !strings.Contains(set, "SameSite=Lax") {
		t.Fatalf("first request: %q, Set-Cookie %q", body, set)
	}
	cookie, _, _ := strings.Cut(set, ";")
	for want := 2; want <= 4; want++ {
		body, set := send("/", cookie)
		if body != strconv.Itoa(want) || set != "" {
			t.Fatalf("request %d: %q, Set-Cookie %q", want, body, set)
		}
	}
	// A forged or unknown id starts a new session.
	for _, bad := range []string{"PHPSID=../../etc/passwd", "PHPSID=" + strings.Repeat("a", 32)} {
		if body, set := send("/", bad); body != "1" || set == "" || set == cookie {
			t.Fatalf("cookie %q: %q, Set-Cookie %q", bad, body, set)
		}
	}
	// Flushing deletes the stored data.
	files, _ := filepath.Glob(filepath.Join(dir, "sess_*"))
	if body, _ := send("/logout", cookie); body != "bye" {
		t.Fatal(body)
	}
	after, _ := filepath.Glob(filepath.Join(dir, "sess_*"))
	if len(after) != len(files)-1 {
		t.Fatalf("%d session files before the logout, %d after", len(files), len(after))
	}
	if body, _ := send("/", cookie); body != "1" {
		t.Fatalf("after logout: %q", body)
	}
}

func TestFileSessionStoreExpiry(t *testing.T) {
	dir := t.TempDir()
	store, _ := http.NewFileSessionStore(dir, time.Minute)
	id := strings.Repeat("ab", 16)
	if err := store.Save(id, map[string]string{"k": "v"}); err != nil {
		t.Fatal(err)
	}
	if d, err := store.Load(id); err != nil || d["k"] != "v" {
		t.Fatal(d, err)
	}
	old := time.Now().Add(-2 * time.Minute)
	os.Chtimes(filepath.Join(dir, "sess_"+id), old, old)
	if d, err := store.Load(id); err != nil || d != nil {
		t.Fatalf("expired session loaded: %v %v", d, err)
	}
	if err := store.Save("../x", map[string]string{}); err == nil {
		t.Fatal("invalid id saved")
	}
}

func TestSessionWithoutServer(t *testing.T) {
	req, _, _ := http.NewParser(http.Limits{}).Parse([]byte("GET / HTTP/1.1\r\nHost: h\r\n\r\n"))
	if _, err := req.Session(); err != http.ErrNoSessions {
		t.Fatalf("Session of a parsed request: %v", err)
	}
}
