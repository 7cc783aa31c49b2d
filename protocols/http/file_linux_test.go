package http_test

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/protocols/http"
)

// ServeFile in a process that has run out of file descriptors answers 503
// with Retry-After, and the same request succeeds once descriptors are free
// again. The soft RLIMIT_NOFILE is lowered for the length of the test and
// the free descriptors below it are taken, so that the server's open fails
// with EMFILE.
func TestServeFileOutOfDescriptors(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "f.txt"), []byte("content"), 0o644)
	errs := make(chan error, 2)
	addr := serve(t, http.Config{}, func(c *connection.Conn, r *http.Request) {
		errs <- http.ServeFile(c, r, filepath.Join(dir, "f.txt"))
	})
	c := dialRaw(t, addr)
	br := bufio.NewReader(c)
	get := func() (int, string, string) {
		io.WriteString(c, "GET /f.txt HTTP/1.1\r\nHost: h\r\n\r\n")
		resp, body := readResponse(t, br, "GET")
		return resp.StatusCode, resp.Header.Get("Retry-After"), body
	}
	if st, _, body := get(); st != 200 || body != "content" {
		t.Fatalf("before: %d %q", st, body)
	}
	<-errs

	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
		t.Skip(err)
	}
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip(err)
	}
	lowered := old
	lowered.Cur = uint64(len(entries)) + 64
	if lowered.Cur > old.Cur {
		t.Skipf("descriptor limit %d already low", old.Cur)
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lowered); err != nil {
		t.Skip(err)
	}
	var taken []int
	release := func() {
		for _, fd := range taken {
			syscall.Close(fd)
		}
		taken = nil
		syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old)
	}
	defer release()
	for {
		fd, err := syscall.Open(os.DevNull, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err != nil {
			if err != syscall.EMFILE {
				t.Fatalf("taking descriptors: %v", err)
			}
			break
		}
		taken = append(taken, fd)
	}
	st, retry, _ := get()
	serveErr := <-errs
	release()
	if st != 503 || retry != "1" {
		t.Fatalf("out of descriptors: %d, Retry-After %q; want 503 and 1 (ServeFile: %v)", st, retry, serveErr)
	}
	if st, _, body := get(); st != 200 || body != "content" {
		t.Fatalf("after: %d %q", st, body)
	}
	<-errs
}
