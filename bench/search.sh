#!/usr/bin/env bash
# The search benchmark: an account of 1,000 gists (3,000 files, about 20 MB of text, made
# by bench/search_seed.py) in the emulator, gistdesk signed in for real, then:
#
#   - the first index build: what it costs in time and REST rate-limit units (started by
#     the person's first `GET /gists/search`, which answers "Indexing your gists" with a
#     `Refresh` header until the index is ready; timed from that request to the first
#     answer with results);
#   - the index's size: its SQLite file (and WAL) on disk, gistdesk's RSS before and after;
#   - units per search when nothing changed: searches back to back, searches further apart
#     than PAGE_MEMORY (each starts a background refresh with conditional requests), and
#     every search of the load below;
#   - one gist changed in the middle of the list: the units its refresh costs and how long
#     until a search finds the change;
#   - `GET /gists/search?q=…` under wrk with the session cookie (bench/wrk/search.lua
#     rotating eight queries), p50/p99 at several connection counts; then each query
#     alone, one at a time (its median time, files shown, page size).
#
#   bench/search.sh                                   # this checkout's release build
#   RUNS=5 DURATION=10 CONNS_LIST="1 8 64" bench/search.sh
#   GISTDESK=/path/to/gistdesk bench/search.sh        # another build
#
# Knobs: GISTS (1000), RUNS (3), DURATION seconds per wrk run (10), CONNS_LIST ("1 8 64"),
# WRK_THREADS (2, or 1 for one connection), VIEWS (20 searches back to back), STALE (3
# searches PAGE_MEMORY + 1 s apart), QUERY_TIMES (10: each query alone), GISTDESK (binary), OUT. Results: $OUT/results.jsonl,
# $OUT/results.md, $OUT/raw, $OUT/logs. Everything talks to 127.0.0.1 only; every loop is
# bounded; processes are stopped by PID.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/gistdesk-target}
GISTDESK=${GISTDESK:-$CARGO_TARGET_DIR/release/gistdesk}
GISTS=${GISTS:-1000}
RUNS=${RUNS:-3}
DURATION=${DURATION:-10}
CONNS_LIST=${CONNS_LIST:-"1 8 64"}
WRK_THREADS=${WRK_THREADS:-2}
VIEWS=${VIEWS:-20}
STALE=${STALE:-3}
QUERY_TIMES=${QUERY_TIMES:-10}
# gistdesk's default page memory; a search older than this refreshes the index.
PAGE_MEMORY_S=10
OUT=${OUT:-/tmp/gistdesk-bench/search-$(date -u +%Y%m%dT%H%M%SZ)}
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
    echo "memory: $(free -h | awk '/^Mem:/ {print $2}')"
    echo "wrk: $(wrk -v 2>&1 | head -1)"
    echo "load before: $(uptime | sed 's/.*load average: //')"
    echo "settings: GISTS=$GISTS RUNS=$RUNS DURATION=${DURATION}s CONNS_LIST=\"$CONNS_LIST\" WRK_THREADS=$WRK_THREADS VIEWS=$VIEWS STALE=$STALE"
} | tee "$OUT/machine.txt" >&2

GD_APP_ID=Ov23liBenchSearchGD01
GD_APP_SECRET=bench0search00secret0000000000000000000a
EMU_APP_ID=Ov23liBenchSearchEmu1
EMU_APP_SECRET=bench0search0emu0secret0000000000000000a
EMU_APP_CB=http://127.0.0.1:9/callback

seed="$OUT/tmp/search-seed.json"
python3 "$BENCH_DIR/search_seed.py" "$seed" "$GISTS" >&2

