package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/net/http2/hpack"
	"golang.org/x/sys/unix"

	"github.com/workerman-go/workerman/bench/internal/procfs"
	"github.com/workerman-go/workerman/protocols/sse"
)

// HTTP/2 event streams (RunH2): many Server-Sent Events streams multiplexed
// over a few HTTP/2 connections, as a browser opens them (over TLS, ALPN
// "h2"), or over cleartext HTTP/2 by prior knowledge (h2c).
//
// Each connection is read by one goroutine of its own (frames: h2frame.go;
// header blocks: golang.org/x/net/http2/hpack): no goroutine and no buffer
// per stream, so that 10,000 streams over 100 connections cost the client
// little next to the server. A connection
// writes the client preface, its SETTINGS (no server push), a
// WINDOW_UPDATE that widens the connection's window, and the HEADERS of
// all its streams at once (GET Path, Accept: text/event-stream, each with
// END_STREAM), then reads: every stream must get a response head with
// :status 200 and a content-type of text/event-stream, and its DATA is
// parsed with sse.Parser. SETTINGS and PING are acknowledged; received
// DATA is given back with WINDOW_UPDATE (stream and connection) once
// enough has accumulated. A stream that the server resets or ends, or
// whose body is not an event stream, fails; so does a connection the
// server closes or sends GOAWAY on while the run goes on.
//
// Events are counted as in the sse mode: an event whose data is a decimal
// Unix time in nanoseconds gives a latency (receipt minus that time; client
// and server share the machine's clock), and events received in the
// window [Warmup, Warmup+Duration) after every head arrived are counted
// (WindowEvents, EventsPerSec) with their latencies (Latency).

// ModeH2SSE is the Mode of the Result of RunH2.
const ModeH2SSE = "h2-sse"

// H2MaxStreams bounds H2Config.Streams.
const H2MaxStreams = 1 << 20

// Flow control of the client: the window of each stream is the protocol's
// default; the connection's is widened to h2ConnWindow; received DATA is
// given back once a stream has h2StreamRefill bytes to give back, or the
// connection h2ConnRefill.
const (
	h2ConnWindow   = 1 << 20
	h2StreamRefill = 32 << 10
	h2ConnRefill   = 256 << 10
)

// H2Config describes a run of RunH2.
type H2Config struct {
	Target string // "127.x.y.z:port"
	// TLS connects with TLS and requires ALPN "h2" (CAFile is then
	// required: the CA that signed the server's certificate, which must
	// hold ServerName, default "localhost"); without it, cleartext HTTP/2
	// by prior knowledge (h2c).
	TLS        bool
	CAFile     string
	ServerName string

	Conns   int    // connections
	Streams int    // streams in all, spread evenly over the connections (at least one each)
	Path    string // the streams' :path (default "/")

	Warmup   time.Duration // unmeasured time once every head arrived
	Duration time.Duration // measured window; with a context that ends earlier, the longest hold. Required.

	// ServerPID, when non-zero, is a process whose CPU time (with its
	// descendants) is read at the start and the end of the window.
	ServerPID int

	ConnectTimeout time.Duration // one connection's TCP connect and TLS handshake; default 5s
	SetupTimeout   time.Duration // all connections and every response head; default 60s

	// OnReady, when set, is called once the connect phase is over with the
	// connections established and the streams whose head arrived.
	OnReady func(conns, streams int)

	// onEvent, when set (tests), is called after each event is counted,
	// from the connections' reader goroutines.
	onEvent func()
}

func (c *H2Config) setDefaults() {
	if c.ServerName == "" {
		c.ServerName = "localhost"
	}
	if c.Path == "" {
		c.Path = "/"
	}
	if c.ConnectTimeout <= 0 {
		c.ConnectTimeout = 5 * time.Second
	}
	if c.SetupTimeout <= 0 {
		c.SetupTimeout = 60 * time.Second
	}
}

