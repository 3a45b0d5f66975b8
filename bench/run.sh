#!/usr/bin/env bash
# gistdesk benchmarks: the emulator, the client toolkit and the web app against the
# Tornado peer, side by side on this machine, loopback only. See docs/BENCHMARKS.md.
#
#   bench/run.sh                      # everything, 3 runs of 5 s per measurement
#   RUNS=5 DURATION=10 bench/run.sh   # longer
#   SECTIONS="emulator" bench/run.sh  # some of: emulator client app ratelimit
#
# Knobs (environment): RUNS (3), DURATION seconds per wrk run (5), CONNS (64),
# WRK_THREADS (2), LATENCIES ("0 50", ms added by the emulator), SECTIONS, OUT (results
# folder), SKIP_SETUP=1 (no install/build), PEER_DIR, PEER_VENV, GISTDESK_NOAPI_PATH
# (signed-in page that calls no GitHub API, default /account), EXTRA_GISTS (10000),
# EMULATOR for the emulator section: `gistdesk` (`gistdesk emulator`, the default; it
# shares gistdesk's allocator, mimalloc) or `github-emulator` (the emulator's own binary,
# with the system allocator).
# Results: $OUT/results.jsonl (every run), $OUT/results.md (medians), $OUT/raw, $OUT/logs.
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/gistdesk-target}
BIN=${BENCH_BIN:-$HOME/.cache/gistdesk-bench/bin}
RUNS=${RUNS:-3}
DURATION=${DURATION:-5}
CONNS=${CONNS:-64}
WRK_THREADS=${WRK_THREADS:-2}
LATENCIES=${LATENCIES:-"0 50"}
SECTIONS=${SECTIONS:-"emulator client app ratelimit"}
PEER_DIR=${PEER_DIR:-$REPO/../shared/peers/tornado_seed}
PEER_VENV=${PEER_VENV:-$HOME/.cache/tornado-peer}
NOAPI_PATH=${GISTDESK_NOAPI_PATH:-/account}
EXTRA_GISTS=${EXTRA_GISTS:-10000}
EMULATOR=${EMULATOR:-gistdesk}
case $EMULATOR in
    gistdesk) EMULATOR_CMD=("$BIN/gistdesk" emulator) ;;
    github-emulator) EMULATOR_CMD=("$BIN/github-emulator") ;;
    *) echo "EMULATOR is gistdesk or github-emulator, not '$EMULATOR'" >&2; exit 2 ;;
esac
# Sign-ins in flight through an application. GitHub (and the emulator) keep at most 10
# tokens per user, app and scopes and revoke the oldest: with more than ~10 sign-ins of
# the one auto-approved user in flight, a token can be revoked before the application's
# own GET /user, and the sign-in fails. 8 stays under that cap.
SIGNIN_CONC=${SIGNIN_CONC:-8}
OUT=${OUT:-/tmp/gistdesk-bench/$(date +%Y%m%d-%H%M%S)}
export BENCH_DIR OUT
mkdir -p "$OUT/raw" "$OUT/logs" "$OUT/tmp"
: >"$OUT/results.jsonl"
# shellcheck source=bench/lib.sh
. "$BENCH_DIR/lib.sh"
trap stop_all EXIT
trap 'exit 130' INT TERM

H=127.0.0.1
has_section() { case " $SECTIONS " in *" $1 "*) return 0 ;; esac; return 1; }

if [ "${SKIP_SETUP:-0}" != 1 ]; then
    log "setup: tools, peer virtualenv, release build"
    "$BENCH_DIR/setup.sh"
fi
for b in gistdesk hello-axum gistdesk-loadgen; do
    [ -x "$BIN/$b" ] || die "missing $BIN/$b (run bench/setup.sh)"
done
command -v wrk >/dev/null || die "wrk is missing (run bench/setup.sh)"