eport=$(free_port)
gport=$(free_port)
api="http://$H:$eport/api/v3"
site="http://$H:$gport"
# The rate limit is on (GitHub's 5,000 an hour): every unit spent is counted.
start EMU "$OUT/logs/emulator.log" "$GISTDESK" emulator --port "$eport" --seed "$seed" \
    --auto-approve octocat --rate-limit 5000 \
    --oauth-app "$GD_APP_ID:$GD_APP_SECRET:$site/auth/github/callback" \
    --oauth-app "$EMU_APP_ID:$EMU_APP_SECRET:$EMU_APP_CB"
wait_http "http://$H:$eport/api/v3/" 120 || die "the emulator did not start (see $OUT/logs/emulator.log)"
mkdir -p "$OUT/tmp/gd"
start GD "$OUT/logs/gistdesk.log" env BIND="$H:$gport" PUBLIC_URL="$site" \
    DATA_DIR="$OUT/tmp/gd" GITHUB_CLIENT_ID="$GD_APP_ID" GITHUB_CLIENT_SECRET="$GD_APP_SECRET" \
    GITHUB_URL="http://$H:$eport" GITHUB_API_URL="$api" "$GISTDESK" serve
wait_http "$site/healthz" 60 || die "gistdesk did not start (see $OUT/logs/gistdesk.log)"

# A token of octocat's own (another app) to read octocat's budget and to change a gist.
token=$(emulator_token "http://$H:$eport" "$EMU_APP_ID" "$EMU_APP_SECRET" "$EMU_APP_CB" "read:user gist") ||
    die "no token from the emulator"
# Units used so far by octocat; reading them costs nothing (checked here).
units() { rate_used "$api" "$token"; }
a=$(units); b=$(units)
[ "$a" = "$b" ] || die "GET /rate_limit cost $((b - a)) units itself"

# Signed in for real, ending on /account: the gist list would start the index build.
jar="$OUT/tmp/jar"
got=$(signin_curl "$site/auth/github/login?next=/account" "$jar") || true
[ "$got" = "200 $site/account" ] || die "the sign-in ended at '$got'"
cookie=$(cookie_header "$jar" "$H")
idx_dir="$OUT/tmp/gd/search"
[ ! -e "$idx_dir" ] || [ -z "$(ls -A "$idx_dir")" ] || die "an index exists before the first search: $(ls "$idx_dir")"
sleep 1
rss_before=$(rss_kb "$GD_PID" VmRSS)

# search Q: GET /gists/search?q=Q with the session; sets STATUS, REFRESH (the header, empty
# when absent) and BODY (a file).
BODY="$OUT/tmp/body.html"
search() {
    local head="$OUT/tmp/head.txt"
    STATUS=$(curl -s --max-time 30 -G --data-urlencode "q=$1" -H "Cookie: $cookie" \
        -D "$head" -o "$BODY" -w '%{http_code}' "$site/gists/search")
    REFRESH=$(sed -n 's/^[Rr]efresh: *\([^[:space:]]*\).*/\1/p' "$head")
}

log "first index build: $GISTS gists, started by the first search"
u0=$(units)
t0=$(date +%s.%N)
search tokio
[ "$STATUS" = 200 ] && [ -n "$REFRESH" ] || die "the first search answered $STATUS without 'Indexing' (see $BODY)"
built=0
for i in $(seq 1 6000); do # at most 10 minutes
    search tokio
    if [ "$STATUS" = 200 ] && [ -z "$REFRESH" ]; then built=1; break; fi
    [ "$STATUS" = 200 ] || die "a search during the build answered $STATUS (see $BODY)"
    sleep 0.1
