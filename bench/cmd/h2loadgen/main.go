// Command h2loadgen holds many Server-Sent Events streams multiplexed over a
// few HTTP/2 connections (bench/loadgen.RunH2) against a loopback server:
// over TLS with ALPN h2 (-tls, the default, with -ca), or cleartext HTTP/2
// by prior knowledge (-tls=false). It is the load generator of the HTTP/2
// benchmark (compare h2); it is not a general HTTP/2 client: it only opens
// event streams, counts their events and measures their latency.
//
//	h2loadgen -target 127.0.0.1:9443 -ca ca.pem -conns 100 -streams 10000 -warmup 3s -duration 10s
//	h2loadgen -target 127.0.0.1:9443 -ca ca.pem -conns 100 -streams 10000 -duration 5m -stdin-stop
//	h2loadgen -target 127.0.0.1:9000 -tls=false -conns 10 -streams 1000 -duration 10s
//
// Once every connection is up and every stream has its response head (or
// failed), it prints "READY <connections> <streams>" on stdout, then reads
// the streams for -warmup + -duration, or until SIGINT/SIGTERM or EOF on
// stdin (-stdin-stop); events received in the window after -warmup are
// counted, with their latency from the timestamp in their data. Then it
// prints one JSON line with the result (bench/loadgen.Result, mode
// "h2-sse") on stdout; human text goes to stderr. It accepts, and ignores,
// the -loops flag of cmd/loadgen, so that the compare driver's shared code
// can start it in its place.
//
// Exit status: 0 when the run was clean, 1 when the result reports a
// problem (failed connections or streams, a stream reset or ended by the
// server, events without a timestamp...), 2 on a usage error.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/workerman-go/workerman/bench/loadgen"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is the command with its arguments and streams; it returns the exit
// status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var cfg loadgen.H2Config
	var stdinStop bool
	fs := flag.NewFlagSet("h2loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.Target, "target", "", "server address, 127.x.y.z:port (required)")
	fs.BoolVar(&cfg.TLS, "tls", true, "TLS with ALPN h2 (needs -ca); false: cleartext HTTP/2 by prior knowledge (h2c)")
	fs.StringVar(&cfg.CAFile, "ca", "", "PEM `file` of the CA that signed the server's certificate")
	fs.StringVar(&cfg.ServerName, "server-name", "localhost", "name the server's certificate must hold (SNI, and the requests' :authority)")
	fs.IntVar(&cfg.Conns, "conns", 100, "HTTP/2 connections")
	fs.IntVar(&cfg.Streams, "streams", 10000, "event streams in all, spread evenly over the connections")
	fs.StringVar(&cfg.Path, "path", "/", "the streams' request target")
	fs.DurationVar(&cfg.Warmup, "warmup", 0, "unmeasured time once every stream has its head")
	fs.DurationVar(&cfg.Duration, "duration", 10*time.Second, "measured window (or the longest hold)")
	fs.DurationVar(&cfg.ConnectTimeout, "connect-timeout", 5*time.Second, "timeout of one connection's connect and TLS handshake")
	fs.DurationVar(&cfg.SetupTimeout, "setup-timeout", 60*time.Second, "timeout of the whole connect phase, response heads included")
	fs.IntVar(&cfg.ServerPID, "server-pid", 0, "report this process tree's CPU time over the window")
	fs.BoolVar(&stdinStop, "stdin-stop", false, "stop when stdin reaches EOF")
	fs.Int("loops", 1, "ignored (cmd/loadgen's flag; one goroutine reads each connection)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 || cfg.Target == "" {
		fmt.Fprintln(stderr, "h2loadgen: -target is required and no positional arguments are accepted")
		return 2
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		select {
		case s := <-sigs:
			fmt.Fprintf(stderr, "h2loadgen: %v, stopping\n", s)
			cancel()
		case <-ctx.Done():
		}
	}()
	if stdinStop {
		go func() {
			_, _ = io.Copy(io.Discard, stdin)
			fmt.Fprintln(stderr, "h2loadgen: stdin closed, stopping")
			cancel()
		}()
	}

	out := bufio.NewWriter(stdout)
	var outMu sync.Mutex
	cfg.OnReady = func(conns, streams int) {
		fmt.Fprintf(stderr, "h2loadgen: %d/%d connections, %d/%d streams with their head\n", conns, cfg.Conns, streams, cfg.Streams)
		outMu.Lock()
		fmt.Fprintf(out, "READY %d %d\n", conns, streams)
		out.Flush()
		outMu.Unlock()
	}
	res, err := loadgen.RunH2(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "h2loadgen:", err)
		return 2
	}
	fmt.Fprintln(stderr, "h2loadgen:", loadgen.H2Summary(res))
	b, err := json.Marshal(res)
	if err != nil {
		fmt.Fprintln(stderr, "h2loadgen:", err)
		return 2
	}
	outMu.Lock()
	out.Write(b)
	out.WriteByte('\n')
	out.Flush()
	outMu.Unlock()
	if !res.OK {
		return 1
	}
	return 0
}
