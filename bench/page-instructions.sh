#!/usr/bin/env bash
# Instructions per request of gistdesk's signed-in /account against bare axum
# (bench/hello-axum, also answering with that page's own bytes), counted by callgrind.
# The server runs under callgrind with collection off; after a warm-up, collection is
# switched on for REQUESTS requests on one keep-alive connection and the total is divided
# by their number. Counts move with the code, not with the load of a shared machine, so
# two builds compare without the drift that throughput ratios carry (bench/overhead.sh).
# They count the servers' user-space work only: not the kernel's (sockets, wake-ups),
# which a throughput run also pays.
#
#   bench/page-instructions.sh
#   BUILDS="before=/old/gistdesk after=target/release/gistdesk" bench/page-instructions.sh
#
# Knobs: BUILDS (name=path, several allowed), HELLO, REQUESTS (2000), WARMUP (300), PAGE
# (/account), OUT. Needs valgrind and python3.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/gistdesk-target}
REQUESTS=${REQUESTS:-2000}
WARMUP=${WARMUP:-300}
PAGE=${PAGE:-/account}
OUT=${OUT:-/tmp/gistdesk-bench/page-instructions-$(date -u +%Y%m%dT%H%M%SZ)}
BUILDS=${BUILDS:-$(git -C "$ROOT" rev-parse --short HEAD)=$CARGO_TARGET_DIR/release/gistdesk}
HELLO=${HELLO:-$CARGO_TARGET_DIR/release/hello-axum}
H=127.0.0.1

if [ ! -x "$HELLO" ] || [ ! -x "$CARGO_TARGET_DIR/release/gistdesk" ]; then
    (cd "$ROOT" && cargo build --release -p gistdesk -p hello-axum)
fi
command -v valgrind >/dev/null || die "valgrind is missing (apt-get install valgrind)"
mkdir -p "$OUT/logs" "$OUT/tmp"
: >"$OUT/results.jsonl"
trap stop_all EXIT
trap 'exit 130' INT TERM

# requests URL N [COOKIE]: N GETs on one keep-alive connection; fails unless all are 200.
requests() {
    python3 - "$@" <<'PY'
import http.client, sys, urllib.parse
url, n = urllib.parse.urlsplit(sys.argv[1]), int(sys.argv[2])
headers = {"Cookie": sys.argv[3]} if len(sys.argv) > 3 and sys.argv[3] else {}
conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
for _ in range(n):
    conn.request("GET", url.path or "/", headers=headers)
    r = conn.getresponse()
    r.read()
    if r.status != 200:
        sys.exit(f"{url.geturl()} answered {r.status}")
PY
}

# count NAME URL COOKIE PID OUTFILE: collection on for REQUESTS requests; prints Ir per request.
count() {
    local name=$1 url=$2 cookie=$3 pid=$4 file=$5
    requests "$url" "$WARMUP" "$cookie"
    callgrind_control -z "$pid" >/dev/null
    callgrind_control -i on "$pid" >/dev/null
    requests "$url" "$REQUESTS" "$cookie"
    callgrind_control -i off "$pid" >/dev/null
    callgrind_control -d "$pid" >/dev/null
    local total
    total=$(cat "$file".* 2>/dev/null | awk '/^(summary|totals):/ {s += $2} END {print s + 0}')
    [ "$total" -gt 0 ] || die "$name: no callgrind totals in $file.*"
    local per=$((total / REQUESTS))
    echo "{\"name\":\"$name\",\"instructions_per_request\":$per,\"requests\":$REQUESTS}" >>"$OUT/results.jsonl"
    printf '| %s | %s |\n' "$name" "$per" >>"$OUT/table.md"
}

APP_ID=Ov23liBenchPageInstr01
APP_SECRET=bench0pageinstr0secret00000000000000000a
eport=$(free_port)
first_bin=${BUILDS%% *}
first_bin=${first_bin#*=}
oauth_apps=()
ports=()
for build in $BUILDS; do
    port=$(free_port)
    ports+=("$port")
    oauth_apps+=(--oauth-app "$APP_ID$port:$APP_SECRET:http://$H:$port/auth/github/callback")
done
start EMU "$OUT/logs/emulator.log" "$first_bin" emulator --port "$eport" \
    --auto-approve octocat --rate-limit 0 "${oauth_apps[@]}"
wait_http "http://$H:$eport/api/v3/" 60 || die "the emulator did not start (see $OUT/logs/emulator.log)"

printf '| server | instructions per request |\n|---|---:|\n' >"$OUT/table.md"
i=0
for build in $BUILDS; do
    name=${build%%=*}
    bin=${build#*=}
    port=${ports[i]}
    mkdir -p "$OUT/tmp/gd$i"
    start "GD$i" "$OUT/logs/$name.log" env BIND="$H:$port" PUBLIC_URL="http://$H:$port" \
        DATA_DIR="$OUT/tmp/gd$i" GITHUB_CLIENT_ID="$APP_ID$port" GITHUB_CLIENT_SECRET="$APP_SECRET" \
        GITHUB_URL="http://$H:$eport" GITHUB_API_URL="http://$H:$eport/api/v3" \
        valgrind --tool=callgrind --instr-atstart=no --dump-instr=no \
        --callgrind-out-file="$OUT/tmp/$name.cg" "$bin" serve
    wait_http "http://$H:$port/healthz" 180 || die "$name did not start (see $OUT/logs/$name.log)"
    jar="$OUT/tmp/gd$i.jar"
    got=$(signin_curl "http://$H:$port/auth/github/login?next=$PAGE" "$jar") || true
    [ "$got" = "200 http://$H:$port$PAGE" ] || die "$name: the sign-in ended at '$got'"
    cookie=$(cookie_header "$jar" "$H")
    if [ "$i" = 0 ]; then
        curl -s -D "$OUT/tmp/page.headers" -o "$OUT/tmp/page.body" -H "Cookie: $cookie" "http://$H:$port$PAGE"
    fi
    pid_var="GD${i}_PID"
    count "$name" "http://$H:$port$PAGE" "$cookie" "${!pid_var}" "$OUT/tmp/$name.cg"
    stop_pid "${!pid_var}"
    i=$((i + 1))
done

for which in hello same-bytes; do
    hport=$(free_port)
    args=("$H:$hport")
    [ "$which" = same-bytes ] && args+=("$OUT/tmp/page.headers" "$OUT/tmp/page.body")
    start HELLO "$OUT/logs/$which.log" valgrind --tool=callgrind --instr-atstart=no \
        --dump-instr=no --callgrind-out-file="$OUT/tmp/$which.cg" "$HELLO" "${args[@]}"
    wait_http "http://$H:$hport/" 120 || die "$which did not start"
    count "$which" "http://$H:$hport/" "" "$HELLO_PID" "$OUT/tmp/$which.cg"
    stop_pid "$HELLO_PID"
done
cat "$OUT/table.md"
echo "raw output: $OUT" >&2
