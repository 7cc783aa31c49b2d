package worker

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
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

// CommandLine is Workerman's command line for the Workers of a process:
//
//	program [-listen host:port] [-pidfile file] [-logfile file] [program's flags] [start [-d] | stop | status]
//
// Commands: start (the default; -d runs detached, logging to the log file),
// stop (stops the running instance gracefully and waits for it), status
// (prints the running instance's per-loop table), connections (lists the
// running instance's open connections). restart and reload are not
// supported yet and exit non-zero. -listen replaces the
// host and port of the first Worker's address.
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
		pidFile: cmp.Or(flagValue(fs, flagPidFile), cl.PidFile),
		logFile: cmp.Or(flagValue(fs, flagLogFile), cl.LogFile),
		stdout:  stdout,
		stderr:  stderr,
		args:    args,
	}
	if inv.pidFile == "" {
		inv.pidFile = defaultPidFile()
	}
	if inv.logFile == "" {
		inv.logFile = strings.TrimSuffix(inv.pidFile, ".pid") + ".log"
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
			return inv.startDetached()
		}
		return inv.start()
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
	case "restart", "reload":
		fmt.Fprintf(stderr, "%s: the %q command is not supported yet\n", programName(), cmd)
		return 3
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

// start runs the workers in the foreground until SIGINT or SIGTERM.
func (inv *invocation) start() int {
	if pid, ok := inv.runningPid(); ok && pid != os.Getpid() {
		fmt.Fprintf(inv.stderr, "%s: already running (pid %d, pid file %s)\n", programName(), pid, inv.pidFile)
		return 1
	}
	ws := workers()
	if len(ws) == 0 {
		fmt.Fprintf(inv.stderr, "%s: no worker to run: create one with worker.New before RunAll\n", programName())
		return 1
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, slices.Concat(stopSignals, statusSignal, connectionsSignal)...)
	defer signal.Stop(sigs)

	started := make([]runner, 0, len(ws))
	stopAll := func() int {
		code := 0
		for _, w := range started {
			sctx, scancel := context.WithTimeout(context.Background(), w.stopTimeout())
			if err := w.Stop(sctx); err != nil {
				slog.Error("stop failed", "err", err)
				code = 1
			}
			scancel()
		}
		return code
	}
	for _, w := range ws {
		if err := w.Start(ctx); err != nil {
			fmt.Fprintf(inv.stderr, "%s: %v\n", programName(), err)
			stopAll()
			return 1
		}
		started = append(started, w)
	}
	if err := writeFileAtomic(inv.pidFile, []byte(strconv.Itoa(os.Getpid())+"\n")); err != nil {
		fmt.Fprintf(inv.stderr, "%s: writing pid file: %v\n", programName(), err)
		stopAll()
		return 1
	}
	defer os.Remove(inv.pidFile)
	var stops []func()
	defer func() {
		for _, stop := range slices.Backward(stops) {
			stop()
		}
	}()
	for _, hook := range startHookList() {
		stop, err := hook()
		if err != nil {
			fmt.Fprintf(inv.stderr, "%s: %v\n", programName(), err)
			stopAll()
			return 1
		}
		if stop != nil {
			stops = append(stops, stop)
		}
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
	failed := false
wait:
	for {
		select {
		case sig := <-sigs:
			if slices.Contains(statusSignal, sig) {
				// Off this goroutine: the loops count their connections in
				// tasks of their own.
				go func() {
					if err := writeFileAtomic(inv.pidFile+".status", []byte(statusReport(started))); err != nil {
						slog.Error("writing status", "err", err)
					}
				}()
				continue
			}
			if slices.Contains(connectionsSignal, sig) {
				// Off this goroutine: the loops answer in tasks of their own.
				go func() {
					if err := writeFileAtomic(inv.pidFile+".connections", []byte(connectionsReport(started))); err != nil {
						slog.Error("writing connections", "err", err)
					}
				}()
				continue
			}
			slog.Info("stopping", "signal", sig.String())
			break wait
		case w := <-ended:
			if err := w.Wait(); err != nil {
				fmt.Fprintf(inv.stderr, "%s: %v\n", programName(), err)
				failed = true
				break wait
			}
		}
	}
	code := stopAll()
	if failed {
		code = 1
	}
	fmt.Fprintf(inv.stdout, "%s: stopped\n", programName())
	return code
}

func (inv *invocation) printBanner(ws []runner) {
	fmt.Fprintf(inv.stdout, "workerman-go %s  %s  pid %d\n", Version, runtimeVersion(), os.Getpid())
	for _, w := range ws {
		in := w.info()
		fmt.Fprintf(inv.stdout, "  worker %-16s %-28s listening on %s\n", in.name, in.socketName, in.addr)
	}
	if os.Getenv(daemonEnv) == "" {
		fmt.Fprintf(inv.stdout, "Press Ctrl+C to stop. Status: %s status\n", programName())
	}
}

// startDetached starts the program again, detached, and waits until it has
// started (its pid file appears) or failed.
func (inv *invocation) startDetached() int {
	if pid, ok := inv.runningPid(); ok {
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
	_ = os.Remove(inv.pidFile)
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
