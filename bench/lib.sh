# Helpers for bench/run.sh (sourced). Everything here talks to 127.0.0.1 only and every
# loop is bounded in count and time.

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# PIDs of the processes this run started; stopped (by PID) on exit.
BENCH_PIDS=()
stop_pid() {
    local pid=$1 i
    kill "$pid" 2>/dev/null || return 0
    for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
}
stop_all() {
    local pid
    for pid in "${BENCH_PIDS[@]}"; do stop_pid "$pid"; done
    BENCH_PIDS=()
}

# start NAME LOGFILE CMD... : starts CMD in the background, records its PID in $NAME_PID.
start() {
    local name=$1 logf=$2; shift 2
    "$@" >"$logf" 2>&1 &
    local pid=$!
    BENCH_PIDS+=("$pid")
    printf -v "${name}_PID" '%s' "$pid"
    log "started $name (pid $pid): $*"
}

# free_port: a port free now and not handed out before in this run (the kernel may give
# the same ephemeral port to two bind-to-0 calls in a row). Called in $(...), so the
# ports handed out are kept in a file, not a variable.
free_port() {
    local p i used="$OUT/tmp/ports.used"
    touch "$used"
    for i in $(seq 1 50); do
        p=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
        if ! grep -qx "$p" "$used"; then echo "$p" >>"$used"; echo "$p"; return 0; fi
    done
    return 1
}

# wait_http URL [SECONDS]: waits until URL answers anything over HTTP.
wait_http() {
    local url=$1 secs=${2:-60} i
    for i in $(seq 1 $((secs * 10))); do
        if curl -s -o /dev/null --max-time 1 "$url"; then return 0; fi
        sleep 0.1
    done
    return 1
}

# rss_kb PID FIELD: VmRSS or VmHWM in kB.
rss_kb() { awk -v f="$2:" '$1==f {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

# sample_rss PID OUTFILE: background sampler, writes the largest VmRSS seen (kB) to
# OUTFILE every 200 ms until killed or the process ends (at most 10 minutes).
sample_rss() {
    local pid=$1 out=$2 max=0 v i
    for i in $(seq 1 3000); do
        v=$(rss_kb "$pid" VmRSS); [ -n "$v" ] || break
        [ "$v" -gt "$max" ] 2>/dev/null && max=$v && echo "$max" >"$out"
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
    done
}

# cpu_ticks PID: user+system CPU time of the process so far, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
CLK_TCK=$(getconf CLK_TCK 2>/dev/null || echo 100)

# cpu_snapshot: "name=ticks ..." for every "name:pid" in $CPU_PIDS.
cpu_snapshot() {
    local e
    for e in ${CPU_PIDS:-}; do printf '%s=%s ' "${e%%:*}" "$(cpu_ticks "${e#*:}")"; done
}

# cpu_json BEFORE AFTER: "\"cpu_s\":{\"name\":seconds,...}" from two snapshots.
cpu_json() {
    python3 - "$1" "$2" "$CLK_TCK" <<'PY'
import json, sys
b = dict(kv.split("=") for kv in sys.argv[1].split())
a = dict(kv.split("=") for kv in sys.argv[2].split())
t = float(sys.argv[3])
print('"cpu_s":' + json.dumps({k: round((float(a[k]) - float(b[k])) / t, 2) for k in a if k in b}))
PY
}

# record JSON: appends one result line to $OUT/results.jsonl.
record() { echo "$1" >>"$OUT/results.jsonl"; }

# wrk_run NAME RUN EXTRA_JSON wrk-args...: runs wrk with report.lua (unless -s is given),
# keeps the raw output, and records the BENCH line with name and run added.
wrk_run() {
    local name=$1 run=$2 extra=$3; shift 3
    local raw="$OUT/raw/$name.$run.txt" script=() c0 c1
    case " $* " in *" -s "*) ;; *) script=(-s "$BENCH_DIR/wrk/report.lua") ;; esac
    c0=$(cpu_snapshot)
    BENCH_REPORT="$BENCH_DIR/wrk/report.lua" \
        timeout $((DURATION + 30)) wrk --latency -t"$WRK_THREADS" -d"${DURATION}s" --timeout 10s \
        "${script[@]}" "$@" >"$raw" 2>&1 || log "wrk $name exited non-zero (see $raw)"
    c1=$(cpu_snapshot)
    if [ -n "${CPU_PIDS:-}" ]; then extra="${extra:+$extra,}$(cpu_json "$c0" "$c1")"; fi
    local line
    line=$(sed -n 's/^BENCH //p' "$raw" | tail -1)
    if [ -z "$line" ]; then
        log "no result from wrk for $name (see $raw)"; return 0
    fi
    line=${line%\}}
    record "${line},\"name\":\"$name\",\"run\":$run${extra:+,$extra}}"
    log "$name #$run: $(echo "$line" | grep -o '"rps":[0-9.]*') $(echo "$line" | grep -o '"p99_ms":[0-9.]*') $(echo "$line" | grep -o '"err_status":[0-9]*')"
}

# cookie_header JAR HOST: "name=value; ..." of the cookies curl kept for HOST.
cookie_header() {
    awk -v h="$2" 'BEGIN{FS="\t"} /^#HttpOnly_/ {sub(/^#HttpOnly_/,"")} /^#/ || NF<7 {next}
        $1==h || $1=="."h {printf "%s%s=%s", (n++?"; ":""), $6, $7}' "$1"
}

# signin_curl START_URL JAR: a real sign-in through every redirect with a cookie jar;
# prints the final status and URL.
signin_curl() {
    curl -s -L --max-redirs 10 --max-time 30 -c "$2" -b "$2" -A gistdesk-bench \
        -o /dev/null -w '%{http_code} %{url_effective}' "$1"
}

# emulator_token BASE CLIENT_ID CLIENT_SECRET REDIRECT_URI SCOPES: a token through the
# emulator's own web flow (auto-approve) and token endpoint.
emulator_token() {
    local base=$1 id=$2 secret=$3 redirect=$4 scope=$5 loc code
    loc=$(curl -s -o /dev/null --max-time 10 -A gistdesk-bench -w '%{redirect_url}' -G \
        --data-urlencode "client_id=$id" --data-urlencode "redirect_uri=$redirect" \
        --data-urlencode "scope=$scope" --data-urlencode "state=benchstate" \
        "$base/login/oauth/authorize")
    code=$(printf '%s' "$loc" | sed -n 's/.*[?&]code=\([^&]*\).*/\1/p')
    [ -n "$code" ] || { log "authorize gave no code (Location: $loc)"; return 1; }
    curl -s --max-time 10 -A gistdesk-bench -H 'Accept: application/json' \
        --data-urlencode "client_id=$id" --data-urlencode "client_secret=$secret" \
        --data-urlencode "code=$code" --data-urlencode "redirect_uri=$redirect" \
        "$base/login/oauth/access_token" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}

# rate_used API TOKEN: units used so far in the token's user's core budget (GET
# /rate_limit itself costs nothing on GitHub).
rate_used() {
    curl -s --max-time 10 -A gistdesk-bench -H "Authorization: Bearer $2" \
        -H 'Accept: application/vnd.github+json' "$1/rate_limit" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["resources"]["core"]["used"])'
}
