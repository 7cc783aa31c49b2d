package loadgen

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// These tests need no network: the response head reader and the chunked
// decoder of the sse mode, fed in pieces split everywhere.

const wmHead = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nX-Accel-Buffering: no\r\nConnection: keep-alive\r\n\r\n"
const netHead = "HTTP/1.1 200 OK\r\nCache-Control: no-cache\r\nContent-Type: text/event-stream\r\nDate: Tue, 01 Dec 2026 06:00:00 GMT\r\nTransfer-Encoding: chunked\r\n\r\n"

// feedSplit feeds s to the head reader in pieces of size k and returns the
// head and the body bytes that followed it.
func feedSplit(t *testing.T, s string, k int) (respHead, string) {
	t.Helper()
	var r headReader
	var body strings.Builder
	done := false
	var head respHead
	for i := 0; i < len(s); i += k {
		piece := []byte(s[i:min(len(s), i+k)])
		if done {
			body.Write(piece)
			continue
		}
		h, ok, rest, err := r.feed(piece)
		if err != nil {
			t.Fatalf("piece size %d: %v", k, err)
		}
		if ok {
			done, head = true, h
			body.Write(rest)
		}
	}
	if !done {
		t.Fatalf("piece size %d: head never completed", k)
	}
	return head, body.String()
}

func TestHeadReaderSplitAnywhere(t *testing.T) {
	for _, tc := range []struct {
		in      string
		chunked bool
	}{{wmHead, false}, {netHead, true}} {
		in := tc.in + "data: 1\n\n"
		for k := 1; k <= len(in); k++ {
			h, body := feedSplit(t, in, k)
			if h.Status != 200 || h.ContentType != "text/event-stream" || h.Chunked != tc.chunked || h.HasLength {
				t.Fatalf("piece size %d: head %+v", k, h)
			}
			if err := h.checkStream(); err != nil {
				t.Fatalf("checkStream: %v", err)
			}
			if body != "data: 1\n\n" {
				t.Fatalf("piece size %d: body %q", k, body)
			}
		}
	}
}

func TestHeadChecks(t *testing.T) {
	for _, tc := range []struct {
		head, err string
	}{
		{"HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 3", "status 404"},
		{"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8", "not text/event-stream"},
		{"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: 10", "Content-Length"},
		{"HTTP/1.1 200 OK\r\ncontent-type: Text/Event-Stream; charset=utf-8\r\ntransfer-encoding: gzip, chunked", ""},
	} {
		h, err := parseHead([]byte(tc.head))
		if err == nil {
			err = h.checkStream()
		}
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%q: %v", tc.head, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%q: error %v, want one with %q", tc.head, err, tc.err)
		}
	}
	for _, bad := range []string{"HTTP/1.1 2000 OK", "SSH-2.0-OpenSSH", "HTTP/1.1 200 OK\r\nno colon here", "HTTP/1.1 abc OK"} {
		if _, err := parseHead([]byte(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	var r headReader
	if _, _, _, err := r.feed(bytes.Repeat([]byte("x"), maxHead+1)); err == nil {
		t.Error("endless head accepted")
	}
}

// chunkAll decodes s fed in pieces of size k.
func chunkAll(s string, k int) (string, bool, error) {
	var d chunkDecoder
	var out strings.Builder
	done := false
	for i := 0; i < len(s); i += k {
		var err error
		done, err = d.feed([]byte(s[i:min(len(s), i+k)]), func(p []byte) { out.Write(p) })
		if err != nil {
			return out.String(), done, err
		}
	}
	return out.String(), done, nil
}

func TestChunkDecoder(t *testing.T) {
	// As net/http writes an event stream: one chunk per flush.
	in := "9\r\ndata: 1\n\n\r\n" + "19\r\nid: 2\ndata: 12345678901\n\n\r\n" + "3;ext=1\r\n:\n\n\r\n"
	want := "data: 1\n\n" + "id: 2\ndata: 12345678901\n\n" + ":\n\n"
	for k := 1; k <= len(in); k++ {
		got, done, err := chunkAll(in, k)
		if err != nil || done || got != want {
			t.Fatalf("piece size %d: %q, done %v, err %v", k, got, done, err)
		}
	}
	end := in + "0\r\nX-Trailer: 1\r\n\r\n"
	for k := 1; k <= len(end); k++ {
		got, done, err := chunkAll(end, k)
		if err != nil || !done || got != want {
			t.Fatalf("with last chunk, piece size %d: %q, done %v, err %v", k, got, done, err)
		}
	}
	for _, bad := range []string{
		"zz\r\nhello\r\n",       // not hex
		"\r\n",                  // no size
		"3\r\nabcX\r\n",         // no CRLF after the data
		"0\r\n\r\n1\r\nx\r\n",   // data after the last chunk
		"ffffffffff\r\nabc\r\n", // too large
	} {
		if _, _, err := chunkAll(bad, 1); !errors.Is(err, errChunk) {
			t.Errorf("%q: error %v, want errChunk", bad, err)
		}
	}
}

func TestFanoutCounter(t *testing.T) {
	f := newFanout()
	f.target.Store(3)
	f.add(30)
	f.add(10) // older receipt: lastNs keeps the latest
	select {
	case <-f.reached:
		t.Fatal("reached early")
	default:
	}
	f.add(20)
	select {
	case <-f.reached:
	default:
		t.Fatal("target reached without a signal")
	}
	if f.lastNs.Load() != 30 || f.received.Load() != 3 {
		t.Fatalf("lastNs %d received %d", f.lastNs.Load(), f.received.Load())
	}
}

func TestQuantile(t *testing.T) {
	v := []float64{5, 1, 4, 2, 3}
	if q := quantile(v, 0.5); q != 3 {
		t.Errorf("p50 %v", q)
	}
	if q := quantile(v, 1); q != 5 {
		t.Errorf("max %v", q)
	}
	if q := quantile(nil, 0.5); q != 0 {
		t.Errorf("empty %v", q)
	}
}
