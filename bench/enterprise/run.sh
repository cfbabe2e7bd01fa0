#!/usr/bin/env bash
# Enterprise services at 100,000 enterprises and a million requests on the embedded SQLite:
# release build, demo city (PEOPLE, default 100,000), fill.py's bulk rows, timed by time.py
# (see ../city.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/city.sh
port=${PORT:-18097}
city_sqlite "$port" python3 bench/enterprise/fill.py -n "${N:-100000}" -m "${M:-1000000}"
python3 bench/enterprise/time.py --base "http://127.0.0.1:$port" --logins "$dir/logins.txt" --db "$dir/ningan.db" -n "${REQUESTS:-100}"
