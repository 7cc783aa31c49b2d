package loadgen

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"net/netip"
	"time"

	"golang.org/x/sys/unix"

	"github.com/workerman-go/workerman/protocols/sse"
)

type connState uint8

const (
	stNew        connState = iota // not started, or waiting for a retry
	stConnecting                  // connect in progress
	stOpen                        // established
	stDone                        // failed for good, or closed
)

// conn is one client connection. Its index in loop.conns is the epoll user
// data, so a descriptor reused after a close can never be mistaken for
// another connection's.
type conn struct {
	fd       int
	state    connState
	wantOut  bool // EPOLLOUT is registered
	attempts int
	idx      int32         // index in loop.conns: the epoll user data
	global   int           // index over all loops (source round robin, payload)
	since    time.Duration // connect start, or retry time while waiting

	// echo: Depth messages in flight. Messages are queued in wbuf (written
	// from wOff on) and echoed back in order: the oldest one not yet fully
	// echoed is number rseq+1, rOff of its bytes are back, and sentAt is a
	// ring of the queue times of the n messages in flight, the oldest at
	// head.
	tmpl       []byte // payload pattern of the connection (Size bytes)
	exp        []byte // the message being received, as it must come back
	wbuf       []byte
	wOff, rOff int
	seq, rseq  uint64 // last queued, last fully echoed
	sentAt     []time.Duration
	head, n    int // ring start and messages in flight

	sse *sseState // sse mode: the stream
	ws  *wsState  // WebSocket modes: the connection's WebSocket state
}

type loop struct {
	cfg     *Config
	base    time.Time
	epfd    int
	target  unix.SockaddrInet4
	sources []unix.SockaddrInet4
	burst   int

	conns   []conn
	events  []unix.EpollEvent
	scratch []byte

	// echo and ws-echo
	wire      int    // bytes of one message on the wire
	msg       []byte // ws-echo: the payload being framed
	completed int    // ws-echo: messages completed by the current read

	// sse mode
	request             []byte // the request every stream sends
	fan                 *fanout
	cur                 *conn // the stream being parsed
	feedErr             error
	nowNs               int64         // receipt time of the bytes being parsed, Unix ns
	nowRel              time.Duration // and since base
	warmEnd, end        time.Duration // the counting window
	bodyFn              func([]byte)
	emitFn              func(sse.Event)
	onCommentFn         func(string)
	heads, headFails    int
	streamErrors        int
	nEvents, comments   uint64
	windowEvents        uint64
	badData, outOfOrder uint64
	burstHist           Hist

	// statistics
	established, failed, retries, peerClosed, open int
	messages, mismatches, ioErrors, unexpected     uint64
	hist                                           Hist
	errs                                           map[string]int
}

const (
	evOpen = unix.EPOLLIN | unix.EPOLLRDHUP
	evOut  = unix.EPOLLOUT
)

func newLoop(cfg *Config, base time.Time, idx, n int, target netip.AddrPort, sources []unix.SockaddrInet4, burst int) (*loop, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	l := &loop{
		cfg:     cfg,
		base:    base,
		epfd:    epfd,
		target:  unix.SockaddrInet4{Port: int(target.Port()), Addr: target.Addr().As4()},
		sources: sources,
		burst:   burst,
		events:  make([]unix.EpollEvent, 512),
		errs:    map[string]int{},
	}
	for g := idx; g < cfg.Conns; g += n {
		l.conns = append(l.conns, conn{fd: -1, idx: int32(len(l.conns)), global: g})
	}
	size := 4096
	if cfg.Mode == ModeEcho && cfg.Size > size {
		size = cfg.Size
	}
	l.wire = cfg.Size
	if cfg.Mode == ModeSSE {
		size = 16 << 10
		l.request = sseRequest(cfg.Path)
		l.bodyFn, l.emitFn, l.onCommentFn = l.body, l.emit, l.onComment
	}
	if cfg.ws() {
		size = 16 << 10
		l.wire = wsFrameOverhead(cfg.Size) + cfg.Size
		l.msg = make([]byte, cfg.Size)
	}
	l.scratch = make([]byte, size)
	return l, nil
}

