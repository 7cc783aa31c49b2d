package publishapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/protocols/http"
	"github.com/workerman-go/workerman/pubsub"
	"github.com/workerman-go/workerman/pubsub/gateway"
)

// Defaults of Options.
const (
	DefaultPath = "/publish"
	// DefaultMaxBodyBytes bounds a request's body (413 beyond): room for
	// DefaultMaxDataBytes of data however JSON escapes it (at most 6 bytes
	// for one, as \u0001).
	DefaultMaxBodyBytes = 1 << 20
	// DefaultMaxDataBytes bounds a message's data, once decoded (400
	// beyond): 64 KiB, so that a topic's default history in a MemoryBroker
	// (1 MiB) holds at least 16 of the largest messages.
	DefaultMaxDataBytes = 64 << 10
	// DefaultTimeout bounds one publish.
	DefaultTimeout = 10 * time.Second
	// DefaultMaxInFlight bounds the publishes under way at once.
	DefaultMaxInFlight = 256
	// DefaultRetryAfter is what a 503's Retry-After says.
	DefaultRetryAfter = time.Second
)

// MaxNameBytes bounds a topic, uid, group, event name and each excluded
// client id (400 beyond).
const MaxNameBytes = 256

// Targets delivers to a user's or a group's connections: a
// *gateway.Gateway is one. Its methods are called on a goroutine of their
// own, never on an event loop, with a context that ends after
// Options.Timeout. An error wrapping one of the Gateway's refusals of its
// arguments (gateway.ErrInvalidName, ErrInvalidClientID,
// ErrTooManyExcluded, ErrTooLarge) is answered 400; one wrapping
// pubsub.ErrUnavailable, pubsub.ErrClosed or gateway.ErrClosed 503; one
// wrapping context.DeadlineExceeded 504; any other 500.
type Targets interface {
	// SendToUid sends data to every connection bound to uid.
	SendToUid(ctx context.Context, uid, data string) error
	// SendToGroup sends data to every connection in group, except the
	// clients whose ids are in exclude.
	SendToGroup(ctx context.Context, group, data string, exclude ...string) error
}

// Options configure an API.
type Options struct {
	// Hub is where messages with a topic are published. Without one, a
	// request with a topic is answered 400.
	Hub *pubsub.Hub
	// Targets receives the messages with a uid or a group. Without it,
	// such a request is answered 400 (Hub or Targets must be set).
	Targets Targets
	// Secret is the HMAC-SHA256 key requests are signed with. Required
	// unless Insecure: New refuses an empty one, so that an API is never
	// open by accident. Use at least 32 random bytes.
	Secret []byte
	// OldSecrets are accepted too, while the backends move to a new
	// Secret (rotation); remove them once they have.
	OldSecrets [][]byte
	// Insecure accepts requests without checking any signature (Secret
	// and OldSecrets must then be empty). Only for a listener nobody but
	// the backends can reach (a loopback port inside a container), never
	// on a network.
	Insecure bool
	// Path is the request path the API answers (default DefaultPath,
	// "/publish"); Serve leaves other paths to the caller.
	Path string
	// Tolerance is how far a signature's timestamp may be from the server's
	// clock, either way (default DefaultTolerance, 5 minutes). A captured
	// request can be replayed within it: serve the API over TLS or a
	// private network.
	Tolerance time.Duration
	// MaxBodyBytes bounds the request body (default DefaultMaxBodyBytes,
	// 1 MiB): a larger one is answered 413. The API sees a request once its
	// body is read: to refuse a large body before it is read, set the
	// worker's http.Limits.MaxBodyBytes (its default is 10 MiB), which
	// answers 413 itself and closes the connection.
	MaxBodyBytes int
	// MaxDataBytes bounds a message's data as decoded (default
	// DefaultMaxDataBytes, 64 KiB): larger data is answered 400.
	MaxDataBytes int
	// Timeout bounds one publish, or one call of Targets (default
	// DefaultTimeout, 10 s): then the request is answered 504, or 503 when
	// the broker reports the timeout as pubsub.ErrUnavailable (redisbroker
	// does).
	Timeout time.Duration
	// MaxInFlight bounds the publishes under way at once (default
	// DefaultMaxInFlight, 256): beyond it a request is answered 503 with
	// Retry-After at once, and counted (Stats.Rejected.Busy).
	MaxInFlight int
	// RetryAfter is what a 503 answer's Retry-After says, rounded up to
	// whole seconds (default DefaultRetryAfter, 1 s).
	RetryAfter time.Duration
	// Logger receives the failures answered 500 and, at Debug, the other
	// refusals (default slog.Default()).
	Logger *slog.Logger
}

