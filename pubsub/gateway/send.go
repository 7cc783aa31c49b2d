package gateway

import (
	"context"
	"fmt"

	"github.com/workerman-go/workerman/pubsub"
)

// Sending. Each uid, group, client id and "all" is a topic of the Hub,
// which every process's connections subscribe to as they bind, join and
// register; a send is one publish on that topic.
//
// The synchronous forms (SendToUid, ...) publish before they return, and
// return the broker's error: it wraps pubsub.ErrUnavailable when the
// broker cannot be reached (an HTTP API answers 503). With a remote broker
// they block on the network: call them from a goroutine (an HTTP handler
// runs them in one), not from an event loop.
//
// The asynchronous forms (SendToUidAsync, ...) check the arguments and
// queue the message for the Gateway's publishers; they never block, so an
// OnMessage callback may call them. They return an error for what they
// refuse (invalid arguments, ErrQueueFull, ErrClosed); a publish that
// fails later is logged and counted in Stats.PublishErrors.

// checkData checks a message's size.
func (g *Gateway) checkData(data string) error {
	if len(data) > g.maxSize {
		return fmt.Errorf("%w: %d bytes, at most %d", ErrTooLarge, len(data), g.maxSize)
	}
	return nil
}

// toUid returns the topic and message of a send to uid.
func (g *Gateway) toUid(uid, data string) (string, pubsub.Message, error) {
	if err := checkName("uid", uid); err != nil {
		return "", pubsub.Message{}, err
	}
	if err := g.checkData(data); err != nil {
		return "", pubsub.Message{}, err
	}
	return g.uidTopic(uid), pubsub.Message{Data: data}, nil
}

// toGroup returns the topic and message of a send to group.
func (g *Gateway) toGroup(group, data string, exclude []string) (string, pubsub.Message, error) {
	if err := checkName("group", group); err != nil {
		return "", pubsub.Message{}, err
	}
	if err := g.checkData(data); err != nil {
		return "", pubsub.Message{}, err
	}
	if err := checkExclude(exclude); err != nil {
		return "", pubsub.Message{}, err
	}
	return g.groupTopic(group), encodeData(data, exclude), nil
}

// toAll returns the topic and message of a send to all.
func (g *Gateway) toAll(data string, exclude []string) (string, pubsub.Message, error) {
	if err := g.checkData(data); err != nil {
		return "", pubsub.Message{}, err
	}
	if err := checkExclude(exclude); err != nil {
		return "", pubsub.Message{}, err
	}
	return g.allTopic(), encodeData(data, exclude), nil
}

// toClient returns the topic and message of a send to a client id.
func (g *Gateway) toClient(clientID, data string) (string, pubsub.Message, error) {
	if err := checkClientID(clientID); err != nil {
		return "", pubsub.Message{}, err
	}
	if err := g.checkData(data); err != nil {
		return "", pubsub.Message{}, err
	}
	return g.clientTopic(clientID), pubsub.Message{Data: data}, nil
}

// closeOf returns the topic and message of a CloseClient.
func (g *Gateway) closeOf(clientID string, final []string) (string, pubsub.Message, error) {
	if err := checkClientID(clientID); err != nil {
		return "", pubsub.Message{}, err
	}
	if len(final) > 1 {
		return "", pubsub.Message{}, fmt.Errorf("gateway: close client: %d final messages, at most 1", len(final))
	}
	for _, f := range final {
		if err := g.checkData(f); err != nil {
			return "", pubsub.Message{}, err
		}
	}
	return g.clientTopic(clientID), encodeClose(final), nil
}

// control returns the topic and message of a control sent to a client id
// about a uid or group.
func (g *Gateway) control(event, clientID, what, name string) (string, pubsub.Message, error) {
	if err := checkClientID(clientID); err != nil {
		return "", pubsub.Message{}, err
	}
	if err := checkName(what, name); err != nil {
		return "", pubsub.Message{}, err
	}
	return g.clientTopic(clientID), pubsub.Message{Event: event, Data: name}, nil
}

// sendNow publishes a prepared send.
func (g *Gateway) sendNow(ctx context.Context, topic string, m pubsub.Message, err error) error {
	if err != nil {
		return err
	}
	if g.isClosed() {
		return fmt.Errorf("gateway: send on %q: %w", topic, ErrClosed)
	}
	return g.publish(ctx, topic, m)
}