func (l *loop) now() time.Duration { return time.Since(l.base) }

func (l *loop) noteErr(what string, err error) {
	key := what
	if err != nil {
		var en unix.Errno
		if errors.As(err, &en) {
			key = what + ":" + unix.ErrnoName(en)
		} else {
			key = what + ":" + err.Error()
		}
	}
	if len(l.errs) < 64 || l.errs[key] > 0 {
		l.errs[key]++
	}
}

func (l *loop) closeConn(c *conn) {
	if c.fd >= 0 {
		unix.Close(c.fd) // also removes it from the epoll set
		c.fd = -1
	}
	if c.state == stOpen {
		l.open--
	}
	c.state = stDone
	c.wantOut = false
}

func (l *loop) closeAll() {
	for i := range l.conns {
		c := &l.conns[i]
		if c.fd >= 0 {
			unix.Close(c.fd)
			c.fd = -1
		}
	}
	if l.epfd >= 0 {
		unix.Close(l.epfd)
		l.epfd = -1
	}
}

func (l *loop) wait(timeout time.Duration) (int, error) {
	ms := int(timeout / time.Millisecond)
	if ms < 0 {
		ms = 0
	}
	n, err := unix.EpollWait(l.epfd, l.events, ms)
	if err == unix.EINTR {
		return 0, nil
	}
	return n, err
}

// ---- connect phase ---------------------------------------------------------

func retryable(err error) bool {
	switch err {
	case unix.EAGAIN, unix.ECONNREFUSED, unix.ETIMEDOUT, unix.ECONNRESET,
		unix.EADDRNOTAVAIL, unix.EADDRINUSE, unix.EINTR, unix.ENOBUFS, unix.ENOMEM:
		return true
	}
	return false
}

func backoff(attempt int) time.Duration {
	d := 20 * time.Millisecond << uint(attempt-1)
	if d > time.Second || d <= 0 {
		d = time.Second
	}
	return d
}

