package worker

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

const daemonEnv = "WORKERMAN_GO_DAEMON"

// takeOverEnv marks the process a reload starts: it takes over the
// listening sockets of the instance that started it.
const takeOverEnv = "WORKERMAN_GO_TAKEOVER"

// DefaultReloadTimeout is how long the new process of a reload or restart
// may take to become ready, by default.
const DefaultReloadTimeout = 30 * time.Second

// CommandLine is Workerman's command line for the Workers of a process:
//
//	program [-listen host:port] [-pidfile file] [-logfile file] [-tls-cert file -tls-key file] [program's flags]
//	        [start [-d] | stop | restart [-d] | reload | status | connections]
//
// Commands: start (the default; -d runs detached, logging to the log file),
// stop (stops the running instance gracefully and waits for it), restart
// (starts this program in place of the running instance, which hands its
// listening sockets over and then stops; -d as for start), reload (the
// running instance starts a new copy of its program, with the arguments
// it was started with, and hands over to it), status (prints the running
// instance's per-loop table), connections (lists the running instance's
// open connections). -listen replaces the host and port of the first
// Worker's address; -tls-cert and -tls-key make it serve TLS with that
// certificate and key (PEM files, read again when they change).
//
// reload and restart drop no connection: the new process takes the
// running one's listening sockets (the same sockets: what waits in their
// accept queues is accepted by the new process) and starts its Workers on
// them (OnWorkerStart). Once it is ready, the old process stops accepting,
// runs OnWorkerStop and ends its connections the way each protocol allows
// a client to come back: a request in progress is answered (with
// "Connection: close"), an idle keep-alive connection is closed after a
// short grace, an event stream ends after a retry hint so that the browser
// reconnects with its Last-Event-ID, a WebSocket closes with 1012
// (service restart), a parked long poll answers 204. A new process that
// fails to start, exits, or is not ready within ReloadTimeout leaves the
// old one serving, and the command exits non-zero. reload needs the
// program's binary (go build): a program run by "go run" loses its binary
// when the first process exits. SIGUSR1 asks for a reload too (systemd:
// ExecReload=/bin/kill -USR1 $MAINPID); under systemd with Type=notify and
// NotifyAccess=all, the new process tells systemd its pid.
//
// The flags come before the command word: the built-in ones above and the
// program's own, defined on Flags (for RunAll) or on the flag set in the
// Flags field, in any order. -h lists them all; a flag that is not defined,
// or a bad value, is an error that names it, with exit status 2. A program
// that needs its flags' values to build its Workers (the address of a
// broker, say) calls ParseFlags first:
//
//	redis := worker.Flags.String("redis", "", "`host:port` of Redis (empty: in memory)")
//	worker.ParseFlags()
//	newServer(*redis)
//	worker.RunAll() // "program -redis 10.0.0.5:6379 start -d"
//
// start -d starts the program again, detached, with the same arguments
// (the program's flags included), so the daemon builds the same Workers.
//
// start runs every Worker made with New, blocks until SIGINT or SIGTERM,
// then stops every Worker gracefully (stop accepting, OnWorkerStop, write
// what is queued, close) and returns. If a Worker's engine stops by itself,
// the others are stopped too and start exits non-zero, so that a supervisor
// restarts the process.
//
// RunAll runs the CommandLine with Flags and os.Args. Set the fields to
// choose where the pid and log files go, or to run it with other arguments
// and output (a test, a program with a command line of its own).
type CommandLine struct {
	// PidFile is where a running instance records its process id, and
	// where stop and status find it. Empty: a file in the temporary
	// directory named after the program and its working directory. The
	// -pidfile flag overrides it.
	PidFile string
	// LogFile receives the output of an instance started with "start -d".
	// Empty: the pid file's name with ".log". The -logfile flag overrides
	// it.
	LogFile string
	// Stdout and Stderr receive the command's output (default os.Stdout
	// and os.Stderr). Run sets Flags' output to Stderr.
	Stdout, Stderr io.Writer
	// ReloadTimeout is how long the new process of a reload or restart may
	// take to become ready (its Workers listening, its start hooks run)
	// before the old one gives up on it and serves on. Zero:
	// DefaultReloadTimeout.
	ReloadTimeout time.Duration
	// Flags is the flag set the arguments are parsed with: the program's
	// flags with the built-in ones (make it with NewFlagSet; Run defines
	// the built-in flags it lacks). Nil: a set of the built-in flags only.
	// When Flags is parsed already (Flags.Parsed(): by ParseFlags, or the
	// program's own Flags.Parse of the same arguments), Run does not parse
	// it again: the command is read from Flags.Args(), and args serve to
	// start the detached copy of start -d.
	Flags *flag.FlagSet
}

