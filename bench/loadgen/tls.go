package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/workerman-go/workerman/bench/internal/procfs"
)

// The TLS modes. Unlike the others they use Go's crypto/tls with a
// goroutine per connection (the client's cost does not matter much here,
// and no TLS library fits an epoll loop of raw sockets): what they measure
// is the server's handshakes and its memory per TLS connection.
//
//   - tls-handshake: Conns workers, each making connections one after the
//     other for Warmup + Duration: connect, a full handshake (no session
//     resumption: the client keeps no session cache and refuses tickets),
//     "GET Path" with "Connection: close", the whole response (200), close.
//     Connections completed in the window after Warmup are counted
//     (Handshakes, HandshakesPerSec); Latency is the time from the connect
//     to the end of the handshake; the server's CPU (ServerPID) is sampled
//     over the window.
//   - tls-idle: Conns connections, each with a handshake and one request
//     (200, its body read, kept alive), then held without sending anything
//     until the context ends or Duration; a connection the server closes,
//     or bytes it sends, are counted as in idle mode.
//   - tls-sse: the same with "Accept: text/event-stream": the head must be
//     200 with Content-Type text/event-stream; the stream is then read (and
//     discarded: heartbeats) until the end of the hold.
//
// Every client offers ALPN "h2" and "http/1.1", as a browser does, and
// requires "http/1.1": the servers are compared over HTTP/1.1. The server
// certificate is verified against the CA of CAFile (ServerName: the name
// it must hold) on the first handshake of the run; later handshakes check
// that the server presents exactly that certificate (and, as TLS always
// requires, that it signs the handshake with its key), which spares the
// load generator's core one chain verification per handshake. With
// TLSVerifyEach every handshake verifies the chain.

// TLS modes.
const (
	ModeTLSHandshake = "tls-handshake"
	ModeTLSIdle      = "tls-idle"
	ModeTLSSSE       = "tls-sse"
)

// TLSInfo is what a TLS load generator saw of the server: the first
// connection's negotiated parameters, and counts over all of them.
type TLSInfo struct {
	Version     string `json:"version"`      // "TLS 1.3"
	CipherSuite string `json:"cipher_suite"` // "TLS_AES_128_GCM_SHA256"
	Group       string `json:"group"`        // key exchange: "X25519MLKEM768"
	ALPN        string `json:"alpn"`         // negotiated application protocol
	Proto       string `json:"proto"`        // of the HTTP response: "HTTP/1.1"
	// Resumed counts handshakes that resumed a session: 0 when every
	// handshake was a full one, as it must be.
	Resumed int64 `json:"resumed"`
}

// tlsMode tells whether the run is one of the TLS modes.
func (c *Config) tlsMode() bool {
	return c.Mode == ModeTLSHandshake || c.Mode == ModeTLSIdle || c.Mode == ModeTLSSSE
}

// tlsClient holds what every connection of a TLS run shares.
type tlsClient struct {
	cfg     *Config
	target  string
	sources []netip.Addr
	next    atomic.Uint64 // round robin over sources
	retries atomic.Int64  // connect attempts retried
	verify  *tls.Config   // verifies the chain against the CA
	pinned  *tls.Config   // checks the certificate verified first
	request []byte

	mu   sync.Mutex
	errs map[string]int
	info *TLSInfo
}

func newTLSClient(cfg *Config, target netip.AddrPort, sources []netip.Addr) (*tlsClient, error) {
	if cfg.CAFile == "" {
		return nil, errors.New("loadgen: the TLS modes need -ca (the CA certificate that signed the server's)")
	}
	pem, err := os.ReadFile(cfg.CAFile)
	if err != nil {
		return nil, fmt.Errorf("loadgen: -ca: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("loadgen: -ca %s: no PEM certificate in it", cfg.CAFile)
	}
	t := &tlsClient{cfg: cfg, target: target.String(), sources: sources, errs: map[string]int{}, info: nil}
	t.verify = &tls.Config{
		RootCAs:    pool,
		ServerName: cfg.ServerName,
		NextProtos: []string{"h2", "http/1.1"},
		// Full handshakes only: no session cache, no tickets.
		ClientSessionCache:     nil,
		SessionTicketsDisabled: true,
	}
	var req strings.Builder
	fmt.Fprintf(&req, "GET %s HTTP/1.1\r\nHost: %s\r\n", cfg.Path, cfg.ServerName)
	switch cfg.Mode {
	case ModeTLSHandshake:
		req.WriteString("Connection: close\r\n")
	case ModeTLSSSE:
		req.WriteString("Accept: text/event-stream\r\n")
	}
	req.WriteString("\r\n")
	t.request = []byte(req.String())
	return t, nil
}

// pin makes the configuration of the later handshakes: the certificate
// must be leaf, byte for byte.
func (t *tlsClient) pin(leaf []byte) {
	if t.cfg.TLSVerifyEach {
		t.pinned = t.verify
		return
	}
	p := t.verify.Clone()
	p.RootCAs = nil
	p.InsecureSkipVerify = true // replaced by VerifyConnection's check
	p.VerifyConnection = func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 || !bytes.Equal(cs.PeerCertificates[0].Raw, leaf) {
			return errors.New("the server presents another certificate than the one verified on the first handshake")
		}
		return nil
	}
	t.pinned = p
}

