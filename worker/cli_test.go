//go:build unix

package worker_test

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	nethttp "net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/internal/testutil"
	"github.com/workerman-go/workerman/protocols/http"
	"github.com/workerman-go/workerman/protocols/tcp"
	"github.com/workerman-go/workerman/protocols/text"
	"github.com/workerman-go/workerman/worker"
)

const testTimeout = testutil.Timeout

// The test binary doubles as the server program of the subprocess tests:
// with WM_TEST_SERVER set it builds that server and hands its arguments to
// worker.CommandLine.Run, exactly as a program's main would through RunAll.
func TestMain(m *testing.M) {
	if mode := os.Getenv("WM_TEST_SERVER"); mode != "" {
		os.Exit(serverMain(mode))
	}
	os.Exit(m.Run())
}

const bulkSize = 8 << 20

func serverMain(mode string) int {
	if n := os.Getenv("WM_TEST_NOFILE"); n != "" {
		limit, _ := strconv.Atoi(n)
		var rl unix.Rlimit
		_ = unix.Getrlimit(unix.RLIMIT_NOFILE, &rl)
		rl.Cur = uint64(limit)
		if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
			fmt.Fprintln(os.Stderr, "setrlimit:", err)
			return 2
		}
	}
	switch mode {
	case "flags":
		return flagsMain()
	case "reload":
		return reloadMain()
	case "tls":
		// An http Worker made with no TLS of its own: -tls-cert and
		// -tls-key give it TLS.
		w := worker.New("http://127.0.0.1:0", http.Protocol())
		w.Name = "web"
		w.OnMessage = func(c *connection.Conn, r *http.Request) {
			if r.AcceptsEventStream() {
				c.Send(http.NewResponse(200, "").WithHeader("Content-Type", "text/event-stream"))
				c.Close("data: one\n\n", "data: two\n\n")
				return
			}
			c.Send("hello over TLS")
		}
	case "plain":
		// RunAll alone, as a program without flags of its own.
		w := worker.New("text://127.0.0.1:0", text.Protocol())
		w.Name = "plain"
		w.OnMessage = func(c *connection.Conn, line string) { c.Send("plain:" + line) }
		worker.RunAll()
		return 0
	case "hook", "badhook":
		// A service beside the Worker, started once it listens and stopped
		// after it; "badhook"'s fails to start.
		w := worker.New("tcp://127.0.0.1:0", tcp.Protocol())
		w.OnMessage = func(c *connection.Conn, b []byte) { c.Send(b) }
		worker.AddStartHook(func() (func(), error) {
			if mode == "badhook" {
				return nil, errors.New("the service cannot start")
			}
			fmt.Fprintln(os.Stderr, "hook: started, worker listens on", worker.Snapshot()[0].Address)
			return func() { fmt.Fprintln(os.Stderr, "hook: stopped, workers:", len(worker.Snapshot())) }, nil
		})
	case "echo":
		w := worker.New("tcp://127.0.0.1:0", tcp.Protocol())
		w.Name = "echo"
		w.Count = 2
		w.OnMessage = func(c *connection.Conn, b []byte) { c.Send(b) }
		worker.AddStatus("echo-app", func() string { return "all\nwell" })
		worker.AddStatus("broken-app", func() string { panic("no report") })
	case "two":
		// Two Workers with different protocols in one process, as in Workerman.
		a := worker.New("text://127.0.0.1:0", text.Protocol())
		a.Name = "text-side"
		a.OnMessage = func(c *connection.Conn, line string) { c.Send("text:" + line) }
		b := worker.New("tcp://127.0.0.1:0", tcp.Protocol())
		b.Name = "tcp-side"
		b.OnMessage = func(c *connection.Conn, p []byte) { c.Send(append([]byte("tcp:"), p...)) }
	case "bulk":
		// Queues 8 MiB for every client at once, then waits.
		w := worker.New("text://127.0.0.1:0", text.Protocol())
		w.Name = "bulk"
		w.MaxSendBufferSize = 64 << 20
		if d, err := time.ParseDuration(os.Getenv("WM_TEST_STOP_TIMEOUT")); err == nil {
			w.StopTimeout = d
		}
		w.OnConnect = func(c *connection.Conn) {
			c.Send("ready")
			line := strings.Repeat("b", 1023)
			for range bulkSize / 1024 {
				c.Send(line)
			}
		}
	case "hog":
		// On its first connection, the application takes every free
		// descriptor (as files being served, sessions or logs can), and
		// gives them back once the server has refused 3 connections for
		// want of one.
		w := worker.New("http://127.0.0.1:0", http.Protocol())
		w.Name = "hog"
		var once sync.Once
		w.OnConnect = func(*connection.Conn) {
			once.Do(func() {
				var hog []*os.File
				take := func() {
					for {
						f, err := os.Open(os.DevNull)
						if err != nil {
							return
						}
						hog = append(hog, f)
					}
				}
				take()
				go func() {
					// Again, for descriptors freed just after (gnet closes
					// the accepted connection's original descriptor once it
					// has its copy): accept(2) itself must find the table
					// full.
					time.Sleep(50 * time.Millisecond)
					take()
					for w.Stats().Refused < 3 {
						time.Sleep(5 * time.Millisecond)
					}
					for _, f := range hog {
						f.Close()
					}
				}()
			})
		}
		w.OnMessage = func(c *connection.Conn, r *http.Request) { c.Send("served") }
	default:
		fmt.Fprintln(os.Stderr, "unknown server mode", mode)
		return 2
	}
	return worker.CommandLine{}.Run(os.Args[1:])
}

