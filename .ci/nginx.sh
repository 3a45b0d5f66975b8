#!/usr/bin/env bash
# Two gistdesk instances behind nginx, as docs/DEPLOY.md ("Several instances") sets them
# up: the same template (deploy/nginx/gistdesk.conf.template), the same envsubst command,
# the same environment. nginx terminates TLS with a certificate made here; the instances
# share PostgreSQL, then Redis, and one `gistdesk emulator` as GitHub.
#
# Through nginx: sign in (login on one instance, callback on the other), browse on both,
# create a gist and see it on the other, sign out through one and be signed out on both;
# then stop one instance mid-run and keep browsing and saving on the other with the same
# session. Also: PUBLIC_URL=https://… gives the https callback URL, Secure cookies and
# HSTS; the access log names nginx's client, never an X-Forwarded-For the browser forged.
#
# Needs: GISTDESK_BIN, nginx, openssl, envsubst, curl, python3, PostgreSQL and Redis up
# (.ci/run starts them). Every wait is bounded; processes are stopped by PID.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${GISTDESK_BIN:?GISTDESK_BIN must name the gistdesk binary}"
POSTGRES_URL="${GISTDESK_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
REDIS_URL="${GISTDESK_TEST_REDIS_URL:-redis://127.0.0.1:6379}"
WORK="$(mktemp -d /tmp/gistdesk-nginx.XXXXXX)"
PIDS=()

