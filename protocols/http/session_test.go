package http_test

import (
	"bufio"
	"io"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/internal/testutil"
	"github.com/workerman-go/workerman/protocols"
	"github.com/workerman-go/workerman/protocols/http"
)

// sessionServer is an HTTP server whose sessions a FileSessionStore keeps
// in a fresh folder, and one client connection to it.
type sessionServer struct {
	t     *testing.T
	proto protocols.Protocol[*http.Request]
	dir   string
	conn  net.Conn
	br    *bufio.Reader
}

// serveSessions starts a sessionServer. A request whose session cannot be
// loaded gets a 500; the others reach handle with their session.
func serveSessions(t *testing.T, handle func(*connection.Conn, *http.Request, *http.Session)) *sessionServer {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "sessions") // made private by the store
	store, err := http.NewFileSessionStore(dir, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	proto := http.ProtocolWith(http.Config{Session: &http.SessionConfig{Store: store}})
	addr := serveProtocol(t, proto, func(c *connection.Conn, r *http.Request) {
		s, err := r.Session()
		if err != nil {
			c.Send(http.NewResponse(500, err.Error()))
			return
		}
		handle(c, r, s)
	})
	conn := dialRaw(t, addr)
	return &sessionServer{t: t, proto: proto, dir: dir, conn: conn, br: bufio.NewReader(conn)}
}

// get sends GET target, with cookie as its Cookie header unless empty, and
// returns the response's body and Set-Cookie header.
func (s *sessionServer) get(target, cookie string) (body, setCookie string) {
	s.t.Helper()
	req := "GET " + target + " HTTP/1.1\r\nHost: h\r\n"
	if cookie != "" {
		req += "Cookie: " + cookie + "\r\n"
	}
	io.WriteString(s.conn, req+"\r\n")
	resp, body := readResponse(s.t, s.br, "GET")
	return body, resp.Header.Get("Set-Cookie")
}

// files counts the session files. Sessions are written in the background:
// it waits until none is pending, so the folder is what the responses left.
func (s *sessionServer) files() int {
	s.t.Helper()
	testutil.Eventually(s.t, "session writes done", func() bool { return http.SessionWritesPending(s.proto) == 0 })
	m, _ := filepath.Glob(filepath.Join(s.dir, "sess_*"))
	return len(m)
}

