#!/usr/bin/env python3
"""Builds a big benchmark log from a real fixture log: the fixture's entries
repeated with shifted pids / thread ids and numbers, so sessions and
literal values differ from copy to copy, until the file reaches SIZE MB.

    gen_log.py pg    fixtures/logs/pg/a.log       benches/data/pg_1100.log 1100
    gen_log.py mysql fixtures/logs/mysql/slow.log benches/data/mysql_1100.log 1100
"""
import re
import sys

kind, src, dst, size_mb = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
text = open(src, encoding='utf-8').read()
if kind == 'mysql':
    # Drop the start banner; repeat the entries.
    text = text[text.index('# Time:'):]
    pid = re.compile(r'(Thread_id: )(\d+)')
else:
    pid = re.compile(r'(\[)(\d+)(\])')
num = re.compile(r"(= '?)(\d+)")
target = size_mb * 1_000_000
with open(dst, 'w', encoding='utf-8') as out:
    written = 0
    copy = 0
    while written < target:
        copy += 1
        t = pid.sub(lambda m: m.group(1) + str(int(m.group(2)) + copy * 100_000) + (m.group(3) if kind != 'mysql' else ''), text)
        t = num.sub(lambda m: m.group(1) + str(int(m.group(2)) + copy % 1000), t)
        out.write(t)
        written += len(t)
