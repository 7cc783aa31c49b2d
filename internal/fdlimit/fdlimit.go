// Package fdlimit reads the process's file-descriptor limit and derives the
// connection cap that keeps accept(2) from ever failing with EMFILE (which
// makes gnet shut its whole engine down).
package fdlimit

// Headroom is how many descriptors below the limit are kept free for
// everything that is not an accepted connection (listeners, epoll and event
// descriptors, log and pid files, client connections, files a callback
// opens): a sixteenth of the limit, at least 16 and at most 256.
func Headroom(limit int) int {
	return min(max(limit/16, 16), 256)
}

// DefaultCap is the default maximum number of accepted connections for a
// process whose descriptor limit is limit.
func DefaultCap(limit int) int {
	return max(limit-Headroom(limit), 1)
}
