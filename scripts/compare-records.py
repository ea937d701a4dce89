#!/usr/bin/env python3
"""Compares two run records apart from wall-clock fields (keys containing "second") and
the store's unit key: exit 0 when identical. Used to check a forked run against the same
run trained alone. Usage: scripts/compare-records.py A.json B.json"""
import json, sys
def strip(v):
    if isinstance(v, dict):
        return {k: strip(x) for k, x in v.items() if "second" not in k and k not in ("unit_key", "directory")}
    if isinstance(v, list):
        return [strip(x) for x in v]
    return v
a, b = (strip(json.load(open(p))) for p in sys.argv[1:3])
if a == b:
    print("identical apart from timings"); sys.exit(0)
for k in sorted(set(a) | set(b)):
    if a.get(k) != b.get(k): print("differs:", k)
sys.exit(1)
