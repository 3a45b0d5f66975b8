#!/usr/bin/env bash
# A bad day, measured: nginx (deploy/nginx/gistdesk.conf.template, as docs/DEPLOY.md renders
# it) over two gistdesk instances, signed-in load from many sessions, and a GitHub (the
# emulator) that fails 1% of API calls and adds 0-100 ms to each answer. Phases:
#
#   redis            two instances on Redis
#   instance_restart the same; instance 1 killed (SIGKILL) at 1/3 of the run, started at 2/3
#   redis_restart    the same; Redis shut down (saving) at 1/3, started again at 2/3
#   postgres         two instances on a PostgreSQL server of this run's own (initdb in
#                    $OUT/tmp: the machine's shared server is never stopped)
#   postgres_restart the same; that server stopped (fast) at 1/3, started again at 2/3
#   sqlite           one instance on its SQLite file (both upstream entries point to it)
#
# The sessions belong to PEOPLE people (`person-0`..., 10 gists each in the seed, signed in
# through the emulator's consent page), SESSIONS / PEOPLE sessions each, and each creates
# its share of the gists; PEOPLE=0 signs every session in as octocat, whose one account
# then grows by thousands of gists a phase (every index refresh reads it whole).
#
# Each: wrk, CONNS connections for DURATION seconds; per-route p50/p99 and every status
# from nginx's log (what people saw), RSS of each instance every 10 s with the growth
# after WARMUP seconds judged against 10%, CPU of each instance and of the store, the
# machine's other load, panics in the logs. Results: $OUT/results.jsonl, $OUT/results.md.
# After the load, each instance's RSS is read again every 10 s for REST seconds with no
# request (RSS at rest: memory that is the allocator's cache comes back, a leak does not),
# into $OUT/raw/PHASE.rest and one "rest" line of results.jsonl.
# Knobs: DURATION (300), CONNS (64), SESSIONS (2000), PEOPLE (200), INSTANCE_ENV (more
# NAME=VALUE settings for the instances, e.g. MALLOC_ARENA_MAX=2), WARMUP (60), REST (60), PHASES, OUT,
# GISTDESK_BIN (default: the release build).
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
DURATION=${DURATION:-300}
CONNS=${CONNS:-64}
SESSIONS=${SESSIONS:-2000}
PEOPLE=${PEOPLE:-200}
INSTANCE_ENV=${INSTANCE_ENV:-}
WARMUP=${WARMUP:-60}
REST=${REST:-60}
PHASES=${PHASES:-"redis instance_restart redis_restart postgres postgres_restart sqlite"}
BIN=${GISTDESK_BIN:-${CARGO_TARGET_DIR:-$HOME/.cache/gistdesk-target}/release/gistdesk}
OUT=${OUT:-/tmp/gistdesk-bench/bad-day-$(date +%Y%m%d-%H%M%S)}
export BENCH_DIR OUT
mkdir -p "$OUT/raw" "$OUT/logs" "$OUT/tmp"
: >"$OUT/results.jsonl"
# shellcheck source=bench/lib.sh
. "$BENCH_DIR/lib.sh"
trap 'stop_all; [ -f "$OUT/tmp/nginx.pid" ] && kill "$(cat "$OUT/tmp/nginx.pid")" 2>/dev/null; type stop_postgres >/dev/null 2>&1 && stop_postgres; true' EXIT
trap 'exit 130' INT TERM
for tool in wrk nginx envsubst openssl redis-server redis-cli python3 /usr/bin/time; do
  command -v "$tool" >/dev/null || die "$tool is missing (apt-get install wrk nginx gettext-base openssl redis-server time)"
done
PG_BIN=$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n1)
case " $PHASES " in
  *" postgres"*) [ -x "$PG_BIN/initdb" ] || die "no /usr/lib/postgresql/*/bin/initdb (apt-get install postgresql)" ;;
esac
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
PGPORT=$(free_port)
SITE="https://$GISTDESK_HOST:$GISTDESK_HTTPS_PORT"
APP_ID=Ov23liBadDayGistdesk1
APP_SECRET=bad0day0secret000000000000000000000000a1

{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit: $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null)"
  echo "cpu: $(nproc) cores; load before: $(uptime | sed 's/.*load average: //')"
  echo "gistdesk: $BIN ($(stat -c %y "$BIN" | cut -d. -f1))"
  echo "settings: DURATION=${DURATION}s CONNS=$CONNS SESSIONS=$SESSIONS PEOPLE=$PEOPLE PHASES=\"$PHASES\""
} | tee "$OUT/machine.txt" >&2

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$GISTDESK_HOST" \
  -addext "subjectAltName=DNS:$GISTDESK_HOST" \
  -keyout "$GISTDESK_TLS_KEY" -out "$GISTDESK_TLS_CERT" 2>/dev/null

