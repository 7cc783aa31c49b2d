package sse_test

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/workerman-go/workerman/protocols"
	"github.com/workerman-go/workerman/protocols/sse"
)

// result is everything a client can observe of a parsed stream.
type result struct {
	events   []sse.Event
	comments []string
	lastID   string
	retry    time.Duration
	retrySet bool
	err      error
}

func (r result) equal(o result) bool {
	return slices.Equal(r.events, o.events) && slices.Equal(r.comments, o.comments) &&
		r.lastID == o.lastID && r.retry == o.retry && r.retrySet == o.retrySet &&
		(r.err == nil) == (o.err == nil)
}

// errTooLarge stands for the parser's size error in reference results.
var errTooLarge = errors.New("too large")

// reference interprets stream, whole, by the words of WHATWG HTML §9.2.6 in
// the plainest code: split into lines, process each line. It is slow and
// independent of the Parser, whose results it checks.
func reference(stream []byte, max int) result {
	if max <= 0 {
		max = sse.DefaultMaxSize
	}
	const bom = "\xEF\xBB\xBF"
	var r result
	s := stream
	switch {
	case bytes.HasPrefix(s, []byte(bom)):
		s = s[len(bom):]
	case bytes.HasPrefix([]byte(bom), s):
		// Only part of a BOM so far: nothing is decided yet.
		return r
	}
	var data []byte
	var eventType, idBuffer string
	var blockRetry time.Duration
	for len(s) > 0 {
		i := bytes.IndexAny(s, "\r\n")
		if i < 0 {
			// An unfinished line: discarded, but bounded by max.
			if len(s) > max {
				r.err = errTooLarge
			}
			return r
		}
		line := s[:i]
		if len(line) > max {
			r.err = errTooLarge
			return r
		}
		if s[i] == '\r' && i+1 < len(s) && s[i+1] == '\n' {
			i++
		}
		s = s[i+1:]

		if len(line) == 0 { // dispatch the event
			r.lastID = idBuffer
			if len(data) > 0 {
				r.events = append(r.events, sse.Event{
					ID:    idBuffer,
					Event: eventType,
					Data:  string(bytes.TrimSuffix(data, []byte("\n"))),
					Retry: blockRetry,
				})
			}
			data, eventType, blockRetry = nil, "", 0
			continue
		}
		if line[0] == ':' {
			r.comments = append(r.comments, string(bytes.TrimPrefix(line[1:], []byte(" "))))
			continue
		}
		name, value, found := bytes.Cut(line, []byte(":"))
		if found {
			value = bytes.TrimPrefix(value, []byte(" "))
		}
		switch string(name) {
		case "event":
			eventType = string(value)
		case "data":
			data = append(data, value...)
			data = append(data, '\n')
			if len(data)-1 > max {
				r.err = errTooLarge
				return r
			}
		case "id":
			if !bytes.Contains(value, []byte{0}) {
				idBuffer = string(value)
			}
		case "retry":
			allDigits := len(value) > 0
			for _, c := range value {
				allDigits = allDigits && '0' <= c && c <= '9'
			}
			ms, err := strconv.ParseInt(string(value), 10, 64)
			if allDigits && err == nil && ms <= math.MaxInt64/int64(time.Millisecond) {
				r.retry, r.retrySet = time.Duration(ms)*time.Millisecond, true
				blockRetry = r.retry
			}
		}
	}
	return r
}

// parse feeds chunks to a new Parser with the given MaxSize and collects
// everything it reports. It checks that an error wraps ErrPackageTooLarge and
// sticks, and that the parser never keeps a reference to a chunk.
func parse(t testing.TB, max int, chunks ...[]byte) result {
	t.Helper()
	var r result
	p := &sse.Parser{MaxSize: max, OnComment: func(c string) { r.comments = append(r.comments, c) }}
	emit := func(ev sse.Event) { r.events = append(r.events, ev) }
	for _, c := range chunks {
		// Feed a copy and scribble over it afterwards: the parser must have
		// copied what it keeps.
		c = slices.Clone(c)
		err := p.Feed(c, emit)
		for i := range c {
			c[i] = '\n'
		}
		if err != nil {
			if !errors.Is(err, protocols.ErrPackageTooLarge) {
				t.Fatalf("Feed error %v does not wrap ErrPackageTooLarge", err)
			}
			n := len(r.events)
			if err2 := p.Feed([]byte("data: x\n\n"), emit); err2 != err || len(r.events) != n {
				t.Fatalf("Feed after error %v returned %v and %d new events", err, err2, len(r.events)-n)
			}
			r.err = err
			break
		}
	}
	r.lastID = p.LastEventID()
	r.retry, r.retrySet = p.Retry()
	return r
}

// splits returns ways to deliver stream: whole, every split into two
// chunks, and one byte at a time.
func splits(stream []byte) [][][]byte {
	out := [][][]byte{{stream}}
	for i := 0; i <= len(stream); i++ {
		out = append(out, [][]byte{stream[:i], stream[i:]})
	}
	return append(out, bytewise(stream))
}

func bytewise(stream []byte) [][]byte {
	chunks := make([][]byte, len(stream))
	for i := range stream {
		chunks[i] = stream[i : i+1]
	}
	return chunks
}

func (r result) String() string {
	return fmt.Sprintf("events %q, comments %q, lastID %q, retry %v %v, err %v",
		r.events, r.comments, r.lastID, r.retry, r.retrySet, r.err)
}
