#!/usr/bin/env bash
# Checks the units in deploy/systemd without installing or starting them (docs/DEPLOY.md,
# "What was checked in the units"): nothing here needs systemd as PID 1, and nothing is
# written outside a temporary directory.
#
#   1. `systemd-analyze verify` in a temporary root holding the system's units, ours, and
#      the gistdesk binary at the path ExecStart names (/usr/local/bin/gistdesk);
#   2. `systemd-analyze security --offline=true`, failing above an exposure of 2.0
#      (its --threshold counts in tenths: 20);
#   3. with GISTDESK_BIN and strace: gistdesk serve (SQLite) traced through a sign-in,
#      pages, a gist saved and SIGTERM, and every system call it made checked against
#      SystemCallFilter=@system-service ~@privileged, every socket family against
#      RestrictAddressFamilies, every mapping against MemoryDenyWriteExecute.
#
# Needs Debian's systemd package (systemd-analyze), and for 3: strace, curl, python3.
set -euo pipefail
UNITS=$(cd "$(dirname "$0")" && pwd)
BIN=${GISTDESK_BIN:-}
TMP=$(mktemp -d /tmp/gistdesk-units.XXXXXX)
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT
say() { printf '[units] %s\n' "$*" >&2; }
fail() { say "FAILED: $*"; exit 1; }

command -v systemd-analyze >/dev/null || fail "systemd-analyze is missing (apt-get install systemd)"