// noteErr counts an error under a short key.
func (t *tlsClient) noteErr(what string, err error) {
	key := what
	var errno syscall.Errno
	switch {
	case errors.As(err, &errno):
		key += ": " + errno.Error()
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		key += ": EOF"
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded):
		key += ": timeout"
	case err != nil:
		s := err.Error()
		if len(s) > 80 {
			s = s[:80]
		}
		key += ": " + s
	}
	t.mu.Lock()
	t.errs[key]++
	t.mu.Unlock()
}

// noteState records the first connection's parameters and counts resumed
// sessions.
func (t *tlsClient) noteState(cs tls.ConnectionState, proto string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.info == nil {
		t.info = &TLSInfo{
			Version: tls.VersionName(cs.Version), CipherSuite: tls.CipherSuiteName(cs.CipherSuite),
			Group: cs.CurveID.String(), ALPN: cs.NegotiatedProtocol, Proto: proto,
		}
	}
	if cs.DidResume {
		t.info.Resumed++
	}
}

// dial connects to the target from the next source address, with bounded
// retries.
func (t *tlsClient) dial(ctx context.Context) (net.Conn, error) {
	var err error
	for attempt := 0; attempt <= t.cfg.Retries; attempt++ {
		d := net.Dialer{Timeout: t.cfg.ConnectTimeout}
		if len(t.sources) > 0 {
			src := t.sources[t.next.Add(1)%uint64(len(t.sources))]
			d.LocalAddr = &net.TCPAddr{IP: src.AsSlice()}
		}
		var c net.Conn
		if c, err = d.DialContext(ctx, "tcp4", t.target); err == nil {
			return c, nil
		}
		if ctx.Err() != nil || attempt == t.cfg.Retries {
			return nil, err
		}
		t.retries.Add(1)
		time.Sleep(time.Duration(attempt+1) * 10 * time.Millisecond)
	}
	return nil, err
}

// open makes one connection: connect, handshake, the request and the
// response head (and the body, unless it is an event stream). It returns
// the TCP connection, the TLS one, the reader holding what follows the
// head and the response.
func (t *tlsClient) open(ctx context.Context, conf *tls.Config) (raw net.Conn, tc *tls.Conn, br *bufio.Reader, hs time.Duration, err error) {
	t0 := time.Now()
	raw, err = t.dial(ctx)
	if err != nil {
		return nil, nil, nil, 0, fmt.Errorf("connect: %w", err)
	}
	fail := func(what string, e error) (net.Conn, *tls.Conn, *bufio.Reader, time.Duration, error) {
		raw.Close()
		return nil, nil, nil, 0, fmt.Errorf("%s: %w", what, e)
	}
	if dl, ok := ctx.Deadline(); ok {
		raw.SetDeadline(dl)
	}
	tc = tls.Client(raw, conf)
	if err := tc.HandshakeContext(ctx); err != nil {
		return fail("handshake", err)
	}
	hs = time.Since(t0)
	cs := tc.ConnectionState()
	if cs.NegotiatedProtocol != "http/1.1" {
		return fail("alpn", fmt.Errorf("the server chose %q, want http/1.1", cs.NegotiatedProtocol))
	}
	if _, err := tc.Write(t.request); err != nil {
		return fail("request", err)
	}
	br = bufio.NewReaderSize(tc, 1024)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return fail("response", err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return fail("response", fmt.Errorf("status %q, want 200 OK", resp.Status))
	}
	if t.cfg.Mode == ModeTLSSSE {
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
			return fail("response", fmt.Errorf("Content-Type %q, want text/event-stream", ct))
		}
	} else {
		if _, err := io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20)); err != nil {
			return fail("body", err)
		}
		resp.Body.Close()
		if t.cfg.Mode == ModeTLSIdle && resp.Close {
			return fail("response", errors.New("the server closes the connection (no keep-alive)"))
		}
	}
	t.noteState(cs, resp.Proto)
	raw.SetDeadline(time.Time{})
	return raw, tc, br, hs, nil
}

