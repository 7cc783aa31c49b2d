package http

import (
	"bytes"
	"math"
	"strings"
)

// Default limits, used for a Limits field that is zero or less.
const (
	DefaultMaxHeaderBytes = 16 << 10 // request line and header section
	DefaultMaxHeaders     = 100      // header fields (and, separately, trailer fields)
	DefaultMaxBodyBytes   = 10 << 20 // decoded body, Workerman's default maxPackageSize
)

// maxChunkLineBytes bounds one chunk-size line of a chunked body, chunk
// extensions and CRLF included (see Limits). Extensions are accepted and
// ignored.
const maxChunkLineBytes = 4096

// Limits bound what a Parser accepts. A field that is zero or less takes its
// default; MaxHeaderBytes and MaxHeaders are capped at 1<<30. Besides them,
// one chunk-size line of a chunked body, chunk extensions and CRLF included,
// may take 4096 bytes (a longer one is 400).
//
// Parse consumes a request's bytes as soon as it has parsed them: the head
// once it is complete, then the body as it arrives (see Parser.Parse). So
// the raw input waiting in a connection's buffer is at most a head, a
// chunk-size line or a trailer section, however large the body: the body
// itself is kept, decoded, only in the Request. The connection's own bound
// on input it holds (protocols.Limits.MaxPackageSize, 10 MiB by default)
// therefore need only be at least MaxHeaderBytes; it also bounds the
// pipelined requests that wait while a response is open.
type Limits struct {
	// MaxHeaderBytes bounds the head: any empty lines before the request
	// line, the request line, the header fields and the empty line that ends
	// them, terminators included. A request line that does not end within
	// it is answered 414, a header section 431. The trailer section of a
	// chunked body has a bound of the same size of its own (431).
	MaxHeaderBytes int
	// MaxHeaders bounds the number of header fields (431), and separately
	// the number of trailer fields.
	MaxHeaders int
	// MaxBodyBytes bounds the body (413): a Content-Length above it is
	// rejected as soon as the head is complete, a chunked body as soon as a
	// chunk size takes the total above it.
	MaxBodyBytes int64
}

// maxLimit caps MaxHeaderBytes and MaxHeaders, so that offsets computed
// from them (an offset in the input plus the limit) cannot overflow.
const maxLimit = 1 << 30

func (l Limits) withDefaults() Limits {
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	l.MaxHeaderBytes = min(l.MaxHeaderBytes, maxLimit)
	if l.MaxHeaders <= 0 {
		l.MaxHeaders = DefaultMaxHeaders
	}
	l.MaxHeaders = min(l.MaxHeaders, maxLimit)
	if l.MaxBodyBytes <= 0 {
		l.MaxBodyBytes = DefaultMaxBodyBytes
	}
	return l
}

type parseState uint8

const (
	stHead      parseState = iota // empty lines, request line, header fields
	stBody                        // Content-Length body
	stChunkSize                   // chunk-size line of a chunked body
	stChunkData                   // chunk data
	stChunkEnd                    // the CRLF after chunk data
	stTrailer                     // trailer section, after the last chunk
	stDone                        // request complete, not yet returned
	stFailed                      // rejected; err holds why
)

// fieldSpan locates a field line's name and value in the input, as offsets.
type fieldSpan struct{ ns, ne, vs, ve int }

