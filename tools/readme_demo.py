#!/usr/bin/env python
"""Reruns the README's demo command and writes what it printed into README.md's sample.

    python tools/readme_demo.py            # runs `tf1-recsys demo --out demo_out --no-progress`
                                           # in a temporary folder and rewrites the sample block
    python tools/readme_demo.py --check    # runs it and says whether the README's sample matches

The sample is the command's whole standard output, unedited, so it stays true: after any
change to what the demo prints or computes, run this script and commit the README with it.
The run takes a minute and a half on 2 idle cores (several minutes when they are loaded);
its time, TensorFlow version and load average go into the line above the sample.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
README = os.path.join(REPO, "README.md")
COMMAND = ["demo", "--out", "demo_out", "--no-progress"]
INTRO = re.compile(r"What a run of `tf1-recsys demo --out demo_out` printed \([^\n]*\):\n\n```\n(.*?)\n```", re.S)


def run_demo():
    """The demo's standard output, run in a fresh temporary folder (so `demo_out` is new there)."""
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""),
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


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="only compare the README's sample with a new run")
    args = ap.parse_args(argv)
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