// check validates a configuration whose defaults are set.
func (c *H2Config) check() error {
	switch {
	case c.Conns < 1 || c.Conns > DefaultMaxConns:
		return fmt.Errorf("loadgen: Conns must be between 1 and %d, not %d", DefaultMaxConns, c.Conns)
	case c.Streams < c.Conns:
		return fmt.Errorf("loadgen: Streams (%d) must be at least Conns (%d): every connection carries a stream", c.Streams, c.Conns)
	case c.Streams > H2MaxStreams:
		return fmt.Errorf("loadgen: Streams %d exceeds %d", c.Streams, H2MaxStreams)
	case c.Duration <= 0:
		return errors.New("loadgen: Duration must be positive")
	case c.Warmup < 0:
		return errors.New("loadgen: Warmup must not be negative")
	case c.TLS && c.CAFile == "":
		return errors.New("loadgen: HTTP/2 over TLS needs CAFile (the CA certificate that signed the server's)")
	case !strings.HasPrefix(c.Path, "/") || strings.ContainsAny(c.Path, " \r\n"):
		return fmt.Errorf("loadgen: bad path %q", c.Path)
	}
	ap, err := parseLoopback(c.Target, true)
	if err != nil {
		return fmt.Errorf("loadgen: target: %w", err)
	}
	if ap.Port() == 0 {
		return errors.New("loadgen: target port is 0")
	}
	return nil
}

// h2Shares divides n streams over k connections as evenly as possible.
func h2Shares(n, k int) []int {
	out := make([]int, k)
	for i := range out {
		out[i] = n / k
		if i < n%k {
			out[i]++
		}
	}
	return out
}

// h2Window is the measured window, relative to the run's base time; both
// ends are "never" until the connect phase is over.
type h2Window struct {
	warmEnd, end atomic.Int64 // time.Duration
}

// h2Run holds what every connection of a run shares.
type h2Run struct {
	cfg      *H2Config
	tls      *tls.Config // nil: h2c
	base     time.Time
	win      h2Window
	stopping atomic.Bool
}

// H2Result is the outcome of RunH2: a Result (mode ModeH2SSE) and what
// only this mode measures.
type H2Result struct {
	Result
	// ServerWrites is the number of write system calls of the server's
	// process tree (syscw of /proc/PID/io) over the window, when
	// H2Config.ServerPID is set.
	ServerWrites uint64 `json:"server_writes,omitempty"`
}

