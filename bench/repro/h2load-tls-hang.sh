#!/bin/bash
# Reproduces an intermittent hang (issue 15, open): about one fresh-server
# run in 100 of h2load over TLS against bench/servers/httpwm never ends,
# with server sockets holding unread bytes that gnet does not read.
# Usage (from the repository root): bash bench/repro/h2load-tls-hang.sh [runs] [https|http]
# Needs h2load (Debian: nghttp2-client). On a hang it keeps, in $dir: the
# h2load output, `ss -tni` of the port, and the server's goroutines (SIGQUIT).
set -u
runs=${1:-150}; scheme=${2:-https}
dir=$(mktemp -d /tmp/h2hang.XXXXXX)
(cd bench && go build -o "$dir/httpwm" ./servers/httpwm) || exit 1
go run ./examples/devcert -dir "$dir" > /dev/null || exit 1
port=19445
args=""; [ "$scheme" = https ] && args="-tls-cert $dir/cert.pem -tls-key $dir/key.pem"
for i in $(seq 1 "$runs"); do
  : > "$dir/hw.out"
  taskset -c 0 "$dir/httpwm" -listen 127.0.0.1:$port $args start > "$dir/hw.out" 2> "$dir/hw.err" & hw=$!
  for _ in $(seq 1 20); do grep -q LISTENING "$dir/hw.out" && break; sleep 0.1; done
  taskset -c 1 h2load -c100 -m10 -t1 -D 1 "$scheme://127.0.0.1:$port/" > "$dir/h2load.txt" 2>&1 & h=$!
  for _ in $(seq 1 150); do kill -0 $h 2>/dev/null || break; sleep 0.1; done
  if kill -0 $h 2>/dev/null; then
    echo "hang at run $i; state in $dir"
    ss -tni state all "( sport = :$port or dport = :$port )" > "$dir/hang-ss.txt" 2>&1
    kill -QUIT $hw; sleep 0.5; cp "$dir/hw.err" "$dir/hang-server-goroutines.txt"
    kill $h 2>/dev/null; kill -9 $hw 2>/dev/null; wait 2>/dev/null
    exit 1
  fi
  wait $h
  kill $hw; wait $hw 2>/dev/null
done
echo "no hang in $runs runs"; rm -rf "$dir"
