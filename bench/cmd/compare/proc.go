package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// registry remembers every child process so that all of them can be killed
// whatever way the driver ends. Each child leads its own process group, so
// killing the group also reaches anything it forked.
type registry struct {
	mu    sync.Mutex
	procs map[*proc]struct{}
}

func newRegistry() *registry { return &registry{procs: map[*proc]struct{}{}} }

func (r *registry) add(p *proc) {
	r.mu.Lock()
	r.procs[p] = struct{}{}
	r.mu.Unlock()
}

func (r *registry) remove(p *proc) {
	r.mu.Lock()
	delete(r.procs, p)
	r.mu.Unlock()
}

// killAll sends SIGKILL to the process group of every child still known.
func (r *registry) killAll() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for p := range r.procs {
		p.signal(syscall.SIGKILL)
	}
}

// proc is a running child process whose output is watched line by line.
type proc struct {
	name   string
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	marker string      // stdout line prefix to report on found
	found  chan string // the first stdout line starting with marker
	done   chan struct{}
	// listening is a server's "LISTENING <addr> ..." line (startServer).
	listening string
	// sweepGroup: see procOpts.
	sweepGroup bool
	// logFile, when set, is a file the child logs to (the Workerman
	// anchor's log), whose tail diag adds.
	logFile string

	mu      sync.Mutex
	waitErr error
	outTail []string
	errTail []string
	jsonOut string // the last stdout line that looks like a JSON object
}

const tailLines = 40

func appendTail(t []string, line string) []string {
	if len(t) == tailLines {
		copy(t, t[1:])
		t = t[:tailLines-1]
	}
	return append(t, line)
}

// lineWriter splits what a child writes into lines.
type lineWriter struct {
	buf []byte
	fn  func(string)
}

func (w *lineWriter) Write(b []byte) (int, error) {
	w.buf = append(w.buf, b...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.fn(strings.TrimRight(string(w.buf[:i]), "\r"))
		w.buf = w.buf[i+1:]
	}
	if len(w.buf) > 1<<20 { // a runaway line: keep memory bounded
		w.fn(string(w.buf))
		w.buf = w.buf[:0]
	}
	return len(b), nil
}

// launcher is the executable that pins a child to a CPU (the driver itself,
// see pinExec); empty when pinning is off.
var launcher string

// startProc starts bin with args. marker, when not empty, is a stdout line
// prefix whose first occurrence is delivered on p.found. With withStdin the
// child's stdin is a pipe that p.closeStdin closes. With cpu >= 0 the child
// runs on that CPU only, from its first instruction (through launcher, which
// execs bin in place: the child keeps its pid).
func startProc(reg *registry, name, marker string, withStdin bool, cpu int, bin string, args ...string) (*proc, error) {
	return startProcWith(reg, name, marker, withStdin, cpu, procOpts{}, bin, args...)
}

// procOpts are the less common settings of a child process.
type procOpts struct {
	dir string   // working directory ("": the driver's)
	env []string // environment (nil: the driver's)
	// newPIDNS starts the child as the first process of a PID namespace of
	// its own (needs CAP_SYS_ADMIN): when it dies, however it dies, the
	// kernel kills everything it forked. A parent-death signal reaches the
	// child only, not the processes it forks (a PHP Workerman master and
	// its workers).
	newPIDNS bool
	// sweepGroup makes stop send SIGKILL to the child's process group once
	// the child itself has exited, for whatever it forked that outlived it.
	sweepGroup bool
}

// startProcWith is startProc with the settings of opts.
func startProcWith(reg *registry, name, marker string, withStdin bool, cpu int, opts procOpts, bin string, args ...string) (*proc, error) {
	p := &proc{name: name, marker: marker, found: make(chan string, 1), done: make(chan struct{}), sweepGroup: opts.sweepGroup}
	var cmd *exec.Cmd
	if cpu >= 0 {
		if launcher == "" {
			return nil, fmt.Errorf("start %s: pinning requested without a launcher", name)
		}
		cmd = exec.Command(launcher, append([]string{pinExecArg, strconv.Itoa(cpu), bin}, args...)...)
	} else {
		cmd = exec.Command(bin, args...)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Setpgid:   true,            // own group: killable as a whole
		Pdeathsig: syscall.SIGKILL, // dies with the driver, even on SIGKILL
	}
	if opts.newPIDNS {
		cmd.SysProcAttr.Cloneflags = syscall.CLONE_NEWPID
	}
	cmd.Dir, cmd.Env = opts.dir, opts.env
	cmd.Stdout = &lineWriter{fn: p.onStdout}
	cmd.Stderr = &lineWriter{fn: p.onStderr}
	cmd.WaitDelay = 3 * time.Second
	if withStdin {
		w, err := cmd.StdinPipe()
		if err != nil {
			return nil, err
		}
		p.stdin = w
	}
	p.cmd = cmd
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	reg.add(p)
	go func() {
		err := cmd.Wait()
		p.mu.Lock()
		p.waitErr = err
		p.mu.Unlock()
		reg.remove(p)
		close(p.done)
	}()
	return p, nil
}

