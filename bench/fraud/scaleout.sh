#!/usr/bin/env bash
# Anti-fraud scale-out, recorded in bench/RESULTS.md: the same NATS signal stream scored by one
# process (fraud.consume_stream) and by three (fraud.partitions = 12, each scoring the
# partitions it leases), on each backend in BACKEND (default "sqlite postgres"), all on this
# machine. Per run: a steady RATE signals/s (default 5000) for SECONDS_RUN s (default 20) in
# 1,000-signal batches with victim journeys inside (published -> red task in the database),
# then BURST signals (default 200,000) unthrottled, timed until the last is in the signal
# log. Prints each run and the ratio three / one of the same backend.
#   bash bench/fraud/scaleout.sh
#   BACKEND=sqlite RATE=2000 bash bench/fraud/scaleout.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
people=${PEOPLE:-20000}
target=${CARGO_TARGET_DIR:-target}
cargo build --release -p ningan >&2
cargo bench -p ningan --bench fraud_scaleout --no-run >&2
gen=$(ls -t "$target"/release/deps/fraud_scaleout-* | grep -v '\.d$' | head -n 1)
bin=$target/release/ningan
nats_bin=$(command -v nats-server || echo /usr/sbin/nats-server)
work=$(mktemp -d)
chmod 755 "$work"
pids=()
pg_dir=
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
stop_all() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
}
cleanup() {
  stop_all
  [ -n "$pg_dir" ] && as_pg "$pg_bin/pg_ctl" -D "$pg_dir" -m immediate stop > /dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
wait_for() {
  for _ in $(seq 200); do curl -sf "http://127.0.0.1:$1/livez" > /dev/null && return; sleep 0.1; done
  echo "server on $1 did not start" >&2
  exit 1
}

# run BACKEND URL MODE PROCESSES PARTITIONS: a fresh NATS server, the scoring processes, the load.
run() {
  local backend=$1 url=$2 mode=$3 n=$4 parts=$5
  local nport=$((24222 + RANDOM % 1000)) port
  mkdir -p "$work/nats-$backend-$mode"
  "$nats_bin" -js -a 127.0.0.1 -p "$nport" -sd "$work/nats-$backend-$mode" > /dev/null 2>&1 &
  pids+=($!)
  sleep 1
  local first=
  for i in $(seq "$n"); do
    port=$((18300 + RANDOM % 1000))
    mkdir -p "$work/proc-$backend-$mode-$i"
    NINGAN_LOG=warn NINGAN_NATS__URL="nats://127.0.0.1:$nport" NINGAN_FRAUD__CONSUME_STREAM=true \
      NINGAN_FRAUD__PARTITIONS="$parts" \
      "$bin" serve --data "$work/proc-$backend-$mode-$i" --database-url "$url" --listen "127.0.0.1:$port" \
      > /dev/null 2>&1 &
    pids+=($!)
    wait_for "$port"
    [ -z "$first" ] && first=$port
  done
  # The partitions spread over the processes within a few lease ticks.
  [ "$n" -gt 1 ] && sleep 12
  "$gen" --nats "nats://127.0.0.1:$nport" --db "$url" --base "http://127.0.0.1:$first" \
    --password "$password" --label "$backend $mode" --rate "${RATE:-5000}" \
    --seconds "${SECONDS_RUN:-20}" --burst "${BURST:-200000}"
  stop_all
}

out=$work/out.txt
for backend in ${BACKEND:-sqlite postgres}; do
  if [ "$backend" = postgres ]; then
    pg_dir=$work/pg
    mkdir "$pg_dir"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$pg_dir"
    as_pg "$pg_bin/initdb" -D "$pg_dir" -A trust -U postgres -E UTF8 --locale=C.UTF-8 > /dev/null
    pgport=${PGPORT:-25443}
    as_pg "$pg_bin/pg_ctl" -D "$pg_dir" -o "-p $pgport -k /tmp -c listen_addresses=127.0.0.1" \
      -l "$pg_dir/server.log" -w start > /dev/null
    url="postgres://postgres@127.0.0.1:$pgport/postgres"
  else
    url="sqlite://$work/city/ningan.db"
  fi
  mkdir -p "$work/city"
  "$bin" demo --data "$work/city" --database-url "$url" --people "$people" --no-serve > "$work/logins.txt" 2> /dev/null
  password=$(awk '$1 == "analyst" {print $2}' "$work/logins.txt")
  echo "== $backend: demo city of $people residents =="
  run "$backend" "$url" one 1 0 | tee -a "$out"
  run "$backend" "$url" three 3 12 | tee -a "$out"
  rm -rf "$work/city"
done
echo "== ratios (same run): three processes / one =="
awk '
  / steady: / { for (i = 1; i <= NF; i++) if ($i == "signals/s") s[$1 " " $2] = $(i - 1) }
  / ceiling: / { for (i = 1; i <= NF; i++) if ($i == "signals/s") c[$1 " " $2] = $(i - 1) }
  /red warning/ { for (i = 1; i <= NF; i++) if ($i == "p99") p[$1 " " $2] = $(i + 1) }
  END { for (k in c) if (k ~ / one$/) { b = k; sub(/ one$/, "", b); t = b " three"
          printf "%-9s steady %6.0f / %6.0f signals/s = %.2f; ceiling %6.0f / %6.0f = %.2f; red p99 %s / %s ms\n",
                 b, s[t], s[k], s[t] / s[k], c[t], c[k], c[t] / c[k], p[t], p[k] } }' "$out"
