package gateway

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/workerman-go/workerman/pubsub"
)

// The encoding of what the Gateway publishes, inside a pubsub.Message (on
// the Gateway's own topics only):
//
//	Event ""           Data is the payload, sent to the connection as is.
//	Event "gw:x"       Data is "<id>,<id>,...\n<payload>": the payload, for
//	                   every connection but the listed client ids (1 to
//	                   MaxExclude of them, each a valid client id).
//	Event "gw:close"   close the connection; Data is "" (no final message)
//	                   or "=" followed by the final message.
//	Event "gw:bind"    bind the connection to the uid in Data.
//	Event "gw:unbind"  unbind it from the uid in Data.
//	Event "gw:join"    make it join the group in Data.
//	Event "gw:leave"   make it leave the group in Data.
//
// Anything else (another Event, a malformed Data) is dropped, logged and
// counted (Stats.Malformed): a message published on a Gateway topic by
// someone else, or by a newer version of this package.
const (
	evExclude = "gw:x"
	evClose   = "gw:close"
	evBind    = "gw:bind"
	evUnbind  = "gw:unbind"
	evJoin    = "gw:join"
	evLeave   = "gw:leave"
)

// Bounds of the encoding.
const (
	// MaxExclude is the most client ids one SendToGroup or SendToAll may
	// exclude.
	MaxExclude = 1000
	// MaxNameLen is the longest uid or group name, in bytes.
	MaxNameLen = 256
	// MaxClientIDLen is the longest client id, in bytes.
	MaxClientIDLen = 64
)

// maxExcludeHeader bounds the list of excluded ids in front of a payload.
const maxExcludeHeader = MaxExclude * (MaxClientIDLen + 1)

// Errors of the package.
var (
	// ErrInvalidName is a uid or group name that is empty, longer than
	// MaxNameLen, not UTF-8, or holds a control character.
	ErrInvalidName = errors.New("gateway: invalid uid or group name")
	// ErrInvalidClientID is a client id that this package cannot have made:
	// empty, longer than MaxClientIDLen, or with a byte outside
	// [0-9A-Za-z._-].
	ErrInvalidClientID = errors.New("gateway: invalid client id")
	// ErrTooManyExcluded is an exclusion list longer than MaxExclude.
	ErrTooManyExcluded = errors.New("gateway: too many client ids to exclude")
	// ErrTooLarge is a message longer than Options.MaxMessageSize.
	ErrTooLarge = errors.New("gateway: message too large")
	// ErrQueueFull says that an asynchronous send was refused: the
	// Gateway's queue is full (the broker is slow or down). Nothing was
	// sent.
	ErrQueueFull = errors.New("gateway: send queue full, message dropped")
	// ErrClosed is the error of a closed Gateway.
	ErrClosed = errors.New("gateway: closed")
	// ErrNotRegistered is a connection that was not registered with the
	// Gateway (or has closed since).
	ErrNotRegistered = errors.New("gateway: connection not registered")
	// ErrMalformed is a message on a Gateway topic that this package
	// cannot read.
	ErrMalformed = errors.New("gateway: malformed message")
)

// checkName returns an error naming what is wrong with a uid or group
// name, or nil.
func checkName(what, s string) error {
	if s == "" {
		return fmt.Errorf("%w: empty %s", ErrInvalidName, what)
	}
	if len(s) > MaxNameLen {
		return fmt.Errorf("%w: %s of %d bytes, at most %d", ErrInvalidName, what, len(s), MaxNameLen)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%w: %s %.40q is not UTF-8", ErrInvalidName, what, s)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return fmt.Errorf("%w: %s %.40q holds a control character", ErrInvalidName, what, s)
		}
	}
	return nil
}

// checkClientID returns an error naming what is wrong with a client id,
// or nil.
func checkClientID(id string) error {
	if id == "" {
		return fmt.Errorf("%w: empty", ErrInvalidClientID)
	}
	if len(id) > MaxClientIDLen {
		return fmt.Errorf("%w: %d bytes, at most %d", ErrInvalidClientID, len(id), MaxClientIDLen)
	}
	for i := 0; i < len(id); i++ {
		if !idByte(id[i]) {
			return fmt.Errorf("%w: %.40q has byte %q at %d", ErrInvalidClientID, id, id[i], i)
		}
	}
	return nil
}

func idByte(b byte) bool {
	return '0' <= b && b <= '9' || 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || b == '-' || b == '_' || b == '.'
}

// encodeData returns the message that carries payload to every
// subscriber but the excluded client ids (already checked).
func encodeData(payload string, exclude []string) pubsub.Message {
	if len(exclude) == 0 {
		return pubsub.Message{Data: payload}
	}
	n := len(payload) + len(exclude)
	for _, id := range exclude {
		n += len(id)
	}
	var b strings.Builder
	b.Grow(n)
	for i, id := range exclude {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(id)
	}
	b.WriteByte('\n')
	b.WriteString(payload)
	return pubsub.Message{Event: evExclude, Data: b.String()}
}

