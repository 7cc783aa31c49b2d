//go:build unix

package worker

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// handOverSupported says whether reload and restart can hand the listening
// sockets to a new process here.
const handOverSupported = true

// The hand-over of listening sockets between two instances of a program,
// for reload and restart. The running instance (the holder) listens on a
// Unix socket next to its pid file, its control socket. A new instance
// (the taker) connects to it and, one JSON message per line:
//
//	taker  → holder  take-over {pid}
//	holder → taker   listeners {keys} with the sockets' descriptors (SCM_RIGHTS)
//	taker            starts its Workers on them, accepts nothing yet
//	taker  → holder  ready, or failed {error} (or the connection ends)
//	holder           stops accepting, closes its control socket
//	holder → taker   released
//	taker            accepts, writes the pid file, listens on the control socket
//	holder           ends its connections gracefully (restart) and exits
//
// Both processes hold the same kernel sockets, so a connection that waits
// in an accept queue is taken by whichever accepts next: none is lost,
// unlike a hand-over between two sockets bound with SO_REUSEPORT, where
// closing one drops what waits in its queue. Until released, the holder
// serves alone; a taker that fails, exits or never gets ready leaves it
// serving as before.

// The operations of the control protocol.
const (
	opTakeOver  = "take-over"
	opListeners = "listeners"
	opRefused   = "refused"
	opReady     = "ready"
	opFailed    = "failed"
	opReleased  = "released"
)

// controlMsg is one message of the control protocol.
type controlMsg struct {
	Op    string   `json:"op"`
	Pid   int      `json:"pid,omitempty"`
	Keys  []string `json:"keys,omitempty"`
	Error string   `json:"error,omitempty"`
}

// maxHandedSockets bounds the descriptors one listeners message carries.
const maxHandedSockets = 64

// controlConn is one connection of the control protocol.
type controlConn struct {
	c   *net.UnixConn
	buf []byte // bytes read past the last message
}

// send writes m, with the descriptors fds attached.
func (cc *controlConn) send(m controlMsg, fds ...int) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	var oob []byte
	if len(fds) > 0 {
		oob = unix.UnixRights(fds...)
	}
	_ = cc.c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	n, _, err := cc.c.WriteMsgUnix(b, oob, nil)
	if err == nil && n < len(b) {
		_, err = cc.c.Write(b[n:])
	}
	if err != nil {
		return fmt.Errorf("control socket: sending %s: %w", m.Op, err)
	}
	return nil
}

// recv reads the next message, and the descriptors that came with it, by
// deadline.
func (cc *controlConn) recv(deadline time.Time) (controlMsg, []*os.File, error) {
	var m controlMsg
	var files []*os.File
	_ = cc.c.SetReadDeadline(deadline)
	oob := make([]byte, unix.CmsgSpace(4*maxHandedSockets))
	for bytes.IndexByte(cc.buf, '\n') < 0 {
		if len(cc.buf) > 1<<16 {
			closeFiles(files)
			return m, nil, errors.New("control socket: message too long")
		}
		chunk := make([]byte, 4096)
		n, oobn, _, _, err := cc.c.ReadMsgUnix(chunk, oob)
		if oobn > 0 {
			got, perr := parseRights(oob[:oobn])
			files = append(files, got...)
			if perr != nil {
				closeFiles(files)
				return m, nil, perr
			}
		}
		if n > 0 {
			cc.buf = append(cc.buf, chunk[:n]...)
		}
		if err != nil {
			closeFiles(files)
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return m, nil, fmt.Errorf("control socket: %w", err)
		}
	}
	i := bytes.IndexByte(cc.buf, '\n')
	line := cc.buf[:i]
	cc.buf = cc.buf[i+1:]
	if err := json.Unmarshal(line, &m); err != nil {
		closeFiles(files)
		return m, nil, fmt.Errorf("control socket: bad message %q: %w", line, err)
	}
	return m, files, nil
}

func (cc *controlConn) Close() error { return cc.c.Close() }