// RunH2 performs one run of HTTP/2 event streams (see H2Config). Like Run,
// it returns an error only when the run could not take place (a bad
// configuration, an unreadable CA file); failed connections and streams,
// protocol errors and so on are reported in the result with OK false.
func RunH2(ctx context.Context, cfg H2Config) (*H2Result, error) {
	cfg.setDefaults()
	if err := cfg.check(); err != nil {
		return nil, err
	}
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err == nil && uint64(cfg.Conns)+64 > rl.Cur {
		return nil, fmt.Errorf("loadgen: %d connections need more than the descriptor limit %d allows", cfg.Conns, rl.Cur)
	}
	r := &h2Run{cfg: &cfg, base: time.Now()}
	r.win.warmEnd.Store(int64(1<<63 - 1))
	r.win.end.Store(int64(1<<63 - 1))
	if cfg.TLS {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("loadgen: CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("loadgen: CA file %s: no PEM certificate in it", cfg.CAFile)
		}
		r.tls = &tls.Config{RootCAs: pool, ServerName: cfg.ServerName, NextProtos: []string{"h2"}}
	}
	out := &H2Result{Result: Result{Mode: ModeH2SSE, Target: cfg.Target, PID: os.Getpid(), Conns: cfg.Conns, GOMAXPROCS: runtime.GOMAXPROCS(0)}}
	res := &out.Result
	res.CPUs, _, _ = procfs.CPUsAllowed(res.PID)

	// Phase 1: connect (at most 16 handshakes at once), send the requests,
	// and wait for every response head.
	sctx, scancel := context.WithTimeout(ctx, cfg.SetupTimeout)
	defer scancel()
	shares := h2Shares(cfg.Streams, cfg.Conns)
	conns := make([]*h2Conn, len(shares))
	errs := map[string]int{}
	var mu sync.Mutex
	var info *TLSInfo
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	for i, n := range shares {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-sctx.Done():
				mu.Lock()
				errs["connect: "+shortErr(sctx.Err())]++
				mu.Unlock()
				return
			}
			c, cs, err := r.dial(sctx, n)
			<-sem
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs[shortErr(err)]++
				return
			}
			conns[i] = c
			if cs != nil && info == nil {
				info = &TLSInfo{Version: tls.VersionName(cs.Version), CipherSuite: tls.CipherSuiteName(cs.CipherSuite),
					Group: cs.CurveID.String(), ALPN: cs.NegotiatedProtocol, Proto: "HTTP/2.0"}
			}
		}()
	}
	wg.Wait()
	var live []*h2Conn
	for _, c := range conns {
		if c != nil {
			live = append(live, c)
		}
	}
	for _, c := range live {
		select {
		case <-c.ready:
		case <-sctx.Done():
		}
	}
	res.ConnectSec = time.Since(r.base).Seconds()
	res.Established = len(live)
	res.Failed = cfg.Conns - len(live)
	heads := 0
	for _, c := range live {
		heads += int(c.heads.Load())
	}
	// Phase 2: the window (or the hold, until ctx ends), open before
	// OnReady says so; with no connection, nothing to hold.
	start := time.Since(r.base)
	warmEnd, end := start+cfg.Warmup, start+cfg.Warmup+cfg.Duration
	r.win.end.Store(int64(end))
	r.win.warmEnd.Store(int64(warmEnd))
	var cpu0, cpu1 cpuSample
	var w0, w1 uint64
	var werr0, werr1 error = errNoServer, errNoServer
	opened := false
	openWindow := func() { // the samples that open the window
		cpu0, opened = sampleCPU(cfg.ServerPID), true
		if cfg.ServerPID != 0 {
			w0, werr0 = treeWrites(cfg.ServerPID)
		}
	}
	if len(live) > 0 && cfg.Warmup == 0 {
		openWindow() // before OnReady, which may start the events
	}
	if cfg.OnReady != nil {
		cfg.OnReady(len(live), heads)
	}
	if len(live) > 0 && cfg.Warmup > 0 && sleepCtx(ctx, cfg.Warmup) {
		openWindow()
	}
	if opened {
		sleepCtx(ctx, end-time.Since(r.base))
		cpu1 = sampleCPU(cfg.ServerPID)
		if cfg.ServerPID != 0 {
			w1, werr1 = treeWrites(cfg.ServerPID)
		}
	}
	if werr0 == nil && werr1 == nil && w1 >= w0 {
		out.ServerWrites = w1 - w0
	}
	stop := time.Since(r.base)
	res.Interrupted = ctx.Err() != nil
	res.WindowSec = max(0, min(stop, end)-warmEnd).Seconds()
	res.HeldSec = (stop - start).Seconds()

	// Stop: close every connection and collect what its reader saw.
	r.stopping.Store(true)
	for _, c := range live {
		c.closer.Close()
	}
	var h Hist
	for _, c := range live {
		<-c.done
		h.Merge(&c.hist)
		res.Streams += int(c.heads.Load())
		res.HeadFailures += c.headFails
		res.StreamErrors += c.streamErrors
		res.Events += c.events
		res.Comments += c.comments
		res.WindowEvents += c.windowEvents
		res.BadData += c.badData
		if c.peerClosed {
			res.PeerClosed++
		}
		for i := range c.streams {
			if c.streams[i].state == h2Open {
				res.HeldAtEnd++
			}
		}
		for k, v := range c.errs {
			errs[k] += v
		}
	}
	if len(errs) > 0 {
		res.Errors = errs
	}
	res.TLS = info
	if cpu0.busy != nil && len(cpu1.busy) == len(cpu0.busy) {
		res.ClientCPU = (cpu1.self - cpu0.self).Seconds()
		res.CPUBusyPct = procfs.BusyPercent(cpu0.busy, cpu0.total, cpu1.busy, cpu1.total)
		if cfg.ServerPID != 0 && cpu0.okServer && cpu1.okServer {
			res.ServerCPU = (cpu1.server - cpu0.server).Seconds()
			res.ServerSysCPU = (cpu1.serverSys - cpu0.serverSys).Seconds()
		}
	}
	if res.WindowSec > 0 {
		res.EventsPerSec = float64(res.WindowEvents) / res.WindowSec
	}
	res.P50us = us(h.Quantile(0.50))
	res.P99us = us(h.Quantile(0.99))
	res.MaxUs = us(h.Max())
	res.Latency = &h

	var problems []string
	if res.Established < cfg.Conns {
		problems = append(problems, fmt.Sprintf("%d of %d connections failed", cfg.Conns-res.Established, cfg.Conns))
	}
	if missing := cfg.Streams - res.Streams; missing > 0 {
		problems = append(problems, fmt.Sprintf("%d of %d streams got no valid response head", missing, cfg.Streams))
	}
	if n := res.StreamErrors - res.HeadFailures; n > 0 {
		problems = append(problems, fmt.Sprintf("%d streams failed after their head (reset or ended by the server, or not an event stream)", n))
	}
	if res.BadData > 0 {
		problems = append(problems, fmt.Sprintf("%d events without a timestamp as data", res.BadData))
	}
	if res.PeerClosed > 0 {
		problems = append(problems, fmt.Sprintf("%d connections closed by the server (or ended with GOAWAY)", res.PeerClosed))
	}
	res.OK = len(problems) == 0
	res.Error = strings.Join(problems, "; ")
	return out, nil
}

