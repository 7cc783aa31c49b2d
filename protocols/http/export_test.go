package http

import "github.com/workerman-go/workerman/protocols"

// SessionWritesPending reports how many sessions of protocol p have a save
// or a delete not yet done. The decision to write is taken when the
// response is encoded, so once a client has read its response, zero here
// means that no write for it is coming.
func SessionWritesPending(p protocols.Protocol[*Request]) int {
	return p.(*serverProtocol).sessions.pending()
}
