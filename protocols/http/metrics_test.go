package http

import (
	"testing"

	"github.com/workerman-go/workerman/protocols"
)

// A response counts in its status class when its head is encoded: a
// string or []byte as 200, a *Response by its status; the codec's own
// error replies count too. A response that fails to encode does not.
func TestResponseCounts(t *testing.T) {
	codec := Protocol().NewCodec(protocols.Limits{MaxPackageSize: 1 << 20})
	answer := func(msg any) error {
		t.Helper()
		req, _, _, err := codec.Decode([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
		if err != nil || req == nil {
			t.Fatalf("decode: %v %v", req, err)
		}
		_, err = codec.Encode(nil, msg)
		if err == nil {
			codec.(protocols.Effector).Effects()
		}
		return err
	}
	before := ResponseCounts()
	for _, msg := range []any{"hello", []byte("hello"), NewResponse(204, ""), NewResponse(301, "").WithHeader("Location", "/x"),
		NewResponse(404, "no"), NewResponse(410, "gone"), NewResponse(503, "later")} {
		if err := answer(msg); err != nil {
			t.Fatalf("%v: %v", msg, err)
		}
	}
	// Not a response: nothing counts, and the request is still open.
	if err := answer(NewResponse(99, "")); err == nil {
		t.Fatal("status 99 encoded")
	}
	if _, err := codec.Encode(nil, NewResponse(200, "")); err != nil {
		t.Fatal(err)
	}
	_ = errBodyTooLarge.Reply()
	_ = errRequestTimeout.Reply()
	// 600 and more are not HTTP's: not counted.
	if _, _, _, err := codec.Decode([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	if _, err := codec.Encode(nil, NewResponse(799, "")); err != nil {
		t.Fatal(err)
	}

	after := ResponseCounts()
	want := [5]uint64{0, 4, 1, 4, 1} // 2xx: hello twice, 204, 200; 4xx: 404, 410, 413, 408
	for i := range after {
		if got := after[i] - before[i]; got != want[i] {
			t.Errorf("%dxx moved by %d, want %d", i+1, got, want[i])
		}
	}
}

func TestShardOfSpreads(t *testing.T) {
	seen := map[int]bool{}
	codecs := make([]*serverCodec, 256) // on the heap, each at an address of its own
	for n := range codecs {
		codecs[n] = &serverCodec{}
		i := codecs[n].shard()
		if i < 0 || i >= statusShards {
			t.Fatalf("shard %d out of [0, %d)", i, statusShards)
		}
		seen[i] = true
	}
	if len(seen) < statusShards/2 {
		t.Errorf("256 codecs use %d of %d shards", len(seen), statusShards)
	}
}
