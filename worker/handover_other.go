//go:build !unix

package worker

import (
	"errors"
	"time"
)

// handOverSupported: without Unix sockets and signals, reload and restart
// cannot hand the listening sockets to a new process.
const handOverSupported = false

var errNoHandOver = errors.New("reload and restart need a Unix system")

type controlConn struct{}

type controlServer struct{ takers chan takeRequest }

type takeRequest struct{ pid int }

var errNotRunning = errors.New("no running instance to take over from")

func listenControl(string) (*controlServer, error) { return &controlServer{}, nil }

func (s *controlServer) Close() error { return nil }

func takeOver(string) (*controlConn, error) { return nil, errNoHandOver }

func confirm(*controlConn) error { return errNoHandOver }

func abandon(*controlConn, error) {}

func handOver(takeRequest, *controlServer, time.Duration) (int, error) { return 0, errNoHandOver }

func notifySystemd(string) {}

func refuse(takeRequest, string) {}
