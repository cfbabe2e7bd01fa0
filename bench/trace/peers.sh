#!/usr/bin/env bash
# Generates the synthetic city (PEOPLE, default 1,000,000, over 14 days), dumps ningan's
# presences and answers (SECONDARY of the CASES sampled cases also for secondary contacts),
# starts a throwaway PostgreSQL cluster, and runs bench/trace/peers.py
# against DuckDB and PostgreSQL. Needs `pip install duckdb 'psycopg[binary]'` and the
# PostgreSQL server binaries.
set -euo pipefail
cd "$(dirname "$0")/../.."
people=${PEOPLE:-1000000}
cases=${CASES:-100}
secondary=${SECONDARY:-20}
work=$(mktemp -d)
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$work"
cleanup() { as_pg "$bin/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
as_pg "$bin/initdb" -D "$work/pg" -A trust -U postgres --no-sync >/dev/null
as_pg "$bin/pg_ctl" -D "$work/pg" -o "-p $port -k $work -c listen_addresses=127.0.0.1 -c shared_buffers=4GB -c work_mem=256MB -c max_parallel_workers_per_gather=2" -l "$work/pg.log" -w start >/dev/null
mkdir -p "$work/dump" && chmod 777 "$work/dump"
cargo bench -p ningan-trace --bench city -- --people "$people" --days 14 --cases "$cases" --dump "$work/dump"
python3 bench/trace/peers.py "$work/dump" --secondary-cases "$secondary" --pg "postgres://postgres@127.0.0.1:$port/postgres"
