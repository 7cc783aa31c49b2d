//go:build unix

package connection

// usesGoroutinePool: on Unix, gnet's pool serves only EventLoop.Register
// and Enroll, which the engine does not call.
const usesGoroutinePool = false