// checkExclude checks an exclusion list.
func checkExclude(exclude []string) error {
	if len(exclude) > MaxExclude {
		return fmt.Errorf("%w: %d, at most %d", ErrTooManyExcluded, len(exclude), MaxExclude)
	}
	for _, id := range exclude {
		if err := checkClientID(id); err != nil {
			return fmt.Errorf("gateway: excluding: %w", err)
		}
	}
	return nil
}

// encodeClose returns the control message that closes a connection, after
// the final message if there is one.
func encodeClose(final []string) pubsub.Message {
	if len(final) == 0 {
		return pubsub.Message{Event: evClose}
	}
	return pubsub.Message{Event: evClose, Data: "=" + final[0]}
}

// kind is what a decoded message asks for.
type kind uint8

const (
	kindData kind = iota
	kindClose
	kindBind
	kindUnbind
	kindJoin
	kindLeave
)

// decoded is a message read by decode. Its strings alias the message's.
type decoded struct {
	kind    kind
	payload string // kindData: the payload; kindClose: the final message
	final   bool   // kindClose: there is a final message
	arg     string // a uid or group name
	exclude string // kindData: the raw list of excluded ids, "" if none
	// excludeSet holds the excluded ids when there are many, so that each
	// subscriber looks itself up in constant time.
	excludeSet map[string]struct{}
}

// setThreshold is the number of excluded ids from which decode builds a
// set.
const setThreshold = 8

// decode reads a message published by a Gateway. Its error wraps
// ErrMalformed and says what is wrong.
func decode(m *pubsub.Message) (decoded, error) {
	switch m.Event {
	case "":
		return decoded{kind: kindData, payload: m.Data}, nil
	case evExclude:
		return decodeExclude(m.Data)
	case evClose:
		switch {
		case m.Data == "":
			return decoded{kind: kindClose}, nil
		case m.Data[0] == '=':
			return decoded{kind: kindClose, payload: m.Data[1:], final: true}, nil
		}
		return decoded{}, fmt.Errorf("%w: %s with data %.40q (want \"\" or \"=\" and a message)", ErrMalformed, evClose, m.Data)
	case evBind, evUnbind, evJoin, evLeave:
		k := kindBind
		switch m.Event {
		case evUnbind:
			k = kindUnbind
		case evJoin:
			k = kindJoin
		case evLeave:
			k = kindLeave
		}
		if err := checkName("name", m.Data); err != nil {
			return decoded{}, fmt.Errorf("%w: %s: %w", ErrMalformed, m.Event, err)
		}
		return decoded{kind: k, arg: m.Data}, nil
	}
	return decoded{}, fmt.Errorf("%w: unknown event %.40q", ErrMalformed, m.Event)
}

// decodeExclude reads the data of an evExclude message.
func decodeExclude(data string) (decoded, error) {
	end := strings.IndexByte(data[:min(len(data), maxExcludeHeader+1)], '\n')
	if end < 0 {
		if len(data) > maxExcludeHeader {
			return decoded{}, fmt.Errorf("%w: %s: list of excluded ids longer than %d bytes", ErrMalformed, evExclude, maxExcludeHeader)
		}
		return decoded{}, fmt.Errorf("%w: %s: no newline after the excluded ids", ErrMalformed, evExclude)
	}
	list := data[:end]
	n := 0
	for rest := list; ; n++ {
		id, tail, more := strings.Cut(rest, ",")
		if err := checkClientID(id); err != nil {
			return decoded{}, fmt.Errorf("%w: %s: excluded id %d: %w", ErrMalformed, evExclude, n+1, err)
		}
		if !more {
			n++
			break
		}
		rest = tail
	}
	if n > MaxExclude {
		return decoded{}, fmt.Errorf("%w: %s: %d excluded ids, at most %d", ErrMalformed, evExclude, n, MaxExclude)
	}
	d := decoded{kind: kindData, payload: data[end+1:], exclude: list}
	if n >= setThreshold {
		d.excludeSet = make(map[string]struct{}, n)
		for id := range strings.SplitSeq(list, ",") {
			d.excludeSet[id] = struct{}{}
		}
	}
	return d, nil
}

// excludes reports whether the message is not for client id.
func (d *decoded) excludes(id string) bool {
	if d.exclude == "" {
		return false
	}
	if d.excludeSet != nil {
		_, ok := d.excludeSet[id]
		return ok
	}
	for x := range strings.SplitSeq(d.exclude, ",") {
		if x == id {
			return true
		}
	}
	return false
}
