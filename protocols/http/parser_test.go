package http

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/workerman-go/workerman/protocols"
)

type validCase struct {
	name string
	in   string
	lim  Limits
	want []snapshot
}

var validCases = []validCase{
	{
		name: "GET origin-form with query",
		in:   "GET /index.html?a=1&b=%20 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: t/1\r\n\r\n",
		want: []snapshot{{
			Method: "GET", Target: "/index.html?a=1&b=%20", Path: "/index.html", RawPath: "/index.html",
			RawQuery: "a=1&b=%20", Proto: "HTTP/1.1", ProtoMinor: 1, Host: "example.com",
			Header: fields("Host", "example.com", "User-Agent", "t/1"), KeepAlive: true,
		}},
	},
	{
		name: "POST with Content-Length",
		in:   "POST /submit HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\nContent-Type: text/plain\r\n\r\nhello world",
		want: []snapshot{{
			Method: "POST", Target: "/submit", Path: "/submit", RawPath: "/submit", Proto: "HTTP/1.1", ProtoMinor: 1,
			Host: "h", Header: fields("Host", "h", "Content-Length", "11", "Content-Type", "text/plain"),
			Body: "hello world", ContentLength: 11, KeepAlive: true,
		}},
	},
	{
		name: "chunked with extensions and trailers",
		in: "POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" +
			"5;name=value\r\nhello\r\n" +
			"6 ; a = \"q\\\"x;\" ;b\r\n world\r\n" +
			"0;last\r\nX-Checksum: abc\r\nX-Other:  v \r\n\r\n",
		want: []snapshot{{
			Method: "POST", Target: "/up", Path: "/up", RawPath: "/up", Proto: "HTTP/1.1", ProtoMinor: 1, Host: "h",
			Header: fields("Host", "h", "Transfer-Encoding", "chunked"), Trailer: fields("X-Checksum", "abc", "X-Other", "v"),
			Body: "hello world", ContentLength: -1, Chunked: true, KeepAlive: true,
		}},
	},
	{
		name: "chunked without data or trailers, mixed-case coding, hex sizes",
		in: "PUT /a HTTP/1.1\r\nHost: h\r\ntransfer-encoding: Chunked\r\n\r\n0\r\n\r\n" +
			"PUT /b HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked,\r\n\r\n000A\r\n0123456789\r\n1f\r\n" +
			strings.Repeat("x", 31) + "\r\n0000\r\n\r\n",
		want: []snapshot{{
			Method: "PUT", Target: "/a", Path: "/a", RawPath: "/a", Proto: "HTTP/1.1", ProtoMinor: 1, Host: "h",
			Header: fields("Host", "h", "transfer-encoding", "Chunked"), ContentLength: -1, Chunked: true, KeepAlive: true,
		}, {
			Method: "PUT", Target: "/b", Path: "/b", RawPath: "/b", Proto: "HTTP/1.1", ProtoMinor: 1, Host: "h",
			Header: fields("Host", "h", "Transfer-Encoding", "chunked,"), Body: "0123456789" + strings.Repeat("x", 31),
			ContentLength: -1, Chunked: true, KeepAlive: true,
		}},
	},
	{
		name: "absolute-form overrides Host",
		in:   "GET http://example.org:8080/p%2Fq?x=y HTTP/1.1\r\nHost: other\r\n\r\n",
		want: []snapshot{{
			Method: "GET", Target: "http://example.org:8080/p%2Fq?x=y", Path: "/p/q", RawPath: "/p%2Fq", RawQuery: "x=y",
			Proto: "HTTP/1.1", ProtoMinor: 1, Host: "example.org:8080", Header: fields("Host", "other"), KeepAlive: true,
		}},
	},
	{
		name: "absolute-form without path",
		in:   "GET HTTPS://[2001:db8::1]?q HTTP/1.1\r\nHost: x\r\n\r\nOPTIONS http://a.b HTTP/1.1\r\nHost: a.b\r\n\r\n",
		want: []snapshot{{
			Method: "GET", Target: "HTTPS://[2001:db8::1]?q", Path: "/", RawPath: "/", RawQuery: "q",
			Proto: "HTTP/1.1", ProtoMinor: 1, Host: "[2001:db8::1]", Header: fields("Host", "x"), KeepAlive: true,
		}, {
			Method: "OPTIONS", Target: "http://a.b", Path: "*", RawPath: "*",
			Proto: "HTTP/1.1", ProtoMinor: 1, Host: "a.b", Header: fields("Host", "a.b"), KeepAlive: true,
		}},
	},
	{
		name: "OPTIONS asterisk-form",
		in:   "OPTIONS * HTTP/1.1\r\nHost: h:80\r\n\r\n",
		want: []snapshot{{
			Method: "OPTIONS", Target: "*", Path: "*", RawPath: "*", Proto: "HTTP/1.1", ProtoMinor: 1,
			Host: "h:80", Header: fields("Host", "h:80"), KeepAlive: true,
		}},
	},
	{
		name: "CONNECT authority-form",
		in:   "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
		want: []snapshot{{
			Method: "CONNECT", Target: "example.com:443", Proto: "HTTP/1.1", ProtoMinor: 1,
			Host: "example.com:443", Header: fields("Host", "example.com:443"), KeepAlive: true,
		}},
	},
	{
		name: "leading empty lines",
		in:   "\r\n\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n",
		want: []snapshot{{
			Method: "GET", Target: "/", Path: "/", RawPath: "/", Proto: "HTTP/1.1", ProtoMinor: 1,
			Host: "h", Header: fields("Host", "h"), KeepAlive: true,
		}},
	},
	{
		name: "LF-only line endings",
		in:   "GET /x HTTP/1.1\nHost: h\nX: y\r\n\n",
		want: []snapshot{{
			Method: "GET", Target: "/x", Path: "/x", RawPath: "/x", Proto: "HTTP/1.1", ProtoMinor: 1,
			Host: "h", Header: fields("Host", "h", "X", "y"), KeepAlive: true,
		}},
	},
	{
		name: "pipelined requests in one buffer",
		in: "GET /1 HTTP/1.1\r\nHost: h\r\n\r\n" +
			"POST /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc" +
			"GET /3 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n" +
			"GET /4 HTTP/1.1\r\n",
		want: []snapshot{{
			Method: "GET", Target: "/1", Path: "/1", RawPath: "/1", Proto: "HTTP/1.1", ProtoMinor: 1,
			Host: "h", Header: fields("Host", "h"), KeepAlive: true,
		}, {
			Method: "POST", Target: "/2", Path: "/2", RawPath: "/2", Proto: "HTTP/1.1", ProtoMinor: 1,
			Host: "h", Header: fields("Host", "h", "Content-Length", "3"), Body: "abc", ContentLength: 3, KeepAlive: true,
		}, {
			Method: "GET", Target: "/3", Path: "/3", RawPath: "/3", Proto: "HTTP/1.1", ProtoMinor: 1,
			Host: "h", Header: fields("Host", "h", "Connection", "close"),
		}},
	},
	{
		name: "HTTP/1.0 keep-alive, then default close, without Host",
		in:   "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\nHEAD /h HTTP/1.0\r\n\r\n",
		want: []snapshot{{
			Method: "GET", Target: "/", Path: "/", RawPath: "/", Proto: "HTTP/1.0",
			Header: fields("Connection", "Keep-Alive"), KeepAlive: true,
		}, {
			Method: "HEAD", Target: "/h", Path: "/h", RawPath: "/h", Proto: "HTTP/1.0",
		}},
	},
	{
		name: "Connection close as a list token",
		in:   "GET / HTTP/1.1\r\nHost: h\r\nConnection: foo, CLOSE\r\n\r\n",
		want: []snapshot{{
			Method: "GET", Target: "/", Path: "/", RawPath: "/", Proto: "HTTP/1.1", ProtoMinor: 1,
			Host: "h", Header: fields("Host", "h", "Connection", "foo, CLOSE"),
		}},
	},
	{
		name: "Expect 100-continue",
		in:   "PUT /f HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\nContent-Length: 3\r\n\r\nabc",
		want: []snapshot{{
			Method: "PUT", Target: "/f", Path: "/f", RawPath: "/f", Proto: "HTTP/1.1", ProtoMinor: 1, Host: "h",
			Header: fields("Host", "h", "Expect", "100-Continue", "Content-Length", "3"),
			Body:   "abc", ContentLength: 3, KeepAlive: true, ExpectsContinue: true,
		}},
	},
	{
		name: "Expect 100-continue ignored in HTTP/1.0",
		in:   "PUT /f HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\na",
		want: []snapshot{{
			Method: "PUT", Target: "/f", Path: "/f", RawPath: "/f", Proto: "HTTP/1.0",
			Header: fields("Expect", "100-continue", "Content-Length", "1"), Body: "a", ContentLength: 1,
		}},
	},
	{
		name: "repeated identical Content-Length",
		in:   "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\ncontent-length: 3, 003\r\n\r\nxyz",
		want: []snapshot{{
			Method: "POST", Target: "/", Path: "/", RawPath: "/", Proto: "HTTP/1.1", ProtoMinor: 1, Host: "h",
			Header: fields("Host", "h", "Content-Length", "3", "content-length", "3, 003"),
			Body:   "xyz", ContentLength: 3, KeepAlive: true,
		}},
	},
	{
		name: "Content-Length 0",
		in:   "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n",
		want: []snapshot{{
			Method: "POST", Target: "/", Path: "/", RawPath: "/", Proto: "HTTP/1.1", ProtoMinor: 1, Host: "h",
			Header: fields("Host", "h", "Content-Length", "0"), KeepAlive: true,
		}},
	},
	{
		name: "field values: OWS trimmed, HTAB and obs-text kept, empty value",
		in:   "GET / HTTP/1.1\r\nHost:h\r\nX:\t a\tb \xff \t\r\nX-Empty:\r\nX-Sp:   \r\n\r\n",
		want: []snapshot{{
			Method: "GET", Target: "/", Path: "/", RawPath: "/", Proto: "HTTP/1.1", ProtoMinor: 1, Host: "h",
			Header: fields("Host", "h", "X", "a\tb \xff", "X-Empty", "", "X-Sp", ""), KeepAlive: true,
		}},
	},
	{
		name: "empty Host, IPv6 and IPv4 hosts, custom method",
		in: "M-SEARCH /? HTTP/1.1\r\nHost:\r\n\r\n" +
			"GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n" +
			"GET /%41%2f%25 HTTP/1.1\r\nHost: 127.0.0.1:\r\n\r\n",
		want: []snapshot{{
			Method: "M-SEARCH", Target: "/?", Path: "/", RawPath: "/", Proto: "HTTP/1.1", ProtoMinor: 1,
			Header: fields("Host", ""), KeepAlive: true,
		}, {
			Method: "GET", Target: "/", Path: "/", RawPath: "/", Proto: "HTTP/1.1", ProtoMinor: 1,
			Host: "[::1]:8080", Header: fields("Host", "[::1]:8080"), KeepAlive: true,
		}, {
			Method: "GET", Target: "/%41%2f%25", Path: "/A/%", RawPath: "/%41%2f%25", Proto: "HTTP/1.1", ProtoMinor: 1,
			Host: "127.0.0.1:", Header: fields("Host", "127.0.0.1:"), KeepAlive: true,
		}},
	},
	{
		name: "hosts: percent-encoded reg-name, IPvFuture, IPv4-mapped IPv6",
		in: "GET / HTTP/1.1\r\nHost: ex%41mple.com\r\n\r\n" +
			"GET / HTTP/1.1\r\nHost: [v1F.a:b~]\r\n\r\n" +
			"GET / HTTP/1.1\r\nHost: [::ffff:1.2.3.4]:80\r\n\r\n",
		want: []snapshot{{
			Method: "GET", Target: "/", Path: "/", RawPath: "/", Proto: "HTTP/1.1", ProtoMinor: 1,
			Host: "ex%41mple.com", Header: fields("Host", "ex%41mple.com"), KeepAlive: true,
		}, {
			Method: "GET", Target: "/", Path: "/", RawPath: "/", Proto: "HTTP/1.1", ProtoMinor: 1,
			Host: "[v1F.a:b~]", Header: fields("Host", "[v1F.a:b~]"), KeepAlive: true,
		}, {
			Method: "GET", Target: "/", Path: "/", RawPath: "/", Proto: "HTTP/1.1", ProtoMinor: 1,
			Host: "[::ffff:1.2.3.4]:80", Header: fields("Host", "[::ffff:1.2.3.4]:80"), KeepAlive: true,
		}},
	},
	{
		name: "limits reached exactly",
		lim:  Limits{MaxHeaderBytes: 64, MaxHeaders: 2, MaxBodyBytes: 5},
		// 64 bytes of head, 2 fields, a 5-byte body in two chunks.
		in: "POST /xxxxxxxx HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" +
			"2\r\nab\r\n3\r\ncde\r\n0\r\nT1: 1\r\nT2: 2\r\n\r\n",
		want: []snapshot{{
			Method: "POST", Target: "/xxxxxxxx", Path: "/xxxxxxxx", RawPath: "/xxxxxxxx",
			Proto: "HTTP/1.1", ProtoMinor: 1, Host: "h", Header: fields("Host", "h", "Transfer-Encoding", "chunked"),
			Trailer: fields("T1", "1", "T2", "2"), Body: "abcde", ContentLength: -1, Chunked: true, KeepAlive: true,
		}},
	},
}

