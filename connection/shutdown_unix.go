//go:build unix

package connection

import "golang.org/x/sys/unix"

// shutdownWrite sends FIN on the socket fd and keeps it open for reading:
// the first half of a lingering close.
func shutdownWrite(fd int) error { return unix.Shutdown(fd, unix.SHUT_WR) }
