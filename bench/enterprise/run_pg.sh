#!/usr/bin/env bash
# The same bench as run.sh on PostgreSQL, on a throwaway cluster (see ../city.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/city.sh
port=${PORT:-18098}
city_pg "$port" "${PGPORT:-25432}" python3 bench/enterprise/fill.py -n "${N:-100000}" -m "${M:-1000000}"
python3 bench/enterprise/time.py --base "http://127.0.0.1:$port" --logins "$dir/logins.txt" --pg "$url" -n "${REQUESTS:-100}"