// parseRights returns the descriptors of SCM_RIGHTS messages in oob.
func parseRights(oob []byte) ([]*os.File, error) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, fmt.Errorf("control socket: ancillary data: %w", err)
	}
	var files []*os.File
	for _, cm := range msgs {
		fds, err := unix.ParseUnixRights(&cm)
		if err != nil {
			continue // not descriptors
		}
		for _, fd := range fds {
			unix.CloseOnExec(fd)
			files = append(files, os.NewFile(uintptr(fd), "inherited socket "+strconv.Itoa(fd)))
		}
	}
	return files, nil
}

func closeFiles(files []*os.File) {
	for _, f := range files {
		f.Close()
	}
}

// controlServer is the holder's control socket.
type controlServer struct {
	ln   *net.UnixListener
	path string
	// takers are the connections that asked to take over, with their
	// first message read.
	takers chan takeRequest
}

// takeRequest is a taker's connection and the pid it gave.
type takeRequest struct {
	cc  *controlConn
	pid int
}

// listenControl listens on the control socket at path, replacing a stale
// one (the caller knows no live instance owns it). Only a process of the
// same user may connect.
func listenControl(path string) (*controlServer, error) {
	_ = os.Remove(path)
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("control socket: %w", err)
	}
	s := &controlServer{ln: ln, path: path, takers: make(chan takeRequest)}
	go s.accept()
	return s, nil
}

// accept passes on the connections that ask to take over. One that is not
// of this user, or says something else, is closed.
func (s *controlServer) accept() {
	for {
		c, err := s.ln.AcceptUnix()
		if err != nil {
			return // closed
		}
		go func() {
			cc := &controlConn{c: c}
			if err := checkPeer(c); err != nil {
				_ = cc.send(controlMsg{Op: opRefused, Error: err.Error()})
				cc.Close()
				return
			}
			m, files, err := cc.recv(time.Now().Add(5 * time.Second))
			closeFiles(files)
			if err != nil || m.Op != opTakeOver {
				cc.Close()
				return
			}
			s.takers <- takeRequest{cc: cc, pid: m.Pid}
		}()
	}
}

// Close stops listening and removes the socket's file.
func (s *controlServer) Close() error { return s.ln.Close() }

// errNotRunning says that no instance listens on the control socket.
var errNotRunning = errors.New("no running instance to take over from")

// takeOver asks the instance listening on the control socket at path for
// its listening sockets and makes them the ones this process's Listen
// returns (accepting nothing until release). It returns the connection to
// report ready or failed on.
func takeOver(path string) (*controlConn, error) {
	c, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		if errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ECONNREFUSED) {
			return nil, errNotRunning
		}
		return nil, fmt.Errorf("control socket: %w", err)
	}
	cc := &controlConn{c: c}
	if err := cc.send(controlMsg{Op: opTakeOver, Pid: os.Getpid()}); err != nil {
		cc.Close()
		return nil, err
	}
	m, files, err := cc.recv(time.Now().Add(10 * time.Second))
	if err != nil {
		cc.Close()
		return nil, err
	}
	switch {
	case m.Op == opRefused:
		closeFiles(files)
		cc.Close()
		return nil, fmt.Errorf("the running instance refused the take-over: %s", m.Error)
	case m.Op != opListeners || len(m.Keys) != len(files):
		closeFiles(files)
		cc.Close()
		return nil, fmt.Errorf("control socket: unexpected %q with %d keys and %d sockets", m.Op, len(m.Keys), len(files))
	}
	inherited := make(map[string]*os.File, len(files))
	for i, k := range m.Keys {
		inherited[k] = files[i]
	}
	listeners.inherit(inherited)
	return cc, nil
}

// confirm tells the holder that this process is ready and waits until it
// has released the sockets; then the listeners accept. On an error the
// holder keeps serving, and this process must stop.
func confirm(cc *controlConn) error {
	defer cc.Close()
	if err := cc.send(controlMsg{Op: opReady, Pid: os.Getpid()}); err != nil {
		return err
	}
	m, files, err := cc.recv(time.Now().Add(30 * time.Second))
	closeFiles(files)
	if err != nil {
		return err
	}
	if m.Op != opReleased {
		return fmt.Errorf("control socket: unexpected %q instead of released", m.Op)
	}
	listeners.release()
	return nil
}

