#!/usr/bin/env bash
# The live board: RATE position reports a second (default 1,000) from UNITS device-bound
# units (default 100) posted through the API for SECONDS (default 20) while CLIENTS (default
# 50) workbenches follow /api/command/board/events; per delivery the lag from posting to the
# client reading it, and anything a client missed; then the bare HTTP stack (axum SSE, no
# auth, no storage) carrying the same load in the same run, and the ratio. On the embedded
# SQLite, then on a throwaway PostgreSQL cluster.
#   bash bench/board/run.sh           # PEOPLE=2000 RATE=1000 CLIENTS=50 UNITS=100 SECONDS_RUN=20
set -euo pipefail
cd "$(dirname "$0")/../.."
export PEOPLE=${PEOPLE:-2000}
cargo bench -p ningan --bench board --no-run >&2
args=(--rate "${RATE:-1000}" --clients "${CLIENTS:-50}" --units "${UNITS:-100}" --seconds "${SECONDS_RUN:-20}")
(
  source bench/city.sh
  city_sqlite "${PORT:-18110}" true
  echo "== embedded SQLite =="
  cargo bench -p ningan --bench board -- --base "http://127.0.0.1:${PORT:-18110}" --logins "$dir/logins.txt" "${args[@]}"
)
(
  export BIN=./target/release/ningan
  source bench/city.sh
  city_pg "${PORT:-18110}" "${PGPORT:-25434}" true
  echo "== PostgreSQL =="
  cargo bench -p ningan --bench board -- --base "http://127.0.0.1:${PORT:-18110}" --logins "$dir/logins.txt" "${args[@]}"
)
