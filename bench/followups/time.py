#!/usr/bin/env python3
"""Times the follow-up lists of a served demo city (after fill.py): each request -n times
over one kept-alive connection, median and p95 against the 50 ms target, with /livez as the
floor of the same server.

    python3 bench/followups/time.py --base http://127.0.0.1:18096 --logins LOGINS.txt
"""

import argparse
import importlib.util
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("pages", os.path.join(here, "..", "pages.py"))
pages = importlib.util.module_from_spec(spec)
spec.loader.exec_module(pages)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True)
    ap.add_argument("--logins", required=True)
    ap.add_argument("-n", type=int, default=100)
    args = ap.parse_args()
    logins = pages.read_logins(args.logins)
    epi = pages.Session(args.base)
    epi.login("epi", logins["epi"])
    officer = pages.Session(args.base)
    officer.login("officer", logins["officer"])
    cases = [
        ("floor: /livez", epi, "/livez"),
        ("api: follow-ups (city)", epi, "/api/followups"),
        ("api: follow-ups in quarantine (city)", epi, "/api/followups?status=quarantined"),
        ("api: follow-ups, page 1000 (city)", epi, "/api/followups?page=1000"),
        ("api: follow-ups of one case (city)", epi, "/api/followups?case_id=1"),
        ("api: follow-ups (station)", officer, "/api/followups"),
        ("page: follow-up board (city)", epi, "/precise/followups"),
        ("page: follow-up board (station)", officer, "/precise/followups?status=notified"),
    ]
    print(f"{'request':40} {'median':>8} {'p95':>8} {'p99':>8}  <50 ms")
    worst = 0.0
    for name, s, path in cases:
        med, p95, p99 = pages.timed(s, path, args.n)
        if not name.startswith("floor"):
            worst = max(worst, med)
        print(f"{name:40} {med:8.2f} {p95:8.2f} {p99:8.2f}  {'yes' if med < 50 else 'NO'}")
    print(f"\nslowest median {worst:.2f} ms; target 50 ms: {'met' if worst < 50 else 'NOT met'}")
    sys.exit(0)


if __name__ == "__main__":
    main()