// server is a subprocess running serverMain.
type server struct {
	cmd    *exec.Cmd
	addr   string
	stdout *bufio.Reader
	stderr bytes.Buffer
}

func command(t *testing.T, mode string, env []string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "WM_TEST_SERVER="+mode)
	cmd.Env = append(cmd.Env, env...)
	return cmd
}

// startServer runs "start" in the foreground and waits for its banner.
func startServer(t *testing.T, mode string, env []string, args ...string) *server {
	t.Helper()
	s := &server{cmd: command(t, mode, env, args...)}
	out, err := s.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s.cmd.Stderr = &s.stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
	})
	s.stdout = bufio.NewReader(out)
	lines := make(chan string)
	go func() {
		for {
			line, err := s.stdout.ReadString('\n')
			if err != nil {
				close(lines)
				return
			}
			lines <- line
		}
	}()
	timeout := time.After(testTimeout)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("server exited before listening; stderr: %s", s.stderr.String())
			}
			if _, a, found := strings.Cut(line, "listening on "); found {
				s.addr = strings.TrimSpace(a)
				go func() {
					for range lines {
					}
				}()
				return s
			}
		case <-timeout:
			t.Fatal("server did not print its address")
		}
	}
}

func (s *server) wait(t *testing.T) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatalf("wait: %v", err)
		}
		return 0
	case <-time.After(testTimeout):
		t.Fatal("server did not exit")
		return -1
	}
}

func TestSIGTERMDeliversQueuedDataAndExitsZero(t *testing.T) {
	pid := filepath.Join(t.TempDir(), "bulk.pid")
	s := startServer(t, "bulk", nil, "-listen", "127.0.0.1:0", "-pidfile", pid, "start")
	c, err := net.DialTimeout("tcp", s.addr, testTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(testTimeout))
	r := bufio.NewReader(c)
	if line, err := r.ReadString('\n'); err != nil || line != "ready\n" {
		t.Fatalf("first line %q, %v", line, err)
	}
	// OnConnect has queued 8 MiB, far more than the socket holds. Stop now.
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	rest, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("reading after SIGTERM: %v", err)
	}
	if len(rest) != bulkSize {
		t.Fatalf("received %d bytes after SIGTERM, want %d", len(rest), bulkSize)
	}
	if code := s.wait(t); code != 0 {
		t.Fatalf("exit status %d, want 0; stderr: %s", code, s.stderr.String())
	}
	if _, err := os.Stat(pid); !os.IsNotExist(err) {
		t.Fatalf("pid file left behind: %v", err)
	}
}

