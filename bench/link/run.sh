#!/usr/bin/env bash
# Link analysis on a synthetic city of RELATIONS records (10 million by default): ningan-link
# against PostgreSQL's recursive CTEs on a throwaway cluster (same answers checked) and its
# Louvain against python-igraph's Leiden (pip install python-igraph) on the same pairs.
#   bash bench/link/run.sh            # RELATIONS=10000000 QUERIES=1000 PG_QUERIES=20
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pgport=${PGPORT_BENCH:-15493}
dir=$(mktemp -d)
chmod 755 "$dir"
mkdir "$dir/pg"
[ "$(id -u)" = 0 ] && chown postgres:postgres "$dir/pg"
trap 'as_pg "$bin/pg_ctl" -D "$dir/pg" -m immediate stop > /dev/null 2>&1 || true; rm -rf "$dir"' EXIT
as_pg "$bin/initdb" -D "$dir/pg" -A trust -U postgres -E UTF8 --locale=C.UTF-8 > /dev/null
as_pg "$bin/pg_ctl" -D "$dir/pg" -o "-p $pgport -k /tmp -c listen_addresses=127.0.0.1 -c shared_buffers=2GB -c work_mem=256MB" \
  -l "$dir/pg/server.log" -w start > /dev/null
cargo bench -p ningan --bench link -- \
  --relations "${RELATIONS:-10000000}" --queries "${QUERIES:-1000}" --pg-queries "${PG_QUERIES:-20}" \
  --pg "postgres://postgres@127.0.0.1:$pgport/postgres" --edges-out "$dir/edges.txt" | tee "$dir/ours.txt"
python3 bench/link/leiden.py "$dir/edges.txt" | tee "$dir/leiden.txt"
ours=$(sed -n 's/^louvain: .*, \([0-9.]*\) s$/\1/p' "$dir/ours.txt")
theirs=$(sed -n 's/^leiden: .*, \([0-9.]*\) s$/\1/p' "$dir/leiden.txt")
python3 -c "print(f'ratio (igraph Leiden s / ningan-link Louvain s): {float($theirs) / max(float($ours), 1e-9):.2f}×')"
