// Command loadgen drives an echo, idle, Server-Sent Events or WebSocket load
// against a loopback TCP server.
//
//	loadgen -mode echo -target 127.0.0.1:9000 -conns 100 -size 64 -duration 5s
//	loadgen -mode echo -target 127.0.0.1:9000 -conns 100 -depth 4 -duration 5s
//	loadgen -mode idle -target 127.0.0.1:9000 -conns 10000 -duration 120s
//	loadgen -mode sse -target 127.0.0.1:9000 -conns 10000 -warmup 2s -duration 10s
//	loadgen -mode sse -target 127.0.0.1:9000 -conns 10000 -publishes 30 -publish-burst 20
//	loadgen -mode ws-echo -target 127.0.0.1:9000 -conns 1000 -size 64 -warmup 1s -duration 5s
//	loadgen -mode ws-idle -target 127.0.0.1:9000 -conns 10000 -duration 60s -stdin-stop
//	loadgen -mode ws-broadcast -target 127.0.0.1:9000 -publish-target 127.0.0.1:9001 -conns 10000 -publishes 30 -publish-burst 20
//	loadgen -mode tls-handshake -target 127.0.0.1:9443 -ca ca.pem -conns 32 -warmup 1s -duration 5s
//	loadgen -mode tls-idle -target 127.0.0.1:9443 -ca ca.pem -conns 5000 -duration 60s -stdin-stop
//	loadgen -mode tls-sse -target 127.0.0.1:9443 -ca ca.pem -conns 5000 -duration 60s -stdin-stop
//
// One JSON line with the result is printed on stdout; human-readable text goes
// to stderr. In the idle, sse, ws-idle, ws-broadcast, tls-idle and tls-sse modes a line
// "READY <n>" is printed on stdout as soon as the connect phase is over
// (n = established connections, or streams and WebSockets whose response head
// arrived); idle connections are then held, and sse streams read, until
// SIGINT/SIGTERM, stdin reaching EOF (-stdin-stop) or the end of -warmup +
// -duration (sse with -publishes or -publish-burst, and ws-broadcast: the end
// of the fan-out schedule).
//
// Exit status: 0 when the run was clean, 1 when the result reports a problem
// (failed connections, echo mismatches, I/O errors...), 2 on a usage error.
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
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/workerman-go/workerman/bench/loadgen"
)

func main() {
	os.Exit(run())
}

func run() int {
	var cfg loadgen.Config
	var src string
	var stdinStop bool
	flag.StringVar(&cfg.Mode, "mode", "echo", strings.Join(loadgen.Modes, ", "))
	flag.StringVar(&cfg.Target, "target", "", "server address, 127.x.y.z:port (required)")
	flag.IntVar(&cfg.Conns, "conns", 100, "connections to open")
	flag.IntVar(&cfg.Size, "size", 64, "echo, ws-echo: message size in bytes")
	flag.IntVar(&cfg.Depth, "depth", 1, "echo, ws-echo: messages in flight per connection (pipelining; echoes are verified in order)")
	flag.DurationVar(&cfg.Warmup, "warmup", 0, "echo, ws-echo, sse: unmeasured time before the measured window")
	flag.DurationVar(&cfg.Duration, "duration", 10*time.Second, "echo, ws-echo, sse: measured time; idle, ws-idle: longest hold; fan-out: longest schedule")
	flag.StringVar(&cfg.Path, "path", "/", "sse, ws-*: request target of the streams and WebSocket handshakes")
	flag.IntVar(&cfg.Publishes, "publishes", 0, "sse fan-out, ws-broadcast: publishes (POST -publish-path) awaited one at a time at every connection")
	flag.IntVar(&cfg.PublishBurst, "publish-burst", 0, "sse fan-out, ws-broadcast: publishes sent back to back after them, for the delivered events/s")
	flag.StringVar(&cfg.PublishPath, "publish-path", "/publish", "fan-out: target of the POST that publishes")
	flag.StringVar(&cfg.PublishTarget, "publish-target", "", "fan-out: address to POST to, 127.x.y.z:port (default -target)")
	flag.DurationVar(&cfg.PublishGap, "publish-gap", 20*time.Millisecond, "fan-out: pause after each awaited publish")
	flag.DurationVar(&cfg.PublishTimeout, "publish-timeout", 10*time.Second, "fan-out: limit for a publish (or the burst) to reach every connection")
	flag.StringVar(&src, "src", "", "comma-separated loopback source addresses to bind, round robin (e.g. 127.0.0.1,127.0.0.2)")
	flag.IntVar(&cfg.Loops, "loops", 1, "epoll loops (goroutines)")
	flag.IntVar(&cfg.Burst, "burst", 200, "most connects in flight at once")
	flag.IntVar(&cfg.Retries, "retries", 5, "connect retries per connection (negative: none)")
	flag.DurationVar(&cfg.ConnectTimeout, "connect-timeout", 3*time.Second, "timeout of one connect attempt")
	flag.DurationVar(&cfg.SetupTimeout, "setup-timeout", 60*time.Second, "timeout of the whole connect phase")
	flag.IntVar(&cfg.MaxConns, "max-conns", loadgen.DefaultMaxConns, "refuse to open more connections than this in one process")
	flag.IntVar(&cfg.ServerPID, "server-pid", 0, "echo, sse, ws-echo, ws-broadcast: report this process tree's CPU time over the measured window")
	flag.StringVar(&cfg.CAFile, "ca", "", "tls-*: PEM `file` of the CA that signed the server's certificate (required)")
	flag.StringVar(&cfg.ServerName, "server-name", "localhost", "tls-*: name the server's certificate must hold (SNI, and the requests' Host)")
	flag.BoolVar(&cfg.TLSVerifyEach, "tls-verify-each", false, "tls-*: verify the certificate chain on every handshake (default: on the first; later ones must present the same certificate)")
	flag.BoolVar(&stdinStop, "stdin-stop", false, "idle, sse, ws-idle, tls-idle, tls-sse: stop holding when stdin reaches EOF")
	flag.Parse()
	if flag.NArg() > 0 || cfg.Target == "" {
		fmt.Fprintln(os.Stderr, "loadgen: -target is required and no positional arguments are accepted")
		flag.Usage()
		return 2
	}
	if src != "" {
		cfg.Sources = strings.Split(src, ",")
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		s := <-sigs
		fmt.Fprintf(os.Stderr, "loadgen: %v, stopping\n", s)
		cancel()
	}()
	if stdinStop {
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			fmt.Fprintln(os.Stderr, "loadgen: stdin closed, stopping")
			cancel()
		}()
	}

	out := bufio.NewWriter(os.Stdout)
	var outMu sync.Mutex
	cfg.OnReady = func(n int) {
		fmt.Fprintf(os.Stderr, "loadgen: %d/%d connections established\n", n, cfg.Conns)
		switch cfg.Mode {
		case loadgen.ModeIdle, loadgen.ModeSSE, loadgen.ModeWSIdle, loadgen.ModeWSBroadcast, loadgen.ModeTLSIdle, loadgen.ModeTLSSSE:
			outMu.Lock()
			fmt.Fprintf(out, "READY %d\n", n)
			out.Flush()
			outMu.Unlock()
		}
	}

	res, err := loadgen.Run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	fmt.Fprintln(os.Stderr, "loadgen:", res.Summary())
	b, err := json.Marshal(res)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
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
