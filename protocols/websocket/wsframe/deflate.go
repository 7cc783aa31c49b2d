package wsframe

import (
	"compress/flate"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"sync"
	"unsafe"

	"github.com/workerman-go/workerman/protocols"
)

// DeflateExtension is the name of the permessage-deflate extension (RFC
// 7692) in Sec-WebSocket-Extensions.
const DeflateExtension = "permessage-deflate"

// deflateTail ends the empty stored block of a DEFLATE sync flush. A sender
// strips it from every compressed message; a receiver appends it back before
// inflating (RFC 7692 section 7.2).
var deflateTail = [4]byte{0x00, 0x00, 0xff, 0xff}

// windowSize is the LZ77 window of compress/flate: 32 KiB, window bits 15.
const windowSize = 1 << 15

// DeflateConfig is what an endpoint allows when it negotiates
// permessage-deflate. The zero value is the cheapest in memory: compression
// at flate.BestSpeed, and no context takeover in either direction, so that a
// connection holds no compression state between messages.
type DeflateConfig struct {
	// Level is the compress/flate level for the messages this endpoint
	// sends. 0 (which would be flate.NoCompression) and levels outside
	// flate.HuffmanOnly..flate.BestCompression select flate.BestSpeed, the
	// only level whose writer is cheap to reset between messages (the
	// others clear 640 KiB of hash tables each time).
	Level int

	// ServerContextTakeover lets the server compress each message with the
	// previous ones as history: better ratios for similar messages, at the
	// price of one flate.Writer per connection (about 0.8 MiB, 1.2 MiB at
	// flate.BestSpeed) held for the connection's life. (At flate.BestSpeed,
	// compress/flate codes a message under 128 bytes on its own, so only
	// longer messages gain.) When false, a server answers
	// server_no_context_takeover, and a client asks for it.
	ServerContextTakeover bool

	// ClientContextTakeover lets the client do the same: the server then
	// keeps the last 32 KiB of the client's messages per connection and
	// primes the inflater with them at each message. When false, a server
	// answers client_no_context_takeover, and a client offers it.
	ClientContextTakeover bool
}

// DeflateParams are the permessage-deflate parameters both endpoints agreed
// on, as they appear in the server's response.
type DeflateParams struct {
	ServerNoContextTakeover bool // the server resets its compression context after each message
	ClientNoContextTakeover bool // the client resets its compression context after each message
	ServerMaxWindowBits     int  // the server's LZ77 window bits (8-15); 0 when not stated, which means 15
	ClientMaxWindowBits     int  // the client's LZ77 window bits (8-15); 0 when not stated, which means 15
}

// String returns the Sec-WebSocket-Extensions value a server responds with,
// as in "permessage-deflate; server_no_context_takeover;
// client_no_context_takeover".
func (p DeflateParams) String() string {
	s := DeflateExtension
	if p.ServerNoContextTakeover {
		s += "; server_no_context_takeover"
	}
	if p.ClientNoContextTakeover {
		s += "; client_no_context_takeover"
	}
	if p.ServerMaxWindowBits != 0 {
		s += "; server_max_window_bits=" + strconv.Itoa(p.ServerMaxWindowBits)
	}
	if p.ClientMaxWindowBits != 0 {
		s += "; client_max_window_bits=" + strconv.Itoa(p.ClientMaxWindowBits)
	}
	return s
}

// NewCompressor returns the compressor for the messages that the endpoint
// playing role r sends, with the context takeover agreed for it.
func (p DeflateParams) NewCompressor(r Role, level int) *Compressor {
	if r == RoleClient {
		return NewCompressor(level, !p.ClientNoContextTakeover)
	}
	return NewCompressor(level, !p.ServerNoContextTakeover)
}

// NewDecompressor returns the decompressor for the messages that the
// endpoint playing role r receives, with the context takeover agreed for its
// peer.
func (p DeflateParams) NewDecompressor(r Role) *Decompressor {
	if r == RoleClient {
		return NewDecompressor(!p.ServerNoContextTakeover)
	}
	return NewDecompressor(!p.ClientNoContextTakeover)
}

