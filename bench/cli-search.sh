#!/usr/bin/env bash
# `gistdesk gists search` on the 1,000-gist account of bench/search_seed.py, against what
# GitHub's own CLI can do closest to it, timed with hyperfine, with the REST rate-limit
# units of each command.
#
#   bench/cli-search.sh                            # this checkout's release build
#   ROUNDS=5 RUNS=10 bench/cli-search.sh
#   GISTDESK=/path/to/gistdesk bench/cli-search.sh
#
# What each command searches (they do not find the same things, by design):
#   - `gistdesk gists search WORD`: descriptions, file names, languages and the full text of
#     every file, secret gists included, from an index in the per-user cache folder (here
#     DATA_DIR/search), refreshed with conditional requests before every search. Its first
#     run builds the index (one list page per 100 gists, then every file's raw URL);
#   - `gistdesk gists list --filter WORD`: descriptions and file names, reading the list;
#   - `gh gist list --filter WORD` (gh 2.61 and later: descriptions and file names;
#     `--include-content` adds the files' text). Debian's gh (2.23 here) has no `--filter`,
#     so the closest it does is `gh gist list -L 1000 | grep -i WORD`: the list, filtered
#     on what it prints (the description, or the first file name when there is none).
#
# `gh` speaks only HTTPS to an Enterprise host and takes no port in a host name, so the
# emulator is put behind nginx with a certificate made here, on GH_BENCH_HOST:443 (a
# loopback address; root, or the right to bind port 443), as conformance/gh_cli.test.mjs
# does. gistdesk's CLI is pointed at the same address (GITHUB_URL=https://GH_BENCH_HOST,
# signed in with `gistdesk login`, the device code approved through the emulator's control
# endpoint), so both pay the same TLS proxy; both trust the certificate through
# SSL_CERT_FILE. gh gets a token through GH_ENTERPRISE_TOKEN.
#
# Knobs: GISTS (1000), WORD (quicksort: in descriptions and file names), TEXT_WORD (tokio:
# in the files' text only), ROUNDS (3 hyperfine invocations), RUNS (5 runs per command per
# round), FIRST_RUNS (3 first builds), GH_BENCH_HOST (127.0.0.9), GISTDESK (binary), OUT.
# Results: $OUT/results.jsonl, $OUT/results.md, $OUT/raw (hyperfine's JSON). Every loop
# is bounded; processes are stopped by PID.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/gistdesk-target}
GISTDESK=${GISTDESK:-$CARGO_TARGET_DIR/release/gistdesk}
GISTS=${GISTS:-1000}
WORD=${WORD:-quicksort}
TEXT_WORD=${TEXT_WORD:-tokio}
ROUNDS=${ROUNDS:-3}
RUNS=${RUNS:-5}
FIRST_RUNS=${FIRST_RUNS:-3}
GH_BENCH_HOST=${GH_BENCH_HOST:-127.0.0.9}
OUT=${OUT:-/tmp/gistdesk-bench/cli-search-$(date -u +%Y%m%dT%H%M%SZ)}
H=127.0.0.1
export BENCH_DIR OUT

if [ ! -x "$GISTDESK" ]; then
    (cd "$ROOT" && nice -n 10 cargo build --release -p gistdesk)
fi
for tool in hyperfine gh nginx openssl; do
    command -v "$tool" >/dev/null || die "$tool is missing"
done
mkdir -p "$OUT/logs" "$OUT/tmp" "$OUT/raw"
: >"$OUT/results.jsonl"
trap stop_all EXIT
trap 'exit 130' INT TERM

{
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "commit: $(git -C "$ROOT" rev-parse --short HEAD) (binary: $GISTDESK, $(stat -c %y "$GISTDESK" | cut -d. -f1))"
    echo "cpu: $(lscpu | sed -n 's/^Model name: *//p') x $(nproc)"
    echo "hyperfine: $(hyperfine --version)"
    echo "gh: $(gh --version | head -1)"
    echo "nginx: $(nginx -v 2>&1)"
    echo "load before: $(uptime | sed 's/.*load average: //')"
    echo "settings: GISTS=$GISTS WORD=$WORD TEXT_WORD=$TEXT_WORD ROUNDS=$ROUNDS RUNS=$RUNS FIRST_RUNS=$FIRST_RUNS"
} | tee "$OUT/machine.txt" >&2