{
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "commit: $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null) (binaries built at $(cat "$BIN/COMMIT" 2>/dev/null))"
    echo "emulator: ${EMULATOR_CMD[*]}"
    echo "cpu: $(lscpu | sed -n 's/^Model name: *//p') x $(nproc)"
    echo "memory: $(free -h | awk '/^Mem:/ {print $2}')"
    echo "kernel: $(uname -r)"
    echo "rustc: $(rustc --version)"
    echo "wrk: $(wrk -v 2>&1 | head -1)"
    echo "python: $("$PEER_VENV/bin/python" --version 2>&1), tornado $("$PEER_VENV/bin/python" -c 'import tornado; print(tornado.version)')"
    echo "load before: $(uptime | sed 's/.*load average: //')"
    echo "settings: RUNS=$RUNS DURATION=${DURATION}s CONNS=$CONNS WRK_THREADS=$WRK_THREADS LATENCIES=\"$LATENCIES\""
} >"$OUT/machine.txt"
cat "$OUT/machine.txt" >&2

# Credentials of the OAuth apps registered on the emulator with --oauth-app.
EMU_APP_ID=Ov23liBenchEmulatorA1
EMU_APP_SECRET=bench0emulator0secret0000000000000000000a
EMU_APP_CB=http://127.0.0.1:9/callback
GD_APP_ID=Ov23liBenchGistdeskA1
GD_APP_SECRET=bench0gistdesk0secret0000000000000000000a
PEER_APP_ID=Ov23liBenchTornadoA01
PEER_APP_SECRET=bench0tornado00secret0000000000000000000a
PEER_COOKIE_SECRET=bench-peer-cookie-secret-0123456789abcdef

# start_emulator NAME PORT FLAGS...
start_emulator() {
    local name=$1 port=$2; shift 2
    start "$name" "$OUT/logs/$name.log" "${EMULATOR_CMD[@]}" --port "$port" \
        --auto-approve octocat "$@"
    wait_http "http://$H:$port/api/v3/" 60 || die "$name did not start (see $OUT/logs/$name.log)"
}

# start_gistdesk NAME PORT EMU_PORT [VAR=VALUE...]
start_gistdesk() {
    local name=$1 port=$2 eport=$3; shift 3
    mkdir -p "$OUT/tmp/$name"
    start "$name" "$OUT/logs/$name.log" env "$@" \
        GITHUB_CLIENT_ID=$GD_APP_ID GITHUB_CLIENT_SECRET=$GD_APP_SECRET \
        GITHUB_URL="http://$H:$eport" GITHUB_API_URL="http://$H:$eport/api/v3" \
        PUBLIC_URL="http://$H:$port" BIND="$H:$port" DATA_DIR="$OUT/tmp/$name" \
        "$BIN/gistdesk" serve
    wait_http "http://$H:$port/healthz" 60 || die "$name did not start (see $OUT/logs/$name.log)"
}

# start_peer NAME PORT EMU_PORT MAX_CLIENTS
start_peer() {
    local name=$1 port=$2 eport=$3 maxc=$4
    start "$name" "$OUT/logs/$name.log" "$PEER_VENV/bin/python" "$PEER_DIR/app.py" \
        --port="$port" --cookie-secret="$PEER_COOKIE_SECRET" \
        --github-url="http://$H:$eport" --api-url="http://$H:$eport/api/v3" \
        --client-id="$PEER_APP_ID" --client-secret="$PEER_APP_SECRET" \
        --redirect-url="http://$H:$port/auth/github" --max-clients="$maxc"
    wait_http "http://$H:$port/" 60 || die "$name did not start (see $OUT/logs/$name.log)"
}

# sign_in NAME START_URL EXPECTED_FINAL_URL: real sign-in with curl; sets ${NAME}_COOKIE.
sign_in() {
    local name=$1 url=$2 want=$3 jar="$OUT/tmp/$1.jar" got
    rm -f "$jar"
    got=$(signin_curl "$url" "$jar") || true
    [ "$got" = "200 $want" ] || die "sign-in to $name ended at '$got', not '200 $want' (see $OUT/logs)"
    printf -v "${name}_COOKIE" '%s' "$(cookie_header "$jar" "$H")"
    log "signed in to $name"
}

