#!/usr/bin/env python3
"""Helpers of benches/tpch.sh: what-if evaluation of index sets on TPC-H.

  cost DBNAME QUERYDIR SET.sql...   relative workload cost of each index set:
        the sum over the queries of EXPLAIN's total cost with the set's indexes
        created as HypoPG hypothetical indexes, divided by the same sum without
        them; also over the 19 queries of Kossmann et al. (without 2, 17, 20),
        and the set's estimated size (hypopg_relation_size).
  supabase DBNAME QUERYDIR OUT.sql  supabase's index_advisor() on each query
        (it must be loaded in DBNAME), the distinct statements it proposes
  hyrise HYRISE_DIR DBNAME QUERYDIR ALGORITHM PARAMS_JSON OUT.sql
        one algorithm of hyrise/index_selection_evaluation on the queries,
        its indexes as CREATE INDEX statements

The connection comes from the PG* environment variables (PGHOST, PGPORT,
PGUSER) plus DBNAME.
"""
import glob
import json
import math
import os
import re
import sys

import psycopg2

PAPER_EXCLUDED = {"02", "17", "20"}


def queries(querydir):
    out = []
    for path in sorted(glob.glob(os.path.join(querydir, "*.sql"))):
        qid = os.path.basename(path)[:-4]
        out.append((qid, open(path).read().strip().rstrip(";")))
    return out


def read_set(path):
    stmts = []
    for line in open(path):
        line = line.strip()
        if not line or line.startswith("--"):
            continue
        stmts.append(line.rstrip(";"))
    return stmts


def plan_costs(cur, qs):
    costs = {}
    for qid, text in qs:
        cur.execute("EXPLAIN (FORMAT JSON) " + text)
        costs[qid] = cur.fetchone()[0][0]["Plan"]["Total Cost"]
    return costs


def hypothetical(cur, stmt):
    """Creates one hypothetical index; returns (oid, None) or (None, reason)."""
    if re.match(r"(?i)\s*create\s+extension", stmt):
        return None, "skipped (extension)"
    s = re.sub(r"(?i)\bconcurrently\b", "", stmt)
    s = re.sub(r"(?i)\bif\s+not\s+exists\b", "", s)
    try:
        cur.execute("SAVEPOINT h")
        cur.execute("SELECT indexrelid FROM hypopg_create_index(%s)", (s,))
        oid = cur.fetchone()[0]
        cur.execute("RELEASE SAVEPOINT h")
        return oid, None
    except psycopg2.Error as e:
        cur.execute("ROLLBACK TO SAVEPOINT h")
        return None, str(e).strip().splitlines()[0]


def cmd_cost(dbname, querydir, sets):
    qs = queries(querydir)
    conn = psycopg2.connect(dbname=dbname)
    cur = conn.cursor()
    cur.execute("SELECT hypopg_reset()")
    base = plan_costs(cur, qs)
    base_all = sum(base.values())
    base_paper = sum(v for k, v in base.items() if k not in PAPER_EXCLUDED)
    print(f"{'set':<28} {'indexes':>7} {'size MB':>8} {'rel. cost 22 q':>15} {'rel. cost 19 q':>15} {'geo. mean 22 q':>15}")
    print(f"{'(none)':<28} {0:>7} {0:>8.0f} {1:>15.4f} {1:>15.4f} {1:>15.4f}   (absolute {base_all:,.0f} / {base_paper:,.0f})")
    details = {}
    for path in sets:
        cur.execute("SELECT hypopg_reset()")
        made, failed = [], []
        for stmt in read_set(path):
            oid, err = hypothetical(cur, stmt)
            if oid is not None:
                made.append(oid)
            elif err != "skipped (extension)":
                failed.append((stmt, err))
        size = 0
        for oid in made:
            cur.execute("SELECT hypopg_relation_size(%s)", (oid,))
            size += cur.fetchone()[0]
        costs = plan_costs(cur, qs)
        rel_all = sum(costs.values()) / base_all
        rel_paper = sum(v for k, v in costs.items() if k not in PAPER_EXCLUDED) / base_paper
        geo = math.exp(sum(math.log(costs[q] / base[q]) for q in base) / len(base))
        name = os.path.basename(path)[:-4]
        print(f"{name:<28} {len(made):>7} {size / 1e6:>8.0f} {rel_all:>15.4f} {rel_paper:>15.4f} {geo:>15.4f}")
        details[name] = {q: (base[q], costs[q]) for q in base}
        for stmt, err in failed:
            print(f"    not created: {stmt}: {err}")
    cur.execute("SELECT hypopg_reset()")
    conn.rollback()
    print()
    print("per query, estimated total cost relative to no index:")
    names = list(details)
    print("query " + " ".join(f"{n[:14]:>14}" for n in names) + f" {'no index':>14}")
    for q in base:
        print(f"{q:<5} " + " ".join(f"{details[n][q][1] / base[q]:>14.3f}" for n in names) + f" {base[q]:>14,.0f}")