// Parser is the incremental HTTP/1.x request parser of one connection. Its
// zero value is ready to use with the default Limits; NewParser sets others.
// A Parser is not safe for concurrent use.
//
// # Input
//
// Parse is given every byte received and not yet consumed, from the front:
// after it returns n > 0 the caller drops those n bytes, and after it needs
// more (n == 0) the caller calls it again with the same bytes and more
// appended. The Parser keeps the offset it has scanned to and never rescans
// what it has seen, so a request costs time proportional to its length
// however it is split (one byte per call included). Given a shorter input than
// it has scanned, it assumes a new buffer and starts the request again.
//
// # Rules (RFC 9112, RFC 9110)
//
//   - Empty lines before the request line are ignored. A line may end in
//     CRLF or in a bare LF in the head; a CR elsewhere is an error (400).
//     Inside a chunked body (chunk lines, trailer fields) only CRLF is
//     accepted, since leniency in body framing is what request smuggling
//     feeds on.
//   - Request line: a token method, one SP, a request-target of printable
//     ASCII without '#' and with valid percent-encodings, one SP, and
//     exactly HTTP/1.0 or HTTP/1.1 (another HTTP/x.y is 505, anything else
//     400). The target is origin-form ("/p?q"), absolute-form (http or https
//     only, no userinfo), authority-form (host:port, for CONNECT only, which
//     accepts nothing else) or "*" (OPTIONS only).
//   - Header fields: a token name directly followed by ':' (whitespace
//     before the colon is 400), a value with surrounding whitespace removed
//     and no control character other than HTAB. A line starting with SP or
//     HTAB (obsolete folding) is 400.
//   - Host: exactly one in HTTP/1.1, at most one in HTTP/1.0, and valid
//     (400). An absolute-form or authority-form target gives Request.Host
//     and the Host field is then only checked.
//   - Framing: Content-Length together with Transfer-Encoding is 400, as is
//     Transfer-Encoding in HTTP/1.0. Transfer-Encoding must be exactly
//     chunked: chunked more than once or not last is 400, any other coding
//     ("identity", "gzip, chunked") is 501. Content-Length is digits only;
//     several values (lines or a list) must all be equal; overflow is 400.
//     Without either, the body is empty.
//   - Chunked body: a hex size (no sign, no "0x"; overflow is 400), optional
//     extensions (validated, ignored; the whole line within 4096 bytes, else
//     400), CRLF after the data, then trailer fields under the header rules,
//     kept in Request.Trailer.
//   - Expect: only 100-continue is understood (others are 417); it is
//     ignored in HTTP/1.0 requests. Parse writes nothing: the http://
//     protocol sends "100 Continue" once the head of such a request is
//     complete and its body is still to come.
//
// A rejected request is returned as an *Error, and every later Parse
// returns the same error: the connection must be answered (Error.Reply) and
// closed, as the framing of what follows is unknown.
//
// # Memory
//
// Nothing is allocated while the head is incomplete. When it completes, the
// Request is built: one allocation (the Request, its header fields and a copy
// of the whole head together, sized to fit them) when it has at most 16
// header fields, a head of at most 1,248 bytes and no percent-encoded path;
// three beyond that (see newRequest). A Content-Length body that has all
// arrived by the time Parse reaches it is copied in one allocation of its
// size; one that arrives in pieces is appended to a buffer that starts at no
// more than 64 KiB and grows with what arrives, as a chunked body's does. So
// no allocation is sized by more than 64 KiB of a length the client
// announced.
type Parser struct {
	lim   Limits
	ready bool // lim has its defaults
	st    parseState
	err   *Error

	pos       int // bytes of the input processed so far
	lineStart int // offset of the line being scanned

	gotLine  bool // the request line has been parsed
	reqStart int  // offset of the request line
	mEnd     int  // end of the method
	tS, tE   int  // the request-target
	vS       int  // the version
	minor    int
	target   targetInfo
	fields   []fieldSpan // header fields, reused between requests

	req       *Request // built when the head is complete
	expect    bool     // the body awaits a 100 Continue
	continued bool     // continueSent was called

	bodyStart    int
	remain       int64 // body bytes still to come (Content-Length or chunk)
	total        int64 // chunk data bytes announced so far
	body         []byte
	trailerStart int
	tfields      []fieldSpan

	// cost counts the bytes examined, for the tests that check that a
	// request split into many pieces is still parsed in linear time.
	cost int
}

// NewParser returns a parser that enforces limits (defaults for the fields
// that are zero or less).
func NewParser(limits Limits) *Parser {
	return &Parser{lim: limits.withDefaults(), ready: true}
}