# check_page NAME URL COOKIE: the signed-in page answers 200 with a seeded gist on it.
check_page() {
    local body status
    body=$(curl -s --max-time 30 -H "Cookie: $3" -w '\n%{http_code}' "$2")
    status=${body##*$'\n'}
    [ "$status" = 200 ] || die "$1: $2 answered $status with the session cookie"
    case "$body" in *fizzbuzz*|*quicksort*|*"http server"*) ;; *) die "$1: $2 shows no seeded gist" ;; esac
}

record_rss() { # NAME PID [extra json]
    record "{\"name\":\"$1\",\"rss_kb\":$(rss_kb "$2" VmRSS),\"hwm_kb\":$(rss_kb "$2" VmHWM)${3:+,$3}}"
    log "$1: VmRSS $(rss_kb "$2" VmRSS) kB, VmHWM $(rss_kb "$2" VmHWM) kB"
}

# loadgen_run NAME RUN START_URL DONE_PATH [extra json]
loadgen_run() {
    local name=$1 run=$2 url=$3 done_path=$4 extra=${5:-} raw="$OUT/raw/$1.$2.txt" line c0 c1
    c0=$(cpu_snapshot)
    timeout $((DURATION + 60)) "$BIN/gistdesk-loadgen" --start "$url" --done-path "$done_path" \
        --concurrency "${CONC:-$SIGNIN_CONC}" --duration "$DURATION" --label "$name" >"$raw" 2>&1 ||
        log "loadgen $name exited non-zero (see $raw)"
    c1=$(cpu_snapshot)
    if [ -n "${CPU_PIDS:-}" ]; then extra="${extra:+$extra,}$(cpu_json "$c0" "$c1")"; fi
    line=$(grep '^{' "$raw" | tail -1)
    [ -n "$line" ] || { log "no result from loadgen for $name (see $raw)"; return 0; }
    record "${line%\}},\"name\":\"$name\",\"run\":$run${extra:+,$extra}}"
    log "$name #$run: $(echo "$line" | grep -o '"signins_per_sec":[0-9.]*') $(echo "$line" | grep -o '"failed":[0-9]*')"
}