// connectAll opens every connection of the loop, at most l.burst at a time,
// and returns when each one is established or has failed for good, or when
// setupEnd passes or ctx is cancelled (the remaining ones then fail).
func (l *loop) connectAll(ctx context.Context, setupEnd time.Duration) {
	queue := make([]int32, 0, len(l.conns)) // ready to start, FIFO
	for i := range l.conns {
		queue = append(queue, int32(i))
	}
	var retryQ []int32                    // waiting for their retry time
	inflight := make([]int32, 0, l.burst) // connecting
	remaining := len(l.conns)
	lastSweep := l.now()

	finish := func(i int32) {
		for k, v := range inflight {
			if v == i {
				inflight[k] = inflight[len(inflight)-1]
				inflight = inflight[:len(inflight)-1]
				break
			}
		}
	}
	// fail or schedule a retry for a connection whose attempt ended badly
	retry := func(i int32, err error) {
		c := &l.conns[i]
		l.closeConn(c)
		c.attempts++
		if retryable(err) && c.attempts <= l.cfg.Retries {
			l.retries++
			c.state = stNew
			c.since = l.now() + backoff(c.attempts)
			retryQ = append(retryQ, i)
			return
		}
		l.noteErr("connect", err)
		l.failed++
		remaining--
	}

	for remaining > 0 {
		now := l.now()
		if now >= setupEnd || ctx.Err() != nil {
			why := errors.New("setup timeout")
			if ctx.Err() != nil {
				why = errors.New("interrupted")
			}
			for i := range l.conns {
				c := &l.conns[i]
				if c.state == stNew || c.state == stConnecting {
					l.closeConn(c)
					l.noteErr("connect", why)
					l.failed++
				}
			}
			return
		}
		// due retries go back to the front of the queue
		if len(retryQ) > 0 {
			kept := retryQ[:0]
			for _, i := range retryQ {
				if l.conns[i].since <= now {
					queue = append(queue, i)
				} else {
					kept = append(kept, i)
				}
			}
			retryQ = kept
		}
		// start connects up to the burst limit
		for len(inflight) < l.burst && len(queue) > 0 {
			i := queue[0]
			queue = queue[1:]
			err := l.startConnect(i)
			switch {
			case err == nil:
				inflight = append(inflight, i)
			case err == errEstablished:
				l.onEstablished(i)
				remaining--
			default:
				retry(i, err)
			}
		}
		// per-attempt timeouts, checked every 50 ms
		if now-lastSweep >= 50*time.Millisecond {
			lastSweep = now
			for k := 0; k < len(inflight); {
				i := inflight[k]
				if now-l.conns[i].since > l.cfg.ConnectTimeout {
					finish(i)
					retry(i, unix.ETIMEDOUT)
					continue
				}
				k++
			}
		}

		timeout := 50 * time.Millisecond
		if len(retryQ) > 0 || len(queue) > 0 {
			timeout = 5 * time.Millisecond
		}
		n, err := l.wait(timeout)
		if err != nil {
			l.noteErr("epoll_wait", err)
			time.Sleep(time.Millisecond)
			continue
		}
		for _, ev := range l.events[:n] {
			i := ev.Fd
			c := &l.conns[i]
			switch c.state {
			case stConnecting:
				soerr, gerr := unix.GetsockoptInt(c.fd, unix.SOL_SOCKET, unix.SO_ERROR)
				finish(i)
				if gerr != nil {
					retry(i, gerr)
					continue
				}
				if soerr != 0 {
					retry(i, unix.Errno(soerr))
					continue
				}
				if ev.Events&(unix.EPOLLERR|unix.EPOLLHUP) != 0 {
					retry(i, unix.ECONNRESET)
					continue
				}
				if err := unix.EpollCtl(l.epfd, unix.EPOLL_CTL_MOD, c.fd, &unix.EpollEvent{Events: evOpen, Fd: i}); err != nil {
					retry(i, err)
					continue
				}
				l.onEstablished(i)
				remaining--
			case stOpen:
				if c.sse != nil || c.ws != nil {
					l.streamRead(c)
					continue
				}
				// Nothing was sent yet: anything here is unexpected data
				// or the server closing the connection.
				l.idleEvent(c)
			}
		}
	}
}

var errEstablished = errors.New("established at once")

// startConnect creates a socket for conns[i] and starts a non-blocking
// connect. nil means in progress (registered for EPOLLOUT).
func (l *loop) startConnect(i int32) error {
	c := &l.conns[i]
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	c.fd = fd
	c.state = stConnecting
	c.since = l.now()
	_ = unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	if len(l.sources) > 0 {
		// Choose the local port at connect time, from the full 4-tuple,
		// instead of reserving one per source address at bind time.
		_ = unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_BIND_ADDRESS_NO_PORT, 1)
		src := l.sources[c.global%len(l.sources)]
		if err := unix.Bind(fd, &src); err != nil {
			return err
		}
	}
	err = unix.Connect(fd, &l.target)
	switch err {
	case nil:
		if err := unix.EpollCtl(l.epfd, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: evOpen, Fd: i}); err != nil {
			return err
		}
		return errEstablished
	case unix.EINPROGRESS:
		if err := unix.EpollCtl(l.epfd, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: evOut, Fd: i}); err != nil {
			return err
		}
		return nil
	default:
		return err
	}
}

func (l *loop) onEstablished(i int32) {
	c := &l.conns[i]
	c.state = stOpen
	l.established++
	l.open++
	switch {
	case l.cfg.Mode == ModeSSE:
		l.sseStart(c)
	case l.cfg.ws():
		l.wsStart(c)
	}
}

// ---- idle ------------------------------------------------------------------

