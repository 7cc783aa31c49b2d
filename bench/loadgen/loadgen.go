// Package loadgen is a TCP load generator for loopback benchmarks.
//
// It drives connections with raw non-blocking sockets and a few epoll loops
// (golang.org/x/sys/unix), never a goroutine per connection, so that the
// client costs little next to the server under test and can hold tens of
// thousands of connections. The modes:
//
//   - echo: every connection keeps Depth messages of Size bytes in flight
//     (default one: send, wait for the complete echo, verify it byte for
//     byte, repeat; with Depth > 1 the echoes are verified in order and each
//     completed message is replaced by a new one) for Duration after an
//     optional Warmup; the result holds messages/s, MB/s and a latency
//     histogram.
//   - idle: open Conns connections, report them (OnReady), then hold them
//     without sending anything until Duration ends or the context is
//     cancelled; connections closed by the server are counted.
//   - sse: every connection is a Server-Sent Events stream (GET with
//     Accept: text/event-stream, the response parsed with sse.Parser);
//     events are counted and the latency from the timestamp they carry
//     to their receipt recorded, over a window (periodic events) or for a
//     fan-out schedule of publishes (see sse.go).
//   - ws-echo, ws-idle, ws-broadcast: every connection is a WebSocket
//     (handshake checked, masked client frames, server frames read by
//     wsframe.Assembler), then the echo schedule with text messages, an
//     idle hold, or the fan-out schedule of the sse mode (see ws.go).
//   - tls-handshake, tls-idle, tls-sse: HTTP/1.1 over TLS with Go's
//     crypto/tls and a goroutine per connection (the exception): full
//     handshakes for a fixed time, or connections (streams) opened with a
//     handshake and one request and then held (see tls.go).
//
// Targets and source addresses must be IPv4 loopback (127.0.0.0/8).
// Connects are non-blocking, at most Burst in flight, with bounded retries.
package loadgen

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/workerman-go/workerman/bench/internal/procfs"
)

// Modes.
const (
	ModeEcho        = "echo"
	ModeIdle        = "idle"
	ModeSSE         = "sse"
	ModeWSEcho      = "ws-echo"
	ModeWSIdle      = "ws-idle"
	ModeWSBroadcast = "ws-broadcast"
)

// Modes lists the modes.
var Modes = []string{ModeEcho, ModeIdle, ModeSSE, ModeWSEcho, ModeWSIdle, ModeWSBroadcast, ModeTLSHandshake, ModeTLSIdle, ModeTLSSSE}

// DefaultMaxConns is the most connections one process opens by default: the
// machine allows 20,000 descriptors per process and a few are needed for
// other things. Spread more over several processes.
const DefaultMaxConns = 19000

// MaxDepth bounds Config.Depth, the messages in flight per connection.
const MaxDepth = 4096

// Config describes one run.
type Config struct {
	Mode   string // one of Modes
	Target string // "127.x.y.z:port"
	Conns  int    // connections to open

	// Sources are the loopback addresses client sockets are bound to, round
	// robin, before connecting. Empty: let the kernel choose (127.0.0.1).
	// Each source address has its own ephemeral port range towards a target.
	Sources []string

	Size     int           // echo, ws-echo: message size in bytes (default 64)
	Depth    int           // echo, ws-echo: messages in flight per connection (default 1)
	Warmup   time.Duration // echo, ws-echo, sse: run this long before measuring
	Duration time.Duration // echo, ws-echo, sse: measured time; idle, sse: longest hold. Required.

	// sse, and the WebSocket modes (Path; ws-broadcast: the Publish fields)
	Path           string        // the streams' (WebSockets') request target (default "/")
	Publishes      int           // fan-out: publishes awaited one at a time at every stream
	PublishBurst   int           // fan-out: publishes sent back to back after them
	PublishPath    string        // fan-out: POSTed to publish (default "/publish")
	PublishTarget  string        // fan-out: where to POST, "127.x.y.z:port" (default Target)
	PublishGap     time.Duration // fan-out: pause after each awaited publish (default 20ms)
	PublishTimeout time.Duration // fan-out: limit for one publish, or the burst, to reach every stream (default 10s)

	Loops          int           // epoll loops (goroutines); default 1
	Burst          int           // most connects in flight at once; default 200
	Retries        int           // retries per connection (EAGAIN, ECONNREFUSED, timeout...); default 5
	ConnectTimeout time.Duration // per attempt; default 3s
	SetupTimeout   time.Duration // whole connect phase; default 60s
	MaxConns       int           // refuse to open more; default DefaultMaxConns

	// ServerPID, when non-zero, is a process whose CPU time (with its
	// descendants) is sampled over the measured echo or sse window (the
	// fan-out schedule in sse mode).
	ServerPID int

	// The TLS modes: CAFile is the PEM file of the CA that signed the
	// server's certificate, ServerName the name the certificate must hold
	// (default "localhost"; also the request's Host); TLSVerifyEach
	// verifies the chain on every handshake rather than on the first one
	// only (see tls.go).
	CAFile        string
	ServerName    string
	TLSVerifyEach bool

	// OnReady, when set, is called once the connect phase is over with the
	// number of established connections, before the echo or hold phase.
	OnReady func(established int)
}

