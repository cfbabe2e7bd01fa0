#!/usr/bin/env python3
"""Runs ningan's tracing queries on DuckDB and PostgreSQL over the same presences, checks that
each peer returns exactly ningan's answer for every sampled case, and prints one table:
load time, storage per presence, p50/p95 per query and engine, and the ratios to ningan.

Queries (numbers as in the tracing issue): 1 close contacts, 2 secondary contacts,
3 secondary contacts per person with a crowd cap (mass venues as crowded windows),
4 common source (groups of five cases, at least two present), 6 cell-grid companions.

Input: a directory written by
    cargo bench -p ningan-trace --bench city -- --people N --cases K --dump DIR
holding presences.parquet, spaces.csv, ningan.json (rules, window, each case's answers and
ningan's times) and ningan-load.txt. Needs `pip install duckdb` (and `psycopg[binary]` for
PostgreSQL).

    python3 bench/trace/peers.py DIR [--pg postgres://user@host:port/db] [--secondary-cases 20]
"""

import json
import os
import sys
import time

import duckdb

try:
    import psycopg
except ImportError:  # PostgreSQL is optional
    psycopg = None

# Merges (space_id, wf, wt) visits of one person per space where they overlap or touch
# (gaps and islands), as ningan does; `key` adds columns that separate groups.
def merged(visits, key=""):
    part = f"{key}space_id"
    return f"""
ordered_{visits} AS (
    SELECT *, max(wt) OVER (PARTITION BY {part} ORDER BY wf, wt
                            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_to
    FROM {visits}
), islands_{visits} AS (
    SELECT *, sum(CASE WHEN prev_to IS NULL OR wf > prev_to THEN 1 ELSE 0 END)
              OVER (PARTITION BY {part} ORDER BY wf, wt) AS island
    FROM ordered_{visits}
), windows_{visits} AS (
    SELECT {key}space_id, min(wf) AS wf, max(wt) AS wt FROM islands_{visits} GROUP BY {key}space_id, island
)"""


# 1. Close contacts under the 9th-edition rule: the case's visits in the window, clipped and
# widened by the buffers, merged per space; everyone else's presences in those windows,
# summed per person.
CLOSE_CTE = """
visits AS (
    SELECT space_id, greatest(start_s, $from) - $before AS wf, least(end_s, $to) + $after AS wt
    FROM p WHERE person_id = $case AND end_s >= $from AND start_s <= $to
),""" + merged("visits") + """, shared AS (
    SELECT q.person_id, least(q.end_s, w.wt) - greatest(q.start_s, w.wf) AS ov,
           greatest(q.start_s, w.wf) AS first_s, least(q.end_s, w.wt) AS last_s
    FROM windows_visits w JOIN p q ON q.space_id = w.space_id AND q.start_s < w.wt AND q.end_s > w.wf
    WHERE q.person_id <> $case
)"""

CLOSE_CONTACTS = "WITH " + CLOSE_CTE + """
SELECT person_id, sum(ov) AS total, count(*) AS visits, min(first_s), max(last_s)
FROM shared WHERE ov > 0
GROUP BY person_id HAVING max(ov) >= $min_overlap
ORDER BY total DESC, person_id
"""

# 2. Secondary contacts: each close contact's visits from its first exposure to the end of
# the window, as windows; everyone outside the case and its close contacts in them, tallied
# per (person, close contact); each person through the close contact with the most shared
# time (the lowest id on ties).
# A close contact's windows open no earlier than its first exposure (which already holds the
# buffer before the case's arrival); visits meeting the period at an edge count.
SECONDARY_WINDOWS = "WITH " + CLOSE_CTE + """, close AS (
    SELECT person_id, min(first_s) AS first_s FROM shared WHERE ov > 0
    GROUP BY person_id HAVING max(ov) >= $min_overlap
), cvisits AS (
    SELECT c.person_id AS via, q.space_id, greatest(greatest(q.start_s, c.first_s) - $before, c.first_s) AS wf,
           least(q.end_s, $to) + $after AS wt
    FROM close c JOIN p q ON q.person_id = c.person_id AND q.end_s >= c.first_s AND q.start_s <= $to
),""" + merged("cvisits", "via, ")