// RunAll runs every Worker created with New under Workerman's command line
// (see CommandLine), read from os.Args with the flags of Flags, and exits
// the process with a non-zero status if the command fails. It parses the
// flags unless ParseFlags has: -h then prints the usage and returns, a bad
// flag exits with status 2.
func RunAll() {
	if !Flags.Parsed() {
		if code, ok := parseFlags(Flags, os.Args[1:]); !ok {
			if code != 0 {
				os.Exit(code)
			}
			return // -h: the usage is printed
		}
	}
	if code := (CommandLine{Flags: Flags}).Run(os.Args[1:]); code != 0 {
		os.Exit(code)
	}
}

// Run runs the command line given by args (the arguments after the program
// name) and returns the exit status instead of exiting.
func (cl CommandLine) Run(args []string) int {
	stdout, stderr := cl.Stdout, cl.Stderr
	if stdout == nil {
		stdout = os.Stdout
	}
	if stderr == nil {
		stderr = os.Stderr
	}
	fs := cl.Flags
	if fs == nil {
		fs = flag.NewFlagSet(programName(), flag.ContinueOnError)
	}
	addBuiltinFlags(fs, cl.PidFile, cl.LogFile)
	if fs.Usage == nil {
		fs.Usage = func() { printUsage(fs) }
	}
	fs.SetOutput(stderr)
	if !fs.Parsed() {
		if code, ok := parseFlags(fs, args); !ok {
			return code
		}
	}
	rest := fs.Args()
	cmd := "start"
	if len(rest) > 0 {
		cmd, rest = rest[0], rest[1:]
	}
	inv := &invocation{
		pidFile:       cmp.Or(flagValue(fs, flagPidFile), cl.PidFile),
		logFile:       cmp.Or(flagValue(fs, flagLogFile), cl.LogFile),
		stdout:        stdout,
		stderr:        stderr,
		args:          args,
		reloadTimeout: cmp.Or(cl.ReloadTimeout, DefaultReloadTimeout),
	}
	if inv.pidFile == "" {
		inv.pidFile = defaultPidFile()
	}
	if inv.logFile == "" {
		inv.logFile = strings.TrimSuffix(inv.pidFile, ".pid") + ".log"
	}
	if cert, key := flagValue(fs, flagTLSCert), flagValue(fs, flagTLSKey); cert != "" || key != "" {
		ws := workers()
		if cert == "" || key == "" || len(ws) == 0 {
			fmt.Fprintln(stderr, "-tls-cert and -tls-key: give both, for a program with a worker")
			return 2
		}
		cf, err := loadCertFiles(cert, key)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 2
		}
		ws[0].setTLS(cf.GetCertificate)
	}
	if listen := flagValue(fs, flagListen); listen != "" {
		ws := workers()
		if len(ws) == 0 {
			fmt.Fprintln(stderr, "-listen: no worker to apply it to")
			return 2
		}
		if err := ws[0].setAddress(listen); err != nil {
			fmt.Fprintf(stderr, "-listen: %v\n", err)
			return 2
		}
	}
	switch cmd {
	case "start":
		sfs := flag.NewFlagSet("start", flag.ContinueOnError)
		sfs.SetOutput(stderr)
		detach := sfs.Bool("d", false, "run detached (daemon), logging to the log file")
		if err := sfs.Parse(rest); err != nil {
			inv.hintMisplaced(fs, sfs, rest)
			return 2
		}
		if *detach && os.Getenv(daemonEnv) == "" {
			return inv.startDetached(false)
		}
		return inv.start(os.Getenv(takeOverEnv) != "")
	case "stop":
		sfs := flag.NewFlagSet("stop", flag.ContinueOnError)
		sfs.SetOutput(stderr)
		sfs.Bool("g", false, "graceful stop (stops are always graceful)")
		if err := sfs.Parse(rest); err != nil {
			inv.hintMisplaced(fs, sfs, rest)
			return 2
		}
		return inv.stop()
	case "status":
		return inv.ask("status", askForStatus)
	case "connections":
		return inv.ask("connections", askForConnections)
	case "restart":
		sfs := flag.NewFlagSet("restart", flag.ContinueOnError)
		sfs.SetOutput(stderr)
		detach := sfs.Bool("d", false, "run detached (daemon), logging to the log file")
		if err := sfs.Parse(rest); err != nil {
			inv.hintMisplaced(fs, sfs, rest)
			return 2
		}
		if !handOverSupported {
			fmt.Fprintf(stderr, "%s: restart: %v\n", programName(), errNoHandOverHere)
			return 3
		}
		if *detach && os.Getenv(daemonEnv) == "" {
			return inv.startDetached(true)
		}
		return inv.start(true)
	case "reload":
		if !handOverSupported {
			fmt.Fprintf(stderr, "%s: reload: %v\n", programName(), errNoHandOverHere)
			return 3
		}
		return inv.reload()
	default:
		fmt.Fprintf(stderr, "%s: unknown command %q\n", programName(), cmd)
		fs.Usage()
		return 2
	}
}

