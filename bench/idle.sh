#!/bin/bash
# Idle CPU and wake-ups, side by side: the framework's HTTP hello server
# (bench/servers/httpwm) and net/http's (bench/servers/httpnet), each left
# alone after three requests. For each, over WINDOW seconds (default 10):
# the CPU time and the number of time slices (wake-ups) of all its threads,
# summed from /proc/PID/task/*/schedstat (nanosecond resolution, unlike
# /proc/PID/stat's 10 ms ticks). Linux only; needs curl.
#
#   bash bench/idle.sh [WINDOW]     (make bench-idle)
set -euo pipefail
window=${1:-10}
cd "$(dirname "$0")"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
go build -o "$dir/httpwm" ./servers/httpwm
go build -o "$dir/httpnet" ./servers/httpnet

measure() { # name, then the command
	local name=$1
	shift
	local out="$dir/${name//\//-}.out"
	"$@" >"$out" 2>&1 &
	local pid=$!
	local addr=""
	for _ in $(seq 100); do
		addr=$(grep -o "LISTENING [^ ]*" "$out" | cut -d' ' -f2 || true)
		[ -n "$addr" ] && break
		sleep 0.1
	done
	[ -n "$addr" ] || { echo "$name did not start"; kill "$pid"; return 1; }
	for _ in 1 2 3; do curl -s "http://$addr/" >/dev/null; done
	sleep 2 # let the closes and the runtime settle
	snap() {
		local t=0 s=0 a b c
		for d in /proc/"$pid"/task/*; do
			read -r a b c <"$d/schedstat" || continue
			t=$((t + a))
			s=$((s + c))
		done
		echo "$t $s"
	}
	read -r t0 s0 < <(snap)
	sleep "$window"
	read -r t1 s1 < <(snap)
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	printf '%-8s %8d us CPU  %6d time slices  in %ss idle\n' "$name" $(((t1 - t0) / 1000)) $((s1 - s0)) "$window"
}
measure workerman-go "$dir/httpwm" -listen 127.0.0.1:0
measure net/http "$dir/httpnet" -listen 127.0.0.1:0
