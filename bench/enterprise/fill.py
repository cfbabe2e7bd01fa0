#!/usr/bin/env python3
"""Fills a demo city's SQLite database with N enterprises (default 100,000) and M 11087
requests (default 1,000,000) over them, in every stage and tier, a tenth of the open ones past
their deadline, as years of a busy register would leave them. Bench data only: written
straight into the tables, without audit entries or events. The server must not be running.

    python3 bench/enterprise/fill.py DATA_DIR [-n 100000] [-m 1000000]
    python3 bench/enterprise/fill.py --pg postgres://... [-n 100000] [-m 1000000]

With --pg the rows go to PostgreSQL through `psql` and `\copy` (standard library only).
"""

import argparse
import os
import random
import sqlite3
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from pgdb import Pg  # noqa: E402


STAGES = ["submitted"] * 2 + ["accepted"] * 2 + ["assigned"] + ["replied"] + ["closed"] * 4 + ["evaluated"] * 10
CATEGORIES = ["security_risk", "dispute", "fraud", "licence", "workforce", "other"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data", nargs="?")
    ap.add_argument("--pg")
    ap.add_argument("-n", type=int, default=100_000)
    ap.add_argument("-m", type=int, default=1_000_000)
    args = ap.parse_args()
    db = Pg(args.pg) if args.pg else sqlite3.connect(f"{args.data}/ningan.db")
    rng = random.Random(7)
    stations = db.execute(
        "SELECT id, path, lon, lat FROM org_units WHERE kind = 'station' AND lon IS NOT NULL").fetchall()
    officers = {}
    for uid, unit in db.execute("SELECT id, unit_id FROM users"):
        officers.setdefault(unit, []).append(uid)
    units = {p: i for i, p in db.execute("SELECT id, path FROM org_units")}
    now = int(time.time() * 1000)
    day = 86_400_000
    t = time.perf_counter()
    start = db.execute("SELECT COALESCE(MAX(id), 0) FROM enterprises").fetchone()[0]
    rows = []
    for i in range(args.n):
        sid, path, lon, lat = rng.choice(stations)
        officer = rng.choice(officers.get(sid, [None]))
        key = 1 if rng.random() < 0.15 else 0
        last = now - rng.randint(0, 60) * day
        rows.append((f"BENCH{start + i:013d}", f"压测企业{start + i}", "压测地址", lon + rng.uniform(-.01, .01),
                     lat + rng.uniform(-.01, .01), rng.choice("CCCCGGFFEI"), "small", key, "压测联系人",
                     "13900000000", sid, path, officer, last, last, last + (7 if key else 30) * day, now - 400 * day))
    db.executemany(
        "INSERT INTO enterprises (uscc, name, address, lon, lat, industry, size, key_enterprise, contact_name, "
        "contact_phone, unit_id, unit_path, officer_id, last_contact_at, last_visit_at, next_due_at, created_at) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    ents = db.execute("SELECT id, unit_path FROM enterprises").fetchall()
    print(f"{args.n} enterprises written in {time.perf_counter() - t:.1f} s", flush=True)
    t = time.perf_counter()
    base = db.execute("SELECT COALESCE(MAX(id), 0) FROM enterprise_requests").fetchone()[0]
    batch = []
    for j in range(args.m):
        eid, home = rng.choice(ents)
        stage = rng.choice(STAGES)
        tier = "station" if rng.random() < 0.9 else "district"
        parts = home.split("/")
        path = home if tier == "station" else "/".join(parts[:3]) + "/"
        created = now - rng.randint(0, 365) * day
        is_open = stage in ("submitted", "accepted", "assigned", "replied")
        deadline = now + rng.randint(1, 72) * 3_600_000 if is_open and rng.random() > 0.1 else now - rng.randint(1, 96) * 3_600_000
        closed = None if is_open else created + rng.randint(2, 200) * 3_600_000
        rating = rng.choice([5, 5, 4, 3]) if stage == "evaluated" else None
        batch.append((f"QB{base + j:014d}", eid, rng.choice(CATEGORIES), "压测诉求", "压测内容", stage, tier,
                      units[path], path, home, deadline, rating, created, closed))
        if len(batch) == 50_000:
            db.executemany(
                "INSERT INTO enterprise_requests (no, enterprise_id, category, title, body, stage, tier, unit_id, "
                "unit_path, home_path, deadline, rating, created_at, closed_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                batch)
            batch = []
            print(f"  {j + 1} requests", flush=True)
    if batch:
        db.executemany(
            "INSERT INTO enterprise_requests (no, enterprise_id, category, title, body, stage, tier, unit_id, "
            "unit_path, home_path, deadline, rating, created_at, closed_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            batch)
    db.commit()
    db.execute("ANALYZE")
    if args.pg:
        # psql left the ids behind the rows it copied in: the sequences follow.
        for table in ("enterprises", "enterprise_requests"):
            db.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
    print(f"{args.m} requests written in {time.perf_counter() - t:.1f} s")


if __name__ == "__main__":
    main()
