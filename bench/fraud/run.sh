#!/usr/bin/env bash
# Anti-fraud benchmarks, both recorded in bench/RESULTS.md:
#  1. the engine alone: signals scored per second on one core against the shipped rules,
#     against only parsing the same NDJSON (cargo bench -p ningan-fraud --bench score);
#  2. through the server: a steady RATE signals/s (default 5000) of NDJSON batches for
#     SECONDS (default 30) against a demo city of PEOPLE residents (default 20,000), with
#     red-warning journeys inside; reports batch latency, posted→task-readable latency
#     p50/p99, and the unthrottled ceiling in the same run.
#   bash bench/fraud/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
people=${PEOPLE:-20000}
port=${PORT:-18093}
rate=${RATE:-5000}
seconds=${SECONDS_RUN:-30}
echo "== engine alone (one core) =="
cargo bench -p ningan-fraud --bench score -- --signals "${SIGNALS:-2000000}" 2>/dev/null | tail -5
cargo build --release -p ningan >&2
cargo bench -p ningan --bench fraud_server --no-run >&2
dir=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
./target/release/ningan demo --data "$dir" --people "$people" --no-serve > "$dir/logins.txt" 2> "$dir/demo.log"
password=$(awk '$1 == "analyst" {print $2}' "$dir/logins.txt")
reader=$(awk '$1 == "commander" {print $2}' "$dir/logins.txt")
NINGAN_LOG=warn ./target/release/ningan serve --data "$dir" --listen "127.0.0.1:$port" > /dev/null 2>&1 &
pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" > /dev/null && break; sleep 0.1; done
echo "== through the server (demo city $people residents, embedded SQLite) =="
cargo bench -p ningan --bench fraud_server -- --base "http://127.0.0.1:$port" --user analyst --password "$password" --reader-password "$reader" \
  --rate "$rate" --seconds "$seconds"