# ---------------------------------------------------------------------------------------
section_emulator() {
    log "== emulator: GET /api/v3/user, complete sign-ins, RSS"
    local port token api
    port=$(free_port); api="http://$H:$port/api/v3"
    start_emulator EMU "$port" --rate-limit 0 --oauth-app "$EMU_APP_ID:$EMU_APP_SECRET:$EMU_APP_CB"
    CPU_PIDS="emulator:$EMU_PID"
    record_rss emulator_rss_idle "$EMU_PID" '"seed":"builtin"'
    # Tokens for the GET runs use the scopes `user gist`; the sign-in runs never ask for `user`,
    # so that the 10-token cap per user, app and scopes never revokes them.
    token=$(emulator_token "http://$H:$port" "$EMU_APP_ID" "$EMU_APP_SECRET" "$EMU_APP_CB" "user gist") ||
        die "could not get a token from the emulator"
    curl -sf -A bench -H "Authorization: Bearer $token" "$api/user" | grep -q '"login": *"octocat"' ||
        die "GET /user with the minted token did not answer octocat"
    local run
    for run in $(seq 1 "$RUNS"); do
        wrk_run emulator_user "$run" "" -c"$CONNS" -H "Authorization: Bearer $token" \
            -H "User-Agent: wrk" -H "Accept: application/vnd.github+json" "$api/user"
        BENCH_CLIENT_ID=$EMU_APP_ID BENCH_CLIENT_SECRET=$EMU_APP_SECRET BENCH_REDIRECT_URI=$EMU_APP_CB \
            wrk_run emulator_signin "$run" "" -c"$CONNS" -s "$BENCH_DIR/wrk/emulator_signin.lua" "http://$H:$port"
    done
    wrk_run emulator_gists 1 "" -c"$CONNS" -H "Authorization: Bearer $token" \
        -H "User-Agent: wrk" "$api/gists?per_page=30"
    record_rss emulator_rss_after_load "$EMU_PID" '"seed":"builtin"'
    CPU_PIDS=
    stop_pid "$EMU_PID"

    log "== emulator with the built-in seed plus $EXTRA_GISTS gists: RSS"
    local seed="$OUT/tmp/seed-plus-$EXTRA_GISTS.json"
    python3 "$BENCH_DIR/make_seed.py" "$seed" "$EXTRA_GISTS" >&2
    port=$(free_port); api="http://$H:$port/api/v3"
    start_emulator EMUBIG "$port" --rate-limit 0 --seed "$seed" \
        --oauth-app "$EMU_APP_ID:$EMU_APP_SECRET:$EMU_APP_CB"
    sleep 1
    record_rss emulator_big_rss_idle "$EMUBIG_PID" "\"extra_gists\":$EXTRA_GISTS"
    token=$(emulator_token "http://$H:$port" "$EMU_APP_ID" "$EMU_APP_SECRET" "$EMU_APP_CB" "user gist") ||
        die "could not get a token from the big-seed emulator"
    sample_rss "$EMUBIG_PID" "$OUT/tmp/emubig.rssmax" &
    local sampler=$!
    wrk_run emulator_big_user 1 "" -c"$CONNS" -H "Authorization: Bearer $token" \
        -H "User-Agent: wrk" "$api/user"
    wrk_run emulator_big_gists 1 "" -c"$CONNS" -H "Authorization: Bearer $token" \
        -H "User-Agent: wrk" "$api/gists?per_page=30&page=3"
    kill "$sampler" 2>/dev/null || true
    record_rss emulator_big_rss_after_requests "$EMUBIG_PID" \
        "\"extra_gists\":$EXTRA_GISTS,\"max_sampled_kb\":$(cat "$OUT/tmp/emubig.rssmax" 2>/dev/null || echo 0)"
    # Then a flood of sign-ins: every one leaves a token (and a spent code) in memory.
    sample_rss "$EMUBIG_PID" "$OUT/tmp/emubig.rssmax" &
    sampler=$!
    BENCH_CLIENT_ID=$EMU_APP_ID BENCH_CLIENT_SECRET=$EMU_APP_SECRET BENCH_REDIRECT_URI=$EMU_APP_CB \
        wrk_run emulator_big_signin 1 "" -c"$CONNS" -s "$BENCH_DIR/wrk/emulator_signin.lua" "http://$H:$port"
    kill "$sampler" 2>/dev/null || true
    record_rss emulator_big_rss_after_signins "$EMUBIG_PID" \
        "\"extra_gists\":$EXTRA_GISTS,\"max_sampled_kb\":$(cat "$OUT/tmp/emubig.rssmax" 2>/dev/null || echo 0)"
    stop_pid "$EMUBIG_PID"
}

# ---------------------------------------------------------------------------------------
section_client() {
    if [ ! -x "$BIN/gistdesk-client-cpu" ]; then
        log "== client: skipped, $BIN/gistdesk-client-cpu is not built"
        return 0
    fi
    log "== client: CPU per call, github-api against bare reqwest; 304s and rate-limit units"
    # The emulator runs inside gistdesk-client-cpu, on a thread whose CPU is not counted.
    local raw="$OUT/raw/client_cpu.txt"
    timeout 600 "$BIN/gistdesk-client-cpu" --rounds "$RUNS" \
        >"$raw" 2>"$OUT/logs/client_cpu.err" || log "client-cpu exited non-zero (see $raw)"
    grep '^{' "$raw" | while read -r line; do record "$line"; done
}

