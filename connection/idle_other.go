//go:build !unix

package connection

// usesGoroutinePool: gnet's Windows build runs its loops' work on the pool.
const usesGoroutinePool = true
