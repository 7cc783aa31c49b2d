// Package gnetlog adapts gnet's logger interface to log/slog, so that the
// engine's own messages go wherever the application sends its logs.
package gnetlog

import (
	"fmt"
	"log/slog"
)

// Logger implements gnet's logging.Logger on top of a *slog.Logger. gnet's
// debug and info chatter (such as "Launching gnet with 4 event-loops") is
// logged at debug level; warnings and errors keep their level.
type Logger struct{ L *slog.Logger }

func (l Logger) log() *slog.Logger {
	if l.L == nil {
		return slog.Default()
	}
	return l.L
}

// Debugf logs at debug level.
func (l Logger) Debugf(format string, args ...any) {
	l.log().Debug(fmt.Sprintf(format, args...), "component", "gnet")
}

// Infof logs at debug level: gnet's informational messages are noise for a
// framework user.
func (l Logger) Infof(format string, args ...any) {
	l.log().Debug(fmt.Sprintf(format, args...), "component", "gnet")
}

// Warnf logs at warn level.
func (l Logger) Warnf(format string, args ...any) {
	l.log().Warn(fmt.Sprintf(format, args...), "component", "gnet")
}

// Errorf logs at error level.
func (l Logger) Errorf(format string, args ...any) {
	l.log().Error(fmt.Sprintf(format, args...), "component", "gnet")
}

// Fatalf logs at error level. gnet calls it for unrecoverable engine errors;
// the engine stops and the Worker reports the error, so the process is not
// exited here.
func (l Logger) Fatalf(format string, args ...any) {
	l.log().Error(fmt.Sprintf(format, args...), "component", "gnet", "fatal", true)
}
