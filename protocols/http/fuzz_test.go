package http

import (
	"bytes"
	"reflect"
	"regexp"
	"strconv"
	"testing"
)

// smallLimits make the fuzzer reach every limit with short inputs.
var smallLimits = Limits{MaxHeaderBytes: 200, MaxHeaders: 6, MaxBodyBytes: 64}

func fuzzLimits(small bool) Limits {
	if small {
		return smallLimits
	}
	return Limits{}
}

// pieces splits data into chunks whose sizes come from cuts (cycled), or
// into single bytes when cuts is empty.
func pieces(data, cuts []byte) [][]byte {
	if len(cuts) == 0 {
		return bytewise(data)
	}
	var out [][]byte
	for i := 0; len(data) > 0; i++ {
		n := min(int(cuts[i%len(cuts)])%64+1, len(data))
		out = append(out, data[:n])
		data = data[n:]
	}
	return out
}

func addSeeds(f *testing.F) {
	for _, tc := range validCases {
		f.Add([]byte(tc.in), []byte{3, 17}, false)
		f.Add([]byte(tc.in), []byte{}, true)
	}
	for _, tc := range invalidCases {
		if len(tc.in) < 1024 {
			f.Add([]byte(tc.in), []byte{1, 200, 7}, tc.lim != (Limits{}))
		}
	}
}

// FuzzParse feeds arbitrary bytes to the parser whole and in pieces. The
// outcome (requests, error, what stays buffered) must be the same, Parse
// must keep its contract (checked by run), and every request it accepts,
// written back in canonical form, must parse to the same request.
func FuzzParse(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data, cuts []byte, small bool) {
		lim := fuzzLimits(small)
		whole, reqs := runRequests(t, lim, data)
		if split := run(t, lim, pieces(data, cuts)...); !sameOutcome(split, whole) {
			t.Fatalf("in pieces: %v\nwhole:     %v", split, whole)
		}
		eff := lim.withDefaults()
		lim2 := Limits{MaxHeaderBytes: 2*eff.MaxHeaderBytes + 16, MaxHeaders: eff.MaxHeaders, MaxBodyBytes: eff.MaxBodyBytes}
		var all []byte
		for _, req := range reqs {
			w := writeRequest(req)
			all = append(all, w...)
			req2, n, err := NewParser(lim2).Parse(w)
			if err != nil || n != len(w) {
				t.Fatalf("canonical form %q of an accepted request: n = %d, err = %v", w, n, err)
			}
			if got, want := snap(req2), snap(req); !reflect.DeepEqual(got, want) {
				t.Fatalf("canonical form %q parsed as\n%+v\nwant\n%+v", w, got, want)
			}
			if w2 := writeRequest(req2); !bytes.Equal(w2, w) {
				t.Fatalf("canonical form not stable: %q then %q", w, w2)
			}
		}
		// The canonical forms, pipelined, give the same requests.
		if again := run(t, lim2, all); again.status != 0 || again.rest != "" || !reflect.DeepEqual(again.reqs, whole.reqs) {
			t.Fatalf("pipelined canonical forms: %v\nwant %v", again, whole)
		}
	})
}

const chunkedPrefix = "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"

// Chunked-body grammar (RFC 9112 §7.1) as regular expressions, for the
// reference decoder. Bytes >= 0x80 are first mapped to '(', which is valid
// exactly where obs-text is (inside quoted strings and field values), since
// Go's regexp matches runes, not bytes.
var (
	reToken     = "[!#$%&'*+.^_`|~0-9A-Za-z-]+"
	reQuoted    = `"(?:[\t \x21\x23-\x5b\x5d-\x7e]|\\[\t \x21-\x7e])*"`
	reChunkLine = regexp.MustCompile(`^[0-9A-Fa-f]+(?:[ \t]*;[ \t]*` + reToken + `(?:[ \t]*=[ \t]*(?:` + reToken + `|` + reQuoted + `))?)*$`)
	reField     = regexp.MustCompile(`^(` + reToken + `):[ \t]*(.*?)[ \t]*$`)
)

func mapObsText(b []byte) []byte {
	out := bytes.Clone(b)
	for i, c := range out {
		if c >= 0x80 {
			out[i] = '('
		}
	}
	return out
}

type refResult struct {
	status   int // 0 when accepted or incomplete
	complete bool
	body     string
	trailer  []Field
	n        int // bytes of body consumed (after the head)
}