if [ "$PEOPLE" -gt 0 ]; then
  python3 "$BENCH_DIR/make_seed.py" "$OUT/tmp/seed.json" 0 "$PEOPLE" >&2
  who=(--seed "$OUT/tmp/seed.json")
else
  who=(--auto-approve octocat)
fi
start emulator "$OUT/logs/emulator.log" "$BIN" emulator --port "$EPORT" "${who[@]}" \
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

# A PostgreSQL server of this run's own, on a free port with its socket in $OUT/tmp/pg, so
# that stopping it touches nobody else. initdb refuses to run as root: then the cluster
# belongs to the postgres user. Trust on loopback: nothing but this run reaches the port.
PGDATA="$OUT/tmp/pg/data"
POSTGRES_URL="postgres://postgres@$H:$PGPORT/gistdesk"
as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
start_postgres() {
  if [ ! -d "$PGDATA" ]; then
    mkdir -p "$OUT/tmp/pg"
    touch "$OUT/logs/postgres.log"
    [ "$(id -u)" = 0 ] && chown postgres: "$OUT/tmp/pg" "$OUT/logs/postgres.log"
    as_postgres "$PG_BIN/initdb" -D "$PGDATA" -U postgres -A trust -E UTF8 --no-sync >"$OUT/logs/initdb.log" 2>&1 ||
      die "initdb failed (see $OUT/logs/initdb.log)"
  fi
  as_postgres "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$OUT/logs/postgres.log" -w -t 60 \
    -o "-p $PGPORT -c listen_addresses=$H -k $OUT/tmp/pg" start >/dev/null ||
    die "PostgreSQL did not start (see $OUT/logs/postgres.log)"
  as_postgres "$PG_BIN/psql" -h "$H" -p "$PGPORT" -U postgres -Atqc \
    "SELECT 1 FROM pg_database WHERE datname = 'gistdesk'" postgres | grep -q 1 ||
    as_postgres "$PG_BIN/createdb" -h "$H" -p "$PGPORT" -U postgres gistdesk
  log "PostgreSQL on $H:$PGPORT (postmaster pid $(postmaster_pid))"
}
postmaster_pid() { head -n1 "$PGDATA/postmaster.pid" 2>/dev/null; }
# stop_postgres: a fast shutdown (sessions are ended, what was committed stays).
stop_postgres() {
  [ -n "${PGDATA:-}" ] && [ -n "$(postmaster_pid)" ] || return 0
  as_postgres "$PG_BIN/pg_ctl" -D "$PGDATA" -m fast -w -t 60 stop >/dev/null
}

# instance N PORT STORE PHASE
instance() {
  mkdir -p "$OUT/tmp/data-$1"
  start "inst$1" "$OUT/logs/$4-instance-$1.log" env GITHUB_CLIENT_ID=$APP_ID GITHUB_CLIENT_SECRET=$APP_SECRET \
    GITHUB_URL="http://$H:$EPORT" GITHUB_API_URL="http://$H:$EPORT/api/v3" \
    PUBLIC_URL="$SITE" BIND="$H:$2" SESSION_STORE="$3" TRUSTED_PROXIES=127.0.0.1 \
    DATA_DIR="$OUT/tmp/data-$1" RUST_LOG=info $INSTANCE_ENV "$BIN" serve
  local pid_var="inst$1_PID"
  echo "${!pid_var}" >"$OUT/tmp/inst$1.pid"
  wait_http "http://$H:$2/readyz" 60 || die "instance $1 did not start"
}

# rss_readings SECONDS FILE: "seconds name pid kB" lines every 10 s for SECONDS into FILE;
# a restarted instance shows as a new pid under the same name.
rss_readings() {
  local seconds=$1 file=$2 t=0 pid
  while [ "$t" -le "$seconds" ]; do
    for name in inst1 inst2; do
      pid=$(cat "$OUT/tmp/$name.pid" 2>/dev/null || true)
      [ -n "$pid" ] && echo "$t $name $pid $(rss_kb "$pid" VmRSS)"
    done
    [ "$t" -lt "$seconds" ] && sleep 10
    t=$((t + 10))
  done >"$file"
}

# rss_every_10s PHASE: RSS readings while the phase runs (bounded by DURATION).
rss_every_10s() { rss_readings "$DURATION" "$OUT/raw/$1.rss"; }

