//go:build unix

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	nethttp "net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/workerman-go/workerman/internal/testutil"
	"github.com/workerman-go/workerman/protocols/sse"
)

// deployment is the program run as an operator runs it: output to a file
// (which the processes of its reloads inherit), a pid file, and the
// commands of the command line.
type deployment struct {
	bin, pidFile, out string
	flags             []string // before the command word
	first             *exec.Cmd
	exited            chan struct{}
	addr, base        string
}

func deploy(t *testing.T, bin string, flags ...string) *deployment {
	t.Helper()
	dir := t.TempDir()
	d := &deployment{bin: bin, pidFile: filepath.Join(dir, "chat.pid"), out: filepath.Join(dir, "out"), exited: make(chan struct{})}
	d.flags = append(flags, "-listen", "127.0.0.1:0", "-pidfile", d.pidFile)
	f, err := os.Create(d.out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d.first = exec.Command(bin, append(slices.Clone(d.flags), "start")...)
	d.first.Stdout, d.first.Stderr = f, f
	if err := d.first.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		_ = d.first.Wait()
		close(d.exited)
	}()
	t.Cleanup(func() {
		_ = d.first.Process.Kill()
		<-d.exited
		// The processes of reloads are not the test's children.
		if pid, err := d.pid(); err == nil {
			if p, err := os.FindProcess(pid); err == nil {
				_ = p.Kill()
			}
		}
	})
	testutil.Eventually(t, "the program's banner", func() bool {
		for line := range strings.Lines(d.output()) {
			if _, a, ok := strings.Cut(line, "listening on "); ok {
				d.addr = strings.TrimSpace(a)
				return true
			}
		}
		return false
	})
	d.base = "http://" + d.addr
	return d
}

func (d *deployment) output() string {
	b, _ := os.ReadFile(d.out)
	return string(b)
}

func (d *deployment) pid() (int, error) {
	b, err := os.ReadFile(d.pidFile)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}

// command runs a command of the command line (reload, restart -d, stop)
// and checks that it succeeds.
func (d *deployment) command(t *testing.T, cmd ...string) {
	t.Helper()
	start := time.Now()
	out, code := runProgram(t, d.bin, nil, append(slices.Clone(d.flags), cmd...)...)
	if code != 0 {
		t.Fatalf("%v: exit %d, output %q; program output:\n%s", cmd, code, out, d.output())
	}
	t.Logf("%v took %v", cmd, time.Since(start).Round(time.Millisecond))
}

// eventSource is a client that behaves as a browser's EventSource: it
// reconnects when the stream ends, after the delay of the last retry
// field, with the id of the last event it has; it keeps the chat's list as
// the page does (a reset event clears it).
type eventSource struct {
	base string

	mu         sync.Mutex
	contents   []string // the messages, in order
	resets     int      // reset events
	lostPlace  int      // reset events on a stream resumed with a Last-Event-ID
	reconnects int      // reconnections begun
	opened     int      // streams opened (answered 200)
	err        error    // what stopped it, other than stop
	retryHint  bool     // the last stream ended after a retry field

	stop chan struct{}
	done chan struct{}
}

func newEventSource(base string) *eventSource {
	es := &eventSource{base: base, stop: make(chan struct{}), done: make(chan struct{})}
	go es.run()
	return es
}

func (es *eventSource) run() {
	defer close(es.done)
	last, retry := "", 100*time.Millisecond
	for n := 0; ; n++ {
		if n > 0 {
			es.mu.Lock()
			es.reconnects++
			es.mu.Unlock()
			select {
			case <-es.stop:
				return
			case <-time.After(retry):
			}
		}
		p := &sse.Parser{}
		err := es.stream(last, p)
		if id := p.LastEventID(); id != "" {
			last = id
		}
		d, hinted := p.Retry()
		if hinted {
			retry = d
		}
		es.mu.Lock()
		es.retryHint = hinted
		es.mu.Unlock()
		select {
		case <-es.stop:
			return
		default:
		}
		if err != nil && n > 50 {
			es.mu.Lock()
			es.err = err
			es.mu.Unlock()
			return
		}
	}
}

