//go:build unix

package worker

import (
	"errors"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// The signals a running instance handles: stopSignals stop it gracefully,
// statusSignal makes it write its status table next to its pid file,
// connectionsSignal its list of connections (SIGIO, as Workerman's),
// reloadSignal makes it start a new copy of the program and hand over to
// it (SIGUSR1, as Workerman's reload).
var (
	stopSignals       = []os.Signal{syscall.SIGINT, syscall.SIGTERM}
	statusSignal      = []os.Signal{syscall.SIGUSR2}
	connectionsSignal = []os.Signal{syscall.SIGIO}
	reloadSignal      = []os.Signal{syscall.SIGUSR1}
)

// processAlive reports whether process pid exists.
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// askToStop asks the instance pid to stop gracefully (stop).
func askToStop(pid int) error { return syscall.Kill(pid, syscall.SIGTERM) }

// askForStatus asks the instance pid for its status table (status).
func askForStatus(pid int) error { return syscall.Kill(pid, syscall.SIGUSR2) }

// askForConnections asks the instance pid for its list of connections
// (connections).
func askForConnections(pid int) error { return syscall.Kill(pid, syscall.SIGIO) }

// askToReload asks the instance pid to reload (reload).
func askToReload(pid int) error { return syscall.Kill(pid, syscall.SIGUSR1) }

// detached is the process attribute of a detached instance (start -d): a
// session of its own, so that the terminal's signals do not reach it.
func detached() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setsid: true} }

// setReusePort sets SO_REUSEPORT on a socket about to listen.
func setReusePort(_, _ string, rc syscall.RawConn) error {
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, unix.SO_REUSEPORT, 1)
	}); err != nil {
		return err
	}
	return serr
}