SECONDARY_CONTACTS = SECONDARY_WINDOWS + """, sshared AS (
    SELECT w.via, q.person_id, least(q.end_s, w.wt) - greatest(q.start_s, w.wf) AS ov,
           greatest(q.start_s, w.wf) AS first_s, least(q.end_s, w.wt) AS last_s
    FROM windows_cvisits w JOIN p q ON q.space_id = w.space_id AND q.start_s < w.wt AND q.end_s > w.wf
    WHERE q.person_id <> $case AND q.person_id NOT IN (SELECT person_id FROM close)
), per_via AS (
    SELECT person_id, via, sum(ov) AS total, count(*) AS visits, min(first_s) AS f, max(last_s) AS l
    FROM sshared WHERE ov > 0 GROUP BY person_id, via HAVING max(ov) >= $min_overlap
), ranked AS (
    SELECT *, row_number() OVER (PARTITION BY person_id ORDER BY total DESC, via) AS rn FROM per_via
)
SELECT person_id, via, total, visits, f, l FROM ranked WHERE rn = 1
"""

# 3. Secondary contacts per person with a crowd cap: a close contact's window that more than
# $cap presences of others met is returned as crowded (not traced); everyone else through the
# strongest link, with the number of close contacts through whom they qualify.
SECONDARY_PER_PERSON = SECONDARY_WINDOWS + """, wcount AS (
    SELECT w.via, w.space_id, w.wf, w.wt, count(*) AS n
    FROM windows_cvisits w JOIN p q ON q.space_id = w.space_id AND q.start_s < w.wt AND q.end_s > w.wf
    WHERE q.person_id <> w.via GROUP BY w.via, w.space_id, w.wf, w.wt
), crowded AS (
    SELECT * FROM wcount WHERE n > $cap
), traced AS (
    SELECT w.* FROM windows_cvisits w WHERE NOT EXISTS (
        SELECT 1 FROM crowded c WHERE c.via = w.via AND c.space_id = w.space_id AND c.wf = w.wf AND c.wt = w.wt)
), sshared AS (
    SELECT w.via, q.person_id, least(q.end_s, w.wt) - greatest(q.start_s, w.wf) AS ov,
           greatest(q.start_s, w.wf) AS first_s, least(q.end_s, w.wt) AS last_s
    FROM traced w JOIN p q ON q.space_id = w.space_id AND q.start_s < w.wt AND q.end_s > w.wf
    WHERE q.person_id <> $case AND q.person_id NOT IN (SELECT person_id FROM close)
), per_via AS (
    SELECT person_id, via, sum(ov) AS total, count(*) AS visits, min(first_s) AS f, max(last_s) AS l
    FROM sshared WHERE ov > 0 GROUP BY person_id, via HAVING max(ov) >= $min_overlap
), ranked AS (
    SELECT *, row_number() OVER (PARTITION BY person_id ORDER BY total DESC, via) AS rn,
           count(*) OVER (PARTITION BY person_id) AS links FROM per_via
)
SELECT 0, person_id, via, total, visits, f, l, links FROM ranked WHERE rn = 1
UNION ALL
SELECT 1, space_id, wf, wt, via, n, 0, 0 FROM crowded
"""

