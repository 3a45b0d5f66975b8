#!/usr/bin/env bash
# A shared gist page opened by a visitor (no session) against the same page signed in, as
# shipped (`PAGE_MEMORY` 10 s) and with `PAGE_MEMORY=0` (every view asks GitHub, with
# `If-None-Match`); then the rate-limit units each anonymous view costs.
#
#   bench/anonymous.sh                              # this checkout's release build
#   ROUNDS=20 WINDOW=3 bench/anonymous.sh           # longer
#   GISTDESK=/path/to/gistdesk bench/anonymous.sh   # another build
#
# req/s: short wrk windows that alternate between the four targets (anonymous and signed
# in, on each instance), in an order reversed every round, as bench/overhead.sh does: a
# drift of the machine within a round falls on both sides; the ratio anonymous ÷ signed in
# is taken round by round (adjacent windows) and given with its quartiles.
#
# Units: a second emulator with the rate limit on. A visitor's reads are made with the
# site's OAuth app credentials (client id and secret), so they count on the app's budget,
# read with `GET /rate_limit` and the same credentials (free); a signed-in view counts on
# the person's.
#
# Knobs: ROUNDS (10), WINDOW seconds (2), WARMUP seconds (2), CONNS (64), WRK_THREADS (2),
# VIEWS (20), STALE (3 views PAGE_MEMORY + 1 s apart), GISTDESK (binary), OUT. Results:
# $OUT/results.jsonl (every window), $OUT/results.md. Everything talks to 127.0.0.1 only;
# every loop is bounded; processes are stopped by PID.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/gistdesk-target}
GISTDESK=${GISTDESK:-$CARGO_TARGET_DIR/release/gistdesk}
ROUNDS=${ROUNDS:-10}
WINDOW=${WINDOW:-2}
WARMUP=${WARMUP:-2}
CONNS=${CONNS:-64}
WRK_THREADS=${WRK_THREADS:-2}
VIEWS=${VIEWS:-20}
STALE=${STALE:-3}
PAGE_MEMORY_S=10
OUT=${OUT:-/tmp/gistdesk-bench/anonymous-$(date -u +%Y%m%dT%H%M%SZ)}
H=127.0.0.1
export BENCH_DIR OUT

if [ ! -x "$GISTDESK" ]; then
    (cd "$ROOT" && nice -n 10 cargo build --release -p gistdesk)
fi
command -v wrk >/dev/null || die "wrk is missing (run bench/setup.sh, or apt-get install wrk)"
mkdir -p "$OUT/logs" "$OUT/tmp" "$OUT/raw"
: >"$OUT/results.jsonl"
trap stop_all EXIT
trap 'exit 130' INT TERM

{
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "commit: $(git -C "$ROOT" rev-parse --short HEAD) (binary: $GISTDESK, $(stat -c %y "$GISTDESK" | cut -d. -f1))"
    echo "cpu: $(lscpu | sed -n 's/^Model name: *//p') x $(nproc)"
    echo "wrk: $(wrk -v 2>&1 | head -1)"
    echo "load before: $(uptime | sed 's/.*load average: //')"
    echo "settings: ROUNDS=$ROUNDS WINDOW=${WINDOW}s CONNS=$CONNS WRK_THREADS=$WRK_THREADS VIEWS=$VIEWS STALE=$STALE"
} | tee "$OUT/machine.txt" >&2

APP_ID=Ov23liBenchAnonymous
APP_SECRET=bench0anonymous0secret000000000000000000a
EMU_APP_ID=Ov23liBenchAnonEmu01
EMU_APP_SECRET=bench0anon0emu0secret00000000000000000000a
EMU_APP_CB=http://127.0.0.1:9/callback