fail() { printf 'nginx suite: FAILED: %s\n' "$*" >&2; exit 1; }
step() { printf -- '- %s\n' "$*"; }
cleanup() {
  local pid
  [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ "${KEEP_WORK:-0}" = 1 ]; then echo "logs kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

for tool in nginx openssl envsubst curl python3; do
  command -v "$tool" >/dev/null || fail "$tool is not installed"
done
[ -x "$BIN" ] || fail "$BIN is not executable"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# wait_until WHAT CMD...: CMD succeeds within 30 s, or the suite fails.
wait_until() {
  local what="$1" i
  shift
  for i in $(seq 1 150); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  fail "$what within 30 s"
}

# ------------------------------------------------------------------ what DEPLOY.md sets
export GISTDESK_HOST=gistdesk.test
export GISTDESK_HTTPS_PORT GISTDESK_HTTP_PORT
GISTDESK_HTTPS_PORT="$(free_port)"
GISTDESK_HTTP_PORT="$(free_port)"
export GISTDESK_TLS_CERT="$WORK/tls/fullchain.pem" GISTDESK_TLS_KEY="$WORK/tls/privkey.pem"
export GISTDESK_INSTANCE_1="127.0.0.1:$(free_port)" GISTDESK_INSTANCE_2="127.0.0.1:$(free_port)"
EMULATOR_PORT="$(free_port)"
SITE="https://$GISTDESK_HOST:$GISTDESK_HTTPS_PORT"
CLIENT_ID=Ov23liNginxSuite0001
CLIENT_SECRET=nginx0suite0secret00000000000000000000a1

step "a self-signed certificate for $GISTDESK_HOST (DEPLOY.md: testing the setup)"
mkdir -p "$WORK/tls"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$GISTDESK_HOST" \
  -addext "subjectAltName=DNS:$GISTDESK_HOST" \
  -keyout "$GISTDESK_TLS_KEY" -out "$GISTDESK_TLS_CERT" 2>/dev/null

step "the emulator as the one GitHub both instances use"
"$BIN" emulator --port "$EMULATOR_PORT" --auto-approve octocat \
  --oauth-app "$CLIENT_ID:$CLIENT_SECRET:$SITE/auth/github/callback" >"$WORK/emulator.log" 2>&1 &
PIDS+=($!)
wait_until "the emulator answers" curl -s -o /dev/null "http://127.0.0.1:$EMULATOR_PORT/api/v3/"

step "nginx with deploy/nginx/gistdesk.conf.template, rendered by the documented command"
mkdir -p "$WORK/conf.d" "$WORK/tmp"
envsubst '$GISTDESK_HOST $GISTDESK_HTTPS_PORT $GISTDESK_HTTP_PORT $GISTDESK_TLS_CERT $GISTDESK_TLS_KEY $GISTDESK_INSTANCE_1 $GISTDESK_INSTANCE_2' \
  <"$ROOT/deploy/nginx/gistdesk.conf.template" >"$WORK/conf.d/gistdesk.conf"
# The stand-in for Debian's /etc/nginx/nginx.conf, which includes conf.d/*.conf the same
# way; only its files are moved into $WORK, so the suite needs no system nginx running.
cat >"$WORK/nginx.conf" <<EOF
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log info;
events { worker_connections 256; }
http {
  access_log $WORK/nginx-access.log;
  client_body_temp_path $WORK/tmp/body;
  proxy_temp_path $WORK/tmp/proxy;
  fastcgi_temp_path $WORK/tmp/fastcgi;
  uwsgi_temp_path $WORK/tmp/uwsgi;
  scgi_temp_path $WORK/tmp/scgi;
  include $WORK/conf.d/*.conf;
}
EOF
nginx -t -p "$WORK" -c "$WORK/nginx.conf" 2>"$WORK/nginx-t.log" || { cat "$WORK/nginx-t.log"; fail "nginx -t"; }
start_nginx() {
  nginx -p "$WORK" -c "$WORK/nginx.conf"
  wait_until "nginx writes its pid" test -s "$WORK/nginx.pid"
}
# A fresh nginx per store: one that saw an instance stop keeps it aside for fail_timeout.
stop_nginx() {
  local pid
  pid="$(cat "$WORK/nginx.pid")"
  kill -QUIT "$pid"
  wait_until "nginx stops" bash -c "! kill -0 $pid"
  rm -f "$WORK/nginx.pid"
  : >"$WORK/nginx-error.log"
}

# ------------------------------------------------------------------ the browser
JAR="$WORK/cookies"
# get/post PATH [curl args]: through nginx, with the cookie jar and a forged
# X-Forwarded-For; sets STATUS, LOCATION, RID (the request id) and BODY (a file).
BODY="$WORK/body"
request() {
  local out
  out=$(curl -sS --max-time 30 --cacert "$GISTDESK_TLS_CERT" \
    --resolve "$GISTDESK_HOST:$GISTDESK_HTTPS_PORT:127.0.0.1" \
    -b "$JAR" -c "$JAR" -H 'X-Forwarded-For: 198.51.100.23' \
    -D "$WORK/head" -o "$BODY" -w '%{http_code} %{redirect_url}' "$@") || fail "curl $*"
  STATUS="${out%% *}"
  LOCATION="${out#* }"
  RID=$(sed -n 's/^x-request-id: *\([^[:space:]]*\).*/\1/Ip' "$WORK/head" | tail -n1)
}
get() { request "$SITE$1"; }
post() {
  local path="$1"
  shift
  request "$SITE$path" "$@"
}
expect() { [ "$STATUS" = "$1" ] || fail "$2: got $STATUS (request $RID), wanted $1"; }
csrf() { sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' "$BODY" | head -n1; }

# served_by RID: 1 or 2, the instance whose log names the request.
served_by() {
  local rid="$1" i n
  for i in $(seq 1 50); do
    for n in 1 2; do
      if grep -q "request_id=$rid" "$WORK/instance-$n.log" 2>/dev/null; then
        echo "$n"
        return 0
      fi
    done
    sleep 0.1
  done
  fail "no instance logged request $rid"
}

# ------------------------------------------------------------------ the instances
INSTANCE_PIDS=()
start_instance() {
  local n="$1" store="$2" bind
  bind="GISTDESK_INSTANCE_$n"
  mkdir -p "$WORK/data-$n"
  # The environment of DEPLOY.md's several-instances unit, with this suite's addresses.
  env GITHUB_CLIENT_ID="$CLIENT_ID" GITHUB_CLIENT_SECRET="$CLIENT_SECRET" \
    GITHUB_URL="http://127.0.0.1:$EMULATOR_PORT" \
    GITHUB_API_URL="http://127.0.0.1:$EMULATOR_PORT/api/v3" \
    PUBLIC_URL="$SITE" BIND="${!bind}" SESSION_STORE="$store" \
    TRUSTED_PROXIES=127.0.0.1 DATA_DIR="$WORK/data-$n" RUST_LOG=info \
    "$BIN" serve >"$WORK/instance-$n.log" 2>&1 &
  INSTANCE_PIDS[$n]=$!
  PIDS+=($!)
}
stop_instance() {
  local n="$1" pid="${INSTANCE_PIDS[$1]}" i
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  fail "instance $n did not stop within 10 s of SIGTERM"
}

sign_in() {
  rm -f "$JAR"
  get /gists
  expect 303 "an anonymous /gists"
  case "$LOCATION" in "$SITE/auth/github/login?next="*) ;; *) fail "sent to $LOCATION, not to sign in" ;; esac
  get "${LOCATION#"$SITE"}"
  expect 303 "the sign-in start"
  LOGIN_BY=$(served_by "$RID")
  local callback_param="redirect_uri=https%3A%2F%2F$GISTDESK_HOST%3A$GISTDESK_HTTPS_PORT%2Fauth%2Fgithub%2Fcallback"
  case "$LOCATION" in *"$callback_param"*) ;; *) fail "GitHub was given another callback: $LOCATION" ;; esac
  # GitHub (the emulator, approving octocat) sends the browser back.
  local back
  back=$(curl -sS --max-time 10 -o /dev/null -w '%{redirect_url}' "$LOCATION")
  case "$back" in "$SITE/auth/github/callback?"*) ;; *) fail "GitHub sent the browser to $back" ;; esac
  get "${back#"$SITE"}"
  expect 303 "the callback"
  CALLBACK_BY=$(served_by "$RID")
  [ "$LOCATION" = "$SITE/gists" ] || fail "after sign-in, sent to $LOCATION"
  grep -qi '^set-cookie: .*; *secure' "$WORK/head" || fail "the session cookie is not Secure"
}

