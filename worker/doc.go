// Package worker runs servers written as Workerman-style callbacks on epoll
// event loops.
//
// A Worker listens on one address with one protocol, runs Count event loops
// and calls its callbacks:
//
//	w := worker.New("text://0.0.0.0:2346", text.Protocol()) // *Worker[string]
//	w.OnMessage = func(c *connection.Conn, line string) { c.Send("you said: " + line) }
//	worker.RunAll()
//
// RunAll runs every Worker of the process under Workerman's command line
// (start, start -d, stop, status; see CommandLine). A program's own flags
// are defined on Flags and read with ParseFlags before it builds its
// Workers ("program -redis host:port start -d"). To embed a Worker in a
// larger program or a test, use Start (it returns once the Worker
// listens; Addr is then the bound address, so port 0 works), Stop, and
// Done or Wait to learn when and why a run ended. Stats reads its counters.
//
// The callbacks of a connection run one at a time on the event loop that
// owns it and must not block: hand slow work to a goroutine and Send the
// result from there (Send is safe anywhere). A panic in a callback is
// recovered, logged with the Worker's Logger, and closes only that
// connection.
//
// What a connection can do is in package connection; how bytes become
// messages is in package protocols and its sub-packages.
package worker
