//go:build !unix

package http

import "io/fs"

// checkOwner checks nothing here: on Windows owners and access are ACLs,
// which a folder created under the user's own temporary folder inherits
// from it.
func checkOwner(fs.FileInfo) error { return nil }
