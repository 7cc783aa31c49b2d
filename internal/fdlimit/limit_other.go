//go:build !unix

package fdlimit

import "errors"

// Limit reports that this system has no RLIMIT_NOFILE: the caller falls
// back to a default cap.
func Limit() (int, error) {
	return 0, errors.New("fdlimit: no descriptor limit to read on this system")
}
