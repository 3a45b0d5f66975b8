#!/usr/bin/env python3
"""Writes an emulator seed for the search benchmark: the users of make_seed.py, with
octocat owning GISTS gists of 3 files each (about 6.7 kB of text per file, so 1,000
gists are about 20 MB), a sixth of them secret.

Usage: bench/search_seed.py OUT.json [GISTS=1000]
"""
import json
import random
import sys

import make_seed

WORDS = ("async await tokio spawn runtime future stream channel mutex arc rc box vec "
         "hashmap string slice iterator closure trait impl struct enum match result option "
         "error parse serde json http request response header body cookie session token "
         "query index search cache etag sqlite postgres redis thread pool worker queue").split()


def text(rng, n, size=6700):
    lines, length = [], 0
    while length < size:
        line = " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 12)))
        line = f"    let x{n} = {line};" if rng.random() < 0.5 else f"// {line}"
        lines.append(line)
        length += len(line) + 1
    return "\n".join(lines) + "\n"


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    make_seed.main.__globals__["sys"].argv = ["make_seed.py", out, "0"]
    make_seed.main()
    with open(out) as f:
        seed = json.load(f)
    rng = random.Random(7)
    gists = []
    for n in range(count):
        base = make_seed.octocat_gist(n)
        base["files"] = {f"main_{n}.rs": text(rng, n), f"notes_{n}.md": text(rng, n),
                         f"run_{n}.py": text(rng, n)}
        base["public"] = n % 6 != 5
        gists.append(base)
    seed["users"][0]["gists"] = gists
    with open(out, "w") as f:
        json.dump(seed, f)
    size = sum(len(c) for g in gists for c in g["files"].values())
    print(f"{out}: octocat with {count} gists, {3 * count} files, {size / 1e6:.1f} MB of text")


if __name__ == "__main__":
    main()
