#!/usr/bin/env python3
"""Writes a synthetic migration history and workload for benches/lint.sh:
N_FILES golang-migrate style files (tables with foreign keys, indexes,
renames, drops, a few statements lint must skip) and N_QUERIES statements
over those tables, deterministic for a given seed."""
import os
import random
import sys

out, n_files, n_queries = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rnd = random.Random(42)
mig = os.path.join(out, "migrations")
os.makedirs(mig, exist_ok=True)
tables = []
for i in range(1, n_files + 1):
    lines = []
    if i % 5 != 0 or len(tables) < 2:
        t = f"t{i}"
        parent = rnd.choice(tables) if tables else None
        lines.append(f"-- dbperf: rows={rnd.choice([1000, 50000, 2000000])}")
        lines.append(f"CREATE TABLE {t} (")
        lines.append("    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,")
        if parent:
            lines.append(f"    {parent}_id bigint NOT NULL REFERENCES {parent} (id),")
        lines.append("    status text NOT NULL DEFAULT 'new',")
        lines.append("    created_at timestamptz NOT NULL DEFAULT now(),")
        lines.append("    amount numeric(12, 2)")
        lines.append(");")
        if parent and rnd.random() < 0.6:
            lines.append(f"CREATE INDEX {t}_{parent}_id_idx ON {t} ({parent}_id);")
        tables.append(t)
    else:
        t = rnd.choice(tables)
        lines.append(f"ALTER TABLE {t} ADD COLUMN note_{i} text;")
        lines.append(f"CREATE INDEX {t}_created_{i}_idx ON {t} (created_at);")
        lines.append(f"CREATE INDEX CONCURRENTLY {t}_status_{i}_idx ON {t} (status, created_at);")
        if rnd.random() < 0.3:
            lines.append(f"DROP INDEX CONCURRENTLY {t}_created_{i}_idx;")
        lines.append(f"COMMENT ON TABLE {t} IS 'touched by migration {i}';")
        lines.append(f"GRANT SELECT ON {t} TO reporting;")
    with open(os.path.join(mig, f"{i:06d}_step.up.sql"), "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(mig, f"{i:06d}_step.down.sql"), "w") as f:
        f.write("SELECT 1;\n")
with open(os.path.join(out, "queries.sql"), "w") as f:
    for q in range(n_queries):
        t = rnd.choice(tables)
        kind = q % 4
        f.write(f"-- calls: {rnd.randint(1, 5000)}\n")
        if kind == 0:
            f.write(f"SELECT * FROM {t} WHERE status = '{rnd.choice(['new', 'paid', 'gone'])}' ORDER BY created_at DESC LIMIT 20;\n")
        elif kind == 1:
            f.write(f"SELECT id, amount FROM {t} WHERE id = {rnd.randint(1, 10**6)};\n")
        elif kind == 2:
            f.write(f"SELECT count(*) FROM {t} WHERE created_at > now() - interval '{rnd.randint(1, 30)} days' AND amount > {rnd.randint(1, 500)};\n")
        else:
            f.write(f"UPDATE {t} SET status = 'paid' WHERE id = {rnd.randint(1, 10**6)} AND status = 'new';\n")