// invocation is one run of the command line.
type invocation struct {
	pidFile, logFile string
	stdout, stderr   io.Writer
	args             []string
	reloadTimeout    time.Duration
}

var errNoHandOverHere = errors.New("this system cannot hand listening sockets to another process (it needs Unix)")

// controlPath is where the running instance's control socket is: next to
// its pid file.
func (inv *invocation) controlPath() string { return inv.pidFile + ".sock" }

// removePidFile removes the pid file if it still names this process (a
// process that took over has written its own).
func (inv *invocation) removePidFile() {
	if b, err := os.ReadFile(inv.pidFile); err == nil && strings.TrimSpace(string(b)) == strconv.Itoa(os.Getpid()) {
		_ = os.Remove(inv.pidFile)
	}
}

func programName() string { return filepath.Base(os.Args[0]) }

// hintMisplaced says so when the arguments after the command word hold a
// flag of the command line (they come before it).
func (inv *invocation) hintMisplaced(fs, sub *flag.FlagSet, rest []string) {
	if name := misplacedFlag(fs, sub, rest); name != "" {
		fmt.Fprintf(inv.stderr, "%s: %s goes before the command: %s [flags] %s\n", programName(), name, programName(), sub.Name())
	}
}

// defaultPidFile names the pid file after the program and the directory it
// runs in, so that "go run ./examples/x stop" finds the instance that
// "go run ./examples/x start -d" started from the same directory.
func defaultPidFile() string {
	wd, _ := os.Getwd()
	sum := sha256.Sum256([]byte(wd + "\x00" + programName()))
	return filepath.Join(os.TempDir(), "workerman-go-"+programName()+"-"+hex.EncodeToString(sum[:4])+".pid")
}

// runningPid returns the pid recorded in the pid file if that process lives.
func (inv *invocation) runningPid() (int, bool) {
	b, err := os.ReadFile(inv.pidFile)
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, false
	}
	return pid, processAlive(pid)
}

