#!/usr/bin/env bash
# Memory under a burst of large request bodies: gistdesk's RSS before, at its peak and
# after N concurrent POSTs of an 8 MB form, anonymous to /auth/github/logout and signed
# in to /gists (create). See docs/BENCHMARKS.md, "Large request bodies".
#
#   bench/bodies.sh                                   # the binary bench/setup.sh built
#   BINARIES="before=/tmp/old/gistdesk after=target/release/gistdesk" bench/bodies.sh
#   RUNS=5 SCENARIOS="logout:64 create:64 logout:400" bench/bodies.sh
#
# Knobs (environment): BINARIES ("label=path ..."), RUNS (3), SCENARIOS ("logout:64
# create:64"), BODY_BYTES (8000000), SETTLE seconds before "after" (5), OUT.
# Each run starts a fresh emulator and a fresh gistdesk per scenario, so VmHWM (the
# process's high-water mark) is that burst's peak. Results: $OUT/bodies.jsonl and a
# table of medians on stdout. Loopback only; every wait is bounded; processes are
# stopped by PID.
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
BINARIES=${BINARIES:-"current=${BENCH_BIN:-$HOME/.cache/gistdesk-bench/bin}/gistdesk"}
RUNS=${RUNS:-3}
SCENARIOS=${SCENARIOS:-"logout:64 create:64"}
BODY_BYTES=${BODY_BYTES:-8000000}
SETTLE=${SETTLE:-5}
OUT=${OUT:-/tmp/gistdesk-bench/bodies-$(date +%Y%m%d-%H%M%S)}
export BENCH_DIR OUT
mkdir -p "$OUT/logs" "$OUT/tmp"
: >"$OUT/bodies.jsonl"
# shellcheck source=bench/lib.sh
. "$BENCH_DIR/lib.sh"
trap stop_all EXIT
trap 'exit 130' INT TERM

H=127.0.0.1
APP_ID=Ov23liBenchGistdeskA1
APP_SECRET=bench0gistdesk0secret0000000000000000000a

for entry in $BINARIES; do
    [ -x "${entry#*=}" ] || die "missing binary ${entry#*=} (label ${entry%%=*})"
done
{
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "commit: $(git -C "$BENCH_DIR/.." rev-parse --short HEAD 2>/dev/null)"
    echo "binaries: $BINARIES"
    echo "cpu: $(lscpu | sed -n 's/^Model name: *//p') x $(nproc)"
    echo "memory: $(free -h | awk '/^Mem:/ {print $2}')"
    echo "load before: $(uptime | sed 's/.*load average: //')"
    echo "settings: RUNS=$RUNS SCENARIOS=\"$SCENARIOS\" BODY_BYTES=$BODY_BYTES SETTLE=${SETTLE}s"
} | tee "$OUT/machine.txt" >&2

# The anonymous sign-out form: a token field and padding, BODY_BYTES in all.
LOGOUT_BODY="$OUT/tmp/logout.body"
python3 - "$LOGOUT_BODY" "$BODY_BYTES" <<'PY'
import sys
head = b"csrf_token=not-a-session-token&padding="
with open(sys.argv[1], "wb") as f:
    f.write(head + b"a" * (int(sys.argv[2]) - len(head)))
PY

# burst URL BODY_FILE N COOKIE: N concurrent POSTs (no `Expect: 100-continue`, as a
# browser sends them); prints how many got each status (000: no answer).
burst() {
    local url=$1 file=$2 n=$3 cookie=$4 i headers=(-H 'Expect:')
    local codes="$OUT/tmp/codes.$$"
    [ -z "$cookie" ] || headers+=(-H "Cookie: $cookie")
    : >"$codes"
    for i in $(seq 1 "$n"); do
        curl -s -o /dev/null --max-time 120 -w '%{http_code}\n' "${headers[@]}" \
            -H 'Content-Type: application/x-www-form-urlencoded' \
            --data-binary "@$file" "$url" >>"$codes" 2>/dev/null &
    done
    wait
    sort "$codes" | uniq -c | awk '{printf "%s%s:%s", (n++ ? "," : ""), "\"" $2 "\"", $1}'
    rm -f "$codes"
}