// A stop whose deadline passes while a client has not read what was
// queued for it closes that connection, drops the rest and says so in the
// log, and the process exits 0: the stop did what it promised. (Before, the
// close waited longer than the stop, and the process exited 1.)
func TestSIGTERMWithAClientThatDoesNotRead(t *testing.T) {
	pid := filepath.Join(t.TempDir(), "bulk.pid")
	s := startServer(t, "bulk", []string{"WM_TEST_STOP_TIMEOUT=1s"}, "-listen", "127.0.0.1:0", "-pidfile", pid, "start")
	c := testutil.Dial(t, testutil.SmallWindowDialer, s.addr)
	r := bufio.NewReader(c)
	if line, err := r.ReadString('\n'); err != nil || line != "ready\n" {
		t.Fatalf("first line %q, %v", line, err)
	}
	// 8 MiB are queued; the client reads nothing more.
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := s.wait(t); code != 0 {
		t.Fatalf("exit status %d, want 0; stderr: %s", code, s.stderr.String())
	}
	if log := s.stderr.String(); !strings.Contains(log, "dropped") {
		t.Fatalf("the dropped data is not logged; stderr: %s", log)
	}
}

func TestConnectionCapUnderLowDescriptorLimit(t *testing.T) {
	// 64 descriptors: the cap is 64-16 = 48 connections, and the process
	// itself holds about a dozen (stdio, epoll, eventfd, listeners).
	s := startServer(t, "echo", []string{"WM_TEST_NOFILE=64"},
		"-listen", "127.0.0.1:0", "-pidfile", filepath.Join(t.TempDir(), "cap.pid"), "start")

	const n = 150
	var served, refused int
	conns := make([]net.Conn, 0, n)
	for i := range n {
		c, err := net.DialTimeout("tcp", s.addr, testTimeout)
		if err != nil {
			t.Fatalf("dial %d: %v", i, err)
		}
		conns = append(conns, c)
		_ = c.SetDeadline(time.Now().Add(testTimeout))
		if _, err := c.Write([]byte("x")); err != nil {
			refused++
			continue
		}
		b := make([]byte, 1)
		if _, err := c.Read(b); err != nil {
			refused++ // closed at accept
			continue
		}
		served++
	}
	if served == 0 || served > 48 {
		t.Fatalf("%d connections served, want 1..48", served)
	}
	if refused != n-served {
		t.Fatalf("%d served + %d refused != %d", served, refused, n)
	}
	for _, c := range conns {
		c.Close()
	}
	// Still alive and serving.
	deadline := time.Now().Add(testTimeout)
	for {
		c, err := net.DialTimeout("tcp", s.addr, testTimeout)
		if err != nil {
			t.Fatalf("server gone: %v; stderr: %s", err, s.stderr.String())
		}
		_ = c.SetDeadline(time.Now().Add(testTimeout))
		_, _ = c.Write([]byte("y"))
		b := make([]byte, 1)
		_, err = c.Read(b)
		c.Close()
		if err == nil && b[0] == 'y' {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no connection served after the others closed: %v", err)
		}
		time.Sleep(20 * time.Millisecond) // the server may still be closing the old ones
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := s.wait(t); code != 0 {
		t.Fatalf("exit status %d; stderr: %s", code, s.stderr.String())
	}
}

// A full descriptor table never costs the process its listener. The table
// fills up with something other than connections (here the application
// takes every free descriptor), under the connection cap; accept(2) then
// fails with EMFILE, which made gnet shut its whole engine down (the port
// stopped listening, and the process went on running). Now the connection
// that found the table full is refused, and the server serves again once
// descriptors are free.
func TestFullDescriptorTableKeepsTheListener(t *testing.T) {
	s := startServer(t, "hog", []string{"WM_TEST_NOFILE=128"},
		"-listen", "127.0.0.1:0", "-pidfile", filepath.Join(t.TempDir(), "hog.pid"), "start")
	first := testutil.Dial(t, nil, s.addr) // the application takes every free descriptor
	io.WriteString(first, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	if resp, err := nethttp.ReadResponse(bufio.NewReader(first), nil); err != nil || resp.StatusCode != 200 {
		t.Fatalf("first request: %v %v", resp, err)
	}
	time.Sleep(100 * time.Millisecond) // let it take the descriptors freed after it began (not a wait for the server)
	refused := 0
	testutil.Eventually(t, "a request served once the descriptors are free", func() bool {
		c, err := net.DialTimeout("tcp", s.addr, testutil.Timeout)
		if err != nil {
			t.Fatalf("dial: %v (the listener is gone); stderr: %s", err, s.stderr.String())
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(testutil.Timeout))
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		resp, err := nethttp.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			refused++ // closed at accept: the table was full
			return false
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 64))
		return resp.StatusCode == 200 && string(body) == "served"
	})
	if refused < 3 {
		t.Errorf("%d connections refused before one was served: the table never filled up, the test tests nothing", refused)
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := s.wait(t); code != 0 {
		t.Fatalf("exit status %d; stderr: %s", code, s.stderr.String())
	}
	if log := s.stderr.String(); !strings.Contains(log, "out of file descriptors") {
		t.Errorf("no refusal by accept(2) logged; stderr: %s", log)
	}
}

func run(t *testing.T, mode string, args ...string) (string, int) {
	t.Helper()
	cmd := command(t, mode, nil, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return out.String(), ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return out.String(), 0
	case <-time.After(testTimeout):
		_ = cmd.Process.Kill()
		t.Fatalf("%v did not finish; output: %s", args, out.String())
		return "", -1
	}
}

func TestDetachedStartStatusStop(t *testing.T) {
	dir := t.TempDir()
	pid := filepath.Join(dir, "echo.pid")
	args := func(cmd ...string) []string {
		return append([]string{"-listen", "127.0.0.1:0", "-pidfile", pid}, cmd...)
	}
	t.Cleanup(func() { run(t, "echo", args("stop")...) })

	out, code := run(t, "echo", args("start", "-d")...)
	if code != 0 || !strings.Contains(out, "start success") {
		t.Fatalf("start -d: exit %d, output %q", code, out)
	}
	out, code = run(t, "echo", args("start", "-d")...)
	if code == 0 || !strings.Contains(out, "already running") {
		t.Fatalf("second start -d: exit %d, output %q", code, out)
	}

	out, code = run(t, "echo", args("status")...)
	if code != 0 || !strings.Contains(out, "WORKERMAN-GO STATUS") || !strings.Contains(out, "echo") {
		t.Fatalf("status: exit %d, output %q", code, out)
	}
	// The table names the bound address; a client can use it.
	var addr string
	for _, f := range strings.Fields(out) {
		if strings.HasPrefix(f, "127.0.0.1:") {
			addr = f
			break
		}
	}
	if addr == "" {
		t.Fatalf("no address in status output %q", out)
	}
	c, err := net.DialTimeout("tcp", addr, testTimeout)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	_ = c.SetDeadline(time.Now().Add(testTimeout))
	_, _ = c.Write([]byte("ping"))
	b := make([]byte, 4)
	if _, err := io.ReadFull(c, b); err != nil || string(b) != "ping" {
		t.Fatalf("echo through the detached server: %q, %v", b, err)
	}
	out, code = run(t, "echo", args("status")...)
	if code != 0 || !strings.Contains(out, "1 connections") || !strings.Contains(out, "by protocol: tcp 1\n") ||
		!strings.Contains(out, "echo-app: all well\n") || !strings.Contains(out, "broken-app: (the report panicked: no report)\n") {
		t.Fatalf("status with one client: exit %d, output %q", code, out)
	}
	// connections lists the client: its address as the peer, the worker,
	// the protocol, the state and the 4 bytes each way.
	out, code = run(t, "echo", args("connections")...)
	if code != 0 || !strings.Contains(out, "1 connections") {
		t.Fatalf("connections: exit %d, output %q", code, out)
	}
	var line string
	for l := range strings.Lines(out) {
		if strings.Contains(l, c.LocalAddr().String()) {
			line = l
		}
	}
	if f := strings.Fields(line); len(f) != 10 || f[1] != "echo" || f[2] != "tcp" || f[4] != addr || f[5] != connection.StatusEstablished.String() || f[7] != "4" || f[8] != "4" || f[9] != "0" {
		t.Fatalf("connections: the client's line is %q in %q", line, out)
	}
	c.Close()

	out, code = run(t, "echo", args("stop")...)
	if code != 0 || !strings.Contains(out, "stop success") {
		t.Fatalf("stop: exit %d, output %q", code, out)
	}
	out, code = run(t, "echo", args("status")...)
	if code == 0 || !strings.Contains(out, "not running") {
		t.Fatalf("status after stop: exit %d, output %q", code, out)
	}
	out, code = run(t, "echo", args("stop")...)
	if code == 0 || !strings.Contains(out, "not running") {
		t.Fatalf("stop when not running: exit %d, output %q", code, out)
	}
}

func TestUnknownCommandAndBadListen(t *testing.T) {
	out, code := run(t, "echo", "-pidfile", filepath.Join(t.TempDir(), "x.pid"), "frobnicate")
	if code == 0 || !strings.Contains(out, `unknown command "frobnicate"`) {
		t.Fatalf("exit %d, output %q", code, out)
	}
	out, code = run(t, "echo", "-listen", "no-port", "start")
	if code == 0 || !strings.Contains(out, "-listen") {
		t.Fatalf("exit %d, output %q", code, out)
	}
}

func TestRunAllRunsEveryWorker(t *testing.T) {
	cmd := command(t, "two", nil, "-pidfile", filepath.Join(t.TempDir(), "two.pid"), "start")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addrs := map[string]string{}
	r := bufio.NewReader(out)
	for len(addrs) < 2 {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("reading banner: %v; stderr: %s", err, stderr.String())
		}
		f := strings.Fields(line)
		if len(f) >= 5 && f[0] == "worker" {
			addrs[f[1]] = f[len(f)-1]
		}
	}
	for name, want := range map[string]string{"text-side": "text:hi\n", "tcp-side": "tcp:hi\n"} {
		c, err := net.DialTimeout("tcp", addrs[name], testTimeout)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		_ = c.SetDeadline(time.Now().Add(testTimeout))
		_, _ = c.Write([]byte("hi\n"))
		got := make([]byte, len(want))
		if _, err := io.ReadFull(c, got); err != nil || string(got) != want {
			t.Fatalf("%s answered %q, %v; want %q", name, got, err, want)
		}
		c.Close()
	}
	_ = cmd.Process.Signal(syscall.SIGINT)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGINT: %v; stderr: %s", err, stderr.String())
	}
}

