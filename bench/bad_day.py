#!/usr/bin/env python3
"""bench/bad-day.sh's helpers: sign many sessions in through nginx, and read nginx's log
into per-route figures. Standard library only; loopback only; every loop bounded."""
import http.client
import json
import re
import socket
import statistics
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


def sign_in(site, cert, login):
    """One complete sign-in as `login` (gistdesk's login, the emulator's consent page
    answered, the callback); returns 'cookie-header TAB csrf-token'. An emulator started
    with --auto-approve answers the authorization at once, as that user."""
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
    query = authorize.query + "&" + urllib.parse.urlencode({"login": login})
    emu = http.client.HTTPConnection(authorize.hostname, authorize.port, timeout=30)
    emu.request("GET", authorize.path + "?" + query)
    back = emu.getresponse()
    consent = back.read().decode()
    emu.close()
    if back.status == 200:
        # The consent page: authorize as `login`, with its form's token and the browser
        # cookie the emulator set.
        fields = dict(re.findall(r'name="(authenticity_token|consent)" value="([^"]*)"', consent))
        if len(fields) != 2:
            raise RuntimeError("no consent form on the emulator's authorize page")
        body = urllib.parse.urlencode({**fields, "login": login, "authorize": "1"})
        browser = "; ".join(f"{k}={v}" for k, v in cookies_of(back).items())
        emu = http.client.HTTPConnection(authorize.hostname, authorize.port, timeout=30)
        emu.request("POST", authorize.path, body=body, headers={
            "Content-Type": "application/x-www-form-urlencoded", "Cookie": browser})
        back = emu.getresponse()
        back.read()
        emu.close()
    if back.status != 302:
        raise RuntimeError(f"the emulator's authorization answered {back.status}")
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


def sign_in_retrying(site, cert, i, people):
    """A sign-in that met a mapped failure (the emulator's 1% of failures, a store that
    was slow: 502/503/504) is tried again, at most three times in all."""
    for attempt in range(3):
        try:
            return sign_in(site, cert, f"person-{i % people}" if people else "octocat")
        except RuntimeError as e:
            if attempt == 2:
                raise
            print(f"sign-in {i}: {e}; trying again", file=sys.stderr)


def signins(site, cert, count, out, people):
    """`count` sign-ins, taken in turn by `people` people (`person-0`...; octocat alone
    when 0)."""
    people = int(people)
    with ThreadPoolExecutor(max_workers=8) as pool:
        lines = list(pool.map(lambda i: sign_in_retrying(site, cert, i, people), range(count)))
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
    # Statuses in each third of the run: before, during and after a restart's outage.
    thirds = [{}, {}, {}]
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
            third = thirds[min(2, int((t - start) / (end - start) * 3))]
            third[str(status)] = third.get(str(status), 0) + 1
            total += 1
    unmapped = sum(c for s, c in statuses.items() if s not in MAPPED)
    out = {
        "phase": phase,
        "requests": total,
        "secs": round(end - start, 1),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "status_500": statuses.get(500, 0),
        "unmapped": unmapped,
        "thirds": [dict(sorted(t.items())) for t in thirds],
        "routes": {
            r: {"n": len(v), "p50_ms": round(pct(v, 50), 1), "p99_ms": round(pct(v, 99), 1),
                "statuses": route_statuses[r]}
            for r, v in sorted(by_route.items())
        },
    }
    print(json.dumps(out))