// Parse parses the request at the front of in and returns the number of
// bytes it consumed, which the caller drops before the next call (made with
// in[n:] and whatever arrives after it):
//
//   - (req, n, nil) once the head and the whole body are there: n covers
//     what was left of the request; bytes after it (a pipelined request)
//     are left for the next call;
//   - (nil, n, nil) with n > 0 when part of a request was consumed (its
//     head, body data, chunk framing) and more bytes are needed;
//   - (nil, 0, nil) when more bytes are needed;
//   - (nil, 0, *Error) when the request is rejected (see Error).
//
// Nothing is consumed before the head is complete; from then on body bytes
// are copied out and consumed as they arrive, so the caller never holds more
// than a head, a chunk-size line or a trailer section of raw input.
func (p *Parser) Parse(in []byte) (*Request, int, error) {
	if p.err != nil {
		return nil, 0, p.err
	}
	if !p.ready {
		p.lim, p.ready = p.lim.withDefaults(), true
	}
	if p.pos > len(in) {
		p.reset()
	}
	for {
		var progress bool
		var err *Error
		switch p.st {
		case stHead:
			progress, err = p.parseHead(in)
		case stBody:
			progress = p.parseBody(in)
		case stChunkSize:
			progress, err = p.parseChunkSize(in)
		case stChunkData:
			progress = p.copyChunk(in)
		case stChunkEnd:
			progress, err = p.parseChunkEnd(in)
		case stTrailer:
			progress, err = p.parseTrailer(in)
		case stDone:
			req, n := p.req, p.pos
			if req.Chunked {
				req.Body = p.body
			}
			p.reset()
			return req, n, nil
		}
		if err != nil {
			p.reset()
			p.st, p.err = stFailed, err
			return nil, 0, err
		}
		if !progress {
			return nil, p.consume(), nil
		}
	}
}

// consume drops, from the parser's offsets, the input it no longer needs
// (everything once the head is complete, except a partly scanned chunk-size
// line or trailer section) and returns how many bytes that is.
func (p *Parser) consume() int {
	var k int
	switch p.st {
	case stBody, stChunkData, stChunkEnd:
		k = p.pos
	case stChunkSize:
		k = p.lineStart
	case stTrailer:
		k = p.trailerStart
	default:
		return 0
	}
	if k == 0 {
		return 0
	}
	p.pos -= k
	p.lineStart -= k
	p.bodyStart -= k
	p.trailerStart -= k
	for i := range p.tfields {
		f := &p.tfields[i]
		f.ns, f.ne, f.vs, f.ve = f.ns-k, f.ne-k, f.vs-k, f.ve-k
	}
	return k
}

// headDone reports whether the head of the current request has been parsed
// and its body is still incomplete (p.req holds the request, without its
// Body).
func (p *Parser) headDone() bool { return p.req != nil }

// inProgress reports whether some of a request has been parsed: bytes other
// than empty lines before a request line. A connection that is not
// inProgress between requests is idle.
func (p *Parser) inProgress() bool {
	return p.gotLine || p.st != stHead || p.lineStart < p.pos
}

// needsContinue reports whether the client waits for "100 Continue" before
// sending the body: the head of an HTTP/1.1 request with
// "Expect: 100-continue" and a non-empty body is complete, the body is not,
// and continueSent has not been called for it. The server codec then
// writes continueResponse and calls continueSent.
func (p *Parser) needsContinue() bool {
	return p.req != nil && p.expect && !p.continued
}

// continueSent records that "100 Continue" was written for the pending
// request, so needsContinue returns false until the next request.
func (p *Parser) continueSent() { p.continued = true }

// Reset forgets everything about the current input, including an error,
// and keeps the limits.
func (p *Parser) Reset() {
	p.reset()
	p.st, p.err = stHead, nil
}

// reset prepares for the next request, keeping the limits, the reusable
// field slices and the cost counter.
func (p *Parser) reset() {
	*p = Parser{
		lim:     p.lim,
		ready:   p.ready,
		st:      p.st,
		err:     p.err,
		fields:  p.fields[:0],
		tfields: p.tfields[:0],
		cost:    p.cost,
	}
	if p.st != stFailed {
		p.st = stHead
	}
}

// nextLine finds the LF that ends the line being scanned, looking from
// p.pos up to end. It returns the line's start and the LF's offset and moves
// past the LF; without one, it notes that everything up to end was scanned.
func (p *Parser) nextLine(in []byte, end int) (start, lf int, ok bool) {
	i := bytes.IndexByte(in[p.pos:end], '\n')
	if i < 0 {
		p.cost += end - p.pos
		p.pos = end
		return 0, 0, false
	}
	p.cost += i + 1
	start, lf = p.lineStart, p.pos+i
	p.pos, p.lineStart = lf+1, lf+1
	return start, lf, true
}

