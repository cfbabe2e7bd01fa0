#!/usr/bin/env bash
# The same bench as run.sh on PostgreSQL, on a throwaway cluster (see ../city.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/city.sh
port=${PORT:-18100}
city_pg "$port" "${PGPORT:-25433}" python3 bench/life/fill.py -n "${N:-100000}"
python3 bench/life/time.py --base "http://127.0.0.1:$port" --logins "$dir/logins.txt" --pg "$url" -n "${REQUESTS:-100}"
