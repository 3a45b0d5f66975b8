#!/usr/bin/env python3
"""Turns OUT/results.jsonl (one line per run) into the Markdown tables of the benchmark:
medians over runs, and ratios taken run by run (side by side) before their median.

Usage: bench/report.py OUT
"""
import json
import statistics
import sys
from collections import defaultdict


def load(out):
    rows = []
    with open(f"{out}/results.jsonl") as f:
        for line in f:
            line = line.strip()
            if line:
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError:
                    print(f"<!-- unreadable result line: {line[:120]} -->")
    return rows


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt(x, unit="", digits=0):
    if x is None:
        return "—"
    if digits == 0:
        return f"{x:,.0f}{unit}"
    return f"{x:,.{digits}f}{unit}"


def verdict(ok):
    return "—" if ok is None else ("**met**" if ok else "**not met**")


def main():
    out = sys.argv[1]
    rows = load(out)
    by = defaultdict(list)
    for r in rows:
        by[r["name"]].append(r)

    def runs(name):
        return sorted(by.get(name, []), key=lambda r: r.get("run", 0))

    def m(name, key):
        return med([r.get(key) for r in runs(name)])

    def errors(name):
        n = 0
        for r in runs(name):
            n += sum(r.get(k, 0) for k in ("err_connect", "err_read", "err_write",
                                             "err_timeout", "err_status"))
            n += r.get("failed", 0) + r.get("signin_failures", 0)
        return n

    def ratio(a, b, key):
        ra = {r.get("run"): r.get(key) for r in runs(a)}
        rb = {r.get("run"): r.get(key) for r in runs(b)}
        vals = [ra[k] / rb[k] for k in ra if k in rb and ra[k] and rb[k]]
        return med(vals), vals

    def one(name):
        rs = runs(name)
        return rs[-1] if rs else {}

    lines = []
    p = lines.append
    try:
        with open(f"{out}/machine.txt") as f:
            p("Machine and settings:\n\n```\n" + f.read().strip() + "\n```\n")
    except OSError:
        pass
    nruns = max((r.get("run", 1) for r in rows), default=0)
    p(f"Medians of {nruns} runs each; ratios are the median of run-by-run ratios "
      "(both sides measured back to back in the same run).\n")

    # Emulator
    if by.get("emulator_user") or by.get("emulator_rss_idle"):
        p("### github-emulator\n")
        p("| measurement | median | runs | errors | target | verdict |")
        p("|---|---:|---|---:|---|---|")
        v = m("emulator_user", "rps")
        p(f"| `GET /api/v3/user`, wrk keep-alive | {fmt(v, ' req/s')} (p99 {fmt(m('emulator_user', 'p99_ms'), ' ms', 2)}) "
          f"| {', '.join(fmt(r['rps']) for r in runs('emulator_user'))} | {errors('emulator_user')} "
          f"| ≥ 25,000 req/s | {verdict(None if v is None else v >= 25000)} |")
        v = m("emulator_signin", "signins_per_sec")
        p(f"| complete sign-ins (authorize auto-approve → token → /user) | {fmt(v, '/s')} "
          f"| {', '.join(fmt(r.get('signins_per_sec')) for r in runs('emulator_signin'))} | {errors('emulator_signin')} "
          f"| ≥ 2,000/s | {verdict(None if v is None else v >= 2000)} |")
        big = one("emulator_big_rss_after_requests")
        idle = one("emulator_big_rss_idle")
        flood = one("emulator_big_rss_after_signins")
        if big:
            peak = max(big.get("hwm_kb", 0), big.get("max_sampled_kb", 0)) / 1024
            p(f"| RSS, built-in seed + {big.get('extra_gists')} gists: idle / peak under `/user` and `/gists` load (VmHWM) "
              f"| {fmt(idle.get('rss_kb', 0) / 1024, ' MB', 1)} / {fmt(peak, ' MB', 1)} | 1 | — "
              f"| ≤ 50 MB | {verdict(peak <= 50)} |")
        if flood:
            peak = max(flood.get("hwm_kb", 0), flood.get("max_sampled_kb", 0)) / 1024
            n = one("emulator_big_signin").get("signins", "?")
            p(f"| RSS, same, after {n} more sign-ins (each leaves a token in memory) "
              f"| {fmt(peak, ' MB', 1)} | 1 | — | (≤ 50 MB) | {verdict(peak <= 50)} |")
        small = one("emulator_rss_after_load")
        if small:
            p(f"| RSS, built-in seed: idle / VmHWM after the runs above "
              f"| {fmt(one('emulator_rss_idle').get('rss_kb', 0) / 1024, ' MB', 1)} / {fmt(small.get('hwm_kb', 0) / 1024, ' MB', 1)} "
              f"| 1 | — | — | — |")
        for name, label in (("emulator_gists", "`GET /gists?per_page=30` (built-in seed, 66 KB)"),
                            ("emulator_big_user", "`GET /user` with the big seed"),
                            ("emulator_big_gists", "`GET /gists?per_page=30&page=3` with the big seed"),
                            ("emulator_big_signin", "sign-ins/s with the big seed")):
            if by.get(name):
                key = "signins_per_sec" if "signin" in name else "rps"
                p(f"| {label} | {fmt(m(name, key), '/s')} | 1 | {errors(name)} | — | — |")
        p("")

    # Client
    cpu = [r for r in rows if r.get("name", "").startswith("client_")]
    if cpu:
        p("### github-api client CPU\n")
        p("| measurement | median | runs | target | verdict |")
        p("|---|---:|---|---|---|")
        for name in sorted({r["name"] for r in cpu}):
            rs = runs(name)
            if "cpu_us_per_call" in rs[0]:
                p(f"| {rs[0].get('label', name)} | {fmt(m(name, 'cpu_us_per_call'), ' µs CPU/call', 1)} "
                  f"| {', '.join(fmt(r['cpu_us_per_call'], '', 1) for r in rs)} | — | — |")
        for r in cpu:
            if r.get("kind") == "ratio":
                ok = r["median_ratio"] <= 1.10
                p(f"| {r['label']} | {r['median_ratio']:.3f}× | "
                  f"{', '.join(f'{x:.3f}' for x in r['ratios'])} | ≤ 1.10× | {verdict(ok)} |")
            if r.get("kind") == "conditional":
                ok = r["statuses_second"] == [304] and r["units_second"] == 0
                p(f"| {r['label']}: second call's upstream statuses, rate-limit units | "
                  f"{r['statuses_second']}, {r['units_second']} | 1 | one 304, 0 units | {verdict(ok)} |")
        p("")

    # App
    lats = sorted({r.get("latency_ms") for r in rows if r.get("name", "").startswith("gists_")
                   and r.get("latency_ms") is not None})
    if lats:
        p("### gistdesk against the Tornado peer: signed-in gist list (`/gists`)\n")
        p("wrk, 64 connections, real session cookie; the emulator is the upstream of both.\n")
        p("| upstream latency | app | req/s | p50 | p99 | errors | gistdesk ÷ this (default / `PAGE_MEMORY=0`) |")
        p("|---|---|---:|---:|---:|---:|---:|")
        for lat in lats:
            for app in ("gistdesk", "gistdesknomem", "peer10", "peer100", "upstream"):
                name = f"gists_{app}_{lat}ms"
                if not by.get(name):
                    continue
                r_, _ = ratio(f"gists_gistdesk_{lat}ms", name, "rps") if app not in ("gistdesk", "gistdesknomem", "upstream") else (None, None)
                rn, _ = ratio(f"gists_gistdesknomem_{lat}ms", name, "rps") if app.startswith("peer") else (None, None)
                label = {"gistdesk": "gistdesk (default: page memory 10 s)",
                         "gistdesknomem": "gistdesk with `PAGE_MEMORY=0` (every view asks GitHub, If-None-Match)", "peer10": "Tornado peer, max_clients 10",
                         "peer100": "Tornado peer, max_clients 100",
                         "upstream": "(reference) the emulator's `GET /api/v3/gists?per_page=30` alone"}[app]
                both = ""
                if r_:
                    both = f"{r_:.1f}×" + (f" / {rn:.1f}×" if rn else "")
                p(f"| {lat} ms | {label} | {fmt(m(name, 'rps'))} | {fmt(m(name, 'p50_ms'), ' ms', 1)} "
                  f"| {fmt(m(name, 'p99_ms'), ' ms', 1)} | {errors(name)} | {both} |")
        p("")
        p("| target | measured | verdict |")
        p("|---|---|---|")
        for gd, gl in (("gistdesk", "default"), ("gistdesknomem", "`PAGE_MEMORY=0`")):
            for peer in ("peer10", "peer100"):
                r0, _ = ratio(f"gists_{gd}_0ms", f"gists_{peer}_0ms", "rps")
                if r0:
                    p(f"| ≥ 10× the peer's req/s at 0 ms (gistdesk {gl} vs {peer}) | {r0:.1f}× | {verdict(r0 >= 10)} |")
            p99 = m(f"gists_{gd}_50ms", "p99_ms")
            if p99 is not None:
                p(f"| p99 ≤ 75 ms at 50 ms upstream latency (gistdesk {gl}) | {p99:.1f} ms | {verdict(p99 <= 75)} |")
        p("")

    signin = sorted({r["name"] for r in rows if r.get("name", "").startswith("signin_")})
    if signin:
        p("### Complete sign-ins per second (gistdesk-loadgen; `signin_seq_*`: one at a time, "
          f"others: {max((r.get('concurrency') or 0) for n in signin for r in runs(n))} flows at once)\n")
        p("| sign-in | per second | p50 | p99 | failed | gistdesk ÷ this |")
        p("|---|---:|---:|---:|---:|---:|")
        for name in sorted(signin, key=lambda n: (int(n.rsplit('_', 1)[1][:-2]), n)):
            r_ = None
            if "gistdesk" not in name:
                gd = name.replace("peer100", "gistdesk").replace("peer10", "gistdesk")
                r_, _ = ratio(gd, name, "signins_per_sec")
            p(f"| {name} | {fmt(m(name, 'signins_per_sec'), '', 1)} | {fmt(m(name, 'p50_ms'), ' ms', 1)} "
              f"| {fmt(m(name, 'p99_ms'), ' ms', 1)} | {sum(r.get('failed', 0) for r in runs(name))} "
              f"| {fmt(r_, '×', 1) if r_ else ''} |")
        p("")

    if by.get("noapi_gistdesk"):
        p("### Overhead: signed-in page with no GitHub call against bare axum hello-world\n")
        r_, vals = ratio("noapi_gistdesk", "hello_axum", "rps")
        path = one("noapi_gistdesk").get("path")
        p("| server | req/s | p99 |")
        p("|---|---:|---:|")
        p(f"| gistdesk `{path}` (signed in) | {fmt(m('noapi_gistdesk', 'rps'))} | {fmt(m('noapi_gistdesk', 'p99_ms'), ' ms', 2)} |")
        p(f"| hello-axum `/` | {fmt(m('hello_axum', 'rps'))} | {fmt(m('hello_axum', 'p99_ms'), ' ms', 2)} |")
        if by.get("noapi_gistdesk_quiet"):
            p(f"| diagnostic: gistdesk `{path}` with `RUST_LOG=warn` (no log line per request) "
              f"| {fmt(m('noapi_gistdesk_quiet', 'rps'))} | {fmt(m('noapi_gistdesk_quiet', 'p99_ms'), ' ms', 2)} |")
        if by.get("healthz_gistdesk_quiet"):
            p(f"| diagnostic: gistdesk `/healthz` with `RUST_LOG=warn` (middleware, no session) "
              f"| {fmt(m('healthz_gistdesk_quiet', 'rps'))} | {fmt(m('healthz_gistdesk_quiet', 'p99_ms'), ' ms', 2)} |")
        if r_:
            p(f"\nRatio {r_ * 100:.0f}% (runs: {', '.join(f'{v * 100:.0f}%' for v in vals)}); "
              f"target ≥ 60%: {verdict(r_ >= 0.60)}.")
            for diag in ("noapi_gistdesk_quiet", "healthz_gistdesk_quiet"):
                d, _ = ratio(diag, "hello_axum", "rps")
                if d:
                    p(f"Diagnostic `{diag}` ÷ hello-axum: {d * 100:.0f}%.")
            p("")

    rl = [r for r in rows if r.get("name", "").startswith("ratelimit_") and "views" in r]
    rs = one("ratelimit_signin")
    if rl:
        p("### Rate-limit units per view of unchanged gists (`/gists`)\n")
        p("The sign-in itself ends on `/gists` (its first view). Then: one more view, then "
          f"{rl[0]['views']} more; units read from `GET /rate_limit` (which costs "
          f"{rl[0].get('rate_limit_probe_cost', '?')} units itself) before and after.\n")
        p("| app | next view | the following views | units per view |")
        p("|---|---:|---:|---:|")
        for r in rl:
            p(f"| {r['name'][10:]} | {r['first_view_units']} | {r['units']} units in {r['views']} views | {r['units_per_view']} |")
        st = one("ratelimit_gistdesk_stale")
        if st:
            p(f"| gistdesk, views 11 s apart (its 10 s page memory expired: revalidation with `If-None-Match`) "
              f"| | {st['units']} units in {st['stale_views']} views | {round(st['units'] / st['stale_views'], 3)} |")
        if rs:
            p(f"\nOne sign-in that ends on `/gists`: gistdesk {rs['gistdesk_units']} units, "
              f"peer {rs['peer_units']} units.")
        g = next((r for r in rl if r["name"] == "ratelimit_gistdesk"), None)
        if g:
            gn = next((r for r in rl if r["name"] == "ratelimit_gistdesk_nomem"), None)
            ok = g["units"] == 0 and (not st or st["units"] == 0) and (not gn or gn["units"] == 0)
            p(f"\nTarget 0 per view of unchanged gists: {verdict(ok)}.\n")

    cpu_rows = sorted({r["name"] for r in rows if r.get("cpu_s")})
    if cpu_rows:
        p("### Where the CPU went (CPU ms per request or per sign-in, by process; medians)\n")
        p("CPU time of each process (`/proc/PID/stat` utime+stime) over the run, divided by the "
          "requests wrk completed (sign-ins for `signin_*`). The machine has 2 cores; the load "
          "generator uses the rest.\n")
        procs = ["gistdesk", "gistdesk_nomem", "gistdesk_quiet", "emulator", "peer10", "peer100", "hello"]
        procs = [q for q in procs if any((r.get("cpu_s") or {}).get(q) for r in rows)]
        p("| run | " + " | ".join(procs) + " | busy cores |")
        p("|---|" + "---:|" * (len(procs) + 1))
        for name in cpu_rows:
            cells = []
            for proc in procs:
                vals = []
                for r in runs(name):
                    n = r.get("completed") if "signin" in name and "completed" in r else r.get("requests")
                    if r.get("signins") is not None and "signin" in name:
                        n = r["signins"]
                    c = (r.get("cpu_s") or {}).get(proc)
                    if n and c is not None:
                        vals.append(c * 1000 / n)
                v = med(vals)
                cells.append(fmt(v, "", 3) if v and v >= 0.0005 else "")
            busy = med([sum((r.get("cpu_s") or {}).values()) / (r.get("secs") or 1) for r in runs(name)])
            p(f"| {name} | " + " | ".join(cells) + f" | {fmt(busy, '', 2)} |")
        p("")

    rss = [r for r in rows if "rss" in r.get("name", "") and not r["name"].startswith("emulator")]
    if rss:
        p("### Memory (VmRSS / VmHWM)\n")
        p("| process, moment | VmRSS | VmHWM | max sampled |")
        p("|---|---:|---:|---:|")
        for r in rss:
            p(f"| {r['name']} | {fmt(r['rss_kb'] / 1024, ' MB', 1)} | {fmt(r['hwm_kb'] / 1024, ' MB', 1)} "
              f"| {fmt(r['max_sampled_kb'] / 1024, ' MB', 1) if r.get('max_sampled_kb') else ''} |")
        p("")

    print("\n".join(lines))


if __name__ == "__main__":
    main()
