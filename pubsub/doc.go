// Package pubsub fans messages out to many connections: topics, their
// subscribers on each event loop, and a replay of what a reconnecting
// client missed.
//
// What to call:
//
//   - NewHub makes a Hub, the topics of a server and their subscribers. Its
//     Options choose the Broker (by default an in-memory one, bounded per
//     topic by ReplayCount, ReplayAge and ReplayBytes, and for all topics
//     by MaxBytes: 1000 messages, 10 minutes, 1 MiB and 64 MiB).
//   - Hub.Publish publishes a Message on a topic; the broker gives it its
//     Seq and, unless the publisher chose one, its ID: what a client resumes
//     from (an SSE client's Last-Event-ID).
//   - Hub.Subscribe writes every message of a topic to a connection in a
//     Format (SSE, WebSocketText, WebSocketBinary, Raw, or one made with
//     NewFormat), Hub.SubscribeFunc hands them to a
//     function instead. SubscribeOptions say where to start: After the id
//     of the last message the client has (the ones it missed are replayed
//     first, without a gap or a duplicate before the live ones), from the
//     whole kept history (ReplayAll), or from now on. When the missed
//     messages cannot all be replayed, OnGap says so on the connection's
//     loop: send the client a snapshot there. Nothing is skipped silently.
//   - Hub.History returns a topic's kept messages, to build a snapshot.
//   - LongPoll answers long-poll HTTP requests from a Hub's topics.
//   - Broker is what carries messages between the Hubs that share it and
//     keeps each topic's history; MemoryBroker is the in-process one (its
//     Stats say what it keeps, in messages and bytes). A broker of another
//     process (Redis) implements the same interface.
//
// Each topic's subscribers are kept per event loop: publishing hands one
// task to each loop that has subscribers (never one per connection), and
// that task encodes each message once per Format for all of them. A
// subscriber that cannot keep up (its send buffer full) is disconnected
// instead of slowing the others; it reconnects and replays.
//
// The MemoryBroker's history is bounded by bytes as well as by count and
// age: beyond a topic's budget its oldest messages go, beyond the broker's
// the oldest of all topics; a message larger than a topic's budget is
// delivered but not kept. A client resuming from a message that went is
// told (OnGap; LongPoll answers 410), as for one too old. So a server that
// takes messages from clients should bound their size to what its history
// is to keep: ReplayCount messages of the largest size should fit in
// ReplayBytes (see Message.Size).
//
// What it is not: it does not speak HTTP or WebSocket itself (sse.Start
// and the WebSocket upgrade make the streams; this package writes to
// them), and the MemoryBroker keeps nothing beyond its bounded, in-memory
// history.
package pubsub
