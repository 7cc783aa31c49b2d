//go:build unix

package http

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// checkOwner checks that a folder is owned by the process's effective user
// and closed to group and others.
func checkOwner(fi fs.FileInfo) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return errors.New("has no known owner")
	}
	if euid := os.Geteuid(); int(st.Uid) != euid {
		return fmt.Errorf("is owned by user %d, not by this process's user %d", st.Uid, euid)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("is open to group or others (mode %#o, want 0700)", perm)
	}
	return nil
}