// idleEvent handles readiness on an open connection that should be silent.
func (l *loop) idleEvent(c *conn) {
	for {
		n, err := unix.Read(c.fd, l.scratch)
		switch {
		case err == unix.EAGAIN:
			return
		case err == unix.EINTR:
			continue
		case err != nil:
			l.noteErr("read", err)
			l.peerClosed++
			l.closeConn(c)
			return
		case n == 0:
			l.peerClosed++
			l.closeConn(c)
			return
		default:
			l.unexpected += uint64(n)
		}
	}
}

// hold keeps the open connections until end or ctx is cancelled, noting
// connections the server closes.
func (l *loop) hold(ctx context.Context, end time.Duration) {
	for {
		now := l.now()
		if now >= end || ctx.Err() != nil {
			return
		}
		timeout := end - now
		if timeout > 100*time.Millisecond {
			timeout = 100 * time.Millisecond
		}
		n, err := l.wait(timeout + time.Millisecond)
		if err != nil {
			l.noteErr("epoll_wait", err)
			time.Sleep(10 * time.Millisecond)
			continue
		}
		for _, ev := range l.events[:n] {
			c := &l.conns[ev.Fd]
			if c.state == stOpen {
				l.idleEvent(c)
			}
		}
	}
}

// ---- echo ------------------------------------------------------------------

// echo keeps Depth messages in flight on every open connection until end.
// Messages completed in [warmEnd, end) are counted. In ws-echo mode the
// messages are masked text frames and the echoes are read as frames.
func (l *loop) echo(ctx context.Context, warmEnd, end time.Duration) {
	size, depth := l.cfg.Size, l.cfg.Depth
	ws := l.cfg.Mode == ModeWSEcho
	l.warmEnd, l.end = warmEnd, end
	for i := range l.conns {
		c := &l.conns[i]
		if c.state != stOpen {
			continue
		}
		// Distinct payload per connection; the first bytes carry a
		// sequence number so a stale, repeated or reordered echo never
		// matches.
		if ws {
			c.tmpl = textTemplate(size, c.global)
		} else {
			c.tmpl = make([]byte, size)
			for k := range c.tmpl {
				c.tmpl[k] = byte(k*7 + c.global*13 + 1)
			}
		}
		c.exp = make([]byte, size)
		c.wbuf = make([]byte, 0, depth*l.wire)
		c.sentAt = make([]time.Duration, depth)
		for k := 0; k < depth; k++ {
			l.queue(c)
		}
		l.flush(c)
	}
	for {
		now := l.now()
		if now >= end || ctx.Err() != nil {
			return
		}
		timeout := end - now
		if timeout > 100*time.Millisecond {
			timeout = 100 * time.Millisecond
		}
		n, err := l.wait(timeout + time.Millisecond)
		if err != nil {
			l.noteErr("epoll_wait", err)
			time.Sleep(time.Millisecond)
			continue
		}
		for _, ev := range l.events[:n] {
			c := &l.conns[ev.Fd]
			if c.state != stOpen {
				continue
			}
			if ev.Events&unix.EPOLLOUT != 0 && c.wOff < len(c.wbuf) {
				l.flush(c)
				if c.state != stOpen {
					continue
				}
			}
			if ev.Events&(unix.EPOLLIN|unix.EPOLLRDHUP|unix.EPOLLHUP|unix.EPOLLERR) != 0 {
				if ws {
					l.wsReceive(c, end)
				} else {
					l.receive(c, warmEnd, end)
				}
			}
		}
	}
}

// stamp writes the sequence number seq into the first bytes of msg
// (messages shorter than 8 bytes carry its low bytes).
func stamp(msg []byte, seq uint64) {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], seq)
	copy(msg, b[:])
}

