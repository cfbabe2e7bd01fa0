#!/usr/bin/env bash
# Builds ningan in release, generates the demo city (100k residents unless PEOPLE is set) on
# each backend in BACKEND (default "sqlite postgres"; PostgreSQL is a throwaway cluster from
# the installed server binaries, see city.sh), serves it, and runs bench/pages.py against it.
#   bash bench/pages.sh                          # 100,000 residents, both backends
#   PEOPLE=1000000 BACKEND=postgres bash bench/pages.sh
set -euo pipefail
cd "$(dirname "$0")/.."
port=${PORT:-18090}
for backend in ${BACKEND:-sqlite postgres}; do
  (
    source bench/city.sh
    SECONDS=0
    if [ "$backend" = postgres ]; then city_pg "$port" "${PGPORT:-25434}" true; else city_sqlite "$port" true; fi
    echo "== $backend: generated and served $people residents in ${SECONDS} s ==" >&2
    echo "== $backend, $people residents =="
    python3 bench/pages.py --base "http://127.0.0.1:$port" --logins "$dir/logins.txt" -n "${N:-200}"
  )
  port=$((port + 1))
done