// first makes the run's first connection with the CA's verification, then
// pins its certificate for the others.
func (t *tlsClient) first(ctx context.Context) error {
	raw, tc, _, _, err := t.open(ctx, t.verify)
	if err != nil {
		return err
	}
	t.pin(tc.ConnectionState().PeerCertificates[0].Raw)
	raw.Close() // a check: the schedules open their own connections
	return nil
}

// runTLS runs a TLS mode; res has the fields every mode fills.
func runTLS(ctx context.Context, cfg *Config, res *Result, target netip.AddrPort, sources []netip.Addr) (*Result, error) {
	t, err := newTLSClient(cfg, target, sources)
	if err != nil {
		return nil, err
	}
	fctx, cancel := context.WithTimeout(ctx, cfg.ConnectTimeout+10*time.Second)
	err = t.first(fctx)
	cancel()
	var problems []string
	if err != nil {
		t.noteErr("first connection", err)
		problems = append(problems, fmt.Sprintf("first connection: %v", err))
	} else if cfg.Mode == ModeTLSHandshake {
		problems = t.handshakes(ctx, res)
	} else {
		problems = t.hold(ctx, res)
	}
	res.TLS = t.info
	res.ConnectRetries = int(t.retries.Load())
	if len(t.errs) > 0 {
		res.Errors = t.errs
	}
	if t.info != nil && t.info.Resumed > 0 {
		problems = append(problems, fmt.Sprintf("%d handshakes resumed a session", t.info.Resumed))
	}
	res.OK = len(problems) == 0
	res.Error = strings.Join(problems, "; ")
	return res, nil
}

// handshakes runs the tls-handshake schedule.
func (t *tlsClient) handshakes(ctx context.Context, res *Result) []string {
	cfg := t.cfg
	base := time.Now()
	warmEnd := base.Add(cfg.Warmup)
	end := warmEnd.Add(cfg.Duration)
	if cfg.OnReady != nil {
		cfg.OnReady(cfg.Conns)
	}
	var cpu0, cpu1 cpuSample
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // sample CPU when the measured window opens
		defer wg.Done()
		tm := time.NewTimer(cfg.Warmup)
		defer tm.Stop()
		select {
		case <-tm.C:
		case <-ctx.Done():
		}
		cpu0 = sampleCPU(cfg.ServerPID)
	}()
	rctx, cancel := context.WithDeadline(ctx, end)
	defer cancel()
	var mu sync.Mutex
	var hist Hist
	var done, failed uint64
	var workers sync.WaitGroup
	for range cfg.Conns {
		workers.Add(1)
		go func() {
			defer workers.Done()
			var h Hist
			var n, nf uint64
			defer func() {
				mu.Lock()
				hist.Merge(&h)
				done += n
				failed += nf
				mu.Unlock()
			}()
			for rctx.Err() == nil {
				cctx, ccancel := context.WithTimeout(rctx, cfg.ConnectTimeout+5*time.Second)
				raw, _, _, hs, err := t.open(cctx, t.pinned)
				ccancel()
				now := time.Now()
				if err != nil {
					if rctx.Err() == nil && now.Before(end) { // not cut short by the end of the run
						t.noteErr("connection", err)
						nf++
					}
					continue
				}
				raw.Close()
				if !now.Before(warmEnd) && !now.After(end) {
					n++
					h.Record(hs)
				}
			}
		}()
	}
	workers.Wait()
	cpu1 = sampleCPU(cfg.ServerPID)
	cancel()
	wg.Wait()
	stop := time.Now()
	if stop.After(end) {
		stop = end
	}
	res.WindowSec = max(0, stop.Sub(warmEnd).Seconds())
	res.Interrupted = ctx.Err() != nil
	res.Established = cfg.Conns
	res.Handshakes = done
	res.Failed = int(failed)
	if res.WindowSec > 0 {
		res.HandshakesPerSec = float64(done) / res.WindowSec
	}
	res.P50us = us(hist.Quantile(0.50))
	res.P99us = us(hist.Quantile(0.99))
	res.MaxUs = us(hist.Max())
	res.Latency = &hist
	res.ClientCPU = (cpu1.self - cpu0.self).Seconds()
	if cpu0.busy != nil && len(cpu1.busy) == len(cpu0.busy) {
		res.CPUBusyPct = procfs.BusyPercent(cpu0.busy, cpu0.total, cpu1.busy, cpu1.total)
	}
	if cfg.ServerPID != 0 && cpu0.okServer && cpu1.okServer {
		res.ServerCPU = (cpu1.server - cpu0.server).Seconds()
		res.ServerSysCPU = (cpu1.serverSys - cpu0.serverSys).Seconds()
	}
	var problems []string
	if failed > 0 {
		problems = append(problems, fmt.Sprintf("%d connections failed", failed))
	}
	if done == 0 && !res.Interrupted {
		problems = append(problems, "no handshake completed in the window")
	}
	return problems
}