// abandon tells the holder that this process failed to start.
func abandon(cc *controlConn, cause error) {
	_ = cc.send(controlMsg{Op: opFailed, Error: cause.Error()})
	cc.Close()
}

// handOver gives the taker of r this process's listening sockets and
// waits, up to timeout, until it is ready. Then it tells the taker so,
// stops accepting on every listener and closes ctl (the taker listens
// there next). It returns the taker's pid, or why the hand-over failed: this
// process then serves on as before (ctl stays open).
func handOver(r takeRequest, ctl *controlServer, timeout time.Duration) (int, error) {
	defer r.cc.Close()
	handed := listeners.handed()
	keys := make([]string, 0, len(handed))
	fds := make([]int, 0, len(handed))
	defer func() {
		for _, fd := range fds {
			unix.Close(fd)
		}
	}()
	for _, l := range handed {
		fd, err := dupListener(l)
		if err != nil {
			_ = r.cc.send(controlMsg{Op: opRefused, Error: err.Error()})
			return 0, err
		}
		keys = append(keys, l.key)
		fds = append(fds, fd)
	}
	if len(fds) > maxHandedSockets {
		err := fmt.Errorf("%d listening sockets: at most %d can be handed over", len(fds), maxHandedSockets)
		_ = r.cc.send(controlMsg{Op: opRefused, Error: err.Error()})
		return 0, err
	}
	if err := r.cc.send(controlMsg{Op: opListeners, Keys: keys}, fds...); err != nil {
		return 0, err
	}
	m, files, err := r.cc.recv(time.Now().Add(timeout))
	closeFiles(files)
	switch {
	case err != nil:
		return 0, fmt.Errorf("the new process (pid %d) did not get ready: %w", r.pid, err)
	case m.Op == opFailed:
		return 0, fmt.Errorf("the new process (pid %d) failed to start: %s", r.pid, m.Error)
	case m.Op != opReady:
		return 0, fmt.Errorf("the new process (pid %d) said %q instead of ready", r.pid, m.Op)
	}
	if err := r.cc.send(controlMsg{Op: opReleased}); err != nil {
		return 0, fmt.Errorf("the new process (pid %d) was ready, then went away: %w", r.pid, err)
	}
	// The taker accepts now, and listens on the control socket's path:
	// leave the file to it.
	ctl.ln.SetUnlinkOnClose(false)
	ctl.Close()
	for _, l := range handed {
		l.Close() // the taker holds the socket open
	}
	return r.pid, nil
}

// dupListener returns a copy of l's descriptor.
func dupListener(l *handedListener) (int, error) {
	sc, ok := l.Listener.(syscall.Conn)
	if !ok {
		return -1, fmt.Errorf("listener %s (%T) has no descriptor to hand over", l.key, l.Listener)
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return -1, err
	}
	fd := -1
	var derr error
	if err := rc.Control(func(s uintptr) { fd, derr = unix.FcntlInt(s, unix.F_DUPFD_CLOEXEC, 0) }); err != nil {
		return -1, err
	}
	if derr != nil {
		return -1, fmt.Errorf("duplicating the socket of %s: %w", l.key, derr)
	}
	return fd, nil
}

// notifySystemd sends state to the service manager when the process runs
// under systemd with Type=notify (NOTIFY_SOCKET is set), as sd_notify(3)
// does. A reloaded process sends MAINPID with READY, so that systemd
// follows the new process (the unit needs NotifyAccess=all).
func notifySystemd(state string) {
	path := os.Getenv("NOTIFY_SOCKET")
	if path == "" {
		return
	}
	if path[0] == '@' {
		path = "\x00" + path[1:] // an abstract socket
	}
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return
	}
	defer c.Close()
	_, _ = c.Write([]byte(state))
}

// refuse turns away a taker while another hand-over is under way.
func refuse(r takeRequest, why string) {
	_ = r.cc.send(controlMsg{Op: opRefused, Error: why})
	r.cc.Close()
}