# ---------------------------------------------------------------------------------------
section_app() { # LATENCY_MS
    local lat=$1
    log "== app at ${lat} ms upstream latency: gistdesk against the Tornado peer"
    local eport gport p10 p100 hport
    eport=$(free_port); gport=$(free_port); p10=$(free_port); p100=$(free_port); hport=$(free_port)
    start_emulator EMU "$eport" --latency-ms "$lat" --rate-limit 0 \
        --oauth-app "$GD_APP_ID:$GD_APP_SECRET:http://$H:$gport/auth/github/callback" \
        --oauth-app "$PEER_APP_ID:$PEER_APP_SECRET:http://$H:$p10/auth/github" \
        --oauth-app "$EMU_APP_ID:$EMU_APP_SECRET:$EMU_APP_CB"
    start_gistdesk GD "$gport" "$eport"
    # The same gistdesk without its page memory: every view asks GitHub (If-None-Match).
    local nport
    nport=$(free_port)
    start_gistdesk GDN "$nport" "$eport" PAGE_MEMORY=0
    start_peer P10 "$p10" "$eport" 10
    start_peer P100 "$p100" "$eport" 100
    HELLO_PID=
    GDQ_PID=
    local qport
    if [ "$lat" = 0 ]; then
        start HELLO "$OUT/logs/hello.log" "$BIN/hello-axum" "$H:$hport"
        wait_http "http://$H:$hport/" 30 || die "hello-axum did not start"
        # Diagnostic twin: the same gistdesk logging warnings only (no line per request).
        qport=$(free_port)
        start_gistdesk GDQ "$qport" "$eport" RUST_LOG=warn
    fi
    sleep 1
    record_rss "gistdesk_rss_idle_${lat}ms" "$GD_PID" "\"latency_ms\":$lat"
    record_rss "gistdesk_nomem_rss_idle_${lat}ms" "$GDN_PID" "\"latency_ms\":$lat"
    record_rss "peer_rss_idle_${lat}ms" "$P10_PID" "\"latency_ms\":$lat"

    sign_in GD "http://$H:$gport/auth/github/login?next=/gists" "http://$H:$gport/gists"
    sign_in GDN "http://$H:$nport/auth/github/login?next=/gists" "http://$H:$nport/gists"
    sign_in P10 "http://$H:$p10/auth/github?next=/gists" "http://$H:$p10/gists"
    sign_in P100 "http://$H:$p100/auth/github?next=/gists" "http://$H:$p100/gists"
    check_page gistdesk "http://$H:$gport/gists" "$GD_COOKIE"
    check_page gistdesk-no-page-memory "http://$H:$nport/gists" "$GDN_COOKIE"
    check_page peer "http://$H:$p10/gists" "$P10_COOKIE"
    local noapi_ok=0
    if [ "$lat" = 0 ]; then
        sign_in GDQ "http://$H:$qport/auth/github/login?next=/gists" "http://$H:$qport/gists"
        local st
        st=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $GD_COOKIE" "http://$H:$gport$NOAPI_PATH")
        if [ "$st" = 200 ]; then noapi_ok=1; else log "gistdesk $NOAPI_PATH answered $st: overhead skipped"; fi
    fi

    # The upstream alone: the emulator's own /gists page, as both apps ask for it.
    local etoken
    etoken=$(emulator_token "http://$H:$eport" "$EMU_APP_ID" "$EMU_APP_SECRET" "$EMU_APP_CB" "read:user gist") ||
        die "no token from the emulator"
    local extra="\"latency_ms\":$lat" run sampler
    # CPU seconds of each process during every wrk run (where the time goes).
    CPU_PIDS="gistdesk:$GD_PID gistdesk_nomem:$GDN_PID emulator:$EMU_PID peer10:$P10_PID peer100:$P100_PID${HELLO_PID:+ hello:$HELLO_PID}${GDQ_PID:+ gistdesk_quiet:$GDQ_PID}"
    sample_rss "$GD_PID" "$OUT/tmp/gd.$lat.rssmax" &
    sampler=$!
    for run in $(seq 1 "$RUNS"); do
        wrk_run "gists_gistdesk_${lat}ms" "$run" "$extra" -c"$CONNS" -H "Cookie: $GD_COOKIE" "http://$H:$gport/gists"
        wrk_run "gists_gistdesknomem_${lat}ms" "$run" "$extra" -c"$CONNS" -H "Cookie: $GDN_COOKIE" "http://$H:$nport/gists"
        wrk_run "gists_peer10_${lat}ms" "$run" "$extra" -c"$CONNS" -H "Cookie: $P10_COOKIE" "http://$H:$p10/gists"
        wrk_run "gists_peer100_${lat}ms" "$run" "$extra" -c"$CONNS" -H "Cookie: $P100_COOKIE" "http://$H:$p100/gists"
        wrk_run "gists_upstream_${lat}ms" "$run" "$extra" -c"$CONNS" -H "Authorization: Bearer $etoken" \
            -H "User-Agent: wrk" "http://$H:$eport/api/v3/gists?per_page=30"
        if [ "$noapi_ok" = 1 ]; then
            wrk_run noapi_gistdesk "$run" "\"path\":\"$NOAPI_PATH\"" -c"$CONNS" -H "Cookie: $GD_COOKIE" "http://$H:$gport$NOAPI_PATH"
            wrk_run hello_axum "$run" "" -c"$CONNS" "http://$H:$hport/"
            wrk_run noapi_gistdesk_quiet "$run" "\"path\":\"$NOAPI_PATH\"" -c"$CONNS" -H "Cookie: $GDQ_COOKIE" "http://$H:$qport$NOAPI_PATH"
            wrk_run healthz_gistdesk_quiet "$run" "" -c"$CONNS" "http://$H:$qport/healthz"
        fi
    done
    record_rss "peer_rss_after_load_${lat}ms" "$P10_PID" "$extra"
    for run in $(seq 1 "$RUNS"); do
        loadgen_run "signin_gistdesk_${lat}ms" "$run" "http://$H:$gport/auth/github/login?next=/gists" /gists "$extra"
        loadgen_run "signin_peer10_${lat}ms" "$run" "http://$H:$p10/auth/github?next=/gists" /gists "$extra"
        loadgen_run "signin_peer100_${lat}ms" "$run" "http://$H:$p100/auth/github?next=/gists" /gists "$extra"
    done
    if [ "$lat" = 0 ]; then
        # One sign-in at a time: the latency of a single person's sign-in.
        for run in $(seq 1 "$RUNS"); do
            CONC=1 loadgen_run "signin_seq_gistdesk_${lat}ms" "$run" "http://$H:$gport/auth/github/login?next=/gists" /gists "$extra"
            CONC=1 loadgen_run "signin_seq_peer10_${lat}ms" "$run" "http://$H:$p10/auth/github?next=/gists" /gists "$extra"
        done
    fi
    kill "$sampler" 2>/dev/null || true
    record_rss "gistdesk_rss_after_load_${lat}ms" "$GD_PID" \
        "$extra,\"max_sampled_kb\":$(cat "$OUT/tmp/gd.$lat.rssmax" 2>/dev/null || echo 0)"
    record_rss "emulator_rss_after_app_${lat}ms" "$EMU_PID" "$extra"
    record_rss "gistdesk_nomem_rss_after_load_${lat}ms" "$GDN_PID" "$extra"
    CPU_PIDS=
    stop_all
}

