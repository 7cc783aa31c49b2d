package http_test

import (
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/internal/testutil"
	"github.com/workerman-go/workerman/protocols/http"
	"github.com/workerman-go/workerman/worker"
)

// A download whose client stops reading is closed after WriteTimeout, and
// the file it held is closed with it.
func TestStalledDownloadReleasesItsFile(t *testing.T) {
	if _, err := os.Stat("/proc/self/fd"); err != nil {
		t.Skip("needs /proc/self/fd to count open files")
	}
	dir := t.TempDir()
	name := filepath.Join(dir, "f")
	randomFile(t, dir, "f", 8<<20)
	w := worker.New("http://127.0.0.1:0", http.Protocol())
	w.Count = 1
	w.WriteTimeout = 300 * time.Millisecond
	w.OnMessage = func(c *connection.Conn, r *http.Request) { http.ServeFile(c, r, name) }
	w.OnError = func(*connection.Conn, error) {}
	addr := testutil.Start(t, w)
	open := func() int {
		n := 0
		entries, _ := os.ReadDir("/proc/self/fd")
		for _, e := range entries {
			if target, err := os.Readlink("/proc/self/fd/" + e.Name()); err == nil && target == name {
				n++
			}
		}
		return n
	}
	c := testutil.Dial(t, testutil.SmallWindowDialer, addr)
	io.WriteString(c, "GET /f HTTP/1.1\r\nHost: h\r\n\r\n") // and never read
	testutil.Eventually(t, "the download under way", func() bool { return open() == 1 })
	testutil.Eventually(t, "the stalled download closed and its file released", func() bool {
		return open() == 0 && w.Stats().Connections == 0
	})
}