// reason is why a request was refused: an index of API.rejected.
type reason int

const (
	reasonMethod reason = iota
	reasonContentType
	reasonTooLarge
	reasonBadRequest
	reasonUnauthorized
	reasonBusy
	reasonUnavailable
	reasonTimeout
	reasonFailed
	numReasons
)

// Rejected counts the requests refused, by reason.
type Rejected struct {
	Method       uint64 // 405: not a POST
	ContentType  uint64 // 415: not application/json
	TooLarge     uint64 // 413: a body above MaxBodyBytes
	BadRequest   uint64 // 400: bad JSON, unknown or missing fields, data too large, no Hub or Targets for it
	Unauthorized uint64 // 401: no signature, or a malformed, stale or wrong one
	Busy         uint64 // 503: MaxInFlight publishes were under way
	Unavailable  uint64 // 503: the broker (or Targets) unavailable (pubsub.ErrUnavailable), or the Hub closed
	Timeout      uint64 // 504: the publish took longer than Timeout; it may have happened
	Failed       uint64 // 500: any other error (logged)
}

// Stats are a snapshot of an API's counters.
type Stats struct {
	Published   uint64 // messages published on a topic (answered 200)
	SentToUid   uint64 // messages Targets.SendToUid took (answered 200)
	SentToGroup uint64 // messages Targets.SendToGroup took (answered 200)
	InFlight    int    // publishes under way now
	Rejected    Rejected
}

// API answers the publish requests of an http:// worker. It is safe for
// concurrent use, and one API may serve several workers.
type API struct {
	hub         *pubsub.Hub
	targets     Targets
	secrets     [][]byte
	insecure    bool
	path        string
	tolerance   time.Duration
	maxBody     int
	maxData     int
	timeout     time.Duration
	maxInFlight int64
	retryAfter  string
	log         *slog.Logger
	now         func() time.Time

	inFlight                        atomic.Int64
	published, sentUid, sentToGroup atomic.Uint64
	rejected                        [numReasons]atomic.Uint64
}

// New returns an API configured by opts, or an error that names what is
// wrong: no Hub and no Targets, an empty Secret without Insecure (or a
// Secret with it), a negative bound, a Path that does not start with '/'.
func New(opts Options) (*API, error) {
	if opts.Hub == nil && opts.Targets == nil {
		return nil, errors.New("publishapi: no Hub and no Targets: nothing to publish to")
	}
	switch {
	case opts.Insecure && (len(opts.Secret) > 0 || len(opts.OldSecrets) > 0):
		return nil, errors.New("publishapi: Insecure with a Secret: choose one")
	case !opts.Insecure && len(opts.Secret) == 0:
		return nil, errors.New("publishapi: empty Secret: requests could not be authenticated (set Insecure to accept unsigned requests on a private listener)")
	}
	for i, s := range opts.OldSecrets {
		if len(s) == 0 {
			return nil, fmt.Errorf("publishapi: OldSecrets[%d] is empty", i)
		}
	}
	if opts.Tolerance < 0 || opts.MaxBodyBytes < 0 || opts.MaxDataBytes < 0 || opts.Timeout < 0 || opts.MaxInFlight < 0 || opts.RetryAfter < 0 {
		return nil, errors.New("publishapi: negative Tolerance, MaxBodyBytes, MaxDataBytes, Timeout, MaxInFlight or RetryAfter")
	}
	if opts.Path == "" {
		opts.Path = DefaultPath
	}
	if !strings.HasPrefix(opts.Path, "/") {
		return nil, fmt.Errorf("publishapi: Path %q does not start with '/'", opts.Path)
	}
	a := &API{
		hub:         opts.Hub,
		targets:     opts.Targets,
		insecure:    opts.Insecure,
		path:        opts.Path,
		tolerance:   cmp(opts.Tolerance, DefaultTolerance),
		maxBody:     cmp(opts.MaxBodyBytes, DefaultMaxBodyBytes),
		maxData:     cmp(opts.MaxDataBytes, DefaultMaxDataBytes),
		timeout:     cmp(opts.Timeout, DefaultTimeout),
		maxInFlight: int64(cmp(opts.MaxInFlight, DefaultMaxInFlight)),
		log:         opts.Logger,
		now:         time.Now,
	}
	if a.tolerance < time.Second {
		return nil, fmt.Errorf("publishapi: Tolerance %s is below a second, the resolution of a signature's timestamp", a.tolerance)
	}
	retry := cmp(opts.RetryAfter, DefaultRetryAfter)
	a.retryAfter = strconv.FormatInt(int64((retry+time.Second-1)/time.Second), 10)
	if a.log == nil {
		a.log = slog.Default()
	}
	if !a.insecure {
		// Copies: a caller that reuses its slices changes nothing here.
		a.secrets = append(a.secrets, bytes.Clone(opts.Secret))
		for _, s := range opts.OldSecrets {
			a.secrets = append(a.secrets, bytes.Clone(s))
		}
	}
	return a, nil
}

