#!/usr/bin/env python3
"""Benchmark: whose indexes make a SQLite workload fastest?

For one workload of fixtures/sqlite_workloads/<domain>/ it builds the file
from schema_data.sql (once, into benches/data/sqlite_workloads/, never
committed), then for each configuration
  none     the schema's own keys
  dbperf   + `dbperf analyze --db sqlite:FILE --queries workload.sql
           --format json` -> .indexes[].statement
  dba      + dba.sql (see EXPECTED.md there)
builds the indexes on a copy, runs ANALYZE, and times every statement of
workload.sql (each run REPEAT times after one warm-up run, the median
kept), weighting each by its `-- calls: N`. Prints per statement and in
total the workload's time a day, and each set's size. The DELETE runs in
a transaction that is rolled back, so every run deletes the same row.

Usage: python3 benches/sqlite_workload.py todo [--dbperf PATH] [--repeat 7]
Needs: python3 (its sqlite3 module), the sqlite3 shell to build the file,
a dbperf binary (default target/release/dbperf).
"""

import argparse
import json
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def statements(path):
    """(calls, sql) of each statement of a workload file."""
    out, calls, body = [], 1, []
    for line in open(path, encoding="utf-8"):
        m = re.match(r"\s*--\s*calls:\s*(\d+)", line)
        if m:
            calls = int(m.group(1))
            continue
        if line.lstrip().startswith("--"):
            continue
        body.append(line)
        if line.rstrip().endswith(";"):
            sql = "".join(body).strip().rstrip(";").strip()
            if sql:
                out.append((calls, sql))
            body, calls = [], 1
    return out


def build(domain, data):
    db = os.path.join(data, f"{domain}.db")
    if not os.path.exists(db):
        script = os.path.join(ROOT, "fixtures", "sqlite_workloads", domain, "schema_data.sql")
        tmp = db + ".tmp"
        if os.path.exists(tmp):
            os.remove(tmp)
        with open(script, "rb") as f:
            subprocess.run(["sqlite3", tmp], stdin=f, check=True, stdout=subprocess.DEVNULL)
        os.rename(tmp, db)
    return db


def index_lines(path):
    return [l.strip() for l in open(path, encoding="utf-8") if l.strip().upper().startswith("CREATE")]


def measure(db, name, indexes, work, repeat):
    copy = os.path.join(work, f"{name}.db")
    shutil.copy(db, copy)
    conn = sqlite3.connect(copy, isolation_level=None)
    before = os.path.getsize(copy)
    for stmt in indexes:
        conn.execute(stmt)
    conn.execute("ANALYZE")
    conn.execute("VACUUM")
    size = os.path.getsize(copy) - before
    conn.execute("PRAGMA foreign_keys = ON")
    times = []
    for calls, sql in statements(os.path.join(work, "workload.sql")):
        runs = []
        for i in range(repeat + 1):
            write = not sql.lstrip().upper().startswith("SELECT")
            if write:
                conn.execute("BEGIN")
            t = time.perf_counter()
            conn.execute(sql).fetchall()
            elapsed = time.perf_counter() - t
            if write:
                conn.execute("ROLLBACK")
            if i:
                runs.append(elapsed)
        times.append((calls, sql, statistics.median(runs)))
    conn.close()
    os.remove(copy)
    return size, times


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("domain")
    ap.add_argument("--dbperf", default=os.path.join(ROOT, "target", "release", "dbperf"))
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    wl = os.path.join(ROOT, "fixtures", "sqlite_workloads", args.domain)
    data = os.path.join(ROOT, "benches", "data", "sqlite_workloads")
    os.makedirs(data, exist_ok=True)
    db = build(args.domain, data)
    work = os.path.join(data, f"{args.domain}.work")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    shutil.copy(os.path.join(wl, "workload.sql"), os.path.join(work, "workload.sql"))

    t = time.perf_counter()
    out = subprocess.run(
        [args.dbperf, "analyze", "--db", f"sqlite:{db}", "--queries",
         os.path.join(wl, "workload.sql"), "--format", "json"],
        check=True, capture_output=True,
    )
    took = time.perf_counter() - t
    proposed = [i["statement"] for i in json.loads(out.stdout)["indexes"]]
    configs = [("none", []), ("dbperf", proposed), ("dba", index_lines(os.path.join(wl, "dba.sql")))]

    results = {}
    for name, indexes in configs:
        results[name] = measure(db, name, indexes, work, args.repeat)
    shutil.rmtree(work, ignore_errors=True)

    print(f"# {args.domain}: sqlite {sqlite3.sqlite_version}, median of {args.repeat} runs a statement")
    print(f"# dbperf analyze took {took:.2f} s (wall) and proposed {len(proposed)} indexes")
    names = [c[0] for c in configs]
    print("| # | calls | statement | " + " | ".join(f"{n} (ms)" for n in names) + " |")
    print("|---|---|---|" + "---|" * len(names))
    stmts = results["none"][1]
    for i, (calls, sql, _) in enumerate(stmts):
        short = " ".join(sql.split())[:70]
        cells = " | ".join(f"{results[n][1][i][2] * 1000:.3f}" for n in names)
        print(f"| {i + 1} | {calls} | `{short}` | {cells} |")
    print()
    print("| configuration | indexes | size (MB) | workload time a day (s) | ÷ DBA |")
    print("|---|---|---|---|---|")
    total = {n: sum(c * t for c, _, t in results[n][1]) for n in names}
    for name, indexes in configs:
        print(f"| {name} | {len(indexes)} | {results[name][0] / 1e6:.1f} | {total[name]:.2f} | {total[name] / total['dba']:.2f} |")
    print()
    print("dbperf's set:")
    for s in proposed:
        print(f"  {s}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