// flagsMain is a program with flags of its own: it reads them with
// worker.ParseFlags, builds its Worker with their values, then hands over
// to worker.RunAll, which must not parse them again (each -tag would be
// counted twice).
func flagsMain() int {
	greeting := worker.Flags.String("greeting", "hello", "what the server answers")
	var tags []string
	worker.Flags.Func("tag", "a `tag` added to the answer (repeatable)", func(v string) error {
		if v == "" {
			return errors.New("empty tag")
		}
		tags = append(tags, v)
		return nil
	})
	worker.ParseFlags()
	answer := fmt.Sprintf("%s %v", *greeting, tags)
	w := worker.New("text://127.0.0.1:0", text.Protocol())
	w.Name = "flags"
	w.OnMessage = func(c *connection.Conn, line string) { c.Send(answer) }
	worker.RunAll()
	return 0
}

// ask sends a line to addr and returns the answer line.
func ask(t *testing.T, addr string) string {
	t.Helper()
	c := testutil.Dial(t, nil, addr)
	_ = c.SetDeadline(time.Now().Add(testTimeout))
	if _, err := io.WriteString(c, "hi\n"); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the answer of %s: %v", addr, err)
	}
	return strings.TrimSuffix(line, "\n")
}

func stopServer(t *testing.T, s *server) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := s.wait(t); code != 0 {
		t.Fatalf("exit status %d; stderr: %s", code, s.stderr.String())
	}
}

