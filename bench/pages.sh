#!/usr/bin/env bash
# Builds ningan in release, generates the demo city (100k residents unless PEOPLE is set) in
# a temporary directory, serves it, and runs bench/pages.py against it.
#   bash bench/pages.sh            # 100,000 residents
#   PEOPLE=1000000 bash bench/pages.sh
set -euo pipefail
cd "$(dirname "$0")/.."
people=${PEOPLE:-100000}
port=${PORT:-18090}
cargo build --release -p ningan >&2
dir=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
SECONDS=0
./target/release/ningan demo --data "$dir" --people "$people" --no-serve > "$dir/logins.txt"
echo "generated $people residents in ${SECONDS} s" >&2
NINGAN_LOG=warn ./target/release/ningan serve --data "$dir" --listen "127.0.0.1:$port" > /dev/null 2>&1 &
pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" > /dev/null && break; sleep 0.1; done
python3 bench/pages.py --base "http://127.0.0.1:$port" --logins "$dir/logins.txt" -n "${N:-200}"
