#!/usr/bin/env bash
# What gistdesk's memory follows: sessions, or the size of a person's gist list. One
# instance (SQLite store) and the emulator, no proxy, one request at a time with curl:
#
#   1. SESSIONS sign-ins (all octocat's, each with its own token: the emulator is told to
#      keep them all, where GitHub keeps ten per user, app and scopes), then RSS;
#   2. `GET /gists` by every session, twice, then RSS;
#   3. GISTS more gists given to octocat through the emulator's control endpoint, then
#      `GET /gists` by every session, ROUNDS times, PAGE_MEMORY + 1 s apart (each round
#      finds the list pages and the search index's refresh out of date), RSS after each.
#
#   bench/memory-growth.sh                          # this checkout's release build
#   SESSIONS=2000 GISTS=6000 bench/memory-growth.sh
#   GISTDESK=/path/to/gistdesk bench/memory-growth.sh
#
# Knobs: SESSIONS (1000), GISTS (3000), ROUNDS (3), GISTDESK (binary), OUT. Results:
# $OUT/results.md. Everything talks to 127.0.0.1 only; every loop is bounded; processes are
# stopped by PID.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/gistdesk-target}
GISTDESK=${GISTDESK:-$CARGO_TARGET_DIR/release/gistdesk}
SESSIONS=${SESSIONS:-1000}
GISTS=${GISTS:-3000}
ROUNDS=${ROUNDS:-3}
PAGE_MEMORY_S=10
OUT=${OUT:-/tmp/gistdesk-bench/memory-growth-$(date -u +%Y%m%dT%H%M%SZ)}
H=127.0.0.1

[ -x "$GISTDESK" ] || die "no gistdesk at $GISTDESK (cargo build --release -p gistdesk)"
mkdir -p "$OUT/logs" "$OUT/tmp" "$OUT/jars"
trap stop_all EXIT
trap 'exit 130' INT TERM

APP_ID=Ov23liBenchMemoryGrw1
APP_SECRET=bench0memory0growth0secret0000000000000a
eport=$(free_port)
cport=$(free_port)
port=$(free_port)
start EMU "$OUT/logs/emulator.log" "$GISTDESK" emulator --port "$eport" --control "$H:$cport" \
    --auto-approve octocat --rate-limit 0 --tokens-per-scopes 1000000 \
    --oauth-app "$APP_ID:$APP_SECRET:http://$H:$port/auth/github/callback"
wait_http "http://$H:$eport/api/v3/" 60 || die "the emulator did not start (see $OUT/logs/emulator.log)"
start GD "$OUT/logs/gistdesk.log" env BIND="$H:$port" PUBLIC_URL="http://$H:$port" \
    DATA_DIR="$OUT/tmp/gd" GITHUB_CLIENT_ID="$APP_ID" GITHUB_CLIENT_SECRET="$APP_SECRET" \
    GITHUB_URL="http://$H:$eport" GITHUB_API_URL="http://$H:$eport/api/v3" "$GISTDESK" serve
wait_http "http://$H:$port/healthz" 60 || die "gistdesk did not start (see $OUT/logs/gistdesk.log)"

rows=()
reading() { # WHAT
    local kb
    kb=$(rss_kb "$GD_PID" VmRSS)
    rows+=("| $1 | $((kb / 1024)) MB |")
    log "$1: VmRSS $kb kB"
}
every_session_lists() {
    local i status bad=0
    for i in $(seq 1 "$SESSIONS"); do
        status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 -b "$OUT/jars/$i" "http://$H:$port/gists")
        [ "$status" = 200 ] || bad=$((bad + 1))
    done
    [ "$bad" = 0 ] || die "$bad list pages did not answer 200"
}

reading "idle, after start-up"
for i in $(seq 1 "$SESSIONS"); do
    got=$(signin_curl "http://$H:$port/auth/github/login?next=/account" "$OUT/jars/$i") || true
    [ "$got" = "200 http://$H:$port/account" ] || die "sign-in $i ended at '$got'"
done
reading "after $SESSIONS sign-ins"
every_session_lists
every_session_lists
reading "after \`GET /gists\` by every session, twice"
for i in $(seq 1 "$GISTS"); do
    curl -s -o /dev/null --max-time 10 -H 'content-type: application/json' \
        -d "{\"login\":\"octocat\",\"public\":true,\"description\":\"added $i\",\"files\":{\"a.txt\":\"line $i\\n\"}}" \
        "http://$H:$cport/gists" || die "the control endpoint refused gist $i"
done
log "$GISTS gists added to octocat"
for round in $(seq 1 "$ROUNDS"); do
    sleep $((PAGE_MEMORY_S + 1))
    every_session_lists
    reading "with $GISTS more gists: \`GET /gists\` by every session, round $round"
done
index=$(du -k "$OUT/tmp/gd/search" 2>/dev/null | tail -n1 | cut -f1)

{
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ); binary: $GISTDESK; SESSIONS=$SESSIONS GISTS=$GISTS ROUNDS=$ROUNDS"
    echo
    echo "| moment | gistdesk VmRSS |"
    echo "|---|---:|"
    printf '%s\n' "${rows[@]}"
    echo
    echo "Search index on disk at the end: $((${index:-0} / 1024)) MB."
} | tee "$OUT/results.md"
