//go:build !unix

package http

import (
	"errors"
	"io/fs"
	"os"
)

// checkPrivateFolder checks that dir (itself, not what a symbolic link
// points to) is a folder. Ownership and access are not checked here: on
// Windows they are ACLs, which a folder created under the user's own
// temporary folder inherits from it.
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
	return nil
}
