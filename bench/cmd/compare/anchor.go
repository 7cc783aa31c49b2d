package main

// The Workerman anchor: PHP Workerman 5.2.2, the system workerman-go ports,
// run next to the Go servers of the http, sse and ws benchmarks as an
// external server. Its code and its small application (app.php) live
// outside the repository, in ../shared/anchors/workerman from the
// repository's root (-workerman DIR to give another folder); the driver
// only starts it (php app.php start, in the foreground, with MODE, PORT and
// N=1 in the environment), waits until it answers, measures it like the
// others (CPU and RSS of its process tree: the master and its worker) and
// stops it.
//
// Without PHP's event extension (not packaged in Debian) Workerman polls
// with select(), which caps one process near 1,000 connections
// (anchorMaxConns): the benchmarks measure it at that size or below.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
)

// anchorName is the name of the anchor in -servers lists, records and
// per-round tables.
const anchorName = "workerman"

// anchorMaxConns is the most connections the anchor is measured with: one
// Workerman process polling with select() (FD_SETSIZE 1024, a few
// descriptors of its own).
const anchorMaxConns = 1000

// anchorHelloBody is what app.php answers on any path but /sse.
const anchorHelloBody = "hello"

// anchorSpec is the anchor as a server of a benchmark.
var anchorSpec = serverSpec{Name: anchorName, Label: "Workerman 5.2.2 (PHP)"}

// anchorDefaultRel is where the anchor is, from the repository's root.
const anchorDefaultRel = "../shared/anchors/workerman"

// anchorOff as the value of -workerman leaves the anchor out.
const anchorOff = "off"

// anchorFlagUsage documents -workerman.
const anchorFlagUsage = "folder of the Workerman anchor (app.php and src/; default " + anchorDefaultRel +
	" from the repository root); run when php is in PATH; \"" + anchorOff + "\": leave it out"

// anchorMissingPHP is the note of a run without php.
const anchorMissingPHP = "Workerman not run: php not found; apt-get install php8.2-cli"

// anchor is how the anchor runs in a benchmark.
type anchor struct {
	Dir        string `json:"dir"`         // the folder of app.php
	Found      string `json:"found"`       // how Dir was found
	PHP        string `json:"php"`         // the php executable
	PHPVersion string `json:"php_version"` // its first line of php -v
	// Mode is app.php's MODE: "http" (hello on any path, /sse) or "ws"
	// (a websocket:// echo).
	Mode string `json:"mode"`
	// PHPArgs go before app.php (the sse benchmark's -d precision=17).
	PHPArgs []string `json:"php_args,omitempty"`
	// newPIDNS: start it in a PID namespace of its own (see procOpts);
	// cleared when the system refuses it.
	newPIDNS bool
}

// anchorChoice is the outcome of looking for the anchor: the anchor to
// run, or why it does not run (Note).
type anchorChoice struct {
	Anchor *anchor
	Note   string
}

// findAnchor decides whether the anchor runs, in mode: flagValue is the
// -workerman flag ("" for the default folder, anchorOff to leave it out),
// benchRoot the folder of bench/go.mod. A folder given explicitly that
// holds no anchor is an error; the default folder missing, or php missing,
// is a note (the benchmark runs without the anchor).
func findAnchor(flagValue, benchRoot, mode string) (anchorChoice, error) {
	if flagValue == anchorOff {
		return anchorChoice{Note: "Workerman not run: -workerman " + anchorOff}, nil
	}
	var dir, found string
	if flagValue != "" {
		abs, err := filepath.Abs(flagValue)
		if err != nil {
			return anchorChoice{}, fmt.Errorf("-workerman %s: %w", flagValue, err)
		}
		dir, found = abs, "-workerman "+flagValue
	} else {
		repo, how := repoRoot(benchRoot)
		dir = filepath.Clean(filepath.Join(repo, anchorDefaultRel))
		found = fmt.Sprintf("the default, %s from the repository root %s (%s)", anchorDefaultRel, repo, how)
	}
	if err := checkAnchorDir(dir); err != nil {
		if flagValue != "" {
			return anchorChoice{}, fmt.Errorf("-workerman %s: %w", flagValue, err)
		}
		return anchorChoice{Note: fmt.Sprintf("Workerman not run: %v; give its folder with -workerman DIR", err)}, nil
	}
	php, err := exec.LookPath("php")
	if err != nil {
		return anchorChoice{Note: anchorMissingPHP}, nil
	}
	return anchorChoice{Anchor: &anchor{Dir: dir, Found: found, PHP: php, PHPVersion: phpVersion(php), Mode: mode, newPIDNS: true}}, nil
}