CLI_APP_ID=Ov23liBenchCliSearch1
# gh's own OAuth app (its client id and secret are public, in gh's source).
GH_APP=178c6fc778ccc68e1d6a:34ddeff2b558a23d38fba8a6de74f086ede1cc0b:http://127.0.0.1/callback

seed="$OUT/tmp/search-seed.json"
python3 "$BENCH_DIR/search_seed.py" "$seed" "$GISTS" >&2

eport=$(free_port)
cport=$(free_port)
api="http://$H:$eport/api/v3"
control="http://$H:$cport"
start EMU "$OUT/logs/emulator.log" "$GISTDESK" emulator --port "$eport" --seed "$seed" \
    --rate-limit 5000 --control "$H:$cport" --oauth-app "$GH_APP" \
    --oauth-app "$CLI_APP_ID:bench0cli0search0secret00000000000000000a:http://127.0.0.1:9/callback"
wait_http "$api/" 120 || die "the emulator did not start (see $OUT/logs/emulator.log)"

# The TLS proxy (conformance/gh_cli.test.mjs's nginx, in $OUT/tmp/tls).
tls="$OUT/tmp/tls"
mkdir -p "$tls"
# A CA of its own and a server certificate it signs: rustls (gistdesk) refuses a
# self-signed certificate that is its own CA as a server's.
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -keyout "$tls/ca-key.pem" -out "$tls/ca.pem" \
    -subj "/CN=gistdesk bench CA" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout "$tls/key.pem" -out "$tls/server.csr" \
    -subj "/CN=$GH_BENCH_HOST" 2>/dev/null
printf 'subjectAltName=IP:%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "$GH_BENCH_HOST" >"$tls/ext.cnf"
openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca-key.pem" -CAcreateserial \
    -days 1 -extfile "$tls/ext.cnf" -out "$tls/cert.pem" 2>/dev/null
cat >"$tls/nginx.conf" <<EOF
daemon off; pid $tls/nginx.pid; error_log $tls/nginx-error.log;
events {}
http {
  access_log $tls/access.log;
  client_body_temp_path $tls/body; proxy_temp_path $tls/proxy;
  fastcgi_temp_path $tls/fcgi; uwsgi_temp_path $tls/uwsgi; scgi_temp_path $tls/scgi;
  server {
    listen $GH_BENCH_HOST:443 ssl;
    ssl_certificate $tls/cert.pem; ssl_certificate_key $tls/key.pem;
    client_max_body_size 20m;
    location / {
      proxy_pass http://$H:$eport;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$http_host;
      proxy_set_header X-Forwarded-Proto https;
    }
  }
}
EOF
start NGINX "$OUT/logs/nginx.log" nginx -c "$tls/nginx.conf"
export SSL_CERT_FILE="$tls/ca.pem"
up=0
for i in $(seq 1 100); do
    if curl -s -o /dev/null --max-time 1 --cacert "$SSL_CERT_FILE" "https://$GH_BENCH_HOST/api/v3/"; then up=1; break; fi
    sleep 0.1
done
[ "$up" = 1 ] || die "nginx did not come up on $GH_BENCH_HOST:443 (see $tls/nginx-error.log)"

