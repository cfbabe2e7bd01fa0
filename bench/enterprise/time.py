#!/usr/bin/env python3
"""Times enterprise services' lists on a served city (after fill.py): the liaison officer's
due list, the supervision boards of a district branch and the city bureau, and one
enterprise's own request list on the portal; each -n times over one kept-alive connection,
median and p95 against the 50 ms target, with the same server's /livez as the floor and each
median's ratio to it.

    python3 bench/enterprise/time.py --base http://127.0.0.1:18097 --logins LOGINS.txt --db DATA/ningan.db
"""

import argparse
import importlib.util
import json
import os
import sqlite3
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("pages", os.path.join(here, "..", "pages.py"))
pages = importlib.util.module_from_spec(spec)
spec.loader.exec_module(pages)


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
    # The demo's first enterprise signs in on the portal with the code texted to it.
    def one(sql):
        if args.pg:
            out = subprocess.run(["psql", args.pg, "-tA", "-F", "\t", "-c", sql], check=True, capture_output=True, text=True)
            return out.stdout.splitlines()[0].split("\t")
        return sqlite3.connect(args.db).execute(sql).fetchone()

    uscc, phone = one(
        "SELECT e.uscc, a.phone FROM enterprises e JOIN enterprise_accounts a ON a.enterprise_id = e.id ORDER BY e.id LIMIT 1")
    firm = pages.Session(args.base)
    firm.request("POST", "/api/enterprise/code", {"uscc": uscc, "phone": phone})
    text = one(f"SELECT text FROM sms_outbox WHERE phone = '{phone}' ORDER BY id DESC LIMIT 1")[0]
    code = text.split("验证码为")[1][:6]
    status, data = firm.request("POST", "/api/enterprise/session", {"uscc": uscc, "phone": phone, "code": code})
    if status != 200:
        sys.exit(f"portal sign-in failed: {status} {data[:200]!r}")
    firm.csrf = json.loads(data)["csrf_token"]
    cases = [
        ("floor: /livez", city, "/livez"),
        ("api: due list (liaison officer)", officer, "/api/enterprises?mine=1&due=1"),
        ("api: register (city)", city, "/api/enterprises"),
        ("api: register, key only (city)", city, "/api/enterprises?key=1"),
        ("api: supervision board (city, overdue)", city, "/api/enterprise-requests?overdue=1"),
        ("api: supervision board (station, overdue)", officer, "/api/enterprise-requests?overdue=1"),
        ("api: requests board (city)", city, "/api/enterprise-requests"),
        ("api: requests board (city, submitted)", city, "/api/enterprise-requests?stage=submitted"),
        ("api: requests board (city, rated, fraud)", city, "/api/enterprise-requests?stage=evaluated&category=fraud"),
        ("api: station desk queue (officer)", officer, "/api/enterprise-requests?here=1"),
        ("api: enterprise's own requests (portal)", firm, "/api/enterprise/requests"),
        ("page: due list (officer)", officer, "/enterprises?due=1&mine=1"),
        ("page: supervision board (city)", city, "/enterprises/requests?overdue=1"),
    ]
    print(f"{'request':42} {'median':>8} {'p95':>8} {'x floor':>8}  <50 ms")
    worst = 0.0
    floor = None
    for name, s, path in cases:
        med, p95, _ = pages.timed(s, path, args.n)
        if floor is None:
            floor = med
        else:
            worst = max(worst, med)
        print(f"{name:42} {med:8.2f} {p95:8.2f} {med / floor:8.1f}  {'yes' if med < 50 else 'NO'}")
    print(f"\nslowest median {worst:.2f} ms; target 50 ms: {'met' if worst < 50 else 'NOT met'}")
    sys.exit(0)


if __name__ == "__main__":
    main()