# 6. Cell-grid companions: the case's cell stays (no buffers) merged per cell; everyone else
# in those cells then, qualifying by one stay over min_stay or/and the sum over min_cumulative.
COMPANIONS = """WITH stays AS (
    SELECT q.space_id, greatest(q.start_s, $comp_from) AS wf, least(q.end_s, $to) AS wt
    FROM p q JOIN s ON s.space_id = q.space_id AND s.kind = 'cell'
    WHERE q.person_id = $case AND q.end_s > $comp_from AND q.start_s < $to
),""" + merged("stays") + """, shared AS (
    SELECT q.person_id, least(q.end_s, w.wt) - greatest(q.start_s, w.wf) AS ov,
           greatest(q.start_s, w.wf) AS first_s, least(q.end_s, w.wt) AS last_s
    FROM windows_stays w JOIN p q ON q.space_id = w.space_id AND q.start_s < w.wt AND q.end_s > w.wf
    WHERE q.person_id <> $case
)
SELECT person_id, sum(ov) AS total, count(*) AS visits, min(first_s), max(last_s)
FROM shared WHERE ov > 0
GROUP BY person_id HAVING max(ov) > $min_stay $combine sum(ov) > $min_cumulative
ORDER BY total DESC, person_id
"""

# 4. Common source: the cases' stays clipped to the window; per space, the intervals between
# consecutive arrival and departure times; those with at least m cases present; adjacent ones
# with the same cases merged.
COMMON_SOURCE = """WITH cp AS (
    SELECT person_id, space_id, greatest(start_s, $from) AS a, least(end_s, $to) AS b
    FROM p WHERE person_id IN ($cases) AND end_s > $from AND start_s < $to
), stays AS (
    SELECT * FROM cp WHERE a < b
), ev AS (
    SELECT space_id, a AS t FROM stays UNION SELECT space_id, b FROM stays
), seg AS (
    SELECT space_id, t, lead(t) OVER (PARTITION BY space_id ORDER BY t) AS nt FROM ev
), present AS (
    SELECT DISTINCT g.space_id, g.t, g.nt, c.person_id
    FROM seg g JOIN stays c ON c.space_id = g.space_id AND c.a <= g.t AND c.b >= g.nt
    WHERE g.nt IS NOT NULL
), cov AS (
    SELECT space_id, t, nt, string_agg(CAST(person_id AS VARCHAR), ',' ORDER BY person_id) AS ids
    FROM present GROUP BY space_id, t, nt HAVING count(*) >= $m
), runs AS (
    SELECT *, CASE WHEN lag(nt) OVER w = t AND lag(ids) OVER w = ids THEN 0 ELSE 1 END AS brk
    FROM cov WINDOW w AS (PARTITION BY space_id ORDER BY t)
), isl AS (
    SELECT *, sum(brk) OVER (PARTITION BY space_id ORDER BY t) AS g FROM runs
)
SELECT space_id, min(t), max(nt), ids FROM isl GROUP BY space_id, g, ids
"""


def pct(samples, q):
    s = sorted(samples)
    return s[min(len(s) - 1, int(q * len(s)))] if s else float("nan")


def capped_digest(rows):
    """Counts and order-free checksum of people (with links) and crowded windows, as the city
    bench computes them."""
    total, people, crowded = 0, 0, 0
    for kind, a, b, c, d, e, f, g in rows:
        if kind == 0:
            people += 1
            total += a * 1_000_003 + b * 7_919 + c * 31 + d * 17 + e * 3 + f + g * 101
        else:
            crowded += 1
            total += a * 1_000_033 + b * 13 + c * 7 + d * 5 + e * 11
        total %= 1 << 61
    return {"people": people, "crowded": crowded, "sum": total}


def secondary_digest(rows):
    """Count and order-free checksum, as the city bench computes it."""
    total = 0
    for person, via, tot, visits, f, l in rows:
        total = (total + person * 1_000_003 + via * 7_919 + tot * 31 + visits * 17 + f * 3 + l) % (1 << 61)
    return {"n": len(rows), "sum": total}


class Peer:
    def __init__(self, name, load_s, bytes_per, run):
        self.name, self.load_s, self.bytes_per, self.run = name, load_s, bytes_per, run


