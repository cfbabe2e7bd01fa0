#!/usr/bin/env python3
"""Runs ningan's close-contact query on DuckDB over the same presences, checks that DuckDB
returns exactly ningan's contacts for every sampled case, and prints both engines' times.

Input: a directory written by
    cargo bench -p ningan-trace --bench city -- --people N --cases K --dump DIR
holding presences.parquet and ningan.json (the rule, the window, each case's contacts and
ningan's time). Needs `pip install duckdb`.

    python3 bench/trace/peers.py DIR
"""

import json
import statistics
import sys
import time

import duckdb

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


def main():
    d = sys.argv[1]
    meta = json.load(open(f"{d}/ningan.json"))
    con = duckdb.connect()
    t = time.perf_counter()
    # Sorted by space and start, as a DBA would cluster it for these range joins.
    con.execute(f"CREATE TABLE p AS SELECT * FROM read_parquet('{d}/presences.parquet') ORDER BY space_id, start_s")
    load = time.perf_counter() - t
    rule = meta["rule"]
    duck_ms, ningan_ms, mismatches = [], [], 0
    for c in meta["cases"]:
        params = {"case": c["case"], "from": meta["from"], "to": meta["to"], "before": rule["before"],
                  "after": rule["after"], "min_overlap": rule["min_overlap"]}
        t = time.perf_counter()
        rows = con.execute(CLOSE_CONTACTS, params).fetchall()
        duck_ms.append((time.perf_counter() - t) * 1000)
        ningan_ms.append(c["ms"])
        if [list(r) for r in rows] != c["close"]:
            mismatches += 1
            if mismatches <= 3:
                print(f"case {c['case']}: DuckDB {len(rows)} contacts, ningan {len(c['close'])}", file=sys.stderr)
    n = len(meta["cases"])
    print(f"presences {meta['presences']}, cases {n}, DuckDB {duckdb.__version__}")
    print(f"answers identical: {n - mismatches}/{n}")
    print(f"{'close contacts':18} {'p50 ms':>10} {'p95 ms':>10}")
    print(f"{'ningan':18} {pct(ningan_ms, .5):10.3f} {pct(ningan_ms, .95):10.3f}")
    print(f"{'DuckDB':18} {pct(duck_ms, .5):10.3f} {pct(duck_ms, .95):10.3f}")
    print(f"ratio DuckDB/ningan at p50: {pct(duck_ms, .5) / pct(ningan_ms, .5):.0f}x; DuckDB load {load:.1f} s")
    sys.exit(1 if mismatches else 0)


if __name__ == "__main__":
    main()
