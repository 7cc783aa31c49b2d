// Command gnetecho is a minimal gnet v2 echo server, the ceiling of what an
// event-loop engine can do on this machine: OnTraffic writes back whatever
// arrived.
//
// It runs one event loop per CPU (multicore) with SO_REUSEPORT. With port 0,
// every reuseport listener would get a port of its own, so a free port is
// chosen first (bind to port 0, read the port, close) and given to gnet.
//
// It prints "LISTENING <addr>" on stdout once the listener is bound.
package main

import (
	"flag"
	"fmt"
	"net"
	"os"

	"github.com/panjf2000/gnet/v2"
)

type echo struct {
	gnet.BuiltinEventEngine
	addr string
}

func (e *echo) OnBoot(gnet.Engine) gnet.Action {
	fmt.Println("LISTENING", e.addr)
	return gnet.None
}

func (e *echo) OnTraffic(c gnet.Conn) gnet.Action {
	buf, _ := c.Next(-1)
	c.Write(buf)
	return gnet.None
}

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on (port 0: any free port)")
	reusePort := flag.Bool("reuseport", true, "one SO_REUSEPORT listener per event loop")
	flag.Parse()

	addr, err := resolvePort(*listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gnetecho:", err)
		os.Exit(1)
	}
	err = gnet.Run(&echo{addr: addr}, "tcp://"+addr,
		gnet.WithMulticore(true),
		gnet.WithReusePort(*reusePort))
	if err != nil {
		fmt.Fprintln(os.Stderr, "gnetecho:", err)
		os.Exit(1)
	}
}

// resolvePort replaces port 0 in addr by a port that is free right now.
func resolvePort(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", err
	}
	if port != "0" {
		return addr, nil
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