def rss_verdicts(path, warmup):
    """'t name pid kB' lines (every 10 s) into one entry per process: a restarted instance
    is a new process. Its warm-up is the first `warmup` seconds of load it served. Growth
    is the median RSS of its last minute against the median of the minute after warm-up:
    single samples move by ±10% with the requests in flight at that instant, a leak moves
    the median. The peak after warm-up is kept beside it."""
    procs = {}
    for line in open(path):
        parts = line.split()
        if len(parts) == 4 and parts[3].isdigit() and int(parts[3]) > 0:
            procs.setdefault((parts[1], parts[2]), []).append((int(parts[0]), int(parts[3])))
    out = []
    for (name, pid), samples in procs.items():
        first_t, last_t = samples[0][0], samples[-1][0]
        warm = [kb for t, kb in samples if first_t + warmup <= t < first_t + warmup + 60]
        end = [kb for t, kb in samples if t > last_t - 60]
        entry = {"name": name, "pid": int(pid), "from_s": first_t, "to_s": last_t,
                 "first_kb": samples[0][1], "samples": len(samples)}
        # Both minutes must be whole and apart: at least warm-up + two minutes of samples.
        if last_t - first_t < warmup + 120 - 10:
            entry["verdict"] = "too short"
        else:
            base, last = statistics.median(warm), statistics.median(end)
            peak = max(kb for t, kb in samples if t >= first_t + warmup)
            entry.update(warm_kb=base, peak_kb=peak, last_kb=last,
                         growth_pct=round((last - base) / base * 100, 1),
                         peak_growth_pct=round((peak - base) / base * 100, 1))
            entry["verdict"] = "met" if last < base * 1.10 else "missed"
        out.append(entry)
    return out


def finish(phase, t0, t1, wrk_times, tck, ncpu, panics, rss, warmup, machine, load0, load1, kind):
    """The per-route report (stdin) with CPU per request, RSS verdicts and the machine's
    state added. t0/t1: 'app store emulator nginx busy' ticks at the start and the end."""
    r = json.load(sys.stdin)
    a, b = [list(map(float, s.split())) for s in (t0, t1)]
    d = [y - x for x, y in zip(a, b)]
    tck, ncpu, secs = float(tck), int(ncpu), r["secs"]
    n = max(r["requests"], 1)
    # time(1) -f "%U %S"; a line before it when the command exited non-zero.
    wrk_s = sum(float(v) for v in open(wrk_times).read().split()[-2:])
    ours_s = sum(d[:4]) / tck + wrk_s
    busy_s = d[4] / tck
    loads = [float(line.split()[1]) for line in open(machine) if len(line.split()) == 3]
    compilers = [int(line.split()[2]) for line in open(machine) if len(line.split()) == 3]
    r.update(
        store=kind,
        panics=int(panics),
        rps=round(r["requests"] / secs, 1),
        app_cpu_ms_per_req=round(d[0] / tck * 1000 / n, 3),
        store_cpu_ms_per_req=None if kind == "sqlite" else round(d[1] / tck * 1000 / n, 3),
        emulator_cpu_ms_per_req=round(d[2] / tck * 1000 / n, 3),
        nginx_cpu_ms_per_req=round(d[3] / tck * 1000 / n, 3),
        wrk_cpu_s=round(wrk_s, 1),
        machine={
            "cores": ncpu,
            "busy_cores": round(busy_s / secs, 2),
            "this_run_cores": round(ours_s / secs, 2),
            "others_cores": round(max(busy_s - ours_s, 0) / secs, 2),
            "load_start": load0, "load_end": load1,
            "load1_min": min(loads, default=0), "load1_max": max(loads, default=0),
            "compilers_mean": round(sum(compilers) / max(len(compilers), 1), 1),
        },
        rss=rss_verdicts(rss, int(warmup)),
    )
    print(json.dumps(r))


NAMES = {
    "redis": "two instances, Redis",
    "instance_restart": "the same, instance 1 killed at 1/3, started at 2/3",
    "redis_restart": "the same, Redis shut down at 1/3, started at 2/3",
    "postgres": "two instances, PostgreSQL",
    "postgres_restart": "the same, PostgreSQL stopped at 1/3, started at 2/3",
    "sqlite": "one instance, SQLite",
}