ROOT="$TMP/root"
mkdir -p "$ROOT/usr/lib/systemd" "$ROOT/etc/systemd/system" "$ROOT/usr/local/bin"
cp -a /usr/lib/systemd/system "$ROOT/usr/lib/systemd/"
cp "$UNITS"/*.service "$ROOT/etc/systemd/system/"
if [ -n "$BIN" ]; then
  cp "$BIN" "$ROOT/usr/local/bin/gistdesk"
else
  # verify only asks that ExecStart names an executable file.
  printf '#!/bin/sh\nexit 0\n' >"$ROOT/usr/local/bin/gistdesk"
  chmod +x "$ROOT/usr/local/bin/gistdesk"
fi

say "systemd-analyze verify"
out=$(systemd-analyze verify --root="$ROOT" gistdesk.service gistdesk@3001.service 2>&1) ||
  fail "verify: $out"
[ -z "$out" ] || fail "verify printed: $out"

say "systemd-analyze security --offline=true --threshold=20"
for unit in gistdesk.service gistdesk@3001.service; do
  systemd-analyze security --offline=true --root="$ROOT" --threshold=20 "$unit" |
    tail -n1 >&2 || fail "$unit is more exposed than 2.0"
done

if [ -z "$BIN" ]; then
  say "GISTDESK_BIN not set: system calls not traced"
  exit 0
fi
command -v strace >/dev/null || fail "strace is missing (apt-get install strace)"

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
EPORT=$(port)
PORT=$(port)
SITE="http://127.0.0.1:$PORT"
ID=Ov23liUnitCheckGistdesk
SECRET=unit0check0secret00000000000000000000a1
"$BIN" emulator --port "$EPORT" --auto-approve octocat \
  --oauth-app "$ID:$SECRET:$SITE/auth/github/callback" >"$TMP/emulator.log" 2>&1 &
PIDS+=($!)
mkdir -p "$TMP/data"
# The unit runs gistdesk as an unprivileged user (DynamicUser): as root, SQLite would
# hand its journal files to the database's owner with fchown, which only root does and
# ~@privileged forbids. So when this script runs as root, gistdesk runs as nobody.
as_user=()
if [ "$(id -u)" = 0 ]; then
  chmod 0755 "$TMP"
  chown nobody: "$TMP/data"
  as_user=(-u nobody)
fi
# The environment the unit gives it: DATA_DIR its state directory, UMask 0077.
(umask 0077 && exec env GITHUB_CLIENT_ID=$ID GITHUB_CLIENT_SECRET=$SECRET \
  GITHUB_URL="http://127.0.0.1:$EPORT" GITHUB_API_URL="http://127.0.0.1:$EPORT/api/v3" \
  PUBLIC_URL="$SITE" BIND="127.0.0.1:$PORT" DATA_DIR="$TMP/data" \
  strace -f -qq "${as_user[@]}" -o "$TMP/trace" -e trace=all -e signal=none \
  "$ROOT/usr/local/bin/gistdesk" serve) >"$TMP/serve.log" 2>&1 &
traced=$!
PIDS+=("$traced")
for _ in $(seq 1 200); do curl -sf -o /dev/null "$SITE/readyz" && break; sleep 0.1; done
curl -sf -o /dev/null "$SITE/readyz" || fail "gistdesk did not start (see $TMP/serve.log)"

say "tracing gistdesk serve: sign-in, pages, a gist saved, sign-out, SIGTERM"
jar="$TMP/jar"
code=$(curl -s -L --max-redirs 10 --max-time 30 -c "$jar" -b "$jar" -o /dev/null -w '%{http_code}' \
  "$SITE/auth/github/login?next=%2Fgists")
[ "$code" = 200 ] || fail "sign-in ended with $code"
for path in /gists /account /gists/new; do
  curl -sf --max-time 30 -b "$jar" -o "$TMP/page" "$SITE$path" || fail "GET $path"
done
csrf=$(sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' "$TMP/page" | head -n1)
curl -s --max-time 30 -b "$jar" -o /dev/null -w '%{http_code}' \
  --data-urlencode "csrf_token=$csrf" --data-urlencode "description=unit check" \
  --data-urlencode "visibility=secret" --data-urlencode "file-0-name=a.md" \
  --data-urlencode "file-0-content=# traced" --data-urlencode "intent=save" "$SITE/gists" |
  grep -qx 303 || fail "saving a gist"
curl -s --max-time 30 -b "$jar" -o /dev/null --data-urlencode "csrf_token=$csrf" "$SITE/auth/github/logout" || true
# SIGTERM to gistdesk itself (strace's child), as systemctl stop sends it.
kill -TERM "$(pgrep -P "$traced" | head -n1)"
for _ in $(seq 1 150); do kill -0 "$traced" 2>/dev/null || break; sleep 0.1; done

# Every call named in the trace, against the filter systemd would apply.
python3 - "$TMP/trace" <<'PY' || fail "the trace shows something the unit forbids"
import re, subprocess, sys

def members(group, seen=None):
    seen = set() if seen is None else seen
    out = set()
    text = subprocess.run(["systemd-analyze", "syscall-filter", group],
                          capture_output=True, text=True, check=True).stdout
    for line in text.splitlines()[1:]:
        name = line.strip()
        if not name or name.startswith("#"):
            continue
        if name.startswith("@"):
            if name not in seen:
                seen.add(name)
                out |= members(name, seen)
        else:
            out.add(name)
    return out

allowed = members("@system-service") - members("@privileged")
calls, families, wx, example = {}, set(), [], {}
for line in open(sys.argv[1]):
    m = re.match(r"^\d+\s+(?:<\.\.\. )?(\w+)(?:\(| resumed>)", line)
    if m:
        calls[m.group(1)] = calls.get(m.group(1), 0) + 1
        example.setdefault(m.group(1), line.strip())
    m = re.search(r"\bsocket\((AF_\w+)", line)
    if m:
        families.add(m.group(1))
    if re.search(r"\b(mmap|mprotect|pkey_mprotect)\(.*PROT_WRITE\|PROT_EXEC|PROT_EXEC\|PROT_WRITE", line):
        wx.append(line.strip())
denied = sorted(c for c in calls if c not in allowed)
print(f"[units] {sum(calls.values())} calls of {len(calls)} kinds; socket families: "
      f"{', '.join(sorted(families))}", file=sys.stderr)
bad = False
if denied:
    print(f"[units] outside @system-service ~@privileged: {', '.join(denied)}", file=sys.stderr)
    for c in denied:
        print(f"[units]   {example[c]}", file=sys.stderr)
    bad = True
if families - {"AF_INET", "AF_INET6", "AF_UNIX"}:
    print(f"[units] socket families outside RestrictAddressFamilies: {families}", file=sys.stderr)
    bad = True
if wx:
    print(f"[units] writable and executable mappings: {wx[:3]}", file=sys.stderr)
    bad = True
sys.exit(1 if bad else 0)
PY
say "all checks passed"
