package worker

import (
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
	"strconv"
	"strings"
	"syscall"
	"time"
)

// PidFile is where a running instance records its process id, and where
// stop and status find it. Empty: a file in the temporary directory named
// after the program and its working directory. The -pidfile flag sets it.
var PidFile string

// LogFile receives the output of an instance started with "start -d".
// Empty: the pid file's name with ".log". The -logfile flag sets it.
var LogFile string

const daemonEnv = "WORKERMAN_GO_DAEMON"

// RunAll runs every Worker created with New under Workerman's command line,
// read from os.Args:
//
//	program [-listen host:port] [-pidfile file] [-logfile file] [command] [-d]
//
// Commands: start (the default; -d runs detached, logging to the log file),
// stop (stops the running instance gracefully and waits for it), status
// (prints the running instance's per-loop table). restart, reload and
// connections are not supported yet and exit non-zero. -listen replaces the
// host and port of the first Worker's address.
//
// start blocks until SIGINT or SIGTERM, then stops every Worker gracefully
// (stop accepting, OnWorkerStop, write what is queued, close) and returns.
// A command that fails exits the process with a non-zero status.
func RunAll() {
	if code := Main(os.Args[1:], os.Stdout, os.Stderr); code != 0 {
		os.Exit(code)
	}
}

// Main is RunAll with explicit arguments and output; it returns the exit
// status instead of exiting.
func Main(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(programName(), flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "", "host:port to listen on, replacing the first worker's address")
	pidFile := fs.String("pidfile", PidFile, "pid file of the running instance")
	logFile := fs.String("logfile", LogFile, "log file of a detached instance (start -d)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: %s [-listen host:port] [-pidfile file] [-logfile file] [start [-d] | stop | status | restart | reload | connections]\n", programName())
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	rest := fs.Args()
	cmd := "start"
	if len(rest) > 0 {
		cmd, rest = rest[0], rest[1:]
	}
	cl := &commandLine{
		pidFile: *pidFile,
		logFile: *logFile,
		stdout:  stdout,
		stderr:  stderr,
		args:    args,
	}
	if cl.pidFile == "" {
		cl.pidFile = defaultPidFile()
	}
	if cl.logFile == "" {
		cl.logFile = strings.TrimSuffix(cl.pidFile, ".pid") + ".log"
	}
	if *listen != "" {
		ws := workers()
		if len(ws) == 0 {
			fmt.Fprintln(stderr, "-listen: no worker to apply it to")
			return 2
		}
		if err := ws[0].setAddress(*listen); err != nil {
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
			return 2
		}
		if *detach && os.Getenv(daemonEnv) == "" {
			return cl.startDetached()
		}
		return cl.start()
	case "stop":
		sfs := flag.NewFlagSet("stop", flag.ContinueOnError)
		sfs.SetOutput(stderr)
		sfs.Bool("g", false, "graceful stop (stops are always graceful)")
		if err := sfs.Parse(rest); err != nil {
			return 2
		}
		return cl.stop()
	case "status":
		return cl.status()
	case "restart", "reload", "connections":
		fmt.Fprintf(stderr, "%s: the %q command is not supported yet\n", programName(), cmd)
		return 3
	default:
		fmt.Fprintf(stderr, "%s: unknown command %q\n", programName(), cmd)
		fs.Usage()
		return 2
	}
}

type commandLine struct {
	pidFile, logFile string
	stdout, stderr   io.Writer
	args             []string
}

func programName() string { return filepath.Base(os.Args[0]) }

// defaultPidFile names the pid file after the program and the directory it
// runs in, so that "go run ./examples/x stop" finds the instance that
// "go run ./examples/x start -d" started from the same directory.
func defaultPidFile() string {
	wd, _ := os.Getwd()
	sum := sha256.Sum256([]byte(wd + "\x00" + programName()))
	return filepath.Join(os.TempDir(), "workerman-go-"+programName()+"-"+hex.EncodeToString(sum[:4])+".pid")
}

// runningPid returns the pid recorded in the pid file if that process lives.
func (cl *commandLine) runningPid() (int, bool) {
	b, err := os.ReadFile(cl.pidFile)
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, false
	}
	return pid, processAlive(pid)
}

