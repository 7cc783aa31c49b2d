package h2frame

import (
	"encoding/binary"
	"strconv"
)

// AppendFrameHeader appends a frame header to dst and returns the extended
// buffer; the caller appends the h.Length bytes of payload. The reserved bit
// is sent as 0. It panics if h.Length is above MaxFrameSizeLimit or
// h.StreamID above MaxStreamID, which the wire format cannot carry.
func AppendFrameHeader(dst []byte, h Header) []byte {
	if h.Length > MaxFrameSizeLimit {
		panic("h2frame: frame length " + strconv.FormatUint(uint64(h.Length), 10) + " above 16777215")
	}
	checkStreamID(h.StreamID)
	return append(dst,
		byte(h.Length>>16), byte(h.Length>>8), byte(h.Length),
		byte(h.Type), byte(h.Flags),
		byte(h.StreamID>>24), byte(h.StreamID>>16), byte(h.StreamID>>8), byte(h.StreamID))
}

func checkStreamID(id uint32) {
	if id > MaxStreamID {
		panic("h2frame: stream identifier " + strconv.FormatUint(uint64(id), 10) + " above 2^31-1")
	}
}

// AppendData appends a DATA frame carrying data on stream, with END_STREAM
// if endStream. The caller keeps len(data) within the peer's
// SETTINGS_MAX_FRAME_SIZE and its flow-control windows; data may be empty
// (an empty DATA frame with END_STREAM ends a stream).
func AppendData(dst []byte, stream uint32, endStream bool, data []byte) []byte {
	var flags Flags
	if endStream {
		flags = FlagEndStream
	}
	dst = AppendFrameHeader(dst, Header{Length: uint32(min(len(data), MaxFrameSizeLimit+1)), Type: TypeData, Flags: flags, StreamID: stream})
	return append(dst, data...)
}

// AppendHeaders appends a field block (HPACK-encoded by the caller) for
// stream: a HEADERS frame, with END_STREAM if endStream, and as many
// CONTINUATION frames as the block needs so that no payload exceeds
// maxFrameSize, the peer's SETTINGS_MAX_FRAME_SIZE (raised to
// DefaultMaxFrameSize if lower). The last frame has END_HEADERS. Nothing
// else may be sent on the connection between these frames, which this does
// by writing them together.
func AppendHeaders(dst []byte, stream uint32, endStream bool, block []byte, maxFrameSize uint32) []byte {
	limit := int(min(max(maxFrameSize, DefaultMaxFrameSize), MaxFrameSizeLimit))
	typ := TypeHeaders
	var flags Flags
	if endStream {
		flags = FlagEndStream
	}
	for {
		chunk := block
		if len(chunk) > limit {
			chunk = chunk[:limit]
		} else {
			flags |= FlagEndHeaders
		}
		dst = AppendFrameHeader(dst, Header{Length: uint32(len(chunk)), Type: typ, Flags: flags, StreamID: stream})
		dst = append(dst, chunk...)
		block = block[len(chunk):]
		if len(block) == 0 && flags.Has(FlagEndHeaders) {
			return dst
		}
		typ, flags = TypeContinuation, 0
	}
}

// AppendRSTStream appends a RST_STREAM frame that resets stream with code.
func AppendRSTStream(dst []byte, stream uint32, code ErrCode) []byte {
	dst = AppendFrameHeader(dst, Header{Length: 4, Type: TypeRSTStream, StreamID: stream})
	return binary.BigEndian.AppendUint32(dst, uint32(code))
}

// AppendSettings appends a SETTINGS frame with the given parameters (none
// for an empty one). It does not check them; ValidateSetting tells what a
// peer accepts.
func AppendSettings(dst []byte, settings ...Setting) []byte {
	dst = AppendFrameHeader(dst, Header{Length: uint32(min(6*len(settings), MaxFrameSizeLimit+1)), Type: TypeSettings})
	for _, s := range settings {
		dst = binary.BigEndian.AppendUint16(dst, uint16(s.ID))
		dst = binary.BigEndian.AppendUint32(dst, s.Val)
	}
	return dst
}

// AppendSettingsAck appends an empty SETTINGS frame with ACK, which
// acknowledges the peer's SETTINGS frame once the server applied it.
func AppendSettingsAck(dst []byte) []byte {
	return AppendFrameHeader(dst, Header{Type: TypeSettings, Flags: FlagAck})
}

// AppendPing appends a PING frame carrying data, with ACK if ack (the
// answer to a PING, which echoes its data).
func AppendPing(dst []byte, ack bool, data [8]byte) []byte {
	var flags Flags
	if ack {
		flags = FlagAck
	}
	dst = AppendFrameHeader(dst, Header{Length: 8, Type: TypePing, Flags: flags})
	return append(dst, data[:]...)
}

// maxGoAwayDebug is the most debug data a GOAWAY frame carries, so that it
// fits in DefaultMaxFrameSize, which every peer accepts.
const maxGoAwayDebug = DefaultMaxFrameSize - 8

// AppendGoAway appends a GOAWAY frame: lastStream is the highest stream
// the server processed or may still process, code why the connection ends
// (ErrCodeNo for a graceful shutdown) and debug optional diagnostic bytes,
// cut to their first 16,376 so that the frame fits in 16,384 bytes.
func AppendGoAway(dst []byte, lastStream uint32, code ErrCode, debug []byte) []byte {
	checkStreamID(lastStream)
	if len(debug) > maxGoAwayDebug {
		debug = debug[:maxGoAwayDebug]
	}
	dst = AppendFrameHeader(dst, Header{Length: uint32(8 + len(debug)), Type: TypeGoAway})
	dst = binary.BigEndian.AppendUint32(dst, lastStream)
	dst = binary.BigEndian.AppendUint32(dst, uint32(code))
	return append(dst, debug...)
}

// AppendWindowUpdate appends a WINDOW_UPDATE frame that grows the window of
// stream (0: of the connection) by increment. An increment of 0 is a
// protocol error the peer will answer (RFC 9113 section 6.9), and the
// windows' limit of 2^31-1 is the caller's to keep; an increment above
// 2^31-1 cannot be sent and panics.
func AppendWindowUpdate(dst []byte, stream uint32, increment uint32) []byte {
	if increment > MaxWindowSize {
		panic("h2frame: window increment " + strconv.FormatUint(uint64(increment), 10) + " above 2^31-1")
	}
	dst = AppendFrameHeader(dst, Header{Length: 4, Type: TypeWindowUpdate, StreamID: stream})
	return binary.BigEndian.AppendUint32(dst, increment)
}
