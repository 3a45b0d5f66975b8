#!/usr/bin/env bash
# A bad day, measured: nginx (deploy/nginx/gistdesk.conf.template, as docs/DEPLOY.md renders
# it) over two gistdesk instances, signed-in load from many sessions, and a GitHub (the
# emulator) that fails 1% of API calls and adds 0-100 ms to each answer. Phases:
#
#   redis            two instances on Redis
#   instance_restart the same; instance 1 killed (SIGKILL) at 1/3 of the run, started at 2/3
#   redis_restart    the same; Redis shut down (saving) at 1/3, started again at 2/3
#   postgres         two instances on PostgreSQL (the shared server: never restarted here)
#   sqlite           one instance on its SQLite file (both upstream entries point to it)
#
# Each: wrk, CONNS connections for DURATION seconds; per-route p50/p99 and every status
# from nginx's log (what people saw), RSS of each instance every 10 s, CPU of each
# instance and of the store, panics in the instances' logs. Results: $OUT/results.jsonl,
# $OUT/results.md. Knobs: DURATION (300), CONNS (64), SESSIONS (2000), PHASES, OUT,
# GISTDESK_BIN (default: the release build), POSTGRES_URL.
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
DURATION=${DURATION:-300}
CONNS=${CONNS:-64}
SESSIONS=${SESSIONS:-2000}
PHASES=${PHASES:-"redis instance_restart redis_restart postgres sqlite"}
POSTGRES_URL=${POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}
BIN=${GISTDESK_BIN:-${CARGO_TARGET_DIR:-$HOME/.cache/gistdesk-target}/release/gistdesk}
OUT=${OUT:-/tmp/gistdesk-bench/bad-day-$(date +%Y%m%d-%H%M%S)}
export BENCH_DIR OUT
mkdir -p "$OUT/raw" "$OUT/logs" "$OUT/tmp"
: >"$OUT/results.jsonl"
# shellcheck source=bench/lib.sh
. "$BENCH_DIR/lib.sh"
trap 'stop_all; [ -f "$OUT/tmp/nginx.pid" ] && kill "$(cat "$OUT/tmp/nginx.pid")" 2>/dev/null; true' EXIT
trap 'exit 130' INT TERM
for tool in wrk nginx envsubst openssl redis-server redis-cli python3; do
  command -v "$tool" >/dev/null || die "$tool is missing (apt-get install wrk nginx gettext-base openssl redis-server)"
done
[ -x "$BIN" ] || die "missing $BIN (cargo build --release -p gistdesk)"

H=127.0.0.1
export GISTDESK_HOST=gistdesk.test
GISTDESK_HTTPS_PORT=$(free_port)
GISTDESK_HTTP_PORT=$(free_port)
export GISTDESK_HTTPS_PORT GISTDESK_HTTP_PORT
export GISTDESK_TLS_CERT="$OUT/tmp/fullchain.pem" GISTDESK_TLS_KEY="$OUT/tmp/privkey.pem"
P1=$(free_port)
P2=$(free_port)
EPORT=$(free_port)
RPORT=$(free_port)
SITE="https://$GISTDESK_HOST:$GISTDESK_HTTPS_PORT"
APP_ID=Ov23liBadDayGistdesk1
APP_SECRET=bad0day0secret000000000000000000000000a1

{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit: $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null)"
  echo "cpu: $(nproc) cores; load before: $(uptime | sed 's/.*load average: //')"
  echo "settings: DURATION=${DURATION}s CONNS=$CONNS SESSIONS=$SESSIONS PHASES=\"$PHASES\""
} | tee "$OUT/machine.txt" >&2

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$GISTDESK_HOST" \
  -addext "subjectAltName=DNS:$GISTDESK_HOST" \
  -keyout "$GISTDESK_TLS_KEY" -out "$GISTDESK_TLS_CERT" 2>/dev/null

start emulator "$OUT/logs/emulator.log" "$BIN" emulator --port "$EPORT" --auto-approve octocat \
  --fail-rate 0.01 --latency-ms 0 --latency-max-ms 100 --rate-limit 0 --tokens-per-scopes 1000000 \
  --oauth-app "$APP_ID:$APP_SECRET:$SITE/auth/github/callback"
wait_http "http://$H:$EPORT/api/v3/" 60 || die "the emulator did not start"