// sendLater queues a prepared send.
func (g *Gateway) sendLater(topic string, m pubsub.Message, err error) error {
	if err != nil {
		return err
	}
	return g.enqueue(topic, m)
}

func (g *Gateway) isClosed() bool {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.closed
}

// SendToUid sends data to every connection bound to uid, in every
// process, and returns once the broker has it (GatewayWorker's
// sendToUid). A uid without connections is not an error: nobody gets it
// (check IsUidOnline first if that matters). Not on an event loop with a
// remote broker: see SendToUidAsync.
func (g *Gateway) SendToUid(ctx context.Context, uid, data string) error {
	topic, m, err := g.toUid(uid, data)
	return g.sendNow(ctx, topic, m, err)
}

// SendToGroup sends data to every member of group, in every process, but
// the client ids in exclude (GatewayWorker's sendToGroup), and returns
// once the broker has it.
func (g *Gateway) SendToGroup(ctx context.Context, group, data string, exclude ...string) error {
	topic, m, err := g.toGroup(group, data, exclude)
	return g.sendNow(ctx, topic, m, err)
}

// SendToAll sends data to every registered connection, in every process,
// but the client ids in exclude (GatewayWorker's sendToAll), and returns
// once the broker has it.
func (g *Gateway) SendToAll(ctx context.Context, data string, exclude ...string) error {
	topic, m, err := g.toAll(data, exclude)
	return g.sendNow(ctx, topic, m, err)
}

// SendToClient sends data to the connection with clientID, wherever it is
// (GatewayWorker's sendToClient), and returns once the broker has it.
func (g *Gateway) SendToClient(ctx context.Context, clientID, data string) error {
	topic, m, err := g.toClient(clientID, data)
	return g.sendNow(ctx, topic, m, err)
}

// CloseClient closes the connection with clientID, wherever it is, after
// writing the final message if one is given (at most one;
// GatewayWorker's closeClient). It returns once the broker has the
// request.
func (g *Gateway) CloseClient(ctx context.Context, clientID string, final ...string) error {
	topic, m, err := g.closeOf(clientID, final)
	return g.sendNow(ctx, topic, m, err)
}

// BindUidByID binds the connection with clientID, wherever it is, to uid
// (GatewayWorker's bindUid, which takes a client id: a page sends its
// client id to an HTTP API, which binds it to the logged-in user). The
// bind happens on the connection's loop when the request reaches it; an
// unknown client id is not an error (nothing happens).
func (g *Gateway) BindUidByID(ctx context.Context, clientID, uid string) error {
	topic, m, err := g.control(evBind, clientID, "uid", uid)
	return g.sendNow(ctx, topic, m, err)
}

// UnbindUidByID unbinds the connection with clientID from uid, wherever
// it is (GatewayWorker's unbindUid).
func (g *Gateway) UnbindUidByID(ctx context.Context, clientID, uid string) error {
	topic, m, err := g.control(evUnbind, clientID, "uid", uid)
	return g.sendNow(ctx, topic, m, err)
}

// JoinGroupByID makes the connection with clientID join group, wherever
// it is (GatewayWorker's joinGroup).
func (g *Gateway) JoinGroupByID(ctx context.Context, clientID, group string) error {
	topic, m, err := g.control(evJoin, clientID, "group", group)
	return g.sendNow(ctx, topic, m, err)
}

// LeaveGroupByID makes the connection with clientID leave group, wherever
// it is (GatewayWorker's leaveGroup).
func (g *Gateway) LeaveGroupByID(ctx context.Context, clientID, group string) error {
	topic, m, err := g.control(evLeave, clientID, "group", group)
	return g.sendNow(ctx, topic, m, err)
}

// Ungroup makes every member of group leave it, in every process
// (GatewayWorker's ungroup).
func (g *Gateway) Ungroup(ctx context.Context, group string) error {
	if err := checkName("group", group); err != nil {
		return err
	}
	return g.sendNow(ctx, g.groupTopic(group), pubsub.Message{Event: evLeave, Data: group}, nil)
}

