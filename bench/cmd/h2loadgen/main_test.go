package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/workerman-go/workerman/bench/loadgen"
)

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{},                              // no -target
		{"-target", "127.0.0.1:1", "x"}, // a positional argument
		{"-nosuchflag"},
		{"-target", "127.0.0.1:1", "-conns", "10", "-streams", "5"}, // fewer streams than connections
		{"-target", "127.0.0.1:1", "-ca", ""},                       // TLS without a CA
		{"-target", "192.0.2.1:80", "-tls=false"},                   // not loopback: refused before any connect
	} {
		var stderr strings.Builder
		if code := run(args, strings.NewReader(""), io.Discard, &stderr); code != 2 {
			t.Errorf("%q: exit %d, want 2 (stderr %q)", args, code, stderr.String())
		}
	}
}

// TestRun holds streams against an in-process h2c server until stdin
// closes: READY, then one JSON result line.
func TestRun(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	srv.Config.Protocols = new(http.Protocols)
	srv.Config.Protocols.SetUnencryptedHTTP2(true)
	srv.Start()
	defer srv.Close()

	stdinR, stdinW := io.Pipe()
	stdoutR, stdoutW := io.Pipe()
	code := make(chan int, 1)
	go func() {
		code <- run([]string{"-target", srv.Listener.Addr().String(), "-tls=false", "-conns", "3", "-streams", "7",
			"-duration", "1m", "-stdin-stop", "-loops", "1"}, stdinR, stdoutW, io.Discard)
		stdoutW.Close()
	}()
	lines := bufio.NewScanner(stdoutR)
	lines.Buffer(make([]byte, 1<<16), 1<<20)
	if !lines.Scan() || lines.Text() != "READY 3 7" {
		t.Fatalf("first line %q, want READY 3 7 (%v)", lines.Text(), lines.Err())
	}
	stdinW.Close() // -stdin-stop: the run ends
	if !lines.Scan() {
		t.Fatalf("no result line (%v)", lines.Err())
	}
	var res loadgen.Result
	if err := json.Unmarshal(lines.Bytes(), &res); err != nil {
		t.Fatalf("result line %q: %v", lines.Text(), err)
	}
	if !res.OK || res.Mode != loadgen.ModeH2SSE || res.Established != 3 || res.Streams != 7 || res.HeldAtEnd != 7 {
		t.Errorf("result %+v", res)
	}
	select {
	case c := <-code:
		if c != 0 {
			t.Errorf("exit %d", c)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no exit after stdin closed")
	}
}