// parseHead scans complete lines of the head from p.pos on, within the
// head size limit.
func (p *Parser) parseHead(in []byte) (bool, *Error) {
	limit := p.lim.MaxHeaderBytes
	end := min(len(in), limit)
	for p.pos < end {
		start, lineEnd, ok := p.nextLine(in, end)
		if !ok {
			break
		}
		if lineEnd > start && in[lineEnd-1] == '\r' {
			lineEnd--
		}
		if !p.gotLine {
			if lineEnd == start {
				continue // an empty line before the request line
			}
			if err := p.requestLine(in, start, lineEnd); err != nil {
				return false, err
			}
			p.gotLine, p.reqStart = true, start
			continue
		}
		if lineEnd == start {
			return true, p.endHead(in)
		}
		if err := p.fieldLine(in, start, lineEnd, &p.fields, errTooManyHeaders); err != nil {
			return false, err
		}
	}
	if len(in) >= limit {
		if !p.gotLine {
			return false, errRequestLineLong
		}
		return false, errHeadTooLarge
	}
	return false, nil
}

// requestLine parses in[s:e]: method SP request-target SP HTTP-version.
func (p *Parser) requestLine(in []byte, s, e int) *Error {
	line := in[s:e]
	p.cost += 2 * len(line)
	if bytes.IndexByte(line, '\r') >= 0 {
		return errBareCR
	}
	sp1 := bytes.IndexByte(line, ' ')
	if sp1 < 0 {
		return errRequestLine
	}
	if !isToken(line[:sp1]) {
		return errMethod
	}
	sp2 := bytes.IndexByte(line[sp1+1:], ' ')
	if sp2 <= 0 {
		return errRequestLine
	}
	sp2 += sp1 + 1
	minor, err := parseVersion(line[sp2+1:])
	if err != nil {
		return err
	}
	ti, err := parseTarget(line[:sp1], line[sp1+1:sp2])
	if err != nil {
		return err
	}
	p.mEnd, p.tS, p.tE, p.vS = s+sp1, s+sp1+1, s+sp2, s+sp2+1
	p.minor, p.target = minor, ti
	return nil
}

// parseVersion accepts "HTTP/1.0" and "HTTP/1.1"; another well-formed
// HTTP/DIGIT.DIGIT is 505.
func parseVersion(v []byte) (int, *Error) {
	if len(v) != 8 || string(v[:5]) != "HTTP/" || v[6] != '.' ||
		v[5] < '0' || v[5] > '9' || v[7] < '0' || v[7] > '9' {
		return 0, errVersion
	}
	if v[5] != '1' || v[7] > '1' {
		return 0, errVersionSupport
	}
	return int(v[7] - '0'), nil
}

// fieldLine parses the field line in[s:e] (non-empty, terminator removed)
// and appends it to *dst.
func (p *Parser) fieldLine(in []byte, s, e int, dst *[]fieldSpan, tooMany *Error) *Error {
	line := in[s:e]
	p.cost += len(line)
	if isOWS(line[0]) {
		return errObsFold
	}
	if len(*dst) >= p.lim.MaxHeaders {
		return tooMany
	}
	i := 0
	for i < len(line) && charClass[line[i]]&cToken != 0 {
		i++
	}
	if i == len(line) {
		return errNoColon
	}
	switch c := line[i]; {
	case c == ':' && i > 0:
	case isOWS(c) && i > 0:
		return errSpaceColon
	case c == '\r':
		return errBareCR
	default:
		return errFieldName
	}
	vs, ve := i+1, len(line)
	for vs < ve && isOWS(line[vs]) {
		vs++
	}
	for ve > vs && isOWS(line[ve-1]) {
		ve--
	}
	for j := vs; j < ve; j++ {
		if charClass[line[j]]&cValue == 0 {
			if line[j] == '\r' {
				return errBareCR
			}
			return errFieldValue
		}
	}
	if *dst == nil {
		// Room for a typical head at once: growing from one field up
		// would leave three smaller arrays behind for every connection.
		*dst = make([]fieldSpan, 0, 12)
	}
	*dst = append(*dst, fieldSpan{ns: s, ne: s + i, vs: s + vs, ve: s + ve})
	return nil
}

