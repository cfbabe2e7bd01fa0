#!/usr/bin/env bash
# Gate checks under load: builds ningan in release, generates the demo city (PEOPLE, default
# 100,000) on each backend in BACKEND (default "sqlite postgres"; see ../city.sh), serves it,
# prepares a gate with passes (setup.py), then runs wrk in the same run against the server's
# plain /healthz and against POST /api/gates/{id}/check, and prints the throughput ratio and
# the latency percentiles. Needs wrk (Debian package `wrk`).
#   bash bench/gates/run.sh
#   BACKEND=postgres bash bench/gates/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v wrk > /dev/null || { echo "needs wrk: apt-get install wrk" >&2; exit 2; }
port=${PORT:-18091}
duration=${DURATION:-15s}
conns=${CONNS:-32}
# One backend: a city served on it (see ../city.sh), the three wrk runs, the table.
run() {
  source bench/city.sh
  if [ "$1" = postgres ]; then city_pg "$port" "${PGPORT:-25435}" true; else city_sqlite "$port" true; fi
  python3 bench/gates/setup.py --base "http://127.0.0.1:$port" --logins "$dir/logins.txt" --out "$dir"
  gate=$(python3 -c "import json; print(json.load(open('$dir/gate.json'))['gate'])")
  # Warm both paths (the device cache, the registry, the signing key).
  wrk -t2 -c"$conns" -d2s -s "$dir/check.lua" "http://127.0.0.1:$port/api/gates/$gate/check" > /dev/null
  wrk -t2 -c"$conns" -d2s "http://127.0.0.1:$port/healthz" > /dev/null
  wrk -t2 -c"$conns" -d"$duration" --latency "http://127.0.0.1:$port/livez" > "$dir/livez.txt"
  wrk -t2 -c"$conns" -d"$duration" --latency "http://127.0.0.1:$port/healthz" > "$dir/healthz.txt"
  wrk -t2 -c"$conns" -d"$duration" --latency -s "$dir/check.lua" "http://127.0.0.1:$port/api/gates/$gate/check" > "$dir/check.txt"
  echo "== $1 =="
  table "$dir/livez.txt" "$dir/healthz.txt" "$dir/check.txt" "$people" "$conns"
}
table() {
python3 - "$@" <<'PY'
import re, sys
def read(path):
    text = open(path).read()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    pct = {m.group(1): m.group(2) for m in re.finditer(r"\s+(50|75|90|99)%\s+(\S+)", text)}
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    return rps, pct, int(non2xx.group(1)) if non2xx else 0
l, h, c = read(sys.argv[1]), read(sys.argv[2]), read(sys.argv[3])
print(f"demo city {sys.argv[4]} residents, wrk -t2 -c{sys.argv[5]}, same server, same run")
print(f"{'route':28} {'req/s':>10} {'p50':>9} {'p90':>9} {'p99':>9} {'non-2xx':>8}")
for name, (rps, pct, bad) in [("GET /livez (no database)", l), ("GET /healthz (pings the db)", h), ("POST /api/gates/{id}/check", c)]:
    print(f"{name:28} {rps:10.0f} {pct.get('50','-'):>9} {pct.get('90','-'):>9} {pct.get('99','-'):>9} {bad:>8}")
print(f"gate checks at {100 * c[0] / h[0]:.0f} % of /healthz and {100 * c[0] / l[0]:.0f} % of /livez throughput (goal ≥ 80 % of /healthz)")
PY
}
for backend in ${BACKEND:-sqlite postgres}; do
  (run "$backend")
  port=$((port + 1))
done