// errNoServer: no server process to read.
var errNoServer = errors.New("no server process")

// treeWrites is the number of write system calls of pid and its
// descendants (syscw of /proc/PID/io, which counts every thread).
func treeWrites(pid int) (uint64, error) {
	pids, err := procfs.Tree(pid)
	if err != nil {
		return 0, err
	}
	var sum uint64
	for _, p := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/io", p))
		if err != nil {
			if p == pid {
				return 0, err
			}
			continue // a child that just exited
		}
		n, err := parseSyscw(b)
		if err != nil {
			return 0, fmt.Errorf("/proc/%d/io: %w", p, err)
		}
		sum += n
	}
	return sum, nil
}

// parseSyscw returns the value of the "syscw: N" line of the text of
// /proc/PID/io.
func parseSyscw(b []byte) (uint64, error) {
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "syscw:"); ok {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("syscw %.20q: %w", v, err)
			}
			return n, nil
		}
	}
	return 0, errors.New("no syscw line")
}

// H2Summary is a one-line human description of r, a result of RunH2.
func H2Summary(r *H2Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: %d/%d connections, %d streams in %.2fs, %d events, %d comments, %d streams open at end; window %.2fs: %d events = %.0f events/s, latency p50 %.1f µs, p99 %.1f µs",
		r.Mode, r.Target, r.Established, r.Conns, r.Streams, r.ConnectSec, r.Events, r.Comments, r.HeldAtEnd,
		r.WindowSec, r.WindowEvents, r.EventsPerSec, r.P50us, r.P99us)
	if r.WindowSec > 0 {
		fmt.Fprintf(&b, ", client CPU %.1f %%", r.ClientCPU/r.WindowSec*100)
		if r.ServerCPU > 0 {
			fmt.Fprintf(&b, ", server CPU %.1f %%", r.ServerCPU/r.WindowSec*100)
		}
		if r.ServerWrites > 0 && r.WindowEvents > 0 {
			fmt.Fprintf(&b, ", server %.2f writes per event", float64(r.ServerWrites)/float64(r.WindowEvents))
		}
	}
	if t := r.TLS; t != nil {
		fmt.Fprintf(&b, "; %s, %s, %s, ALPN %q", t.Version, t.CipherSuite, t.Group, t.ALPN)
	} else {
		b.WriteString("; h2c (prior knowledge)")
	}
	if !r.OK {
		fmt.Fprintf(&b, " — FAILED: %s", r.Error)
	}
	return b.String()
}

