#!/usr/bin/env python3
"""Extract the Autobahn verdicts wsspec's peer tests compare against.

Reads Autobahn|Testsuite's index.json for the two reference servers
(../shared/reference/autobahn-results/{ws,websockets}/index.json, beside the repo) and writes,
under harness/tests/fixtures/autobahn/, {case_id: [behavior, behaviorClose]} with keys in
catalogue order:
  {node-ws,py-websockets}.json               categories 1-7, 9, 10
  {node-ws,py-websockets}-compression.json   categories 12, 13 (permessage-deflate)

Usage: python3 ci/extract-fixtures.py [--only core|compression] [REFERENCE_DIR]
(default: both sets)
"""

import json
import os
import sys

# Fixture set -> (file name suffix, Autobahn categories it holds).
SETS = {
    "core": ("", {1, 2, 3, 4, 5, 6, 7, 9, 10}),
    "compression": ("-compression", {12, 13}),
}
SOURCES = [("ws", "node-ws"), ("websockets", "py-websockets")]


def id_key(case_id):
    return tuple(int(p) for p in case_id.split("."))


def usage():
    print("usage: python3 ci/extract-fixtures.py [--only core|compression] [REFERENCE_DIR]",
          file=sys.stderr)
    sys.exit(2)


def parse_args(argv):
    sets, ref = list(SETS), None
    args = list(argv)
    while args:
        arg = args.pop(0)
        if arg == "--only":
            if not args or args[0] not in SETS:
                usage()
            sets = [args.pop(0)]
        elif arg.startswith("-") or ref is not None:
            usage()
        else:
            ref = arg
    return sets, ref


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    default_ref = os.path.join(root, "..", "shared", "reference", "autobahn-results")
    sets, ref = parse_args(sys.argv[1:])
    ref = ref or default_ref
    out_dir = os.path.join(root, "harness", "tests", "fixtures", "autobahn")
    os.makedirs(out_dir, exist_ok=True)
    for sub, agent in SOURCES:
        with open(os.path.join(ref, sub, "index.json"), encoding="utf-8") as f:
            index = json.load(f)
        cases = index[agent]
        for name in sets:
            suffix, categories = SETS[name]
            picked = {
                cid: [cases[cid]["behavior"], cases[cid]["behaviorClose"]]
                for cid in sorted(cases, key=id_key)
                if id_key(cid)[0] in categories
            }
            path = os.path.join(out_dir, agent + suffix + ".json")
            with open(path, "w", encoding="utf-8") as f:
                f.write("{\n")
                f.write(",\n".join(f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in picked.items()))
                f.write("\n}\n")
            print(f"{os.path.relpath(path, root)}: {len(picked)} cases")


if __name__ == "__main__":
    main()
