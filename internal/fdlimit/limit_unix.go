//go:build unix

package fdlimit

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// Limit returns the soft RLIMIT_NOFILE of the process.
func Limit() (int, error) {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
		return 0, fmt.Errorf("fdlimit: getrlimit(RLIMIT_NOFILE): %w", err)
	}
	if rl.Cur > 1<<30 {
		return 1 << 30, nil
	}
	return int(rl.Cur), nil
}