// shortErr is a short key for an error, to count errors by kind.
func shortErr(err error) string {
	var errno syscall.Errno
	switch {
	case errors.As(err, &errno):
		return unix.ErrnoName(errno)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "EOF"
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	}
	s := err.Error()
	if len(s) > 100 {
		s = s[:100]
	}
	return s
}

// States of an HTTP/2 stream of the client.
const (
	h2AwaitHead = iota // the request is sent, its response head not received
	h2Open             // an event stream, being read
	h2Done             // failed or ended
)

// h2MaxHeaderBlock bounds a header block (HEADERS and its CONTINUATION
// frames), compressed.
const h2MaxHeaderBlock = 64 << 10

// h2Stream is one event stream of a connection.
type h2Stream struct {
	id      uint32
	state   uint8
	unacked uint32 // DATA received and not yet given back
	parser  sse.Parser
}

// h2Conn is one HTTP/2 connection and its streams. After dial, only its
// reader goroutine touches it, until done is closed.
type h2Conn struct {
	run     *h2Run
	closer  io.Closer // the TCP connection: closing it stops the reader
	bw      *bufio.Writer
	fr      h2FrameReader
	dec     *hpack.Decoder
	streams []h2Stream // stream id 2k+1 is streams[k]
	pending int        // streams still waiting for their head
	heads   atomic.Int64
	ready   chan struct{} // closed when no stream waits for its head
	done    chan struct{} // closed when the reader has returned

	// The header block being received.
	inBlock        bool
	blockStream    uint32
	blockEndStream bool
	blockSize      int
	status, ctype  string

	// The reader's state and counts.
	emitFn               func(sse.Event)
	nowNs                int64
	nowRel               time.Duration
	warmEnd, end         time.Duration
	connUnacked          uint32
	dirty                bool // frames written, to flush
	hist                 Hist
	events, windowEvents uint64
	comments, badData    uint64
	headFails            int
	streamErrors         int
	peerClosed, goAway   bool
	errs                 map[string]int
}

// newH2Conn makes the state of a connection with n streams over closer,
// read through br and written through bw.
func newH2Conn(r *h2Run, closer io.Closer, br *bufio.Reader, bw *bufio.Writer, n int) *h2Conn {
	c := &h2Conn{run: r, closer: closer, bw: bw, fr: h2FrameReader{r: br}, streams: make([]h2Stream, n), pending: n,
		ready: make(chan struct{}), done: make(chan struct{}), errs: map[string]int{}}
	c.emitFn = c.emit
	c.dec = hpack.NewDecoder(4096, c.onField)
	c.dec.SetMaxStringLength(16 << 10)
	for i := range c.streams {
		st := &c.streams[i]
		st.id = uint32(2*i + 1)
		st.parser.OnComment = c.onComment
	}
	return c
}

// dial opens one connection carrying n streams: TCP, TLS with ALPN h2
// (unless h2c), the preface, SETTINGS, a WINDOW_UPDATE and the n requests;
// then it starts the reader. It returns the TLS state (nil for h2c).
func (r *h2Run) dial(ctx context.Context, n int) (*h2Conn, *tls.ConnectionState, error) {
	cfg := r.cfg
	cctx, cancel := context.WithTimeout(ctx, cfg.ConnectTimeout)
	defer cancel()
	d := net.Dialer{}
	nc, err := d.DialContext(cctx, "tcp4", cfg.Target)
	if err != nil {
		return nil, nil, fmt.Errorf("connect: %w", err)
	}
	fail := func(what string, err error) (*h2Conn, *tls.ConnectionState, error) {
		nc.Close()
		return nil, nil, fmt.Errorf("%s: %w", what, err)
	}
	if dl, ok := cctx.Deadline(); ok {
		nc.SetDeadline(dl)
	}
	var rw io.ReadWriter = nc
	var state *tls.ConnectionState
	scheme := "http"
	if r.tls != nil {
		tc := tls.Client(nc, r.tls)
		if err := tc.HandshakeContext(cctx); err != nil {
			return fail("handshake", err)
		}
		cs := tc.ConnectionState()
		if cs.NegotiatedProtocol != "h2" {
			return fail("alpn", fmt.Errorf("the server chose %q, want h2", cs.NegotiatedProtocol))
		}
		rw, state, scheme = tc, &cs, "https"
	}
	c := newH2Conn(r, nc, bufio.NewReaderSize(rw, 32<<10), bufio.NewWriterSize(rw, 16<<10), n)
	if err := c.writeRequests(scheme); err != nil {
		return fail("request", err)
	}
	nc.SetDeadline(time.Time{})
	go c.read()
	return c, state, nil
}

