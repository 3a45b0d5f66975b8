#!/usr/bin/env python3
"""Stages only the Cargo.lock hunks that mention the given package names.

The working tree is shared: Cargo.lock may hold other people's uncommitted entries too.
Usage: bench/tools/stage-lock-hunks.py NAME... (run from the repository root).
"""
import subprocess
import sys

names = sys.argv[1:]
diff = subprocess.run(["git", "diff", "-U3", "Cargo.lock"], capture_output=True, text=True,
                      check=True).stdout
if not diff:
    sys.exit(0)
head, _, rest = diff.partition("\n@@")
hunks = ["@@" + h for h in ("\n@@" + rest).split("\n@@")[1:]]
keep = [h for h in hunks if any(f'"{n}"' in h for n in names)]
if not keep:
    sys.exit(0)
patch = head + "\n" + "\n".join(keep)
if not patch.endswith("\n"):
    patch += "\n"
subprocess.run(["git", "apply", "--cached", "--recount", "-"], input=patch, text=True, check=True)