func (p *proc) onStdout(line string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.outTail = appendTail(p.outTail, line)
	if strings.HasPrefix(line, "{") {
		p.jsonOut = line
	}
	if p.marker != "" && strings.HasPrefix(line, p.marker) {
		select {
		case p.found <- line:
		default: // only the first one counts
		}
	}
}

func (p *proc) onStderr(line string) {
	p.mu.Lock()
	p.errTail = appendTail(p.errTail, line)
	p.mu.Unlock()
	if verbose {
		logf("  [%s] %s", p.name, line)
	}
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

func (p *proc) signal(sig syscall.Signal) {
	select {
	case <-p.done:
		return
	default:
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, sig)
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// waitMarker waits for the marker line, the process exiting, ctx or timeout.
func (p *proc) waitMarker(ctx context.Context, timeout time.Duration) (string, error) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case line := <-p.found:
		return line, nil
	case <-p.done:
		// it may have printed the marker just before exiting
		select {
		case line := <-p.found:
			return line, nil
		default:
		}
		return "", fmt.Errorf("%s exited before printing %q: %v%s", p.name, p.marker, p.exitErr(), p.diag())
	case <-ctx.Done():
		return "", ctx.Err()
	case <-t.C:
		return "", fmt.Errorf("%s did not print %q within %v%s", p.name, p.marker, timeout, p.diag())
	}
}

// wait waits for the process to exit, killing it after timeout or on ctx.
func (p *proc) wait(ctx context.Context, timeout time.Duration) error {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-p.done:
		return nil
	case <-ctx.Done():
		p.kill()
		return ctx.Err()
	case <-t.C:
		p.kill()
		return fmt.Errorf("%s did not finish within %v (killed)%s", p.name, timeout, p.diag())
	}
}

// stop asks the process group to terminate (SIGTERM), then kills it. With
// sweepGroup, whatever is left of the group once the child has exited is
// killed too.
func (p *proc) stop(grace time.Duration) {
	if p.sweepGroup {
		defer p.sweep()
	}
	if p.exited() {
		return
	}
	p.signal(syscall.SIGTERM)
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-p.done:
	case <-t.C:
		p.kill()
	}
}

// sweep sends SIGKILL to the child's process group after the child
// exited: the group lives on as long as one of its members does.
func (p *proc) sweep() {
	if p.exited() {
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL) // ESRCH: nothing left
	}
}

func (p *proc) kill() {
	p.signal(syscall.SIGKILL)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
	}
}

func (p *proc) closeStdin() {
	if p.stdin != nil {
		_ = p.stdin.Close()
	}
}

func (p *proc) exitErr() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.waitErr
}

func (p *proc) json() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.jsonOut
}

// stdout is the last lines the child printed on stdout (at most 40).
func (p *proc) stdout() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.outTail, "\n")
}

// cpuTime is the user+system CPU time the child used, once it has exited
// (0 before).
func (p *proc) cpuTime() time.Duration {
	if !p.exited() || p.cmd.ProcessState == nil {
		return 0
	}
	return p.cmd.ProcessState.UserTime() + p.cmd.ProcessState.SystemTime()
}

// diag is the tail of the child's stderr (and of its log file, if it has
// one), for error messages.
func (p *proc) diag() string {
	p.mu.Lock()
	t := append([]string(nil), p.errTail...) // appendTail shifts in place
	p.mu.Unlock()
	if len(t) > 10 {
		t = t[len(t)-10:]
	}
	var s string
	if len(t) > 0 {
		s = "\n    stderr: " + strings.Join(t, "\n    stderr: ")
	}
	if p.logFile != "" {
		if b, err := os.ReadFile(p.logFile); err == nil && len(bytes.TrimSpace(b)) > 0 {
			s += "\n    log: " + strings.ReplaceAll(tail(string(b), 10), "\n", "\n    log: ")
		}
	}
	return s
}