// writeRequests writes the connection's start: the preface, SETTINGS (no
// server push), a WINDOW_UPDATE that widens the connection's window, and
// the HEADERS of every stream.
func (c *h2Conn) writeRequests(scheme string) error {
	cfg := c.run.cfg
	c.bw.WriteString(h2ClientPreface)
	h2WriteFrame(c.bw, h2Settings, 0, 0, []byte{0, h2SettingEnablePush, 0, 0, 0, 0})
	h2WriteUint32(c.bw, h2WindowUpdate, 0, h2ConnWindow-65535)
	var block bytes.Buffer
	enc := hpack.NewEncoder(&block)
	fields := []hpack.HeaderField{
		{Name: ":method", Value: "GET"},
		{Name: ":scheme", Value: scheme},
		{Name: ":authority", Value: cfg.ServerName},
		{Name: ":path", Value: cfg.Path},
		{Name: "accept", Value: "text/event-stream"},
		{Name: "cache-control", Value: "no-cache"},
	}
	for i := range c.streams {
		block.Reset()
		for _, f := range fields {
			if err := enc.WriteField(f); err != nil {
				return err
			}
		}
		if block.Len() > h2MaxFrame {
			return fmt.Errorf("a request's header block of %d bytes does not fit a frame", block.Len())
		}
		h2WriteFrame(c.bw, h2Headers, h2FlagEndStream|h2FlagEndHeaders, c.streams[i].id, block.Bytes())
	}
	return c.bw.Flush()
}

// noteErr counts an error under a short key.
func (c *h2Conn) noteErr(what string, err error) {
	key := what
	if err != nil {
		key += ": " + shortErr(err)
	}
	if len(c.errs) < 64 || c.errs[key] > 0 {
		c.errs[key]++
	}
}

// stream returns the stream id, nil when the connection has none such.
func (c *h2Conn) stream(id uint32) *h2Stream {
	k := int(id-1) / 2
	if id%2 == 0 || k >= len(c.streams) {
		return nil
	}
	return &c.streams[k]
}

// headDone accounts a stream that got its head or failed before.
func (c *h2Conn) headDone() {
	c.pending--
	if c.pending == 0 {
		close(c.ready)
	}
}

// read is the connection's reader goroutine: it reads frames until the
// connection ends, the run stops, or the server breaks the protocol.
func (c *h2Conn) read() {
	defer close(c.done)
	defer func() {
		if c.pending > 0 { // the connection ended before every head came
			for i := range c.streams {
				if st := &c.streams[i]; st.state == h2AwaitHead {
					st.state = h2Done
					c.headFails++
					c.streamErrors++
				}
			}
			c.pending = 0
			close(c.ready)
		}
	}()
	for {
		f, err := c.fr.next()
		if err == nil {
			t := time.Now()
			c.nowNs, c.nowRel = t.UnixNano(), t.Sub(c.run.base)
			err = c.handle(&f)
		}
		if err == nil && c.dirty {
			c.dirty = false
			if err = c.bw.Flush(); err != nil {
				err = fmt.Errorf("write: %w", err)
			}
		}
		if err != nil {
			if !c.run.stopping.Load() {
				c.peerClosed = true
				if errors.Is(err, errH2Protocol) {
					c.noteErr("protocol", err)
				} else {
					c.noteErr("read", err)
				}
				c.closer.Close()
			}
			return
		}
	}
}