# setup RATE_LIMIT: an emulator (built-in seed) and two gistdesk, "default" and "nomem"
# (PAGE_MEMORY=0), each with its own OAuth app (APP_ID + port) and signed in as octocat.
# Sets EPORT, API, TOKEN (octocat's, for the API), GIST (a public gist of octocat's), and
# per instance PORT_x, APPID_x, COOKIE_x.
setup() {
    local limit=$1 name port apps=()
    EPORT=$(free_port)
    API="http://$H:$EPORT/api/v3"
    PORT_default=$(free_port)
    PORT_nomem=$(free_port)
    for name in default nomem; do
        port="PORT_$name"
        printf -v "APPID_$name" '%s' "$APP_ID${!port}"
        apps+=(--oauth-app "$APP_ID${!port}:$APP_SECRET:http://$H:${!port}/auth/github/callback")
    done
    start EMU "$OUT/logs/emulator-$limit.log" "$GISTDESK" emulator --port "$EPORT" \
        --auto-approve octocat --rate-limit "$limit" "${apps[@]}" \
        --oauth-app "$EMU_APP_ID:$EMU_APP_SECRET:$EMU_APP_CB"
    wait_http "$API/" 60 || die "the emulator did not start (see $OUT/logs/emulator-$limit.log)"
    for name in default nomem; do
        port="PORT_$name"
        local appid="APPID_$name" extra=()
        [ "$name" = nomem ] && extra=(PAGE_MEMORY=0)
        mkdir -p "$OUT/tmp/$name-$limit"
        start "GD_$name" "$OUT/logs/$name-$limit.log" env "${extra[@]}" BIND="$H:${!port}" \
            PUBLIC_URL="http://$H:${!port}" DATA_DIR="$OUT/tmp/$name-$limit" \
            GITHUB_CLIENT_ID="${!appid}" GITHUB_CLIENT_SECRET="$APP_SECRET" \
            GITHUB_URL="http://$H:$EPORT" GITHUB_API_URL="$API" "$GISTDESK" serve
        wait_http "http://$H:${!port}/healthz" 60 || die "gistdesk $name did not start (see $OUT/logs/$name-$limit.log)"
    done
    TOKEN=$(emulator_token "http://$H:$EPORT" "$EMU_APP_ID" "$EMU_APP_SECRET" "$EMU_APP_CB" "read:user gist") ||
        die "no token from the emulator"
    GIST=$(curl -s --max-time 10 -A gistdesk-bench -H "Authorization: Bearer $TOKEN" \
        "$API/users/octocat/gists?per_page=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
    for name in default nomem; do
        port="PORT_$name"
        local jar="$OUT/tmp/$name-$limit.jar" got
        # Ends on /account: the gist page's first view is left to the measurement.
        got=$(signin_curl "http://$H:${!port}/auth/github/login?next=/account" "$jar") || true
        [ "$got" = "200 http://$H:${!port}/account" ] || die "$name: the sign-in ended at '$got'"
        printf -v "COOKIE_$name" '%s' "$(cookie_header "$jar" "$H")"
    done
}

# page NAME COOKIE: the gist page on instance NAME (no cookie: a visitor); prints the status,
# fails unless the page shows the gist and, signed in, the owner's controls.
page() {
    local port="PORT_$1" cookie=$2 body="$OUT/tmp/page.html" st header=()
    [ -n "$cookie" ] && header=(-H "Cookie: $cookie")
    st=$(curl -s --max-time 30 "${header[@]}" -o "$body" -w '%{http_code}' "http://$H:${!port}/gists/$GIST")
    [ "$st" = 200 ] || die "$1: /gists/$GIST answered $st ${cookie:+signed in}"
    if [ -n "$cookie" ]; then
        grep -q "/gists/$GIST/edit\"" "$body" || die "$1: the signed-in page has no Edit link"
    else
        grep -q 'Sign in to star' "$body" || die "$1: the anonymous page does not read as a visitor's"
    fi
}

log "== req/s: anonymous against signed in, alternating windows"
setup 0
for name in default nomem; do
    c="COOKIE_$name"
    page "$name" ""
    page "$name" "${!c}"
done
targets=(
    "anon_default|http://$H:$PORT_default/gists/$GIST|"
    "signed_default|http://$H:$PORT_default/gists/$GIST|$COOKIE_default"
    "anon_nomem|http://$H:$PORT_nomem/gists/$GIST|"
    "signed_nomem|http://$H:$PORT_nomem/gists/$GIST|$COOKIE_nomem"
)

# window NAME URL COOKIE ROUND SECONDS: one wrk window, recorded; prints its requests/s.
window() {
    local name=$1 url=$2 cookie=$3 round=$4 secs=$5 raw header=() line
    raw="$OUT/raw/$name.$round.txt"
    [ -n "$cookie" ] && header=(-H "Cookie: $cookie")
    BENCH_REPORT="$BENCH_DIR/wrk/report.lua" timeout $((secs + 20)) \
        wrk --latency -t"$WRK_THREADS" -c"$CONNS" -d"${secs}s" --timeout 10s \
        -s "$BENCH_DIR/wrk/report.lua" "${header[@]}" "$url" >"$raw" 2>&1 || true
    line=$(sed -n 's/^BENCH //p' "$raw" | tail -1)
    [ -n "$line" ] || { log "no result from wrk for $name round $round (see $raw)"; echo 0; return; }
    [ "$round" = 0 ] || record "${line%\}},\"name\":\"$name\",\"round\":$round,\"conns\":$CONNS}"
    echo "$line" | sed -n 's/.*"rps":\([0-9.]*\).*/\1/p'
}

log "warm-up: ${WARMUP}s each"
for t in "${targets[@]}"; do
    IFS='|' read -r name url cookie <<<"$t"
    window "$name" "$url" "$cookie" 0 "$WARMUP" >/dev/null
done
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
stop_all

log "== rate-limit units per view (emulator with the limit on)"
setup 5000
# app_used NAME: units the instance's OAuth app has used (a visitor's reads).
app_used() {
    local appid="APPID_$1"
    curl -s --max-time 10 -A gistdesk-bench -u "${!appid}:$APP_SECRET" "$API/rate_limit" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["resources"]["core"]["used"])'
}
user_used() { rate_used "$API" "$TOKEN"; }
a=$(app_used default); b=$(app_used default)
[ "$a" = "$b" ] || die "GET /rate_limit with the app's credentials cost $((b - a)) units"
for name in default nomem; do
    for who in anon signed; do
        cookie=""
        used=user_used
        if [ "$who" = signed ]; then c="COOKIE_$name"; cookie=${!c}; else used="app_used $name"; fi
        u0=$($used)
        page "$name" "$cookie"
        u1=$($used)
        for i in $(seq 1 "$VIEWS"); do page "$name" "$cookie"; done
        u2=$($used)
        record "{\"name\":\"units_${who}_$name\",\"first\":$((u1 - u0)),\"views\":$VIEWS,\"units\":$((u2 - u1))}"
        log "$who $name: first view $((u1 - u0)) units, then $((u2 - u1)) for $VIEWS views"
    done