// SendToUidAsync is SendToUid without waiting: for event loops. See the
// package's description of asynchronous sends.
func (g *Gateway) SendToUidAsync(uid, data string) error {
	topic, m, err := g.toUid(uid, data)
	return g.sendLater(topic, m, err)
}

// SendToGroupAsync is SendToGroup without waiting.
func (g *Gateway) SendToGroupAsync(group, data string, exclude ...string) error {
	topic, m, err := g.toGroup(group, data, exclude)
	return g.sendLater(topic, m, err)
}

// SendToAllAsync is SendToAll without waiting.
func (g *Gateway) SendToAllAsync(data string, exclude ...string) error {
	topic, m, err := g.toAll(data, exclude)
	return g.sendLater(topic, m, err)
}

// SendToClientAsync is SendToClient without waiting.
func (g *Gateway) SendToClientAsync(clientID, data string) error {
	topic, m, err := g.toClient(clientID, data)
	return g.sendLater(topic, m, err)
}

// CloseClientAsync is CloseClient without waiting.
func (g *Gateway) CloseClientAsync(clientID string, final ...string) error {
	topic, m, err := g.closeOf(clientID, final)
	return g.sendLater(topic, m, err)
}

// Queries. They ask the Presence store and block on it (with Redis, a
// round trip): call them from a goroutine, not from an event loop, and
// send the answer to the connection from there (c.Send is safe anywhere).
// Their errors wrap pubsub.ErrUnavailable when the store cannot be reached
// (redispresence).

// IsUidOnline reports whether a connection is bound to uid in any process
// (GatewayWorker's isUidOnline).
func (g *Gateway) IsUidOnline(ctx context.Context, uid string) (bool, error) {
	n, err := g.count(ctx, "uid", uid, g.uidSet)
	return n > 0, err
}

// GroupCount returns the number of connections in group, in all processes
// (GatewayWorker's getClientIdCountByGroup).
func (g *Gateway) GroupCount(ctx context.Context, group string) (int, error) {
	return g.count(ctx, "group", group, g.groupSet)
}

// ClientCount returns the number of registered connections in all
// processes (GatewayWorker's getAllClientIdCount).
func (g *Gateway) ClientCount(ctx context.Context) (int, error) {
	n, err := g.presence.Count(ctx, g.clientsSet())
	if err != nil {
		return 0, fmt.Errorf("gateway: counting the clients: %w", err)
	}
	return n, nil
}

// IsOnline reports whether the connection with clientID is registered in
// any process (GatewayWorker's isOnline).
func (g *Gateway) IsOnline(ctx context.Context, clientID string) (bool, error) {
	if err := checkClientID(clientID); err != nil {
		return false, err
	}
	ok, err := g.presence.Contains(ctx, g.clientsSet(), clientID)
	if err != nil {
		return false, fmt.Errorf("gateway: is %q online: %w", clientID, err)
	}
	return ok, nil
}

// ClientIDsByUid returns the client ids of the connections bound to uid,
// in all processes (GatewayWorker's getClientIdByUid).
func (g *Gateway) ClientIDsByUid(ctx context.Context, uid string) ([]string, error) {
	return g.members(ctx, "uid", uid, g.uidSet, 0)
}

// ClientIDsByGroup returns the client ids of group's members, in all
// processes, at most limit of them (limit <= 0: all; GatewayWorker's
// getClientIdListByGroup).
func (g *Gateway) ClientIDsByGroup(ctx context.Context, group string, limit int) ([]string, error) {
	return g.members(ctx, "group", group, g.groupSet, limit)
}

func (g *Gateway) count(ctx context.Context, what, name string, set func(string) string) (int, error) {
	if err := checkName(what, name); err != nil {
		return 0, err
	}
	n, err := g.presence.Count(ctx, set(name))
	if err != nil {
		return 0, fmt.Errorf("gateway: counting %s %q: %w", what, name, err)
	}
	return n, nil
}

func (g *Gateway) members(ctx context.Context, what, name string, set func(string) string, limit int) ([]string, error) {
	if err := checkName(what, name); err != nil {
		return nil, err
	}
	ids, err := g.presence.Members(ctx, set(name), limit)
	if err != nil {
		return nil, fmt.Errorf("gateway: listing %s %q: %w", what, name, err)
	}
	return ids, nil
}