// endHead builds the Request from the head in[p.reqStart:p.pos], copying it
// once, applies the header rules and chooses how the body is framed.
func (p *Parser) endHead(in []byte) *Error {
	req, head := newRequest(len(p.fields), in[p.reqStart:p.pos])
	p.cost += len(head)
	b := p.reqStart
	req.Method = head[:p.mEnd-b]
	req.Target = head[p.tS-b : p.tE-b]
	req.Proto = head[p.vS-b : p.vS-b+8]
	req.ProtoMinor = p.minor
	for i, f := range p.fields {
		req.Header[i] = Field{Name: head[f.ns-b : f.ne-b], Value: head[f.vs-b : f.ve-b]}
	}

	t, ti := req.Target, p.target
	switch ti.form {
	case formOrigin, formAbsolute:
		req.RawPath = t[ti.pathS:ti.pathE]
		if ti.query >= 0 {
			req.RawQuery = t[ti.query+1:]
		}
		if req.RawPath == "" { // absolute-form without a path
			req.RawPath = "/"
			if req.Method == "OPTIONS" {
				req.RawPath = "*"
			}
		}
		req.Path = unescapePath(req.RawPath)
	case formAsterisk:
		req.Path, req.RawPath = "*", "*"
	}
	p.req = req
	return p.headerRules(req)
}

// headerRules applies RFC 9112's rules on Host, body framing, Expect and
// Connection, and sets the state that reads the body.
func (p *Parser) headerRules(req *Request) *Error {
	var (
		hosts         int
		host          string
		hasCL, hasTE  bool
		cl            int64 = -1
		clErr         *Error
		cont, badExp  bool
		closeTok, kaT bool
	)
	for i := range req.Header {
		f := &req.Header[i]
		switch len(f.Name) {
		case 4:
			if equalFold(f.Name, "host") {
				hosts++
				host = f.Value
			}
		case 6:
			if equalFold(f.Name, "expect") {
				for e, rest, ok := nextElement(f.Value); ok; e, rest, ok = nextElement(rest) {
					switch {
					case e == "":
					case equalFold(e, "100-continue"):
						cont = true
					default:
						badExp = true
					}
				}
			}
		case 10:
			if equalFold(f.Name, "connection") {
				for e, rest, ok := nextElement(f.Value); ok; e, rest, ok = nextElement(rest) {
					closeTok = closeTok || equalFold(e, "close")
					kaT = kaT || equalFold(e, "keep-alive")
				}
			}
		case 14:
			if equalFold(f.Name, "content-length") {
				hasCL = true
				if clErr == nil {
					clErr = parseContentLength(f.Value, &cl)
				}
			}
		case 17:
			if equalFold(f.Name, "transfer-encoding") {
				hasTE = true
			}
		}
	}

	switch {
	case hosts > 1:
		return errManyHosts
	case hosts == 0 && req.ProtoMinor == 1:
		return errNoHost
	case !validHost(host):
		return errBadHost
	}
	switch p.target.form {
	case formAbsolute:
		req.Host = req.Target[p.target.authS:p.target.authE]
	case formAuthority:
		req.Host = req.Target
	default:
		req.Host = host
	}

	switch {
	case hasTE && hasCL:
		return errCLAndTE
	case hasTE && req.ProtoMinor == 0:
		return errTE10
	case hasTE:
		if err := checkTransferEncoding(req.Header); err != nil {
			return err
		}
		req.Chunked, req.ContentLength = true, -1
	case hasCL:
		if clErr != nil {
			return clErr
		}
		if cl > p.lim.MaxBodyBytes {
			return errBodyTooLarge
		}
		req.ContentLength = cl
	}
	if badExp {
		return errExpect
	}
	req.expectContinue = cont && req.ProtoMinor == 1
	req.keepAlive = !closeTok && (req.ProtoMinor == 1 || kaT)

	switch {
	case req.Chunked:
		p.st, p.lineStart = stChunkSize, p.pos
	case req.ContentLength > 0:
		p.st, p.bodyStart, p.remain = stBody, p.pos, req.ContentLength
	default:
		p.st = stDone
	}
	p.expect = req.expectContinue && p.st != stDone
	return nil
}

