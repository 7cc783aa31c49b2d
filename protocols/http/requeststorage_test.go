package http

import (
	"runtime"
	"testing"

	"github.com/workerman-go/workerman/protocols"
)

// TestRequestStorageAlloc checks that each tier of newRequest is one
// allocation of the size class it was cut for: a change to Request that
// pushes a tier into the next class (or leaves room unused) shows here.
func TestRequestStorageAlloc(t *testing.T) {
	for _, tc := range []struct {
		name    string
		fields  int
		head    int
		size    uint64 // bytes allocated
		objects uint64
	}{
		{"small", 4, smallHead, 576, 1},
		{"medium", 8, mediumHead, 1024, 1},
		{"large", 16, largeHead, 2048, 1},
		{"beyond", 17, 100, 0, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			head := make([]byte, tc.head)
			for i := range head {
				head[i] = 'a' + byte(i%26)
			}
			const n = 1000
			keep := make([]*Request, n)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			for i := range keep {
				req, s := newRequest(tc.fields, head)
				if s != string(head) || len(req.Header) != tc.fields {
					t.Fatalf("newRequest(%d, %d bytes): head %q, %d fields", tc.fields, tc.head, s, len(req.Header))
				}
				keep[i] = req
			}
			runtime.ReadMemStats(&after)
			// Whatever else the runtime allocates meanwhile may add a few
			// bytes, never a whole object per request.
			objects := (after.Mallocs - before.Mallocs) / n
			size := (after.TotalAlloc - before.TotalAlloc) / n
			if objects != tc.objects || (tc.size != 0 && (size < tc.size || size > tc.size+8)) {
				t.Errorf("%d fields, %d-byte head: %d allocations of %d bytes per request, want %d of %d", tc.fields, tc.head, objects, size, tc.objects, tc.size)
			}
			runtime.KeepAlive(keep)
		})
	}
}

// TestRequestStorageHoldsTheHead checks that the head kept in a Request's
// own storage is a copy: the buffer it was read from may be reused.
func TestRequestStorageHoldsTheHead(t *testing.T) {
	in := []byte("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
	req, head := newRequest(1, in)
	copy(in, "XXXXXXXXXXXXXXXXXXXXXXXXXXX")
	if head != "GET / HTTP/1.1\r\nHost: a\r\n\r\n" || len(req.Header) != 1 {
		t.Fatalf("head %q after the input was overwritten", head)
	}
}

// TestKeepAliveRequestAlloc checks what a keep-alive request costs the
// server codec once the connection is warm: decoding a browser's GET and
// encoding a short answer make one allocation, the Request (which the
// application may keep: it is never reused).
func TestKeepAliveRequestAlloc(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector changes what pools give back")
	}
	wire := []byte("GET /hello?x=1 HTTP/1.1\r\nHost: localhost:8080\r\n" +
		"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n" +
		"Accept: text/html,application/xhtml+xml,*/*;q=0.8\r\nAccept-Encoding: gzip, deflate, br\r\n" +
		"Connection: keep-alive\r\n\r\n")
	codec := Protocol().NewCodec(protocols.Limits{MaxPackageSize: 1 << 20})
	out := make([]byte, 0, 4096)
	request := func() {
		req, n, _, err := codec.Decode(wire)
		if err != nil || req == nil || n != len(wire) {
			t.Fatal(n, err)
		}
		if out, err = codec.Encode(out[:0], "Hello, World!"); err != nil {
			t.Fatal(err)
		}
	}
	request()
	if allocs := testing.AllocsPerRun(100, request); allocs != 1 {
		t.Fatalf("%v allocations per keep-alive request, want 1 (the Request)", allocs)
	}
}
