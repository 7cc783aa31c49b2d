package worker

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
)

// The listening sockets of this process, kept so that reload and restart
// can hand them to the next process (see handover.go). A Worker's listener
// is opened here; so is any other listener a program wants handed over
// (Listen).
//
// A listener is known by a key: its network, the address it was asked for
// (before the system picked a port for port 0) and how many listeners of
// that address this process has open already. The next process, running
// the same program, asks for the same addresses in the same order, and
// gets each socket the previous one had: the same kernel socket with its
// accept queue, so that no connection waiting in it is lost.
var listeners = &listenerSet{}

type listenerSet struct {
	mu sync.Mutex
	// inherited are the sockets received from the previous process, by
	// key, not yet claimed by a Listen of this one.
	inherited map[string]*os.File
	// open are the listeners of this process, in the order they were
	// opened.
	open []*handedListener
	// gate, while not nil, holds the accepts of every listener opened
	// from an inherited socket: the previous process accepts until it has
	// released them.
	gate chan struct{}
}

// Listen opens a TCP listener on address (host:port) that the reload and
// restart commands hand over to the next process: a program that serves
// something beside its Workers on a port of its own (an admin endpoint)
// opens it with Listen so that a reload keeps it open, without a moment
// where the port refuses connections. Worker listeners are opened this
// way already.
func Listen(network, address string) (net.Listener, error) {
	return listeners.listen(network, address, false)
}

// listen returns the inherited socket for (network, address) if the
// previous process handed one over, else a new listener. reusePort sets
// SO_REUSEPORT on a new one.
func (s *listenerSet) listen(network, address string, reusePort bool) (net.Listener, error) {
	s.mu.Lock()
	n := 0
	base := network + " " + address
	for _, l := range s.open {
		if l.base == base {
			n++
		}
	}
	key := base + " #" + strconv.Itoa(n)
	f := s.inherited[key]
	delete(s.inherited, key)
	gate := s.gate
	s.mu.Unlock()

	var ln net.Listener
	var err error
	if f != nil {
		ln, err = net.FileListener(f) // a copy of the descriptor
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("listen: the socket of %s from the previous process: %w", address, err)
		}
	} else {
		gate = nil
		lc := net.ListenConfig{}
		if reusePort {
			lc.Control = setReusePort
		}
		if ln, err = lc.Listen(context.Background(), network, address); err != nil {
			return nil, fmt.Errorf("listen: %w", err)
		}
	}
	hl := &handedListener{Listener: ln, base: base, key: key, gate: gate, closed: make(chan struct{}), set: s}
	s.mu.Lock()
	s.open = append(s.open, hl)
	s.mu.Unlock()
	return hl, nil
}

// inherit records the sockets received from the previous process and
// holds the accepts of the listeners made from them until release.
func (s *listenerSet) inherit(files map[string]*os.File) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inherited = files
	s.gate = make(chan struct{})
}

// release lets the listeners made from inherited sockets accept, and
// closes the inherited sockets that no Listen claimed (the program no
// longer listens there).
func (s *listenerSet) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gate != nil {
		close(s.gate)
		s.gate = nil
	}
	for _, f := range s.inherited {
		f.Close()
	}
	s.inherited = nil
}

// handed returns the open listeners, to hand over.
func (s *listenerSet) handed() []*handedListener {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*handedListener(nil), s.open...)
}

func (s *listenerSet) remove(l *handedListener) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, x := range s.open {
		if x == l {
			s.open = append(s.open[:i], s.open[i+1:]...)
			return
		}
	}
}

// handedListener is a listener of the set. While its gate is closed (the
// previous process still accepts on the same socket), Accept waits.
type handedListener struct {
	net.Listener
	base, key string
	gate      <-chan struct{}
	closed    chan struct{}
	once      sync.Once
	set       *listenerSet
}

// Accept implements net.Listener.
func (l *handedListener) Accept() (net.Conn, error) {
	if l.gate != nil {
		select {
		case <-l.gate:
		case <-l.closed:
			return nil, &net.OpError{Op: "accept", Net: l.Addr().Network(), Addr: l.Addr(), Err: net.ErrClosed}
		}
	}
	return l.Listener.Accept()
}

// Close implements net.Listener: the socket is closed in this process (a
// process it was handed to keeps it open).
func (l *handedListener) Close() error {
	l.once.Do(func() {
		close(l.closed)
		l.set.remove(l)
	})
	return l.Listener.Close()
}