def duckdb_peer(d, meta):
    path = f"{d}/duck.db"
    if os.path.exists(path):
        os.remove(path)
    con = duckdb.connect(path)
    t = time.perf_counter()
    # Sorted by space and start, as a DBA would cluster it for these range joins; a file
    # database, checkpointed, so that the load is durable as ningan's is.
    con.execute(f"CREATE TABLE p AS SELECT * FROM read_parquet('{d}/presences.parquet') ORDER BY space_id, start_s")
    con.execute(f"CREATE TABLE s AS SELECT * FROM read_csv('{d}/spaces.csv', header = true)")
    con.execute("CHECKPOINT")
    load = time.perf_counter() - t
    size = os.path.getsize(path)
    return Peer("DuckDB " + duckdb.__version__, load, size / meta["presences"],
                lambda sql, params: con.execute(sql, params).fetchall())


def postgres_peer(url, d, meta):
    """Loads the presences into PostgreSQL with the indexes a DBA would make for these range
    joins (4-byte integers, covering B-trees on both access paths)."""
    con = duckdb.connect()
    csv = f"{d}/presences.csv"
    con.execute(f"COPY (SELECT * FROM read_parquet('{d}/presences.parquet')) TO '{csv}' (HEADER false)")
    pg = psycopg.connect(url, autocommit=True)
    pg.execute("DROP TABLE IF EXISTS p")
    pg.execute("DROP TABLE IF EXISTS s")
    pg.execute("CREATE TABLE p (person_id integer NOT NULL, space_id integer NOT NULL, "
               "start_s integer NOT NULL, end_s integer NOT NULL)")
    pg.execute("CREATE TABLE s (space_id integer PRIMARY KEY, kind text NOT NULL)")
    t = time.perf_counter()
    with pg.cursor().copy("COPY p FROM STDIN (FORMAT csv)") as cp, open(csv, "rb") as f:
        while chunk := f.read(1 << 20):
            cp.write(chunk)
    with pg.cursor().copy("COPY s FROM STDIN (FORMAT csv, HEADER true)") as cp, open(f"{d}/spaces.csv", "rb") as f:
        cp.write(f.read())
    pg.execute("CREATE INDEX p_space ON p (space_id, start_s) INCLUDE (end_s, person_id)")
    pg.execute("CREATE INDEX p_person ON p (person_id, start_s) INCLUDE (space_id, end_s)")
    pg.execute("ANALYZE p")
    pg.execute("ANALYZE s")
    pg.execute("CHECKPOINT")
    load = time.perf_counter() - t
    os.remove(csv)
    size = pg.execute("SELECT pg_total_relation_size('p')").fetchone()[0]
    pg.execute("SET statement_timeout = '120s'")

    def run(sql, params):
        for name in sorted(params, key=len, reverse=True):
            sql = sql.replace(f"${name}", f"%({name})s")
        return pg.execute(sql, params).fetchall()

    version = pg.info.parameter_status("server_version").split()[0]
    return Peer("PostgreSQL " + version, load, size / meta["presences"], run)


def timed(peer, sql, params):
    params = {k: v for k, v in params.items() if f"${k}" in sql}
    t = time.perf_counter()
    try:
        rows = peer.run(sql, params)
    except Exception as e:  # a statement timeout: counted, reported
        return None, (time.perf_counter() - t) * 1000, str(e).splitlines()[0]
    return rows, (time.perf_counter() - t) * 1000, None