# rss_at_rest PHASE: after the load, "seconds name pid kB" every 10 s for REST seconds with
# no request, and a results line with the first and last reading of each instance.
rss_at_rest() {
  local phase=$1
  rss_readings "$REST" "$OUT/raw/$phase.rest"
  python3 - "$phase" "$OUT/raw/$phase.rest" "$OUT/raw/$phase.rss" >>"$OUT/results.jsonl" <<'PY'
import json, sys
phase, rest, load = sys.argv[1:4]
def readings(path):
    out = {}
    for line in open(path):
        t, name, pid, kb = line.split()
        out.setdefault(name, []).append((int(t), int(kb)))
    return out
rest_r, load_r = readings(rest), readings(load)
instances = {}
for name, values in rest_r.items():
    during = [kb for _, kb in load_r.get(name, [])]
    instances[name] = {
        "highest_under_load_kb": max(during) if during else None,
        "last_under_load_kb": during[-1] if during else None,
        "rest_first_kb": values[0][1],
        "rest_last_kb": values[-1][1],
        "rest_seconds": values[-1][0],
    }
print(json.dumps({"phase": phase, "kind": "rest", "instances": instances}))
PY
  log "RSS at rest after $phase: $(tail -n1 "$OUT/results.jsonl")"
}

# store_ticks KIND: CPU ticks of the store's processes alive now (redis, postgres; 0 for
# sqlite, which runs inside the instance). PostgreSQL's backends come and go: the
# postmaster's own ticks, those of the children it has reaped (cutime, cstime) and those
# of the children alive now.
store_ticks() {
  local pm
  case "$1" in
    redis) if [ -n "${redis_PID:-}" ]; then cpu_ticks "$redis_PID"; else echo 0; fi ;;
    postgres)
      pm=$(postmaster_pid)
      if [ -z "$pm" ]; then echo 0; return; fi
      { awk '{print $14 + $15 + $16 + $17}' "/proc/$pm/stat" 2>/dev/null
        pgrep -P "$pm" | while read -r p; do cpu_ticks "$p"; done; } | awk '{s+=$1} END {print s+0}' ;;
    *) echo 0 ;;
  esac
}
# busy_ticks: ticks the whole machine spent busy so far, every core (/proc/stat).
busy_ticks() { awk '$1=="cpu" {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }
nginx_ticks() {
  local master p sum=0
  master=$(cat "$OUT/tmp/nginx.pid" 2>/dev/null || true)
  [ -n "$master" ] || { echo 0; return; }
  for p in "$master" $(pgrep -P "$master"); do sum=$((sum + $(cpu_ticks "$p"))); done
  echo "$sum"
}
# A process stopped during a phase takes its ticks with it: they are added here first.
GONE_APP=0 GONE_STORE=0
app_ticks() {
  local sum=$GONE_APP p
  for p in ${inst1_PID:-} ${inst2_PID:-}; do sum=$((sum + $(cpu_ticks "$p"))); done
  echo "$sum"
}
# ticks KIND: "app store emulator nginx busy" now.
ticks() {
  echo "$(app_ticks) $((GONE_STORE + $(store_ticks "$1"))) $(cpu_ticks "$emulator_PID") $(nginx_ticks) $(busy_ticks)"
}

# machine_every_10s PHASE: the 1-minute load average and how many compilers (rustc, cc,
# ld: other people's builds) run, every 10 s while the phase runs.
machine_every_10s() {
  local t=0
  while [ "$t" -le "$DURATION" ]; do
    echo "$t $(cut -d' ' -f1 /proc/loadavg) $(ps -eo comm= | grep -c -x -E 'rustc|cc1|cc1plus|ld|ld.lld|cc' || true)"
    sleep 10
    t=$((t + 10))
  done >"$OUT/raw/$1.machine"
}

# run_phase PHASE STORE_URL TWO_INSTANCES STORE_KIND
run_phase() {
  local phase=$1 store=$2 two=$3 kind=$4
  log "phase $phase"
  inst1_PID="" inst2_PID="" GONE_APP=0 GONE_STORE=0
  rm -f "$OUT/tmp/inst1.pid" "$OUT/tmp/inst2.pid"
  instance 1 "$P1" "$store" "$phase"
  if [ "$two" = 1 ]; then instance 2 "$P2" "$store" "$phase"; start_nginx "$P1" "$P2"; else start_nginx "$P1" "$P1"; fi
  log "signing in $SESSIONS sessions"
  python3 "$BENCH_DIR/bad_day.py" signins "$SITE" "$GISTDESK_TLS_CERT" "$SESSIONS" "$OUT/tmp/sessions.tsv" "$PEOPLE" ||
    die "sign-ins failed"
  # The gists read: the first ten on the first person's list when the run starts (the
  # seed's; every session may read them, as a shared link), the same
  # in every phase. Taken again per phase, they would be the one-line gists the previous
  # phase created, far cheaper pages than the first phase's.
  if [ ! -s "$OUT/tmp/gists.txt" ]; then
    curl -s --cacert "$GISTDESK_TLS_CERT" --resolve "$GISTDESK_HOST:$GISTDESK_HTTPS_PORT:$H" \
      -H "Cookie: $(head -n1 "$OUT/tmp/sessions.tsv" | cut -f1)" "$SITE/gists" |
      sed -n 's|.*<a class="title" href="/gists/\([^"]*\)".*|\1|p' | head -n 10 >"$OUT/tmp/gists.txt"
    [ -s "$OUT/tmp/gists.txt" ] || die "no gist ids on the list page"
  fi

  rss_every_10s "$phase" &
  local sampler=$!
  machine_every_10s "$phase" &
  local machine=$!
  local t0 t1 start_t end_t load0 load1
  load0=$(cut -d' ' -f1-3 /proc/loadavg)
  t0=$(ticks "$kind")
  start_t=$(date +%s.%N)
  # wrk under time(1): its user and system CPU, timeout's waited-for child included.
  BAD_DAY_SESSIONS="$OUT/tmp/sessions.tsv" BAD_DAY_GISTS="$OUT/tmp/gists.txt" \
    BAD_DAY_HOST="$GISTDESK_HOST:$GISTDESK_HTTPS_PORT" BENCH_REPORT="$BENCH_DIR/wrk/report.lua" \
    /usr/bin/time -f "%U %S" -o "$OUT/raw/$phase.wrk-times" \
    timeout $((DURATION + 60)) wrk --latency -t2 -c"$CONNS" -d"${DURATION}s" --timeout 15s \
    -s "$BENCH_DIR/wrk/bad_day.lua" "https://$H:$GISTDESK_HTTPS_PORT" >"$OUT/raw/$phase.wrk" 2>&1 &
  local wrk_pid=$!
  case "$phase" in
    instance_restart)
      sleep $((DURATION / 3)); log "killing instance 1"
      GONE_APP=$(cpu_ticks "$inst1_PID"); kill -KILL "$inst1_PID"
      sleep $((DURATION / 3)); log "starting instance 1 again"; instance 1 "$P1" "$store" "$phase-again" ;;
    redis_restart)
      sleep $((DURATION / 3)); log "shutting Redis down (saving)"
      GONE_STORE=$(store_ticks redis)
      redis-cli -p "$RPORT" shutdown save >/dev/null 2>&1 || true
      sleep $((DURATION / 3)); log "starting Redis again"; start_redis ;;
    postgres_restart)
      sleep $((DURATION / 3)); log "stopping PostgreSQL (fast)"
      GONE_STORE=$(store_ticks postgres)
      stop_postgres || log "pg_ctl stop exited non-zero"
      sleep $((DURATION / 3)); log "starting PostgreSQL again"; start_postgres ;;
  esac
  wait "$wrk_pid" || log "wrk exited non-zero"
  end_t=$(date +%s.%N)
  t1=$(ticks "$kind")
  load1=$(cut -d' ' -f1-3 /proc/loadavg)
  kill "$sampler" "$machine" 2>/dev/null || true
  rss_at_rest "$phase"
  stop_nginx
  local panics
  panics=$(cat "$OUT/logs/$phase"*-instance-*.log "$OUT/logs/emulator.log" | grep -c 'panicked' || true)
  python3 "$BENCH_DIR/bad_day.py" report "$OUT/logs/nginx-access.log" "$phase" "$start_t" "$end_t" |
    python3 "$BENCH_DIR/bad_day.py" finish "$phase" "$t0" "$t1" "$OUT/raw/$phase.wrk-times" "$CLK_TCK" \
      "$(nproc)" "$panics" "$OUT/raw/$phase.rss" "$WARMUP" "$OUT/raw/$phase.machine" "$load0" "$load1" \
      "$kind" >>"$OUT/results.jsonl"
  : >"$OUT/logs/nginx-access.log"
  stop_pid "$inst1_PID"
  [ -n "$inst2_PID" ] && stop_pid "$inst2_PID"
  tail -n1 "$OUT/results.jsonl" >&2
}

for phase in $PHASES; do
  case "$phase" in
    redis | instance_restart | redis_restart)
      [ -n "${redis_PID:-}" ] && kill -0 "$redis_PID" 2>/dev/null || start_redis
      run_phase "$phase" "redis://$H:$RPORT" 1 redis ;;
    postgres | postgres_restart)
      [ -n "$(postmaster_pid)" ] || start_postgres
      run_phase "$phase" "$POSTGRES_URL" 1 postgres ;;
    sqlite) run_phase sqlite "sqlite://$OUT/tmp/data-1/sessions.db" 0 sqlite ;;
    *) die "unknown phase $phase" ;;
  esac
done
stop_postgres
python3 "$BENCH_DIR/bad_day.py" markdown "$OUT/results.jsonl" >"$OUT/results.md"
cat "$OUT/results.md"
