package connection

import (
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"time"
)

// acceptLoop accepts the connections of ln and hands each to an event loop
// (gnet's Client.EnrollContext), until ln is closed. It returns nil then, and
// the error that stopped it otherwise.
//
// The server accepts itself, rather than letting gnet do it, because
// gnet's acceptor shuts the whole engine down the first time accept(2)
// fails with EMFILE: a process whose descriptor table is full (files being
// served, sessions, whatever the application opens) would lose its
// listener for good. Here a full table costs only the connection that
// found it full:
//
//   - a reserve descriptor is kept open; when accept fails with EMFILE or
//     ENFILE, the reserve is closed, the waiting connection accepted and
//     closed at once (its client sees a closed connection instead of a
//     backlog that never moves), and the reserve opened again;
//   - without a reserve (another thread took the freed slot), the loop
//     backs off briefly, so a full table does not make it spin;
//   - connections beyond the connection cap, or whose descriptor is near
//     the limit, are closed at once, as before: the table keeps headroom
//     for files and for gnet's own copy of each accepted socket.
//
// Refusals are counted (Stats().Refused) and logged at most once a second.
func (s *server) acceptLoop(ln net.Listener) error {
	reserve := openReserve()
	defer func() {
		if reserve != nil {
			reserve.Close()
		}
	}()
	backoff := time.Duration(0)
	var lastLog time.Time
	var quiet uint64 // refusals not logged since lastLog
	logRefusal := func(why string, err error) {
		quiet++
		if now := time.Now(); now.Sub(lastLog) >= time.Second {
			s.cfg.logger.Warn("workerman: connection refused at accept", "reason", why, "err", err, "refused since last report", quiet)
			lastLog, quiet = now, 0
		}
	}
	for {
		nc, err := ln.Accept()
		if err != nil {
			switch {
			case errors.Is(err, net.ErrClosed):
				return nil
			case isFDExhausted(err):
				if reserve != nil {
					reserve.Close()
					if nc, err := ln.Accept(); err == nil {
						nc.Close()
						s.refuse()
					}
					reserve = openReserve()
				}
				logRefusal("out of file descriptors", err)
				if reserve == nil {
					backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
					time.Sleep(backoff)
					reserve = openReserve()
				}
				continue
			case isTemporary(err):
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				time.Sleep(backoff)
				continue
			}
			return fmt.Errorf("connection: accepting on %s: %w", ln.Addr(), err)
		}
		backoff = 0
		if reason := s.admit(nc); reason != "" {
			nc.Close()
			s.refuse()
			logRefusal(reason, nil)
			continue
		}
		s.register(nc)
	}
}

// admit says why nc must be refused ("" when it may open): the connection
// cap is reached, or nc's descriptor is so high that the table is nearly
// full, whatever holds the other descriptors (Linux hands out the lowest
// free number). A connection accepted while the server stops is served:
// it was taken from the accept queue, so no other process will serve it;
// it opens draining (see Shutdown).
func (s *server) admit(nc net.Conn) string {
	switch {
	case s.live.Load()+s.opening.Load() >= s.maxConns:
		return "connection cap reached"
	case fdOf(nc) >= s.fdCeiling:
		return "file descriptors nearly exhausted"
	}
	return ""
}

// register hands nc to an event loop, where OnOpen opens it. gnet makes its
// own copy of the descriptor and closes nc; if that fails (the table
// filled up meanwhile, the engine is stopping), the connection is closed
// and counted as refused.
func (s *server) register(nc net.Conn) {
	c := newConn(s.cfg, s.opts.MaxSendBufferSize, s.opts.MaxPackageSize)
	s.opening.Add(1) // until OnOpen counts it as live
	if _, err := s.cli.EnrollContext(nc, c); err != nil {
		s.opening.Add(-1)
		nc.Close()
		s.refuse()
		s.cfg.logger.Warn("workerman: an accepted connection could not join an event loop", "err", err)
	}
}

// refuse counts a refused connection.
func (s *server) refuse() { s.refused.Add(1) }

// openReserve opens the descriptor kept free for a full table, or returns
// nil when even that fails.
func openReserve() *os.File {
	f, err := os.Open(os.DevNull)
	if err != nil {
		return nil
	}
	return f
}

// isFDExhausted reports whether err is accept(2) failing for want of a
// descriptor.
func isFDExhausted(err error) bool {
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE)
}

// isTemporary reports whether an accept error is worth retrying (a
// connection reset before it was accepted, a short memory shortage).
func isTemporary(err error) bool {
	var te interface{ Temporary() bool }
	return errors.As(err, &te) && te.Temporary()
}

// fdOf returns nc's descriptor number, or -1.
func fdOf(nc net.Conn) int {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return -1
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return -1
	}
	fd := -1
	_ = rc.Control(func(f uintptr) { fd = int(f) })
	return fd
}