def main():
    d = sys.argv[1]
    pg_url = sys.argv[sys.argv.index("--pg") + 1] if "--pg" in sys.argv else None
    n_second = int(sys.argv[sys.argv.index("--secondary-cases") + 1]) if "--secondary-cases" in sys.argv else 20
    meta = json.load(open(f"{d}/ningan.json"))
    rule, comp = meta["rule"], meta["companion"]
    base = {"from": meta["from"], "to": meta["to"], "comp_from": meta["comp_from"], "before": rule["before"],
            "after": rule["after"], "min_overlap": rule["min_overlap"], "min_stay": comp["min_stay"],
            "min_cumulative": comp["min_cumulative"], "cap": meta.get("crowd_cap", 500)}
    companions_sql = COMPANIONS.replace("$combine", "OR" if comp["either"] else "AND")
    cases = meta["cases"]
    queries = {
        "1 close contacts": [
            (CLOSE_CONTACTS, {**base, "case": c["case"]}, c["close"], c["ms"]) for c in cases],
        "2 secondary contacts": [
            (SECONDARY_CONTACTS, {**base, "case": c["case"]}, c["secondary"], c["secondary_ms"])
            for c in cases[:n_second]],
        "3 secondary per person": [
            (SECONDARY_PER_PERSON, {**base, "case": c["case"]}, c["capped"], c["capped_ms"])
            for c in cases[:n_second] if "capped" in c],
        "4 common source (5)": [
            (COMMON_SOURCE.replace("$cases", ", ".join(map(str, g["cases"]))), {**base, "m": 2},
             sorted(tuple(r) for r in g["sources"]), g["ms"]) for g in meta["common"]],
        "6 cell companions": [
            (companions_sql, {**base, "case": c["case"]}, c["companions"], c["companions_ms"]) for c in cases],
    }

    def shape(name, rows):
        if rows is None:
            return None
        if name.startswith("2"):
            return secondary_digest(rows)
        if name.startswith("3"):
            return capped_digest(rows)
        if name.startswith("4"):
            return sorted((r[0], r[1], r[2], r[3]) for r in rows)
        return [list(r) for r in rows]

    peers = [duckdb_peer(d, meta)]
    if pg_url:
        if psycopg is None:
            sys.exit("--pg needs `pip install psycopg[binary]`")
        peers.append(postgres_peer(pg_url, d, meta))
    # "seconds bytes-per-presence" (older dumps: seconds only).
    fields = open(f"{d}/ningan-load.txt").read().split()
    ningan_load, ningan_bytes = float(fields[0]), float(fields[1]) if len(fields) > 1 else float("nan")
    print(f"presences {meta['presences']}, cases {len(cases)} ({n_second} for secondary contacts)")
    print(f"{'engine':22} {'load s':>8} {'bytes/presence':>15}")
    print(f"{'ningan (memory)':22} {ningan_load:8.1f} {ningan_bytes:15.1f}")
    for p in peers:
        print(f"{p.name + ' (disk)':22} {p.load_s:8.1f} {p.bytes_per:15.1f}   load ×{p.load_s / ningan_load:.1f} ningan")
    print()
    print(f"{'query':22} {'engine':16} {'p50 ms':>10} {'p95 ms':>10} {'identical':>10} {'p50 ratio':>10} {'p95 ratio':>10}")
    failed = False
    for qname, runs in queries.items():
        ours = [r[3] for r in runs]
        o50, o95 = pct(ours, .5), pct(ours, .95)
        print(f"{qname:22} {'ningan':16} {o50:10.3f} {o95:10.3f} {len(runs):>5}/{len(runs):<4} {'1×':>10} {'1×':>10}")
        for p in peers:
            times, same, errors = [], 0, []
            for sql, params, want, _ in runs:
                rows, ms, err = timed(p, sql, params)
                times.append(ms)
                if err:
                    errors.append(err)
                elif shape(qname, rows) == want:
                    same += 1
                elif len(errors) + (len(runs) - same) < 3:
                    print(f"  {p.name}: {qname}: {params.get('case')}: got {str(shape(qname, rows))[:200]}, "
                          f"ningan {str(want)[:200]}", file=sys.stderr)
            failed |= same + len(errors) != len(runs)
            p50, p95 = pct(times, .5), pct(times, .95)
            note = f"  ({len(errors)} timed out)" if errors else ""
            print(f"{'':22} {p.name[:16]:16} {p50:10.3f} {p95:10.3f} {same:>5}/{len(runs):<4} "
                  f"{p50 / o50:9.0f}× {p95 / o95:9.0f}×{note}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
