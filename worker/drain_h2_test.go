package worker

import (
	"bytes"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/workerman-go/workerman/internal/testutil"
)

// A hand-over (reload) over HTTP/2: the connection gets GOAWAY (NO_ERROR,
// naming the last stream), its event stream ends with a retry hint and
// END_STREAM, and the connection closes, so that the browser reconnects,
// to the new process.
func TestHandOverOverHTTP2(t *testing.T) {
	w := drainServer(t, make(chan struct{}))
	c := testutil.Dial(t, nil, w.Addr())
	_ = c.SetDeadline(time.Now().Add(testutil.Timeout))
	fr := http2.NewFramer(c, c)
	fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	if _, err := io.WriteString(c, http2.ClientPreface); err != nil {
		t.Fatal(err)
	}
	if err := fr.WriteSettings(); err != nil {
		t.Fatal(err)
	}
	var block bytes.Buffer
	enc := hpack.NewEncoder(&block)
	for _, f := range [][2]string{{":method", "GET"}, {":scheme", "http"}, {":authority", "test"}, {":path", "/sse"}, {"accept", "text/event-stream"}} {
		_ = enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
	}
	if err := fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: block.Bytes(), EndStream: true, EndHeaders: true}); err != nil {
		t.Fatal(err)
	}
	var data strings.Builder
	var done <-chan error
	var goAway *http2.GoAwayFrame
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			t.Fatalf("before the stream ended: %v (data %q)", err, data.String())
		}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if !f.IsAck() {
				_ = fr.WriteSettingsAck()
			}
		case *http2.GoAwayFrame:
			goAway = f
		case *http2.DataFrame:
			data.Write(f.Data())
			if done == nil && strings.Contains(data.String(), "data: hello\n\n") {
				done = inBackground(w.handOver) // the stream is open: hand over
			}
			if !f.StreamEnded() {
				continue
			}
			if goAway == nil || goAway.ErrCode != http2.ErrCodeNo || goAway.LastStreamID != 1 {
				t.Fatalf("the stream ended after GOAWAY %+v, want NO_ERROR naming stream 1", goAway)
			}
			rest, ok := strings.CutPrefix(data.String(), "id: 1\ndata: hello\n\nretry: ")
			ms, ok2 := strings.CutSuffix(rest, "\n\n")
			if n, err := strconv.Atoi(ms); !ok || !ok2 || err != nil || n < 1000 || n >= 2000 {
				t.Fatalf("the stream sent %q, want its event, then a retry hint in [1000, 2000) ms", data.String())
			}
			if _, err := fr.ReadFrame(); err != io.EOF {
				t.Fatalf("after the last stream: %v, want the connection closed", err)
			}
			if err := testutil.Recv(t, done, "the hand-over"); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
}