# control PATH JSON: the emulator's control endpoint.
control_post() {
    curl -s --max-time 10 -H 'Content-Type: application/json' -d "$2" "$control$1"
}
token=$(control_post /tokens '{"login":"octocat","scopes":["gist","read:org"]}' |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
units() { rate_used "$api" "$token"; }
a=$(units); b=$(units)
[ "$a" = "$b" ] || die "GET /rate_limit cost $((b - a)) units itself"

# gh: the Enterprise host with a token of octocat's; nothing read from the user's own config.
export GH_CONFIG_DIR="$OUT/tmp/gh" GH_HOST=$GH_BENCH_HOST GH_ENTERPRISE_TOKEN=$token \
    GH_PROMPT_DISABLED=1 GH_NO_UPDATE_NOTIFIER=1 NO_COLOR=1
gh api /user --jq .login | grep -qx octocat || die "gh does not reach the emulator as octocat"

# gistdesk: signed in through the same proxy with its own device flow.
export DATA_DIR="$OUT/tmp/gistdesk"
mkdir -p "$DATA_DIR"
GITHUB_URL="https://$GH_BENCH_HOST" GITHUB_CLIENT_ID=$CLI_APP_ID \
    "$GISTDESK" login >"$OUT/logs/login.out" 2>"$OUT/logs/login.err" &
login_pid=$!
BENCH_PIDS+=("$login_pid")
code=""
for i in $(seq 1 100); do
    code=$(sed -n 's/.*enter the code \([0-9A-Z]\{4\}-[0-9A-Z]\{4\}\).*/\1/p' "$OUT/logs/login.err" | head -1)
    [ -n "$code" ] && break
    sleep 0.1
done
[ -n "$code" ] || die "gistdesk login printed no code (see $OUT/logs/login.err)"
control_post /device/approve "{\"user_code\":\"$code\",\"login\":\"octocat\"}" >/dev/null
# Bounded: the emulator asks clients to poll every 5 s.
for i in $(seq 1 300); do kill -0 "$login_pid" 2>/dev/null || break; sleep 0.1; done
wait "$login_pid" || die "gistdesk login failed (see $OUT/logs/login.err)"
grep -q 'Signed in to' "$OUT/logs/login.out" || die "gistdesk login did not sign in"

GD="$GISTDESK"
export GD WORD TEXT_WORD
# -L 1000: every matching file, as gh is given -L 1000 gists.
search_first="\"\$GD\" gists search -L 1000 $WORD"
search_word="\"\$GD\" gists search -L 1000 $WORD"
search_text="\"\$GD\" gists search -L 1000 $TEXT_WORD"
gd_list="\"\$GD\" gists list -L 1000 --filter $WORD"
gh_list="gh gist list -L 1000 | grep -i $WORD"

# count CMD: lines it prints (what it found).
count() { bash -c "$1" 2>/dev/null | wc -l; }

# units_of NAME CMD N: runs CMD N times, records the units and, from nginx's access log,
# the API requests by status (raw file downloads apart: they are no API call).
units_of() {
    local name=$1 cmd=$2 n=$3 u0 u1 i lines l0 requests
    l0=$(wc -l <"$tls/access.log")
    u0=$(units)
    for i in $(seq 1 "$n"); do lines=$(count "$cmd"); done
    u1=$(units)
    requests=$(tail -n +$((l0 + 1)) "$tls/access.log" | python3 -c '
import collections, json, sys
c = collections.Counter()
for line in sys.stdin:
    parts = line.split()
    if len(parts) > 8:
        kind = "raw" if "/raw/" in parts[6] else ("graphql" if "graphql" in parts[6] else "rest")
        c[f"{kind} {parts[8]}"] += 1
print(json.dumps(dict(sorted(c.items()))))')
    record "{\"name\":\"units_$name\",\"runs\":$n,\"units\":$((u1 - u0)),\"lines\":$lines,\"requests\":$requests}"
    log "$name: $((u1 - u0)) units in $n runs, $lines lines printed, requests $requests"
}

log "first runs: the index built from nothing ($FIRST_RUNS times, then once more for its units)"
hyperfine --runs "$FIRST_RUNS" --prepare "rm -rf '$DATA_DIR/search'" \
    --export-json "$OUT/raw/first.json" -n "gistdesk gists search -L 1000 $WORD (no index)" "$search_first" \
    >"$OUT/raw/first.txt" 2>&1 || die "hyperfine (first runs) failed (see $OUT/raw/first.txt)"
rm -rf "$DATA_DIR/search"
units_of gistdesk_first "$search_first" 1
db=$(find "$DATA_DIR/search" -name '*.sqlite' | head -1)
record "{\"name\":\"index\",\"db_bytes\":$(stat -c %s "$db"),\"wal_bytes\":$(stat -c %s "$db-wal" 2>/dev/null || echo 0)}"

log "later runs, nothing changed: units"
units_of gistdesk_search "$search_word" 3
units_of gistdesk_search_text "$search_text" 3
units_of gistdesk_list "$gd_list" 3
units_of gh_list "$gh_list" 3

for round in $(seq 1 "$ROUNDS"); do
    log "round $round/$ROUNDS: hyperfine, $RUNS runs of each"
    hyperfine --warmup 1 --runs "$RUNS" --export-json "$OUT/raw/later.$round.json" \
        -n "gistdesk gists search -L 1000 $WORD" "$search_word" \
        -n "gistdesk gists search -L 1000 $TEXT_WORD" "$search_text" \
        -n "gistdesk gists list -L 1000 --filter $WORD" "$gd_list" \
        -n "gh gist list -L 1000 | grep -i $WORD" "$gh_list" \
        >"$OUT/raw/later.$round.txt" 2>&1 || die "hyperfine failed (see $OUT/raw/later.$round.txt)"
    python3 - "$OUT/raw/later.$round.json" "$round" >>"$OUT/results.jsonl" <<'EOF'
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print(json.dumps({"name": "time", "command": r["command"], "run": int(sys.argv[2]),
                      "median_s": r["median"], "mean_s": r["mean"], "min_s": r["min"], "max_s": r["max"]}))
EOF
done
python3 - "$OUT/raw/first.json" >>"$OUT/results.jsonl" <<'EOF'
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print(json.dumps({"name": "time_first", "command": r["command"], "median_s": r["median"],
                      "times_s": r["times"]}))
EOF
echo "load after: $(uptime | sed 's/.*load average: //')" >>"$OUT/machine.txt"
stop_all

python3 - "$OUT" >"$OUT/results.md" <<'EOF'
import json, statistics, sys
out = sys.argv[1]
rows = [json.loads(l) for l in open(f"{out}/results.jsonl") if l.strip()]
med = statistics.median
one = {r["name"]: r for r in rows if r["name"] != "time"}
times = {}
for r in rows:
    if r["name"] == "time":
        times.setdefault(r["command"], {})[r["run"]] = r["median_s"]
print("Machine and settings:\n\n```\n" + open(f"{out}/machine.txt").read().strip() + "\n```\n")
f = one["time_first"]
u = one["units_gistdesk_first"]
ix = one["index"]
reqs = ", ".join(f"{v} {k}" for k, v in u.get("requests", {}).items())
print(f"First run (no index): `{f['command']}`, {len(f['times_s'])} runs: median **{f['median_s']:.2f} s** "
      f"({', '.join(f'{t:.2f}' for t in f['times_s'])} s); **{u['units']} units** (requests: {reqs}); index {ix['db_bytes'] / 1e6:.1f} MB "
      f"(+ WAL {ix['wal_bytes'] / 1e6:.1f} MB).\n")
gh = next((c for c in times if c.startswith("gh ")), None)
print(f"Later runs, nothing changed: hyperfine medians, median over {max(len(v) for v in times.values())} rounds; "
      "units per run from `GET /rate_limit` before and after 3 runs (the emulator counts gh's GraphQL "
      "requests on the same budget; GitHub counts them on its separate GraphQL budget, in points); requests from nginx's log:\n")
print("| command | what it searches | time | per round | units per run | requests per run (kind, status) | lines printed | gh ÷ this, round by round |")
print("|---|---|---:|---|---:|---|---:|---:|")
for cmd, by in times.items():
    if cmd.startswith("gh "):
        uk, what = "units_gh_list", "description, else first file name (as printed)"
    elif " list " in cmd:
        uk, what = "units_gistdesk_list", "descriptions and file names"
    elif cmd == list(times)[0]:
        uk, what = "units_gistdesk_search", "full text, names, languages, descriptions (index)"
    else:
        uk, what = "units_gistdesk_search_text", "full text, names, languages, descriptions (index)"
    uu = one[uk]
    ratio = ""
    if gh and not cmd.startswith("gh "):
        rs = [times[gh][k] / by[k] for k in by if k in times[gh] and by[k] > 0]
        ratio = f"{med(rs):.1f}×"
    shown = cmd.replace("|", "\\|")
    reqs = ", ".join(f"{v / uu['runs']:g} {k}" for k, v in uu.get("requests", {}).items())
    print(f"| `{shown}` | {what} | {med(by.values()) * 1000:,.0f} ms | {', '.join(f'{v * 1000:,.0f}' for v in by.values())} "
          f"| {uu['units'] / uu['runs']:.2f} | {reqs} | {uu['lines']} | {ratio} |")
ok = one["units_gistdesk_search"]["units"] == 0 and one["units_gistdesk_search_text"]["units"] == 0
print(f"\nTarget 0 units for a later `gistdesk gists search` with nothing changed: **{'met' if ok else 'not met'}**.")
EOF
cat "$OUT/results.md"
log "results in $OUT"
