//go:build !unix

package connection

import "errors"

// shutdownWrite is not available here: a lingering close closes at once.
func shutdownWrite(int) error { return errors.New("connection: no half-close on this system") }