// checkAnchorDir tells whether dir holds the anchor: app.php and
// Workerman's src/Worker.php.
func checkAnchorDir(dir string) error {
	for _, f := range []string{"app.php", filepath.Join("src", "Worker.php")} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || !st.Mode().IsRegular() {
			return fmt.Errorf("no Workerman anchor in %s (%s missing)", dir, f)
		}
	}
	return nil
}

// rootModule is the module path of the repository's root.
const rootModule = "github.com/workerman-go/workerman"

// repoRoot finds the repository's root from benchRoot, the folder of
// bench/go.mod: the nearest folder above it whose go.mod declares
// rootModule, else benchRoot's parent (bench/go.mod's replace points
// there). how says which.
func repoRoot(benchRoot string) (root, how string) {
	for dir := filepath.Dir(benchRoot); ; dir = filepath.Dir(dir) {
		if modulePath(filepath.Join(dir, "go.mod")) == rootModule {
			return dir, "the folder above bench/ whose go.mod is module " + rootModule
		}
		if filepath.Dir(dir) == dir {
			break
		}
	}
	return filepath.Dir(benchRoot), "no go.mod of module " + rootModule + " above bench/: taken as the parent of bench/"
}

// modulePath is the module path a go.mod declares ("" when unreadable).
func modulePath(gomod string) string {
	b, err := os.ReadFile(gomod)
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "module" {
			return strings.Trim(f[1], `"`)
		}
	}
	return ""
}

// phpVersion is the first line of php -v, without the build details.
func phpVersion(php string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, _ := exec.CommandContext(ctx, php, "-v").Output()
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	line, _, _ = strings.Cut(line, " (built")
	if line = strings.TrimSpace(line); line == "" {
		return "php, unknown version"
	}
	return line
}

// describe is the anchor's line of a report's Settings.
func (a *anchor) describe() string {
	args := strings.Join(append(append([]string{"php"}, a.PHPArgs...), "app.php", "start"), " ")
	ns := "its own process group"
	if a.newPIDNS {
		ns = "its own process group and PID namespace (nothing it forks outlives it)"
	}
	return fmt.Sprintf("Workerman 5.2.2 (%s, select() event loop: no event extension), started as `MODE=%s PORT=<free port> N=1 %s` in the foreground in %s, found as %s; in %s, on the servers' CPU like the other servers (see pinning); stopped with SIGTERM to its process group (SIGKILL after 3 s, and SIGKILL to whatever is left of the group once its master has exited)",
		a.PHPVersion, a.Mode, args, a.Dir, a.Found, ns)
}

// anchorStartTimeout bounds the start of the anchor until it answers.
const anchorStartTimeout = 20 * time.Second

// startAnchor starts the anchor (h.anchor) as server s on a free loopback
// port, waits until it accepts and answers (hello over HTTP, or a
// WebSocket echo), checks its pinning and returns it and its address. A
// port taken meanwhile by someone else is retried on another one.
func (h *harness) startAnchor(ctx context.Context, s serverSpec) (*proc, string, error) {
	a := h.anchor
	if a == nil {
		return nil, "", fmt.Errorf("%s: the Workerman anchor is not configured", s.Name)
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		h.anchors++
		tmp := filepath.Join(h.bin, fmt.Sprintf("anchor-%d", h.anchors)) // removed with h.bin
		if err := os.MkdirAll(tmp, 0o755); err != nil {
			return nil, "", fmt.Errorf("%s: %w", s.Name, err)
		}
		p, addr, err := launchAnchor(ctx, h.reg, a, s.Name, tmp, h.pin.serverCPU())
		if err == nil {
			if _, err = h.inspectServer(p); err != nil {
				p.stop(3 * time.Second)
				return nil, "", err
			}
			return p, addr, nil
		}
		lastErr = err
		if !errors.Is(err, errPortTaken) || ctx.Err() != nil {
			break
		}
	}
	return nil, "", lastErr
}

// errPortTaken is a start that failed because the port was taken.
var errPortTaken = errors.New("the port was taken")