# ---------------------------------------------------------------------------------------
section_ratelimit() {
    log "== rate-limit units per view of unchanged gists"
    local eport gport p10 token api views=${VIEWS:-20}
    eport=$(free_port); gport=$(free_port); p10=$(free_port); api="http://$H:$eport/api/v3"
    start_emulator EMURL "$eport" --rate-limit 5000 \
        --oauth-app "$GD_APP_ID:$GD_APP_SECRET:http://$H:$gport/auth/github/callback" \
        --oauth-app "$PEER_APP_ID:$PEER_APP_SECRET:http://$H:$p10/auth/github" \
        --oauth-app "$EMU_APP_ID:$EMU_APP_SECRET:$EMU_APP_CB"
    start_gistdesk GDRL "$gport" "$eport"
    local nport
    nport=$(free_port)
    start_gistdesk GDRN "$nport" "$eport" PAGE_MEMORY=0
    start_peer PRL "$p10" "$eport" 10
    token=$(emulator_token "http://$H:$eport" "$EMU_APP_ID" "$EMU_APP_SECRET" "$EMU_APP_CB" "read:user") ||
        die "no token for reading the rate limit"
    local a b probe s0 s1 s2
    a=$(rate_used "$api" "$token"); b=$(rate_used "$api" "$token"); probe=$((b - a))
    # A sign-in that ends on /gists: its cost in units, each app on its own.
    s0=$(rate_used "$api" "$token")
    sign_in GDRL "http://$H:$gport/auth/github/login?next=/gists" "http://$H:$gport/gists"
    s1=$(rate_used "$api" "$token")
    sign_in PRL "http://$H:$p10/auth/github?next=/gists" "http://$H:$p10/gists"
    s2=$(rate_used "$api" "$token")
    sign_in GDRN "http://$H:$nport/auth/github/login?next=/gists" "http://$H:$nport/gists"
    record "{\"name\":\"ratelimit_signin\",\"gistdesk_units\":$((s1 - s0 - probe)),\"peer_units\":$((s2 - s1 - probe))}"
    # Per app: first view (cold), then VIEWS more views of the same unchanged page.
    local app url cookie u0 u1 u2 i
    for app in gistdesk gistdesk_nomem peer; do
        case $app in
            gistdesk) url="http://$H:$gport/gists"; cookie=$GDRL_COOKIE ;;
            gistdesk_nomem) url="http://$H:$nport/gists"; cookie=$GDRN_COOKIE ;;
            *) url="http://$H:$p10/gists"; cookie=$PRL_COOKIE ;;
        esac
        u0=$(rate_used "$api" "$token")
        curl -s -o /dev/null -H "Cookie: $cookie" "$url"
        u1=$(rate_used "$api" "$token")
        for i in $(seq 1 "$views"); do curl -s -o /dev/null -H "Cookie: $cookie" "$url"; done
        u2=$(rate_used "$api" "$token")
        local cold=$((u1 - u0 - probe)) warm=$((u2 - u1 - probe))
        record "{\"name\":\"ratelimit_$app\",\"views\":$views,\"first_view_units\":$cold,\"units\":$warm,\"units_per_view\":$(python3 -c "print(round($warm/$views,3))"),\"rate_limit_probe_cost\":$probe}"
        log "ratelimit $app: first view $cold units, then $warm units for $views views"
    done
    # gistdesk keeps a list page 10 s per person; views further apart than that must
    # revalidate with GitHub, so this is where the ETags (304s) alone are at work.
    local stale=${STALE_VIEWS:-3}
    u0=$(rate_used "$api" "$token")
    for i in $(seq 1 "$stale"); do
        sleep 11
        curl -s -o /dev/null -H "Cookie: $GDRL_COOKIE" "http://$H:$gport/gists"
    done
    u1=$(rate_used "$api" "$token")
    record "{\"name\":\"ratelimit_gistdesk_stale\",\"stale_views\":$stale,\"units\":$((u1 - u0 - probe))}"
    log "ratelimit gistdesk, views 11 s apart: $((u1 - u0 - probe)) units for $stale views"
    stop_all
}

section_load() { echo "load before $1: $(uptime | sed 's/.*load average: //')" >>"$OUT/machine.txt"; }
has_section emulator && section_load emulator && section_emulator
has_section client && section_load client && section_client
if has_section app; then for lat in $LATENCIES; do section_load "app ${lat} ms" && section_app "$lat"; done; fi
has_section ratelimit && section_load ratelimit && section_ratelimit
echo "load after: $(uptime | sed 's/.*load average: //')" >>"$OUT/machine.txt"

python3 "$BENCH_DIR/report.py" "$OUT" | tee "$OUT/results.md"
log "results in $OUT"
