#!/usr/bin/env bash
# The overhead ratio, robust to the machine's drift: gistdesk's signed-in page that calls no
# GitHub API (/account) against a bare axum hello-world (bench/hello-axum), measured in short
# windows that alternate between the two, many rounds, the ratio taken window pair by window
# pair and reported with its spread.
#
#   bench/overhead.sh                                    # this checkout's release build
#   ROUNDS=40 WINDOW=3 bench/overhead.sh                 # longer
#   BUILDS="before=/path/old/gistdesk after=target/release/gistdesk" bench/overhead.sh
#
# Why alternating windows: on a shared machine the speed of both servers drifts by tens of
# percent over a minute (other tenants, CPU frequency). Two long runs one after the other
# measure the drift as much as the servers. Here every round measures each server for
# WINDOW seconds back to back, in an order that flips every round (A B, then B A), so a
# drift within a round falls on both sides alike; the figure is the median of the
# per-round ratios, with their quartiles and extremes.
#
# With SAME_BYTES=1, a second hello-axum answers with the first build's page as it was
# served (its headers and body, saved once): the share of the gap that is the page's
# bytes on the wire, not gistdesk's work.
#
# Knobs: ROUNDS (20), WINDOW seconds (2), WARMUP seconds (2), CONNS (64), WRK_THREADS (2),
# PAGE (/account), BUILDS (name=path of a gistdesk binary, several allowed), HELLO
# (hello-axum binary), SAME_BYTES (0), OUT. Results: $OUT/overhead.jsonl (every window) and
# $OUT/overhead.md (the table). Everything talks to 127.0.0.1 only; every loop is bounded.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/gistdesk-target}
ROUNDS=${ROUNDS:-20}
WINDOW=${WINDOW:-2}
WARMUP=${WARMUP:-2}
CONNS=${CONNS:-64}
WRK_THREADS=${WRK_THREADS:-2}
PAGE=${PAGE:-/account}
SAME_BYTES=${SAME_BYTES:-0}
OUT=${OUT:-/tmp/gistdesk-bench/overhead-$(date -u +%Y%m%dT%H%M%SZ)}
BUILDS=${BUILDS:-$(git -C "$ROOT" rev-parse --short HEAD)=$CARGO_TARGET_DIR/release/gistdesk}
HELLO=${HELLO:-$CARGO_TARGET_DIR/release/hello-axum}
H=127.0.0.1

if [ ! -x "$HELLO" ] || [ ! -x "$CARGO_TARGET_DIR/release/gistdesk" ]; then
    (cd "$ROOT" && cargo build --release -p gistdesk -p hello-axum)
fi
command -v wrk >/dev/null || die "wrk is missing (run bench/setup.sh, or apt-get install wrk)"
mkdir -p "$OUT/logs" "$OUT/tmp" "$OUT/raw"
: >"$OUT/overhead.jsonl"
trap stop_all EXIT
trap 'exit 130' INT TERM

{
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "commit: $(git -C "$ROOT" rev-parse --short HEAD)"
    echo "cpu: $(lscpu | sed -n 's/^Model name: *//p') x $(nproc)"
    echo "load before: $(uptime | sed 's/.*load average: //')"
    echo "settings: ROUNDS=$ROUNDS WINDOW=${WINDOW}s CONNS=$CONNS WRK_THREADS=$WRK_THREADS PAGE=$PAGE"
    echo "builds: $BUILDS"
    if [ "$SAME_BYTES" = 1 ]; then
        echo "same-bytes: hello-axum answering with the first build's $PAGE"
    fi
} | tee "$OUT/machine.txt" >&2

# One emulator (auto-approving octocat, no rate limit) for every gistdesk; /account asks it
# nothing. gistdesk's stderr goes to a file, as under a service manager (no colours).
APP_ID=Ov23liBenchOverheadA1
APP_SECRET=bench0overhead0secret0000000000000000000a
eport=$(free_port)
ports=()
oauth_apps=()
for build in $BUILDS; do
    port=$(free_port)
    ports+=("$port")
    oauth_apps+=(--oauth-app "$APP_ID$port:$APP_SECRET:http://$H:$port/auth/github/callback")
