package websocket

import "github.com/workerman-go/workerman/connection"

// Drain implements connection.Drainer: the server is stopping, or a new
// process has taken over the listening socket (restart). An open
// WebSocket starts the closing handshake with CloseServiceRestart (1012)
// on a restart, so that the client reconnects, or CloseGoingAway (1001)
// on a stop; a connection still in its opening handshake just closes.
func (s *codec) Drain(c *connection.Conn, restart bool) {
	if s.handshake != nil {
		c.Close()
		return
	}
	if restart {
		Close(c, CloseServiceRestart, "service restart")
		return
	}
	Close(c, CloseGoingAway, "server going away")
}
