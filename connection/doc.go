// Package connection is the handle an application holds for one TCP
// connection run by an event loop: Workerman's TcpConnection (Conn) and
// AsyncTcpConnection (AsyncConn).
//
// A Worker (package worker) accepts connections and passes a *Conn to every
// callback; an AsyncConn dials one and has the same callbacks. The methods
// an application calls:
//
//   - Send(msg) encodes msg with the connection's protocol and queues it; it
//     is safe from any goroutine and never blocks. Close(final...) writes
//     what is queued, then closes; Destroy closes at once.
//   - MaxSendBufferSize bounds what may be queued: a message that does not
//     fit in the room left is dropped whole (Send returns
//     ErrSendBufferFull, OnError is told, or the log without OnError), at
//     the bound OnBufferFull fires once, and OnBufferDrain fires when the
//     queue is empty again. SendBufferSize says how much is queued.
//   - PauseRecv and ResumeRecv stop and resume the delivery of messages;
//     MaxPackageSize bounds a message and what may be buffered without one.
//   - After and Every are timers owned by the connection: they run on its
//     loop and are cancelled when it closes.
//   - WhenClosed runs cleanup when it closes; Data and SetData keep the
//     application's per-connection state; Pipe forwards its bytes to
//     another connection with backpressure.
//
// # Replies that must not be lost
//
// While the bytes queued for a connection fill half its send buffer, the
// connection's input waits (back-pressure): a client that sends requests
// faster than it reads the replies gets every reply, as long as each
// reply fits in half of MaxSendBufferSize. So size MaxSendBufferSize at
// twice the largest reply, and send larger bodies in pieces (an HTTP file
// or chunked response). A broadcast or a relay cannot make the receivers
// wait: a receiver whose buffer is full is too slow, and the usual answer
// is to close it (in OnError, on ErrSendBufferFull) so that it reconnects
// and catches up, as package pubsub does, rather than let it miss messages.
//
// # Other bounds
//
// WriteTimeout closes a connection whose peer takes nothing of what is
// queued for it for that long (ErrWriteTimeout); MaxPackageSize bounds a
// message and what one connection may hold undecoded; MaxUnreadInput
// bounds what all of a Worker's connections hold undecoded
// (ErrInputBudget). A Close waits at most DefaultCloseTimeout for the peer
// to take what is queued; the rest is dropped, and logged.
//
// # Threading
//
// Each connection is owned by one event loop (Loop). Its callbacks run
// there, one at a time, and must not block: hand slow work to a goroutine
// and Send the result. Send, Close, Destroy, PauseRecv, ResumeRecv, After,
// Every, Timer.Stop and the getters are safe from any goroutine; whatever
// the caller, their work reaches the socket in call order, so bytes are
// never reordered and a Close never overtakes an earlier Send. A panic in a
// callback is recovered, logged with log/slog, and closes only that
// connection.
//
// # Data flow
//
// The files of this package follow a connection's bytes:
//
//   - accept.go: the server accepts a connection (refusing it beyond the
//     connection cap, or when the descriptor table is full) and hands it to
//     an event loop;
//   - server.go: gnet's events: the connection opens, reads arrive, it
//     closes;
//   - decode.go: the connection's codec decodes every complete message
//     received and each goes to OnMessage (Switch hands the connection to
//     another protocol; a protocol error closes it, after the protocol's
//     reply); input.go keeps what a read leaves undecoded, within bounds;
//   - send.go: Send encodes into the connection's queue and hands the
//     connection to its loop;
//   - loop.go: the loop flushes every connection that received work when
//     the current callback or task returns (flushAndLeave), so a reply sent
//     from OnMessage costs no wake-up, and runs timers and tasks;
//   - flush.go: the flush writes the queue with one write, fires the buffer
//     events, and watches the connection until its bytes are out;
//   - close.go: Close completes once everything queued is written; the
//     connection's timers, subscriptions and pipes end with it.
//
// # Protocol authors
//
// A protocol (package protocols) turns bytes into messages and back. A codec
// that acts on its connection itself (replies, timers) implements
// ConnCodec and uses SendRaw, Guard, WhenWritable and Loop; Switch changes a
// connection's protocol, as an HTTP request does when it becomes a
// WebSocket.
package connection
