#!/usr/bin/env bash
# Developer tool (never used by the tests or CI): run Autobahn|Testsuite 25.10.1 in
# fuzzingclient mode against a WebSocket server, to compare its verdicts with wsspec's.
#
#   ci/run-autobahn.sh URL [AGENT] [CASES] [OUTDIR]
#     URL     ws://127.0.0.1:PORT of the server under test (loopback only)
#     AGENT   agent name in the report (default: autobahn-check)
#     CASES   comma-separated case patterns (default: *)
#     OUTDIR  report directory (default: target/autobahn/<agent>)
#
# Autobahn is Python 2 code: this sets up (once) a Python 2.7 virtualenv as described in
# ../shared/reference/autobahn-results/README.md, under $AB_HOME (default /tmp/wsspec-autobahn),
# from pyenv's Python 2.7.18. Then compare, e.g.:
#   wsspec client --url URL --agent wsspec --out DIR   and diff the two index.json files.
set -euo pipefail

url="${1:?usage: ci/run-autobahn.sh URL [AGENT] [CASES] [OUTDIR]}"
agent="${2:-autobahn-check}"
cases="${3:-*}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
outdir="${4:-$root/target/autobahn/$agent}"
ab_home="${AB_HOME:-/tmp/wsspec-autobahn}"
py27="${PY27:-$HOME/.pyenv/versions/2.7.18/bin/python}"

case "$url" in
  ws://127.0.0.1:*|ws://localhost:*|ws://\[::1\]:*) ;;
  *) echo "run-autobahn: only loopback ws:// URLs, got $url" >&2; exit 2 ;;
esac

if [ ! -x "$ab_home/py27/bin/wstest" ]; then
  [ -x "$py27" ] || { echo "run-autobahn: Python 2.7 not found at $py27 (set PY27)" >&2; exit 1; }
  echo "run-autobahn: setting up Autobahn|Testsuite in $ab_home"
  python3 -m venv "$ab_home/tools"
  "$ab_home/tools/bin/pip" install --quiet "virtualenv<20.22"
  "$ab_home/tools/bin/virtualenv" -q -p "$py27" "$ab_home/py27"
  "$ab_home/py27/bin/pip" install --quiet autobahntestsuite==25.10.1
fi

mkdir -p "$outdir"
spec="$(mktemp -d)/fuzzingclient.json"
trap 'rm -rf "$(dirname "$spec")"' EXIT
python3 - "$spec" "$url" "$agent" "$cases" "$outdir" <<'PY'
import json, sys
spec, url, agent, cases, outdir = sys.argv[1:]
json.dump({
    "outdir": outdir,
    "servers": [{"agent": agent, "url": url}],
    "cases": [c.strip() for c in cases.split(",") if c.strip()],
    "exclude-cases": [],
    "exclude-agent-cases": {},
}, open(spec, "w"), indent=2)
PY

# fuzzingclient mode opens no listening socket; it connects to URL only.
"$ab_home/py27/bin/wstest" -m fuzzingclient -s "$spec"
echo "run-autobahn: report in $outdir/index.html"