// A program's flags are given before the command word, mixed with the
// built-in ones, and their values are there before it builds its Workers.
func TestAppFlagsReadBeforeTheWorkersAreBuilt(t *testing.T) {
	s := startServer(t, "flags", nil, "-greeting", "bonjour", "-tag", "a", "-listen", "127.0.0.1:0",
		"-tag", "b", "-pidfile", filepath.Join(t.TempDir(), "flags.pid"), "start")
	if got := ask(t, s.addr); got != "bonjour [a b]" {
		t.Fatalf("answer %q, want %q (each flag parsed once)", got, "bonjour [a b]")
	}
	stopServer(t, s)

	// Without any: the defaults.
	s = startServer(t, "flags", nil, "-listen", "127.0.0.1:0", "-pidfile", filepath.Join(t.TempDir(), "flags.pid"))
	if got := ask(t, s.addr); got != "hello []" {
		t.Fatalf("answer %q, want the defaults", got)
	}
	stopServer(t, s)

	// A program that defines no flag and calls RunAll alone works as before.
	s = startServer(t, "plain", nil, "-listen", "127.0.0.1:0", "-pidfile", filepath.Join(t.TempDir(), "plain.pid"), "start")
	if got := ask(t, s.addr); got != "plain:hi" {
		t.Fatalf("answer %q", got)
	}
	stopServer(t, s)
}