def markdown(path):
    every = [json.loads(line) for line in open(path) if line.strip()]
    rows = [r for r in every if r.get("kind") != "rest"]
    rests = [r for r in every if r.get("kind") == "rest"]
    mb = lambda kb: f"{kb / 1024:.0f}"  # noqa: E731
    print("| phase | requests (req/s) | 500s | unmapped | panics | statuses | gistdesk CPU ms/req "
          "| store CPU ms/req | machine: busy / this run / others (cores), load 1 min |")
    print("|---|---:|---:|---:|---:|---|---:|---:|---|")
    for r in rows:
        st = ", ".join(f"{k}×{v:,}" for k, v in r["statuses"].items())
        store = "in process" if r["store_cpu_ms_per_req"] is None else r["store_cpu_ms_per_req"]
        m = r["machine"]
        print(f'| {NAMES.get(r["phase"], r["phase"])} | {r["requests"]:,} ({r["rps"]}) | '
              f'{r["status_500"]} | {r["unmapped"]} | {r["panics"]} | {st} | '
              f'{r["app_cpu_ms_per_req"]} | {store} | {m["busy_cores"]} / {m["this_run_cores"]} / '
              f'{m["others_cores"]}, {m["load1_min"]}–{m["load1_max"]} |')
    print()
    print("| phase | statuses, first third | second third | last third |")
    print("|---|---|---|---|")
    for r in rows:
        cells = [", ".join(f"{k}×{v:,}" for k, v in t.items()) for t in r["thirds"]]
        print(f'| {r["phase"]} | ' + " | ".join(cells) + " |")
    print()
    print("| phase | process | served (s) | RSS (MB): start → minute after warm-up → last minute "
          "(medians); peak | growth (peak) | < 10% |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        for p in r["rss"]:
            if p["verdict"] == "too short":
                print(f'| {r["phase"]} | {p["name"]} (pid {p["pid"]}) | {p["from_s"]}–{p["to_s"]} | '
                      f'{mb(p["first_kb"])} | — | too short to tell |')
                continue
            print(f'| {r["phase"]} | {p["name"]} (pid {p["pid"]}) | {p["from_s"]}–{p["to_s"]} | '
                  f'{mb(p["first_kb"])} → {mb(p["warm_kb"])} → {mb(p["last_kb"])}; {mb(p["peak_kb"])} | '
                  f'{p["growth_pct"]:+}% ({p["peak_growth_pct"]:+}%) | {p["verdict"]} |')
    print()
    if rests:
        print("| phase | process | RSS (MB): last reading under load; highest | at rest: first → "
              "last reading (seconds after the load) |")
        print("|---|---|---|---|")
        for r in rests:
            for name, v in sorted(r["instances"].items()):
                under = (f'{mb(v["last_under_load_kb"])}; {mb(v["highest_under_load_kb"])}'
                         if v["last_under_load_kb"] is not None else "—")
                print(f'| {r["phase"]} | {name} | {under} | {mb(v["rest_first_kb"])} → '
                      f'{mb(v["rest_last_kb"])} ({v["rest_seconds"]} s) |')
        print()
    print("| phase | route | n | p50 ms | p99 ms | statuses |")
    print("|---|---|---:|---:|---:|---|")
    for r in rows:
        for route, v in r["routes"].items():
            st = ", ".join(f"{k}×{c:,}" for k, c in sorted(v["statuses"].items()))
            print(f'| {r["phase"]} | {route} | {v["n"]:,} | {v["p50_ms"]} | {v["p99_ms"]} | {st} |')


if __name__ == "__main__":
    if sys.argv[1] == "signins":
        signins(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5], sys.argv[6])
    elif sys.argv[1] == "report":
        report(sys.argv[2], sys.argv[3], float(sys.argv[4]), float(sys.argv[5]))
    elif sys.argv[1] == "finish":
        finish(*sys.argv[2:15])
    elif sys.argv[1] == "markdown":
        markdown(sys.argv[2])
