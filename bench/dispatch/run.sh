#!/usr/bin/env bash
# Dispatch proposals: the nearest 5 of 2,000 units by travel time over the demo city's roads,
# answered by ningan-route and, in the same run, by pgRouting on a throwaway PostgreSQL
# cluster (same edges, same whole-millisecond costs); prints both timings, the ratio and
# whether the answers are identical. Needs pgRouting (Debian package postgresql-15-pgrouting).
#   bash bench/dispatch/run.sh            # QUESTIONS=2000 PG_QUESTIONS=200 UNITS=2000
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
ls /usr/share/postgresql/*/extension/pgrouting.control > /dev/null 2>&1 \
  || { echo "needs pgRouting: apt-get install postgresql-15-pgrouting" >&2; exit 2; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pgport=${PGPORT_BENCH:-15491}
dir=$(mktemp -d)
chmod 755 "$dir"
mkdir "$dir/pg"
[ "$(id -u)" = 0 ] && chown postgres:postgres "$dir/pg"
trap 'as_pg "$bin/pg_ctl" -D "$dir/pg" -m immediate stop > /dev/null 2>&1 || true; rm -rf "$dir"' EXIT
as_pg "$bin/initdb" -D "$dir/pg" -A trust -U postgres -E UTF8 --locale=C.UTF-8 > /dev/null
as_pg "$bin/pg_ctl" -D "$dir/pg" -o "-p $pgport -k /tmp -c listen_addresses=127.0.0.1" -l "$dir/pg/server.log" -w start > /dev/null
cargo bench -p ningan --bench dispatch -- \
  --pg "postgres://postgres@127.0.0.1:$pgport/postgres" \
  --questions "${QUESTIONS:-2000}" --pg-questions "${PG_QUESTIONS:-200}" --units "${UNITS:-2000}"
