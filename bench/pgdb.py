"""A PostgreSQL connection over `psql` for the bench fill scripts (standard library only):
just enough of DB-API for them — `execute` without parameters, `executemany` of INSERTs as
one `\\copy`, results converted to numbers where they read as numbers."""

import os
import subprocess
import tempfile


class Pg:
    """Just enough of a DB-API connection over psql for this script."""

    def __init__(self, url):
        self.url = url

    def execute(self, sql, params=()):
        assert not params
        out = subprocess.run(["psql", self.url, "-tA", "-F", "\t", "-c", sql], check=True, capture_output=True, text=True)
        return Rows([line.split("\t") for line in out.stdout.splitlines() if line])

    def executemany(self, sql, rows):
        table = sql.split("INSERT INTO ")[1].split(" (")[0]
        cols = sql.split("(", 1)[1].split(")", 1)[0]
        with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False, newline="") as f:
            # In PostgreSQL's CSV an unquoted empty field is NULL and a quoted one an empty
            # string: None is written bare, every string quoted.
            for r in rows:
                f.write(",".join(cell(v) for v in r) + "\n")
            name = f.name
        os.chmod(name, 0o644)
        done = subprocess.run(["psql", self.url, "-c", f"\\copy {table} ({cols}) FROM '{name}' WITH (FORMAT csv)"],
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"copy into {table} failed: {done.stderr}")
        os.unlink(name)

    def commit(self):
        pass


def cell(v):
    if v is None:
        return ""
    if isinstance(v, (int, float)):
        return repr(v)
    return '"' + str(v).replace('"', '""') + '"'


class Rows(list):
    def fetchall(self):
        return [tuple(conv(v) for v in r) for r in list.__iter__(self)]

    def fetchone(self):
        rows = self.fetchall()
        return rows[0] if rows else None

    def __iter__(self):
        return iter(self.fetchall())


def conv(v):
    for f in (int, float):
        try:
            return f(v)
        except ValueError:
            pass
    return v