// queue appends the next message of c to its write buffer; flush sends it.
func (l *loop) queue(c *conn) {
	if c.wOff == len(c.wbuf) {
		c.wbuf, c.wOff = c.wbuf[:0], 0
	} else if len(c.wbuf)+l.wire > cap(c.wbuf) {
		k := copy(c.wbuf, c.wbuf[c.wOff:])
		c.wbuf, c.wOff = c.wbuf[:k], 0
	}
	c.seq++
	if l.cfg.Mode == ModeWSEcho {
		l.appendWSMessage(c, c.seq)
	} else {
		start := len(c.wbuf)
		c.wbuf = append(c.wbuf, c.tmpl...)
		stamp(c.wbuf[start:], c.seq)
	}
	c.sentAt[(c.head+c.n)%len(c.sentAt)] = l.now()
	c.n++
}

// flush writes what is queued on c.
func (l *loop) flush(c *conn) {
	for c.wOff < len(c.wbuf) {
		n, err := unix.Write(c.fd, c.wbuf[c.wOff:])
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			if !c.wantOut {
				if err := unix.EpollCtl(l.epfd, unix.EPOLL_CTL_MOD, c.fd, &unix.EpollEvent{Events: evOpen | evOut, Fd: l.index(c)}); err != nil {
					l.ioFail(c, "epoll_ctl", err)
					return
				}
				c.wantOut = true
			}
			return
		case err != nil:
			l.ioFail(c, "write", err)
			return
		}
		c.wOff += n
	}
	if c.wantOut {
		if err := unix.EpollCtl(l.epfd, unix.EPOLL_CTL_MOD, c.fd, &unix.EpollEvent{Events: evOpen, Fd: l.index(c)}); err != nil {
			l.ioFail(c, "epoll_ctl", err)
			return
		}
		c.wantOut = false
	}
}

// receive reads echoed bytes and checks them, in order, against the
// messages in flight. For every message completed it records the round
// trip and, before end, queues a new one, so that Depth stay in flight;
// the new messages go out in one write.
func (l *loop) receive(c *conn, warmEnd, end time.Duration) {
	size := len(c.tmpl)
	for {
		// Never read more than is owed: what a correct server can send.
		want := c.n*size - c.rOff
		if want > len(l.scratch) {
			want = len(l.scratch)
		}
		if want <= 0 {
			want = 1 // nothing is owed: any byte is unexpected, 0 is EOF
		}
		n, err := unix.Read(c.fd, l.scratch[:want])
		switch {
		case err == unix.EAGAIN:
			return
		case err == unix.EINTR:
			continue
		case err != nil:
			l.ioFail(c, "read", err)
			return
		case n == 0:
			l.peerClosed++
			l.ioFail(c, "read", errors.New("EOF"))
			return
		}
		done := 0
		var now time.Duration
		for b := l.scratch[:n]; len(b) > 0; {
			if c.n == 0 {
				l.mismatch(c) // more bytes than were sent
				return
			}
			if c.rOff == 0 {
				copy(c.exp, c.tmpl)
				stamp(c.exp, c.rseq+1)
			}
			k := min(len(b), size-c.rOff)
			if !bytes.Equal(b[:k], c.exp[c.rOff:c.rOff+k]) {
				l.mismatch(c)
				return
			}
			b = b[k:]
			c.rOff += k
			if c.rOff < size {
				continue
			}
			// message c.rseq+1 is complete
			if done == 0 {
				now = l.now()
			}
			done++
			if now >= warmEnd && now < end {
				l.messages++
				l.hist.Record(now - c.sentAt[c.head])
			}
			c.rOff = 0
			c.rseq++
			c.head = (c.head + 1) % len(c.sentAt)
			c.n--
		}
		if done == 0 {
			continue // a partial message: read on until EAGAIN
		}
		if now < end {
			for ; done > 0; done-- {
				l.queue(c)
			}
			l.flush(c)
		}
		return
	}
}

func (l *loop) mismatch(c *conn) {
	// The stream can no longer be trusted: drop the connection.
	l.mismatches++
	l.noteErr("echo", errors.New("mismatch"))
	l.closeConn(c)
}

func (l *loop) ioFail(c *conn, what string, err error) {
	l.ioErrors++
	l.noteErr(what, err)
	l.closeConn(c)
}

func (l *loop) index(c *conn) int32 { return c.idx }
