//go:build !linux

package connection

// unsentInKernel cannot tell here how much the kernel still holds: the
// write deadline then counts what gnet hands to the kernel as taken.
func unsentInKernel(int) int { return 0 }
