package pubsub

import "context"

// A Broker carries published messages between the Hubs that share it (in
// one process, or across processes through Redis) and keeps each topic's
// history.
type Broker interface {
	// Publish assigns m its Seq (strictly increasing within m.Topic, not
	// necessarily by one), its ID when empty (unique within the topic; what
	// clients resume from; no CR, LF or NUL), and Time; records it in the
	// topic's history; and delivers it to every attached Hub that watches
	// m.Topic. It returns the message as published. An error means it was
	// not published. Publish may block (a remote broker): never call it on
	// an event loop with a remote broker.
	Publish(ctx context.Context, m Message) (Message, error)
	// History returns the messages of topic published after the one with
	// id after, oldest first, at most limit of them (limit <= 0: all that
	// are kept). after == "" means from the oldest kept. When after is not
	// the id of a message the broker can place (too old for what it keeps,
	// never published, from an earlier life of the broker), the error wraps
	// ErrGap. An up-to-date after (the newest message's id) gives no
	// messages and no error.
	History(ctx context.Context, topic, after string, limit int) ([]Message, error)
	// Attach connects a Hub: h receives the messages of the topics the
	// returned Feed watches. It does not block.
	Attach(h Handler) Feed
	// Close stops the broker: Publish and History fail afterwards, feeds
	// receive nothing more.
	Close() error
}

// Handler is what a broker delivers to (a Hub fills it).
type Handler struct {
	// Message receives every message published on a watched topic after
	// Watch, once, in Seq order within a topic. It must not block.
	Message func(m Message)
	// Error reports a fault: with a topic and an error wrapping ErrGap,
	// messages of that topic were lost (a Redis that lost its data, a
	// reader that fell behind the stream's trim) and that topic's
	// subscribers must be told; with topic "", a fault of the broker itself
	// (connection lost; delivery resumes by itself when it can). It must
	// not block.
	Error func(topic string, err error)
}

// Feed is one Hub's attachment to a broker: the topics it receives.
type Feed interface {
	// Watch starts delivering topic's messages published from now on. It
	// does not block (a remote broker subscribes in the background; faults
	// go to Handler.Error).
	Watch(topic string)
	// Unwatch stops it.
	Unwatch(topic string)
	// Close detaches the Hub.
	Close() error
}

// WatchWaiter is implemented by a Feed whose Watch takes effect in the
// background (a remote broker subscribes over the network). The Hub calls
// WaitWatch before it reads the history of a subscription that replays,
// so that the history and the live messages meet without a hole.
type WatchWaiter interface {
	// WaitWatch returns once every message of topic published from now on
	// will be delivered, or with an error when ctx ends first (or the feed
	// is closed, or topic is not watched).
	WaitWatch(ctx context.Context, topic string) error
}