// handle acts on one frame; an error ends the connection.
func (c *h2Conn) handle(f *h2Frame) error {
	if c.inBlock && (f.typ != h2Continuation || f.stream != c.blockStream) {
		return fmt.Errorf("%w: frame of type %d inside the header block of stream %d", errH2Protocol, f.typ, c.blockStream)
	}
	n := len(f.payload)
	switch f.typ {
	case h2Data:
		if f.stream == 0 {
			return fmt.Errorf("%w: DATA on stream 0", errH2Protocol)
		}
		data, err := h2Unpad(f)
		if err != nil {
			return err
		}
		c.onData(f.stream, data, uint32(n), f.has(h2FlagEndStream))
	case h2Headers:
		if f.stream == 0 {
			return fmt.Errorf("%w: HEADERS on stream 0", errH2Protocol)
		}
		frag, err := h2Unpad(f)
		if err != nil {
			return err
		}
		c.inBlock, c.blockStream, c.blockEndStream, c.blockSize = true, f.stream, f.has(h2FlagEndStream), 0
		c.status, c.ctype = "", ""
		return c.blockFragment(frag, f.has(h2FlagEndHeaders))
	case h2Continuation:
		if !c.inBlock {
			return fmt.Errorf("%w: CONTINUATION outside a header block", errH2Protocol)
		}
		return c.blockFragment(f.payload, f.has(h2FlagEndHeaders))
	case h2Settings:
		switch {
		case f.stream != 0 || n%6 != 0 || (f.has(h2FlagAck) && n != 0):
			return fmt.Errorf("%w: malformed SETTINGS (stream %d, %d bytes)", errH2Protocol, f.stream, n)
		case !f.has(h2FlagAck):
			c.dirty = true
			return h2WriteFrame(c.bw, h2Settings, h2FlagAck, 0, nil)
		}
	case h2Ping:
		if f.stream != 0 || n != 8 {
			return fmt.Errorf("%w: malformed PING (stream %d, %d bytes)", errH2Protocol, f.stream, n)
		}
		if !f.has(h2FlagAck) {
			c.dirty = true
			return h2WriteFrame(c.bw, h2Ping, h2FlagAck, 0, f.payload)
		}
	case h2RSTStream:
		if f.stream == 0 || n != 4 {
			return fmt.Errorf("%w: malformed RST_STREAM (stream %d, %d bytes)", errH2Protocol, f.stream, n)
		}
		if st := c.stream(f.stream); st != nil && st.state != h2Done {
			c.fail(st, "reset", fmt.Errorf("RST_STREAM with error code %d", binary.BigEndian.Uint32(f.payload)), false)
		}
	case h2GoAway:
		if f.stream != 0 || n < 8 {
			return fmt.Errorf("%w: malformed GOAWAY (stream %d, %d bytes)", errH2Protocol, f.stream, n)
		}
		if !c.goAway && !c.run.stopping.Load() {
			c.goAway, c.peerClosed = true, true
			debug := f.payload[8:]
			if len(debug) > 80 {
				debug = debug[:80]
			}
			c.noteErr("goaway", fmt.Errorf("error code %d, %q", binary.BigEndian.Uint32(f.payload[4:]), debug))
		}
	case h2PushPromise:
		return fmt.Errorf("%w: PUSH_PROMISE, though the client disabled push", errH2Protocol)
	case h2WindowUpdate:
		if n != 4 {
			return fmt.Errorf("%w: WINDOW_UPDATE of %d bytes", errH2Protocol, n)
		}
	}
	// PRIORITY and unknown frame types are ignored (RFC 9113 §4.1, §5.3.2).
	return nil
}

// blockFragment decodes a fragment of the header block being received and,
// at its end, acts on the head.
func (c *h2Conn) blockFragment(frag []byte, end bool) error {
	c.blockSize += len(frag)
	if c.blockSize > h2MaxHeaderBlock {
		return fmt.Errorf("%w: a header block of more than %d bytes", errH2Protocol, h2MaxHeaderBlock)
	}
	if _, err := c.dec.Write(frag); err != nil {
		return fmt.Errorf("%w: HPACK: %v", errH2Protocol, err)
	}
	if !end {
		return nil
	}
	c.inBlock = false
	if err := c.dec.Close(); err != nil {
		return fmt.Errorf("%w: HPACK: %v", errH2Protocol, err)
	}
	c.onHead(c.blockStream, c.blockEndStream)
	return nil
}

