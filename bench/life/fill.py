#!/usr/bin/env python3
"""Fills a demo city's life_points up to N risk points (default 100,000) by copying the demo's
own points, each copy moved up to ~300 m, so states, kinds, stations and departments keep the
demo's mix. Bench data only: written straight into the table, without events or audit
entries. The server must not be running.

    python3 bench/life/fill.py DATA_DIR [-n 100000]
    python3 bench/life/fill.py --pg postgres://... [-n 100000]
"""

import argparse
import importlib.util
import os
import random
import sqlite3
import time

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("efill", os.path.join(here, "..", "enterprise", "fill.py"))
efill = importlib.util.module_from_spec(spec)
spec.loader.exec_module(efill)

COLS = ("kind, category, severity, state, title, description, address, lon, lat, unit_id, unit_path, department, "
        "deadline, escalated_at, reopened, found_by, found_at, closed_at, updated_at")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data", nargs="?")
    ap.add_argument("--pg")
    ap.add_argument("-n", type=int, default=100_000)
    args = ap.parse_args()
    db = efill.Pg(args.pg) if args.pg else sqlite3.connect(f"{args.data}/ningan.db")
    have = int(db.execute("SELECT COUNT(*) FROM life_points").fetchone()[0])
    seeds = db.execute(f"SELECT {COLS} FROM life_points ORDER BY id").fetchall()
    if not seeds:
        raise SystemExit("no demo points to copy: run `ningan demo` first")
    rng = random.Random(7)
    start = time.time()
    rows = []
    for i in range(max(0, args.n - have)):
        r = list(seeds[i % len(seeds)])
        r[7] = round(float(r[7]) + rng.uniform(-0.003, 0.003), 6)
        r[8] = round(float(r[8]) + rng.uniform(-0.003, 0.003), 6)
        # An empty text would reach PostgreSQL's COPY as NULL.
        r[5] = r[5] or "bench copy"
        rows.append(tuple(None if v == "" else v for v in r))
    marks = ", ".join(["?"] * len(COLS.split(",")))
    db.executemany(f"INSERT INTO life_points ({COLS}) VALUES ({marks})", rows)
    db.commit()
    print(f"life_points: {have} + {len(rows)} = {have + len(rows)} in {time.time() - start:.1f}s")


if __name__ == "__main__":
    main()
