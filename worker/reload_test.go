//go:build unix

package worker_test

import (
	"context"
	"errors"
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
	"sync/atomic"
	"testing"
	"time"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/internal/testutil"
	"github.com/workerman-go/workerman/protocols/http"
	"github.com/workerman-go/workerman/worker"
)

// failEnv names a file that makes the next process of a reload fail:
// "exit" exits at once, "hang" never connects, "hanghook" takes the
// sockets and never gets ready.
const failEnv = "WM_TEST_FAIL_FILE"

// reloadMain is the program of the reload tests: an HTTP Worker that
// answers with its process id, and logs OnWorkerStart and OnWorkerStop.
func reloadMain() int {
	if name := os.Getenv(failEnv); name != "" {
		b, _ := os.ReadFile(name)
		switch strings.TrimSpace(string(b)) {
		case "exit":
			fmt.Fprintln(os.Stderr, "failing on purpose")
			return 3
		case "hang":
			time.Sleep(time.Hour)
		case "hanghook":
			worker.AddStartHook(func() (func(), error) {
				time.Sleep(time.Hour)
				return nil, nil
			})
		}
	}
	w := worker.New("http://127.0.0.1:0", http.Protocol())
	w.Name = "web"
	w.Count = 2
	pid := strconv.Itoa(os.Getpid())
	w.OnWorkerStart = func(*worker.Worker[*http.Request]) { fmt.Fprintln(os.Stderr, "OnWorkerStart pid", pid) }
	w.OnWorkerStop = func(*worker.Worker[*http.Request]) { fmt.Fprintln(os.Stderr, "OnWorkerStop pid", pid) }
	w.OnMessage = func(c *connection.Conn, r *http.Request) { c.Send(pid) }
	return worker.CommandLine{ReloadTimeout: 3 * time.Second}.Run(os.Args[1:])
}

// load sends GET requests over keep-alive connections until stopped, and
// counts the answers by the pid that gave them, and the failures.
type load struct {
	mu       sync.Mutex
	pids     map[string]int
	failures []string
	requests atomic.Int64
	stop     chan struct{}
	done     sync.WaitGroup
}

func startLoad(addr string, clients int) *load {
	l := &load{pids: map[string]int{}, stop: make(chan struct{})}
	for range clients {
		l.done.Add(1)
		go func() {
			defer l.done.Done()
			client := &nethttp.Client{Timeout: testTimeout, Transport: &nethttp.Transport{MaxIdleConnsPerHost: 1}}
			defer client.CloseIdleConnections()
			for {
				select {
				case <-l.stop:
					return
				default:
				}
				resp, err := client.Get("http://" + addr + "/")
				var body []byte
				if err == nil {
					body, err = io.ReadAll(resp.Body)
					resp.Body.Close()
					if err == nil && resp.StatusCode != 200 {
						err = fmt.Errorf("status %d", resp.StatusCode)
					}
				}
				l.requests.Add(1)
				l.mu.Lock()
				if err != nil {
					l.failures = append(l.failures, err.Error())
				} else {
					l.pids[string(body)]++
				}
				l.mu.Unlock()
			}
		}()
	}
	return l
}

// served waits until a request has been answered by pid.
func (l *load) served(t *testing.T, pid int) {
	t.Helper()
	testutil.Eventually(t, fmt.Sprintf("a request answered by pid %d", pid), func() bool {
		l.mu.Lock()
		defer l.mu.Unlock()
		return l.pids[strconv.Itoa(pid)] > 0
	})
}

func (l *load) end() (map[string]int, []string) {
	close(l.stop)
	l.done.Wait()
	return l.pids, l.failures
}

// reloadable is a server process whose output goes to a file, which the
// processes that take over from it inherit (a pipe would be closed under
// them when the test stops reading it after the first process exits).
type reloadable struct {
	cmd    *exec.Cmd
	addr   string
	out    string        // the output file
	exited chan struct{} // closed when the first process has exited
}

func startReloadable(t *testing.T, env []string, args ...string) *reloadable {
	t.Helper()
	s := &reloadable{cmd: command(t, "reload", env, args...), out: filepath.Join(t.TempDir(), "out")}
	f, err := os.Create(s.out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s.cmd.Stdout, s.cmd.Stderr = f, f
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s.exited = make(chan struct{})
	go func() {
		_ = s.cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() {
		_ = s.cmd.Process.Kill()
		<-s.exited
	})
	testutil.Eventually(t, "the server's banner", func() bool {
		for line := range strings.Lines(s.output()) {
			if _, a, ok := strings.Cut(line, "listening on "); ok {
				s.addr = strings.TrimSpace(a)
				return true
			}
		}
		return false
	})
	return s
}

func (s *reloadable) output() string {
	b, _ := os.ReadFile(s.out)
	return string(b)
}

// exitCode waits for the first process to exit.
func (s *reloadable) exitCode(t *testing.T) int {
	t.Helper()
	testutil.Recv(t, s.exited, "the first process's exit")
	return s.cmd.ProcessState.ExitCode()
}

func readPid(t *testing.T, file string) int {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("pid file %s: %v", file, err)
	}
	return pid
}

// killPidFile kills the process named by the pid file, if any, when the
// test ends: the processes a reload started are not the test's children.
func killPidFile(t *testing.T, file string) {
	t.Cleanup(func() {
		if b, err := os.ReadFile(file); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
				if p, err := os.FindProcess(pid); err == nil {
					_ = p.Kill()
				}
			}
		}
	})
}

