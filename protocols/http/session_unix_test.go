//go:build unix

package http_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/protocols/http"
)

// The session folder is private to the process's user: created 0700, and
// refused when it is a symbolic link, not a folder, open to group or
// others, or owned by another user (another local user could have made
// it, to read or plant sessions).
func TestFileSessionStoreFolderIsPrivate(t *testing.T) {
	base := t.TempDir()
	fresh := filepath.Join(base, "new", "sessions")
	if _, err := http.NewFileSessionStore(fresh, time.Hour); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(fresh); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("created folder: %v %v, want mode 0700", fi.Mode(), err)
	}
	if _, err := http.NewFileSessionStore(fresh, time.Hour); err != nil {
		t.Fatalf("the same folder again: %v", err)
	}

	for _, mode := range []os.FileMode{0o755, 0o770, 0o707, 0o777, 0o701} {
		dir := filepath.Join(base, "open"+mode.String())
		os.Mkdir(dir, 0o700)
		os.Chmod(dir, mode) // not subject to the umask
		if _, err := http.NewFileSessionStore(dir, time.Hour); err == nil || !strings.Contains(err.Error(), dir) {
			t.Errorf("folder with mode %v accepted (%v)", mode, err)
		}
	}
	private := filepath.Join(base, "private")
	os.Mkdir(private, 0o700)
	link := filepath.Join(base, "link")
	if err := os.Symlink(private, link); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{link, link + "/", link + "/."} {
		if _, err := http.NewFileSessionStore(p, time.Hour); err == nil {
			t.Errorf("symbolic link %q accepted", p)
		}
	}
	file := filepath.Join(base, "file")
	os.WriteFile(file, nil, 0o600)
	if _, err := http.NewFileSessionStore(file, time.Hour); err == nil {
		t.Error("a file accepted as the folder")
	}
	if os.Geteuid() == 0 {
		foreign := filepath.Join(base, "foreign")
		os.Mkdir(foreign, 0o700)
		if err := os.Chown(foreign, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		if _, err := http.NewFileSessionStore(foreign, time.Hour); err == nil || !strings.Contains(err.Error(), "owned") {
			t.Errorf("folder of another user accepted (%v)", err)
		}
	} else {
		t.Log("not root: the folder of another user is not tried")
	}
}

// countingHandler counts the records at level Error and above.
type countingHandler struct {
	mu   sync.Mutex
	msgs []string
}

func (h *countingHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelError }
func (h *countingHandler) Handle(_ context.Context, r slog.Record) error {
	var b bytes.Buffer
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool { b.WriteString(" " + a.String()); return true })
	h.mu.Lock()
	h.msgs = append(h.msgs, b.String())
	h.mu.Unlock()
	return nil
}
func (h *countingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *countingHandler) WithGroup(string) slog.Handler      { return h }

// The default session folder, a fixed name in the shared temporary folder,
// is refused when someone else could have made it: Request.Session returns
// ErrNoSessions with the reason, and the reason is logged once.
func TestDefaultSessionFolderRefused(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	dir := filepath.Join(tmp, "workerman-go-sessions")
	os.Mkdir(dir, 0o700)
	os.Chmod(dir, 0o777) // as a pre-created folder anyone can write to
	logs := &countingHandler{}
	defer slog.SetDefault(slog.Default())
	slog.SetDefault(slog.New(logs))

	addr := serve(t, http.Config{}, func(c *connection.Conn, r *http.Request) {
		if _, err := r.Session(); err != nil {
			if !errors.Is(err, http.ErrNoSessions) {
				c.Send(http.NewResponse(500, "not ErrNoSessions: "+err.Error()))
				return
			}
			c.Send(http.NewResponse(503, err.Error()))
			return
		}
		c.Send("session")
	})
	for range 3 {
		st, _, body := fetch(t, addr, "GET", "/")
		if st != 503 || !strings.Contains(string(body), dir) || !strings.Contains(string(body), "group or others") {
			t.Fatalf("%d %q, want 503 with ErrNoSessions and the reason", st, body)
		}
	}
	logs.mu.Lock()
	defer logs.mu.Unlock()
	if len(logs.msgs) != 1 || !strings.Contains(logs.msgs[0], dir) {
		t.Fatalf("logged %q, want the reason once", logs.msgs)
	}
}