// start runs the workers in the foreground until SIGINT or SIGTERM, or
// until a new instance takes over (reload, restart). With takeover, it
// first takes the listening sockets of the running instance, if there is
// one, and asks it to stop once this process is ready.
func (inv *invocation) start(takeover bool) int {
	var taker *controlConn
	if takeover {
		cc, err := takeOver(inv.controlPath())
		switch {
		case errors.Is(err, errNotRunning):
			// Nothing to take over from: a plain start.
		case err != nil:
			fmt.Fprintf(inv.stderr, "%s: taking over: %v\n", programName(), err)
			return 1
		default:
			taker = cc
		}
	}
	if pid, ok := inv.runningPid(); ok && pid != os.Getpid() && taker == nil {
		fmt.Fprintf(inv.stderr, "%s: already running (pid %d, pid file %s)\n", programName(), pid, inv.pidFile)
		return 1
	}
	failStart := func(err error) int {
		fmt.Fprintf(inv.stderr, "%s: %v\n", programName(), err)
		if taker != nil {
			abandon(taker, err)
		}
		return 1
	}
	ws := workers()
	if len(ws) == 0 {
		return failStart(errors.New("no worker to run: create one with worker.New before RunAll"))
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, slices.Concat(stopSignals, statusSignal, connectionsSignal, reloadSignal)...)
	defer signal.Stop(sigs)

	started := make([]runner, 0, len(ws))
	stopAll := func(restart bool) int {
		code := 0
		for _, w := range started {
			sctx, scancel := context.WithTimeout(context.Background(), w.stopTimeout())
			stop := w.Stop
			if restart {
				stop = w.handOver
			}
			if err := stop(sctx); err != nil {
				slog.Error("stop failed", "err", err)
				code = 1
			}
			scancel()
		}
		return code
	}
	for _, w := range ws {
		if err := w.Start(ctx); err != nil {
			stopAll(false)
			return failStart(err)
		}
		started = append(started, w)
	}
	var stops []func()
	defer func() {
		for _, stop := range slices.Backward(stops) {
			stop()
		}
	}()
	for _, hook := range startHookList() {
		stop, err := hook()
		if err != nil {
			stopAll(false)
			return failStart(err)
		}
		if stop != nil {
			stops = append(stops, stop)
		}
	}
	if taker != nil {
		// Ready: the old instance stops accepting, then this one starts.
		if err := confirm(taker); err != nil {
			fmt.Fprintf(inv.stderr, "%s: taking over: %v; the running instance serves on\n", programName(), err)
			stopAll(false)
			return 1
		}
	}
	if err := writeFileAtomic(inv.pidFile, []byte(strconv.Itoa(os.Getpid())+"\n")); err != nil {
		fmt.Fprintf(inv.stderr, "%s: writing pid file: %v\n", programName(), err)
		stopAll(false)
		return 1
	}
	defer inv.removePidFile()
	var takers chan takeRequest
	ctl, err := listenControl(inv.controlPath())
	if err != nil {
		slog.Warn("reload and restart will not work: no control socket", "err", err)
	} else {
		takers = ctl.takers
		defer ctl.Close()
	}
	if taker != nil {
		notifySystemd("MAINPID=" + strconv.Itoa(os.Getpid()) + "\nREADY=1")
	} else {
		notifySystemd("READY=1")
	}
	inv.printBanner(started)

	// A Worker whose engine stops by itself ends the process, non-zero.
	ended := make(chan runner, len(started))
	for _, w := range started {
		go func() {
			<-w.Done()
			ended <- w
		}()
	}
	var (
		failed, handedOver bool
		handing            bool // a hand-over is under way
		handed             = make(chan handOverResult, 1)
		reloading          *reloadChild // the process a reload started, until it took over or failed
		childExited        = make(chan *reloadChild, 1)
		reloadDeadline     <-chan time.Time // the reload's process has not connected by then
	)
	endReload := func(answer string) {
		if reloading == nil {
			return
		}
		inv.answerReload(answer)
		reloading, reloadDeadline = nil, nil
	}
wait:
	for {
		select {
		case sig := <-sigs:
			switch {
			case slices.Contains(statusSignal, sig):
				// Off this goroutine: the loops count their connections in
				// tasks of their own.
				go func() {
					if err := writeFileAtomic(inv.pidFile+".status", []byte(StatusReport())); err != nil {
						slog.Error("writing status", "err", err)
					}
				}()
			case slices.Contains(connectionsSignal, sig):
				// Off this goroutine: the loops answer in tasks of their own.
				go func() {
					if err := writeFileAtomic(inv.pidFile+".connections", []byte(connectionsReport(running()))); err != nil {
						slog.Error("writing connections", "err", err)
					}
				}()
			case slices.Contains(reloadSignal, sig):
				if reloading != nil || handing {
					inv.answerReload("reload failed: a reload or restart is under way already")
					continue
				}
				if takers == nil {
					inv.answerReload("reload failed: no control socket (see the log)")
					continue
				}
				child, err := inv.startTaker()
				if err != nil {
					inv.answerReload("reload failed: " + err.Error())
					continue
				}
				slog.Info("reload: started a new process to take over", "pid", child.cmd.Process.Pid)
				reloading, reloadDeadline = child, time.After(inv.reloadTimeout)
				go func() {
					_ = child.cmd.Wait()
					childExited <- child
				}()
			default:
				slog.Info("stopping", "signal", sig.String())
				break wait
			}
		case r := <-takers:
			if handing {
				refuse(r, "a hand-over is under way already")
				continue
			}
			handing, reloadDeadline = true, nil
			go func() {
				pid, err := handOver(r, ctl, inv.reloadTimeout)
				handed <- handOverResult{pid, err}
			}()
		case res := <-handed:
			handing = false
			if res.err == nil {
				slog.Info("handed over: the new process accepts the connections; ending this one's", "pid", res.pid)
				endReload(fmt.Sprintf("reload success: pid %d took over from pid %d\n", res.pid, os.Getpid()))
				handedOver = true
				break wait
			}
			slog.Error("hand-over failed; serving on", "err", res.err)
			if reloading != nil {
				_ = reloading.cmd.Process.Kill()
			}
			endReload("reload failed: " + res.err.Error() + "; the running instance serves on\n")
		case child := <-childExited:
			if child != reloading || handing {
				continue // over already, or the hand-over's result says how it ended
			}
			endReload(fmt.Sprintf("reload failed: the new process exited before taking over (%v); the running instance serves on\n", child.cmd.ProcessState))
		case <-reloadDeadline:
			_ = reloading.cmd.Process.Kill()
			endReload(fmt.Sprintf("reload failed: the new process did not take over within %v; the running instance serves on\n", inv.reloadTimeout))
		case w := <-ended:
			if err := w.Wait(); err != nil {
				fmt.Fprintf(inv.stderr, "%s: %v\n", programName(), err)
				failed = true
				break wait
			}
		}
	}
	code := stopAll(handedOver)
	if failed {
		code = 1
	}
	if handedOver {
		fmt.Fprintf(inv.stdout, "%s: handed over and stopped (pid %d)\n", programName(), os.Getpid())
	} else {
		fmt.Fprintf(inv.stdout, "%s: stopped\n", programName())
	}
	return code
}

