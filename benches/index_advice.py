#!/usr/bin/env python3
"""Helpers of benches/index_advice.sh (see there). Subcommands:

  supabase DBURL OUT.sql      run supabase's index_advisor() once per workload
                              statement (read from the baseline delta) and
                              write the distinct index statements it proposes
  dbperf JSON OUT.sql         the index statements (and their `requires`) of a
                              `dbperf analyze --format json` report
  report RUNDIR               the table of tps, mean times and ratios
  compare DBA.sql OTHER.sql [ALTERNATIVES.sql]
                              which of the indexes of DBA.sql (or of an
                              avoid.sql) another set has (same table, method,
                              keys and predicate), what it misses, what else;
                              with the workload's alternatives.sql, an
                              alternative EXPECTED.md names counts for the
                              DBA's index it stands for (said as such)
"""
import csv
import json
import os
import sys


def read_snapshot(path):
    rows = {}
    with open(path, newline="") as f:
        for qid, calls, total, query in csv.reader(f):
            rows[qid] = (int(calls), float(total), query)
    return rows


def delta(before, after):
    """Statements that ran between two snapshots: {queryid: (calls, total_ms, query)}."""
    out = {}
    for qid, (calls, total, query) in after.items():
        c0, t0, _ = before.get(qid, (0, 0.0, query))
        if calls > c0 and "pg_stat_statements" not in query:
            out[qid] = (calls - c0, total - t0, query)
    return out


def passes(rundir, config):
    """The passes of a configuration that ran: ["1", "2"], or [""] for a
    run of the script before configurations were measured twice."""
    found = [p for p in ("1", "2") if os.path.exists(f"{rundir}/{config}.{p}.after.csv")]
    if found:
        return found
    return [""] if os.path.exists(f"{rundir}/{config}.after.csv") else []


def pass_file(rundir, config, p, ext):
    return f"{rundir}/{config}.{p}.{ext}" if p else f"{rundir}/{config}.{ext}"


def pass_delta(rundir, config, p):
    return delta(
        read_snapshot(pass_file(rundir, config, p, "before.csv")),
        read_snapshot(pass_file(rundir, config, p, "after.csv")),
    )


def workload_statements(rundir):
    d = pass_delta(rundir, "none", passes(rundir, "none")[0])
    return sorted(d.items(), key=lambda kv: -kv[1][1])


def cmd_supabase(dburl, out, rundir):
    import psycopg2

    conn = psycopg2.connect(dburl)
    conn.autocommit = True
    cur = conn.cursor()
    found, log = [], []
    for qid, (_, _, query) in workload_statements(rundir):
        cur.execute("SELECT index_statements, errors FROM index_advisor(%s)", (query,))
        stmts, errors = cur.fetchone()
        one = " ".join(query.split())[:90]
        log.append(f"{one}\n    -> {stmts or []} {('errors: ' + '; '.join(errors)) if errors else ''}")
        for s in stmts or []:
            if s not in found:
                found.append(s)
    with open(out, "w") as f:
        for s in found:
            f.write(s.rstrip(";") + ";\n")
    with open(out + ".log", "w") as f:
        f.write("\n".join(log) + "\n")


def cmd_dbperf(report, out):
    doc = json.load(open(report))
    lines = []
    for ix in doc.get("indexes", []):
        for req in ix.get("requires") or []:
            if req not in lines:
                lines.append(req.rstrip(";"))
        lines.append(ix["statement"].rstrip(";"))
    with open(out, "w") as f:
        for s in lines:
            f.write(s + ";\n")


CONFIGS = ["none", "dbperf", "dba", "supabase"]


def cmd_report(rundir):
    """Per configuration, its passes together: tps is the mean of the
    passes' tps, a statement's mean time is its total time over its calls
    in all passes; each pass's tps is shown too, to judge the noise."""
    base = workload_statements(rundir)
    runs, tps, pass_tps, meta = {}, {}, {}, {}
    for c in CONFIGS:
        ps = passes(rundir, c)
        if not ps:
            continue
        merged = {}
        for p in ps:
            for qid, (calls, total, query) in pass_delta(rundir, c, p).items():
                c0, t0, _ = merged.get(qid, (0, 0.0, query))
                merged[qid] = (c0 + calls, t0 + total, query)
        runs[c] = merged
        pass_tps[c] = [float(open(pass_file(rundir, c, p, "tps")).read().strip() or 0) for p in ps]
        tps[c] = sum(pass_tps[c]) / len(pass_tps[c])
        meta[c] = open(f"{rundir}/{c}.meta").read().strip() if os.path.exists(f"{rundir}/{c}.meta") else ""
    cs = [c for c in CONFIGS if c in runs]
    # Statement time per pass, so that configurations measured a different
    # number of times compare.
    per_pass = {c: sum(v[1] for v in runs[c].values()) / len(pass_tps[c]) for c in cs}
    print("configuration   tps       ×none   ÷dba    statement time (ms) ÷dba   tps per pass        indexes")
    for c in cs:
        by_pass = " / ".join(f"{t:.2f}" for t in pass_tps[c])
        print(
            f"{c:<14} {tps[c]:8.2f} {tps[c] / tps['none']:7.2f}× {tps[c] / tps['dba'] if 'dba' in tps else float('nan'):6.2f}  "
            f"{per_pass[c]:12.0f} {per_pass[c] / per_pass['dba'] if 'dba' in per_pass else float('nan'):9.2f}   {by_pass:<19} {meta[c]}"
        )
    print()
    print("mean execution time per statement (ms), all passes, most baseline time first:")
    print(" | ".join(f"{c:>9}" for c in cs) + " | statement")
    for qid, (_, _, query) in base:
        cells = []
        for c in cs:
            v = runs[c].get(qid)
            cells.append(f"{v[1] / v[0]:9.2f}" if v else f"{'-':>9}")
        print(" | ".join(cells) + " | " + " ".join(query.split())[:150])


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cmd = sys.argv[1]
    if cmd == "supabase":
        cmd_supabase(sys.argv[2], sys.argv[3], sys.argv[4])
    elif cmd == "dbperf":
        cmd_dbperf(sys.argv[2], sys.argv[3])
    elif cmd == "report":
        cmd_report(sys.argv[2])
    elif cmd == "compare":
        cmd_compare(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else None)
    else:
        sys.exit(__doc__)