done
t1=$(date +%s.%N)
[ "$built" = 1 ] || die "the index was not built within 10 minutes"
grep -q '<ul class="results">' "$BODY" || die "the first results list nothing (see $BODY)"
u1=$(units)
build_s=$(python3 -c "print(round($t1 - $t0, 2))")
sleep 1
rss_after=$(rss_kb "$GD_PID" VmRSS)
hwm_after=$(rss_kb "$GD_PID" VmHWM)
db=$(find "$idx_dir" -name '*.sqlite' | head -1)
[ -n "$db" ] || die "no index file in $idx_dir"
db_bytes=$(stat -c %s "$db")
wal_bytes=$(stat -c %s "$db-wal" 2>/dev/null || echo 0)
# The ranked text index beside it (a folder; absent in builds before it existed).
ranked_bytes=$(du -sb "${db%.sqlite}.text" 2>/dev/null | cut -f1 || true)
ranked_bytes=${ranked_bytes:-0}
record "{\"name\":\"search_build\",\"gists\":$GISTS,\"seconds\":$build_s,\"units\":$((u1 - u0)),\"db_bytes\":$db_bytes,\"wal_bytes\":$wal_bytes,\"ranked_bytes\":$ranked_bytes,\"rss_before_kb\":$rss_before,\"rss_after_kb\":$rss_after,\"hwm_after_kb\":$hwm_after,\"text_bytes\":$(python3 -c "import json; s=json.load(open('$seed')); print(sum(len(c) for g in s['users'][0]['gists'] for c in g['files'].values()))")}"
log "built in ${build_s}s for $((u1 - u0)) units; index $((db_bytes / 1024)) kB (+ WAL $((wal_bytes / 1024)) kB, + text index $((ranked_bytes / 1024)) kB); RSS $((rss_before / 1024)) -> $((rss_after / 1024)) MB (peak $((hwm_after / 1024)) MB)"

log "units per search, nothing changed: $VIEWS back to back"
u0=$(units)
for i in $(seq 1 "$VIEWS"); do
    search "mutex channel"
    [ "$STATUS" = 200 ] && [ -z "$REFRESH" ] || die "search answered $STATUS / refresh '$REFRESH'"
done
u1=$(units)
record "{\"name\":\"search_units_warm\",\"searches\":$VIEWS,\"units\":$((u1 - u0))}"

log "units per search, nothing changed: $STALE searches $((PAGE_MEMORY_S + 1)) s apart (each refreshes the index)"
u0=$(units)
for i in $(seq 1 "$STALE"); do
    sleep $((PAGE_MEMORY_S + 1))
    search "is:secret etag"
    [ "$STATUS" = 200 ] || die "search answered $STATUS"
done
# The refresh runs in the background after the answer: give it time to finish.
sleep 3
u1=$(units)
record "{\"name\":\"search_units_stale\",\"searches\":$STALE,\"units\":$((u1 - u0))}"
log "stale searches: $((u1 - u0)) units for $STALE"

log "one gist changed in the middle of the list"
mid=$((GISTS / 2 / 100 + 1))
gist_id=$(curl -s --max-time 10 -H "Authorization: Bearer $token" -A gistdesk-bench \
    "$api/gists?per_page=100&page=$mid" | python3 -c 'import json,sys; g=json.load(sys.stdin); print(g[len(g)//2]["id"])')
file=$(curl -s --max-time 10 -H "Authorization: Bearer $token" -A gistdesk-bench "$api/gists/$gist_id" |
    python3 -c 'import json,sys; print(sorted(json.load(sys.stdin)["files"])[0])')
marker="zanzibar$RANDOM"
u0=$(units)
status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X PATCH -A gistdesk-bench \
    -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d "{\"files\":{\"$file\":{\"content\":\"changed: $marker\\n\"}}}" "$api/gists/$gist_id")
[ "$status" = 200 ] || die "PATCH /gists/$gist_id answered $status"
u1=$(units)
edit_units=$((u1 - u0))
sleep $((PAGE_MEMORY_S + 1))
t0=$(date +%s.%N)
found=0
for i in $(seq 1 300); do # at most 30 s
    search "$marker"
    if grep -q "$marker" "$BODY" && grep -q '<ul class="results">' "$BODY"; then found=1; break; fi
    sleep 0.1
