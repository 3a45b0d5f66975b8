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

if [ "${SKIP_BUILD:-0}" != 1 ]; then
    packages=(-p gistdesk -p hello-axum -p gistdesk-loadgen)
    if [ -f "$BENCH_DIR/client-cpu/Cargo.toml" ]; then packages+=(-p gistdesk-client-cpu); fi
    (cd "$REPO" && cargo build --release "${packages[@]}")
fi