// onField notes the fields of a response head that the client checks.
func (c *h2Conn) onField(f hpack.HeaderField) {
	switch f.Name {
	case ":status":
		c.status = f.Value
	case "content-type":
		c.ctype = f.Value
	}
}

// onHead checks the response head of a stream (endStream: the HEADERS
// frame ended it).
func (c *h2Conn) onHead(id uint32, endStream bool) {
	st := c.stream(id)
	switch {
	case st == nil:
		c.noteErr("headers", fmt.Errorf("on stream %d, which the client did not open", id))
		return
	case st.state == h2Done:
		return
	case st.state == h2Open: // trailers: the end of the stream
		c.fail(st, "stream", errors.New("the server ended the stream (trailers)"), !endStream)
		return
	}
	var err error
	switch {
	case c.status != "200":
		err = fmt.Errorf(":status %q, want 200", c.status)
	case !strings.HasPrefix(c.ctype, "text/event-stream"):
		err = fmt.Errorf("content-type %q, want text/event-stream", c.ctype)
	case endStream:
		err = errors.New("the server ended the stream with its head")
	}
	if err != nil {
		c.fail(st, "head", err, !endStream)
		return
	}
	st.state = h2Open
	c.heads.Add(1)
	c.headDone()
}

// onData feeds a stream's DATA to its parser and gives the flow-control
// credit back (n: the frame's length, padding included).
func (c *h2Conn) onData(id uint32, data []byte, n uint32, endStream bool) {
	c.connUnacked += n
	if c.connUnacked >= h2ConnRefill {
		c.write("window update", h2WriteUint32(c.bw, h2WindowUpdate, 0, c.connUnacked))
		c.connUnacked = 0
	}
	st := c.stream(id)
	if st == nil || st.state == h2Done {
		return
	}
	if st.state == h2AwaitHead {
		c.fail(st, "data", errors.New("DATA before the response head"), !endStream)
		return
	}
	c.warmEnd, c.end = time.Duration(c.run.win.warmEnd.Load()), time.Duration(c.run.win.end.Load())
	if err := st.parser.Feed(data, c.emitFn); err != nil {
		c.fail(st, "sse", err, !endStream)
		return
	}
	if endStream {
		c.fail(st, "stream", errors.New("the server ended the stream"), false)
		return
	}
	st.unacked += n
	if st.unacked >= h2StreamRefill {
		c.write("window update", h2WriteUint32(c.bw, h2WindowUpdate, st.id, st.unacked))
		st.unacked = 0
	}
}

// write notes that a frame was written (err: it could not be).
func (c *h2Conn) write(what string, err error) {
	c.dirty = true
	if err != nil && !c.run.stopping.Load() {
		c.noteErr(what, err)
	}
}

// fail drops a stream: a failed head, a broken event stream, or one the
// server reset or ended; reset sends RST_STREAM (CANCEL) for a stream the
// server still has open.
func (c *h2Conn) fail(st *h2Stream, what string, err error, reset bool) {
	if st.state == h2AwaitHead {
		c.headFails++
		c.headDone()
	}
	st.state = h2Done
	c.streamErrors++
	c.noteErr(what, err)
	if reset {
		c.write("reset", h2WriteUint32(c.bw, h2RSTStream, st.id, h2ErrCancel))
	}
}

// emit counts an event and records its latency.
func (c *h2Conn) emit(e sse.Event) {
	if c.run.cfg.onEvent != nil {
		defer c.run.cfg.onEvent()
	}
	c.events++
	ts, err := strconv.ParseInt(e.Data, 10, 64)
	if err != nil {
		c.badData++
		return
	}
	if c.nowRel >= c.warmEnd && c.nowRel < c.end {
		c.windowEvents++
		c.hist.Record(time.Duration(c.nowNs - ts))
	}
}

func (c *h2Conn) onComment(string) { c.comments++ }