done
t1=$(date +%s.%N)
u2=$(units)
record "{\"name\":\"search_changed\",\"found\":$found,\"seconds\":$(python3 -c "print(round($t1 - $t0, 2))"),\"units\":$((u2 - u1)),\"edit_units\":$edit_units,\"list_page\":$mid}"
log "changed gist (list page $mid): found=$found, $((u2 - u1)) units to pick it up"

log "load: GET /gists/search under wrk, connections: $CONNS_LIST"
# Warm-up: a few seconds of load, not recorded.
BENCH_REPORT="$BENCH_DIR/wrk/report.lua" BENCH_COOKIE="$cookie" timeout 30 \
    wrk -t1 -c4 -d3s -s "$BENCH_DIR/wrk/search.lua" "$site/gists/search" >/dev/null 2>&1 || true
CPU_PIDS="gistdesk:$GD_PID emulator:$EMU_PID"
sample_rss "$GD_PID" "$OUT/tmp/gd.rssmax" &
sampler=$!
u0=$(units)
for run in $(seq 1 "$RUNS"); do
    for c in $CONNS_LIST; do
        threads=$WRK_THREADS
        [ "$c" -ge "$threads" ] || threads=$c
        BENCH_COOKIE="$cookie" WRK_THREADS=$threads wrk_run "load_c$c" "$run" "\"conns\":$c" \
            -c"$c" -s "$BENCH_DIR/wrk/search.lua" "$site/gists/search"
    done