// windowBits parses a window-bits value: a decimal 8 to 15 without leading
// zeros (RFC 7692 section 7.1.2).
func windowBits(v string) (int, bool) {
	switch {
	case len(v) == 1 && (v[0] == '8' || v[0] == '9'):
		return int(v[0] - '0'), true
	case len(v) == 2 && v[0] == '1' && v[1] >= '0' && v[1] <= '5':
		return 10 + int(v[1]-'0'), true
	}
	return 0, false
}

// NegotiateDeflate is the server side of the negotiation: it accepts the
// first permessage-deflate offer among the client's extensions (from
// ParseExtensions) that it can honour, and returns the agreed parameters,
// whose String is the response header value. ok is false when there is no
// acceptable offer: the server then responds without the extension.
//
// An offer is declined when it has an unknown parameter, a parameter twice,
// a parameter with an invalid value, or server_max_window_bits below 15:
// compress/flate always compresses with a 32 KiB window, so the server can
// only promise 15. client_max_window_bits is accepted with or without a
// value and never answered: compress/flate inflates any window size. The
// response includes server_no_context_takeover when the offer asks for it or
// cfg forbids server context takeover, and client_no_context_takeover when
// the offer has it (the client will not take over its context, and some
// clients, such as gorilla/websocket, require the echo) or cfg forbids
// client context takeover.
func NegotiateDeflate(offers []Extension, cfg DeflateConfig) (p DeflateParams, ok bool) {
	for _, ext := range offers {
		if ext.Name != DeflateExtension {
			continue
		}
		if p, ok = acceptOffer(ext.Params); ok {
			if !cfg.ServerContextTakeover {
				p.ServerNoContextTakeover = true
			}
			if !cfg.ClientContextTakeover {
				p.ClientNoContextTakeover = true
			}
			return p, true
		}
	}
	return DeflateParams{}, false
}

// acceptOffer returns the response to one permessage-deflate offer, if the
// server can accept it.
func acceptOffer(params []ExtensionParam) (p DeflateParams, ok bool) {
	var seen [4]bool
	for _, prm := range params {
		var i int
		switch prm.Name {
		case "server_no_context_takeover":
			i = 0
			if prm.Value != "" {
				return p, false
			}
			p.ServerNoContextTakeover = true
		case "client_no_context_takeover":
			i = 1
			if prm.Value != "" {
				return p, false
			}
			// The client will not take over its context: echoed, as RFC
			// 7692 section 7.1.1.2 allows, because some clients
			// (gorilla/websocket) fail the handshake without it.
			p.ClientNoContextTakeover = true
		case "server_max_window_bits":
			i = 2
			if bits, valid := windowBits(prm.Value); !valid || bits != 15 {
				return p, false
			}
			p.ServerMaxWindowBits = 15
		case "client_max_window_bits":
			i = 3
			if prm.Value != "" {
				if _, valid := windowBits(prm.Value); !valid {
					return p, false
				}
			}
		default:
			return p, false
		}
		if seen[i] {
			return p, false
		}
		seen[i] = true
	}
	return p, true
}

// DeflateOffer returns the Sec-WebSocket-Extensions value a client sends to
// offer permessage-deflate under cfg. It never offers client_max_window_bits:
// compress/flate cannot compress with a window smaller than 32 KiB.
func DeflateOffer(cfg DeflateConfig) string {
	s := DeflateExtension
	if !cfg.ServerContextTakeover {
		s += "; server_no_context_takeover"
	}
	if !cfg.ClientContextTakeover {
		s += "; client_no_context_takeover"
	}
	return s
}

