#!/usr/bin/env python3
"""Fills a demo city's database with N synthetic contact follow-ups (default one million)
spread over cases, tiers and statuses, routed to each person's station, as a city-wide
outbreak would leave them. Bench data only: written straight into the tables, with no audit
entries. The server must not be running.

    python3 bench/followups/fill.py DATA_DIR [-n 1000000]
    python3 bench/followups/fill.py --pg postgres://... [-n 1000000]
"""

import argparse
import os
import random
import sqlite3
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from pgdb import Pg  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data", nargs="?")
    ap.add_argument("-n", type=int, default=1_000_000)
    ap.add_argument("--pg")
    args = ap.parse_args()
    db = Pg(args.pg) if args.pg else sqlite3.connect(f"{args.data}/ningan.db")
    rng = random.Random(7)
    residents = db.execute("SELECT id, unit_id, unit_path FROM residents").fetchall()
    have = {r[0] for r in db.execute("SELECT resident_id FROM cases")}
    need_cases = max(1, args.n // max(1, len(residents) // 2)) + 1
    now = int(time.time() * 1000)
    t = time.perf_counter()
    new_cases = []
    for r in rng.sample(residents, need_cases + len(have)):
        if r[0] in have or need_cases <= 0:
            continue
        new_cases.append((r[0], "confirmed", now - 86_400_000, "压测病例", r[1], r[2], now, now))
        need_cases -= 1
    db.executemany(
        "INSERT INTO cases (resident_id, status, onset_at, note, unit_id, unit_path, created_at, updated_at) "
        "VALUES (?,?,?,?,?,?,?,?)", new_cases)
    cases = [c[0] for c in db.execute("SELECT id FROM cases")]
    statuses = ["notified"] * 3 + ["transferred"] * 2 + ["quarantined"] * 4 + ["released"] * 6
    seen = set(db.execute("SELECT case_id, resident_id FROM followups").fetchall())
    rows = []
    while len(rows) < args.n:
        case = rng.choice(cases)
        r = rng.choice(residents)
        if (case, r[0]) in seen:
            continue
        seen.add((case, r[0]))
        tier = "close" if rng.random() < 0.4 else "secondary"
        last = now // 1000 - rng.randint(0, 14 * 86_400)
        rows.append((case, r[0], tier, None, rng.choice(statuses), rng.randint(60, 7200), last - 3600, last, "",
                     r[1], r[2], now, now))
    db.executemany(
        "INSERT INTO followups (case_id, resident_id, tier, via_resident_id, status, overlap_s, first_exposure, "
        "last_exposure, note, unit_id, unit_path, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    db.commit()
    db.execute("ANALYZE")
    print(f"{len(rows)} follow-ups over {len(cases)} cases written in {time.perf_counter() - t:.1f} s")


if __name__ == "__main__":
    main()