// handOverResult is how a hand-over ended: the pid of the process that
// took over, or why it failed.
type handOverResult struct {
	pid int
	err error
}

// reloadChild is the process a reload started.
type reloadChild struct{ cmd *exec.Cmd }

// startTaker starts the program again, with the arguments this instance
// was started with, to take over from it.
func (inv *invocation) startTaker() (*reloadChild, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("finding the program: %w", err)
	}
	args := append([]string{"-pidfile", inv.pidFile, "-logfile", inv.logFile}, inv.args...)
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), takeOverEnv+"=1")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if f, ok := inv.stdout.(*os.File); ok {
		cmd.Stdout = f
	}
	if f, ok := inv.stderr.(*os.File); ok {
		cmd.Stderr = f
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", exe, err)
	}
	return &reloadChild{cmd: cmd}, nil
}

// answerReload writes the outcome of a reload for the reload command,
// which waits for it next to the pid file, and logs it.
func (inv *invocation) answerReload(text string) {
	if strings.HasPrefix(text, "reload success") {
		slog.Info(strings.TrimSpace(text))
	} else {
		slog.Error(strings.TrimSpace(text))
	}
	if err := writeFileAtomic(inv.pidFile+".reload", []byte(text)); err != nil {
		slog.Error("writing the reload's outcome", "err", err)
	}
}

// reload asks the running instance to reload and waits for the outcome.
func (inv *invocation) reload() int {
	pid, ok := inv.runningPid()
	if !ok {
		fmt.Fprintf(inv.stderr, "%s: not running (no live process in %s)\n", programName(), inv.pidFile)
		return 1
	}
	answer := inv.pidFile + ".reload"
	_ = os.Remove(answer)
	fmt.Fprintf(inv.stdout, "%s: reloading (pid %d) ...\n", programName(), pid)
	if err := askToReload(pid); err != nil {
		fmt.Fprintf(inv.stderr, "%s: reload failed: %v\n", programName(), err)
		return 1
	}
	deadline := time.Now().Add(inv.reloadTimeout + 15*time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(answer); err == nil {
			_ = os.Remove(answer)
			if strings.HasPrefix(string(b), "reload success") {
				_, _ = inv.stdout.Write(b)
				return 0
			}
			_, _ = inv.stderr.Write(b)
			return 1
		}
		if !processAlive(pid) {
			fmt.Fprintf(inv.stderr, "%s: reload failed: pid %d exited\n", programName(), pid)
			return 1
		}
		time.Sleep(20 * time.Millisecond)
	}
	fmt.Fprintf(inv.stderr, "%s: reload failed: no answer from pid %d\n", programName(), pid)
	return 1
}

