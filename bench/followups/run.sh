#!/usr/bin/env bash
# Follow-up lists at a million contacts: release build, demo city (PEOPLE, default 100,000)
# on each backend in BACKEND (default "sqlite postgres"; see ../city.sh), N follow-ups
# (default 1,000,000) written by fill.py, served, timed by time.py.
#   bash bench/followups/run.sh
#   BACKEND=postgres N=100000 bash bench/followups/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${N:-1000000}
port=${PORT:-18096}
for backend in ${BACKEND:-sqlite postgres}; do
  (
    source bench/city.sh
    if [ "$backend" = postgres ]; then
      city_pg "$port" "${PGPORT:-25436}" python3 bench/followups/fill.py -n "$n"
    else
      city_sqlite "$port" python3 bench/followups/fill.py -n "$n"
    fi
    echo "== $backend, $people residents, $n follow-ups =="
    python3 bench/followups/time.py --base "http://127.0.0.1:$port" --logins "$dir/logins.txt" -n "${REQUESTS:-100}"
  )
  port=$((port + 1))
done
