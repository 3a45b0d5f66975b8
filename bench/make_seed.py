#!/usr/bin/env python3
"""Writes an emulator seed (format: crates/github-emulator/README.md) that is the built-in
seed (octocat with 80 gists, hubot with 3, monalisa, org `github` with its team) plus
EXTRA gists owned by octocat, for the emulator's memory benchmark, and PEOPLE more users
(`person-0`, `person-1`, ...) with 10 gists each, for a load of many people signed in.

Usage: bench/make_seed.py OUT.json [EXTRA=10000] [PEOPLE=0]
"""
import datetime as dt
import json
import sys

TOPICS = ["fizzbuzz", "quicksort", "http server", "todo list", "word count", "fibonacci",
          "json parser", "rate limiter", "binary search", "csv export"]


def rfc3339(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def octocat_gist(n):
    """Mirrors octocat_gist() in crates/github-emulator/src/builtin.rs."""
    topic = TOPICS[n % len(TOPICS)]
    slug = topic.replace(" ", "_")
    k = n % 5
    if k == 0:
        files = {f"{slug}.md": f"# {topic}\n\nNotes on **{topic}**, take {n}.\n\n- first\n- second\n\n```rust\nfn main() {{}}\n```\n"}
    elif k == 1:
        files = {f"{slug}.rs": f"// {topic}, take {n}\nfn main() {{\n    println!(\"{topic} {n}\");\n}}\n"}
    elif k == 2:
        files = {f"{slug}.py": f"# {topic}, take {n}\ndef main():\n    print(\"{topic} {n}\")\n\nif __name__ == \"__main__\":\n    main()\n"}
    elif k == 3:
        files = {f"{slug}.txt": f"{topic}\n\nPlain notes, number {n}.\n"}
    else:
        files = {f"{slug}.rs": f"pub fn {slug}() -> u32 {{\n    {n}\n}}\n",
                 "README.md": f"# {topic}\n\nSee `{slug}.rs`.\n",
                 "run.sh": f"#!/bin/sh\necho {n}\n"}
    created = (dt.datetime(2015, 3, 1, 9, 0, 0)
               + dt.timedelta(days=(37 * n) % 4000, minutes=n * 7))
    return {
        "description": None if n % 7 == 6 else f"{topic} #{n}",
        "public": n % 6 != 5,
        "created_at": rfc3339(created),
        "updated_at": rfc3339(created + dt.timedelta(hours=3 + n % 11)),
        "files": files,
        "starred_by": ["hubot"] if n % 9 == 0 else [],
    }


def user(login, uid, name, created, email, visibility, verified=True):
    return {
        "login": login, "id": uid, "name": name, "company": "@github",
        "blog": "https://github.blog", "location": "San Francisco",
        "created_at": created,
        "emails": [{"email": email, "primary": True, "verified": verified,
                    "visibility": visibility}],
        "gists": [],
    }


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    extra = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
    people = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    octocat = user("octocat", 583231, "The Octocat", "2011-01-25T18:44:36Z",
                   "octocat@github.com", "public")
    octocat["emails"].append({"email": "octocat@users.noreply.github.com", "primary": False,
                              "verified": True})
    octocat["gists"] = [octocat_gist(n) for n in range(80 + extra)]
    hubot = user("hubot", 480938, "Hubot", "2010-11-01T12:00:00Z", "hubot@github.com",
                 "private")
    hubot["gists"] = [
        {"description": "Hubot scripts", "public": True, "created_at": "2016-05-04T10:00:00Z",
         "files": {"ping.coffee": "module.exports = (robot) ->\n  robot.respond /PING$/i, (msg) ->\n    msg.send \"PONG\"\n"},
         "starred_by": ["octocat"]},
        {"description": "Secret plans", "public": False, "created_at": "2017-01-02T08:30:00Z",
         "files": {"plans.txt": "Take over the world.\n"}},
        {"description": "Greeting", "public": True, "created_at": "2018-07-15T16:45:00Z",
         "files": {"hello.py": "print(\"hello from hubot\")\n"}},
    ]
    monalisa = user("monalisa", 2138, "Mona Lisa", "2012-06-01T00:00:00Z",
                    "monalisa@example.com", "private", verified=False)
    others = []
    for i in range(people):
        person = user(f"person-{i}", 90_000_000 + i, f"Person {i}", "2020-01-01T00:00:00Z",
                      f"person-{i}@example.com", "private")
        person["gists"] = [octocat_gist(i * 10 + n) for n in range(10)]
        others.append(person)
    seed = {
        "users": [octocat, hubot, monalisa] + others,
        "orgs": [{
            "login": "github", "id": 9919, "name": "GitHub",
            "description": "How people build software.",
            "members": [{"login": "octocat", "role": "admin"},
                        {"login": "hubot", "role": "member"}],
            "teams": [{"name": "Justice League", "slug": "justice-league", "id": 1,
                       "description": "A great team.", "members": ["octocat"]}],
        }],
    }
    with open(out, "w") as f:
        json.dump(seed, f)
    total = sum(len(u["gists"]) for u in seed["users"])
    print(f"{out}: {len(seed['users'])} users, {total} gists ({extra} beyond the built-in seed, {people} more people)")


if __name__ == "__main__":
    main()