// parseContentLength parses a Content-Length value into *cl, which holds
// the value of earlier fields (or -1). The value is 1*DIGIT, or a
// comma-separated list of them (RFC 9110 §8.6 lets a recipient accept
// "42, 42"); every value, in every field, must be the same. Empty elements
// are errors here, not skipped: this is framing.
func parseContentLength(v string, cl *int64) *Error {
	for {
		e, rest, more := strings.Cut(v, ",")
		e = trimOWS(e)
		if e == "" {
			return errCLSyntax
		}
		var x int64
		for i := 0; i < len(e); i++ {
			d := e[i]
			if d < '0' || d > '9' || x > (math.MaxInt64-int64(d-'0'))/10 {
				return errCLSyntax
			}
			x = x*10 + int64(d-'0')
		}
		if *cl >= 0 && *cl != x {
			return errCLMismatch
		}
		*cl = x
		if !more {
			return nil
		}
		v = rest
	}
}

// checkTransferEncoding accepts exactly one "chunked", as the only coding.
func checkTransferEncoding(h Header) *Error {
	elems := 0
	chunked, afterChunked, other := false, false, false
	for i := range h {
		if !equalFold(h[i].Name, "transfer-encoding") {
			continue
		}
		for e, rest, ok := nextElement(h[i].Value); ok; e, rest, ok = nextElement(rest) {
			if e == "" {
				continue
			}
			elems++
			name, params := e, ""
			if j := strings.IndexByte(e, ';'); j >= 0 {
				name, params = trimOWS(e[:j]), e[j:]
			}
			if !isToken(name) {
				return errTESyntax
			}
			afterChunked = afterChunked || chunked
			if equalFold(name, "chunked") {
				if chunked {
					return errChunkedTwice
				}
				if params != "" {
					return errTESyntax
				}
				chunked = true
			} else {
				other = true
			}
		}
	}
	switch {
	case elems == 0:
		return errTEEmpty
	case afterChunked:
		return errChunkedNotLast
	case other:
		return errTEUnsupported
	}
	return nil
}

// parseBody copies the Content-Length body out of the input: in one piece
// (one allocation of the exact size) when all of it is there at once, else
// as it arrives.
func (p *Parser) parseBody(in []byte) bool {
	avail := int64(len(in) - p.pos)
	if avail <= 0 {
		return false
	}
	take := min(avail, p.remain)
	p.cost += int(take)
	chunk := in[p.pos : p.pos+int(take)]
	if p.req.Body == nil && take == p.remain {
		p.req.Body = bytes.Clone(chunk)
	} else {
		if p.req.Body == nil {
			p.req.Body = make([]byte, 0, min(p.remain, initialBodyCap))
		}
		p.req.Body = append(p.req.Body, chunk...)
	}
	p.pos += int(take)
	p.remain -= take
	if p.remain > 0 {
		return false
	}
	p.st = stDone
	return true
}

// initialBodyCap bounds the first allocation for a body that arrives in
// pieces: it then grows with what arrives, never with what was announced.
const initialBodyCap = 64 << 10

// parseChunkSize parses a chunk-size line: 1*HEXDIG [ chunk-ext ] CRLF.
func (p *Parser) parseChunkSize(in []byte) (bool, *Error) {
	limit := p.lineStart + maxChunkLineBytes
	end := min(len(in), limit)
	if p.pos < end {
		i := bytes.IndexByte(in[p.pos:end], '\n')
		if i >= 0 {
			p.cost += i + 1
			lf := p.pos + i
			if lf == p.lineStart || in[lf-1] != '\r' {
				return false, errChunkLF
			}
			size, err := parseChunkLine(in[p.lineStart : lf-1])
			p.cost += lf - 1 - p.lineStart
			if err != nil {
				return false, err
			}
			p.pos, p.lineStart = lf+1, lf+1
			if size == 0 {
				p.st, p.trailerStart = stTrailer, p.pos
				return true, nil
			}
			if size > p.lim.MaxBodyBytes-p.total {
				return false, errBodyTooLarge
			}
			p.total += size
			p.remain, p.st = size, stChunkData
			return true, nil
		}
		p.cost += end - p.pos
		p.pos = end
	}
	if len(in) >= limit {
		return false, errChunkLineLong
	}
	return false, nil
}