def index_key(stmt):
    """(table, method, key list, predicate) of a CREATE INDEX statement, names,
    CONCURRENTLY, IF NOT EXISTS and INCLUDE left out, for comparing sets."""
    import re

    s = " ".join(stmt.strip().rstrip(";").split())
    m = re.match(
        r"(?i)create\s+(?:unique\s+)?index\s+(?:concurrently\s+)?(?:if\s+not\s+exists\s+)?(?:\S+\s+)?on\s+(?:only\s+)?(\S+)\s*(?:using\s+(\w+)\s*)?\((.*)$",
        s,
    )
    if not m:
        return None
    table, method, rest = m.group(1), (m.group(2) or "btree").lower(), m.group(3)
    depth, i = 1, 0
    while i < len(rest) and depth:
        depth += {"(": 1, ")": -1}.get(rest[i], 0)
        i += 1
    keys, tail = rest[: i - 1], rest[i:]
    pred = re.search(r"(?i)\bwhere\s+(.*)$", tail)

    def norm(x):
        # No blanks, quotes or parentheses around the whole: `((to_tsvector(…)))`
        # and `to_tsvector(…)` are the same key.
        x = re.sub(r"[\s\"]+", "", x.lower())
        while x.startswith("(") and x.endswith(")") and closes_at(x, 0) == len(x) - 1:
            x = x[1:-1]
        # The same for an expression followed by an operator class or an
        # order: `(lower(name)) text_pattern_ops` is `lower(name) text_pattern_ops`.
        if x.startswith("(") and closes_at(x, 0) > 0:
            j = closes_at(x, 0)
            if re.fullmatch(r"[a-z0-9_]+", x[j + 1 :]):
                x = norm(x[1:j]) + x[j + 1 :]
        return x

    def closes_at(x, start):
        depth = 0
        for j in range(start, len(x)):
            depth += {"(": 1, ")": -1}.get(x[j], 0)
            if depth == 0:
                return j
        return -1

    def split_keys(x):
        out, cur, depth = [], "", 0
        for ch in x:
            depth += {"(": 1, ")": -1}.get(ch, 0)
            if ch == "," and depth == 0:
                out.append(cur)
                cur = ""
            else:
                cur += ch
        return out + [cur]

    keys = ",".join(norm(k) for k in split_keys(keys))
    return (norm(table), method, keys, norm(pred.group(1)) if pred else "")


def cmd_compare(dba_sql, other_sql, alternatives_sql=None):
    def load(path):
        out = {}
        for line in open(path):
            k = index_key(line)
            if k:
                out[k] = line.strip()
        return out

    # alternative key -> the DBA's key it may stand for
    alternatives = {}
    if alternatives_sql and os.path.exists(alternatives_sql):
        for line in open(alternatives_sql):
            if "-- instead of:" in line:
                alt, of = line.split("-- instead of:", 1)
                ka, ko = index_key(alt), index_key(of)
                if ka and ko:
                    alternatives[ka] = ko
    dba, other = load(dba_sql), load(other_sql)
    same = [k for k in dba if k in other]
    instead = {k: a for a, k in alternatives.items() if k in dba and k not in other and a in other}
    line = f"{len(same)} of the {len(dba)} indexes of {dba_sql} proposed as such"
    if alternatives_sql:
        line += f", {len(instead)} as an alternative EXPECTED.md names"
    used = set(same) | set(instead.values())
    print(f"{line}; {len([k for k in other if k not in used])} others proposed")
    for k in dba:
        if k in instead:
            print(f"  alternative: {other[instead[k]]} (for {dba[k]})")
        elif k not in other:
            print(f"  missed: {dba[k]}")
    for k in other:
        if k not in dba and k not in instead.values():
            print(f"  extra:  {other[k]}")


if __name__ == "__main__":
    main()
