// Package publishapi is an HTTP API through which backends in other
// languages (a PHP-FPM site, a Python or Node service, a cron job) publish
// to a pubsub.Hub, or send to a user's or a group's connections, as
// Workerman's GatewayClient or the HTTP APIs of Mercure and Centrifugo do.
//
// An API is mounted on an http:// worker: Serve answers the requests to
// its path (Options.Path, "/publish" by default) and leaves the others to
// the application.
//
//	api, err := publishapi.New(publishapi.Options{Hub: hub, Secret: secret})
//	...
//	w.OnMessage = func(c *connection.Conn, r *http.Request) {
//		if api.Serve(c, r) {
//			return
//		}
//		... // the application's own routes
//	}
//
// # Requests
//
// A request is a POST with Content-Type application/json and a JSON object
// with exactly one of "topic", "uid" or "group":
//
//	{"topic": "news", "data": "hello", "event": "headline"}
//	{"uid": "42", "data": {"text": "you have mail"}}
//	{"group": "room-1", "data": "hi", "exclude": ["7f000001...", "..."]}
//
// A topic's message is published on the Hub ("event", optional, is the
// SSE event name); a uid's or a group's goes to Options.Targets (the
// gateway package), which "exclude" (client ids) leaves out of a group.
// "data" is a JSON string, sent as its text, or any other JSON value, sent
// as its compact JSON text. Other fields are refused.
//
// # Authentication
//
// Every request is signed with a secret shared with the backends
// (Options.Secret), Stripe-style: the header
//
//	X-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>
//
// signs the timestamp and the body's exact bytes. The server accepts a
// timestamp within Options.Tolerance (5 minutes) of its clock, either way,
// and compares in constant time; several v1 values may be given (a backend
// moving to a new secret), and Options.OldSecrets are accepted too (the
// server moving to a new one). Sign computes the header in Go. In a shell,
// with openssl and curl:
//
//	SECRET='change-me'
//	BODY='{"topic":"news","data":"hello"}'
//	T=$(date +%s)
//	SIG=$(printf '%s.%s' "$T" "$BODY" | openssl dgst -sha256 -hmac "$SECRET" | awk '{print $NF}')
//	curl -sS http://127.0.0.1:8080/publish \
//	  -H 'Content-Type: application/json' \
//	  -H "X-Signature: t=$T,v1=$SIG" \
//	  --data-binary "$BODY"
//
// A signature is good for the whole tolerance: a request captured on the
// way can be replayed until then, so serve the API over TLS (at a proxy)
// or on a private network. New refuses an empty secret; Options.Insecure
// accepts unsigned requests, for a listener that only the backends can
// reach.
//
// # Answers
//
// Every answer has a JSON body: {"id": "<message id>"} for a topic's
// message (what SSE clients resume from), {"ok": true} for a uid's or a
// group's, {"error": "..."} saying what is wrong otherwise:
//
//   - 200: published (or taken by Targets).
//   - 400: not a JSON object, an unknown field, none or several of
//     topic/uid/group, an empty or too long (MaxNameBytes) name, no data
//     or an empty string (an SSE client would not see it), data above
//     Options.MaxDataBytes (64 KiB), an event with CR or LF, "event"
//     without a topic, "exclude" without a group; a topic without
//     a Hub, a uid or group without Targets; what the Gateway refuses (a
//     malformed client id in "exclude", more than gateway.MaxExclude of
//     them, data above its MaxMessageSize).
//   - 401: no X-Signature, or a malformed, stale or wrong one (with
//     WWW-Authenticate). The answer says which, never what was expected.
//   - 405 (with Allow: POST): not a POST.
//   - 413: a body above Options.MaxBodyBytes (1 MiB).
//   - 415: a Content-Type other than application/json.
//   - 503 (with Retry-After): the broker is unreachable
//     (pubsub.ErrUnavailable: Redis down; if Redis went away after taking
//     the message, it may have been published all the same) or the Hub
//     (or Gateway) is closed; or Options.MaxInFlight publishes are
//     already under way.
//   - 504: the publish took longer than Options.Timeout (10 s) and the
//     broker did not call it unavailable; it may have happened, so a
//     retry may publish twice.
//   - 500: any other failure (logged).
//
// The API sees a request once its body is read, and refuses one above
// MaxBodyBytes only then. To refuse a large body before it is read (the
// worker's default limit is 10 MiB), set the worker's
// http.Limits.MaxBodyBytes, to MaxBodyBytes when the worker serves only
// the API: the HTTP codec then answers 413 itself, before the body, and
// closes the connection.
//
// # On the event loop
//
// Serve runs on the connection's event loop and never blocks it: it checks
// the request there, then publishes on a goroutine (a Redis broker's
// Publish waits for Redis), bounded by Options.Timeout, which sends the
// answer; the connection holds a pipelined request until then. At most
// Options.MaxInFlight publishes are under way at once, so a flood cannot
// start goroutines without bound. Stats counts what was published and
// what was refused, by reason.
//
// What it is not: it subscribes nobody (clients listen with sse, websocket
// or pubsub.LongPoll on the Hub), it keeps no history of its own (the
// broker does), and it does not deduplicate: a request sent twice
// publishes twice.
package publishapi
