#!/usr/bin/env bash
# Silent connections against gistdesk: N connections that send nothing, a /healthz check
# every 2 s (failed after 5 s) while they are open, and whether gistdesk closes them (and
# how long it kept them). Three scenarios, each RUNS times, gistdesk started afresh for each (built-in
# emulator, port on 127.0.0.1, shipped connection settings):
#   2000_default   2000 connections, the machine's open-files limit
#   1100_soft1024  1100 connections, gistdesk started with a soft limit of 1024 (hard as given)
#   1100_hard1024  1100 connections, gistdesk started with soft and hard limits of 1024
#
#   bench/silent-connections.sh                                  # this checkout's release build
#   BUILDS="before=/path/to/old/gistdesk after=target/release/gistdesk" bench/silent-connections.sh
#
# With several builds, each run and scenario measures them back to back. Results go to
# $OUT/results.jsonl, one line per run, and the table printed gives the medians. Each run
# is bounded by the tool's --watch (40 s) plus start and stop; everything talks to
# 127.0.0.1 only.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/gistdesk-target}
RUNS=${RUNS:-3}
SCENARIOS=${SCENARIOS:-2000_default 1100_soft1024 1100_hard1024}
OUT=${OUT:-/tmp/gistdesk-bench/silent-$(date -u +%Y%m%dT%H%M%SZ)}
BUILDS=${BUILDS:-$(git -C "$ROOT" rev-parse --short HEAD)=$CARGO_TARGET_DIR/release/gistdesk}
TOOL="$CARGO_TARGET_DIR/release/gistdesk-silent-conns"

if [ ! -x "$TOOL" ] || [ ! -x "$CARGO_TARGET_DIR/release/gistdesk" ]; then
    (cd "$ROOT" && cargo build --release -p gistdesk -p gistdesk-silent-conns)
fi
mkdir -p "$OUT/logs" "$OUT/tmp"
trap stop_all EXIT

for run in $(seq 1 "$RUNS"); do
    for scenario in $SCENARIOS; do
        connections=${scenario%%_*}
        case "$scenario" in
            *_soft1024) limit="ulimit -Sn 1024" ;;
            *_hard1024) limit="ulimit -n 1024" ;;
            *) limit=":" ;;
        esac
        for build in $BUILDS; do
            label=${build%%=*}
            bin=${build#*=}
            [ -x "$bin" ] || die "$bin is not an executable"
            port=$(free_port)
            name="$label.$scenario.$run"
            start GISTDESK "$OUT/logs/$name.log" env -i BIND="127.0.0.1:$port" \
                DATA_DIR="$OUT/tmp/data-$name" RUST_LOG=warn \
                "$BASH" -c "$limit; exec \"\$0\" serve" "$bin"
            wait_http "http://127.0.0.1:$port/healthz" 30 || die "gistdesk did not start (see $OUT/logs/$name.log)"
            line=$(timeout 120 "$TOOL" --addr "127.0.0.1:$port" --connections "$connections" \
                --label "$name") || die "gistdesk-silent-conns failed for $name"
            stop_pid "$GISTDESK_PID"
            BENCH_PIDS=()
            record "${line%\}},\"build\":\"$label\",\"scenario\":\"$scenario\",\"run\":$run}"
            log "$name: $line"
        done
    done
done

python3 - "$OUT/results.jsonl" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
groups = {}
for r in rows:
    groups.setdefault((r["scenario"], r["build"]), []).append(r)
def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None
def fmt(v, unit):
    return "—" if v is None else f"{v:,.1f} {unit}"
print("| scenario | build | runs | /healthz checks answered | answered in (median) | longest check | silent connections closed | kept open (median) |")
print("|---|---|---:|---:|---:|---:|---:|---:|")
order = list(dict.fromkeys(r["build"] for r in rows))
for (scenario, build), rs in sorted(groups.items(), key=lambda g: (g[0][0], order.index(g[0][1]))):
    answered = sum(r["answered"] for r in rs)
    checks = sum(r["checks"] for r in rs)
    closed = med([r["closed"] for r in rs])
    total = med([r["connections"] for r in rs])
    print(f"| {scenario} | {build} | {len(rs)} | {answered}/{checks} | {fmt(med([r['healthz_median_ms'] for r in rs]), 'ms')} "
          f"| {fmt(med([r['healthz_longest_ms'] for r in rs]), 'ms')} "
          f"| {closed:,.0f}/{total:,.0f} within {rs[0]['watch_s']:.0f} s | {fmt(med([r['kept_open_median_s'] for r in rs]), 's')} |")
PY
echo "results: $OUT/results.jsonl" >&2