done
first_bin=${BUILDS%% *}
first_bin=${first_bin#*=}
start EMU "$OUT/logs/emulator.log" "$first_bin" emulator --port "$eport" \
    --auto-approve octocat --rate-limit 0 "${oauth_apps[@]}"
wait_http "http://$H:$eport/api/v3/" 60 || die "the emulator did not start (see $OUT/logs/emulator.log)"

targets=()
i=0
for build in $BUILDS; do
    name=${build%%=*}
    bin=${build#*=}
    [ -x "$bin" ] || die "$name: no executable at $bin"
    port=${ports[i]}
    mkdir -p "$OUT/tmp/gd$i"
    start "GD$i" "$OUT/logs/$name.log" env BIND="$H:$port" PUBLIC_URL="http://$H:$port" \
        DATA_DIR="$OUT/tmp/gd$i" GITHUB_CLIENT_ID="$APP_ID$port" GITHUB_CLIENT_SECRET="$APP_SECRET" \
        GITHUB_URL="http://$H:$eport" GITHUB_API_URL="http://$H:$eport/api/v3" "$bin" serve
    wait_http "http://$H:$port/healthz" 60 || die "$name did not start (see $OUT/logs/$name.log)"
    jar="$OUT/tmp/gd$i.jar"
    got=$(signin_curl "http://$H:$port/auth/github/login?next=$PAGE" "$jar") || true
    [ "$got" = "200 http://$H:$port$PAGE" ] || die "$name: the sign-in ended at '$got'"
    cookie=$(cookie_header "$jar" "$H")
    status=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $cookie" "http://$H:$port$PAGE")
    [ "$status" = 200 ] || die "$name: $PAGE answered $status signed in"
    targets+=("$name|http://$H:$port$PAGE|$cookie")
    if [ "$SAME_BYTES" = 1 ] && [ "$i" = 0 ]; then
        curl -s -D "$OUT/tmp/page.headers" -o "$OUT/tmp/page.body" -H "Cookie: $cookie" \
            "http://$H:$port$PAGE"
    fi
    i=$((i + 1))
done
hport=$(free_port)
start HELLO "$OUT/logs/hello.log" "$HELLO" "$H:$hport"
wait_http "http://$H:$hport/" 30 || die "hello-axum did not start"
targets+=("hello|http://$H:$hport/|")
if [ "$SAME_BYTES" = 1 ]; then
    sport=$(free_port)
    start SAME "$OUT/logs/same-bytes.log" "$HELLO" "$H:$sport" "$OUT/tmp/page.headers" "$OUT/tmp/page.body"
    wait_http "http://$H:$sport/" 30 || die "hello-axum with the saved page did not start"
    targets+=("same-bytes|http://$H:$sport/|")
fi

# window NAME URL COOKIE ROUND SECONDS: one wrk window; prints its requests/s.
window() {
    local name=$1 url=$2 cookie=$3 round=$4 secs=$5 raw header=()
    raw="$OUT/raw/$name.$round.txt"
    [ -n "$cookie" ] && header=(-H "Cookie: $cookie")
    BENCH_REPORT="$BENCH_DIR/wrk/report.lua" timeout $((secs + 20)) \
        wrk --latency -t"$WRK_THREADS" -c"$CONNS" -d"${secs}s" --timeout 10s \
        -s "$BENCH_DIR/wrk/report.lua" "${header[@]}" "$url" >"$raw" 2>&1 || true
    local line
    line=$(sed -n 's/^BENCH //p' "$raw" | tail -1)
    [ -n "$line" ] || { log "no result from wrk for $name round $round (see $raw)"; echo 0; return; }
    echo "${line%\}},\"name\":\"$name\",\"round\":$round}" >>"$OUT/overhead.jsonl"
    echo "$line" | sed -n 's/.*"rps":\([0-9.]*\).*/\1/p'
}

log "warm-up: ${WARMUP}s each"
for t in "${targets[@]}"; do
    IFS='|' read -r name url cookie <<<"$t"
    window "$name" "$url" "$cookie" 0 "$WARMUP" >/dev/null
done
: >"$OUT/overhead.jsonl"

for round in $(seq 1 "$ROUNDS"); do
    order=("${targets[@]}")
    if [ $((round % 2)) = 0 ]; then
        order=()
        for ((k = ${#targets[@]} - 1; k >= 0; k--)); do order+=("${targets[k]}"); done
    fi
    summary=""
    for t in "${order[@]}"; do
        IFS='|' read -r name url cookie <<<"$t"
        rps=$(window "$name" "$url" "$cookie" "$round" "$WINDOW")
        summary="$summary $name=${rps%.*}"
    done
    log "round $round/$ROUNDS:$summary"
done

python3 - "$OUT/overhead.jsonl" "$OUT/machine.txt" >"$OUT/overhead.md" <<'EOF'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
by = {}
for r in rows:
    by.setdefault(r["name"], {})[r["round"]] = r
names = [n for n in by if n != "hello"]
rounds = sorted(by.get("hello", {}))
def q(values, p):
    values = sorted(values)
    k = (len(values) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)
print(open(sys.argv[2]).read().strip().replace("\n", "  \n"))
print()
print("| server | median req/s | req/s min–max | windows with errors |")
print("|---|---|---|---|")
for n in names + ["hello"]:
    rps = [r["rps"] for r in by[n].values()]
    errs = sum(1 for r in by[n].values() if r.get("err_status") or r.get("err_socket"))
    print(f"| {n} | {statistics.median(rps):,.0f} | {min(rps):,.0f}–{max(rps):,.0f} | {errs} |")
print()
print("Ratio to hello-axum, round by round (adjacent windows):")
print()
print("| server | median | quartiles | min–max | rounds | ratio of medians |")
print("|---|---|---|---|---|---|")
for n in names:
    ratios = [by[n][k]["rps"] / by["hello"][k]["rps"] for k in rounds
              if k in by[n] and by["hello"][k]["rps"] > 0]
    if not ratios:
        continue
    med_n = statistics.median(r["rps"] for r in by[n].values())
    med_h = statistics.median(r["rps"] for r in by["hello"].values())
    print(f"| {n} | **{statistics.median(ratios):.1%}** | {q(ratios, .25):.1%}–{q(ratios, .75):.1%} "
          f"| {min(ratios):.1%}–{max(ratios):.1%} | {len(ratios)} | {med_n / med_h:.1%} |")
if "same-bytes" in by:
    print()
    print("Ratio to hello-axum answering with the same page (same bytes, no work):")
    print()
    print("| server | median | quartiles | min–max | rounds |")
    print("|---|---|---|---|---|")
    same = by["same-bytes"]
    for n in names:
        if n == "same-bytes":
            continue
        ratios = [by[n][k]["rps"] / same[k]["rps"] for k in rounds
                  if k in by[n] and k in same and same[k]["rps"] > 0]
        if ratios:
            print(f"| {n} | **{statistics.median(ratios):.1%}** | {q(ratios, .25):.1%}–{q(ratios, .75):.1%} "
                  f"| {min(ratios):.1%}–{max(ratios):.1%} | {len(ratios)} |")
EOF
cat "$OUT/overhead.md"
