#!/usr/bin/env bash
# Follow-up lists at a million contacts: release build, demo city (PEOPLE, default 100,000),
# N follow-ups (default 1,000,000) written by fill.py, served, timed by time.py.
set -euo pipefail
cd "$(dirname "$0")/../.."
people=${PEOPLE:-100000}
n=${N:-1000000}
port=${PORT:-18096}
cargo build --release -p ningan >&2
dir=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
./target/release/ningan demo --data "$dir" --people "$people" --no-serve > "$dir/logins.txt" 2> /dev/null
python3 bench/followups/fill.py "$dir" -n "$n"
NINGAN_LOG=warn ./target/release/ningan serve --data "$dir" --listen "127.0.0.1:$port" > /dev/null 2>&1 &
pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/livez" > /dev/null && break; sleep 0.1; done
python3 bench/followups/time.py --base "http://127.0.0.1:$port" --logins "$dir/logins.txt" -n "${REQUESTS:-100}"
