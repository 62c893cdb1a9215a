#!/usr/bin/env bash
# install-deps.sh [--browser] [--python] [--bench]
#
# Installs what the build and the tests need, when missing, on Debian 12
# (run as root; CI and fresh machines are root). Silent when all is present.
#   always:    emscripten, node-acorn, clang, libclang-rt-14-dev, dpkg-dev,
#              make, Node.js >= 18 with npm (Debian's nodejs + npm if no node)
#   --browser: chromium (the browser tests; make test)
#   --python:  python3-xgboost python3-sklearn python3-pandas python3-onnx python3-torch
#              python3-keras-preprocessing
#              (only to regenerate test fixtures; use /usr/bin/python3)
#   --bench:   python3-xgboost python3-sklearn python3-onnx python3-torch
#              (make bench: the anchors' workloads and xgboost's numbers)
# Then runs `npm ci` when package.json exists and node_modules is missing or
# older than package-lock.json.
set -euo pipefail

die() { echo "install-deps: error: $*" >&2; exit 1; }
info() { echo "install-deps: $*" >&2; }

WANT_PYTHON=0
WANT_BROWSER=0
WANT_BENCH=0
for arg in "$@"; do
    case $arg in
        --python) WANT_PYTHON=1 ;;
        --browser) WANT_BROWSER=1 ;;
        --bench) WANT_BENCH=1 ;;
        -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "usage: $0 [--browser] [--python] [--bench]" >&2; exit 2 ;;
    esac
done

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MIN_NODE_MAJOR=18

PKGS=(emscripten node-acorn clang libclang-rt-14-dev dpkg-dev make libonnx-testdata)
[ "$WANT_BROWSER" = 1 ] && PKGS+=(chromium)
[ "$WANT_PYTHON" = 1 ] && PKGS+=(python3-xgboost python3-sklearn python3-pandas python3-onnx python3-torch)
[ "$WANT_PYTHON" = 1 ] && PKGS+=(python3-keras-preprocessing)   # tests/fixtures/gen/gen_text.py
[ "$WANT_BENCH" = 1 ] && PKGS+=(python3-xgboost python3-sklearn python3-onnx python3-torch)

# --- what is missing --------------------------------------------------------------
command -v dpkg-query >/dev/null || die "dpkg-query not found: this script supports Debian 12 only"
MISSING=()
installed=$(dpkg-query -W -f='${Package} ${Status}\n' "${PKGS[@]}" 2>/dev/null || true)
for p in "${PKGS[@]}"; do
    grep -qx "$p install ok installed" <<<"$installed" || MISSING+=("$p")
done

# Node.js: any node on PATH (Debian's, NodeSource's, nvm's) will do if new enough.
if command -v node >/dev/null; then
    ver=$(node --version 2>/dev/null || true)       # e.g. v20.20.2
    major=${ver#v}; major=${major%%.*}
    [[ $major =~ ^[0-9]+$ ]] || die "cannot read the Node.js version (node --version printed '$ver')"
    [ "$major" -ge "$MIN_NODE_MAJOR" ] \
        || die "Node.js $ver at $(command -v node) is too old: $MIN_NODE_MAJOR or newer is needed"
    command -v npm >/dev/null || MISSING+=(npm)
else
    MISSING+=(nodejs npm)
fi

# --- install ------------------------------------------------------------------------
if [ ${#MISSING[@]} -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "install-deps: missing: ${MISSING[*]}" >&2
        echo "install-deps: as root, run:" >&2
        echo "  apt-get update && apt-get install -y --no-install-recommends ${MISSING[*]}" >&2
        exit 1
    fi
    command -v apt-get >/dev/null || die "apt-get not found; cannot install: ${MISSING[*]}"
    info "installing: ${MISSING[*]}"
    log=$(mktemp)
    APT_OPTS=(-q -o DPkg::Lock::Timeout=300)
    if ! apt-get "${APT_OPTS[@]}" update >"$log" 2>&1; then
        cat "$log" >&2; rm -f "$log"
        die "apt-get update failed (needed to install ${MISSING[*]})"
    fi
    if ! DEBIAN_FRONTEND=noninteractive apt-get "${APT_OPTS[@]}" install -y \
            --no-install-recommends "${MISSING[@]}" >"$log" 2>&1; then
        cat "$log" >&2; rm -f "$log"
        die "apt-get install failed for: ${MISSING[*]}"
    fi
    rm -f "$log"

    # Check the toolchain once, right after installing it.
    for tool in emcc clang node npm make dpkg-source; do
        command -v "$tool" >/dev/null || die "$tool still not found after installing ${MISSING[*]}"
    done
    if [[ " ${MISSING[*]} " =~ \ (emscripten|node-acorn|nodejs)\  ]]; then
        tmp=$(mktemp -d)
        trap 'rm -rf "$tmp"' EXIT
        printf '#include <wasm_simd128.h>\nint f(int a){return wasm_i32x4_extract_lane(wasm_i32x4_splat(a),0);}\n' > "$tmp/x.c"
        emcc --version >/dev/null 2>&1 || die "emcc --version fails after installing emscripten"
        emcc -O2 -msimd128 -sSTANDALONE_WASM --no-entry -o "$tmp/x.wasm" "$tmp/x.c" \
            || die "emcc cannot build a standalone SIMD wasm (emcc -O2 -msimd128 -sSTANDALONE_WASM)"
        # JS glue output runs emscripten's acorn passes; a non-Debian node
        # (e.g. NodeSource's) finds Debian's node-acorn only via NODE_PATH.
        NODE_PATH=/usr/share/nodejs${NODE_PATH:+:$NODE_PATH} \
            emcc -O2 -msimd128 -sMODULARIZE -sEXPORT_ES6 -sEXPORTED_FUNCTIONS=_f -o "$tmp/x.mjs" "$tmp/x.c" \
            || die "emcc cannot build JS glue (node-acorn not found by node?)"
    fi
    info "installed: ${MISSING[*]}"
fi

# --- npm packages ---------------------------------------------------------------
if [ -f "$ROOT/package.json" ]; then
    stamp="$ROOT/node_modules/.install-deps.stamp"
    if [ ! -e "$stamp" ] || [ "$ROOT/package.json" -nt "$stamp" ] \
        || { [ -f "$ROOT/package-lock.json" ] && [ "$ROOT/package-lock.json" -nt "$stamp" ]; }; then
        if [ -f "$ROOT/package-lock.json" ]; then
            info "npm ci"
            (cd "$ROOT" && ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund --loglevel=error >/dev/null) \
                || die "npm ci failed in $ROOT"
        else
            info "no package-lock.json: npm install (commit the package-lock.json it writes)"
            (cd "$ROOT" && ONNXRUNTIME_NODE_INSTALL=skip npm install --no-audit --no-fund --loglevel=error >/dev/null) \
                || die "npm install failed in $ROOT"
        fi
        mkdir -p "$ROOT/node_modules" && touch "$stamp"
    fi
fi
