# Shared by the module benches' run scripts (source it): the release binary, and a demo city
# served on SQLite or on a throwaway PostgreSQL cluster from the installed server binaries
# (run as the postgres user when root).
#
#   BIN=target/debug/ningan  tries a script on a debug build (figures then mean nothing)
#   KEEP=DIR                 keeps the filled PostgreSQL cluster there (its server stays up)
#   PEOPLE=N                 the demo city's size (default 100,000)

people=${PEOPLE:-100000}
bin_ningan=${BIN:-${CARGO_TARGET_DIR:-./target}/release/ningan}
[ -z "${BIN:-}" ] && cargo build --release -p ningan >&2
pid=
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

# city_sqlite PORT FILL...: a demo city in a fresh directory ($dir), filled by the command
# FILL with the directory appended, then served on PORT; cleaned up on exit.
city_sqlite() {
  local port=$1
  shift
  dir=$(mktemp -d)
  trap city_sqlite_cleanup EXIT
  "$bin_ningan" demo --data "$dir" --people "$people" --no-serve > "$dir/logins.txt" 2> /dev/null
  "$@" "$dir"
  NINGAN_LOG=warn "$bin_ningan" serve --data "$dir" --listen "127.0.0.1:$port" > /dev/null 2>&1 &
  pid=$!
  wait_for "$port"
}

# The server is stopped and waited for, so it writes nothing into the directory being removed.
city_sqlite_cleanup() {
  stop_server
  rm -rf "$dir" || true
}

stop_server() {
  if [ -n "$pid" ]; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
}

# city_pg PORT PGPORT FILL...: the same on PostgreSQL ($url), FILL given `--pg URL`.
city_pg() {
  local port=$1 pgport=$2
  shift 2
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  dir=${KEEP:-$(mktemp -d)}
  mkdir -p "$dir"
  chmod 755 "$dir"
  pg_bin=$bin
  trap city_pg_cleanup EXIT
  mkdir "$dir/pg" "$dir/data"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir/pg"
  as_pg "$bin/initdb" -D "$dir/pg" -A trust -U postgres -E UTF8 --locale=C.UTF-8 > /dev/null
  as_pg "$bin/pg_ctl" -D "$dir/pg" -o "-p $pgport -k /tmp -c listen_addresses=127.0.0.1" -l "$dir/pg/server.log" -w start > /dev/null
  url="postgres://postgres@127.0.0.1:$pgport/postgres"
  "$bin_ningan" demo --data "$dir/data" --database-url "$url" --people "$people" --no-serve > "$dir/logins.txt" 2> /dev/null
  "$@" --pg "$url"
  # What autovacuum does for a database that has run a while: planner statistics, and the
  # visibility map that lets a count read an index alone.
  psql "$url" -q -c "VACUUM ANALYZE"
  NINGAN_LOG=warn "$bin_ningan" serve --data "$dir/data" --database-url "$url" --listen "127.0.0.1:$port" > /dev/null 2>&1 &
  pid=$!
  wait_for "$port"
}

city_pg_cleanup() {
  stop_server
  [ -n "${KEEP:-}" ] && { echo "kept: $dir, psql $url" >&2; return; }
  as_pg "$pg_bin/pg_ctl" -D "$dir/pg" -m immediate stop > /dev/null 2>&1 || true
  rm -rf "$dir"
}

wait_for() {
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$1/livez" > /dev/null && break; sleep 0.1; done
}