func TestAppFlagsHelpAndErrors(t *testing.T) {
	pid := filepath.Join(t.TempDir(), "flags.pid")
	out, code := run(t, "flags", "-h")
	if code != 0 {
		t.Fatalf("-h: exit %d, output %q", code, out)
	}
	for _, want := range []string{"usage: ", "-greeting", "what the server answers", "-tag tag", "-listen host:port", "-pidfile file", "-logfile file", "start [-d]", "status"} {
		if !strings.Contains(out, want) {
			t.Errorf("-h does not list %q; output:\n%s", want, out)
		}
	}
	// A program without flags of its own: the built-in ones.
	if out, code := run(t, "plain", "-h"); code != 0 || !strings.Contains(out, "-listen host:port") || strings.Contains(out, "-greeting") {
		t.Fatalf("plain -h: exit %d, output %q", code, out)
	}
	if out, code := run(t, "plain", "-greeting", "x"); code != 2 || !strings.Contains(out, "flag provided but not defined: -greeting") {
		t.Fatalf("plain -greeting: exit %d, output %q", code, out)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-nope", "start"}, "flag provided but not defined: -nope"},
		{[]string{"-tag", "", "start"}, `invalid value "" for flag -tag: empty tag`},
		{[]string{"-greeting"}, "flag needs an argument: -greeting"},
		{[]string{"-pidfile", pid, "start", "-greeting", "x"}, "-greeting goes before the command"},
		{[]string{"-pidfile", pid, "stop", "-tag=x"}, "-tag goes before the command"},
		{[]string{"-pidfile", pid, "start", "-x"}, "flag provided but not defined: -x"},
	} {
		out, code := run(t, "flags", c.args...)
		if code != 2 || !strings.Contains(out, c.want) {
			t.Errorf("%q: exit %d, output %q; want exit 2 and %q", c.args, code, out, c.want)
		}
	}
}

// start -d starts the daemon with the same flags, the program's included.
func TestDetachedStartKeepsAppFlags(t *testing.T) {
	pid := filepath.Join(t.TempDir(), "flags.pid")
	args := func(cmd ...string) []string {
		return append([]string{"-greeting", "daemon", "-listen", "127.0.0.1:0", "-tag", "x", "-pidfile", pid}, cmd...)
	}
	t.Cleanup(func() { run(t, "flags", args("stop")...) })
	if out, code := run(t, "flags", args("start", "-d")...); code != 0 || !strings.Contains(out, "start success") {
		t.Fatalf("start -d: exit %d, output %q", code, out)
	}
	// status needs no app flag: the pid file is enough.
	out, code := run(t, "flags", "-pidfile", pid, "status")
	if code != 0 {
		t.Fatalf("status: exit %d, output %q", code, out)
	}
	var addr string
	for _, f := range strings.Fields(out) {
		if strings.HasPrefix(f, "127.0.0.1:") {
			addr = f
			break
		}
	}
	if addr == "" {
		t.Fatalf("no address in status output %q", out)
	}
	if got := ask(t, addr); got != "daemon [x]" {
		t.Fatalf("the daemon answers %q, want %q", got, "daemon [x]")
	}
	if out, code := run(t, "flags", args("stop")...); code != 0 || !strings.Contains(out, "stop success") {
		t.Fatalf("stop: exit %d, output %q", code, out)
	}
}

