package pubsub

import (
	"errors"
	"time"
)

// Message is one published message.
type Message struct {
	Topic string
	// Seq is the message's position in its topic, assigned by the broker:
	// strictly increasing within the topic (not necessarily by one).
	Seq uint64
	// ID is what a client resumes from: the publisher's, or one the broker
	// makes (the MemoryBroker's is "<epoch>-<Seq>", the epoch telling one
	// life of the broker from another, so that an id a browser kept from an
	// earlier run is not mistaken for a message of this one). It must not
	// contain CR, LF or NUL (it becomes an SSE id).
	ID    string
	Event string // an event name (SSE's event field); optional
	Data  string
	Time  time.Time // when it was published, set by the broker
}

// Size is what m counts against a MemoryBroker's byte budgets
// (MemoryBrokerOptions.ReplayBytes and MaxBytes): the bytes of its Data,
// ID, Event and Topic, plus MessageOverhead.
func (m *Message) Size() int {
	return len(m.Data) + len(m.ID) + len(m.Event) + len(m.Topic) + MessageOverhead
}

// Errors of the package.
var (
	// ErrGap says that messages were lost to a subscriber: the id to
	// resume after is no longer kept (or was never published, or comes
	// from an earlier life of the broker), the history could not be read,
	// or the broker lost messages of a live topic. Errors that wrap it
	// reach SubscribeOptions.OnGap and come from Broker.History.
	ErrGap = errors.New("pubsub: messages are missing (gap)")
	// ErrInvalidID is a message id with CR, LF or NUL.
	ErrInvalidID = errors.New("pubsub: message id contains CR, LF or NUL")
	// ErrClosed is the error of a closed Hub or Broker.
	ErrClosed = errors.New("pubsub: closed")
	// ErrUnavailable says that the broker cannot be reached (a Redis down
	// or unreachable): nothing was published. Retry later; an HTTP API
	// answers 503.
	ErrUnavailable = errors.New("pubsub: broker unavailable")
)
