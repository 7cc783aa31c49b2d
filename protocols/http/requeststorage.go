package http

import "unsafe"

// A Request, its header fields and the copy of its head (which every string
// of the Request points into) are allocated together when they fit one of
// these, so building a request is one allocation of about the size it
// needs: a request from curl or a load balancer's probe (a few fields, a
// short head) takes 576 bytes, a browser's up to 2 KiB. The tiers fill Go's
// size classes exactly (TestRequestStorageAlloc); what they do not
// hold is allocated apart (newRequest).
type (
	requestSmall struct {
		req    Request
		fields [4]Field
		head   [smallHead]byte
	}
	requestMedium struct {
		req    Request
		fields [8]Field
		head   [mediumHead]byte
	}
	requestLarge struct {
		req    Request
		fields [16]Field
		head   [largeHead]byte
	}
)

// Room for the head in each tier: what is left of the size class (576, 1024
// and 2048 bytes) after the Request, the fields and the 8-byte header Go puts
// before every object over 512 bytes that holds pointers.
const (
	smallHead  = 576 - mallocHeader - requestSize - 4*fieldSize
	mediumHead = 1024 - mallocHeader - requestSize - 8*fieldSize
	largeHead  = 2048 - mallocHeader - requestSize - 16*fieldSize

	mallocHeader = 8
	requestSize  = int(unsafe.Sizeof(Request{}))
	fieldSize    = int(unsafe.Sizeof(Field{}))
)

// newRequest returns a Request whose Header has nFields fields, and a copy
// of head that the Request may keep: both in one allocation when a tier
// holds them, otherwise the Request, its fields and the head apart.
func newRequest(nFields int, head []byte) (*Request, string) {
	n := len(head)
	switch {
	case nFields <= 4 && n <= smallHead:
		s := new(requestSmall)
		s.req.Header = s.fields[:nFields]
		return &s.req, holdString(s.head[:], head)
	case nFields <= 8 && n <= mediumHead:
		s := new(requestMedium)
		s.req.Header = s.fields[:nFields]
		return &s.req, holdString(s.head[:], head)
	case nFields <= 16 && n <= largeHead:
		s := new(requestLarge)
		s.req.Header = s.fields[:nFields]
		return &s.req, holdString(s.head[:], head)
	}
	return &Request{Header: make(Header, nFields)}, string(head)
}

// holdString copies b into buf, which is never written again, and returns
// it as a string: buf lives in the same allocation as the Request that keeps
// the string, so the string needs no allocation of its own.
func holdString(buf, b []byte) string {
	if len(b) == 0 {
		return ""
	}
	n := copy(buf, b)
	return unsafe.String(&buf[0], n)
}