func (inv *invocation) printBanner(ws []runner) {
	fmt.Fprintf(inv.stdout, "workerman-go %s  %s  pid %d\n", Version, runtimeVersion(), os.Getpid())
	for _, w := range ws {
		in := w.info()
		name := in.socketName
		if in.tls {
			name += " (TLS)"
		}
		fmt.Fprintf(inv.stdout, "  worker %-16s %-28s listening on %s\n", in.name, name, in.addr)
	}
	if os.Getenv(daemonEnv) == "" {
		fmt.Fprintf(inv.stdout, "Press Ctrl+C to stop. Status: %s status\n", programName())
	}
}

// startDetached starts the program again, detached, and waits until it has
// started (its pid file names it) or failed. With takeover (restart -d) it
// takes over from the running instance, if there is one.
func (inv *invocation) startDetached(takeover bool) int {
	if pid, ok := inv.runningPid(); ok && !takeover {
		fmt.Fprintf(inv.stderr, "%s: already running (pid %d)\n", programName(), pid)
		return 1
	}
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintf(inv.stderr, "%s: %v\n", programName(), err)
		return 1
	}
	logf, err := os.OpenFile(inv.logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		fmt.Fprintf(inv.stderr, "%s: opening log file: %v\n", programName(), err)
		return 1
	}
	defer logf.Close()
	if !takeover {
		_ = os.Remove(inv.pidFile)
	}
	args := []string{"-pidfile", inv.pidFile, "-logfile", inv.logFile}
	args = append(args, inv.args...)
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), daemonEnv+"=1")
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = detached()
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(inv.stderr, "%s: starting detached: %v\n", programName(), err)
		return 1
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.After(30 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-exited:
			fmt.Fprintf(inv.stderr, "%s: start failed (%v); see %s\n", programName(), err, inv.logFile)
			return 1
		case <-deadline:
			fmt.Fprintf(inv.stderr, "%s: start timed out; see %s\n", programName(), inv.logFile)
			return 1
		case <-tick.C:
			if pid, ok := inv.runningPid(); ok && pid == cmd.Process.Pid {
				fmt.Fprintf(inv.stdout, "%s: start success (pid %d, log %s)\n", programName(), pid, inv.logFile)
				_ = cmd.Process.Release()
				return 0
			}
		}
	}
}

// stop asks the running instance to stop and waits until it has.
func (inv *invocation) stop() int {
	pid, ok := inv.runningPid()
	if !ok {
		fmt.Fprintf(inv.stderr, "%s: not running (no live process in %s)\n", programName(), inv.pidFile)
		return 1
	}
	fmt.Fprintf(inv.stdout, "%s: stopping (pid %d) ...\n", programName(), pid)
	if err := askToStop(pid); err != nil {
		fmt.Fprintf(inv.stderr, "%s: stop failed: %v\n", programName(), err)
		return 1
	}
	wait := DefaultStopTimeout
	for _, w := range workers() { // the same program: the same Workers
		wait = max(wait, w.stopTimeout())
	}
	deadline := time.Now().Add(wait + 10*time.Second)
	for time.Now().Before(deadline) {
		if !processAlive(pid) {
			fmt.Fprintf(inv.stdout, "%s: stop success\n", programName())
			return 0
		}
		time.Sleep(20 * time.Millisecond)
	}
	fmt.Fprintf(inv.stderr, "%s: stop failed: pid %d still running\n", programName(), pid)
	return 1
}

// status asks the running instance for its status table and prints it.
// ask asks the running instance for a report (status, connections),
// which it writes next to its pid file, and prints it.
func (inv *invocation) ask(what string, signal func(pid int) error) int {
	pid, ok := inv.runningPid()
	if !ok {
		fmt.Fprintf(inv.stderr, "%s: not running (no live process in %s)\n", programName(), inv.pidFile)
		return 1
	}
	file := inv.pidFile + "." + what
	_ = os.Remove(file)
	if err := signal(pid); err != nil {
		fmt.Fprintf(inv.stderr, "%s: %s failed: %v\n", programName(), what, err)
		return 1
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(file); err == nil {
			_ = os.Remove(file)
			_, _ = inv.stdout.Write(b)
			return 0
		}
		time.Sleep(20 * time.Millisecond)
	}
	fmt.Fprintf(inv.stderr, "%s: %s failed: no answer from pid %d\n", programName(), what, pid)
	return 1
}

// writeFileAtomic writes through a temporary file and a rename, so a reader
// never sees half a file.
func writeFileAtomic(name string, data []byte) error {
	tmp := name + ".tmp" + strconv.Itoa(os.Getpid())
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, name)
}