// ParseDeflateResponse is the client side of the negotiation: it reads the
// server's response extensions (from ParseExtensions) to an offer made with
// DeflateOffer(cfg). ok is false when the server did not accept
// permessage-deflate. An error means the response breaks RFC 7692 (a
// parameter the client did not offer, an invalid or repeated one, the
// extension twice, server_no_context_takeover missing although the client
// asked for it): the client must then fail the connection.
func ParseDeflateResponse(exts []Extension, cfg DeflateConfig) (p DeflateParams, ok bool, err error) {
	for _, ext := range exts {
		if ext.Name != DeflateExtension {
			continue
		}
		if ok {
			return DeflateParams{}, false, errors.New("websocket: permessage-deflate accepted twice")
		}
		ok = true
		var seen [3]bool
		for _, prm := range ext.Params {
			var i int
			switch prm.Name {
			case "server_no_context_takeover":
				i = 0
				p.ServerNoContextTakeover = true
			case "client_no_context_takeover":
				i = 1
				p.ClientNoContextTakeover = true
			case "server_max_window_bits":
				i = 2
				bits, valid := windowBits(prm.Value)
				if !valid {
					return DeflateParams{}, false, fmt.Errorf("websocket: permessage-deflate response has server_max_window_bits=%q", prm.Value)
				}
				p.ServerMaxWindowBits = bits
			default:
				return DeflateParams{}, false, fmt.Errorf("websocket: permessage-deflate response has unexpected parameter %s", prm.Name)
			}
			if i < 2 && prm.Value != "" {
				return DeflateParams{}, false, fmt.Errorf("websocket: permessage-deflate response has %s with a value", prm.Name)
			}
			if seen[i] {
				return DeflateParams{}, false, fmt.Errorf("websocket: permessage-deflate response repeats %s", prm.Name)
			}
			seen[i] = true
		}
	}
	if !ok {
		return DeflateParams{}, false, nil
	}
	if !cfg.ServerContextTakeover && !p.ServerNoContextTakeover {
		return DeflateParams{}, false, errors.New("websocket: permessage-deflate response lacks the server_no_context_takeover the client asked for")
	}
	if !cfg.ClientContextTakeover {
		p.ClientNoContextTakeover = true
	}
	return p, true, nil
}

// writerPools holds idle flate writers, one pool per level.
var writerPools [flate.BestCompression - flate.HuffmanOnly + 1]sync.Pool

// appendWriter is the io.Writer a flate.Writer writes to: it appends to b.
type appendWriter struct{ b []byte }