// cmp returns v, or def when v is zero.
func cmp[T int | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

// Path returns the path the API answers.
func (a *API) Path() string { return a.path }

// Stats returns a snapshot of the API's counters.
func (a *API) Stats() Stats {
	return Stats{
		Published:   a.published.Load(),
		SentToUid:   a.sentUid.Load(),
		SentToGroup: a.sentToGroup.Load(),
		InFlight:    int(a.inFlight.Load()),
		Rejected: Rejected{
			Method:       a.rejected[reasonMethod].Load(),
			ContentType:  a.rejected[reasonContentType].Load(),
			TooLarge:     a.rejected[reasonTooLarge].Load(),
			BadRequest:   a.rejected[reasonBadRequest].Load(),
			Unauthorized: a.rejected[reasonUnauthorized].Load(),
			Busy:         a.rejected[reasonBusy].Load(),
			Unavailable:  a.rejected[reasonUnavailable].Load(),
			Timeout:      a.rejected[reasonTimeout].Load(),
			Failed:       a.rejected[reasonFailed].Load(),
		},
	}
}

// Serve answers r when its path is the API's (Options.Path) and reports
// whether it did; it leaves any other request to the caller. Call it from
// the connection's OnMessage. It does not block: a valid request is
// published on a goroutine of its own, which sends the answer (the
// connection holds the next pipelined request until then).
func (a *API) Serve(c *connection.Conn, r *http.Request) bool {
	if r.Path != a.path {
		return false
	}
	if resp := a.handle(c, r); resp != nil {
		_ = c.Send(resp) // an error: the client left, or the connection reported it
	}
	return true
}

// handle checks r and starts its publish; it returns the answer when it
// refused r, nil when the publish answers.
func (a *API) handle(c *connection.Conn, r *http.Request) *http.Response {
	if r.Method != "POST" {
		return a.refuse(reasonMethod, 405, "use POST").WithHeader("Allow", "POST")
	}
	if ct := r.ContentType(); ct != "application/json" {
		return a.refuse(reasonContentType, 415, fmt.Sprintf("Content-Type must be application/json, not %q", truncate(ct)))
	}
	if len(r.Body) > a.maxBody {
		return a.refuse(reasonTooLarge, 413, fmt.Sprintf("the body has %d bytes, more than the limit of %d", len(r.Body), a.maxBody))
	}
	if !a.insecure {
		if err := verifySignature(r.Header.Get(SignatureHeader), r.Body, a.secrets, a.now(), a.tolerance); err != nil {
			return a.refuse(reasonUnauthorized, 401, err.Error()).
				WithHeader("WWW-Authenticate", `HMAC-SHA256 header="`+SignatureHeader+`"`)
		}
	}
	req, err := a.parse(r.Body)
	if err != nil {
		return a.refuse(reasonBadRequest, 400, err.Error())
	}
	if a.inFlight.Add(1) > a.maxInFlight {
		a.inFlight.Add(-1)
		return a.refuse(reasonBusy, 503, fmt.Sprintf("too many publishes under way (%d): retry later", a.maxInFlight)).
			WithHeader("Retry-After", a.retryAfter)
	}
	go a.publish(c, req)
	return nil
}

// publish runs req on its own goroutine and answers it.
func (a *API) publish(c *connection.Conn, req *request) {
	var resp *http.Response
	ok := c.Guard("publishapi", func() { resp = a.run(req) })
	// Done before the answer: whoever reads it sees the counters of its
	// request.
	a.inFlight.Add(-1)
	if !ok {
		// A panic of the Targets (or the broker): logged by Guard, which
		// destroyed the connection.
		a.rejected[reasonFailed].Add(1)
		return
	}
	_ = c.Send(resp) // an error: the client left, or the connection reported it
}

// run publishes req and returns the answer.
func (a *API) run(req *request) *http.Response {
	ctx, cancel := context.WithTimeout(context.Background(), a.timeout)
	defer cancel()
	switch {
	case req.topic != "":
		m, err := a.hub.Publish(ctx, req.topic, pubsub.Message{Event: req.event, Data: req.data})
		if err != nil {
			return a.failure(err, "publishing on topic "+strconv.Quote(req.topic))
		}
		a.published.Add(1)
		return jsonResponse(200, struct {
			ID string `json:"id"`
		}{m.ID})
	case req.uid != "":
		if err := a.targets.SendToUid(ctx, req.uid, req.data); err != nil {
			return a.failure(err, "sending to uid "+strconv.Quote(req.uid))
		}
		a.sentUid.Add(1)
	default:
		if err := a.targets.SendToGroup(ctx, req.group, req.data, req.exclude...); err != nil {
			return a.failure(err, "sending to group "+strconv.Quote(req.group))
		}
		a.sentToGroup.Add(1)
	}
	return jsonResponse(200, struct {
		OK bool `json:"ok"`
	}{true})
}

// failure is the answer to a publish that failed with err.
func (a *API) failure(err error, what string) *http.Response {
	msg := what + ": " + err.Error()
	switch {
	case isInvalid(err):
		return a.refuse(reasonBadRequest, 400, msg)
	case errors.Is(err, pubsub.ErrUnavailable) || errors.Is(err, pubsub.ErrClosed) || errors.Is(err, gateway.ErrClosed):
		return a.refuse(reasonUnavailable, 503, msg+": retry later").WithHeader("Retry-After", a.retryAfter)
	case errors.Is(err, context.DeadlineExceeded):
		return a.refuse(reasonTimeout, 504, fmt.Sprintf("%s (after %s): it may or may not have been delivered", msg, a.timeout))
	default:
		a.log.Error("publishapi: publish failed", "what", what, "err", err)
		return a.refuse(reasonFailed, 500, msg)
	}
}

// isInvalid reports whether err is a Gateway's refusal of its arguments:
// the request's fault.
func isInvalid(err error) bool {
	return errors.Is(err, gateway.ErrInvalidName) || errors.Is(err, gateway.ErrInvalidClientID) ||
		errors.Is(err, gateway.ErrTooManyExcluded) || errors.Is(err, gateway.ErrTooLarge)
}

// refuse counts a refusal and returns its answer, {"error": msg}.
func (a *API) refuse(why reason, status int, msg string) *http.Response {
	a.rejected[why].Add(1)
	msg = strings.TrimPrefix(msg, "publishapi: ")
	if status != 500 { // logged already
		a.log.Debug("publishapi: request refused", "status", status, "err", msg)
	}
	return jsonResponse(status, struct {
		Error string `json:"error"`
	}{msg})
}

// jsonResponse is a response with v as its JSON body.
func jsonResponse(status int, v any) *http.Response {
	body, err := json.Marshal(v)
	if err != nil { // strings and bools only: it cannot fail
		body = []byte(`{"error":"encoding the answer failed"}`)
	}
	body = append(body, '\n')
	return http.NewResponse(status, "").WithBody(body).
		WithHeader("Content-Type", "application/json").
		WithHeader("Cache-Control", "no-store")
}

// request is a checked publish request.
type request struct {
	topic, uid, group string // exactly one is set
	event, data       string
	exclude           []string
}

// wire is a request's JSON body.
type wire struct {
	Topic   *string         `json:"topic"`
	Uid     *string         `json:"uid"`
	Group   *string         `json:"group"`
	Event   *string         `json:"event"`
	Data    json.RawMessage `json:"data"`
	Exclude []string        `json:"exclude"`
}

// parse decodes and checks a request body. Its errors say what is wrong,
// for a 400 answer.
func (a *API) parse(body []byte) (*request, error) {
	if trimmed := bytes.TrimLeft(body, " \t\r\n"); len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, errors.New(`the body must be a JSON object: {"topic": "...", "data": "..."}`)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var w wire
	if err := dec.Decode(&w); err != nil {
		return nil, fmt.Errorf("bad JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("bad JSON: more after the object")
	}

	var req request
	kinds := 0
	for _, f := range []struct {
		name string
		v    *string
		dst  *string
	}{{"topic", w.Topic, &req.topic}, {"uid", w.Uid, &req.uid}, {"group", w.Group, &req.group}} {
		if f.v == nil {
			continue
		}
		kinds++
		if err := checkName(f.name, *f.v); err != nil {
			return nil, err
		}
		*f.dst = *f.v
	}
	switch {
	case kinds == 0:
		return nil, errors.New(`no "topic", "uid" or "group": give exactly one`)
	case kinds > 1:
		return nil, errors.New(`"topic", "uid" and "group" exclude each other: give exactly one`)
	case req.topic != "" && a.hub == nil:
		return nil, errors.New(`"topic": this API publishes to no Hub (publishapi.Options.Hub is not set)`)
	case req.topic == "" && a.targets == nil:
		which := "uid"
		if req.group != "" {
			which = "group"
		}
		return nil, fmt.Errorf(`%q: this API sends to no uid or group (publishapi.Options.Targets is not set); publish to a "topic"`, which)
	}

	if w.Event != nil {
		if req.topic == "" {
			return nil, errors.New(`"event" goes with "topic" only`)
		}
		if strings.ContainsAny(*w.Event, "\r\n") {
			return nil, errors.New(`"event" contains CR or LF`)
		}
		if len(*w.Event) > MaxNameBytes {
			return nil, fmt.Errorf(`"event" has %d bytes, more than %d`, len(*w.Event), MaxNameBytes)
		}
		req.event = *w.Event
	}
	if w.Exclude != nil {
		if req.group == "" {
			return nil, errors.New(`"exclude" goes with "group" only`)
		}
		for i, id := range w.Exclude {
			if err := checkName(fmt.Sprintf("exclude[%d]", i), id); err != nil {
				return nil, err
			}
		}
		req.exclude = w.Exclude
	}

	data, err := decodeData(w.Data)
	if err != nil {
		return nil, err
	}
	if len(data) > a.maxData {
		return nil, fmt.Errorf(`"data" has %d bytes, more than the limit of %d`, len(data), a.maxData)
	}
	req.data = data
	return &req, nil
}

// decodeData returns the message's data: a JSON string's text (not
// empty), or any other JSON value as its compact JSON text.
func decodeData(raw json.RawMessage) (string, error) {
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return "", errors.New(`no "data"`)
	case raw[0] == '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", fmt.Errorf(`bad "data": %w`, err)
		}
		if s == "" {
			// An SSE client would never see it: an event without data
			// is not dispatched.
			return "", errors.New(`"data" is empty (an SSE client would not see the message)`)
		}
		return s, nil
	default:
		var b bytes.Buffer
		if err := json.Compact(&b, raw); err != nil {
			return "", fmt.Errorf(`bad "data": %w`, err)
		}
		return b.String(), nil
	}
}

// checkName checks a topic, uid, group or excluded client id: 1 to
// MaxNameBytes bytes of UTF-8 without control characters.
func checkName(field, v string) error {
	switch {
	case v == "":
		return fmt.Errorf("%q is empty", field)
	case len(v) > MaxNameBytes:
		return fmt.Errorf("%q has %d bytes, more than %d", field, len(v), MaxNameBytes)
	case !utf8.ValidString(v):
		return fmt.Errorf("%q is not valid UTF-8", field)
	case strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return fmt.Errorf("%q contains a control character", field)
	}
	return nil
}