// stream reads one event stream to its end.
func (es *eventSource) stream(last string, p *sse.Parser) error {
	c, err := net.DialTimeout("tcp", strings.TrimPrefix(es.base, "http://"), testutil.Timeout)
	if err != nil {
		return err
	}
	defer c.Close()
	go func() {
		select {
		case <-es.stop:
			c.Close()
		case <-es.done:
		}
	}()
	req := "GET / HTTP/1.1\r\nHost: chat\r\nAccept: text/event-stream\r\n"
	if last != "" {
		req += "Last-Event-ID: " + last + "\r\n"
	}
	if _, err := io.WriteString(c, req+"\r\n"); err != nil {
		return err
	}
	_ = c.SetReadDeadline(time.Now().Add(testutil.Timeout))
	resp, err := nethttp.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return err
	}
	if resp.StatusCode != 200 {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	es.mu.Lock()
	es.opened++
	es.mu.Unlock()
	dec := sse.NewDecoder(resp.Body, p)
	for {
		_ = c.SetReadDeadline(time.Now().Add(testutil.Timeout))
		e, err := dec.Next()
		if err != nil {
			return nil // the end of the stream: reconnect
		}
		es.mu.Lock()
		switch e.Event {
		case "reset":
			es.resets++
			if last != "" {
				es.lostPlace++
			}
			es.contents = es.contents[:0]
		case "":
			var m message
			if json.Unmarshal([]byte(e.Data), &m) == nil {
				es.contents = append(es.contents, m.Content)
			}
		}
		es.mu.Unlock()
	}
}

func (es *eventSource) state() (contents []string, resets, reconnects int, err error) {
	es.mu.Lock()
	defer es.mu.Unlock()
	return slices.Clone(es.contents), es.resets, es.reconnects, es.err
}

func (es *eventSource) placesLost() int {
	es.mu.Lock()
	defer es.mu.Unlock()
	return es.lostPlace
}

func (es *eventSource) streamsOpened() int {
	es.mu.Lock()
	defer es.mu.Unlock()
	return es.opened
}

func (es *eventSource) close() {
	close(es.stop)
	<-es.done
}

// httpLoad sends GET / over keep-alive connections until stopped and
// counts the failures.
type httpLoad struct {
	requests, failures atomic.Int64
	firstFailure       atomic.Value
	stop               chan struct{}
	wg                 sync.WaitGroup
}

func startHTTPLoad(base string, clients int) *httpLoad {
	l := &httpLoad{stop: make(chan struct{})}
	for range clients {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			c := &nethttp.Client{Timeout: testutil.Timeout, Transport: &nethttp.Transport{MaxIdleConnsPerHost: 1}}
			defer c.CloseIdleConnections()
			for {
				select {
				case <-l.stop:
					return
				case <-time.After(5 * time.Millisecond):
				}
				resp, err := c.Get(base + "/")
				if err == nil {
					_, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if err == nil && resp.StatusCode != 200 {
						err = fmt.Errorf("status %d", resp.StatusCode)
					}
				}
				l.requests.Add(1)
				if err != nil {
					l.failures.Add(1)
					l.firstFailure.CompareAndSwap(nil, err.Error())
				}
			}
		}()
	}
	return l
}

func (l *httpLoad) end() { close(l.stop); l.wg.Wait() }

// publisher posts numbered messages until stopped.
type publisher struct {
	sent     atomic.Int64
	failures []string
	mu       sync.Mutex
	stop     chan struct{}
	done     chan struct{}
}