def cmd_supabase(dbname, querydir, out):
    conn = psycopg2.connect(dbname=dbname)
    conn.autocommit = True
    cur = conn.cursor()
    found = []
    with open(out + ".log", "w") as log:
        for qid, text in queries(querydir):
            cur.execute("SELECT index_statements, errors FROM index_advisor(%s)", (text,))
            stmts, errors = cur.fetchone()
            log.write(f"{qid}: {stmts} {errors}\n")
            for s in stmts or []:
                if s not in found:
                    found.append(s)
    with open(out, "w") as f:
        for s in found:
            f.write(s.rstrip(";") + ";\n")


def cmd_hyrise(hyrise_dir, dbname, querydir, algorithm, params, out):
    import logging

    sys.path.insert(0, hyrise_dir)
    logging.basicConfig(level=logging.WARNING)
    from selection.dbms.postgres_dbms import PostgresDatabaseConnector
    from selection.algorithms.auto_admin_algorithm import AutoAdminAlgorithm
    from selection.algorithms.db2advis_algorithm import DB2AdvisAlgorithm
    from selection.algorithms.extend_algorithm import ExtendAlgorithm
    from selection.workload import Column, Query, Table, Workload

    # The evaluation drops every index of the schema before it starts; here
    # the primary keys stay (the same database the other advisors see), and
    # the algorithms only ever create hypothetical indexes.
    PostgresDatabaseConnector.drop_indexes = lambda self: None
    conn = PostgresDatabaseConnector(dbname, autocommit=True)
    tables = {}
    for (tname,) in conn.exec_fetchall("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"):
        t = Table(tname)
        for (cname,) in conn.exec_fetchall(
            "SELECT column_name FROM information_schema.columns "
            f"WHERE table_schema = 'public' AND table_name = '{tname}' ORDER BY ordinal_position"
        ):
            t.add_column(Column(cname))
        tables[tname] = t
    qs = []
    for qid, text in queries(querydir):
        q = Query(qid, text)
        for tname, t in tables.items():
            if re.search(rf"\b{tname}\b", text):
                for c in t.columns:
                    if re.search(rf"\b{c.name}\b", text):
                        q.columns.append(c)
        qs.append(q)
    algorithms = {"extend": ExtendAlgorithm, "db2advis": DB2AdvisAlgorithm, "auto_admin": AutoAdminAlgorithm}
    algo = algorithms[algorithm](conn, json.loads(params))
    indexes = algo.calculate_best_indexes(Workload(qs))
    with open(out, "w") as f:
        for ix in indexes:
            f.write(f"CREATE INDEX ON public.{ix.table()} ({ix.joined_column_names()});\n")


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "cost":
        cmd_cost(args[0], args[1], args[2:])
    elif cmd == "supabase":
        cmd_supabase(*args)
    elif cmd == "hyrise":
        cmd_hyrise(*args)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
