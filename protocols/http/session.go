package http

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// Session is the data kept for one client between its requests, found again
// through a cookie: Workerman's $request->session(). Get one with
// Request.Session.
//
// A session costs nothing until it holds data: only then is it stored and
// its cookie set (by the response to the request that filled it). When the
// response to a request is sent, a session that changed is saved, in the
// background (the response does not wait for the store), and a session
// that became empty is deleted from the store. The next request of the same
// session, on any connection of the process, sees what was saved (its load
// waits for the save). Another process sharing the store (a Worker with
// ReusePort) may load the session before the save is done, and a process
// that exits as soon as it has answered may lose a save still running.
//
// Values are strings (encode anything else, as JSON for example). A Session
// belongs to one request and is not safe for concurrent use.
type Session struct {
	id    string
	data  map[string]string
	isNew bool // not in the store, and the client has no cookie for it
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
// concurrent use: every event loop uses the same store.
//
// The http:// protocol never calls a store on an event loop (except the
// first load of a process, see Request.Session): Load runs on a goroutine
// of its own before a request that carries a session cookie is delivered
// to OnMessage, and Save or Delete on another after the response is
// encoded. So a store may take its time (a disk, a network store): the
// requests of its sessions wait, and no other connection does. The calls
// for one session are made in order, and a Load waits for the Save or
// Delete still running for its session.
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
	// os.TempDir()/workerman-go-sessions with Lifetime, made when a
	// session is first used (an existing folder there must be private to
	// the process's user, see NewFileSessionStore).
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
// come through a server connection (a Request parsed by a bare Parser), and
// wrapped, with the reason, when sessions cannot be set up (an invalid
// SessionConfig, a session folder that is not private).
var ErrNoSessions = errors.New("http: sessions are not available for this request")

// Session returns the request's session: the one named by its session
// cookie if the store has it, else a new, empty one (which costs no storage
// and no cookie unless it is given data). Later calls return the same
// Session. Changes are saved when the response to this request is sent.
//
// On an http:// connection a request that carries a session cookie is
// delivered once its session is loaded, off the event loop, so Session does
// no I/O. The exception is the start of a process: until a first Session
// call has set the store up (the default one creates its folder), requests
// are delivered without loading, and Session sets up and loads on the
// event loop.
//
// An error wrapping ErrNoSessions says sessions are unavailable (the reason
// is also logged, once); another error is the store's failure to load.
func (r *Request) Session() (*Session, error) {
	if r.session != nil {
		return r.session, nil
	}
	if r.sessionErr != nil {
		return nil, r.sessionErr
	}
	if r.sessions == nil {
		return nil, ErrNoSessions
	}
	if !r.sessionLoaded {
		if err := r.loadSession(); err != nil {
			return nil, err
		}
		if r.session != nil {
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

// loadSession loads the session named by r's cookie, if there is one and
// the store has it, into r.session, and records that it was looked for.
// An error is kept in r.sessionErr too. It runs on a goroutine of its own
// when the server codec preloads the session, else in Session.
func (r *Request) loadSession() error {
	r.sessionLoaded = true
	cfg, err := r.sessions.get()
	if err != nil {
		r.sessionErr = err
		return err
	}
	id := r.sessions.cookieID(r)
	if id == "" {
		return nil
	}
	r.sessions.waitWrites(id)
	data, err := cfg.Store.Load(id)
	if err != nil {
		r.sessionErr = fmt.Errorf("http: loading session: %w", err)
		return r.sessionErr
	}
	if data != nil {
		r.session = &Session{id: id, data: data}
	}
	return nil
}

// sessionSetup is the session state of one protocol: the configuration,
// resolved once on first use (the default store creates a folder), and the
// saves and deletes still running.
type sessionSetup struct {
	cfg        *SessionConfig
	cookieName string // cfg's, with the default applied

	setupMu sync.Mutex // serializes the resolution
	done    atomic.Pointer[sessionResult]

	mu     sync.Mutex
	writes map[string]*sessionWrite // the last write started for each session id, until it is done
}

type sessionResult struct {
	cfg *SessionConfig
	err error
}

// sessionWrite is a save or delete of one session, done on a goroutine.
type sessionWrite struct {
	done chan struct{} // closed when the write is done
}

func newSessionSetup(cfg *SessionConfig) *sessionSetup {
	s := &sessionSetup{cfg: cfg, cookieName: "PHPSID", writes: map[string]*sessionWrite{}}
	if cfg != nil && cfg.CookieName != "" {
		s.cookieName = cfg.CookieName
	}
	return s
}

// get returns the resolved configuration, resolving it the first time. An
// error is logged once and wraps ErrNoSessions.
func (s *sessionSetup) get() (*SessionConfig, error) {
	if r := s.done.Load(); r != nil {
		return r.cfg, r.err
	}
	s.setupMu.Lock()
	defer s.setupMu.Unlock()
	if r := s.done.Load(); r != nil {
		return r.cfg, r.err
	}
	cfg, err := s.cfg.withDefaults()
	if err != nil {
		slog.Error("http: sessions are not available", "err", err)
		err = fmt.Errorf("%w: %w", ErrNoSessions, err)
	}
	s.done.Store(&sessionResult{cfg: cfg, err: err})
	return cfg, err
}

// ready reports whether sessions are set up and working: only then does
// the server codec load sessions before delivering requests (an
// application that never uses sessions never gets a store).
func (s *sessionSetup) ready() bool {
	r := s.done.Load()
	return r != nil && r.err == nil
}

// cookieID returns the session id r's cookie names, or "" when it has no
// session cookie or the value cannot be an id.
func (s *sessionSetup) cookieID(r *Request) string {
	if id, ok := r.Cookie(s.cookieName); ok && validSessionID(id) {
		return id
	}
	return ""
}

// write saves data as session id's, or deletes the session when data is
// nil, on a goroutine: after the writes of id already started, and before
// any load of id that starts later.
func (s *sessionSetup) write(store SessionStore, id string, data map[string]string) {
	w := &sessionWrite{done: make(chan struct{})}
	s.mu.Lock()
	prev := s.writes[id]
	s.writes[id] = w
	s.mu.Unlock()
	go func() {
		if prev != nil {
			<-prev.done
		}
		var err error
		if data == nil {
			err = store.Delete(id)
		} else {
			err = store.Save(id, data)
		}
		if err != nil {
			slog.Error("http: saving a session", "err", err)
		}
		s.mu.Lock()
		if s.writes[id] == w {
			delete(s.writes, id)
		}
		s.mu.Unlock()
		close(w.done)
	}()
}

// waitWrites waits until the writes of session id started so far are done.
func (s *sessionSetup) waitWrites(id string) {
	s.mu.Lock()
	w := s.writes[id]
	s.mu.Unlock()
	if w != nil {
		<-w.done
	}
}

// sessionFields starts the save of req's session if it changed (or its
// delete, if it became empty), and returns dst with the Set-Cookie field
// the response must carry for it: only for a new session that holds data.
// It runs when the response is encoded.
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
		s.dirty = false
		switch {
		case len(s.data) > 0:
			req.sessions.write(cfg.Store, s.id, maps.Clone(s.data))
		case !s.isNew:
			req.sessions.write(cfg.Store, s.id, nil)
		}
	}
	if !s.isNew || len(s.data) == 0 {
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

// NewFileSessionStore returns a store in dir, created if missing (mode
// 0700). The folder must be private to the process's user, since anyone who
// can read it can take over the sessions, and anyone who can write to it
// can plant one: a folder that is a symbolic link, is not a folder, or (on
// Unix) is owned by another user or open to group or others (mode & 0077)
// is refused with an error that says why.
func NewFileSessionStore(dir string, lifetime time.Duration) (*FileSessionStore, error) {
	if lifetime <= 0 {
		lifetime = DefaultSessionLifetime
	}
	dir = filepath.Clean(dir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("http: session folder: %w", err)
	}
	if err := checkPrivateFolder(dir); err != nil {
		return nil, fmt.Errorf("http: session folder %s: %w", dir, err)
	}
	s := &FileSessionStore{dir: dir, lifetime: lifetime}
	s.lastGC.Store(time.Now().UnixNano())
	return s, nil
}

// checkPrivateFolder checks that dir (itself, not what a symbolic link
// points to) is a folder, and on Unix that it is owned by the process's
// effective user and closed to group and others (checkOwner).
func checkPrivateFolder(dir string) error {
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return errors.New("is a symbolic link")
	case !fi.IsDir():
		return errors.New("is not a folder")
	}
	return checkOwner(fi)
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
