package http

import (
	"bytes"
	"testing"

	"github.com/workerman-go/workerman/protocols"
)

// FuzzServerCodec drives the server codec as a connection would, with
// arbitrary input split at arbitrary points: every request it delivers is
// answered, the codec never consumes more than it was given, never panics,
// and a rejection carries a reply that states its status.
func FuzzServerCodec(f *testing.F) {
	f.Add([]byte("GET / HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.0\r\n\r\n"), []byte{5, 9}, uint8(0))
	f.Add([]byte("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"), []byte{1}, uint8(1))
	f.Add([]byte("PUT / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc"), []byte{}, uint8(2))
	f.Add([]byte("HEAD / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"), []byte{3}, uint8(3))
	f.Fuzz(func(t *testing.T, data, cuts []byte, answer uint8) {
		codec := ProtocolWith(Config{Limits: Limits{MaxHeaderBytes: 256, MaxBodyBytes: 128}}).
			NewCodec(protocols.Limits{MaxPackageSize: 1024})
		eff := codec.(protocols.Effector)
		var buf, out []byte
		closed := false
		for i := 0; len(data) > 0 && !closed; i++ {
			n := len(data)
			if len(cuts) > 0 {
				n = min(int(cuts[i%len(cuts)])%32+1, len(data))
			}
			buf, data = append(buf, data[:n]...), data[n:]
			for !closed {
				req, used, skip, err := codec.Decode(buf)
				if err != nil {
					rej, ok := err.(protocols.Rejection)
					if !ok || !bytes.HasPrefix(rej.Reply(), []byte("HTTP/1.1 ")) {
						t.Fatalf("rejection without a reply: %v", err)
					}
					closed = true
					break
				}
				if used < 0 || used > len(buf) || (req != nil) == skip && used > 0 {
					t.Fatalf("Decode: used %d of %d, req %v, skip %v", used, len(buf), req != nil, skip)
				}
				buf = buf[used:]
				if req == nil {
					if used == 0 {
						break
					}
					continue
				}
				// Answer in one of several ways.
				var err2 error
				switch answer % 4 {
				case 0:
					out, err2 = codec.Encode(out[:0], "ok")
				case 1:
					out, err2 = codec.Encode(out[:0], NewResponse(204, ""))
				case 2:
					r := NewResponse(200, "ab").WithHeader("Content-Length", "4")
					if out, err2 = codec.Encode(out[:0], r); err2 == nil && req.Method != "HEAD" {
						out, err2 = codec.Encode(out, []byte("cd"))
					}
				case 3:
					if req.ProtoMinor == 0 {
						out, err2 = codec.Encode(out[:0], NewResponse(200, "x"))
						break
					}
					if out, err2 = codec.Encode(out[:0], NewChunkedResponse(200)); err2 == nil && req.Method != "HEAD" {
						out, err2 = codec.Encode(out, "chunk")
						if err2 == nil {
							out, err2 = codec.Encode(out, "")
						}
					}
				}
				if err2 != nil {
					t.Fatalf("answering %s %s: %v", req.Method, req.Target, err2)
				}
				e := eff.Effects()
				if e&protocols.ResumeDecode == 0 {
					t.Fatalf("response to %s %s not complete", req.Method, req.Target)
				}
				if e&protocols.CloseAfterWrite != 0 {
					closed = true
				}
			}
		}
	})
}
