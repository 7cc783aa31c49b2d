// Package ssetest holds what the tests of the example programs share: start a
// server on a free loopback port, fetch its page, open its event stream and
// read events with the sse package's parser, the way a browser reads them.
//
// Every wait is bounded by Timeout, so a broken example fails its test
// instead of hanging it.
package ssetest

import (
	"context"
	"io"
	nethttp "net/http"
	"strings"
	"testing"

	"github.com/workerman-go/workerman/internal/testutil"
	"github.com/workerman-go/workerman/protocols/http"
	"github.com/workerman-go/workerman/protocols/sse"
	"github.com/workerman-go/workerman/worker"
)

// Timeout bounds every wait of a test: a request, a read, a condition.
const Timeout = testutil.Timeout

// Server is a started example server.
type Server struct {
	t testing.TB
	// URL is "http://127.0.0.1:port", without a final slash.
	URL string
	// Client is an HTTP client of its own for this server: every exchange,
	// body included, is bounded by Timeout.
	Client *nethttp.Client
}

// Start starts w (made by the example's newServer("127.0.0.1:0")) on one
// event loop and stops it when the test ends.
func Start(t testing.TB, w *worker.Worker[*http.Request]) *Server {
	t.Helper()
	w.Count = 1
	if err := w.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	s := &Server{t: t, URL: "http://" + w.Addr(), Client: &nethttp.Client{Timeout: Timeout, Transport: &nethttp.Transport{}}}
	t.Cleanup(func() {
		s.Client.CloseIdleConnections()
		ctx, cancel := context.WithTimeout(context.Background(), Timeout)
		defer cancel()
		if err := w.Stop(ctx); err != nil {
			t.Error(err)
		}
	})
	return s
}

// Do sends a request to path, with header fields given as name, value
// pairs, and returns the response with its body read (an error fails the
// test).
func (s *Server) Do(method, path, body string, header ...string) (*nethttp.Response, string) {
	s.t.Helper()
	req, err := nethttp.NewRequest(method, s.URL+path, strings.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := s.Client.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		s.t.Fatalf("%s %s: reading the body: %v", method, path, err)
	}
	return resp, string(b)
}

// Page fetches path as a browser fetches a page and checks that the answer
// is a 200 text/html page containing want; it returns the response and its
// body.
func (s *Server) Page(path, want string) (*nethttp.Response, string) {
	s.t.Helper()
	resp, body := s.Do("GET", path, "", "Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
		!strings.Contains(body, want) {
		s.t.Fatalf("GET %s: %d %s, want a 200 text/html page containing %q; body:\n%s",
			path, resp.StatusCode, resp.Header.Get("Content-Type"), want, body)
	}
	return resp, body
}

// Stream is an event stream opened with Open.
type Stream struct {
	t    testing.TB
	Resp *nethttp.Response
	// Parser is the stream's parser: its LastEventID and Retry are what a
	// browser's EventSource would hold.
	Parser *sse.Parser
	// Comments collects the comment lines received so far.
	Comments []string
	dec      *sse.Decoder
}

// Open requests path as an EventSource does (Accept: text/event-stream),
// with more header fields given as name, value pairs (such as
// "Last-Event-ID", "7"), and checks that the answer is a 200
// text/event-stream. The stream is closed when the test ends.
func (s *Server) Open(path string, header ...string) *Stream {
	s.t.Helper()
	req, err := nethttp.NewRequest("GET", s.URL+path, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Accept", sse.ContentType)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := s.Client.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), sse.ContentType) {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		s.t.Fatalf("GET %s as an event stream: %d %q, want 200 %s; body:\n%s",
			path, resp.StatusCode, resp.Header.Get("Content-Type"), sse.ContentType, body)
	}
	st := &Stream{t: s.t, Resp: resp}
	st.Parser = &sse.Parser{OnComment: func(text string) { st.Comments = append(st.Comments, text) }}
	st.dec = sse.NewDecoder(resp.Body, st.Parser)
	s.t.Cleanup(func() { resp.Body.Close() })
	return st
}

// Next returns the next event; a read error (the end of the stream
// included) fails the test.
func (st *Stream) Next() sse.Event {
	st.t.Helper()
	e, err := st.dec.Next()
	if err != nil {
		st.t.Fatalf("reading the event stream: %v", err)
	}
	return e
}

// End checks that the server ends the stream (after any events it still
// sends, which fail the test).
func (st *Stream) End() {
	st.t.Helper()
	e, err := st.dec.Next()
	if err != io.EOF {
		st.t.Fatalf("the stream goes on (event %+v, error %v), want its end", e, err)
	}
}

// Close closes the stream, as a browser that leaves the page.
func (st *Stream) Close() { st.Resp.Body.Close() }
