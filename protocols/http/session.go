package http

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"
)

// Session is the data kept for one client between its requests, found again
// through a cookie: Workerman's $request->session(). Get one with
// Request.Session; it is saved, and its cookie set, when the response to
// that request is sent.
//
// Values are strings (encode anything else, as JSON for example). A Session
// belongs to one request and is not safe for concurrent use.
type Session struct {
	id    string
	data  map[string]string
	isNew bool // the client has no cookie for it yet
	dirty bool
}

// ID is the session's identifier, the value of its cookie.
func (s *Session) ID() string { return s.id }

// Get returns the value stored under key and whether there is one.
func (s *Session) Get(key string) (string, bool) {
	v, ok := s.data[key]
	return v, ok
}

// Has reports whether a value is stored under key.
func (s *Session) Has(key string) bool {
	_, ok := s.data[key]
	return ok
}

// Set stores value under key.
func (s *Session) Set(key, value string) {
	if s.data == nil {
		s.data = map[string]string{}
	}
	s.data[key] = value
	s.dirty = true
}

// Delete removes key.
func (s *Session) Delete(key string) {
	if _, ok := s.data[key]; ok {
		delete(s.data, key)
		s.dirty = true
	}
}

// Pull returns the value under key and removes it (a one-time message).
func (s *Session) Pull(key string) (string, bool) {
	v, ok := s.Get(key)
	s.Delete(key)
	return v, ok
}

// All returns a copy of every key and value.
func (s *Session) All() map[string]string { return maps.Clone(s.data) }

// Flush removes every value.
func (s *Session) Flush() {
	if len(s.data) > 0 {
		clear(s.data)
		s.dirty = true
	}
}

// SessionStore keeps session data. Implementations must be safe for
// concurrent use: every event loop uses the same store. Load runs in
// Request.Session and Save in the c.Send of the response, usually on an
// event loop, so they should be quick (a local file, an in-memory map; a
// network store should cache).
type SessionStore interface {
	// Load returns the data of session id, or nil and no error when there
	// is none (never saved, expired, deleted).
	Load(id string) (map[string]string, error)
	// Save stores the data of session id, replacing what was there.
	Save(id string, data map[string]string) error
	// Delete forgets session id.
	Delete(id string) error
}

// SessionConfig configures sessions (Config.Session).
type SessionConfig struct {
	// Store keeps the data; nil: a FileSessionStore in
	// os.TempDir()/workerman-go-sessions with Lifetime.
	Store SessionStore
	// CookieName is the cookie that carries the session id (default
	// "PHPSID", Workerman's).
	CookieName string
	// Lifetime is how long an unused session lives, and the cookie's
	// Max-Age (default 1440 s, PHP's session.gc_maxlifetime).
	Lifetime time.Duration
	// The cookie's attributes: Path (default "/"), Domain, Secure.
	// HttpOnly and SameSite=Lax are always set.
	CookiePath   string
	CookieDomain string
	CookieSecure bool
}

// DefaultSessionLifetime is PHP's session.gc_maxlifetime.
const DefaultSessionLifetime = 1440 * time.Second

func (c *SessionConfig) withDefaults() (*SessionConfig, error) {
	out := SessionConfig{}
	if c != nil {
		out = *c
	}
	if out.CookieName == "" {
		out.CookieName = "PHPSID"
	}
	if out.Lifetime <= 0 {
		out.Lifetime = DefaultSessionLifetime
	}
	if out.CookiePath == "" {
		out.CookiePath = "/"
	}
	if !isToken(out.CookieName) {
		return nil, fmt.Errorf("http: session cookie name %q is not a token", out.CookieName)
	}
	if out.Store == nil {
		st, err := NewFileSessionStore(filepath.Join(os.TempDir(), "workerman-go-sessions"), out.Lifetime)
		if err != nil {
			return nil, err
		}
		out.Store = st
	}
	return &out, nil
}

// ErrNoSessions is returned by Request.Session for a request that did not
// come through a server connection (a Request parsed by a bare Parser).
var ErrNoSessions = errors.New("http: sessions are not available for this request")

// Session returns the request's session: the one named by its session
// cookie if the store has it, else a new one (whose cookie is set by the
// response). The first call loads it; later calls return the same Session.
// Changes are saved when the response to this request is sent.
func (r *Request) Session() (*Session, error) {
	if r.session != nil {
		return r.session, nil
	}
	if r.sessions == nil {
		return nil, ErrNoSessions
	}
	cfg, err := r.sessions.get()
	if err != nil {
		return nil, err
	}
	if id, ok := r.Cookie(cfg.CookieName); ok && validSessionID(id) {
		data, err := cfg.Store.Load(id)
		if err != nil {
			return nil, fmt.Errorf("http: loading session: %w", err)
		}
		if data != nil {
			r.session = &Session{id: id, data: data}
			return r.session, nil
		}
	}
	id, err := newSessionID()
	if err != nil {
		return nil, err
	}
	r.session = &Session{id: id, isNew: true}
	return r.session, nil
}