// A counter kept in the session across requests that carry its cookie.
func TestSessionCounter(t *testing.T) {
	srv := serveSessions(t, func(c *connection.Conn, r *http.Request, s *http.Session) {
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
	send := func(path, cookie string) (string, string) {
		if cookie != "" {
			cookie = "other=1; " + cookie
		}
		return srv.get(path, cookie)
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
	files := srv.files()
	if body, _ := send("/logout", cookie); body != "bye" {
		t.Fatal(body)
	}
	if after := srv.files(); after != files-1 {
		t.Fatalf("%d session files before the logout, %d after", files, after)
	}
	if body, _ := send("/", cookie); body != "1" {
		t.Fatalf("after logout: %q", body)
	}
}

func TestFileSessionStoreExpiry(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sessions")
	store, err := http.NewFileSessionStore(dir, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
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

// A session costs a file and a cookie only once it holds data: a request
// that looks at an empty session, or fills and empties one, gets no
// Set-Cookie and leaves no file; a stored session that becomes empty loses
// its file.
func TestEmptySessionCostsNothing(t *testing.T) {
	srv := serveSessions(t, func(c *connection.Conn, r *http.Request, s *http.Session) {
		switch r.Path {
		case "/peek":
			s.Get("a")
			s.Has("b")
			s.All()
		case "/set-delete":
			s.Set("a", "1")
			s.Delete("a")
		case "/set-flush":
			s.Set("a", "1")
			s.Set("b", "2")
			s.Flush()
		case "/pull":
			s.Set("a", "1")
			s.Pull("a")
		case "/set":
			s.Set(r.Query().Get("k"), "v")
		case "/delete":
			s.Delete(r.Query().Get("k"))
		case "/flush":
			s.Flush()
		}
		c.Send(strings.Join(slices.Sorted(maps.Keys(s.All())), ","))
	})
	send, files := srv.get, srv.files

	for _, target := range []string{"/peek", "/set-delete", "/set-flush", "/pull"} {
		if body, set := send(target, ""); body != "" || set != "" {
			t.Errorf("%s: %q, Set-Cookie %q; want an empty session and no cookie", target, body, set)
		}
	}
	if n := files(); n != 0 {
		t.Fatalf("%d session files for sessions that never held data", n)
	}

	body, set := send("/set?k=a", "")
	if body != "a" || !strings.HasPrefix(set, "PHPSID=") {
		t.Fatalf("set: %q, Set-Cookie %q", body, set)
	}
	cookie, _, _ := strings.Cut(set, ";")
	if n := files(); n != 1 {
		t.Fatalf("%d session files after the first value, want 1", n)
	}
	if body, set := send("/set?k=b", cookie); body != "a,b" || set != "" {
		t.Fatalf("second value: %q, Set-Cookie %q", body, set)
	}
	if body, _ := send("/delete?k=a", cookie); body != "b" || files() != 1 {
		t.Fatalf("after deleting one of two keys: %q, %d files", body, files())
	}
	if body, _ := send("/delete?k=b", cookie); body != "" || files() != 0 {
		t.Fatalf("after deleting the last key: %q, %d files; want the file gone", body, files())
	}
	// Again, emptied by Flush.
	body, set = send("/set?k=a", "")
	cookie, _, _ = strings.Cut(set, ";")
	if body != "a" || files() != 1 {
		t.Fatalf("new session: %q, %d files", body, files())
	}
	if body, _ := send("/flush", cookie); body != "" || files() != 0 {
		t.Fatalf("after Flush: %q, %d files; want the file gone", body, files())
	}
	if body, set := send("/peek", cookie); body != "" || set != "" {
		t.Fatalf("the flushed session's cookie: %q, Set-Cookie %q", body, set)
	}
}

// gateStore is a SessionStore whose Load and Save wait for the test: it
// stands for a slow disk or a remote store.
type gateStore struct {
	mu      sync.Mutex
	data    map[string]map[string]string
	loading chan string   // receives the id of each Load as it starts
	saving  chan string   // and of each Save
	release chan struct{} // each Load or Save returns on a receive
	closed  chan struct{}
}

func newGateStore() *gateStore {
	return &gateStore{data: map[string]map[string]string{}, loading: make(chan string, 16), saving: make(chan string, 16),
		release: make(chan struct{}), closed: make(chan struct{})}
}

func (g *gateStore) wait() {
	select {
	case <-g.release:
	case <-g.closed:
	}
}

func (g *gateStore) Load(id string) (map[string]string, error) {
	g.loading <- id
	g.wait()
	g.mu.Lock()
	defer g.mu.Unlock()
	return maps.Clone(g.data[id]), nil
}

func (g *gateStore) Save(id string, data map[string]string) error {
	g.saving <- id
	g.wait()
	g.mu.Lock()
	defer g.mu.Unlock()
	g.data[id] = maps.Clone(data)
	return nil
}

func (g *gateStore) Delete(id string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.data, id)
	return nil
}

// Session loads and saves do not run on the event loop: while one
// connection's session is being loaded or saved, another connection of the
// same loop is answered; the request is delivered once its session is
// loaded, its response does not wait for the save, and the next request of
// the session sees what was saved.
func TestSessionIOOffTheLoop(t *testing.T) {
	store := newGateStore()
	addr := serve(t, http.Config{Session: &http.SessionConfig{Store: store}}, func(c *connection.Conn, r *http.Request) {
		if r.Path == "/plain" {
			c.Send("plain")
			return
		}
		s, err := r.Session()
		if err != nil {
			c.Send(http.NewResponse(500, err.Error()))
			return
		}
		v, _ := s.Get("n")
		n, _ := strconv.Atoi(v)
		s.Set("n", strconv.Itoa(n+1))
		c.Send(strconv.Itoa(n + 1))
	})
	t.Cleanup(func() { close(store.closed) }) // runs before the server stops
	other := dialRaw(t, addr)
	otherBr := bufio.NewReader(other)
	plain := func(what string) {
		t.Helper()
		other.SetDeadline(time.Now().Add(testTimeout))
		io.WriteString(other, "GET /plain HTTP/1.1\r\nHost: h\r\n\r\n")
		if _, body := readResponse(t, otherBr, "GET"); body != "plain" {
			t.Fatalf("%s: %q", what, body)
		}
	}

	c := dialRaw(t, addr)
	br := bufio.NewReader(c)
	// A new session: nothing to load; its save waits, its response does not.
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: h\r\n\r\n")
	resp, body := readResponse(t, br, "GET")
	cookie, _, _ := strings.Cut(resp.Header.Get("Set-Cookie"), ";")
	if body != "1" || cookie == "" {
		t.Fatalf("first request: %q, cookie %q", body, cookie)
	}
	id := testutil.Recv(t, store.saving, "the first save")
	plain("during a save")

	// The next request waits for that save, then for its load, while the
	// other connection is served.
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: h\r\nCookie: "+cookie+"\r\n\r\n")
	plain("while a request waits for a save")
	store.release <- struct{}{} // the save
	if got := testutil.Recv(t, store.loading, "the load"); got != id {
		t.Fatalf("loaded %q, saved %q", got, id)
	}
	plain("during a load")
	store.release <- struct{}{} // the load
	if _, body := readResponse(t, br, "GET"); body != "2" {
		t.Fatalf("second request: %q, want 2 (the saved session)", body)
	}
	testutil.Recv(t, store.saving, "the second save")
	plain("during the second save")
	store.release <- struct{}{}
}
