package connection

import "golang.org/x/sys/unix"

// unsentInKernel is how many bytes of the socket fd the kernel still holds
// unacknowledged by the peer (SIOCOUTQ), or 0 if it cannot tell.
func unsentInKernel(fd int) int {
	if fd < 0 {
		return 0 // a stream's: no socket of its own
	}
	n, err := unix.IoctlGetInt(fd, unix.SIOCOUTQ)
	if err != nil {
		return 0
	}
	return n
}
