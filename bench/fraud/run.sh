#!/usr/bin/env bash
# Anti-fraud benchmarks, recorded in bench/RESULTS.md:
#  1. the engine alone: signals scored per second on one core against the shipped rules,
#     against only parsing the same NDJSON (cargo bench -p ningan-fraud --bench score);
#  2. through the server, on each backend in BACKEND (default "sqlite postgres"; PostgreSQL
#     is a throwaway cluster from the installed server binaries, see ../city.sh): a steady
#     RATE signals/s (default 5000) of NDJSON batches for SECONDS_RUN (default 30) against a
#     demo city of PEOPLE residents (default 20,000), with red-warning journeys inside;
#     reports batch latency, posted→task-readable latency p50/p99, and the unthrottled
#     ceiling from eight senders at 100 and at 1,000 signals per batch in the same run;
#  3. the ratios the goals are stated in: ceiling / steady rate, ceiling / engine alone.
#   bash bench/fraud/run.sh
#   BACKEND=postgres bash bench/fraud/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
export PEOPLE=${PEOPLE:-20000}
rate=${RATE:-5000}
seconds=${SECONDS_RUN:-30}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "== engine alone (one core) =="
cargo bench -p ningan-fraud --bench score -- --signals "${SIGNALS:-2000000}" 2>/dev/null | tail -5 | tee "$out/engine.txt"
# GEN=path runs an already built load generator (target/release/deps/fraud_server-*).
[ -z "${GEN:-}" ] && cargo bench -p ningan --bench fraud_server --no-run >&2
generate() { if [ -n "${GEN:-}" ]; then "$GEN" "$@"; else cargo bench -p ningan --bench fraud_server -- "$@"; fi; }
load() { # BACKEND PORT: serves a city on BACKEND and runs the load generator against it
  (
    source bench/city.sh
    if [ "$1" = postgres ]; then city_pg "$2" "${PGPORT:-25433}" true; else city_sqlite "$2" true; fi
    password=$(awk '$1 == "analyst" {print $2}' "$dir/logins.txt")
    reader=$(awk '$1 == "commander" {print $2}' "$dir/logins.txt")
    echo "== through the server ($1, demo city $PEOPLE residents) =="
    generate --base "http://127.0.0.1:$2" --user analyst \
      --password "$password" --reader-password "$reader" --rate "$rate" --seconds "$seconds"
  )
}
port=${PORT:-18093}
for backend in ${BACKEND:-sqlite postgres}; do
  load "$backend" "$port" | tee "$out/$backend.txt"
  port=$((port + 1))
done
echo "== ratios (same run) =="
engine=$(awk '/parse \+ score/ {print $4}' "$out/engine.txt")
for backend in ${BACKEND:-sqlite postgres}; do
  awk -v b="$backend" -v rate="$rate" -v engine="$engine" '
    /^ceiling:/ { for (i = 1; i <= NF; i++) if ($i == "signals/s") c = $(i - 1); per = $2 " " $3
                  printf "%-9s ceiling %-11s %8.0f/s = %5.1f x the steady %d/s, %5.2f %% of the engine alone (%d/s)\n",
                         b, per, c, c / rate, rate, 100 * c / engine, engine }
    /red warning posted/ { p99 = $0; sub(/.*p99 /, "", p99); sub(/ ms.*/, "", p99)
                  printf "%-9s posted -> task readable p99 %s ms at %d/s offered\n", b, p99, rate }' "$out/$backend.txt"
done
