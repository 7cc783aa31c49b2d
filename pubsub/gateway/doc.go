// Package gateway is GatewayWorker's Gateway on a pubsub.Hub: connections
// get a client id, are bound to a uid, join groups, and receive what any
// process of the cluster sends to their client id, uid, group or to all;
// who is online is kept in a shared Presence store.
//
// What to call:
//
//   - New makes a Gateway on a Hub. For a cluster, every process makes its
//     Hub on the same broker (redisbroker) and its Gateway with the same
//     Presence store (redispresence on that Redis), PresenceTTL and
//     TopicPrefix. A single process needs neither: the Hub's own
//     MemoryBroker and the default MemoryPresence will do.
//   - Register (RegisterStream for an SSE stream, RegisterWith for a
//     framing of your own) gives a connection its client id; BindUid,
//     UnbindUid, JoinGroup and LeaveGroup change what it receives. They run
//     on the connection's event loop, from its callbacks, and do not block.
//     A connection that closes is unregistered, unbound and leaves its
//     groups by itself.
//   - SendToUid, SendToGroup, SendToAll, SendToClient and CloseClient (and
//     BindUidByID and the like, which act on a connection by its client id
//     wherever it is) publish before they return: with a remote broker they
//     block, so call them from a goroutine (an HTTP handler, a job), not on
//     an event loop. Their ...Async forms queue the message for the
//     Gateway's publisher goroutines and return at once: for callbacks.
//     A full queue is an error (ErrQueueFull), a publish that fails later
//     is logged and counted (Stats): nothing is lost silently.
//   - IsUidOnline, IsOnline, GroupCount, ClientCount, ClientIDsByUid and
//     ClientIDsByGroup ask the Presence store: they take a context and
//     block (a Redis round trip). From a callback, run them in a goroutine
//     and c.Send the answer from there (see the Example).
//
// Delivery has one mechanism: each client id, uid, group and "all" is a
// topic of the Hub ("gw:client:<id>", "gw:uid:<uid>", "gw:group:<name>",
// "gw:all"), which the connection subscribes to on its loop
// (Hub.SubscribeFunc), and a message is written to it with c.Send, so its
// protocol frames it: a WebSocket text frame, a text line, an SSE event
// (RegisterStream). Exclusions and control requests ride in the
// Message's Event and Data:
//
//	Event ""           Data is the message, written as it is
//	Event "gw:x"       Data is "<client id>,<client id>,...\n<message>":
//	                   for every subscriber but those (1 to MaxExclude)
//	Event "gw:close"   close the connection; Data is "" or "=<final message>"
//	Event "gw:bind"    bind to the uid in Data      (on a client's topic)
//	Event "gw:unbind"  unbind from the uid in Data  (on a client's topic)
//	Event "gw:join"    join the group in Data       (on a client's topic)
//	Event "gw:leave"   leave the group in Data      (on a client's topic,
//	                   or on that group's: Ungroup)
//
// Client ids are at most MaxClientIDLen bytes of [0-9A-Za-z._-], uids and
// group names at most MaxNameLen bytes of UTF-8 without control
// characters. A message on a Gateway topic that does not follow this
// (published there by something else) is dropped, logged and counted
// (Stats.Malformed), once per event loop.
//
// Presence: every entry (a client id in the set of all clients, of its
// uid, of each of its groups) expires PresenceTTL after its last refresh;
// the Gateway refreshes those of its live connections every PresenceTTL/3,
// in batches, and removes them when a connection closes or unbinds. A
// process that crashes leaves entries that expire within PresenceTTL (plus
// the clock difference between processes, with redispresence), which is
// how long IsUidOnline may still say yes about its users. Refresh
// failures (the store down) are logged, counted and retried.
//
// What it is not: a message store. A message sent to a uid, a group or a
// client that has no connection at that moment reaches nobody, and the
// Hub's history (its broker's) is not used to replay Gateway messages: a
// Hub made for a Gateway alone can keep none (pubsub.Options{NoReplay:
// true}); with redisbroker, give the "gw:" topics a short Retention (say
// 100 messages for a minute, deleted after 10 unused), which is enough
// for a process cut from Redis for a moment to read what it missed.
// The messages a Gateway sends to one topic (one uid, one group, ...) from
// one goroutine, or through its asynchronous queue, arrive in order; there
// is no order between topics. GatewayWorker's sessions (setSession,
// getSession) and the counts that need a uid per member (getAllUidCount,
// getUidCountByGroup, getUidListByGroup) are not provided: keep per
// connection data with c.SetData, and such counts in a store of your own.
package gateway