func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// start runs the workers in the foreground until SIGINT or SIGTERM.
func (cl *commandLine) start() int {
	if pid, ok := cl.runningPid(); ok && pid != os.Getpid() {
		fmt.Fprintf(cl.stderr, "%s: already running (pid %d, pid file %s)\n", programName(), pid, cl.pidFile)
		return 1
	}
	ws := workers()
	if len(ws) == 0 {
		fmt.Fprintf(cl.stderr, "%s: no worker to run: create one with worker.New before RunAll\n", programName())
		return 1
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGUSR2)
	defer signal.Stop(sigs)

	started := make([]runner, 0, len(ws))
	stopAll := func() int {
		code := 0
		sctx, scancel := context.WithTimeout(context.Background(), StopTimeout)
		defer scancel()
		for _, w := range started {
			if err := w.Stop(sctx); err != nil {
				slog.Error("stop failed", "err", err)
				code = 1
			}
		}
		return code
	}
	for _, w := range ws {
		if err := w.Start(ctx); err != nil {
			fmt.Fprintf(cl.stderr, "%s: %v\n", programName(), err)
			stopAll()
			return 1
		}
		started = append(started, w)
	}
	if err := writeFileAtomic(cl.pidFile, []byte(strconv.Itoa(os.Getpid())+"\n")); err != nil {
		fmt.Fprintf(cl.stderr, "%s: writing pid file: %v\n", programName(), err)
		stopAll()
		return 1
	}
	defer os.Remove(cl.pidFile)
	cl.printBanner(started)

	for sig := range sigs {
		if sig == syscall.SIGUSR2 {
			if err := writeFileAtomic(cl.pidFile+".status", []byte(statusReport(started))); err != nil {
				slog.Error("writing status", "err", err)
			}
			continue
		}
		slog.Info("stopping", "signal", sig.String())
		break
	}
	code := stopAll()
	fmt.Fprintf(cl.stdout, "%s: stopped\n", programName())
	return code
}

func (cl *commandLine) printBanner(ws []runner) {
	fmt.Fprintf(cl.stdout, "workerman-go %s  %s  pid %d\n", Version, runtimeVersion(), os.Getpid())
	for _, w := range ws {
		in := w.info()
		fmt.Fprintf(cl.stdout, "  worker %-16s %-28s listening on %s\n", in.name, in.listen, in.addr)
	}
	if os.Getenv(daemonEnv) == "" {
		fmt.Fprintf(cl.stdout, "Press Ctrl+C to stop. Status: %s status\n", programName())
	}
}

// startDetached starts the program again, detached, and waits until it has
// started (its pid file appears) or failed.
func (cl *commandLine) startDetached() int {
	if pid, ok := cl.runningPid(); ok {
		fmt.Fprintf(cl.stderr, "%s: already running (pid %d)\n", programName(), pid)
		return 1
	}
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintf(cl.stderr, "%s: %v\n", programName(), err)
		return 1
	}
	logf, err := os.OpenFile(cl.logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		fmt.Fprintf(cl.stderr, "%s: opening log file: %v\n", programName(), err)
		return 1
	}
	defer logf.Close()
	_ = os.Remove(cl.pidFile)
	args := []string{"-pidfile", cl.pidFile, "-logfile", cl.logFile}
	args = append(args, cl.args...)
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), daemonEnv+"=1")
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(cl.stderr, "%s: starting detached: %v\n", programName(), err)
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
			fmt.Fprintf(cl.stderr, "%s: start failed (%v); see %s\n", programName(), err, cl.logFile)
			return 1
		case <-deadline:
			fmt.Fprintf(cl.stderr, "%s: start timed out; see %s\n", programName(), cl.logFile)
			return 1
		case <-tick.C:
			if pid, ok := cl.runningPid(); ok && pid == cmd.Process.Pid {
				fmt.Fprintf(cl.stdout, "%s: start success (pid %d, log %s)\n", programName(), pid, cl.logFile)
				_ = cmd.Process.Release()
				return 0
			}
		}
	}
}

// stop asks the running instance to stop and waits until it has.
func (cl *commandLine) stop() int {
	pid, ok := cl.runningPid()
	if !ok {
		fmt.Fprintf(cl.stderr, "%s: not running (no live process in %s)\n", programName(), cl.pidFile)
		return 1
	}
	fmt.Fprintf(cl.stdout, "%s: stopping (pid %d) ...\n", programName(), pid)
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		fmt.Fprintf(cl.stderr, "%s: stop failed: %v\n", programName(), err)
		return 1
	}
	deadline := time.Now().Add(StopTimeout + 10*time.Second)
	for time.Now().Before(deadline) {
		if !processAlive(pid) {
			fmt.Fprintf(cl.stdout, "%s: stop success\n", programName())
			return 0
		}
		time.Sleep(20 * time.Millisecond)
	}
	fmt.Fprintf(cl.stderr, "%s: stop failed: pid %d still running\n", programName(), pid)
	return 1
}

// status asks the running instance for its status table and prints it.
func (cl *commandLine) status() int {
	pid, ok := cl.runningPid()
	if !ok {
		fmt.Fprintf(cl.stderr, "%s: not running (no live process in %s)\n", programName(), cl.pidFile)
		return 1
	}
	statusFile := cl.pidFile + ".status"
	_ = os.Remove(statusFile)
	if err := syscall.Kill(pid, syscall.SIGUSR2); err != nil {
		fmt.Fprintf(cl.stderr, "%s: status failed: %v\n", programName(), err)
		return 1
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(statusFile); err == nil {
			_ = os.Remove(statusFile)
			_, _ = cl.stdout.Write(b)
			return 0
		}
		time.Sleep(20 * time.Millisecond)
	}
	fmt.Fprintf(cl.stderr, "%s: status failed: no answer from pid %d\n", programName(), pid)
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