run_with_store() {
  local name="$1" store="$2" n id marker
  printf '\n== two instances sharing %s\n' "$name"
  start_nginx
  start_instance 1 "$store"
  start_instance 2 "$store"
  for n in 1 2; do
    local bind="GISTDESK_INSTANCE_$n"
    wait_until "instance $n is ready" curl -sf "http://${!bind}/readyz"
  done

  step "sign in through nginx: the sign-in starts on one instance and ends on the other"
  sign_in
  [ "$LOGIN_BY" != "$CALLBACK_BY" ] ||
    fail "login and callback were both served by instance $LOGIN_BY; round robin should alternate"
  grep -qi '^strict-transport-security: max-age=' "$WORK/head" || fail "no HSTS over https"

  step "browse on both instances"
  local seen=""
  for n in 1 2 3 4; do
    get /gists
    expect 200 "the gist list"
    grep -q octocat "$BODY" || fail "the list does not show octocat signed in"
    seen="$seen $(served_by "$RID")"
  done
  case "$seen" in *1*2* | *2*1*) ;; *) fail "the pages were all served by one instance:$seen" ;; esac

  step "create a gist through one instance, see it through the other"
  get /gists/new
  expect 200 "the new gist form"
  marker="nginx-suite-$name-$RANDOM$RANDOM"
  post /gists --data-urlencode "csrf_token=$(csrf)" --data-urlencode "description=$marker" \
    --data-urlencode "visibility=secret" --data-urlencode "file-0-name=suite.txt" \
    --data-urlencode "file-0-content=made through nginx" --data-urlencode "intent=save"
  expect 303 "creating a gist"
  local created_by
  created_by=$(served_by "$RID")
  id="${LOCATION##*/gists/}"
  [ -n "$id" ] && [ "$id" != "$LOCATION" ] || fail "no gist page after the save: $LOCATION"
  local shown=""
  for n in 1 2; do
    get "/gists/$id"
    expect 200 "the new gist's page"
    grep -q "$marker" "$BODY" || fail "the gist page does not show the new gist"
    shown="$shown $(served_by "$RID")"
  done
  case "$shown" in *"$((3 - created_by))"*) ;; *) fail "the gist was never shown by the instance that did not create it" ;; esac

  step "sign out through one instance: signed out on both"
  get /account
  expect 200 "the account page"
  post /auth/github/logout --data-urlencode "csrf_token=$(csrf)"
  expect 303 "signing out"
  local out_by=""
  for n in 1 2; do
    get /gists
    expect 303 "a page after signing out"
    out_by="$out_by $(served_by "$RID")"
  done
  case "$out_by" in *1*2* | *2*1*) ;; *) fail "signed out was checked on one instance only:$out_by" ;; esac

  step "stop one instance mid-run: the other serves the same session, no error shown"
  sign_in
  stop_instance 1
  for n in 1 2 3 4 5 6; do
    get /gists
    expect 200 "a page after instance 1 stopped"
    [ "$(served_by "$RID")" = 2 ] || fail "request $RID was not served by instance 2"
    get "/gists/$id"
    expect 200 "the gist after instance 1 stopped"
  done
  get /gists/new
  expect 200 "the form after instance 1 stopped"
  post /gists --data-urlencode "csrf_token=$(csrf)" --data-urlencode "description=after-$marker" \
    --data-urlencode "visibility=secret" --data-urlencode "file-0-name=after.txt" \
    --data-urlencode "file-0-content=saved by the instance left" --data-urlencode "intent=save"
  expect 303 "a save after instance 1 stopped"
  grep -q 'connect() failed' "$WORK/nginx-error.log" ||
    fail "nginx never found instance 1 gone: the test did not test a retry"

  step "the access log names nginx's client, never the forged X-Forwarded-For"
  grep -q 'gistdesk::access: finished .*client=127.0.0.1' "$WORK/instance-2.log" ||
    fail "no access line with client=127.0.0.1"
  if grep -q '198.51.100.23' "$WORK/instance-1.log" "$WORK/instance-2.log"; then
    fail "a forged X-Forwarded-For reached the access log"
  fi
  if grep -qiE 'panicked|status=5[0-9][0-9]' "$WORK/instance-1.log" "$WORK/instance-2.log"; then
    fail "an instance logged a panic or a 5xx"
  fi

  stop_instance 2
  stop_nginx
}

run_with_store PostgreSQL "$POSTGRES_URL"
run_with_store Redis "$REDIS_URL"
printf '\nnginx suite: passed\n'