func (w *appendWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

// Compressor compresses the messages one endpoint sends (RFC 7692 section
// 7.2.1). It is not safe for concurrent use: one per connection, used from
// the goroutine that encodes its messages.
//
// Memory: a flate.Writer is large (about 0.8 MiB; 1.2 MiB at
// flate.BestSpeed). Without context takeover the writer comes from a pool
// for each message and goes back after it, so an idle connection holds
// nothing. With context takeover the writer is the context: the Compressor
// keeps it from the first message until Release, which a connection should
// call when it closes.
type Compressor struct {
	level    int
	takeover bool
	w        *flate.Writer // held between messages with context takeover
	sink     appendWriter
}

// NewCompressor returns a compressor at the given compress/flate level (see
// DeflateConfig.Level for the choice of 0 and invalid levels). With
// contextTakeover, each message is compressed with the previous ones as
// history, which the peer must have agreed to.
func NewCompressor(level int, contextTakeover bool) *Compressor {
	if level == 0 || level < flate.HuffmanOnly || level > flate.BestCompression {
		level = flate.BestSpeed
	}
	return &Compressor{level: level, takeover: contextTakeover}
}

// Compress appends the compressed form of message p to dst: DEFLATE data
// ending with a sync flush whose final 0x00 0x00 0xff 0xff is removed, ready
// to be the payload of a frame (or of several) with RSV1 set on the first.
func (c *Compressor) Compress(dst, p []byte) []byte {
	w := c.w
	if w == nil {
		pool := &writerPools[c.level-flate.HuffmanOnly]
		if x := pool.Get(); x != nil {
			w = x.(*flate.Writer)
			w.Reset(&c.sink)
		} else {
			w, _ = flate.NewWriter(&c.sink, c.level) // the level is valid
		}
	}
	c.sink.b = dst
	// appendWriter never fails, so neither do Write and Flush.
	_, _ = w.Write(p)
	_ = w.Flush()
	dst = c.sink.b
	c.sink.b = nil
	dst = dst[:len(dst)-len(deflateTail)]
	if c.takeover {
		c.w = w
	} else {
		writerPools[c.level-flate.HuffmanOnly].Put(w)
	}
	return dst
}

// AppendFrame appends to dst one frame holding the compressed form of
// payload: the header h with RSV1 set and h.Length set to the compressed
// length, then the compressed bytes, masked with h.MaskKey when h.Masked.
// Compression costs more than it saves for short messages (below about 100
// bytes); send those with the package-level AppendFrame, without RSV1.
func (c *Compressor) AppendFrame(dst []byte, h FrameHeader, payload []byte) []byte {
	// Compress after room for the longest header, then write the header
	// right before the compressed bytes and close the gap.
	start := len(dst)
	dst = append(dst, make([]byte, MaxHeaderSize)...)
	dst = c.Compress(dst, payload)
	h.Rsv1 = true
	h.Length = int64(len(dst) - start - MaxHeaderSize)
	hs := HeaderSize(h)
	gap := MaxHeaderSize - hs
	AppendFrameHeader(dst[start+gap:start+gap], h)
	if gap > 0 {
		copy(dst[start:], dst[start+gap:])
		dst = dst[:len(dst)-gap]
	}
	if h.Masked {
		Mask(h.MaskKey, 0, dst[start+hs:])
	}
	return dst
}

// AppendFrameString is AppendFrame for a string payload, without copying it.
func (c *Compressor) AppendFrameString(dst []byte, h FrameHeader, payload string) []byte {
	// compress/flate only reads the bytes it is given.
	return c.AppendFrame(dst, h, unsafe.Slice(unsafe.StringData(payload), len(payload)))
}

// Release returns the writer a context-takeover Compressor holds to the pool.
// Call it when the connection is done: a message compressed after Release
// starts a new context, which the peer cannot follow.
func (c *Compressor) Release() {
	if c.w != nil {
		writerPools[c.level-flate.HuffmanOnly].Put(c.w)
		c.w = nil
	}
}

// inflaters holds idle flate readers (about 43 KiB each).
var inflaters = sync.Pool{New: func() any { return flate.NewReader(&tailReader{}) }}

// tailReader serves a compressed message followed by deflateTail, without
// copying the message to append the tail.
type tailReader struct {
	p     []byte // message bytes not read yet
	t     int    // bytes of deflateTail read
	clean bool   // the tail was read in one 4-byte Read: as the LEN and NLEN of a stored block
}

func (r *tailReader) ReadByte() (byte, error) {
	if len(r.p) > 0 {
		c := r.p[0]
		r.p = r.p[1:]
		return c, nil
	}
	if r.t < len(deflateTail) {
		r.t++
		return deflateTail[r.t-1], nil
	}
	return 0, io.EOF
}

func (r *tailReader) Read(b []byte) (int, error) {
	if len(r.p) > 0 {
		n := copy(b, r.p)
		r.p = r.p[n:]
		return n, nil
	}
	if r.t == len(deflateTail) {
		return 0, io.EOF
	}
	if r.t == 0 && len(b) == len(deflateTail) {
		r.clean = true
	}
	n := copy(b, deflateTail[r.t:])
	r.t += n
	return n, nil
}

// Decompressor inflates the messages one endpoint receives (RFC 7692 section
// 7.2.2), with a hard limit on the size of each message. It is not safe for
// concurrent use: one per connection.
//
// Memory: the flate reader (about 43 KiB) comes from a pool for each message.
// With context takeover, the Decompressor also keeps the last 32 KiB of
// output between messages (allocated at the first message) and primes the
// reader with it at each message, which costs copying up to 64 KiB per
// message; without it, an idle connection holds nothing.
type Decompressor struct {
	takeover bool
	hist     []byte // the last windowSize bytes of output, with context takeover
	src      tailReader
}

// NewDecompressor returns a decompressor. With contextTakeover, each message
// may refer to the previous ones, as the peer was allowed to.
func NewDecompressor(contextTakeover bool) *Decompressor {
	return &Decompressor{takeover: contextTakeover}
}

// Decompress appends the inflated form of the compressed message p (its
// whole payload, without the 0x00 0x00 0xff 0xff tail) to dst. limit bounds
// the inflated size (0 or less means DefaultMaxMessageSize): the output is
// checked as it is produced, so a decompression bomb fails after at most
// limit+1 bytes with a *ProtocolError carrying CloseMessageTooBig, and dst
// never grows much past the limit. Corrupt data is a *ProtocolError with
// CloseInvalidPayload. On error, dst is returned with its original length.
// An empty p is an empty message.
//
// After an error the context is lost: the connection must be failed.
func (d *Decompressor) Decompress(dst, p []byte, limit int) ([]byte, error) {
	if limit <= 0 {
		limit = DefaultMaxMessageSize
	}
	return d.inflate(dst, p, int64(limit), nil)
}

// inflate is Decompress with the limit as given, validating the output as
// UTF-8 while it is produced when text is not nil.
func (d *Decompressor) inflate(dst, p []byte, limit int64, text *utf8State) ([]byte, error) {
	if len(p) == 0 {
		return dst, nil
	}
	limit = min(limit, math.MaxInt64-1)
	fr := inflaters.Get().(io.ReadCloser)
	d.src = tailReader{p: p}
	defer func() {
		d.src = tailReader{} // do not keep p
		inflaters.Put(fr)
	}()
	var dict []byte
	if d.takeover {
		dict = d.hist
	}
	_ = fr.(flate.Resetter).Reset(&d.src, dict) // never fails
	start := len(dst)
	for {
		produced := int64(len(dst) - start)
		if len(dst) == cap(dst) {
			// Double the output so far (at least 4 KiB), within the limit.
			dst = slices.Grow(dst, int(min(max(produced, 4096), limit+1-produced)))
		}
		room := min(int64(cap(dst)-len(dst)), limit+1-produced)
		k, err := fr.Read(dst[len(dst) : len(dst)+int(room)])
		if k > 0 {
			chunk := dst[len(dst) : len(dst)+k]
			dst = dst[:len(dst)+k]
			if produced+int64(k) > limit {
				return dst[:start], &ProtocolError{Code: CloseMessageTooBig, err: protocols.ErrPackageTooLarge,
					Reason: fmt.Sprintf("compressed message inflates past the %d-byte limit", limit)}
			}
			if text != nil && !text.write(chunk) {
				return dst[:start], protocolErr(CloseInvalidPayload, "invalid UTF-8 in text message")
			}
		}
		switch {
		case err == nil:
			continue
		case err == io.EOF:
			// A final block (BFINAL set): RFC 7692 section 7.2.3.4 allows it.
		case err == io.ErrUnexpectedEOF && d.src.clean && d.src.t == len(deflateTail):
			// The empty stored block of the tail ended the message, and the
			// reader went on to look for another block.
		default:
			return dst[:start], &ProtocolError{Code: CloseInvalidPayload, err: err,
				Reason: "corrupt compressed message: " + err.Error()}
		}
		break
	}
	if d.takeover {
		d.remember(dst[start:])
	}
	return dst, nil
}

// remember keeps the last windowSize bytes of history followed by out.
func (d *Decompressor) remember(out []byte) {
	if d.hist == nil {
		d.hist = make([]byte, 0, windowSize)
	}
	if len(out) >= windowSize {
		d.hist = append(d.hist[:0], out[len(out)-windowSize:]...)
		return
	}
	if over := len(d.hist) + len(out) - windowSize; over > 0 {
		d.hist = d.hist[:copy(d.hist, d.hist[over:])]
	}
	d.hist = append(d.hist, out...)
}