// sessionSetup resolves the session configuration once, on first use (the
// default store creates a folder).
type sessionSetup struct {
	cfg  *SessionConfig
	done atomic.Pointer[sessionResult]
}

type sessionResult struct {
	cfg *SessionConfig
	err error
}

func (s *sessionSetup) get() (*SessionConfig, error) {
	if r := s.done.Load(); r != nil {
		return r.cfg, r.err
	}
	cfg, err := s.cfg.withDefaults()
	s.done.CompareAndSwap(nil, &sessionResult{cfg: cfg, err: err})
	r := s.done.Load()
	return r.cfg, r.err
}

// sessionFields saves req's session, if it was used, and returns the
// Set-Cookie field a response must carry for it (nil if none). It runs
// when the response is encoded.
func sessionFields(req *Request, dst []Field) []Field {
	s := req.session
	if s == nil || req.sessions == nil {
		return dst
	}
	cfg, err := req.sessions.get()
	if err != nil {
		return dst
	}
	if s.dirty {
		var err error
		if len(s.data) == 0 {
			err = cfg.Store.Delete(s.id)
		} else {
			err = cfg.Store.Save(s.id, s.data)
		}
		if err != nil {
			slog.Error("http: saving a session", "err", err)
		}
		s.dirty = false
	}
	if !s.isNew {
		return dst
	}
	s.isNew = false
	c := Cookie{Name: cfg.CookieName, Value: s.id, Path: cfg.CookiePath, Domain: cfg.CookieDomain,
		MaxAge: int(cfg.Lifetime / time.Second), Secure: cfg.CookieSecure, HttpOnly: true, SameSite: SameSiteLax}
	b, err := c.appendTo(nil)
	if err != nil {
		slog.Error("http: session cookie", "err", err)
		return dst
	}
	return append(dst, Field{Name: "Set-Cookie", Value: string(b)})
}

func newSessionID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("http: new session id: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// validSessionID accepts what newSessionID makes: 32 lowercase hex digits.
// Anything else from a cookie is ignored (and never reaches a file name).
func validSessionID(id string) bool {
	if len(id) != 32 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// FileSessionStore keeps each session in a file of its own (as PHP's
// default handler does), as JSON. A session unused for Lifetime is
// expired: Load ignores it, and a sweep now and then removes such files.
type FileSessionStore struct {
	dir      string
	lifetime time.Duration
	lastGC   atomic.Int64 // UnixNano of the last sweep
}

// NewFileSessionStore returns a store in dir (created if missing, mode
// 0700).
func NewFileSessionStore(dir string, lifetime time.Duration) (*FileSessionStore, error) {
	if lifetime <= 0 {
		lifetime = DefaultSessionLifetime
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("http: session folder: %w", err)
	}
	s := &FileSessionStore{dir: dir, lifetime: lifetime}
	s.lastGC.Store(time.Now().UnixNano())
	return s, nil
}

func (s *FileSessionStore) file(id string) string { return filepath.Join(s.dir, "sess_"+id) }

// Load implements SessionStore.
func (s *FileSessionStore) Load(id string) (map[string]string, error) {
	if !validSessionID(id) {
		return nil, nil
	}
	name := s.file(id)
	fi, err := os.Stat(name)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if time.Since(fi.ModTime()) > s.lifetime {
		_ = os.Remove(name)
		return nil, nil
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	data := map[string]string{}
	if err := json.Unmarshal(b, &data); err != nil {
		return nil, fmt.Errorf("session %s: %w", id, err)
	}
	now := time.Now()
	_ = os.Chtimes(name, now, now) // used: lives another Lifetime
	return data, nil
}

// Save implements SessionStore. The file is replaced atomically.
func (s *FileSessionStore) Save(id string, data map[string]string) error {
	if !validSessionID(id) {
		return fmt.Errorf("http: invalid session id %q", id)
	}
	b, err := json.Marshal(data)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(s.dir, "tmp_")
	if err != nil {
		return err
	}
	_, werr := tmp.Write(b)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), s.file(id)); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	s.maybeSweep()
	return nil
}

// Delete implements SessionStore.
func (s *FileSessionStore) Delete(id string) error {
	if !validSessionID(id) {
		return nil
	}
	if err := os.Remove(s.file(id)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// maybeSweep starts a sweep of expired files in the background when the
// last one is older than a tenth of the lifetime.
func (s *FileSessionStore) maybeSweep() {
	now := time.Now().UnixNano()
	last := s.lastGC.Load()
	if now-last < int64(s.lifetime/10) || !s.lastGC.CompareAndSwap(last, now) {
		return
	}
	go s.Sweep()
}

// Sweep removes the files of expired sessions (and temporary files a crash
// left behind).
func (s *FileSessionStore) Sweep() {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > s.lifetime {
			_ = os.Remove(filepath.Join(s.dir, e.Name()))
		}
	}
}
