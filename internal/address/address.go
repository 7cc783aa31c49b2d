// Package address parses Workerman-style listen and connect addresses such as
// "text://0.0.0.0:2000" into a scheme and a host:port.
package address

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Parse splits "scheme://host:port" and checks both parts. A missing host
// ("text://:2000") means every interface. The port must be a number from 0
// to 65535 (0: the system picks one).
func Parse(s string) (scheme, hostport string, err error) {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok || scheme == "" {
		return "", "", fmt.Errorf("address %q: want scheme://host:port, for example text://0.0.0.0:2000", s)
	}
	scheme = strings.ToLower(scheme)
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i] // a path belongs to the protocol (ws://host/path), not to the socket
	}
	host, port, err := net.SplitHostPort(rest)
	if err != nil {
		return "", "", fmt.Errorf("address %q: %w", s, err)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return "", "", fmt.Errorf("address %q: port %q is not a number from 0 to 65535", s, port)
	}
	return scheme, net.JoinHostPort(host, port), nil
}

// WithHostPort replaces the host:port of a "scheme://host:port[/path]"
// address, keeping its scheme and path.
func WithHostPort(s, hostport string) (string, error) {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return "", fmt.Errorf("address %q: want scheme://host:port", s)
	}
	if _, _, err := net.SplitHostPort(hostport); err != nil {
		return "", fmt.Errorf("listen address %q: %w", hostport, err)
	}
	tail := ""
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		tail = rest[i:]
	}
	return scheme + "://" + hostport + tail, nil
}