// reload twice and restart once under HTTP keep-alive load: every request
// is answered, by each process in turn; each old process runs
// OnWorkerStop and exits 0.
func TestReloadAndRestartUnderLoadDropNoRequest(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "web.pid")
	killPidFile(t, pidFile)
	args := func(cmd ...string) []string { return append([]string{"-pidfile", pidFile}, cmd...) }
	// systemd's notification socket (Type=notify): each process says
	// READY=1, and each that took over its MAINPID.
	notify, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: filepath.Join(dir, "notify"), Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer notify.Close()
	s := startReloadable(t, []string{"NOTIFY_SOCKET=" + notify.LocalAddr().String()}, args("start")...)
	first := s.cmd.Process.Pid
	l := startLoad(s.addr, 4)
	l.served(t, first)

	pids := []int{first}
	for i, cmd := range [][]string{{"reload"}, {"reload"}, {"restart", "-d"}} {
		out, code := run(t, "reload", args(cmd...)...)
		if code != 0 {
			t.Fatalf("%v #%d: exit %d, output %q", cmd, i, code, out)
		}
		pid := readPid(t, pidFile)
		if pid == pids[len(pids)-1] {
			t.Fatalf("%v: the pid file still names pid %d; output %q", cmd, pid, out)
		}
		l.served(t, pid)
		pids = append(pids, pid)
	}
	if code := s.exitCode(t); code != 0 {
		t.Fatalf("the first process exited %d; output: %s", code, s.output())
	}
	want := []string{"READY=1"}
	for _, pid := range pids[1:3] { // the reloads' (restart -d's process does not inherit NOTIFY_SOCKET from the server)
		want = append(want, "MAINPID="+strconv.Itoa(pid)+"\nREADY=1")
	}
	_ = notify.SetReadDeadline(time.Now().Add(testTimeout))
	for _, w := range want {
		buf := make([]byte, 256)
		n, err := notify.Read(buf)
		if err != nil || string(buf[:n]) != w {
			t.Fatalf("systemd notification %q, %v; want %q", buf[:n], err, w)
		}
	}
	answered, failures := l.end()
	if len(failures) > 0 {
		t.Fatalf("%d of %d requests failed, e.g. %q", len(failures), l.requests.Load(), failures[0])
	}
	t.Logf("%d requests, answered by pid: %v", l.requests.Load(), answered)
	log := s.output() // the reloaded processes share the first one's output
	for _, pid := range pids[:2] {
		for _, want := range []string{"OnWorkerStart pid " + strconv.Itoa(pid), "OnWorkerStop pid " + strconv.Itoa(pid)} {
			if !strings.Contains(log, want) {
				t.Errorf("stderr lacks %q:\n%s", want, log)
			}
		}
	}
	out, code := run(t, "reload", args("stop")...)
	if code != 0 {
		t.Fatalf("stop: exit %d, output %q", code, out)
	}
	if _, err := os.Stat(pidFile); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the pid file is left after stop: %v", err)
	}
}

// A new process that exits, never connects, or never gets ready leaves
// the old one serving; the reload command says why and exits non-zero.
func TestFailingReloadLeavesTheOldProcessServing(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "web.pid")
	failFile := filepath.Join(dir, "fail")
	killPidFile(t, pidFile)
	args := func(cmd ...string) []string { return append([]string{"-pidfile", pidFile}, cmd...) }
	s := startReloadable(t, []string{failEnv + "=" + failFile}, args("start")...)
	first := s.cmd.Process.Pid
	l := startLoad(s.addr, 2)
	l.served(t, first)
	for how, want := range map[string]string{
		"exit":     "exited before taking over",
		"hang":     "did not take over within",
		"hanghook": "did not get ready",
	} {
		if err := os.WriteFile(failFile, []byte(how), 0o600); err != nil {
			t.Fatal(err)
		}
		out, code := run(t, "reload", args("reload")...)
		if code == 0 || !strings.Contains(out, want) || !strings.Contains(out, "serves on") {
			t.Fatalf("reload with a new process that does %q: exit %d, output %q; server output:\n%s", how, code, out, s.output())
		}
		if pid := readPid(t, pidFile); pid != first {
			t.Fatalf("after a failed reload (%s) the pid file names %d, want %d", how, pid, first)
		}
	}
	// Still serving, and a good reload still works.
	if err := os.WriteFile(failFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, code := run(t, "reload", args("reload")...); code != 0 {
		t.Fatalf("reload: exit %d, output %q", code, out)
	}
	l.served(t, readPid(t, pidFile))
	if code := s.exitCode(t); code != 0 {
		t.Fatalf("the first process exited %d; output: %s", code, s.output())
	}
	_, failures := l.end()
	if len(failures) > 0 {
		t.Fatalf("%d requests failed, e.g. %q", len(failures), failures[0])
	}
	if out, code := run(t, "reload", args("stop")...); code != 0 {
		t.Fatalf("stop: exit %d, output %q", code, out)
	}
}

// restart without a running instance starts one; reload without one says
// so.
func TestRestartWithoutARunningInstanceStarts(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "web.pid")
	killPidFile(t, pidFile)
	if out, code := run(t, "reload", "-pidfile", pidFile, "reload"); code == 0 || !strings.Contains(out, "not running") {
		t.Fatalf("reload when not running: exit %d, output %q", code, out)
	}
	s := startReloadable(t, nil, "-pidfile", pidFile, "restart")
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	req, _ := nethttp.NewRequestWithContext(ctx, "GET", "http://"+s.addr+"/", nil)
	resp, err := nethttp.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != strconv.Itoa(s.cmd.Process.Pid) {
		t.Fatalf("answered %q, want pid %d", body, s.cmd.Process.Pid)
	}
	if out, code := run(t, "reload", "-pidfile", pidFile, "stop"); code != 0 {
		t.Fatalf("stop: exit %d, output %q", code, out)
	}
}
