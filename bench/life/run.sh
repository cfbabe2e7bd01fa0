#!/usr/bin/env bash
# Life first's map layer over 100,000 risk points on the embedded SQLite: release build, demo
# city (PEOPLE, default 100,000), fill.py's copied points, timed by time.py (see ../city.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/city.sh
port=${PORT:-18099}
city_sqlite "$port" python3 bench/life/fill.py -n "${N:-100000}"
python3 bench/life/time.py --base "http://127.0.0.1:$port" --logins "$dir/logins.txt" --db "$dir/ningan.db" -n "${REQUESTS:-100}"