func TestParseValid(t *testing.T) {
	for _, tc := range validCases {
		t.Run(tc.name, func(t *testing.T) {
			got := run(t, tc.lim, []byte(tc.in))
			if got.status != 0 {
				t.Fatalf("error %d %q", got.status, got.msg)
			}
			if !reflect.DeepEqual(got.reqs, tc.want) {
				for i := range max(len(got.reqs), len(tc.want)) {
					var g, w snapshot
					if i < len(got.reqs) {
						g = got.reqs[i]
					}
					if i < len(tc.want) {
						w = tc.want[i]
					}
					if !reflect.DeepEqual(g, w) {
						t.Errorf("request %d:\n got %+v\nwant %+v", i, g, w)
					}
				}
			}
			// Whatever follows the last complete request stays buffered.
			if strings.HasSuffix(tc.in, "GET /4 HTTP/1.1\r\n") != (got.rest != "") {
				t.Errorf("rest %q", got.rest)
			}
		})
	}
}

type invalidCase struct {
	name   string
	in     string
	status int
	msg    string // a substring of the message
	lim    Limits
}

const post = "POST / HTTP/1.1\r\nHost: h\r\n"
const chunkedHead = post + "Transfer-Encoding: chunked\r\n\r\n"

var invalidCases = []invalidCase{
	// Request smuggling: framing that two parsers could read differently.
	{"CL.TE", post + "Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nX", 400, "Content-Length and Transfer-Encoding both present", Limits{}},
	{"TE.CL", post + "Transfer-Encoding: chunked\r\nContent-Length: 6\r\n\r\n0\r\n\r\nX", 400, "both present", Limits{}},
	{"two different Content-Lengths", post + "Content-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400, "conflicting Content-Length", Limits{}},
	{"Content-Length list 1, 2", post + "Content-Length: 1, 2\r\n\r\nab", 400, "conflicting", Limits{}},
	{"Content-Length +5", post + "Content-Length: +5\r\n\r\nabcde", 400, "invalid Content-Length", Limits{}},
	{"Content-Length -5", post + "Content-Length: -5\r\n\r\n", 400, "invalid Content-Length", Limits{}},
	{"Content-Length 5 5", post + "Content-Length:  5 5\r\n\r\nabcde", 400, "invalid Content-Length", Limits{}},
	{"Content-Length 0x10", post + "Content-Length: 0x10\r\n\r\n", 400, "invalid Content-Length", Limits{}},
	{"Content-Length empty", post + "Content-Length:\r\n\r\n", 400, "invalid Content-Length", Limits{}},
	{"Content-Length empty element", post + "Content-Length: 5,\r\n\r\nabcde", 400, "invalid Content-Length", Limits{}},
	{"Content-Length overflow", post + "Content-Length: 99999999999999999999\r\n\r\n", 400, "invalid Content-Length", Limits{}},
	{"Content-Length decimal", post + "Content-Length: 1.0\r\n\r\n", 400, "invalid Content-Length", Limits{}},
	{"chunked, identity", post + "Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n", 400, "not the final", Limits{}},
	{"chunked then gzip on two lines", post + "Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n", 400, "not the final", Limits{}},
	{"chunked twice", post + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "more than once", Limits{}},
	{"gzip, chunked", post + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501, "unsupported transfer coding", Limits{}},
	{"identity", post + "Transfer-Encoding: identity\r\n\r\n", 501, "unsupported transfer coding", Limits{}},
	{"empty Transfer-Encoding", post + "Transfer-Encoding: ,\r\n\r\n", 400, "empty Transfer-Encoding", Limits{}},
	{"chunked with a parameter", post + "Transfer-Encoding: chunked;x=1\r\n\r\n", 400, "malformed Transfer-Encoding", Limits{}},
	{"Transfer-Encoding not a token", post + "Transfer-Encoding: \"chunked\"\r\n\r\n", 400, "malformed Transfer-Encoding", Limits{}},
	{"chunked in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, "HTTP/1.0", Limits{}},
	{"Transfer-Encoding with obs-fold", post + "Transfer-Encoding:\r\n chunked\r\n\r\n", 400, "obsolete line folding", Limits{}},
	{"space before colon", post + "Transfer-Encoding : chunked\r\n\r\n", 400, "whitespace between header field name and colon", Limits{}},
	{"tab before colon", "GET / HTTP/1.1\r\nHost\t: h\r\n\r\n", 400, "whitespace between", Limits{}},

	// Chunked bodies.
	{"chunk size 0x10", chunkedHead + "0x10\r\n", 400, "invalid chunk size", Limits{}},
	{"chunk size -1", chunkedHead + "-1\r\n", 400, "invalid chunk size", Limits{}},
	{"chunk size +1", chunkedHead + "+1\r\nx\r\n0\r\n\r\n", 400, "invalid chunk size", Limits{}},
	{"chunk size empty", chunkedHead + "\r\n", 400, "invalid chunk size", Limits{}},
	{"chunk size leading space", chunkedHead + " 1\r\nx\r\n", 400, "invalid chunk size", Limits{}},
	{"chunk size trailing space", chunkedHead + "1 \r\nx\r\n", 400, "invalid chunk extension", Limits{}},
	{"chunk size overflow", chunkedHead + "fffffffffffffffffff\r\n", 400, "overflows", Limits{}},
	{"chunk size 2^63", chunkedHead + "8000000000000000\r\n", 400, "overflows", Limits{}},
	{"chunk size above the body limit", chunkedHead + "7fffffffffffffff\r\n", 413, "body exceeds", Limits{}},
	{"missing CRLF after chunk data", chunkedHead + "5\r\nhelloX\r\n0\r\n\r\n", 400, "not followed by CRLF", Limits{}},
	{"LF only after chunk data", chunkedHead + "5\r\nhello\n0\r\n\r\n", 400, "not followed by CRLF", Limits{}},
	{"CR only after chunk data", chunkedHead + "5\r\nhello\rX", 400, "not followed by CRLF", Limits{}},
	{"chunk line with LF only", chunkedHead + "5\nhello\r\n0\r\n\r\n", 400, "CRLF", Limits{}},
	{"last chunk with LF only", chunkedHead + "0\n\r\n", 400, "CRLF", Limits{}},
	{"final line with LF only", chunkedHead + "0\r\n\n", 400, "CRLF", Limits{}},
	{"extension without name", chunkedHead + "5;\r\nhello\r\n", 400, "invalid chunk extension", Limits{}},
	{"extension without value", chunkedHead + "5;a=\r\nhello\r\n", 400, "invalid chunk extension", Limits{}},
	{"extension with open quote", chunkedHead + "5;a=\"x\r\nhello\r\n", 400, "invalid chunk extension", Limits{}},
	{"extension with bare CR", chunkedHead + "5;a\rb\r\nhello\r\n", 400, "invalid chunk extension", Limits{}},
	{"chunk line too long", chunkedHead + "5;a=" + strings.Repeat("b", maxChunkLineBytes), 400, "chunk size line too long", Limits{}},
	{"trailer with obs-fold", chunkedHead + "0\r\nA: b\r\n c\r\n\r\n", 400, "obsolete line folding", Limits{}},
	{"trailer without colon", chunkedHead + "0\r\nAb\r\n\r\n", 400, "without a colon", Limits{}},
	{"trailer with LF only", chunkedHead + "0\r\nA: b\n\r\n", 400, "CRLF", Limits{}},
	{"trailer with control character", chunkedHead + "0\r\nA: b\x00\r\n\r\n", 400, "control character", Limits{}},
	{"too many trailers", chunkedHead + "0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", 431, "too many trailer fields", Limits{MaxHeaders: 2}},
	{"trailer section too large", chunkedHead + "0\r\nA: " + strings.Repeat("a", 100) + "\r\n\r\n", 431, "trailer section exceeds", Limits{MaxHeaderBytes: 100}},

	// Limits.
	{"header section too large", "GET / HTTP/1.1\r\nHost: h\r\nX: " + strings.Repeat("a", 17<<10) + "\r\n\r\n", 431, "header section exceeds", Limits{}},
	{"header section too large by one byte", "GET / HTTP/1.1\r\nHost: h\r\nX: yyy\r\n\r\n", 431, "header section exceeds", Limits{MaxHeaderBytes: 34}},
	{"too many headers", "GET / HTTP/1.1\r\nHost: h\r\n" + strings.Repeat("X: y\r\n", 100) + "\r\n", 431, "too many header fields", Limits{}},
	{"request line too long", "GET /" + strings.Repeat("a", 17<<10) + " HTTP/1.1\r\n", 414, "request line exceeds", Limits{}},
	{"body too large by Content-Length", post + "Content-Length: 10485761\r\n\r\n", 413, "body exceeds", Limits{}},
	{"body of 9 GB announced", post + "Content-Length: 9000000000\r\n\r\n", 413, "body exceeds", Limits{}},
	{"body too large by chunks", chunkedHead + "3\r\nabc\r\n3\r\n", 413, "body exceeds", Limits{MaxBodyBytes: 5}},

	// Host.
	{"missing Host", "GET / HTTP/1.1\r\nX: y\r\n\r\n", 400, "missing Host", Limits{}},
	{"missing Host with absolute-form", "GET http://h/ HTTP/1.1\r\n\r\n", 400, "missing Host", Limits{}},
	{"duplicate Host", "GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n", 400, "more than one Host", Limits{}},
	{"duplicate Host in HTTP/1.0", "GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", 400, "more than one Host", Limits{}},
	{"Host with a space", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400, "invalid Host", Limits{}},
	{"Host with a path", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400, "invalid Host", Limits{}},
	{"Host with userinfo", "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", 400, "invalid Host", Limits{}},
	{"Host with a bad port", "GET / HTTP/1.1\r\nHost: a:8o\r\n\r\n", 400, "invalid Host", Limits{}},
	{"Host with an open bracket", "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", 400, "invalid Host", Limits{}},
	{"Host with only a port", "GET / HTTP/1.1\r\nHost: :80\r\n\r\n", 400, "invalid Host", Limits{}},

	{"Host with a bad percent-encoding", "GET / HTTP/1.1\r\nHost: a%zz\r\n\r\n", 400, "invalid Host", Limits{}},
	{"Host with a truncated percent-encoding", "GET / HTTP/1.1\r\nHost: a%4\r\n\r\n", 400, "invalid Host", Limits{}},
	{"Host with junk after the IP literal", "GET / HTTP/1.1\r\nHost: [::1]x\r\n\r\n", 400, "invalid Host", Limits{}},
	{"Host with an empty IP literal", "GET / HTTP/1.1\r\nHost: []\r\n\r\n", 400, "invalid Host", Limits{}},
	{"Host IPv6 with a non-hex digit", "GET / HTTP/1.1\r\nHost: [::g]\r\n\r\n", 400, "invalid Host", Limits{}},
	{"Host IPv6 with one colon", "GET / HTTP/1.1\r\nHost: [1:2]\r\n\r\n", 400, "invalid Host", Limits{}},
	{"Host IPvFuture without a dot", "GET / HTTP/1.1\r\nHost: [v1]\r\n\r\n", 400, "invalid Host", Limits{}},
	{"Host IPvFuture without a version", "GET / HTTP/1.1\r\nHost: [v.x]\r\n\r\n", 400, "invalid Host", Limits{}},
	{"Host IPvFuture with a slash", "GET / HTTP/1.1\r\nHost: [v1.x/]\r\n\r\n", 400, "invalid Host", Limits{}},
	{"scheme starting with a digit", "GET 1http://h/ HTTP/1.1\r\nHost: h\r\n\r\n", 400, "invalid request-target", Limits{}},
	{"scheme with an underscore", "GET h_ttp://h/ HTTP/1.1\r\nHost: h\r\n\r\n", 400, "invalid request-target", Limits{}},
	{"authority with a bad port", "GET http://h:8x/ HTTP/1.1\r\nHost: h\r\n\r\n", 400, "invalid authority", Limits{}},

	// Versions and the request line.
	{"HTTP/2.0", "GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505, "unsupported HTTP version", Limits{}},
	{"HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505, "unsupported HTTP version", Limits{}},
	{"HTTP/1.2", "GET / HTTP/1.2\r\nHost: h\r\n\r\n", 505, "unsupported", Limits{}},
	{"HTTP/0.9 version", "GET / HTTP/0.9\r\n\r\n", 505, "unsupported", Limits{}},
	{"HTTP/1.10", "GET / HTTP/1.10\r\nHost: h\r\n\r\n", 400, "malformed HTTP version", Limits{}},
	{"lowercase http", "GET / http/1.1\r\nHost: h\r\n\r\n", 400, "malformed HTTP version", Limits{}},
	{"HTTP/0.9 request", "GET /\r\n\r\n", 400, "malformed request line", Limits{}},
	{"garbage", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n", 400, "", Limits{}},
	{"two spaces", "GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 400, "malformed request line", Limits{}},
	{"trailing space", "GET / HTTP/1.1 \r\nHost: h\r\n\r\n", 400, "malformed HTTP version", Limits{}},
	{"leading space", " GET / HTTP/1.1\r\nHost: h\r\n\r\n", 400, "invalid method", Limits{}},
	{"tab separator", "GET\t/ HTTP/1.1\r\nHost: h\r\n\r\n", 400, "invalid method", Limits{}},
	{"method not a token", "G(T / HTTP/1.1\r\nHost: h\r\n\r\n", 400, "invalid method", Limits{}},
	{"asterisk without OPTIONS", "GET * HTTP/1.1\r\nHost: h\r\n\r\n", 400, "only allowed with OPTIONS", Limits{}},
	{"authority-form without CONNECT", "GET example.com:80 HTTP/1.1\r\nHost: h\r\n\r\n", 400, "scheme other than http", Limits{}},
	{"CONNECT origin-form", "CONNECT / HTTP/1.1\r\nHost: h\r\n\r\n", 400, "CONNECT needs", Limits{}},
	{"CONNECT without port", "CONNECT example.com HTTP/1.1\r\nHost: h\r\n\r\n", 400, "CONNECT needs", Limits{}},
	{"CONNECT absolute-form", "CONNECT http://example.com:80 HTTP/1.1\r\nHost: h\r\n\r\n", 400, "CONNECT needs", Limits{}},
	{"ftp scheme", "GET ftp://h/ HTTP/1.1\r\nHost: h\r\n\r\n", 400, "scheme other than http", Limits{}},
	{"userinfo", "GET http://u:p@h/ HTTP/1.1\r\nHost: h\r\n\r\n", 400, "userinfo", Limits{}},
	{"http without //", "GET http:/h HTTP/1.1\r\nHost: h\r\n\r\n", 400, "invalid request-target", Limits{}},
	{"empty authority", "GET http:///p HTTP/1.1\r\nHost: h\r\n\r\n", 400, "invalid authority", Limits{}},
	{"fragment", "GET /a#b HTTP/1.1\r\nHost: h\r\n\r\n", 400, "invalid request-target", Limits{}},
	{"bad percent-encoding", "GET /%zz HTTP/1.1\r\nHost: h\r\n\r\n", 400, "percent-encoding", Limits{}},
	{"truncated percent-encoding", "GET /a?b=%4 HTTP/1.1\r\nHost: h\r\n\r\n", 400, "percent-encoding", Limits{}},
	{"DEL in target", "GET /\x7f HTTP/1.1\r\nHost: h\r\n\r\n", 400, "invalid request-target", Limits{}},
	{"UTF-8 in target", "GET /é HTTP/1.1\r\nHost: h\r\n\r\n", 400, "invalid request-target", Limits{}},

	// Line endings and field syntax.
	{"bare CR in a field", "GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n", 400, "CR not followed by LF", Limits{}},
	{"bare CR in the request line", "GET /\r HTTP/1.1\r\nHost: h\r\n\r\n", 400, "CR not followed by LF", Limits{}},
	{"CR CR LF", "GET / HTTP/1.1\r\r\nHost: h\r\n\r\n", 400, "CR not followed by LF", Limits{}},
	{"bare CR as the end of the head", "GET / HTTP/1.1\r\nHost: h\r\n\r\r\n", 400, "", Limits{}},
	{"control character in a value", "GET / HTTP/1.1\r\nHost: h\r\nX: a\x01b\r\n\r\n", 400, "control character", Limits{}},
	{"NUL in a value", "GET / HTTP/1.1\r\nHost: h\r\nX: a\x00\r\n\r\n", 400, "control character", Limits{}},
	{"DEL in a value", "GET / HTTP/1.1\r\nHost: h\r\nX: \x7f\r\n\r\n", 400, "control character", Limits{}},
	{"obs-fold", "GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n\tb\r\n\r\n", 400, "obsolete line folding", Limits{}},
	{"obs-fold as first field", "GET / HTTP/1.1\r\n Host: h\r\n\r\n", 400, "obsolete line folding", Limits{}},
	{"field name not a token", "GET / HTTP/1.1\r\nHost: h\r\nX(: y\r\n\r\n", 400, "invalid header field name", Limits{}},
	{"empty field name", "GET / HTTP/1.1\r\nHost: h\r\n: y\r\n\r\n", 400, "invalid header field name", Limits{}},
	{"field without colon", "GET / HTTP/1.1\r\nHost: h\r\nXy\r\n\r\n", 400, "without a colon", Limits{}},
	{"UTF-8 in a field name", "GET / HTTP/1.1\r\nHost: h\r\nÄ: y\r\n\r\n", 400, "invalid header field name", Limits{}},

	// Expect.
	{"Expect other than 100-continue", post + "Expect: 200-ok\r\nContent-Length: 1\r\n\r\nx", 417, "unsupported expectation", Limits{}},
	{"Expect list with an unknown member", "GET / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue, x\r\n\r\n", 417, "expectation", Limits{}},
}

func TestParseInvalid(t *testing.T) {
	for _, tc := range invalidCases {
		t.Run(tc.name, func(t *testing.T) {
			got := run(t, tc.lim, []byte(tc.in))
			if got.status != tc.status || !strings.Contains(got.msg, tc.msg) {
				t.Fatalf("got %v; want status %d with %q", got, tc.status, tc.msg)
			}
			if len(got.reqs) != 0 {
				t.Fatalf("a request was accepted before the error: %+v", got.reqs)
			}
		})
	}
}

// TestSplit feeds every case in two pieces at every split point, and one
// byte at a time: the outcome is always the same as for the whole input.
func TestSplit(t *testing.T) {
	type c struct {
		name string
		in   string
		lim  Limits
	}
	var cases []c
	for _, tc := range validCases {
		cases = append(cases, c{tc.name, tc.in, tc.lim})
	}
	for _, tc := range invalidCases {
		cases = append(cases, c{tc.name, tc.in, tc.lim})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := []byte(tc.in)
			whole := run(t, tc.lim, in)
			if got := run(t, tc.lim, bytewise(in)...); !sameOutcome(got, whole) {
				t.Fatalf("byte by byte: %v\nwhole: %v", got, whole)
			}
			if len(in) > 4096 {
				return // the byte-by-byte run covered it; every split would be slow
			}
			for i := 0; i <= len(in); i++ {
				if got := run(t, tc.lim, in[:i], in[i:]); !sameOutcome(got, whole) {
					t.Fatalf("split at %d: %v\nwhole: %v", i, got, whole)
				}
			}
		})
	}
}

// TestRoundTrip writes every valid request back in canonical form and parses
// it again.
func TestRoundTrip(t *testing.T) {
	for _, tc := range validCases {
		t.Run(tc.name, func(t *testing.T) {
			p := NewParser(tc.lim)
			in := []byte(tc.in)
			for {
				req, n, err := p.Parse(in)
				if err != nil || n == 0 {
					break
				}
				in = in[n:]
				w := writeRequest(req)
				req2, n2, err := NewParser(Limits{MaxHeaderBytes: 1 << 20, MaxHeaders: tc.lim.MaxHeaders, MaxBodyBytes: tc.lim.MaxBodyBytes}).Parse(w)
				if err != nil || n2 != len(w) || !reflect.DeepEqual(snap(req2), snap(req)) {
					t.Fatalf("%q parsed as (%+v, %d, %v), want %+v", w, req2, n2, err, snap(req))
				}
			}
		})
	}
}

func TestErrorReply(t *testing.T) {
	_, _, err := NewParser(Limits{}).Parse([]byte(post + "Content-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n"))
	var he *Error
	if !errors.As(err, &he) || he.Status != 400 || err.Error() != he.Msg {
		t.Fatalf("err = %v", err)
	}
	clock = func() time.Time { return time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC) }
	defer func() { clock = time.Now }()
	want := "HTTP/1.1 400 Bad Request\r\nDate: Tue, 03 Feb 2026 04:05:06 GMT\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\nContent-Length: 55\r\n" +
		"Connection: close\r\n\r\nhttp: Content-Length and Transfer-Encoding both present"
	if got := string(he.Reply()); got != want {
		t.Fatalf("Reply() =\n%q\nwant\n%q", got, want)
	}
	// The reply is itself a response this package's parser rules accept:
	// one status line, fields, and a body of the announced length.
	for _, st := range []int{400, 408, 413, 414, 417, 431, 501, 505} {
		r := NewError(st, "m").Reply()
		if !bytes.HasPrefix(r, fmt.Appendf(nil, "HTTP/1.1 %d %s\r\n", st, StatusText(st))) || !bytes.HasSuffix(r, []byte("\r\n\r\nm")) {
			t.Errorf("Reply for %d = %q", st, r)
		}
	}
	if string(errRequestTimeout.Reply()[:26]) != "HTTP/1.1 408 Request Timeo" {
		t.Errorf("408 reply %q", errRequestTimeout.Reply())
	}
	// Size errors wrap the codec contract's sentinel.
	for _, tc := range []struct {
		st   int
		wrap bool
	}{{413, true}, {414, true}, {431, true}, {400, false}, {501, false}} {
		if got := errors.Is(NewError(tc.st, ""), protocols.ErrPackageTooLarge); got != tc.wrap {
			t.Errorf("errors.Is(%d, ErrPackageTooLarge) = %v", tc.st, got)
		}
	}
}

// TestExpectContinue walks a request with Expect: 100-continue through the
// states the connection layer sees.
func TestExpectContinue(t *testing.T) {
	p := NewParser(Limits{})
	head := "PUT /f HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n"
	in := []byte(head[:len(head)-1])
	if req, n, err := p.Parse(in); req != nil || n != 0 || err != nil || p.headDone() || p.needsContinue() || !p.inProgress() {
		t.Fatalf("partial head: %v %d %v head=%v continue=%v", req, n, err, p.headDone(), p.needsContinue())
	}
	in = append(in, '\n')
	if req, n, err := p.Parse(in); req != nil || n != len(head) || err != nil {
		t.Fatalf("head: %v %d %v", req, n, err) // the head is consumed once complete
	}
	in = in[len(head):]
	if !p.headDone() || !p.needsContinue() || p.req == nil || p.req.Path != "/f" || !p.req.expectContinue {
		t.Fatalf("after head: headDone %v needsContinue %v req %v", p.headDone(), p.needsContinue(), p.req)
	}
	p.continueSent()
	if p.needsContinue() {
		t.Fatal("needsContinue after continueSent")
	}
	in = append(in, "hel"...)
	if req, n, _ := p.Parse(in); req != nil || n != 3 || p.needsContinue() {
		t.Fatal("partial body")
	}
	in = append(in[3:], "loGET"...)
	req, n, err := p.Parse(in)
	if err != nil || n != 2 || string(req.Body) != "hello" {
		t.Fatalf("body: %v %d %v", req, n, err)
	}
	if p.headDone() || p.needsContinue() || p.req != nil {
		t.Fatal("state not reset after the request")
	}
	if continueResponse != "HTTP/1.1 100 Continue\r\n\r\n" {
		t.Fatal(continueResponse)
	}

	// No continue when the body is empty or already there, or for HTTP/1.0.
	for _, in := range []string{
		"GET / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n\r\n",
		"PUT / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n",
		"PUT / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n",
	} {
		p := NewParser(Limits{})
		req, _, err := p.Parse([]byte(in))
		if err != nil || p.needsContinue() || req != nil && req.expectContinue && req.ContentLength > 0 {
			t.Errorf("%q: req %v err %v needsContinue %v", in, req, err, p.needsContinue())
		}
	}
	// A chunked body waits for continue too.
	p = NewParser(Limits{})
	p.Parse([]byte("POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n"))
	if !p.needsContinue() {
		t.Fatal("chunked: no needsContinue")
	}
}

// TestRequestOwnsMemory overwrites the input after parsing: the request does
// not change.
func TestRequestOwnsMemory(t *testing.T) {
	in := []byte("POST /a?b=c HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhi" +
		"POST /d HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nyo\r\n0\r\nT: v\r\n\r\n")
	p := NewParser(Limits{})
	r1, n, err := p.Parse(in)
	if err != nil {
		t.Fatal(err)
	}
	r2, _, err := p.Parse(in[n:])
	if err != nil || r2 == nil {
		t.Fatal(err)
	}
	want1, want2 := snap(r1), snap(r2)
	for i := range in {
		in[i] = 'Z'
	}
	if !reflect.DeepEqual(snap(r1), want1) || !reflect.DeepEqual(snap(r2), want2) {
		t.Fatalf("requests changed with their input: %+v %+v", snap(r1), snap(r2))
	}
}

// TestParserRestart gives the parser a shorter buffer than it has scanned:
// it starts over instead of reading out of range.
func TestParserRestart(t *testing.T) {
	p := NewParser(Limits{})
	p.Parse([]byte("GET /long/path HTTP/1.1\r\nHost: h\r\n"))
	req, n, err := p.Parse([]byte("GET / HTTP/1.1\r\nHost: h\r\n\r\n"))
	if err != nil || req == nil || req.Path != "/" || n != 27 {
		t.Fatalf("after restart: %v %d %v", req, n, err)
	}
	// Reset clears an error.
	_, _, err = p.Parse([]byte("BAD\r\n"))
	if err == nil || p.err == nil {
		t.Fatal("no error")
	}
	p.Reset()
	if p.err != nil {
		t.Fatal("error kept after Reset")
	}
	if req, _, err := p.Parse([]byte("GET / HTTP/1.0\r\n\r\n")); err != nil || req == nil {
		t.Fatalf("after Reset: %v %v", req, err)
	}
}

// TestZeroParser checks that the zero Parser uses the default limits.
func TestZeroParser(t *testing.T) {
	var p Parser
	if got := p.lim.withDefaults(); got.MaxHeaderBytes != DefaultMaxHeaderBytes || got.MaxHeaders != 100 || got.MaxBodyBytes != 10<<20 {
		t.Fatalf("limits of the zero Parser = %+v", got)
	}
	_, _, err := p.Parse([]byte(post + "Content-Length: 10485761\r\n\r\n"))
	var he *Error
	if !errors.As(err, &he) || he.Status != 413 {
		t.Fatalf("err = %v", err)
	}
}

// TestInProgress checks what the connection layer uses for idle timers.
func TestInProgress(t *testing.T) {
	p := NewParser(Limits{})
	p.Parse([]byte("\r\n\r\n"))
	if p.inProgress() {
		t.Fatal("empty lines make a request in progress")
	}
	p.Parse([]byte("\r\n\r\nG"))
	if !p.inProgress() {
		t.Fatal("a partial request line is not in progress")
	}
}

// TestLargeBody parses a 5 MB body that arrives in 64 KiB reads.
func TestLargeBody(t *testing.T) {
	body := bytes.Repeat([]byte("0123456789abcdef"), 5<<16)
	in := append([]byte(fmt.Sprintf(post+"Content-Length: %d\r\n\r\n", len(body))), body...)
	var chunks [][]byte
	for i := 0; i < len(in); i += 64 << 10 {
		chunks = append(chunks, in[i:min(i+64<<10, len(in))])
	}
	got := run(t, Limits{}, chunks...)
	if got.status != 0 || len(got.reqs) != 1 || got.reqs[0].Body != string(body) {
		t.Fatalf("status %d, %d requests", got.status, len(got.reqs))
	}
}

// TestChunkedLimitsExact checks the bounds of a chunked body at and one
// byte past each limit.
func TestChunkedLimitsExact(t *testing.T) {
	lineAt := "1;" + strings.Repeat("a", maxChunkLineBytes-4) + "\r\n" // exactly maxChunkLineBytes
	trailerAt := "T: " + strings.Repeat("v", 100-3-2-2) + "\r\n"       // with the final CRLF: 100 bytes
	lim := Limits{MaxHeaderBytes: 100, MaxBodyBytes: 4}
	for _, tc := range []struct {
		name, body string
		status     int
	}{
		{"chunk line at the limit", lineAt + "x\r\n0\r\n\r\n", 0},
		{"chunk line one over", "1;" + strings.Repeat("a", maxChunkLineBytes-3) + "\r\nx\r\n0\r\n\r\n", 400},
		{"trailer section at the limit", "0\r\n" + trailerAt + "\r\n", 0},
		{"trailer section one over", "0\r\n" + trailerAt[:len(trailerAt)-2] + "v\r\n\r\n", 431},
		{"body at the limit", "2\r\nab\r\n2\r\ncd\r\n0\r\n\r\n", 0},
		{"body one over", "2\r\nab\r\n3\r\ncde\r\n0\r\n\r\n", 413},
	} {
		in := []byte("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" + tc.body)
		for _, chunks := range [][][]byte{{in}, bytewise(in)} {
			got := run(t, lim, chunks...)
			if got.status != tc.status || tc.status == 0 && (len(got.reqs) != 1 || got.rest != "") {
				t.Errorf("%s (%d pieces): %v", tc.name, len(chunks), got)
			}
		}
	}
}