// refChunked decodes a chunked body the slow, obvious way, with the
// parser's limits, from a complete buffer.
func refChunked(data []byte, lim Limits) refResult {
	var body []byte
	pos := 0
	var total int64
	for {
		idx := bytes.IndexByte(data[pos:], '\n')
		if idx < 0 || idx >= maxChunkLineBytes {
			if len(data)-pos >= maxChunkLineBytes {
				return refResult{status: 400}
			}
			return refResult{}
		}
		line := data[pos : pos+idx]
		if len(line) == 0 || line[len(line)-1] != '\r' {
			return refResult{status: 400}
		}
		line = line[:len(line)-1]
		if !reChunkLine.Match(mapObsText(line)) {
			return refResult{status: 400}
		}
		digits := line
		for i, c := range line {
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				digits = line[:i]
				break
			}
		}
		size, err := strconv.ParseUint(string(digits), 16, 64)
		if err != nil || size > 1<<63-1 {
			return refResult{status: 400}
		}
		pos += idx + 1
		if size == 0 {
			break
		}
		if int64(size) > lim.MaxBodyBytes-total {
			return refResult{status: 413}
		}
		total += int64(size)
		if uint64(len(data)-pos) < size {
			return refResult{}
		}
		body = append(body, data[pos:pos+int(size)]...)
		pos += int(size)
		switch avail := len(data) - pos; {
		case avail == 0:
			return refResult{}
		case data[pos] != '\r':
			return refResult{status: 400}
		case avail == 1:
			return refResult{}
		case data[pos+1] != '\n':
			return refResult{status: 400}
		}
		pos += 2
	}
	limit := pos + lim.MaxHeaderBytes
	var trailer []Field
	for {
		idx := bytes.IndexByte(data[pos:], '\n')
		if idx < 0 || pos+idx >= limit {
			if len(data) >= limit {
				return refResult{status: 431}
			}
			return refResult{}
		}
		line := data[pos : pos+idx]
		pos += idx + 1
		if len(line) == 0 || line[len(line)-1] != '\r' {
			return refResult{status: 400}
		}
		line = line[:len(line)-1]
		if len(line) == 0 {
			return refResult{complete: true, body: string(body), trailer: trailer, n: pos}
		}
		if line[0] == ' ' || line[0] == '\t' {
			return refResult{status: 400}
		}
		if len(trailer) >= lim.MaxHeaders {
			return refResult{status: 431}
		}
		m := reField.FindSubmatchIndex(mapObsText(line))
		if m == nil {
			return refResult{status: 400}
		}
		value := line[m[4]:m[5]]
		for _, c := range value {
			if c < 0x20 && c != '\t' || c == 0x7f {
				return refResult{status: 400}
			}
		}
		trailer = append(trailer, Field{Name: string(line[m[2]:m[3]]), Value: string(value)})
	}
}

// firstRequest feeds chunks until the first request or error.
func firstRequest(lim Limits, chunks [][]byte) (req *Request, n, status int) {
	p := NewParser(lim)
	var buf []byte
	consumed := 0
	for _, c := range chunks {
		buf = append(buf, c...)
		req, n, err := p.Parse(buf)
		if err != nil {
			return nil, 0, err.(*Error).Status
		}
		consumed += n
		buf = buf[n:]
		if req != nil {
			return req, consumed, 0
		}
	}
	return nil, 0, 0
}

// FuzzChunked compares the parser's decoding of chunked bodies with
// refChunked, whole and in pieces.
func FuzzChunked(f *testing.F) {
	for _, s := range []string{
		"0\r\n\r\n",
		"5\r\nhello\r\n0\r\n\r\n",
		"5;a=b;c=\"d\\\"e\"\r\nhello\r\n6 ; x\r\n world\r\n0\r\nT: v\r\nU:w \r\n\r\nGET",
		"a\r\n0123456789\r\n0\r\n\r\n",
		"0x10\r\n", "-1\r\n", "fffffffffffffffffff\r\n", "5\r\nhelloX", "5\r\nhello\n", "5\nhello\r\n",
		"0\r\nA: b\r\n c\r\n\r\n", "0\r\nA b\r\n\r\n", "0\r\n\n", "41\r\n", "40\r\n" + string(bytes.Repeat([]byte("x"), 64)) + "\r\n1\r\n",
		"1;q=\"\xff\"\r\nx\r\n0\r\nX: \xfe\r\n\r\n",
	} {
		f.Add([]byte(s), []byte{}, false)
		f.Add([]byte(s), []byte{2, 5}, true)
	}
	f.Fuzz(func(t *testing.T, body, cuts []byte, small bool) {
		lim := fuzzLimits(small).withDefaults()
		in := append([]byte(chunkedPrefix), body...)
		want := refChunked(body, lim)
		for _, chunks := range [][][]byte{{in}, pieces(in, cuts)} {
			req, n, status := firstRequest(lim, chunks)
			switch {
			case status != want.status:
				t.Fatalf("%d pieces: status %d, reference %d", len(chunks), status, want.status)
			case (req != nil) != want.complete:
				t.Fatalf("%d pieces: complete %v, reference %v", len(chunks), req != nil, want.complete)
			case req == nil:
			case string(req.Body) != want.body || n != len(chunkedPrefix)+want.n ||
				!reflect.DeepEqual([]Field(req.Trailer), want.trailer):
				t.Fatalf("%d pieces: body %q trailer %q n %d; reference %q %q %d",
					len(chunks), req.Body, req.Trailer, n, want.body, want.trailer, len(chunkedPrefix)+want.n)
			}
		}
	})
}
