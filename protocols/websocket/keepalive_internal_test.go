package websocket

import (
	"testing"
	"time"

	"github.com/workerman-go/workerman/protocols"
)

// PingInterval and IdleTimeout as a connection applies them, on either
// side: 0 is the default, negative is off, and a zero IdleTimeout is twice
// the ping interval.
func TestKeepaliveSettings(t *testing.T) {
	const s = time.Second
	for _, tc := range []struct {
		ping, idle         time.Duration // options
		wantPing, wantIdle time.Duration // applied; 0: off
		every              time.Duration // the sweep's interval
	}{
		{0, 0, DefaultPingInterval, DefaultIdleTimeout, DefaultPingInterval / 4},
		{0, 0, 30 * s, 60 * s, 7500 * time.Millisecond},
		{10 * s, 0, 10 * s, 20 * s, 2500 * time.Millisecond},
		{0, 45 * s, 30 * s, 45 * s, 7500 * time.Millisecond},
		{0, 20 * s, 30 * s, 20 * s, 5 * s},
		{-1, 0, 0, DefaultIdleTimeout, 15 * s},
		{-1, 8 * s, 0, 8 * s, 2 * s},
		{0, -1, DefaultPingInterval, 0, 7500 * time.Millisecond},
		{4 * s, -time.Hour, 4 * s, 0, s},
		{-1, -1, 0, 0, 0},
	} {
		for _, side := range []struct {
			name string
			set  *connSettings
		}{
			{"server", (&Options{PingInterval: tc.ping, IdleTimeout: tc.idle}).settings(1 << 20)},
			{"websocket:// server", Protocol(Options{PingInterval: tc.ping, IdleTimeout: tc.idle}).NewCodec(protocols.Limits{MaxPackageSize: 1 << 20}).(*codec).set},
			{"client", (&clientProtocol{opts: ClientOptions{PingInterval: tc.ping, IdleTimeout: tc.idle}}).NewCodec(protocols.Limits{MaxPackageSize: 1 << 20}).(*codec).set},
		} {
			if got := side.set; got.pingInterval != tc.wantPing || got.idleTimeout != tc.wantIdle || got.checkEvery != tc.every {
				t.Errorf("%s, PingInterval %v, IdleTimeout %v: ping %v, idle %v, checked every %v; want %v, %v, %v",
					side.name, tc.ping, tc.idle, got.pingInterval, got.idleTimeout, got.checkEvery, tc.wantPing, tc.wantIdle, tc.every)
			}
		}
	}
}