func startPublisher(base string, every time.Duration, limit int) *publisher {
	p := &publisher{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		c := &nethttp.Client{Timeout: testutil.Timeout}
		defer c.CloseIdleConnections()
		for n := 1; n <= limit; n++ {
			select {
			case <-p.stop:
				return
			case <-time.After(every):
			}
			req, _ := nethttp.NewRequestWithContext(context.Background(), "POST", base+"/send",
				strings.NewReader(url.Values{"message": {"m" + strconv.Itoa(n)}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Cookie", cookieFor(me))
			resp, err := c.Do(req)
			if err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					err = fmt.Errorf("status %d", resp.StatusCode)
				}
			}
			if err != nil {
				p.mu.Lock()
				p.failures = append(p.failures, fmt.Sprintf("m%d: %v", n, err))
				p.mu.Unlock()
				continue
			}
			p.sent.Store(int64(n))
		}
	}()
	return p
}

func (p *publisher) end() []string {
	close(p.stop)
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.failures
}

// The deployment test of reload and restart: the program on Redis with
// 1,000 event streams and HTTP keep-alive load is reloaded twice and
// restarted once while messages are published. No HTTP request fails,
// every stream reconnects to each new process (after the retry hint, with
// its Last-Event-ID), and every stream receives every message exactly
// once, in order, without ever being reset when it resumed with an id.
func TestReloadAndRestartOnRedisLoseNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the deployment test runs 1,000 streams")
	}
	r := testutil.StartRedis(t)
	bin := buildBinary(t)
	d := deploy(t, bin, "-redis", r.Addr)

	const streams = 1000
	sources := make([]*eventSource, streams)
	for i := range sources {
		sources[i] = newEventSource(d.base)
	}
	defer func() {
		for _, es := range sources {
			es.close()
		}
	}()
	testutil.Eventually(t, "every stream's first reset", func() bool {
		for _, es := range sources {
			if _, resets, _, _ := es.state(); resets == 0 {
				return false
			}
		}
		return true
	})
	load := startHTTPLoad(d.base, 4)
	pub := startPublisher(d.base, 100*time.Millisecond, 90) // the topic keeps 100

	opened := func(n int) func() bool {
		return func() bool {
			for _, es := range sources {
				if es.streamsOpened() < n {
					return false
				}
			}
			return true
		}
	}
	for i, cmd := range [][]string{{"reload"}, {"reload"}, {"restart", "-d"}} {
		d.command(t, cmd...)
		start := time.Now()
		testutil.Eventually(t, fmt.Sprintf("every stream open on process %d", i+2), opened(i+2))
		t.Logf("after %v: all %d streams open again within %v", cmd, streams, time.Since(start).Round(time.Millisecond))
	}
	testutil.Recv(t, d.exited, "the first process's exit")
	if code := d.first.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("the first process exited %d; output:\n%s", code, d.output())
	}
	if failures := pub.end(); len(failures) > 0 {
		t.Fatalf("publishing failed: %v", failures)
	}
	load.end()
	if n := load.failures.Load(); n > 0 {
		t.Fatalf("%d of %d HTTP requests failed, e.g. %v", n, load.requests.Load(), load.firstFailure.Load())
	}
	sent := int(pub.sent.Load())
	want := make([]string, sent)
	for i := range want {
		want[i] = "m" + strconv.Itoa(i+1)
	}
	testutil.Eventually(t, "every stream has every message", func() bool {
		for _, es := range sources {
			if got, _, _, _ := es.state(); len(got) < sent {
				return false
			}
		}
		return true
	})
	for i, es := range sources {
		got, resets, reconnects, err := es.state()
		switch {
		case err != nil:
			t.Fatalf("stream %d: %v", i, err)
		case !slices.Equal(got, want):
			t.Fatalf("stream %d received %v, want %v", i, got, want)
		case es.placesLost() > 0:
			t.Fatalf("stream %d was reset %d times after resuming with a Last-Event-ID (%d resets in all): a reconnection lost its place", i, es.placesLost(), resets)
		case reconnects != 3:
			t.Fatalf("stream %d reconnected %d times, want 3", i, reconnects)
		}
	}
	t.Logf("%d messages to each of %d streams through 2 reloads and a restart; %d HTTP requests, none failed", sent, streams, load.requests.Load())
	d.command(t, "stop")
}

// With the in-memory broker a reloaded process has no history: a stream
// that comes back with its Last-Event-ID is told of the gap (the chat's
// reset event, then what the new process has), rather than left silently
// behind.
func TestReloadInMemoryTellsStreamsOfTheGap(t *testing.T) {
	bin := buildBinary(t)
	d := deploy(t, bin)
	es := newEventSource(d.base)
	defer es.close()
	testutil.Eventually(t, "the stream's first reset", func() bool { _, resets, _, _ := es.state(); return resets == 1 })
	pub := startPublisher(d.base, 0, 1)
	<-pub.done
	testutil.Eventually(t, "the message", func() bool { got, _, _, _ := es.state(); return len(got) == 1 })
	d.command(t, "reload")
	testutil.Eventually(t, "a reset after the reload", func() bool { _, resets, _, _ := es.state(); return resets == 2 })
	if _, _, reconnects, err := es.state(); reconnects != 1 || err != nil {
		t.Fatalf("reconnects %d, err %v", reconnects, err)
	}
	d.command(t, "stop")
}
