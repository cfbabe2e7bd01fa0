#!/usr/bin/env python3
"""Runs ningan's close-contact query on DuckDB (and PostgreSQL, given a URL) over the same
presences, checks that each returns exactly ningan's contacts for every sampled case, and
prints every engine's times.

Input: a directory written by
    cargo bench -p ningan-trace --bench city -- --people N --cases K --dump DIR
holding presences.parquet and ningan.json (the rule, the window, each case's contacts and
ningan's time). Needs `pip install duckdb` (and `psycopg[binary]` for PostgreSQL).

    python3 bench/trace/peers.py DIR [--pg postgres://user@host:port/db]
"""

import json
import statistics
import sys
import time

import duckdb

try:
    import psycopg
except ImportError:  # PostgreSQL is optional
    psycopg = None

# The 9th-edition rule as SQL: each of the case's visits in the window, clipped and widened
# by the buffers; merged per space where they overlap or touch (gaps and islands); then
# everyone else's presences in those windows, summed per person.
CLOSE_CONTACTS = """
WITH visits AS (
    SELECT space_id, greatest(start_s, $from) - $before AS wf, least(end_s, $to) + $after AS wt
    FROM p WHERE person_id = $case AND end_s > $from AND start_s < $to
), ordered AS (
    SELECT *, max(wt) OVER (PARTITION BY space_id ORDER BY wf, wt
                            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_to
    FROM visits
), islands AS (
    SELECT *, sum(CASE WHEN prev_to IS NULL OR wf > prev_to THEN 1 ELSE 0 END)
              OVER (PARTITION BY space_id ORDER BY wf, wt) AS island
    FROM ordered
), windows AS (
    SELECT space_id, min(wf) AS wf, max(wt) AS wt FROM islands GROUP BY space_id, island
), shared AS (
    SELECT q.person_id, least(q.end_s, w.wt) - greatest(q.start_s, w.wf) AS ov,
           greatest(q.start_s, w.wf) AS first_s, least(q.end_s, w.wt) AS last_s
    FROM windows w JOIN p q ON q.space_id = w.space_id AND q.start_s < w.wt AND q.end_s > w.wf
    WHERE q.person_id <> $case
)
SELECT person_id, sum(ov) AS total, count(*) AS visits, min(first_s), max(last_s)
FROM shared WHERE ov > 0
GROUP BY person_id HAVING max(ov) >= $min_overlap
ORDER BY total DESC, person_id
"""


def pct(samples, q):
    s = sorted(samples)
    return s[min(len(s) - 1, int(q * len(s)))]


def run_cases(meta, query):
    """Times `query(params)` for every case; returns (times in ms, mismatching cases)."""
    rule = meta["rule"]
    times, bad = [], []
    for c in meta["cases"]:
        params = {"case": c["case"], "from": meta["from"], "to": meta["to"], "before": rule["before"],
                  "after": rule["after"], "min_overlap": rule["min_overlap"]}
        t = time.perf_counter()
        rows = query(params)
        times.append((time.perf_counter() - t) * 1000)
        if [list(r) for r in rows] != c["close"]:
            bad.append((c["case"], len(rows), len(c["close"])))
    return times, bad


def postgres(url, d, con):
    """Loads the presences into PostgreSQL with the indexes a DBA would make for these range
    joins, and returns (load seconds, query function)."""
    csv = f"{d}/presences.csv"
    con.execute(f"COPY p TO '{csv}' (HEADER false)")
    pg = psycopg.connect(url, autocommit=True)
    pg.execute("DROP TABLE IF EXISTS p")
    pg.execute("CREATE UNLOGGED TABLE p (person_id bigint NOT NULL, space_id bigint NOT NULL, start_s bigint NOT NULL, end_s bigint)")
    t = time.perf_counter()
    with pg.cursor().copy("COPY p FROM STDIN (FORMAT csv)") as cp, open(csv, "rb") as f:
        while chunk := f.read(1 << 20):
            cp.write(chunk)
    pg.execute("CREATE INDEX p_space ON p (space_id, start_s) INCLUDE (end_s, person_id)")
    pg.execute("CREATE INDEX p_person ON p (person_id, start_s) INCLUDE (space_id, end_s)")
    pg.execute("ANALYZE p")
    load = time.perf_counter() - t
    sql = CLOSE_CONTACTS
    for name in ["min_overlap", "before", "after", "case", "from", "to"]:
        sql = sql.replace(f"${name}", f"%({name})s")
    return load, lambda params: pg.execute(sql, params).fetchall()


def main():
    d = sys.argv[1]
    pg_url = sys.argv[sys.argv.index("--pg") + 1] if "--pg" in sys.argv else None
    meta = json.load(open(f"{d}/ningan.json"))
    con = duckdb.connect()
    t = time.perf_counter()
    # Sorted by space and start, as a DBA would cluster it for these range joins.
    con.execute(f"CREATE TABLE p AS SELECT * FROM read_parquet('{d}/presences.parquet') ORDER BY space_id, start_s")
    engines = [("DuckDB " + duckdb.__version__, time.perf_counter() - t, lambda params: con.execute(CLOSE_CONTACTS, params).fetchall())]
    if pg_url:
        if psycopg is None:
            sys.exit("--pg needs `pip install psycopg[binary]`")
        load, q = postgres(pg_url, d, con)
        engines.append(("PostgreSQL", load, q))
    n = len(meta["cases"])
    ningan_ms = [c["ms"] for c in meta["cases"]]
    n50 = pct(ningan_ms, .5)
    print(f"presences {meta['presences']}, cases {n}")
    print(f"{'close contacts':18} {'p50 ms':>10} {'p95 ms':>10} {'identical':>10} {'load s':>8} {'p50 / ningan':>13}")
    print(f"{'ningan':18} {n50:10.3f} {pct(ningan_ms, .95):10.3f} {n:>5}/{n:<4} {'':>8} {1:>12}x")
    failed = False
    for name, load, query in engines:
        times, bad = run_cases(meta, query)
        failed |= bool(bad)
        for case, got, want in bad[:3]:
            print(f"  {name}: case {case}: {got} contacts, ningan {want}", file=sys.stderr)
        print(f"{name:18} {pct(times, .5):10.3f} {pct(times, .95):10.3f} {n - len(bad):>5}/{n:<4} {load:8.1f} {pct(times, .5) / n50:12.0f}x")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
