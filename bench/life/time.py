#!/usr/bin/env python3
"""Times life first's map layer on a served city (after fill.py): a city-wide viewport, a
district's and a street's, as the city bureau and as a station officer, each -n times over
one kept-alive connection; median and p95 against the targets (city 50 ms, district 10 ms),
with the same server's /livez as the floor and, as the peer, the same viewport's clusters
computed by the database itself (SQLite in process, or PostgreSQL's own execution time),
with each median's ratio.

    python3 bench/life/time.py --base http://127.0.0.1:18099 --logins LOGINS.txt --db DATA/ningan.db
"""

import argparse
import importlib.util
import os
import re
import sqlite3
import statistics
import subprocess
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("pages", os.path.join(here, "..", "pages.py"))
pages = importlib.util.module_from_spec(spec)
spec.loader.exec_module(pages)

CITY = "120.8,28.8,122.4,30.4"
HAISHU = "121.25,29.75,121.6,30.0"
STREET = "121.54,29.86,121.56,29.88"


def peer_sql(bbox, zoom):
    w, s, e, n = (float(x) for x in bbox.split(","))
    cell = 360.0 / (2 ** zoom) / 4.0
    return (f"SELECT CAST(lon / {cell} AS INTEGER) AS cx, CAST(lat / {cell} AS INTEGER) AS cy, COUNT(*), AVG(lon), AVG(lat) "
            f"FROM life_points WHERE lon BETWEEN {w} AND {e} AND lat BETWEEN {s} AND {n} GROUP BY 1, 2")


def peer_time(args, sql, runs):
    if args.pg:
        samples = []
        for _ in range(runs):
            out = subprocess.run(["psql", args.pg, "-tA", "-c", f"EXPLAIN (ANALYZE, TIMING OFF) {sql}"],
                                 check=True, capture_output=True, text=True).stdout
            samples.append(float(re.search(r"Execution Time: ([0-9.]+) ms", out).group(1)))
        return statistics.median(samples)
    con = sqlite3.connect(args.db)
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        con.execute(sql).fetchall()
        samples.append((time.perf_counter() - t) * 1000)
    return statistics.median(samples)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True)
    ap.add_argument("--logins", required=True)
    ap.add_argument("--db", help="the SQLite file")
    ap.add_argument("--pg", help="or the PostgreSQL URL")
    ap.add_argument("-n", type=int, default=100)
    args = ap.parse_args()
    logins = pages.read_logins(args.logins)
    city = pages.Session(args.base)
    city.login("commander", logins["commander"])
    officer = pages.Session(args.base)
    officer.login("officer", logins["officer"])
    # The first viewport loads the index from storage: timed once, apart.
    t = time.perf_counter()
    status, body = city.request("GET", f"/api/life/map?bbox={CITY}&zoom=9")
    cold = (time.perf_counter() - t) * 1000
    if status != 200:
        sys.exit(f"map answered {status}: {body[:200]!r}")
    total = re.search(rb'"total":(\d+)', body).group(1).decode()
    print(f"index loaded by the first viewport in {cold:.0f} ms ({total} points in the city viewport)\n")
    cases = [
        ("floor: /livez", city, "/livez", None),
        ("city viewport, zoom 9 (city bureau)", city, f"/api/life/map?bbox={CITY}&zoom=9", (CITY, 9, 50)),
        ("city viewport, overdue only", city, f"/api/life/map?bbox={CITY}&zoom=9&overdue=1", (CITY, 9, 50)),
        ("district viewport, zoom 12 (city bureau)", city, f"/api/life/map?bbox={HAISHU}&zoom=12", (HAISHU, 12, 10)),
        ("district viewport, zoom 12 (station officer)", officer, f"/api/life/map?bbox={HAISHU}&zoom=12", (HAISHU, 12, 10)),
        ("street viewport, zoom 16 (points)", city, f"/api/life/map?bbox={STREET}&zoom=16", (STREET, 16, 10)),
    ]
    print(f"{'request':46} {'median':>8} {'p95':>8} {'x floor':>8} {'db peer':>8} {'x peer':>7}  target")
    floor = None
    failed = []
    for name, s, path, target in cases:
        med, p95, _ = pages.timed(s, path, args.n)
        if floor is None:
            floor = med
            print(f"{name:46} {med:8.2f} {p95:8.2f}")
            continue
        bbox, zoom, limit = target
        peer = peer_time(args, peer_sql(bbox, zoom), min(args.n, 20))
        ok = med < limit
        if not ok:
            failed.append(name)
        print(f"{name:46} {med:8.2f} {p95:8.2f} {med / floor:8.1f} {peer:8.2f} {med / peer:7.2f}  <{limit} ms {'yes' if ok else 'NO'}")
    print("\nall targets met" if not failed else f"\ntargets NOT met: {failed}")


if __name__ == "__main__":
    main()
