package http

import (
	"maps"
	"strings"
	"sync"
	"testing"

	"github.com/workerman-go/workerman/protocols"
)

// memStore is a SessionStore in memory.
type memStore struct {
	mu   sync.Mutex
	data map[string]map[string]string
}

func (m *memStore) Load(id string) (map[string]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return maps.Clone(m.data[id]), nil
}

func (m *memStore) Save(id string, data map[string]string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.data[id] = data
	return nil
}

func (m *memStore) Delete(id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.data, id)
	return nil
}

// resumeSignal stands for the connection in preload: ResumeRecv reports
// that the session is loaded.
type resumeSignal chan struct{}

func (resumeSignal) PauseRecv() {}
func (r resumeSignal) ResumeRecv() {
	select {
	case r <- struct{}{}:
	default:
	}
}

// BenchmarkSessionLoopWork is the work a request that uses its session
// leaves on the event loop, with a store in memory (the store itself runs
// on goroutines, see BenchmarkFileSessionStore): decoding a request, then
// for "save" changing its session and encoding the response (the copy of
// the data and the start of the save), for "load" the start of the load of
// the session its cookie names and its delivery once loaded (this one also
// counts the wait for the loading goroutine, so it is an upper bound), and
// "none" a request without a session, for comparison.
func BenchmarkSessionLoopWork(b *testing.B) {
	id := strings.Repeat("ab", 16)
	store := &memStore{data: map[string]map[string]string{id: {"user": "ada", "visits": "12"}}}
	proto := ProtocolWith(Config{Session: &SessionConfig{Store: store}}).(*serverProtocol)
	if _, err := proto.sessions.get(); err != nil {
		b.Fatal(err)
	}
	get := []byte("GET /visits HTTP/1.1\r\nHost: h\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n")
	withCookie := []byte("GET /visits HTTP/1.1\r\nHost: h\r\nUser-Agent: bench\r\nAccept: */*\r\nCookie: PHPSID=" + id + "\r\n\r\n")
	newCodec := func() *serverCodec {
		return proto.NewCodec(protocols.Limits{MaxPackageSize: 1 << 20}).(*serverCodec)
	}
	respond := func(s *serverCodec) {
		if _, err := s.Encode(nil, "ok"); err != nil {
			b.Fatal(err)
		}
		if s.Effects()&protocols.ResumeDecode == 0 {
			b.Fatal("response not complete")
		}
	}
	b.Run("none", func(b *testing.B) {
		s := newCodec()
		b.ReportAllocs()
		for b.Loop() {
			if req, _, _, err := s.Decode(get); req == nil || err != nil {
				b.Fatal(err)
			}
			respond(s)
		}
	})
	b.Run("save", func(b *testing.B) {
		s := newCodec()
		b.ReportAllocs()
		for b.Loop() {
			req, _, _, err := s.Decode(get)
			if req == nil || err != nil {
				b.Fatal(err)
			}
			// The session the request's cookie named, as preload leaves
			// it (see "load" for that part).
			req.session, req.sessionLoaded = &Session{id: id, data: map[string]string{"user": "ada", "visits": "12"}}, true
			sess, err := req.Session()
			if err != nil {
				b.Fatal(err)
			}
			sess.Set("visits", "13")
			respond(s)
		}
		b.StopTimer()
		for proto.sessions.pending() > 0 {
			waitAll(proto.sessions)
		}
	})
	b.Run("load", func(b *testing.B) {
		s := newCodec()
		loaded := make(resumeSignal, 1)
		b.ReportAllocs()
		for b.Loop() {
			req, n, err := s.parser.Parse(withCookie)
			if req == nil || err != nil {
				b.Fatal(err)
			}
			req.sessions = proto.sessions
			s.preload(req, n, loaded)
			<-loaded
			req, _, _, err = s.Decode(withCookie)
			if req == nil || err != nil {
				b.Fatal(err)
			}
			if sess, err := req.Session(); err != nil || sess.ID() != id {
				b.Fatal(err)
			}
			respond(s)
		}
	})
}

// pending counts the sessions with a write not yet done.
func (s *sessionSetup) pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.writes)
}

// waitAll waits for the writes started so far.
func waitAll(s *sessionSetup) {
	s.mu.Lock()
	ids := make([]string, 0, len(s.writes))
	for id := range s.writes {
		ids = append(ids, id)
	}
	s.mu.Unlock()
	for _, id := range ids {
		s.waitWrites(id)
	}
}