# nginx: the deploy template, and a main file like Debian's that logs what bad_day.py reads.
start_nginx() {
  export GISTDESK_INSTANCE_1="$H:$1" GISTDESK_INSTANCE_2="$H:$2"
  mkdir -p "$OUT/tmp/conf.d" "$OUT/tmp/nginx"
  envsubst '$GISTDESK_HOST $GISTDESK_HTTPS_PORT $GISTDESK_HTTP_PORT $GISTDESK_TLS_CERT $GISTDESK_TLS_KEY $GISTDESK_INSTANCE_1 $GISTDESK_INSTANCE_2' \
    <"$REPO/deploy/nginx/gistdesk.conf.template" >"$OUT/tmp/conf.d/gistdesk.conf"
  cat >"$OUT/tmp/nginx.conf" <<EOF
pid $OUT/tmp/nginx.pid;
error_log $OUT/logs/nginx-error.log;
worker_processes 1;
events { worker_connections 4096; }
http {
  log_format bad_day '\$msec \$status \$request_time "\$request_method \$uri"';
  access_log $OUT/logs/nginx-access.log bad_day buffer=256k flush=1s;
  client_body_temp_path $OUT/tmp/nginx/body;
  proxy_temp_path $OUT/tmp/nginx/proxy;
  fastcgi_temp_path $OUT/tmp/nginx/fastcgi;
  uwsgi_temp_path $OUT/tmp/nginx/uwsgi;
  scgi_temp_path $OUT/tmp/nginx/scgi;
  include $OUT/tmp/conf.d/*.conf;
}
EOF
  nginx -p "$OUT/tmp" -c "$OUT/tmp/nginx.conf"
  local i
  for i in $(seq 1 100); do [ -s "$OUT/tmp/nginx.pid" ] && return 0; sleep 0.1; done
  die "nginx did not start"
}
stop_nginx() {
  local pid i
  pid=$(cat "$OUT/tmp/nginx.pid")
  kill -QUIT "$pid"
  for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  rm -f "$OUT/tmp/nginx.pid"
}

start_redis() {
  start redis "$OUT/logs/redis.log" redis-server --port "$RPORT" --bind 127.0.0.1 \
    --dir "$OUT/tmp" --dbfilename bad-day.rdb --save "" --appendonly no
  local i
  for i in $(seq 1 100); do [ "$(redis-cli -p "$RPORT" ping 2>/dev/null)" = PONG ] && return 0; sleep 0.1; done
  die "redis did not start"
}

# instance N PORT STORE PHASE
instance() {
  mkdir -p "$OUT/tmp/data-$1"
  start "inst$1" "$OUT/logs/$4-instance-$1.log" env GITHUB_CLIENT_ID=$APP_ID GITHUB_CLIENT_SECRET=$APP_SECRET \
    GITHUB_URL="http://$H:$EPORT" GITHUB_API_URL="http://$H:$EPORT/api/v3" \
    PUBLIC_URL="$SITE" BIND="$H:$2" SESSION_STORE="$3" TRUSTED_PROXIES=127.0.0.1 \
    DATA_DIR="$OUT/tmp/data-$1" RUST_LOG=info "$BIN" serve
  local pid_var="inst$1_PID"
  echo "${!pid_var}" >"$OUT/tmp/inst$1.pid"
  wait_http "http://$H:$2/readyz" 60 || die "instance $1 did not start"
}

# rss_every_10s PHASE: "seconds name kB" lines while the phase runs (bounded by DURATION).
rss_every_10s() {
  local phase=$1 t=0
  while [ "$t" -le "$DURATION" ]; do
    for name in inst1 inst2; do
      [ -s "$OUT/tmp/$name.pid" ] && echo "$t $name $(rss_kb "$(cat "$OUT/tmp/$name.pid")" VmRSS)"
    done
    sleep 10
    t=$((t + 10))
  done >"$OUT/raw/$phase.rss"
}

store_cpu() {
  case "$1" in
    redis*) cpu_ticks "$redis_PID" ;;
    postgres) pgrep -u postgres | while read -r p; do cpu_ticks "$p"; done | awk '{s+=$1} END {print s+0}' ;;
    *) echo 0 ;;
  esac
}

run_phase() {
  local phase=$1 store=$2 two=$3
  log "phase $phase"
  inst1_PID="" inst2_PID=""
  rm -f "$OUT/tmp/inst1.pid" "$OUT/tmp/inst2.pid"
  instance 1 "$P1" "$store" "$phase"
  if [ "$two" = 1 ]; then instance 2 "$P2" "$store" "$phase"; start_nginx "$P1" "$P2"; else start_nginx "$P1" "$P1"; fi
  log "signing in $SESSIONS sessions"
  python3 "$BENCH_DIR/bad_day.py" signins "$SITE" "$GISTDESK_TLS_CERT" "$SESSIONS" "$OUT/tmp/sessions.tsv" ||
    die "sign-ins failed"
  curl -s --cacert "$GISTDESK_TLS_CERT" --resolve "$GISTDESK_HOST:$GISTDESK_HTTPS_PORT:$H" \
    -H "Cookie: $(head -n1 "$OUT/tmp/sessions.tsv" | cut -f1)" "$SITE/gists" |
    sed -n 's|.*<a class="title" href="/gists/\([^"]*\)".*|\1|p' | head -n 10 >"$OUT/tmp/gists.txt"
  [ -s "$OUT/tmp/gists.txt" ] || die "no gist ids on the list page"

  rss_every_10s "$phase" &
  local sampler=$! c0 s0 start_t end_t
  c0="$(cpu_ticks "$inst1_PID") $( [ -n "$inst2_PID" ] && cpu_ticks "$inst2_PID" || echo 0)"
  s0=$(store_cpu "$phase")
  start_t=$(date +%s.%N)
  BAD_DAY_SESSIONS="$OUT/tmp/sessions.tsv" BAD_DAY_GISTS="$OUT/tmp/gists.txt" \
    BAD_DAY_HOST="$GISTDESK_HOST:$GISTDESK_HTTPS_PORT" BENCH_REPORT="$BENCH_DIR/wrk/report.lua" \
    timeout $((DURATION + 60)) wrk --latency -t2 -c"$CONNS" -d"${DURATION}s" --timeout 15s \
    -s "$BENCH_DIR/wrk/bad_day.lua" "https://$H:$GISTDESK_HTTPS_PORT" >"$OUT/raw/$phase.wrk" 2>&1 &
  local wrk_pid=$!
  case "$phase" in
    instance_restart)
      sleep $((DURATION / 3)); log "killing instance 1"; kill -KILL "$inst1_PID"
      sleep $((DURATION / 3)); log "starting instance 1 again"; instance 1 "$P1" "$store" "$phase-again" ;;
    redis_restart)
      sleep $((DURATION / 3)); log "shutting Redis down (saving)"; redis-cli -p "$RPORT" shutdown save >/dev/null 2>&1 || true
      sleep $((DURATION / 3)); log "starting Redis again"; start_redis ;;
  esac
  wait "$wrk_pid" || log "wrk exited non-zero"
  end_t=$(date +%s.%N)
  local c1 s1
  c1="$(cpu_ticks "$inst1_PID") $( [ -n "$inst2_PID" ] && cpu_ticks "$inst2_PID" || echo 0)"
  s1=$(store_cpu "$phase")
  kill "$sampler" 2>/dev/null || true
  # nginx writes its buffered access log at exit, which stop_nginx waits for.
  stop_nginx
  local panics
  panics=$(cat "$OUT/logs/$phase"*-instance-*.log | grep -c 'panicked' || true)
  python3 "$BENCH_DIR/bad_day.py" report "$OUT/logs/nginx-access.log" "$phase" "$start_t" "$end_t" |
    python3 -c '
import json, sys
r = json.load(sys.stdin)
c0, c1 = [list(map(float, s.split())) for s in sys.argv[1:3]]
tck = float(sys.argv[5]); n = max(r["requests"], 1)
r["panics"] = int(sys.argv[3])
r["app_cpu_ms_per_req"] = round(sum(b - a for a, b in zip(c0, c1)) / tck * 1000 / n, 3)
r["store_cpu_ms_per_req"] = round((float(sys.argv[7]) - float(sys.argv[6])) / tck * 1000 / n, 3)
rss = {}
for line in open(sys.argv[4]):
    parts = line.split()  # "t name" alone while an instance is down
    if len(parts) == 3 and parts[2].isdigit():
        rss.setdefault(parts[1], []).append((int(parts[0]), int(parts[2])))
r["rss_kb"] = rss
print(json.dumps(r))' "$c0" "$c1" "$panics" "$OUT/raw/$phase.rss" "$CLK_TCK" "$s0" "$s1" >>"$OUT/results.jsonl"
  : >"$OUT/logs/nginx-access.log"
  stop_pid "$inst1_PID"
  [ -n "$inst2_PID" ] && stop_pid "$inst2_PID"
  tail -n1 "$OUT/results.jsonl" >&2
}

for phase in $PHASES; do
  case "$phase" in
    redis | instance_restart | redis_restart)
      [ -n "${redis_PID:-}" ] && kill -0 "$redis_PID" 2>/dev/null || start_redis
      run_phase "$phase" "redis://$H:$RPORT" 1 ;;
    postgres) run_phase postgres "$POSTGRES_URL" 1 ;;
    sqlite) run_phase sqlite "sqlite://$OUT/tmp/data-1/sessions.db" 0 ;;
    *) die "unknown phase $phase" ;;
  esac
done
python3 - "$OUT/results.jsonl" >"$OUT/results.md" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print("| phase | requests | 500s | unmapped | panics | statuses | app CPU ms/req | store CPU ms/req | RSS first→last (MB) |")
print("|---|---:|---:|---:|---:|---|---:|---:|---|")
for r in rows:
    rss = "; ".join(f"{k} {v[0][1]/1024:.0f}→{v[-1][1]/1024:.0f}" for k, v in r["rss_kb"].items() if v)
    st = ", ".join(f"{k}×{v}" for k, v in r["statuses"].items())
    print(f'| {r["phase"]} | {r["requests"]} | {r["status_500"]} | {r["unmapped"]} | {r["panics"]} | {st} | {r["app_cpu_ms_per_req"]} | {r["store_cpu_ms_per_req"]} | {rss} |')
print()
print("| phase | route | n | p50 ms | p99 ms | statuses |")
print("|---|---|---:|---:|---:|---|")
for r in rows:
    for route, v in r["routes"].items():
        st = ", ".join(f"{k}×{c}" for k, c in sorted(v["statuses"].items()))
        print(f'| {r["phase"]} | {route} | {v["n"]} | {v["p50_ms"]} | {v["p99_ms"]} | {st} |')
PY
cat "$OUT/results.md"
