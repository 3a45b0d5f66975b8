#!/usr/bin/env bash
# The cost of `--state FILE` on writes: gist creations per second (POST /gists with wrk)
# against the emulator started on a seed of the built-in data plus EXTRA_GISTS gists, with
# and without a state file, side by side. After each run with a state file the emulator is
# stopped (SIGTERM, a clean shutdown), started again on the file, and every gist the run
# was answered 201 for must be there (octocat's public_gists + private_gists on GET /user).
#
#   bench/emulator-state.sh                          # 3 runs of 10 s at 8 and 64 connections
#   RUNS=5 DURATION=20 CONNS_LIST="16" bench/emulator-state.sh
#
# Knobs (environment): RUNS (3), DURATION seconds per run (10), CONNS_LIST ("8 64"),
# WRK_THREADS (2), EXTRA_GISTS (10000), EMULATOR (binary; default: a release build of this
# checkout, built with cargo when missing), OUT (results folder).
# Output: a Markdown table on stdout (medians); every run in $OUT/results.jsonl.
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
RUNS=${RUNS:-3}
DURATION=${DURATION:-10}
CONNS_LIST=${CONNS_LIST:-"8 64"}
WRK_THREADS=${WRK_THREADS:-2}
EXTRA_GISTS=${EXTRA_GISTS:-10000}
OUT=${OUT:-/tmp/gistdesk-bench/state-$(date +%Y%m%d-%H%M%S)}
export BENCH_DIR OUT
mkdir -p "$OUT/raw" "$OUT/logs" "$OUT/tmp"
: >"$OUT/results.jsonl"
# shellcheck source=bench/lib.sh
. "$BENCH_DIR/lib.sh"
trap stop_all EXIT
trap 'exit 130' INT TERM
H=127.0.0.1

command -v wrk >/dev/null || die "wrk is missing (run bench/setup.sh)"
EMULATOR=${EMULATOR:-}
if [ -z "$EMULATOR" ]; then
    target=${CARGO_TARGET_DIR:-$REPO/target}
    EMULATOR=$target/release/github-emulator
    if [ ! -x "$EMULATOR" ]; then
        log "building $EMULATOR (release)"
        (cd "$REPO" && nice -n 10 cargo build --release -q -p github-emulator --bin github-emulator) ||
            die "release build failed"
    fi
fi
[ -x "$EMULATOR" ] || die "no emulator binary at $EMULATOR"

{
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "commit: $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null)"
    echo "emulator: $EMULATOR"
    echo "cpu: $(lscpu | sed -n 's/^Model name: *//p') x $(nproc)"
    echo "load before: $(uptime | sed 's/.*load average: //')"
    echo "settings: RUNS=$RUNS DURATION=${DURATION}s CONNS_LIST=\"$CONNS_LIST\" WRK_THREADS=$WRK_THREADS EXTRA_GISTS=$EXTRA_GISTS"
} >"$OUT/machine.txt"
cat "$OUT/machine.txt" >&2

seed="$OUT/tmp/seed-plus-$EXTRA_GISTS.json"
python3 "$BENCH_DIR/make_seed.py" "$seed" "$EXTRA_GISTS" >&2

# stop_clean PID: SIGTERM, then waits (up to 60 s) for the final write of the state.
stop_clean() {
    local pid=$1 i
    kill "$pid" 2>/dev/null || return 0
    for i in $(seq 1 600); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    log "pid $pid still running 60 s after SIGTERM; killing it"
    kill -9 "$pid" 2>/dev/null || true
    return 1
}

# start_emu NAME STATE_FILE|-: starts the emulator on the seed with a control endpoint;
# sets EMU_API and TOKEN (octocat, scope gist, minted through the control endpoint).
start_emu() {
    local name=$1 state=$2 port cport extra=()
    port=$(free_port); cport=$(free_port)
    [ "$state" = - ] || extra=(--state "$state")
    start EMU "$OUT/logs/$name.log" "$EMULATOR" --port "$port" --control "$H:$cport" \
        --seed "$seed" --rate-limit 0 "${extra[@]}"
    wait_http "http://$H:$port/api/v3/" 120 || die "$name did not start (see $OUT/logs/$name.log)"
    EMU_BASE="http://$H:$port"
    EMU_API="$EMU_BASE/api/v3"
    TOKEN=$(curl -s --max-time 10 -X POST -H 'Content-Type: application/json' \
        -d '{"login": "octocat", "scopes": ["gist"]}' "http://$H:$cport/tokens" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])') ||
        die "$name: no token from the control endpoint"
}