# scenario LABEL BIN KIND N RUN
scenario() {
    local label=$1 bin=$2 kind=$3 n=$4 run=$5 eport gport jar token url body cookie=""
    eport=$(free_port) && gport=$(free_port) || die "no free port"
    start EMU "$OUT/logs/emu.$label.$kind$n.$run.log" "$bin" emulator --port "$eport" \
        --auto-approve octocat --rate-limit 0 --tokens-per-scopes 1000 \
        --oauth-app "$APP_ID:$APP_SECRET:http://$H:$gport/auth/github/callback"
    wait_http "http://$H:$eport/api/v3/" 60 || die "emulator did not start"
    mkdir -p "$OUT/tmp/gd.$run"
    start GD "$OUT/logs/gd.$label.$kind$n.$run.log" env \
        GITHUB_CLIENT_ID=$APP_ID GITHUB_CLIENT_SECRET=$APP_SECRET \
        GITHUB_URL="http://$H:$eport" GITHUB_API_URL="http://$H:$eport/api/v3" \
        PUBLIC_URL="http://$H:$gport" BIND="$H:$gport" DATA_DIR="$OUT/tmp/gd.$run" \
        RUST_LOG=warn "$bin" serve
    wait_http "http://$H:$gport/healthz" 60 || die "gistdesk did not start"
    case $kind in
        logout)
            url="http://$H:$gport/auth/github/logout"
            body=$LOGOUT_BODY
            ;;
        create)
            jar="$OUT/tmp/jar.$run"
            rm -f "$jar"
            [ "$(signin_curl "http://$H:$gport/auth/github/login?next=/gists" "$jar")" = \
                "200 http://$H:$gport/gists" ] || die "sign-in failed"
            cookie=$(cookie_header "$jar" "$H")
            token=$(curl -s --max-time 10 -H "Cookie: $cookie" "http://$H:$gport/gists/new" |
                sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -1)
            [ -n "$token" ] || die "no CSRF token on /gists/new"
            url="http://$H:$gport/gists"
            body="$OUT/tmp/create.$run.body"
            python3 - "$body" "$BODY_BYTES" "$token" <<'PY'
import sys
head = ("csrf_token=%s&description=bench&visibility=secret"
        "&file-0-name=big.txt&file-0-content=" % sys.argv[3]).encode()
with open(sys.argv[1], "wb") as f:
    f.write(head + b"a" * (int(sys.argv[2]) - len(head)))
PY
            ;;
    esac
    sleep 1
    local idle t0 t1 statuses peak at_end after
    idle=$(rss_kb "$GD_PID" VmRSS)
    t0=$(date +%s.%N)
    statuses=$(burst "$url" "$body" "$n" "$cookie")
    t1=$(date +%s.%N)
    peak=$(rss_kb "$GD_PID" VmHWM)
    at_end=$(rss_kb "$GD_PID" VmRSS)
    sleep "$SETTLE"
    after=$(rss_kb "$GD_PID" VmRSS)
    record_line "{\"binary\":\"$label\",\"scenario\":\"$kind:$n\",\"run\":$run,\"idle_kb\":$idle,\"peak_kb\":$peak,\"end_kb\":$at_end,\"after_kb\":$after,\"seconds\":$(python3 -c "print(round($t1-$t0,2))"),\"statuses\":{$statuses}}"
    stop_all
}

record_line() {
    echo "$1" >>"$OUT/bodies.jsonl"
    log "$1"
}

for run in $(seq 1 "$RUNS"); do
    for sc in $SCENARIOS; do
        for entry in $BINARIES; do
            scenario "${entry%%=*}" "${entry#*=}" "${sc%%:*}" "${sc#*:}" "$run"
        done
    done
done
echo "load after: $(uptime | sed 's/.*load average: //')" >>"$OUT/machine.txt"

python3 - "$OUT/bodies.jsonl" "$SETTLE" <<'PY' | tee "$OUT/bodies.md"
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
keys = []
for r in rows:
    k = (r["scenario"], r["binary"])
    if k not in keys:
        keys.append(k)
mb = lambda kb: "%.0f MB" % (kb / 1000)
print("| burst | gistdesk | VmRSS before | peak (VmHWM) | VmRSS %s s after | answers, all runs | seconds |" % sys.argv[2])
print("|---|---|---:|---:|---:|---|---:|")
for sc, b in keys:
    rs = [r for r in rows if (r["scenario"], r["binary"]) == (sc, b)]
    med = lambda f: statistics.median(r[f] for r in rs)
    # Answers summed over the runs: how many of all the requests got each status.
    answers = {}
    for r in rs:
        for code, count in r["statuses"].items():
            answers[code] = answers.get(code, 0) + count
    total = sum(answers.values())
    words = ", ".join("%d× %s" % (c, code) for code, c in sorted(answers.items())) + " (of %d)" % total
    print("| %s | %s | %s | %s | %s | %s | %.1f |" % (
        sc, b, mb(med("idle_kb")), mb(med("peak_kb")), mb(med("after_kb")), words, med("seconds")))
print()
print("Medians of %d runs; peaks run by run:" % max(r["run"] for r in rows))
for sc, b in keys:
    print("- %s, %s: %s" % (sc, b, ", ".join(mb(r["peak_kb"]) for r in rows if (r["scenario"], r["binary"]) == (sc, b))))
PY
log "results in $OUT"