done
u0=$(app_used default)
for i in $(seq 1 "$STALE"); do
    sleep $((PAGE_MEMORY_S + 1))
    page default ""
done
u1=$(app_used default)
record "{\"name\":\"units_anon_default_stale\",\"views\":$STALE,\"units\":$((u1 - u0))}"
log "anon default, views $((PAGE_MEMORY_S + 1)) s apart: $((u1 - u0)) units for $STALE"
echo "load after: $(uptime | sed 's/.*load average: //')" >>"$OUT/machine.txt"
stop_all

python3 - "$OUT" >"$OUT/results.md" <<'EOF'
import json, statistics, sys
out = sys.argv[1]
rows = [json.loads(l) for l in open(f"{out}/results.jsonl") if l.strip()]
by = {}
for r in rows:
    if "round" in r:
        by.setdefault(r["name"], {})[r["round"]] = r
one = {r["name"]: r for r in rows if "round" not in r}
def q(values, p):
    values = sorted(values)
    k = (len(values) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)
med = statistics.median
label = {"default": "as shipped (`PAGE_MEMORY` 10 s)", "nomem": "`PAGE_MEMORY=0`"}
print("Machine and settings:\n\n```\n" + open(f"{out}/machine.txt").read().strip() + "\n```\n")
print(f"`GET /gists/ID` (a public gist of octocat's), wrk with {rows[0].get('conns', '')} keep-alive connections, "
      f"{len(by.get('anon_default', {}))} rounds of alternating windows; a visitor has no cookie, the signed-in "
      "person is the gist's owner (a real sign-in's cookie):\n")
print("| instance | visitor req/s (p99) | signed in req/s (p99) | visitor ÷ signed in, median of rounds | quartiles | min–max | windows with errors |")
print("|---|---:|---:|---:|---|---|---:|")
for inst in ("default", "nomem"):
    a, s = by.get(f"anon_{inst}", {}), by.get(f"signed_{inst}", {})
    if not a or not s:
        continue
    ratios = [a[k]["rps"] / s[k]["rps"] for k in a if k in s and s[k]["rps"] > 0]
    errs = sum(1 for d in (a, s) for r in d.values() if r.get("err_status") or r.get("err_socket") or r.get("err_timeout"))
    print(f"| {label[inst]} | {med(r['rps'] for r in a.values()):,.0f} ({med(r['p99_ms'] for r in a.values()):.1f} ms) "
          f"| {med(r['rps'] for r in s.values()):,.0f} ({med(r['p99_ms'] for r in s.values()):.1f} ms) "
          f"| **{med(ratios):.2f}×** | {q(ratios, .25):.2f}–{q(ratios, .75):.2f}× | {min(ratios):.2f}–{max(ratios):.2f}× | {errs} |")
print()
print("Rate-limit units per view of the unchanged gist page (a visitor's on the site's OAuth app, "
      "read with its credentials; signed in, on the person's), from `GET /rate_limit` before and after:\n")
print("| instance | who | first view | the following views | units per view |")
print("|---|---|---:|---:|---:|")
for inst in ("default", "nomem"):
    for who, name in (("visitor", "anon"), ("signed in", "signed")):
        r = one.get(f"units_{name}_{inst}")
        if r:
            print(f"| {label[inst]} | {who} | {r['first']} | {r['units']} in {r['views']} views | {r['units'] / r['views']:.2f} |")
st = one.get("units_anon_default_stale")
if st:
    print(f"| {label['default']} | visitor, views 11 s apart (page memory expired: revalidated) | | {st['units']} in {st['views']} views | {st['units'] / st['views']:.2f} |")
warm = [one.get(f"units_anon_{i}") for i in ("default", "nomem")] + [st]
ok = all(r and r["units"] == 0 for r in warm)
print(f"\nTarget 0 units per anonymous view of an unchanged gist: **{'met' if ok else 'not met'}**.")
EOF
cat "$OUT/results.md"
log "results in $OUT"
