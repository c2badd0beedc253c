#!/usr/bin/env python3
"""Extract the Autobahn verdicts wsspec's peer tests compare against.

Reads Autobahn|Testsuite's index.json for the two reference servers
(../shared/reference/autobahn-results/{ws,websockets}/index.json, beside the repo) and writes
harness/tests/fixtures/autobahn/{node-ws,py-websockets}.json: {case_id: [behavior, behaviorClose]}
for the categories wsspec's catalogue covers (1-7, 9, 10), keys in catalogue order.

Usage: python3 ci/extract-fixtures.py [REFERENCE_DIR]
"""

import json
import os
import sys

CATEGORIES = {1, 2, 3, 4, 5, 6, 7, 9, 10}
SOURCES = [("ws", "node-ws"), ("websockets", "py-websockets")]


def id_key(case_id):
    return tuple(int(p) for p in case_id.split("."))


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    default_ref = os.path.join(root, "..", "shared", "reference", "autobahn-results")
    ref = sys.argv[1] if len(sys.argv) > 1 else default_ref
    out_dir = os.path.join(root, "harness", "tests", "fixtures", "autobahn")
    os.makedirs(out_dir, exist_ok=True)
    for sub, agent in SOURCES:
        with open(os.path.join(ref, sub, "index.json"), encoding="utf-8") as f:
            index = json.load(f)
        cases = index[agent]
        picked = {
            cid: [cases[cid]["behavior"], cases[cid]["behaviorClose"]]
            for cid in sorted(cases, key=id_key)
            if id_key(cid)[0] in CATEGORIES
        }
        path = os.path.join(out_dir, agent + ".json")
        with open(path, "w", encoding="utf-8") as f:
            f.write("{\n")
            f.write(",\n".join(f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in picked.items()))
            f.write("\n}\n")
        print(f"{os.path.relpath(path, root)}: {len(picked)} cases")


if __name__ == "__main__":
    main()
