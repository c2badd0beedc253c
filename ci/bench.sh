#!/usr/bin/env bash
# End-to-end speed comparison (a developer benchmark, not part of the tests): wsspec and
# Autobahn|Testsuite run the same case selections against the same npm `ws` echo server,
# one after the other in the same session, and the wall times and peak RSS are printed
# as ratios. Autobahn is set up under /tmp by ci/run-autobahn.sh (Python 2.7).
#
#   ci/bench.sh [ROUNDS] [SELECTIONS]   (default 1 round of "core all"; figures go into
#                                        BENCHMARKS.md by hand)
#   SELECTIONS: space-separated among core (1-7, 10), all (core + 9) and compression
#   (12, 13: about 11 GB through the server, ten minutes per tool). User and system CPU
#   are printed too, because in the compression cases the server's CPU is the limit.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
rounds="${1:-1}"
selections="${2:-core all}"
bash ci/install-peers.sh >/dev/null
cargo build --release --quiet
wsspec="$root/target/release/wsspec"
work="$(mktemp -d)"
cleanup() { [ -n "${peer:-}" ] && kill "$peer" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

node ci/peers/ws_echo.js 0 >"$work/peer.out" 2>&1 &
peer=$!
for _ in $(seq 100); do grep -q LISTENING "$work/peer.out" 2>/dev/null && break; sleep 0.1; done
port="$(awk '/LISTENING/{print $2}' "$work/peer.out")"
[ -n "$port" ] || { echo "bench: ws echo server did not start" >&2; exit 1; }
url="ws://127.0.0.1:$port"

core="1.*,2.*,3.*,4.*,5.*,6.*,7.*,10.*"
all="$core,9.*"
compression="12.*,13.*"
measure() { # name, command... → "seconds peak_kb user_s sys_s"
  local name="$1"; shift
  /usr/bin/time -f "%e %M %U %S" -o "$work/$name.time" "$@" >"$work/$name.log" 2>&1
  cat "$work/$name.time"
}
printf '%-8s %-34s %10s %12s %8s %8s\n' round run wall_s peak_rss_kb user_s sys_s
for r in $(seq "$rounds"); do
  for sel in $selections; do
    pat="${!sel}"
    read -r ab_s ab_kb ab_u ab_y < <(measure "ab-$sel-$r" bash ci/run-autobahn.sh "$url" autobahn "$pat" "$work/ab-$sel-$r")
    read -r ws_s ws_kb ws_u ws_y < <(measure "ws-$sel-$r" "$wsspec" client --url "$url" --agent wsspec --cases "$pat" --out "$work/ws-$sel-$r")
    read -r w1_s w1_kb w1_u w1_y < <(measure "w1-$sel-$r" "$wsspec" client --url "$url" --agent wsspec --cases "$pat" --jobs 1 --out "$work/w1-$sel-$r")
    printf '%-8s %-34s %10s %12s %8s %8s\n' "$r" "autobahn $sel" "$ab_s" "$ab_kb" "$ab_u" "$ab_y"
    printf '%-8s %-34s %10s %12s %8s %8s\n' "$r" "wsspec $sel (default jobs)" "$ws_s" "$ws_kb" "$ws_u" "$ws_y"
    printf '%-8s %-34s %10s %12s %8s %8s\n' "$r" "wsspec $sel (--jobs 1)" "$w1_s" "$w1_kb" "$w1_u" "$w1_y"
    python3 -c "print('         ratio autobahn/wsspec: %.1fx (default jobs), %.1fx (--jobs 1); RSS %.1fx' % ($ab_s/$ws_s, $ab_s/$w1_s, $ab_kb/$ws_kb))"
  done
done