// hold runs the tls-idle and tls-sse schedules: open every connection
// (at most Burst handshakes in flight), report, hold.
func (t *tlsClient) hold(ctx context.Context, res *Result) []string {
	cfg := t.cfg
	base := time.Now()
	sctx, scancel := context.WithTimeout(ctx, cfg.SetupTimeout)
	defer scancel()

	type held struct {
		raw net.Conn
		br  *bufio.Reader
	}
	conns := make([]held, 0, cfg.Conns)
	var mu sync.Mutex
	var failed int
	sem := make(chan struct{}, cfg.Burst)
	var wg sync.WaitGroup
	for i := 0; i < cfg.Conns && sctx.Err() == nil; i++ {
		select {
		case sem <- struct{}{}:
		case <-sctx.Done():
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			raw, _, br, _, err := t.open(sctx, t.pinned)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				t.noteErr("connection", err)
				failed++
				return
			}
			conns = append(conns, held{raw, br})
		}()
	}
	wg.Wait()
	res.ConnectSec = time.Since(base).Seconds()
	res.Established = len(conns)
	res.Failed = cfg.Conns - len(conns)
	if cfg.Mode == ModeTLSSSE {
		res.Streams = len(conns)
	}
	if cfg.OnReady != nil {
		cfg.OnReady(len(conns))
	}

	// Hold: read every connection until it ends.
	var stopping atomic.Bool
	var peerClosed, unexpected, open atomic.Int64
	var readers sync.WaitGroup
	open.Store(int64(len(conns)))
	for _, c := range conns {
		readers.Add(1)
		go func() {
			defer readers.Done()
			buf := make([]byte, 512)
			for {
				n, err := c.br.Read(buf)
				if n > 0 && cfg.Mode == ModeTLSIdle {
					unexpected.Add(int64(n))
				}
				if err != nil {
					if !stopping.Load() {
						peerClosed.Add(1)
						open.Add(-1)
					}
					return
				}
			}
		}()
	}
	cpu0 := sampleCPU(0)
	start := time.Now()
	hold := time.NewTimer(cfg.Duration)
	select {
	case <-ctx.Done():
	case <-hold.C:
	}
	hold.Stop()
	stopping.Store(true)
	res.HeldAtEnd = int(open.Load())
	for _, c := range conns {
		c.raw.Close()
	}
	readers.Wait()
	cpu1 := sampleCPU(0)
	res.HeldSec = time.Since(start).Seconds()
	res.ClientCPU = (cpu1.self - cpu0.self).Seconds()
	res.PeerClosed = int(peerClosed.Load())
	res.UnexpectedBytes = uint64(unexpected.Load())

	var problems []string
	if failed > 0 || len(conns) < cfg.Conns {
		problems = append(problems, fmt.Sprintf("%d of %d connections failed", cfg.Conns-len(conns), cfg.Conns))
	}
	if res.PeerClosed > 0 {
		problems = append(problems, fmt.Sprintf("%d connections closed by the server", res.PeerClosed))
	}
	if res.UnexpectedBytes > 0 {
		problems = append(problems, fmt.Sprintf("%d unexpected bytes received on idle connections", res.UnexpectedBytes))
	}
	return problems
}