// CommandLine.Flags: a program's flag set, parsed by Run or before it.
func TestCommandLineFlagsField(t *testing.T) {
	pid := filepath.Join(t.TempDir(), "none.pid")
	newSet := func() (*flag.FlagSet, *int) {
		fs := worker.NewFlagSet("prog")
		calls := new(int)
		fs.Func("x", "an application flag", func(string) error { *calls++; return nil })
		return fs, calls
	}

	// Parsed by Run: the values are set once, the command runs.
	fs, calls := newSet()
	var out bytes.Buffer
	cl := worker.CommandLine{Flags: fs, Stdout: &out, Stderr: &out}
	if code := cl.Run([]string{"-x", "1", "-pidfile", pid, "status"}); code != 1 || !strings.Contains(out.String(), "not running") {
		t.Fatalf("status: exit %d, output %q", code, out.String())
	}
	if *calls != 1 || fs.Lookup("pidfile").Value.String() != pid {
		t.Fatalf("-x set %d times, -pidfile %q", *calls, fs.Lookup("pidfile").Value)
	}

	// Parsed before: Run does not parse again.
	fs, calls = newSet()
	args := []string{"-x", "1", "-pidfile", pid, "status"}
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	cl = worker.CommandLine{Flags: fs, Stdout: &out, Stderr: &out}
	if code := cl.Run(args); code != 1 || !strings.Contains(out.String(), "not running") || *calls != 1 {
		t.Fatalf("status: exit %d, -x set %d times, output %q", code, *calls, out.String())
	}

	// -h lists both kinds; an unknown flag is exit 2. A plain flag set
	// gets the built-in flags.
	plain := flag.NewFlagSet("plain", flag.ContinueOnError)
	plain.String("mine", "", "a flag of mine")
	out.Reset()
	cl = worker.CommandLine{Flags: plain, Stdout: &out, Stderr: &out}
	if code := cl.Run([]string{"-help"}); code != 0 || !strings.Contains(out.String(), "-mine") || !strings.Contains(out.String(), "-listen") {
		t.Fatalf("-help: exit %d, output %q", code, out.String())
	}
	out.Reset()
	if code := (worker.CommandLine{Flags: flag.NewFlagSet("p", flag.ContinueOnError), Stdout: &out, Stderr: &out}).Run([]string{"-mine", "x"}); code != 2 ||
		!strings.Contains(out.String(), "flag provided but not defined: -mine") {
		t.Fatalf("unknown flag: exit %d, output %q", code, out.String())
	}

	// Without Flags: the built-in flags, with the fields as defaults.
	out.Reset()
	if code := (worker.CommandLine{PidFile: pid, Stdout: &out, Stderr: &out}).Run([]string{"-h"}); code != 0 || !strings.Contains(out.String(), pid) {
		t.Fatalf("-h: exit %d, output %q", code, out.String())
	}
}

// A start hook runs once the Workers listen and its stop function once
// they have stopped; a hook that fails ends the start, non-zero.
func TestStartHooks(t *testing.T) {
	pid := filepath.Join(t.TempDir(), "hook.pid")
	s := startServer(t, "hook", nil, "-pidfile", pid, "start")
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := s.wait(t); code != 0 {
		t.Fatalf("exit %d; stderr: %s", code, s.stderr.String())
	}
	if got := s.stderr.String(); !strings.Contains(got, "hook: started, worker listens on "+s.addr+"\n") ||
		!strings.Contains(got, "hook: stopped, workers: 0\n") {
		t.Fatalf("stderr: %s", got)
	}
	out, code := run(t, "badhook", "-pidfile", filepath.Join(t.TempDir(), "bad.pid"), "start")
	if code != 1 || !strings.Contains(out, "the service cannot start") {
		t.Fatalf("a failing hook: exit %d, output %q", code, out)
	}
}