// launchAnchor starts one anchor process (a) named name on a free port,
// with its pid, log and stdout files in tmp, on CPU cpu (-1: any), and
// waits until it answers. A system that refuses a PID namespace gets
// a.newPIDNS cleared and the process started without.
func launchAnchor(ctx context.Context, reg *registry, a *anchor, name, tmp string, cpu int) (*proc, string, error) {
	port, err := freePort()
	if err != nil {
		return nil, "", fmt.Errorf("%s: picking a free port: %w", name, err)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	env := append(os.Environ(), "MODE="+a.Mode, "PORT="+strconv.Itoa(port), "N=1", "TMPDIR="+tmp)
	args := append(append([]string(nil), a.PHPArgs...), "app.php", "start")
	opts := procOpts{dir: a.Dir, env: env, newPIDNS: a.newPIDNS, sweepGroup: true}
	p, err := startProcWith(reg, name, "", false, cpu, opts, a.PHP, args...)
	if err != nil && a.newPIDNS && (errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EINVAL)) {
		a.newPIDNS = false
		opts.newPIDNS = false
		p, err = startProcWith(reg, name, "", false, cpu, opts, a.PHP, args...)
	}
	if err != nil {
		return nil, "", err
	}
	p.logFile = filepath.Join(tmp, fmt.Sprintf("workerman-anchor-%s-%d.log", a.Mode, port))
	if err := waitAnchor(ctx, p, addr, a.Mode, anchorStartTimeout); err != nil {
		p.stop(3 * time.Second)
		return nil, "", err
	}
	p.listening = "LISTENING " + addr
	return p, addr, nil
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitAnchor waits until the anchor p accepts connections on addr and
// answers in mode ("http": hello; "ws": an echo), for at most timeout.
func waitAnchor(ctx context.Context, p *proc, addr, mode string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var lastErr error
	for {
		if p.exited() {
			err := fmt.Errorf("%s exited before answering on %s: %v%s%s", p.name, addr, p.exitErr(), stdoutDiag(p), p.diag())
			if strings.Contains(err.Error(), "Address already in use") {
				return fmt.Errorf("%w: %v", errPortTaken, err)
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not answer on %s within %v: %v%s%s", p.name, addr, timeout, lastErr, stdoutDiag(p), p.diag())
		}
		if lastErr = probeAnchor(ctx, addr, mode); lastErr == nil {
			return nil
		}
		sleepCtx(ctx, 50*time.Millisecond)
	}
}

// stdoutDiag is the tail of p's stdout, for error messages.
func stdoutDiag(p *proc) string {
	out := strings.TrimSpace(tail(p.stdout(), 10))
	if out == "" {
		return ""
	}
	return "\n    stdout: " + strings.ReplaceAll(out, "\n", "\n    stdout: ")
}

// probeAnchor checks once, bounded by 2 s, that the anchor at addr answers
// in mode: "http", a hello on a kept-alive connection; "ws", the echo of a
// text message.
func probeAnchor(ctx context.Context, addr, mode string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if mode == "ws" {
		return checkWSEcho(ctx, addr)
	}
	return dialCheckAnchorHello(ctx, addr)
}

// dialCheckAnchorHello is the check of the anchor before an http round:
// two requests on one connection answered "hello", kept alive.
func dialCheckAnchorHello(ctx context.Context, addr string) error {
	return dialCheckBody(ctx, addr, anchorHelloBody)
}

// checkWSEcho opens a WebSocket to addr, sends a text message and checks
// that the same message comes back.
func checkWSEcho(ctx context.Context, addr string) error {
	d := websocket.Dialer{HandshakeTimeout: 2 * time.Second}
	c, resp, err := d.DialContext(ctx, "ws://"+addr+"/", nil)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		return fmt.Errorf("WebSocket handshake: %w", err)
	}
	defer c.Close()
	if deadline, ok := ctx.Deadline(); ok {
		c.SetReadDeadline(deadline)
		c.SetWriteDeadline(deadline)
	}
	const msg = "anchor probe"
	if err := c.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
		return fmt.Errorf("WebSocket write: %w", err)
	}
	typ, got, err := c.ReadMessage()
	if err != nil {
		return fmt.Errorf("WebSocket read: %w", err)
	}
	if typ != websocket.TextMessage || string(got) != msg {
		return fmt.Errorf("WebSocket echo: message type %d %q, want text %q", typ, got, msg)
	}
	return nil
}

// anchorNote is the note of a report about the anchor: why it did not
// run, or how it was measured (measured); a line of a Markdown list.
func anchorNote(c anchorChoice, measured string) string {
	if c.Anchor == nil {
		if c.Note == "" {
			return ""
		}
		return "- **" + c.Note + ".**\n"
	}
	return fmt.Sprintf("- Workerman 5.2.2 (PHP) is the anchor, the system workerman-go ports, run unchanged from %s (one worker process, select()): %s\n", c.Anchor.Dir, measured)
}
