#!/usr/bin/env bash
# The same bench as run.sh on PostgreSQL: a throwaway cluster from the installed server
# binaries (run as the postgres user when root), the demo city and fill.py's rows through psql.
set -euo pipefail
cd "$(dirname "$0")/../.."
people=${PEOPLE:-100000}
port=${PORT:-18100}
pgport=${PGPORT:-25433}
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
# BIN=target/debug/ningan tries the script on a debug build (figures then mean nothing).
bin_ningan=${BIN:-./target/release/ningan}
[ -z "${BIN:-}" ] && cargo build --release -p ningan >&2
# KEEP=DIR keeps the filled cluster there for looking at plans (its server stays up).
dir=${KEEP:-$(mktemp -d)}
mkdir -p "$dir"
chmod 755 "$dir"
pid=
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  [ -n "${KEEP:-}" ] && { echo "kept: $dir, psql postgres://postgres@127.0.0.1:$pgport/postgres" >&2; return; }
  as_pg "$bin/pg_ctl" -D "$dir/pg" -m immediate stop > /dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
mkdir "$dir/pg" "$dir/data"
[ "$(id -u)" = 0 ] && chown postgres:postgres "$dir/pg"
as_pg "$bin/initdb" -D "$dir/pg" -A trust -U postgres -E UTF8 --locale=C.UTF-8 > /dev/null
as_pg "$bin/pg_ctl" -D "$dir/pg" -o "-p $pgport -k /tmp -c listen_addresses=127.0.0.1" -l "$dir/pg/server.log" -w start > /dev/null
url="postgres://postgres@127.0.0.1:$pgport/postgres"
"$bin_ningan" demo --data "$dir/data" --database-url "$url" --people "$people" --no-serve > "$dir/logins.txt" 2> /dev/null
python3 bench/life/fill.py --pg "$url" -n "${N:-100000}"
# What autovacuum does for a database that has run a while: planner statistics, and the
# visibility map that lets a count read an index alone.
psql "$url" -q -c "VACUUM ANALYZE"
NINGAN_LOG=warn "$bin_ningan" serve --data "$dir/data" --database-url "$url" --listen "127.0.0.1:$port" > /dev/null 2>&1 &
pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/livez" > /dev/null && break; sleep 0.1; done
python3 bench/life/time.py --base "http://127.0.0.1:$port" --logins "$dir/logins.txt" --pg "$url" -n "${REQUESTS:-100}"
