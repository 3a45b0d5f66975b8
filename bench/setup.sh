#!/usr/bin/env bash
# Installs what the benchmarks need (idempotent): wrk and hyperfine from Debian, the
# Tornado peer's virtualenv outside the repository, and the release binaries.
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
PEER_DIR=${PEER_DIR:-$REPO/../shared/peers/tornado_seed}
PEER_VENV=${PEER_VENV:-$HOME/.cache/tornado-peer}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/gistdesk-target}

missing=()
for tool in wrk hyperfine curl; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]} from Debian's packages" >&2
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${missing[@]}"
fi

if [ ! -x "$PEER_VENV/bin/python" ] || ! "$PEER_VENV/bin/python" -c 'import tornado' 2>/dev/null; then
    [ -f "$PEER_DIR/requirements.txt" ] || { echo "no Tornado peer at $PEER_DIR" >&2; exit 1; }
    python3 -m venv "$PEER_VENV"
    "$PEER_VENV/bin/pip" install -q -r "$PEER_DIR/requirements.txt"
fi

# The binaries are copied to a folder of the benchmark's own: the shared target folder's
# release/gistdesk may be replaced at any time by a build of another checkout.
BENCH_BIN=${BENCH_BIN:-$HOME/.cache/gistdesk-bench/bin}
if [ "${SKIP_BUILD:-0}" != 1 ]; then
    # Touching the crate roots makes cargo recompile this checkout's crates: a file saved
    # while an earlier build was compiling can otherwise be taken as already built.
    touch "$REPO"/crates/*/src/lib.rs "$REPO/crates/gistdesk/src/main.rs" \
        "$BENCH_DIR/hello-axum/src/main.rs" "$BENCH_DIR/loadgen/src/main.rs" \
        "$BENCH_DIR/client-cpu/src/main.rs"
    (cd "$REPO" && cargo build --release -p gistdesk -p github-emulator -p hello-axum -p gistdesk-loadgen -p gistdesk-client-cpu)
    mkdir -p "$BENCH_BIN"
    for b in gistdesk github-emulator hello-axum gistdesk-loadgen gistdesk-client-cpu; do
        cp -f "$CARGO_TARGET_DIR/release/$b" "$BENCH_BIN/$b"
    done
    git -C "$REPO" rev-parse --short HEAD >"$BENCH_BIN/COMMIT"
fi
