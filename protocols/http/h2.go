package http

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"golang.org/x/net/http2/hpack"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/internal/sweep"
	"github.com/workerman-go/workerman/protocols/http/internal/h2frame"
)

// HTTP/2 on the loops (RFC 9113).
//
// A connection speaks HTTP/2 when TLS negotiated "h2" (ALPN), or when its
// first bytes are the client preface (prior knowledge, "h2c"). Its codec
// then holds an h2Conn, which reads frames, and carries each stream as a
// connection of its own (connection.Conn.OpenStream): the stream's codec
// is an HTTP/1.1 server codec like any other, fed the request as HTTP/1.1
// bytes built from the stream's header fields and DATA frames, and what it
// writes, an HTTP/1.1 response, is turned back into HEADERS and DATA
// frames (h2Response). So OnMessage, Send, Close, timers, event streams,
// files and long polling mean for a stream what they mean for a
// connection, with no second implementation of any of them.
//
// Flow control: the DATA a stream's window (or the connection's) does not
// allow yet stays in the stream's queue, counted in that stream's send
// buffer (connection.Carrier.Unsent): a stream whose reader is slow fills
// its own buffer, not the connection's, and the other streams go on.

// Limits of the server side of HTTP/2.
const (
	// h2MaxStreams is SETTINGS_MAX_CONCURRENT_STREAMS: the streams a
	// client may have open at once on one connection.
	h2MaxStreams = 100
	// h2ConnWindow is the connection's receive window: the initial 65,535
	// raised by a WINDOW_UPDATE sent with the SETTINGS.
	h2ConnWindow = 1 << 20
	// h2FloodBudget bounds the frames a client may send per second that
	// cost the server work without carrying a request (PING, SETTINGS,
	// PRIORITY, RST_STREAM, empty DATA, refused streams): more is a flood
	// (the 2019 "ping flood", the 2023 "rapid reset") and the connection is
	// ended with GOAWAY ENHANCE_YOUR_CALM.
	h2FloodBudget = 1000
)

// h2Conn is the HTTP/2 side of a connection whose codec is sc.
type h2Conn struct {
	sc  *serverCodec
	c   *connection.Conn
	lim Limits

	prefaceDone bool
	dead        bool // a connection error was sent: the rest of the input is dropped
	goingAway   bool // GOAWAY sent or received: no new streams; close when none is left

	dec       *hpack.Decoder
	enc       *hpack.Encoder
	encBuf    appendWriter
	fields    []hpack.HeaderField // the header block being decoded
	listSize  int                 // its size as RFC 9113 §6.5.2 counts it
	blockSize int                 // its compressed size so far
	// blockStream is the stream whose header block continues in
	// CONTINUATION frames (0: none); blockEnd is its END_STREAM.
	blockStream uint32
	blockEnd    bool
	// refused: the block's stream was reset when its HEADERS came (a
	// stream error): the block is decoded, for HPACK, and opens nothing.
	// blockRefused carries that from decode to onHeaders.
	refused, blockRefused bool

	streams    map[uint32]*h2Stream
	byConn     map[*connection.Conn]*h2Stream
	lastStream uint32 // the highest stream the client opened

	sendWindow   int64       // the connection's window for our DATA
	recvWindow   int64       // what the client may still send on the connection
	peerWindow   int64       // the client's SETTINGS_INITIAL_WINDOW_SIZE
	peerMaxFrame uint32      // the client's SETTINGS_MAX_FRAME_SIZE
	blocked      []*h2Stream // streams waiting for the connection's window or send buffer
	waitWritable bool        // a WhenWritable is pending

	floodCount int
	floodFrom  int64 // sweep.Now() when the current second of the flood budget began

	out []byte // frames to write, flushed by flushOut
}

// h2Stream is one stream of an h2Conn.
type h2Stream struct {
	id         uint32
	s          *connection.Conn // nil once closed
	window     int64            // our send window on it
	recvWindow int64            // what the client may still send on it
	remoteDone bool             // the client's END_STREAM came
	chunked    bool             // its body is fed as chunks (no content-length)
	bodyLeft   int64            // content-length: bytes still to come; -1: none given
	resp       h2Response       // what the stream writes, turned into frames
	held       []byte           // DATA waiting for a window
	heldEnd    bool             // the response ends after held
	ended      bool             // END_STREAM or RST_STREAM sent, or RST_STREAM received
	isBlocked  bool             // in h2Conn.blocked
}