# octocat_gists: public_gists + private_gists of octocat, as GET /user counts them.
octocat_gists() {
    curl -s --max-time 30 -A gistdesk-bench -H "Authorization: Bearer $TOKEN" "$EMU_API/user" |
        python3 -c 'import json,sys; u=json.load(sys.stdin); print(u["public_gists"] + u["private_gists"])'
}

for conns in $CONNS_LIST; do
    for mode in memory state; do
        for run in $(seq 1 "$RUNS"); do
            name="create_${mode}_c$conns"
            state=-
            if [ "$mode" = state ]; then
                state="$OUT/tmp/state-$conns-$run.json"
                rm -f "$state"
            fi
            start_emu "$name.$run" "$state"
            before=$(octocat_gists)
            extra="\"mode\":\"$mode\",\"conns\":$conns"
            BENCH_TOKEN=$TOKEN wrk_run "$name" "$run" "$extra" -c"$conns" \
                -s "$BENCH_DIR/wrk/create_gist.lua" "$EMU_BASE"
            created=$(sed -n 's/^BENCH .*"created":\([0-9]*\).*/\1/p' "$OUT/raw/$name.$run.txt" | tail -1)
            stop_clean "$EMU_PID" || die "$name: the emulator did not stop cleanly"
            if [ "$mode" = state ]; then
                size=$(stat -c %s "$state")
                start_emu "$name.$run.restart" "$state"
                after=$(octocat_gists)
                stop_clean "$EMU_PID" || true
                kept=$((after - before))
                ok=false; [ "$kept" -ge "${created:-0}" ] && ok=true
                record "{\"name\":\"${name}_check\",\"run\":$run,\"conns\":$conns,\"created\":${created:-0},\"kept\":$kept,\"ok\":$ok,\"state_bytes\":$size}"
                log "$name #$run: answered 201 for ${created:-0}, $kept in the file after a restart; file $size bytes"
                [ "$ok" = true ] || die "$name #$run: gists acknowledged before the shutdown are missing after the restart"
            fi
            BENCH_PIDS=()
        done
    done
done

echo "load after: $(uptime | sed 's/.*load average: //')" >>"$OUT/machine.txt"

python3 - "$OUT/results.jsonl" "$RUNS" "$DURATION" "$EXTRA_GISTS" "$(nproc)" <<'PY'
import json, statistics, sys
path, runs, duration, extra, cores = sys.argv[1:]
rows = [json.loads(l) for l in open(path) if l.strip()]
def med(xs):
    return statistics.median(xs) if xs else float("nan")
print(f"Gist creations (POST /gists), seed of the built-in data + {extra} gists, "
      f"median of {runs} runs of {duration} s, {cores} cores, wrk on the same machine:\n")
print("| connections | without --state: creations/s | p99 ms | with --state: creations/s | p99 ms | state file | all acknowledged kept after restart |")
print("|---:|---:|---:|---:|---:|---:|:---:|")
for conns in sorted({r["conns"] for r in rows if "conns" in r and "mode" in r}):
    cell = {}
    for mode in ("memory", "state"):
        rs = [r for r in rows if r.get("mode") == mode and r.get("conns") == conns]
        cell[mode] = (med([r["created"] / r["secs"] for r in rs]), med([r["p99_ms"] for r in rs]))
    checks = [r for r in rows if r.get("name", "").endswith("_check") and r["conns"] == conns]
    size = med([r["state_bytes"] for r in checks]) / 1e6 if checks else float("nan")
    ok = "yes" if checks and all(r["ok"] for r in checks) else "NO"
    print(f"| {conns} | {cell['memory'][0]:.0f} | {cell['memory'][1]:.1f} | "
          f"{cell['state'][0]:.0f} | {cell['state'][1]:.1f} | {size:.1f} MB | {ok} |")
PY
log "every run: $OUT/results.jsonl; wrk output: $OUT/raw"
