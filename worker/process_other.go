//go:build !unix

package worker

import (
	"errors"
	"os"
	"syscall"
)

// Without Unix signals, a running instance stops on Ctrl+C (os.Interrupt)
// and cannot be asked for its status or to stop by another process.
var (
	stopSignals       = []os.Signal{os.Interrupt}
	statusSignal      []os.Signal
	connectionsSignal []os.Signal
	reloadSignal      []os.Signal
)

var errNoSignals = errors.New("this command needs Unix signals (stop the instance with Ctrl+C)")

// processAlive reports whether process pid exists.
func processAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	_ = p.Release()
	return true
}

func askToStop(int) error { return errNoSignals }

func askForStatus(int) error { return errNoSignals }

func askForConnections(int) error { return errNoSignals }

func askToReload(int) error { return errNoSignals }

func detached() *syscall.SysProcAttr { return nil }

// setReusePort: this system has no SO_REUSEPORT; the listener is exclusive.
func setReusePort(_, _ string, _ syscall.RawConn) error {
	return errors.New("ReusePort needs SO_REUSEPORT, which this system does not have")
}