done
u1=$(units)
kill "$sampler" 2>/dev/null || true
requests=$(python3 -c "
import json
print(sum(json.loads(l).get('requests', 0) for l in open('$OUT/results.jsonl') if '\"load_c' in l))")
record "{\"name\":\"search_units_load\",\"searches\":$requests,\"units\":$((u1 - u0)),\"seconds\":$((RUNS * $(echo "$CONNS_LIST" | wc -w) * DURATION))}"
record "{\"name\":\"search_rss_load\",\"rss_kb\":$(rss_kb "$GD_PID" VmRSS),\"hwm_kb\":$(rss_kb "$GD_PID" VmHWM),\"max_sampled_kb\":$(cat "$OUT/tmp/gd.rssmax" 2>/dev/null || echo 0)}"
CPU_PIDS=

log "each query of the load alone, $QUERY_TIMES times one at a time"
python3 - "$site" "$cookie" "$BENCH_DIR/wrk/search.lua" "$QUERY_TIMES" >>"$OUT/results.jsonl" <<'PY'
import json, re, statistics, sys, time, urllib.parse, urllib.request
site, cookie, lua, times = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
block = open(lua).read().split("local queries = {", 1)[1].split("}", 1)[0]
queries = [m.group(2) for m in re.finditer(r"^\s*([\"'])(.*)\1,\s*$", block, re.M)]
for q in queries:
    spent = []
    for _ in range(times):
        req = urllib.request.Request(f"{site}/gists/search?q={urllib.parse.quote(q)}", headers={"Cookie": cookie})
        t = time.perf_counter()
        body = urllib.request.urlopen(req, timeout=30).read().decode()
        spent.append((time.perf_counter() - t) * 1000)
    print(json.dumps({"name": "query", "q": q, "median_ms": round(statistics.median(spent), 2),
                      "files": body.count('<p class="result-head">'), "bytes": len(body),
                      "more": "Only the first" in body}))
PY
echo "load after: $(uptime | sed 's/.*load average: //')" >>"$OUT/machine.txt"
stop_all

python3 - "$OUT" >"$OUT/results.md" <<'EOF'
import json, statistics, sys
out = sys.argv[1]
rows = [json.loads(l) for l in open(f"{out}/results.jsonl") if l.strip()]
one = {r["name"]: r for r in rows if "run" not in r}
load = {}
for r in rows:
    if r["name"].startswith("load_c"):
        load.setdefault(r["conns"], []).append(r)
med = statistics.median
mb = lambda kb: f"{kb / 1024:.1f} MB"
print("Machine and settings:\n\n```\n" + open(f"{out}/machine.txt").read().strip() + "\n```\n")
b = one["search_build"]
print("| measurement | result | target |")
print("|---|---|---|")
print(f"| first index build, {b['gists']:,} gists ({3 * b['gists']:,} files, {b['text_bytes'] / 1e6:.1f} MB of text): time "
      f"(first `GET /gists/search` to the first answer with results) | {b['seconds']:.1f} s | — |")
print(f"| first index build: REST rate-limit units | {b['units']} | — |")
print(f"| index on disk (SQLite file + WAL + text index) | {b['db_bytes'] / 1e6:.1f} MB + {b['wal_bytes'] / 1e6:.1f} MB + {b.get('ranked_bytes', 0) / 1e6:.1f} MB | — |")
print(f"| gistdesk RSS before / after the build (peak during it) | {mb(b['rss_before_kb'])} / {mb(b['rss_after_kb'])} ({mb(b['hwm_after_kb'])}) | — |")
w, s, l = one["search_units_warm"], one["search_units_stale"], one["search_units_load"]
ok = w["units"] == 0 and s["units"] == 0 and l["units"] == 0
print(f"| units per search, nothing changed: {w['searches']} back to back / {s['searches']} more than `PAGE_MEMORY` apart "
      f"(each refreshes) / {l['searches']:,} under load ({l['seconds']} s) | {w['units']} / {s['units']} / {l['units']} units "
      f"| 0: **{'met' if ok else 'not met'}** |")
c = one["search_changed"]
print(f"| one gist changed (list page {c['list_page']} of 100 gists): units to pick it up, seconds until found "
      f"| {c['units']} units, {c['seconds']:.1f} s{'' if c['found'] else ' (**not found**)'} | the pages it moved across |")
r = one["search_rss_load"]
print(f"| gistdesk RSS after the load (peak) | {mb(r['rss_kb'])} ({mb(max(r['hwm_kb'], r.get('max_sampled_kb', 0)))}) | — |")
print()
print("`GET /gists/search?q=…` under wrk (`bench/wrk/search.lua`: eight queries in turn), the session cookie of a real sign-in; "
      f"medians of {max(len(v) for v in load.values()) if load else 0} runs:\n")
print("| connections | req/s | p50 | p99 | runs (req/s) | bad answers | CPU ms per search (gistdesk) | p99 ≤ 20 ms |")
print("|---:|---:|---:|---:|---|---:|---:|---|")
for conns in sorted(load):
    rs = load[conns]
    bad = sum(x.get("bad_answers", 0) + x.get("err_status", 0) + x.get("err_timeout", 0) for x in rs)
    cpus = [x["cpu_s"]["gistdesk"] * 1000 / x["requests"] for x in rs if x.get("cpu_s") and x["requests"]]
    done = [x for x in rs if x["requests"]]
    if not done:
        print(f"| {conns} | 0 (no search finished within a {rs[0]['secs']:.0f} s run) | — | — | — | {bad} | — | **not met** |")
        continue
    p99 = med([x["p99_ms"] for x in done])
    print(f"| {conns} | {med([x['rps'] for x in rs]):,.1f} | {med([x['p50_ms'] for x in done]):.1f} ms | {p99:.1f} ms "
          f"| {', '.join(format(x['rps'], ',.1f') for x in rs)} | {bad} | {med(cpus):.1f} | **{'met' if p99 <= 20 else 'not met'}** |")
qs = [r for r in rows if r["name"] == "query"]
if qs:
    print("\nEach query alone (one connection, one at a time; median of several; up to 50 files a page):\n")
    print("| query | median time | files shown | page size |")
    print("|---|---:|---:|---:|")
    for r in qs:
        print(f"| `{r['q']}` | {r['median_ms']:.1f} ms | {r['files']}{'+' if r['more'] else ''} | {r['bytes'] / 1024:.0f} KB |")
EOF
cat "$OUT/results.md"
log "results in $OUT"
