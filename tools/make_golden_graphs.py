#!/usr/bin/env python
"""Generates the golden frozen graphs under graphs/ (deterministically), or checks them.

    python tools/make_golden_graphs.py                 # write missing graphs only
    python tools/make_golden_graphs.py --check         # rebuild in memory, compare with graphs/
    python tools/make_golden_graphs.py --force ctr     # overwrite: a BREAKING change

A golden graph is never regenerated to make a test pass. Overwriting one is a breaking
change for whoever serves a frozen graph: say so in the commit and in docs/CHANGELOG.md.
"""
import argparse
import hashlib
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, REPO)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def check(golden, name, root):
    """Differences between the stored graph ``name`` and a fresh rebuild (empty list: same)."""
    import numpy as np

    directory = os.path.join(root, name)
    with open(os.path.join(directory, golden.MANIFEST_FILE)) as f:
        stored = json.load(f)
    fresh = golden.make(name)
    problems = []
    for key in ("inputs", "outputs", "variables", "training_switch"):
        if stored[key] != json.loads(json.dumps(fresh.manifest[key])):
            problems.append("%s: %s differs" % (name, key))
    with open(os.path.join(directory, golden.GRAPH_FILE), "rb") as f:
        on_disk = f.read()
    if hashlib.sha256(on_disk).hexdigest() != stored["sha256"]:
        problems.append("%s: graph.pb does not match the manifest's sha256" % name)
    if fresh.manifest["sha256"] != stored["sha256"]:
        note = "" if stored["tensorflow_version"] == fresh.manifest["tensorflow_version"] else (
            " (written by TensorFlow %s, rebuilt with %s)"
            % (stored["tensorflow_version"], fresh.manifest["tensorflow_version"]))
        problems.append("%s: rebuilt graph bytes differ%s" % (name, note))
    with np.load(os.path.join(directory, golden.GOLDEN_FILE), allow_pickle=False) as arrays:
        for key, value in fresh.arrays.items():
            if key.startswith("output/") and not np.allclose(arrays[key], value, rtol=1e-6, atol=1e-6):
                problems.append("%s: %s differs from the rebuilt graph" % (name, key))
    return problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help="graphs to process (default: all)")
    parser.add_argument("--out", default=os.path.join(REPO, "graphs"), help="root directory (default graphs/)")
    parser.add_argument("--force", action="store_true", help="overwrite existing graphs (breaking change)")
    parser.add_argument("--check", action="store_true", help="compare with a rebuild; write nothing")
    args = parser.parse_args(argv)

    from tf1_recsys import golden

    names = args.names or list(golden.GRAPHS)
    unknown = [n for n in names if n not in golden.GRAPHS]
    if unknown:
        parser.error("unknown graphs %s; known: %s" % (unknown, ", ".join(golden.GRAPHS)))
    if args.check:
        problems = []
        for name in names:
            found = check(golden, name, args.out)
            problems += found
            print("%-22s %s" % (name, "ok" if not found else "DIFFERS"))
        for p in problems:
            print("  " + p)
        return 1 if problems else 0
    for name in names:
        exists = os.path.exists(os.path.join(args.out, name, golden.MANIFEST_FILE))
        if exists and not args.force:
            print("%-22s kept (exists; --force overwrites, a breaking change)" % name)
            continue
        directory = golden.write(name, args.out, force=args.force)
        print("%-22s %s %s" % (name, "OVERWRITTEN" if exists else "written", directory))
    if args.force:
        print("Overwriting golden graphs is a BREAKING change: record it in docs/CHANGELOG.md.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