// appendWriter is the io.Writer the HPACK encoder writes to.
type appendWriter struct{ b []byte }

func (w *appendWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

func newH2Conn(sc *serverCodec, c *connection.Conn) *h2Conn {
	h := &h2Conn{
		sc: sc, c: c, lim: sc.proto.limits(sc.maxBody),
		streams: map[uint32]*h2Stream{}, byConn: map[*connection.Conn]*h2Stream{},
		sendWindow: h2frame.DefaultInitialWindowSize, recvWindow: h2ConnWindow,
		peerWindow: h2frame.DefaultInitialWindowSize, peerMaxFrame: h2frame.DefaultMaxFrameSize,
	}
	h.dec = hpack.NewDecoder(h2frame.DefaultHeaderTableSize, h.emitField)
	// A string may be as long as a header block may be: the block's size
	// bounds the work, and a list too large is answered 431.
	h.dec.SetMaxStringLength(h.maxBlock())
	h.enc = hpack.NewEncoder(&h.encBuf)
	// The server's preface: its SETTINGS, then the connection's window.
	h.out = h2frame.AppendSettings(h.out,
		h2frame.Setting{ID: h2frame.SettingMaxConcurrentStreams, Val: h2MaxStreams},
		h2frame.Setting{ID: h2frame.SettingMaxHeaderListSize, Val: uint32(h.lim.MaxHeaderBytes)},
		h2frame.Setting{ID: h2frame.SettingEnablePush, Val: 0})
	h.out = h2frame.AppendWindowUpdate(h.out, 0, h2ConnWindow-h2frame.DefaultInitialWindowSize)
	return h
}

// decode reads the preface or one frame from the front of in, for the
// codec's Decode: it returns how many bytes it consumed.
func (h *h2Conn) decode(in []byte) (n int, err error) {
	defer h.flushOut()
	if h.dead {
		return len(in), nil
	}
	if !h.prefaceDone {
		n, err := h2frame.ParsePreface(in)
		if err != nil {
			h.connError(err)
			return len(in), nil
		}
		h.prefaceDone = n > 0
		return n, nil
	}
	f, n, err := h2frame.Parse(in, h2frame.DefaultMaxFrameSize)
	if err != nil {
		var se *h2frame.StreamError
		if errors.As(err, &se) {
			if f.Type == h2frame.TypeHeaders {
				// The block still updates HPACK's state, but opens no
				// stream: it is reset below.
				h.blockRefused = true
				if err := h.onHeaders(f); err != nil {
					h.connError(err)
					return len(in), nil
				}
			}
			h.resetStream(se.StreamID, se.Code)
			return n, nil
		}
		h.connError(err)
		return len(in), nil
	}
	if n == 0 {
		return 0, nil
	}
	if err := h.onFrame(f); err != nil {
		var se *h2frame.StreamError
		if errors.As(err, &se) {
			h.resetStream(se.StreamID, se.Code)
			return n, nil
		}
		h.connError(err)
		return len(in), nil
	}
	return n, nil
}

func connErr(code h2frame.ErrCode, format string, args ...any) error {
	return &h2frame.ConnError{Code: code, Reason: fmt.Sprintf(format, args...)}
}

func streamErr(id uint32, code h2frame.ErrCode, format string, args ...any) error {
	return &h2frame.StreamError{StreamID: id, Code: code, Reason: fmt.Sprintf(format, args...)}
}

// onFrame acts on one valid frame.
func (h *h2Conn) onFrame(f h2frame.Frame) error {
	if h.blockStream != 0 && (f.Type != h2frame.TypeContinuation || f.StreamID != h.blockStream) {
		return connErr(h2frame.ErrCodeProtocol, "%s frame on stream %d in the middle of stream %d's header block", f.Type, f.StreamID, h.blockStream)
	}
	switch f.Type {
	case h2frame.TypeData:
		return h.onData(f)
	case h2frame.TypeHeaders, h2frame.TypeContinuation:
		if f.Type == h2frame.TypeContinuation && h.blockStream == 0 {
			return connErr(h2frame.ErrCodeProtocol, "CONTINUATION frame on stream %d without a header block", f.StreamID)
		}
		return h.onHeaders(f)
	case h2frame.TypePriority:
		return h.spend()
	case h2frame.TypeRSTStream:
		if f.StreamID > h.lastStream {
			return connErr(h2frame.ErrCodeProtocol, "RST_STREAM on idle stream %d", f.StreamID)
		}
		if st := h.streams[f.StreamID]; st != nil {
			st.ended = true // nothing more is sent on it
			h.forget(st)
			st.s.Destroy()
		}
		return h.spend()
	case h2frame.TypeSettings:
		if f.Flags.Has(h2frame.FlagAck) {
			return nil
		}
		if err := f.Settings(h.applySetting); err != nil {
			return err
		}
		h.out = h2frame.AppendSettingsAck(h.out)
		return h.spend()
	case h2frame.TypePushPromise:
		return connErr(h2frame.ErrCodeProtocol, "PUSH_PROMISE from a client")
	case h2frame.TypePing:
		if f.Flags.Has(h2frame.FlagAck) {
			return nil
		}
		h.out = h2frame.AppendPing(h.out, true, f.PingData())
		return h.spend()
	case h2frame.TypeGoAway:
		h.goingAway = true
		h.closeIfDone()
		return nil
	case h2frame.TypeWindowUpdate:
		return h.onWindowUpdate(f)
	}
	return nil // an unknown type is ignored (RFC 9113 §5.5)
}

// spend counts a frame against the flood budget.
func (h *h2Conn) spend() error {
	now := sweep.Now() // monotonic: a step of the wall clock must not stop the budget from renewing
	if now-h.floodFrom >= int64(time.Second) {
		h.floodFrom, h.floodCount = now, 0
	}
	h.floodCount++
	if h.floodCount > h2FloodBudget {
		return connErr(h2frame.ErrCodeEnhanceYourCalm, "more than %d control frames, resets or refused streams in a second", h2FloodBudget)
	}
	return nil
}

func (h *h2Conn) applySetting(s h2frame.Setting) error {
	switch s.ID {
	case h2frame.SettingHeaderTableSize:
		h.enc.SetMaxDynamicTableSizeLimit(s.Val)
	case h2frame.SettingInitialWindowSize:
		delta := int64(s.Val) - h.peerWindow
		h.peerWindow = int64(s.Val)
		for _, st := range h.streams {
			st.window += delta
			if st.window > h2frame.MaxWindowSize {
				return connErr(h2frame.ErrCodeFlowControl, "SETTINGS_INITIAL_WINDOW_SIZE makes stream %d's window %d", st.id, st.window)
			}
			if delta > 0 {
				h.pump(st)
			}
		}
	case h2frame.SettingMaxFrameSize:
		h.peerMaxFrame = s.Val
	}
	return nil
}

func (h *h2Conn) onWindowUpdate(f h2frame.Frame) error {
	inc := int64(f.WindowIncrement())
	if f.StreamID == 0 {
		h.sendWindow += inc
		if h.sendWindow > h2frame.MaxWindowSize {
			return connErr(h2frame.ErrCodeFlowControl, "WINDOW_UPDATE makes the connection's window %d", h.sendWindow)
		}
		h.unblock()
		return nil
	}
	if f.StreamID > h.lastStream {
		return connErr(h2frame.ErrCodeProtocol, "WINDOW_UPDATE on idle stream %d", f.StreamID)
	}
	st := h.streams[f.StreamID]
	if st == nil {
		return nil // a closed stream: allowed (RFC 9113 §6.9)
	}
	st.window += inc
	if st.window > h2frame.MaxWindowSize {
		return streamErr(st.id, h2frame.ErrCodeFlowControl, "WINDOW_UPDATE makes stream %d's window %d", st.id, st.window)
	}
	h.pump(st)
	return nil
}

// onHeaders decodes a HEADERS or CONTINUATION frame's part of a header
// block, and acts on the block once it is complete.
func (h *h2Conn) onHeaders(f h2frame.Frame) error {
	block, _, _ := f.HeadersFragment()
	if f.Type == h2frame.TypeHeaders {
		if f.StreamID%2 == 0 {
			return connErr(h2frame.ErrCodeProtocol, "HEADERS on even stream %d: a client's streams are odd", f.StreamID)
		}
		h.blockStream, h.blockEnd = f.StreamID, f.Flags.Has(h2frame.FlagEndStream)
		h.fields, h.listSize, h.blockSize = h.fields[:0], 0, 0
		h.refused, h.blockRefused = h.blockRefused, false
	}
	h.blockSize += len(block)
	if h.blockSize > h.maxBlock() {
		// A CONTINUATION flood: the block is not even decoded further.
		return connErr(h2frame.ErrCodeEnhanceYourCalm, "a header block of more than %d bytes", h.blockSize)
	}
	if _, err := h.dec.Write(block); err != nil {
		return connErr(h2frame.ErrCodeCompression, "stream %d's header block: %v", f.StreamID, err)
	}
	if !f.Flags.Has(h2frame.FlagEndHeaders) {
		return nil
	}
	if err := h.dec.Close(); err != nil {
		return connErr(h2frame.ErrCodeCompression, "stream %d's header block: %v", f.StreamID, err)
	}
	id, end := h.blockStream, h.blockEnd
	h.blockStream = 0
	return h.onRequestHead(id, end)
}

// maxBlock bounds the compressed size of a header block: a CONTINUATION
// flood ends there, before its fields are even decoded.
func (h *h2Conn) maxBlock() int { return 2*h.lim.MaxHeaderBytes + h2frame.DefaultMaxFrameSize }

// emitField collects a decoded field of the block being read; past the
// size limit it only counts (the block must still be decoded, for HPACK's
// state).
func (h *h2Conn) emitField(f hpack.HeaderField) {
	h.listSize += int(f.Size())
	if h.listSize <= h.lim.MaxHeaderBytes && len(h.fields) <= h.lim.MaxHeaders+4 {
		h.fields = append(h.fields, f)
	}
}

// onRequestHead acts on a complete header block for stream id: a new
// request, or a request's trailers.
func (h *h2Conn) onRequestHead(id uint32, end bool) error {
	if st := h.streams[id]; st != nil {
		// Trailers: they end the body; their fields are not passed on.
		if st.remoteDone || !end {
			return streamErr(id, h2frame.ErrCodeProtocol, "a second header block on stream %d without END_STREAM", id)
		}
		return h.endRequestBody(st)
	}
	if id <= h.lastStream {
		return connErr(h2frame.ErrCodeStreamClosed, "HEADERS on closed stream %d", id)
	}
	h.lastStream = id
	if h.goingAway || h.refused {
		return nil // after GOAWAY: ignored (RFC 9113 §6.8); or reset already
	}
	if len(h.streams) >= h2MaxStreams {
		if err := h.spend(); err != nil {
			return err
		}
		return streamErr(id, h2frame.ErrCodeRefusedStream, "more than %d streams at once", h2MaxStreams)
	}
	if h.listSize > h.lim.MaxHeaderBytes || len(h.fields) > h.lim.MaxHeaders+4 {
		h.answerDirectly(id, 431)
		return nil
	}
	head, err := requestHead(h.fields, end)
	if err != nil {
		return streamErr(id, h2frame.ErrCodeProtocol, "stream %d: malformed request: %v", id, err)
	}
	st := &h2Stream{id: id, window: h.peerWindow, recvWindow: h2frame.DefaultInitialWindowSize,
		remoteDone: end, chunked: head.chunked, bodyLeft: head.bodyLeft}
	st.resp.head = head.method == "HEAD"
	s := h.c.OpenStream(h)
	if s == nil {
		return streamErr(id, h2frame.ErrCodeRefusedStream, "the connection is closing")
	}
	st.s = s
	h.streams[id], h.byConn[s] = st, st
	s.Feed(head.wire)
	return nil
}

// answerDirectly ends stream id with a bodiless response of its own,
// without opening it: a request the server will not read.
func (h *h2Conn) answerDirectly(id uint32, status int) {
	h.encBuf.b = h.encBuf.b[:0]
	_ = h.enc.WriteField(hpack.HeaderField{Name: ":status", Value: strconv.Itoa(status)})
	h.out = h2frame.AppendHeaders(h.out, id, true, h.encBuf.b, h.peerMaxFrame)
}

func (h *h2Conn) onData(f h2frame.Frame) error {
	size := int64(f.Length) // padding included: it counts for flow control
	h.recvWindow -= size
	if h.recvWindow < 0 {
		return connErr(h2frame.ErrCodeFlowControl, "DATA beyond the connection's window")
	}
	if size > 0 {
		// The connection's window is given back at once: what a stream's
		// codec has not read yet is bounded by the stream's own window.
		h.recvWindow += size
		h.out = h2frame.AppendWindowUpdate(h.out, 0, uint32(size))
	}
	if f.StreamID > h.lastStream {
		return connErr(h2frame.ErrCodeProtocol, "DATA on idle stream %d", f.StreamID)
	}
	st := h.streams[f.StreamID]
	if st == nil || st.remoteDone {
		return streamErr(f.StreamID, h2frame.ErrCodeStreamClosed, "DATA on closed stream %d", f.StreamID)
	}
	st.recvWindow -= size
	if st.recvWindow < 0 {
		return streamErr(st.id, h2frame.ErrCodeFlowControl, "DATA beyond stream %d's window", st.id)
	}
	data := f.DataPayload()
	end := f.Flags.Has(h2frame.FlagEndStream)
	if len(data) == 0 && !end {
		if err := h.spend(); err != nil {
			return err
		}
	}
	if st.bodyLeft >= 0 {
		st.bodyLeft -= int64(len(data))
		if st.bodyLeft < 0 || (end && st.bodyLeft > 0) {
			return streamErr(st.id, h2frame.ErrCodeProtocol, "stream %d's DATA does not match its content-length", st.id)
		}
	}
	if len(data) > 0 {
		if st.chunked {
			chunk := strconv.AppendInt(make([]byte, 0, len(data)+12), int64(len(data)), 16)
			chunk = append(append(append(chunk, "\r\n"...), data...), "\r\n"...)
			st.s.Feed(chunk)
		} else {
			st.s.Feed(data)
		}
	}
	if end {
		return h.endRequestBody(st)
	}
	if size > 0 && st.s != nil && st.s.Status() == connection.StatusEstablished {
		st.recvWindow += size
		h.out = h2frame.AppendWindowUpdate(h.out, st.id, uint32(size))
	}
	return nil
}

// endRequestBody ends what the client sends on st.
func (h *h2Conn) endRequestBody(st *h2Stream) error {
	st.remoteDone = true
	if st.chunked && st.s != nil {
		st.s.Feed([]byte("0\r\n\r\n"))
	}
	return nil
}

// resetStream sends RST_STREAM on stream id and closes it.
func (h *h2Conn) resetStream(id uint32, code h2frame.ErrCode) {
	h.out = h2frame.AppendRSTStream(h.out, id, code)
	if st := h.streams[id]; st != nil {
		st.ended = true
		h.forget(st)
		st.s.Destroy()
	}
}

// connError ends the connection: GOAWAY with the error's code, then close.
func (h *h2Conn) connError(err error) {
	code := h2frame.ErrCodeProtocol
	var ce *h2frame.ConnError
	if errors.As(err, &ce) {
		code = ce.Code
	}
	h.out = h2frame.AppendGoAway(h.out, h.lastStream, code, []byte(err.Error()))
	h.dead, h.goingAway = true, true
	h.flushOut()
	h.c.Close()
}

// flushOut hands the frames built so far to the connection.
func (h *h2Conn) flushOut() {
	if len(h.out) == 0 {
		return
	}
	if err := h.c.SendRaw(h.out); err != nil && !errors.Is(err, connection.ErrClosed) {
		// The connection's own buffer is full of frames the client does
		// not read: it cannot go on.
		h.dead = true
		h.c.Destroy()
	}
	h.out = h.out[:0]
	if cap(h.out) > 64<<10 {
		h.out = nil
	}
}

// unblock pumps the streams that waited for the connection's window or
// its send buffer.
func (h *h2Conn) unblock() {
	blocked := h.blocked
	h.blocked = nil
	for _, st := range blocked {
		st.isBlocked = false
		h.pump(st)
	}
}

// writable runs when the connection's send buffer has room again.
func (h *h2Conn) writable() {
	h.waitWritable = false
	h.unblock()
	h.flushOut()
}

// goAway starts a graceful end: GOAWAY with the last stream, the
// streams in progress finish, and the connection closes once none is left.
func (h *h2Conn) goAway() {
	if h.goingAway {
		return
	}
	h.goingAway = true
	h.out = h2frame.AppendGoAway(h.out, h.lastStream, h2frame.ErrCodeNo, nil)
	h.flushOut()
	h.closeIfDone()
}

func (h *h2Conn) closeIfDone() {
	if h.goingAway && len(h.streams) == 0 {
		h.c.Close()
	}
}

// forget removes st from the connection's streams.
func (h *h2Conn) forget(st *h2Stream) {
	delete(h.streams, st.id)
	delete(h.byConn, st.s)
}

// closed runs when the connection closes: its streams end with it.
func (h *h2Conn) closed() {
	h.dead = true
	for _, st := range h.streams {
		st.ended = true
		st.s.Destroy()
	}
}

// Carry implements connection.Carrier: what stream s writes, an HTTP/1.1
// response, becomes frames.
func (h *h2Conn) Carry(s *connection.Conn, p []byte) error {
	st := h.byConn[s]
	if st == nil || st.ended {
		return nil // reset: what it writes is dropped
	}
	defer h.flushOut()
	return st.resp.feed(h, st, p)
}

// Unsent implements connection.Carrier.
func (h *h2Conn) Unsent(s *connection.Conn) int {
	if st := h.byConn[s]; st != nil {
		return len(st.held)
	}
	return 0
}

// StreamClosed implements connection.Carrier.
func (h *h2Conn) StreamClosed(s *connection.Conn) {
	st := h.byConn[s]
	if st == nil {
		return
	}
	h.forget(st)
	if !st.ended && !h.dead {
		switch {
		case len(st.held) > 0 || !st.resp.complete():
			// Closed before its response was out (Destroy, a failure):
			// the client learns the stream is over.
			h.out = h2frame.AppendRSTStream(h.out, st.id, h2frame.ErrCodeCancel)
		default:
			h.out = h2frame.AppendData(h.out, st.id, true, nil)
			if !st.remoteDone {
				h.out = h2frame.AppendRSTStream(h.out, st.id, h2frame.ErrCodeNo) // RFC 9113 §8.1
			}
		}
		st.ended = true
	}
	st.held = nil
	h.flushOut()
	h.closeIfDone()
}

// pump sends what st holds as far as the windows allow, and as far as
// the connection's own send buffer has room (half of it: the rest is for
// the frames that are not flow-controlled).
func (h *h2Conn) pump(st *h2Stream) {
	sent := false
	for len(st.held) > 0 && !st.ended {
		// room < 0: the buffer is over half full, and WhenWritable says
		// when it is not. Otherwise a whole frame may go even if less room
		// is left (the half is passed by one frame at most), so that pump
		// and WhenWritable never wait for each other at exactly half.
		room := int64(h.c.MaxSendBufferSize()/2 - h.c.SendBufferSize() - len(h.out))
		n := min(int64(len(st.held)), st.window, h.sendWindow, int64(h.peerMaxFrame))
		if room >= 0 {
			n = min(n, max(room, int64(h.peerMaxFrame)))
		}
		if n <= 0 || room < 0 {
			if (h.sendWindow <= 0 || room < 0) && !st.isBlocked {
				st.isBlocked = true
				h.blocked = append(h.blocked, st)
			}
			if room < 0 && !h.waitWritable {
				h.waitWritable = true
				h.c.WhenWritable(h.writable)
			}
			break
		}
		end := st.heldEnd && n == int64(len(st.held))
		h.out = h2frame.AppendData(h.out, st.id, end, st.held[:n])
		st.held = st.held[n:]
		st.window -= n
		h.sendWindow -= n
		sent = true
		if end {
			st.ended = true
		}
	}
	if len(st.held) == 0 {
		st.held = nil // an idle stream holds no buffer
		if st.heldEnd && !st.ended {
			h.out = h2frame.AppendData(h.out, st.id, true, nil)
			st.ended = true
		}
	}
	if sent && st.s != nil {
		st.s.Wake()
	}
}
