#!/usr/bin/env python
"""Generates the golden frozen graphs under graphs/ (deterministically), or checks them.

    python tools/make_golden_graphs.py                 # write missing graphs only
    python tools/make_golden_graphs.py --check         # rebuild in memory, compare with graphs/
    python tools/make_golden_graphs.py --force ctr     # overwrite: a BREAKING change

The models are the fixtures of tests/golden_models.py; writing and checking go through
the public kit (tf1_recsys.testing.write_golden, golden_problems, regeneration_problems).
A golden graph is never regenerated to make a test pass. Overwriting one is a breaking
change for whoever serves a frozen graph: say so in the commit and in docs/CHANGELOG.md.
"""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, REPO)
sys.path.insert(0, os.path.join(REPO, "tests"))  # golden_models: the project's fixtures
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def check(name, root):
    """Differences between the stored graph ``name`` and the library now (empty list: same)."""
    from tf1_recsys import testing
    import golden_models

    directory = os.path.join(root, name)
    model_fn = golden_models.GRAPHS[name].model_fn
    return ["%s: %s" % (name, p) for p in
            testing.golden_problems(directory, model_fn) + testing.regeneration_problems(directory, model_fn)]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help="graphs to process (default: all)")
    parser.add_argument("--out", default=os.path.join(REPO, "graphs"), help="root directory (default graphs/)")
    parser.add_argument("--force", action="store_true", help="overwrite existing graphs (breaking change)")
    parser.add_argument("--check", action="store_true", help="compare with a rebuild; write nothing")
    args = parser.parse_args(argv)

    import golden_models
    from tf1_recsys import testing
    from tf1_recsys.testing import golden_graph

    graphs = golden_models.GRAPHS
    names = args.names or list(graphs)
    unknown = [n for n in names if n not in graphs]
    if unknown:
        parser.error("unknown graphs %s; known: %s" % (unknown, ", ".join(graphs)))
    if args.check:
        problems = []
        for name in names:
            found = check(name, args.out)
            problems += found
            print("%-22s %s" % (name, "ok" if not found else "DIFFERS"))
        for p in problems:
            print("  " + p)
        return 1 if problems else 0
    for name in names:
        directory = os.path.join(args.out, name)
        exists = os.path.exists(os.path.join(directory, golden_graph.MANIFEST_FILE))
        if exists and not args.force:
            print("%-22s kept (exists; --force overwrites, a breaking change)" % name)
            continue
        spec = graphs[name]
        testing.write_golden(directory, spec.model_fn, golden_models.golden_inputs(name), seed=spec.seed,
                             description=spec.description, force=args.force)
        print("%-22s %s %s" % (name, "OVERWRITTEN" if exists else "written", directory))
    if args.force:
        print("Overwriting golden graphs is a BREAKING change: record it in docs/CHANGELOG.md.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
