#!/usr/bin/env bash
# Life first's map layer over 100,000 risk points: release build, demo city
# (PEOPLE, default 100,000), fill.py's copied points, served on the embedded SQLite, timed by time.py.
set -euo pipefail
cd "$(dirname "$0")/../.."
people=${PEOPLE:-100000}
port=${PORT:-18099}
# BIN=target/debug/ningan tries the script on a debug build (figures then mean nothing).
bin_ningan=${BIN:-./target/release/ningan}
[ -z "${BIN:-}" ] && cargo build --release -p ningan >&2
dir=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
"$bin_ningan" demo --data "$dir" --people "$people" --no-serve > "$dir/logins.txt" 2> /dev/null
python3 bench/life/fill.py "$dir" -n "${N:-100000}"
NINGAN_LOG=warn "$bin_ningan" serve --data "$dir" --listen "127.0.0.1:$port" > /dev/null 2>&1 &
pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/livez" > /dev/null && break; sleep 0.1; done
python3 bench/life/time.py --base "http://127.0.0.1:$port" --logins "$dir/logins.txt" --db "$dir/ningan.db" -n "${REQUESTS:-100}"
