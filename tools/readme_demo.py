#!/usr/bin/env python
"""Reruns the README's demo command and writes what it printed into README.md's sample.

    python tools/readme_demo.py            # runs `tf1-recsys demo --out demo_out --no-progress`
                                           # in a temporary folder and rewrites the sample block
    python tools/readme_demo.py --check    # runs it and says whether the README's sample matches
    python tools/readme_demo.py --against REV [--rounds 2] [--write-docs]
                                           # CPU seconds of the demo, this tree against git revision
                                           # REV, alternating fresh runs (docs/BENCHMARKS.md section)

The sample is the command's whole standard output, unedited, so it stays true: after any
change to what the demo prints or computes, run this script and commit the README with it.
The run takes a minute and a half on 2 idle cores (several minutes when they are loaded);
its time, TensorFlow version and load average go into the line above the sample.
"""
import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
README = os.path.join(REPO, "README.md")
COMMAND = ["demo", "--out", "demo_out", "--no-progress"]
INTRO = re.compile(r"What a run of `tf1-recsys demo --out demo_out` printed \([^\n]*\):\n\n```\n(.*?)\n```", re.S)


BENCH_TITLE = "## The demo's CPU time against an earlier revision (`tools/readme_demo.py --against`)"


def run_demo(tree=REPO):
    """The demo's standard output, run with the package of ``tree`` in a fresh temporary folder
    (so `demo_out` is new there)."""
    env = dict(os.environ, PYTHONPATH=tree + os.pathsep + os.environ.get("PYTHONPATH", ""),
               TF_CPP_MIN_LOG_LEVEL="2")
    with tempfile.TemporaryDirectory(prefix="tf1_recsys_readme_demo_") as folder:
        done = subprocess.run([sys.executable, "-m", "tf1_recsys"] + COMMAND, cwd=folder, env=env,
                              stdout=subprocess.PIPE, text=True)
    if done.returncode != 0:
        sys.exit("readme_demo: the demo exited with status %d" % done.returncode)
    return done.stdout.rstrip("\n")


def describe_run():
    import tensorflow as tf

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return "TensorFlow %s, %d CPUs, load average %.1f at the end; `python tools/readme_demo.py` reruns it and " \
           "rewrites this sample" % (tf.__version__, os.cpu_count(), load)


def cpu_seconds_of_demo(tree):
    """``(CPU seconds, wall seconds)`` of one demo run of ``tree``'s package (the child's user + system time)."""
    before, start = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    run_demo(tree)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, time.perf_counter() - start


def against(ref, rounds, write_docs):
    """The demo's CPU seconds, this tree and revision ``ref`` alternating (``ref`` first), median per tree."""
    import benchdoc
    from bench_din import unpack_revision

    times = {"this tree": [], ref: []}
    with tempfile.TemporaryDirectory(prefix="tf1_recsys_demo_against_") as folder:
        trees = [(ref, unpack_revision(ref, folder)), ("this tree", REPO)]
        for _ in range(rounds):
            for name, tree in trees:
                times[name].append(cpu_seconds_of_demo(tree))
                print("%s: %.1f CPU s, %.1f s wall" % ((name,) + times[name][-1]), flush=True)
    med = {name: statistics.median(cpu for cpu, _ in runs) for name, runs in times.items()}
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    import tensorflow as tf

    lines = [BENCH_TITLE, "",
             "`python tools/readme_demo.py --against %s --rounds %d --write-docs`: `tf1-recsys demo --out demo_out "
             "--no-progress` in fresh processes, the two trees alternating (TensorFlow %s, %d CPUs, load average "
             "%.1f at the end). CPU seconds are the child's user + system time (all threads)." % (
                 ref, rounds, tf.__version__, os.cpu_count(), load), "",
             "| tree | CPU s per run | median CPU s | wall s per run |", "|---|---|---|---|"]
    for name, runs in times.items():
        lines.append("| %s | %s | %.1f | %s |" % (name, ", ".join("%.1f" % c for c, _ in runs), med[name],
                                                   ", ".join("%.0f" % w for _, w in runs)))
    lines += ["", "This tree takes %.2fx the CPU time of `%s`." % (med["this tree"] / med[ref], ref)]
    benchdoc.publish(BENCH_TITLE, "\n".join(lines), write_docs)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="only compare the README's sample with a new run")
    ap.add_argument("--against", metavar="GIT_REF", help="time the demo (CPU seconds) against revision GIT_REF")
    ap.add_argument("--rounds", type=int, default=2, help="alternating runs per tree with --against")
    ap.add_argument("--write-docs", action="store_true", help="with --against: write docs/BENCHMARKS.md's section")
    args = ap.parse_args(argv)
    if args.against:
        against(args.against, args.rounds, args.write_docs)
        return 0
    with open(README, encoding="utf-8") as f:
        text = f.read()
    found = INTRO.search(text)
    if found is None:
        sys.exit("readme_demo: README.md has no sample block after 'What a run of `tf1-recsys demo --out "
                 "demo_out` printed (...):'")
    printed = run_demo()
    if args.check:
        # Times move with the machine; everything else must match.
        def strip(s):
            return re.sub(r"\d+(\.\d+)? s\b", "N s", s)

        same = strip(found.group(1)) == strip(printed)
        print("README sample %s the demo's output (times aside)" % ("matches" if same else "DIFFERS from"))
        if not same:
            print(printed)
        return 0 if same else 1
    block = "What a run of `tf1-recsys demo --out demo_out` printed (%s):\n\n```\n%s\n```" % (describe_run(), printed)
    text = text[:found.start()] + block + text[found.end():]
    with open(README, "w", encoding="utf-8") as f:
        f.write(text)
    print("rewrote the demo sample in %s" % README)
    return 0


if __name__ == "__main__":
    sys.exit(main())