// Result is the outcome of a run; it is what the loadgen command prints as
// one JSON line.
type Result struct {
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`

	Mode   string `json:"mode"`
	Target string `json:"target"`
	PID    int    `json:"pid"`
	// CPUs is the CPU list this process may run on (Cpus_allowed_list,
	// "0-1", "1"...) and GOMAXPROCS the Go scheduler's parallelism, both
	// as the run started: the compare driver checks its pinning with them.
	CPUs       string `json:"cpus,omitempty"`
	GOMAXPROCS int    `json:"gomaxprocs,omitempty"`

	Conns          int            `json:"conns"`
	Established    int            `json:"established"`
	Failed         int            `json:"failed"`
	ConnectRetries int            `json:"connect_retries"`
	ConnectSec     float64        `json:"connect_sec"`
	Errors         map[string]int `json:"errors,omitempty"` // error -> count

	// echo
	Size       int     `json:"size,omitempty"`
	Depth      int     `json:"depth,omitempty"`
	WindowSec  float64 `json:"window_sec,omitempty"`
	Messages   uint64  `json:"messages,omitempty"`
	MsgsPerSec float64 `json:"msgs_per_sec,omitempty"`
	MBPerSec   float64 `json:"mb_per_sec,omitempty"` // echoed payload, one direction, 1e6 bytes
	P50us      float64 `json:"p50_us,omitempty"`
	P99us      float64 `json:"p99_us,omitempty"`
	MaxUs      float64 `json:"max_us,omitempty"`
	Mismatches uint64  `json:"mismatches"`
	IOErrors   uint64  `json:"io_errors"`
	Latency    *Hist   `json:"latency,omitempty"`
	ServerCPU  float64 `json:"server_cpu_sec,omitempty"` // over the window
	// ServerSysCPU is the system (kernel) part of ServerCPU.
	ServerSysCPU float64 `json:"server_sys_cpu_sec,omitempty"`
	ClientCPU    float64 `json:"client_cpu_sec"` // this process, over the window or hold
	// CPUBusyPct is how busy each CPU of the machine was over the echo
	// window, in %, whatever ran on it (/proc/stat); index: CPU number.
	CPUBusyPct  []float64 `json:"cpu_busy_pct,omitempty"`
	Interrupted bool      `json:"interrupted,omitempty"`

	// sse (WindowSec, P50us, P99us, MaxUs, Latency, ServerCPU, ClientCPU
	// and CPUBusyPct as for echo: the window, or the fan-out schedule)
	Streams      int     `json:"streams,omitempty"`       // response heads received (sse: streams; ws-*: 101 handshakes)
	HeadFailures int     `json:"head_failures,omitempty"` // streams without a valid head
	StreamErrors int     `json:"stream_errors,omitempty"` // streams dropped for a protocol error
	Events       uint64  `json:"events,omitempty"`        // all events received
	Comments     uint64  `json:"comments,omitempty"`      // comment lines (heartbeats)
	WindowEvents uint64  `json:"window_events,omitempty"` // periodic events received in the window
	EventsPerSec float64 `json:"events_per_sec,omitempty"`
	BadData      uint64  `json:"bad_data,omitempty"`     // events whose data is not a timestamp
	OutOfOrder   uint64  `json:"out_of_order,omitempty"` // events whose id is not the last one + 1
	// Short counts streams that did not receive every fan-out event.
	Short        int           `json:"short,omitempty"`
	Fanout       *FanoutResult `json:"fanout,omitempty"`
	BurstP50us   float64       `json:"burst_p50_us,omitempty"`
	BurstP99us   float64       `json:"burst_p99_us,omitempty"`
	BurstLatency *Hist         `json:"burst_latency,omitempty"`

	// tls-handshake: connections (each a full handshake, a request and its
	// response) completed in the window, and their rate; P50us, P99us,
	// MaxUs and Latency are the times from connect to the end of the
	// handshake. All TLS modes: TLS.
	Handshakes       uint64   `json:"handshakes,omitempty"`
	HandshakesPerSec float64  `json:"handshakes_per_sec,omitempty"`
	TLS              *TLSInfo `json:"tls,omitempty"`

	// idle
	HeldSec         float64 `json:"held_sec,omitempty"`
	HeldAtEnd       int     `json:"held_at_end"`
	PeerClosed      int     `json:"peer_closed"`
	UnexpectedBytes uint64  `json:"unexpected_bytes,omitempty"`
}

func (c *Config) setDefaults() {
	if c.Size <= 0 {
		c.Size = 64
	}
	if c.Depth <= 0 {
		c.Depth = 1
	}
	if c.Loops <= 0 {
		c.Loops = 1
	}
	if c.Burst <= 0 {
		c.Burst = 200
	}
	if c.Retries < 0 {
		c.Retries = 0
	} else if c.Retries == 0 {
		c.Retries = 5
	}
	if c.ConnectTimeout <= 0 {
		c.ConnectTimeout = 3 * time.Second
	}
	if c.SetupTimeout <= 0 {
		c.SetupTimeout = 60 * time.Second
	}
	if c.MaxConns <= 0 {
		c.MaxConns = DefaultMaxConns
	}
	if c.Path == "" {
		c.Path = "/"
	}
	if c.PublishPath == "" {
		c.PublishPath = "/publish"
	}
	if c.PublishGap <= 0 {
		c.PublishGap = 20 * time.Millisecond
	}
	if c.PublishTimeout <= 0 {
		c.PublishTimeout = 10 * time.Second
	}
	if c.ServerName == "" {
		c.ServerName = "localhost"
	}
}

// fanoutMode tells whether an sse or ws-broadcast run publishes.
func (c *Config) fanoutMode() bool {
	return (c.Mode == ModeSSE || c.Mode == ModeWSBroadcast) && (c.Publishes > 0 || c.PublishBurst > 0)
}

// ws tells whether the connections are WebSockets.
func (c *Config) ws() bool {
	return c.Mode == ModeWSEcho || c.Mode == ModeWSIdle || c.Mode == ModeWSBroadcast
}

// echoMode tells whether the run is an echo schedule.
func (c *Config) echoMode() bool { return c.Mode == ModeEcho || c.Mode == ModeWSEcho }

// heads tells whether every connection sends a request and waits for a
// response head (an event stream, a WebSocket handshake) before the run.
func (c *Config) heads() bool { return c.Mode == ModeSSE || c.ws() }

func parseLoopback(s string, port bool) (netip.AddrPort, error) {
	var ap netip.AddrPort
	var err error
	if port {
		ap, err = netip.ParseAddrPort(s)
	} else {
		var a netip.Addr
		a, err = netip.ParseAddr(s)
		ap = netip.AddrPortFrom(a, 0)
	}
	if err != nil {
		return ap, err
	}
	a := ap.Addr().Unmap()
	if !a.Is4() || !a.IsLoopback() {
		return ap, fmt.Errorf("%s is not an IPv4 loopback address (127.0.0.0/8)", s)
	}
	return netip.AddrPortFrom(a, ap.Port()), nil
}

// Run performs one load generation run. It returns an error only when the
// run could not take place (bad configuration, no epoll); connection
// failures, mismatches and so on are reported in the Result with OK false.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	cfg.setDefaults()
	known := false
	for _, m := range Modes {
		known = known || cfg.Mode == m
	}
	if !known {
		return nil, fmt.Errorf("loadgen: unknown mode %q (known: %s)", cfg.Mode, strings.Join(Modes, ", "))
	}
	if cfg.Mode == ModeWSBroadcast && !cfg.fanoutMode() {
		return nil, errors.New("loadgen: ws-broadcast needs Publishes or PublishBurst")
	}
	if cfg.Conns <= 0 {
		return nil, errors.New("loadgen: Conns must be positive")
	}
	if cfg.Conns > cfg.MaxConns {
		return nil, fmt.Errorf("loadgen: %d connections exceed the per-process limit %d; use several processes", cfg.Conns, cfg.MaxConns)
	}
	if cfg.Duration <= 0 {
		return nil, errors.New("loadgen: Duration must be positive")
	}
	if cfg.Depth > MaxDepth {
		return nil, fmt.Errorf("loadgen: Depth %d exceeds %d", cfg.Depth, MaxDepth)
	}
	if cfg.Publishes < 0 || cfg.PublishBurst < 0 {
		return nil, errors.New("loadgen: Publishes and PublishBurst must not be negative")
	}
	for _, p := range []string{cfg.Path, cfg.PublishPath} {
		if !strings.HasPrefix(p, "/") || strings.ContainsAny(p, " \r\n") {
			return nil, fmt.Errorf("loadgen: bad path %q", p)
		}
	}
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err == nil && uint64(cfg.Conns)+64 > rl.Cur {
		return nil, fmt.Errorf("loadgen: %d connections need more than the descriptor limit %d allows", cfg.Conns, rl.Cur)
	}
	target, err := parseLoopback(cfg.Target, true)
	if err != nil {
		return nil, fmt.Errorf("loadgen: target: %w", err)
	}
	if target.Port() == 0 {
		return nil, errors.New("loadgen: target port is 0")
	}
	if cfg.PublishTarget != "" {
		if _, err := parseLoopback(cfg.PublishTarget, true); err != nil {
			return nil, fmt.Errorf("loadgen: publish target: %w", err)
		}
	}
	var sources []unix.SockaddrInet4
	for _, s := range cfg.Sources {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		ap, err := parseLoopback(s, false)
		if err != nil {
			return nil, fmt.Errorf("loadgen: source: %w", err)
		}
		sources = append(sources, unix.SockaddrInet4{Addr: ap.Addr().As4()})
	}

	nl := cfg.Loops
	if nl > cfg.Conns {
		nl = cfg.Conns
	}
	base := time.Now()
	res := &Result{Mode: cfg.Mode, Target: target.String(), PID: unix.Getpid(), Conns: cfg.Conns,
		GOMAXPROCS: runtime.GOMAXPROCS(0)}
	res.CPUs, _, _ = procfs.CPUsAllowed(res.PID)
	if cfg.echoMode() {
		res.Size, res.Depth = cfg.Size, cfg.Depth
	}
	if cfg.tlsMode() {
		addrs := make([]netip.Addr, len(sources))
		for i, s := range sources {
			addrs[i] = netip.AddrFrom4(s.Addr)
		}
		return runTLS(ctx, &cfg, res, target, addrs)
	}
	loops := make([]*loop, 0, nl)
	defer func() {
		for _, l := range loops {
			l.closeAll()
		}
	}()
	burst := (cfg.Burst + nl - 1) / nl
	for i := 0; i < nl; i++ {
		l, err := newLoop(&cfg, base, i, nl, target, sources, burst)
		if err != nil {
			return nil, fmt.Errorf("loadgen: %w", err)
		}
		loops = append(loops, l)
	}

	// Phase 1: connect (and, for sse and WebSockets, receive the response
	// heads).
	setupEnd := time.Since(base) + cfg.SetupTimeout
	parallel(loops, func(l *loop) { l.connectAll(ctx, setupEnd) })
	if cfg.heads() {
		parallel(loops, func(l *loop) { l.awaitHeads(ctx, setupEnd) })
	}
	res.ConnectSec = time.Since(base).Seconds()
	established := 0
	for _, l := range loops {
		if cfg.heads() {
			established += l.heads
		} else {
			established += l.established
		}
	}
	if cfg.OnReady != nil {
		cfg.OnReady(established)
	}

	// Phase 2: echo or hold.
	cpu0 := cpuSample{}
	var cpu1 cpuSample
	mode := cfg.Mode
	if established == 0 {
		mode = "" // nothing to drive or hold
	}
	if mode != "" && cfg.fanoutMode() {
		mode = "fanout"
	}
	switch mode {
	case "fanout":
		f := newFanout()
		for _, l := range loops {
			l.fan = f
		}
		pctx, stop := context.WithCancel(ctx)
		var fr FanoutResult
		var wg sync.WaitGroup
		wg.Add(1)
		start := time.Now()
		go func() {
			defer wg.Done()
			defer stop()
			fr, cpu0, cpu1 = publisher(pctx, &cfg, f, established)
		}()
		// The loops read until the schedule ends (bounded by Duration).
		end := time.Since(base) + cfg.Duration
		parallel(loops, func(l *loop) { l.streamRecv(pctx, 0, end) })
		stop()
		wg.Wait()
		res.Fanout = &fr
		res.WindowSec = time.Since(start).Seconds()
		res.Interrupted = ctx.Err() != nil
	case ModeEcho, ModeWSEcho, ModeSSE:
		start := time.Since(base)
		warmEnd := start + cfg.Warmup
		end := warmEnd + cfg.Duration
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { // sample CPU when the measured window opens
			defer wg.Done()
			t := time.NewTimer(cfg.Warmup)
			defer t.Stop()
			select {
			case <-t.C:
			case <-ctx.Done():
			}
			cpu0 = sampleCPU(cfg.ServerPID)
		}()
		if cfg.echoMode() {
			parallel(loops, func(l *loop) { l.echo(ctx, warmEnd, end) })
		} else {
			parallel(loops, func(l *loop) { l.streamRecv(ctx, warmEnd, end) })
		}
		cpu1 = sampleCPU(cfg.ServerPID)
		wg.Wait()
		stop := time.Since(base)
		if stop > end {
			stop = end
		}
		if stop < warmEnd {
			stop = warmEnd
		}
		res.WindowSec = (stop - warmEnd).Seconds()
		res.Interrupted = ctx.Err() != nil
	case ModeIdle, ModeWSIdle:
		start := time.Since(base)
		cpu0 = sampleCPU(0)
		parallel(loops, func(l *loop) { l.hold(ctx, start+cfg.Duration) })
		cpu1 = sampleCPU(0)
		res.HeldSec = (time.Since(base) - start).Seconds()
	}
	res.ClientCPU = (cpu1.self - cpu0.self).Seconds()
	if mode != ModeIdle && mode != ModeWSIdle && cpu0.busy != nil && len(cpu1.busy) == len(cpu0.busy) {
		res.CPUBusyPct = procfs.BusyPercent(cpu0.busy, cpu0.total, cpu1.busy, cpu1.total)
	}
	if cfg.ServerPID != 0 && cpu0.okServer && cpu1.okServer {
		res.ServerCPU = (cpu1.server - cpu0.server).Seconds()
		res.ServerSysCPU = (cpu1.serverSys - cpu0.serverSys).Seconds()
	}

	// Aggregate.
	var h, bh Hist
	errs := map[string]int{}
	for _, l := range loops {
		res.Established += l.established
		res.Failed += l.failed
		res.ConnectRetries += l.retries
		res.PeerClosed += l.peerClosed
		res.Messages += l.messages
		res.Mismatches += l.mismatches
		res.IOErrors += l.ioErrors
		res.UnexpectedBytes += l.unexpected
		res.HeldAtEnd += l.open
		for k, v := range l.errs {
			errs[k] += v
		}
		h.Merge(&l.hist)
		bh.Merge(&l.burstHist)
		res.Streams += l.heads
		res.HeadFailures += l.headFails
		res.StreamErrors += l.streamErrors
		res.Events += l.nEvents
		res.Comments += l.comments
		res.WindowEvents += l.windowEvents
		res.BadData += l.badData
		res.OutOfOrder += l.outOfOrder
		if res.Fanout != nil && res.Fanout.Error == "" {
			want := uint64(cfg.Publishes + cfg.PublishBurst)
			for i := range l.conns {
				if last, ok := l.lastID(&l.conns[i]); ok && last != want {
					res.Short++
				}
			}
		}
	}
	if len(errs) > 0 {
		res.Errors = errs
	}
	if cfg.echoMode() {
		if res.WindowSec > 0 {
			res.MsgsPerSec = float64(res.Messages) / res.WindowSec
			res.MBPerSec = float64(res.Messages) * float64(cfg.Size) / res.WindowSec / 1e6
		}
		res.P50us = us(h.Quantile(0.50))
		res.P99us = us(h.Quantile(0.99))
		res.MaxUs = us(h.Max())
		res.Latency = &h
	}
	if cfg.Mode == ModeSSE || cfg.Mode == ModeWSBroadcast {
		if res.WindowSec > 0 && res.Fanout == nil {
			res.EventsPerSec = float64(res.WindowEvents) / res.WindowSec
		}
		res.P50us = us(h.Quantile(0.50))
		res.P99us = us(h.Quantile(0.99))
		res.MaxUs = us(h.Max())
		res.Latency = &h
		if bh.Count() > 0 {
			res.BurstP50us = us(bh.Quantile(0.50))
			res.BurstP99us = us(bh.Quantile(0.99))
			res.BurstLatency = &bh
		}
	}

	var problems []string
	if res.Failed > 0 || res.Established < res.Conns {
		problems = append(problems, fmt.Sprintf("%d of %d connections failed", res.Conns-res.Established, res.Conns))
	}
	if cfg.heads() {
		what := "streams"
		if cfg.ws() {
			what = "WebSocket connections"
		}
		if res.HeadFailures > 0 {
			problems = append(problems, fmt.Sprintf("%d %s got no valid response head", res.HeadFailures, what))
		}
		if res.StreamErrors > res.HeadFailures {
			problems = append(problems, fmt.Sprintf("%d %s broke the protocol", res.StreamErrors-res.HeadFailures, what))
		}
		if res.BadData > 0 {
			problems = append(problems, fmt.Sprintf("%d events without a timestamp as data", res.BadData))
		}
		if res.OutOfOrder > 0 {
			problems = append(problems, fmt.Sprintf("%d events out of order (id not the previous one + 1)", res.OutOfOrder))
		}
		if res.Fanout != nil && res.Fanout.Error != "" {
			problems = append(problems, res.Fanout.Error)
		}
		if res.Short > 0 {
			problems = append(problems, fmt.Sprintf("%d streams missed fan-out events", res.Short))
		}
	}
	if res.Mismatches > 0 {
		problems = append(problems, fmt.Sprintf("%d echo mismatches", res.Mismatches))
	}
	if res.IOErrors > 0 {
		problems = append(problems, fmt.Sprintf("%d I/O errors", res.IOErrors))
	}
	if res.PeerClosed > 0 {
		problems = append(problems, fmt.Sprintf("%d connections closed by the server", res.PeerClosed))
	}
	if res.UnexpectedBytes > 0 {
		problems = append(problems, fmt.Sprintf("%d unexpected bytes received on idle connections", res.UnexpectedBytes))
	}
	if cfg.echoMode() && res.Messages == 0 && !res.Interrupted {
		problems = append(problems, "no message completed")
	}
	res.OK = len(problems) == 0
	res.Error = strings.Join(problems, "; ")
	return res, nil
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

type cpuSample struct {
	self        time.Duration
	server      time.Duration // user + system
	serverSys   time.Duration
	okServer    bool
	busy, total []uint64 // per CPU, clock ticks
}

func sampleCPU(serverPID int) cpuSample {
	var s cpuSample
	var ru unix.Rusage
	if unix.Getrusage(unix.RUSAGE_SELF, &ru) == nil {
		s.self = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	if serverPID != 0 {
		if u, sys, err := procfs.TreeCPUSplit(serverPID); err == nil {
			s.server, s.serverSys, s.okServer = u+sys, sys, true
		}
	}
	s.busy, s.total, _ = procfs.CPUTicks()
	return s
}

func parallel(loops []*loop, f func(*loop)) {
	if len(loops) == 1 {
		f(loops[0])
		return
	}
	var wg sync.WaitGroup
	for _, l := range loops {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(l)
		}()
	}
	wg.Wait()
}

// Summary is a one-line human description of r.
func (r *Result) Summary() string {
	var b strings.Builder
	switch r.Mode {
	case ModeEcho, ModeWSEcho:
		fmt.Fprintf(&b, "%s %s: %d/%d conns × %d in flight, %d B msgs, %.0f msg/s, %.2f MB/s, p50 %.1f µs, p99 %.1f µs, max %.1f µs over %.2fs",
			r.Mode, r.Target, r.Established, r.Conns, r.Depth, r.Size, r.MsgsPerSec, r.MBPerSec, r.P50us, r.P99us, r.MaxUs, r.WindowSec)
		if r.ServerCPU > 0 && r.Messages > 0 {
			fmt.Fprintf(&b, ", server CPU %.2f µs/msg", r.ServerCPU*1e6/float64(r.Messages))
		}
	case ModeIdle, ModeWSIdle:
		fmt.Fprintf(&b, "%s %s: %d/%d conns established in %.2fs, held %.1fs, %d open at end",
			r.Mode, r.Target, r.Established, r.Conns, r.ConnectSec, r.HeldSec, r.HeldAtEnd)
		if r.Mode == ModeWSIdle {
			fmt.Fprintf(&b, ", %d handshakes", r.Streams)
		}
	case ModeTLSHandshake:
		fmt.Fprintf(&b, "%s %s: %d workers, %d connections (full handshake + request) in %.2fs = %.0f/s, handshake p50 %.1f µs, p99 %.1f µs",
			r.Mode, r.Target, r.Conns, r.Handshakes, r.WindowSec, r.HandshakesPerSec, r.P50us, r.P99us)
		if r.ServerCPU > 0 && r.Handshakes > 0 {
			fmt.Fprintf(&b, ", server CPU %.1f µs/handshake", r.ServerCPU*1e6/float64(r.Handshakes))
		}
	case ModeTLSIdle, ModeTLSSSE:
		fmt.Fprintf(&b, "%s %s: %d/%d conns established in %.2fs, held %.1fs, %d open at end",
			r.Mode, r.Target, r.Established, r.Conns, r.ConnectSec, r.HeldSec, r.HeldAtEnd)
	case ModeSSE, ModeWSBroadcast:
		fmt.Fprintf(&b, "%s %s: %d/%d streams in %.2fs, %d events, %d comments, %d open at end",
			r.Mode, r.Target, r.Streams, r.Conns, r.ConnectSec, r.Events, r.Comments, r.HeldAtEnd)
		if f := r.Fanout; f != nil {
			fmt.Fprintf(&b, "; fan-out: %d/%d publishes reached every stream (complete p50 %.0f µs, max %.0f µs), latency p50 %.1f µs, p99 %.1f µs; burst of %d: %d events in %.3fs = %.0f events/s (p50 %.1f µs, p99 %.1f µs)",
				f.Completed, f.Publishes, f.CompleteP50us, f.CompleteMaxUs, r.P50us, r.P99us, f.Burst, f.BurstEvents, f.BurstSec, f.BurstEventsPerSec, r.BurstP50us, r.BurstP99us)
		} else {
			fmt.Fprintf(&b, "; window %.2fs: %d events = %.0f events/s, latency p50 %.1f µs, p99 %.1f µs",
				r.WindowSec, r.WindowEvents, r.EventsPerSec, r.P50us, r.P99us)
		}
		if r.ServerCPU > 0 && r.WindowSec > 0 {
			fmt.Fprintf(&b, ", server CPU %.1f %%", r.ServerCPU/r.WindowSec*100)
		}
	}
	if t := r.TLS; t != nil {
		fmt.Fprintf(&b, "; %s, %s, %s, ALPN %q, %s", t.Version, t.CipherSuite, t.Group, t.ALPN, t.Proto)
	}
	if r.ConnectRetries > 0 {
		fmt.Fprintf(&b, ", %d connect retries", r.ConnectRetries)
	}
	if len(r.Errors) > 0 {
		keys := make([]string, 0, len(r.Errors))
		for k := range r.Errors {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteString(", errors:")
		for _, k := range keys {
			fmt.Fprintf(&b, " %s×%d", k, r.Errors[k])
		}
	}
	if !r.OK {
		fmt.Fprintf(&b, " — FAILED: %s", r.Error)
	}
	return b.String()
}
