#!/usr/bin/env bash
# Install the real WebSocket peers and the browser that wsspec's integration tests use:
#   ci/peers/node_modules   npm `ws`, `faye-websocket` + `websocket-driver` +
#                           `permessage-deflate` (faye's deflate extension), and
#                           `playwright-core` (drives Debian chromium; it downloads no
#                           browser of its own) (pinned by ci/peers/package-lock.json)
#   ci/peers/.venv          PyPI `websockets` (pinned by ci/peers/requirements.txt)
#   /usr/bin/chromium       Debian `chromium` (headless: the HTML report and server-mode tests)
#   jq                      Debian `jq` (the index.json judge other projects run)
#   xmllint                 Debian `libxml2-utils` (validates wsspec's JUnit XML)
#   ci/peers/.cache/junit-xsd/junit-10.xsd
#                           Jenkins' JUnit schema, extracted from the pytest sdist on PyPI
#                           (pinned by version and sha256; gate/tests/junit_xsd.rs)
# Idempotent: each part is skipped when it is already installed from the same pins.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
peers="$root/ci/peers"

say() { printf 'install-peers: %s\n' "$*"; }
die() { printf 'install-peers: error: %s\n' "$*" >&2; exit 1; }

# Command prefix for apt-get: nothing as root, sudo otherwise (when available).
as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    die "need root (or sudo) to run: $*"
  fi
}

hash_of() { cat "$@" | sha256sum | cut -d' ' -f1; }

# --- npm `ws` --------------------------------------------------------------------------------
command -v node >/dev/null 2>&1 || die "node not found (install Node.js 20)"
command -v npm >/dev/null 2>&1 || die "npm not found"
npm_stamp="$peers/node_modules/.wsspec-stamp"
npm_want="$(hash_of "$peers/package.json" "$peers/package-lock.json") node=$(node --version)"
if [ -f "$npm_stamp" ] && [ "$(cat "$npm_stamp")" = "$npm_want" ]; then
  say "npm peers up to date"
else
  say "npm ci in ci/peers"
  (cd "$peers" && npm ci --no-audit --no-fund --loglevel=error)
  printf '%s\n' "$npm_want" >"$npm_stamp"
fi
node -e "const v=require('$peers/node_modules/ws/package.json').version; if (v!=='8.23.0') { console.error('ws is '+v); process.exit(1) }" \
  || die "ci/peers/node_modules/ws is not 8.23.0"
node -e "const v=require('$peers/node_modules/faye-websocket/package.json').version; if (v!=='0.11.4') { console.error('faye-websocket is '+v); process.exit(1) }" \
  || die "ci/peers/node_modules/faye-websocket is not 0.11.4"
node -e "const v=require('$peers/node_modules/permessage-deflate/package.json').version; if (v!=='0.1.7') { console.error('permessage-deflate is '+v); process.exit(1) }" \
  || die "ci/peers/node_modules/permessage-deflate is not 0.1.7"
node -e "const v=require('$peers/node_modules/playwright-core/package.json').version; if (v!=='1.64.1') { console.error('playwright-core is '+v); process.exit(1) }" \
  || die "ci/peers/node_modules/playwright-core is not 1.64.1"

# --- PyPI `websockets` -----------------------------------------------------------------------
python="${PYTHON:-python3}"
command -v "$python" >/dev/null 2>&1 || die "$python not found (install Python >= 3.10)"
venv="$peers/.venv"
py_stamp="$venv/.wsspec-stamp"
py_want="$(hash_of "$peers/requirements.txt") $("$python" --version 2>&1)"
if [ -x "$venv/bin/python" ] && [ -f "$py_stamp" ] && [ "$(cat "$py_stamp")" = "$py_want" ]; then
  say "python peers up to date"
else
  say "creating venv ci/peers/.venv"
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
    -r "$peers/requirements.txt"
  printf '%s\n' "$py_want" >"$py_stamp"
fi
"$venv/bin/python" -c 'import websockets, sys; sys.exit(websockets.__version__ != "17.4")' \
  || die "ci/peers/.venv does not hold websockets 17.4"

# --- JUnit schema: Jenkins' junit-10.xsd from the pytest sdist (gate/tests/junit_xsd.rs) ----
xsd_dir="$peers/.cache/junit-xsd"
xsd="$xsd_dir/junit-10.xsd"
pytest_version=8.3.4
xsd_sha256=a1a816f58d1bf95ebabf371994df0b9246dee66ea9572fbec4f9296f1b2c0ff6
if [ -f "$xsd" ] && [ "$(hash_of "$xsd")" = "$xsd_sha256" ]; then
  say "junit-10.xsd up to date"
else
  say "downloading the pytest $pytest_version sdist for junit-10.xsd"
  rm -rf "$xsd_dir"
  mkdir -p "$xsd_dir/sdist"
  "$venv/bin/python" -m pip download --quiet --disable-pip-version-check --no-input \
    --no-deps --no-binary :all: "pytest==$pytest_version" -d "$xsd_dir/sdist"
  tar -xzf "$xsd_dir/sdist/pytest-$pytest_version.tar.gz" -C "$xsd_dir" --no-same-owner --strip-components=3 \
    "pytest-$pytest_version/testing/example_scripts/junit-10.xsd"
  rm -rf "$xsd_dir/sdist"
  [ "$(hash_of "$xsd")" = "$xsd_sha256" ] \
    || { rm -f "$xsd"; die "junit-10.xsd from pytest $pytest_version does not have the pinned sha256"; }
fi

# --- Debian chromium (HTML report test), jq (the CI judge other projects use), xmllint -----
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v jq >/dev/null 2>&1 || missing+=(jq)
command -v xmllint >/dev/null 2>&1 || missing+=(libxml2-utils)
if [ "${#missing[@]}" -eq 0 ]; then
  say "chromium, jq and xmllint present"
else
  command -v apt-get >/dev/null 2>&1 || die "${missing[*]} missing and no apt-get to install them"
  say "installing Debian ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  [ -x /usr/bin/chromium ] || die "apt-get install chromium did not provide /usr/bin/chromium"
  command -v jq >/dev/null 2>&1 || die "apt-get install jq did not provide jq"
  command -v xmllint >/dev/null 2>&1 || die "apt-get install libxml2-utils did not provide xmllint"
fi

say "done"
