#!/usr/bin/env python3
"""bench/bad-day.sh's helpers: sign many sessions in through nginx, and read nginx's log
into per-route figures. Standard library only; loopback only; every loop bounded."""
import http.client
import json
import re
import socket
import ssl
import sys
import urllib.parse
from concurrent.futures import ThreadPoolExecutor


def cookies_of(response):
    out = {}
    for name, value in response.getheaders():
        if name.lower() == "set-cookie":
            pair = value.split(";", 1)[0]
            k, _, v = pair.partition("=")
            out[k.strip()] = v.strip()
    return out


class Conn(http.client.HTTPSConnection):
    """HTTPS to nginx on 127.0.0.1, with the site's name for SNI and the certificate."""

    def __init__(self, port, ctx, name):
        super().__init__("127.0.0.1", port, context=ctx, timeout=30)
        self.name = name

    def connect(self):
        sock = socket.create_connection((self.host, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.name)


def sign_in(site, cert, _):
    """One complete sign-in (login, the emulator's auto-approval, callback); returns
    'cookie-header TAB csrf-token'."""
    url = urllib.parse.urlsplit(site)
    ctx = ssl.create_default_context(cafile=cert)

    def get(path, cookie=""):
        conn = Conn(url.port or 443, ctx, url.hostname)
        conn.request("GET", path, headers={"Host": url.netloc, "Cookie": cookie})
        r = conn.getresponse()
        body = r.read()
        conn.close()
        return r, body

    r, _ = get("/auth/github/login?next=%2Fgists")
    pending = "; ".join(f"{k}={v}" for k, v in cookies_of(r).items())
    authorize = urllib.parse.urlsplit(r.getheader("Location"))
    emu = http.client.HTTPConnection(authorize.hostname, authorize.port, timeout=30)
    emu.request("GET", authorize.path + "?" + authorize.query)
    back = emu.getresponse()
    back.read()
    emu.close()
    callback = urllib.parse.urlsplit(back.getheader("Location"))
    r, _ = get(callback.path + "?" + callback.query, pending)
    if r.status != 303:
        raise RuntimeError(f"callback answered {r.status}")
    session = "; ".join(f"{k}={v}" for k, v in cookies_of(r).items() if not k.endswith("_signin"))
    r, page = get("/gists/new", session)
    m = re.search(r'name="csrf_token" value="([^"]+)"', page.decode())
    if not m:
        raise RuntimeError(f"no CSRF token on the form ({r.status})")
    return f"{session}\t{m.group(1)}"


def sign_in_retrying(site, cert, i):
    """A sign-in that met a mapped failure (the emulator's 1% of failures, a store that
    was slow: 502/503/504) is tried again, at most three times in all."""
    for attempt in range(3):
        try:
            return sign_in(site, cert, i)
        except RuntimeError as e:
            if attempt == 2:
                raise
            print(f"sign-in {i}: {e}; trying again", file=sys.stderr)


def signins(site, cert, count, out):
    with ThreadPoolExecutor(max_workers=8) as pool:
        lines = list(pool.map(lambda i: sign_in_retrying(site, cert, i), range(count)))
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")


ROUTES = [
    (re.compile(r"^/gists/new$"), "/gists/new"),
    (re.compile(r"^/gists/[^/]+$"), "/gists/{id}"),
    (re.compile(r"^/gists$"), "/gists"),
    (re.compile(r"^/account$"), "/account"),
]
# What a person may see on a bad day: pages, redirects, and the mapped failure pages.
# 499 is nginx's note that the client (wrk, stopping at the end of the run) hung up
# before the answer came: counted apart, never as a failure a person saw.
MAPPED = {200, 303, 429, 499, 502, 503, 504}


def route_of(method, uri):
    for pattern, name in ROUTES:
        if pattern.match(uri):
            return f"{method} {name}"
    return f"{method} other"


def pct(values, p):
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def report(log, phase, start, end):
    """nginx lines 'msec status request_time "METHOD URI"' between start and end."""
    by_route, statuses, route_statuses = {}, {}, {}
    total = 0
    with open(log) as f:
        for line in f:
            m = re.match(r'^(\S+) (\d+) (\S+) "(\S+) (\S+)"', line)
            if not m:
                continue
            t = float(m.group(1))
            if t < start or t > end:
                continue
            status, took = int(m.group(2)), float(m.group(3)) * 1000
            route = route_of(m.group(4), m.group(5))
            by_route.setdefault(route, []).append(took)
            per = route_statuses.setdefault(route, {})
            per[str(status)] = per.get(str(status), 0) + 1
            statuses[status] = statuses.get(status, 0) + 1
            total += 1
    unmapped = sum(c for s, c in statuses.items() if s not in MAPPED)
    out = {
        "phase": phase,
        "requests": total,
        "secs": round(end - start, 1),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "status_500": statuses.get(500, 0),
        "unmapped": unmapped,
        "routes": {
            r: {"n": len(v), "p50_ms": round(pct(v, 50), 1), "p99_ms": round(pct(v, 99), 1),
                "statuses": route_statuses[r]}
            for r, v in sorted(by_route.items())
        },
    }
    print(json.dumps(out))


if __name__ == "__main__":
    if sys.argv[1] == "signins":
        signins(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
    elif sys.argv[1] == "report":
        report(sys.argv[2], sys.argv[3], float(sys.argv[4]), float(sys.argv[5]))
