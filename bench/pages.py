#!/usr/bin/env python3
"""Page and API latency on a running ningan, against the same HTTP stack's floor.

Signs in as the demo commander (whole city) and the demo station officer, requests each
workbench page and API call sequentially over a kept-alive connection, and prints the
median, p95 and p99 in milliseconds, the ratio of each median to /healthz's (the cheapest
route through the same stack: the floor), and whether the median meets the 50 ms target.
Standard library only.

    python3 bench/pages.py --base http://127.0.0.1:8080 --logins LOGINS.txt -n 200
"""

import argparse
import http.client
import json
import statistics
import sys
import time
import urllib.parse

TARGET_MS = 50.0


class Session:
    def __init__(self, base):
        u = urllib.parse.urlparse(base)
        self.conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=30)
        self.cookie = None
        self.csrf = None

    def request(self, method, path, body=None):
        headers = {}
        if self.cookie:
            headers["Cookie"] = self.cookie
        if self.csrf:
            headers["X-CSRF-Token"] = self.csrf
        if body is not None:
            headers["Content-Type"] = "application/json"
            body = json.dumps(body)
        self.conn.request(method, path, body=body, headers=headers)
        resp = self.conn.getresponse()
        data = resp.read()
        cookie = resp.getheader("Set-Cookie")
        if cookie:
            self.cookie = cookie.split(";", 1)[0]
        return resp.status, data

    def login(self, user, password):
        # The base request, so that subclasses parsing answers still sign in.
        status, data = Session.request(self, "POST", "/api/auth/login", {"username": user, "password": password})
        if status != 200:
            sys.exit(f"login {user} failed: {status} {data[:200]!r}")
        self.csrf = json.loads(data)["csrf_token"]


def timed(session, path, n):
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        status, _ = session.request("GET", path)
        samples.append((time.perf_counter() - t) * 1000)
        if status != 200:
            sys.exit(f"GET {path} answered {status}")
    samples.sort()
    pick = lambda q: samples[min(len(samples) - 1, int(q * len(samples)))]
    return statistics.median(samples), pick(0.95), pick(0.99)


def read_logins(path):
    logins = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2 and parts[1].startswith("demo"):
                logins[parts[0]] = parts[1]
    return logins


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", default="http://127.0.0.1:8080")
    ap.add_argument("--logins", required=True, help="the login table `ningan demo --no-serve` printed")
    ap.add_argument("-n", type=int, default=200, help="requests per page")
    args = ap.parse_args()
    logins = read_logins(args.logins)

    commander = Session(args.base)
    commander.login("commander", logins["commander"])
    officer = Session(args.base)
    officer.login("officer", logins["officer"])

    # A resident id and a surname that exist in the officer's scope, for realistic queries.
    _, data = officer.request("GET", "/api/residents?per_page=1")
    first = json.loads(data)["items"][0]
    rid, surname = first["id"], urllib.parse.quote(first["name"][0])

    # The city cockpit is computed at start and refreshed in the background; a district's is
    # computed on its first view: time that once, before anything else asks for it.
    district = Session(args.base)
    district.login("analyst", logins["analyst"])
    t = time.perf_counter()
    district.request("GET", "/api/cockpit")
    cold_cockpit = (time.perf_counter() - t) * 1000

    # Where page 1,999 ends, as the next link of page 1,999 hands it on: page 2,000 reached by
    # key. The jump (the page number alone) is timed too.
    _, data = commander.request("GET", "/api/residents?per_page=20&page=1999")
    after = urllib.parse.quote(json.loads(data).get("next_after") or "")
    surname_prefix = urllib.parse.quote(first["name"][:2]) if len(first["name"]) > 1 else surname

    cases = [
        ("floor: /healthz", commander, "/healthz"),
        ("page: cockpit (city)", commander, "/"),
        ("page: residents (city)", commander, "/residents"),
        ("page: residents, deep page by key (city)", commander, f"/residents?page=2000&after={after}"),
        ("page: residents, jump to page 2000 (city)", commander, "/residents?page=2000"),
        (f"page: residents by surname (city)", commander, f"/residents?q={surname}"),
        ("page: residents (station)", officer, "/residents"),
        ("page: resident detail", officer, f"/residents/{rid}"),
        ("page: org units (city)", commander, "/units"),
        ("api: residents (city)", commander, "/api/residents"),
        ("api: residents sorted by name (city)", commander, "/api/residents?sort=name"),
        ("api: residents, page 2000 by key (city)", commander, f"/api/residents?page=2000&after={after}"),
        ("api: residents by surname (city)", commander, f"/api/residents?q={surname}"),
        ("api: residents by name prefix (city)", commander, f"/api/residents?q={surname_prefix}&sort=name"),
        ("api: resident detail", officer, f"/api/residents/{rid}"),
        ("api: cockpit (city)", commander, "/api/cockpit"),
        ("api: org units (city)", commander, "/api/org-units"),
    ]
    print(f"{'request':44} {'median':>8} {'p95':>8} {'p99':>8} {'×floor':>7}  <{TARGET_MS:.0f} ms")
    floor = None
    worst = 0.0
    for name, session, path in cases:
        med, p95, p99 = timed(session, path, args.n)
        floor = floor or med
        worst = max(worst, med) if not name.startswith("floor") else worst
        ok = "yes" if med < TARGET_MS else "NO"
        print(f"{name:44} {med:8.2f} {p95:8.2f} {p99:8.2f} {med / floor:7.1f}  {ok}")
    print(f"{'api: cockpit, district, first view':44} {cold_cockpit:8.2f}")
    print(f"\nslowest median {worst:.2f} ms; target {TARGET_MS:.0f} ms: {'met' if worst < TARGET_MS else 'NOT met'}")


if __name__ == "__main__":
    main()
