#!/usr/bin/env bash
# Instructions per call of github-api against bare reqwest, counted by callgrind: the
# client's thread only (the in-process emulator runs on threads of its own), and the
# difference between CALLS_HI and CALLS_LO calls, so start-up and warm-up cancel out.
# Instruction counts do not move with the load of a shared machine, where CPU time does.
#
#   bench/client-instructions.sh            # every case
#   CASES="client_user_reqwest client_user_github_api" bench/client-instructions.sh
#
# Needs valgrind (installed with apt-get when missing) and a release build of
# gistdesk-client-cpu (built here when missing).
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/gistdesk-target}
CASES=${CASES:-client_user_reqwest client_user_github_api client_user_github_api_cached client_gists_reqwest client_gists_github_api}
CALLS_LO=${CALLS_LO:-100}
CALLS_HI=${CALLS_HI:-1100}
OUT=${OUT:-/tmp/gistdesk-bench/instructions-$(date -u +%Y%m%dT%H%M%SZ)}

if ! command -v valgrind >/dev/null; then
    SUDO=
    [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get install -y valgrind >/dev/null
fi
BIN="$CARGO_TARGET_DIR/release/gistdesk-client-cpu"
if [ ! -x "$BIN" ]; then
    (cd "$ROOT" && cargo build --release -p gistdesk-client-cpu)
fi
mkdir -p "$OUT"

# The instructions of the thread that ran the calls: the main thread (callgrind's
# first per-thread file) of a run with N calls.
instructions() { # CASE N
    local prefix="$OUT/$1.$2"
    timeout 600 valgrind --tool=callgrind --separate-threads=yes \
        --callgrind-out-file="$prefix.%p" "$BIN" --only "$1" --calls "$2" \
        >"$prefix.stdout" 2>"$prefix.stderr"
    local main
    main=$(ls "$prefix".*-01 2>/dev/null | head -1)
    [ -n "$main" ] || { echo "no callgrind output for $1 $2 (see $prefix.stderr)" >&2; exit 1; }
    awk '/^(summary|totals):/ {print $2; exit}' "$main"
}

printf '| case | instructions per call |\n|---|---:|\n'
for case in $CASES; do
    lo=$(instructions "$case" "$CALLS_LO")
    hi=$(instructions "$case" "$CALLS_HI")
    per=$(( (hi - lo) / (CALLS_HI - CALLS_LO) ))
    printf '| `%s` | %s |\n' "$case" "$per"
    echo "{\"name\":\"$case\",\"instructions_per_call\":$per,\"calls_lo\":$CALLS_LO,\"calls_hi\":$CALLS_HI}" >>"$OUT/results.jsonl"
done
echo "raw output: $OUT" >&2