// parseChunkLine parses a chunk-size line without its CRLF.
func parseChunkLine(line []byte) (int64, *Error) {
	var n int64
	i := 0
	for ; i < len(line) && charClass[line[i]]&cHex != 0; i++ {
		if n > math.MaxInt64>>4 {
			return 0, errChunkOverflow
		}
		n = n<<4 | int64(unhex(line[i]))
	}
	if i == 0 {
		return 0, errChunkSize
	}
	ext := line[i:]
	if len(ext) == 0 {
		return n, nil
	}
	if ext[0] != ';' && !isOWS(ext[0]) {
		return 0, errChunkSize
	}
	if !validChunkExt(ext) {
		return 0, errChunkExt
	}
	return n, nil
}

// validChunkExt checks
// *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] ),
// where a value is a token or a quoted-string.
func validChunkExt(s []byte) bool {
	skip := func(s []byte) []byte {
		for len(s) > 0 && isOWS(s[0]) {
			s = s[1:]
		}
		return s
	}
	tokenLen := func(s []byte) int {
		n := 0
		for n < len(s) && charClass[s[n]]&cToken != 0 {
			n++
		}
		return n
	}
	for len(s) > 0 {
		s = skip(s)
		if len(s) == 0 || s[0] != ';' {
			return false
		}
		s = skip(s[1:])
		n := tokenLen(s)
		if n == 0 {
			return false
		}
		s = s[n:]
		if t := skip(s); len(t) > 0 && t[0] == '=' {
			t = skip(t[1:])
			if len(t) > 0 && t[0] == '"' {
				n = parseQuoted(t)
			} else {
				n = tokenLen(t)
			}
			if n <= 0 {
				return false
			}
			s = t[n:]
		}
	}
	return true
}

// copyChunk appends the chunk data that has arrived to the body.
func (p *Parser) copyChunk(in []byte) bool {
	take := min(int64(len(in)-p.pos), p.remain)
	if take <= 0 {
		return false
	}
	p.cost += int(take)
	p.body = append(p.body, in[p.pos:p.pos+int(take)]...)
	p.pos += int(take)
	p.remain -= take
	if p.remain > 0 {
		return false
	}
	p.st = stChunkEnd
	return true
}

// parseChunkEnd checks the CRLF that follows chunk data.
func (p *Parser) parseChunkEnd(in []byte) (bool, *Error) {
	avail := len(in) - p.pos
	if avail == 0 {
		return false, nil
	}
	if in[p.pos] != '\r' || avail > 1 && in[p.pos+1] != '\n' {
		return false, errChunkDataEnd
	}
	if avail == 1 {
		return false, nil
	}
	p.pos += 2
	p.lineStart, p.st = p.pos, stChunkSize
	return true, nil
}

// parseTrailer scans the trailer section after the last chunk: field lines
// under the header rules, each ending in CRLF, then CRLF.
func (p *Parser) parseTrailer(in []byte) (bool, *Error) {
	limit := p.trailerStart + p.lim.MaxHeaderBytes
	end := min(len(in), limit)
	for p.pos < end {
		start, lf, ok := p.nextLine(in, end)
		if !ok {
			break
		}
		if lf == start || in[lf-1] != '\r' {
			return false, errChunkLF
		}
		if lf-1 == start {
			p.endTrailer(in)
			return true, nil
		}
		if err := p.fieldLine(in, start, lf-1, &p.tfields, errTooManyTrailers); err != nil {
			return false, err
		}
	}
	if len(in) >= limit {
		return false, errTrailerTooLarge
	}
	return false, nil
}

// endTrailer copies the trailer section once into Request.Trailer.
func (p *Parser) endTrailer(in []byte) {
	p.st = stDone
	if len(p.tfields) == 0 {
		return
	}
	sec := string(in[p.trailerStart:p.pos])
	b := p.trailerStart
	t := make(Header, len(p.tfields))
	for i, f := range p.tfields {
		t[i] = Field{Name: sec[f.ns-b : f.ne-b], Value: sec[f.vs-b : f.ve-b]}
	}
	p.req.Trailer = t
}
