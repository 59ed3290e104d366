"""Runs tf1-recsys commands on real full and read-only file systems; prints a JSON report.

Usage (inside a private mount namespace, e.g. ``unshare --user --map-root-user --mount``):
  disk_faults.py BASE MODEL_DIR
BASE: an empty folder to mount small tmpfs file systems under; MODEL_DIR: a trained ``train``
folder (read, never written). For each case the report holds the exit code, stderr, and the
files of the output folder that its record does not list.
"""
import contextlib
import io
import json
import os
import subprocess
import sys


def mount(path, *options):
    os.makedirs(path, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", ",".join(options), "tmpfs", path], check=True)


def command(*argv):
    from tf1_recsys.cli import main

    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        try:
            rc = main(list(argv))
        except Exception as e:  # what the report is for: the command let it escape
            rc = "raised %s: %s" % (type(e).__name__, str(e)[:300])
    return {"rc": rc, "err": err.getvalue()}


def unrecorded(folder):
    with open(os.path.join(folder, ".tf1_recsys_output")) as f:
        record = set(json.load(f)["files"])
    present = {os.path.relpath(os.path.join(d, n), folder) for d, _, names in os.walk(folder) for n in names}
    return sorted(present - record - {".tf1_recsys_output", ".tf1_recsys.lock"})


def main():
    base, model_dir = sys.argv[1:3]
    train = ["train", "--model", "fm", "--data", "synthetic", "--rows", "3000", "--no-progress"]
    report = {}
    ro = os.path.join(base, "ro")
    mount(ro, "size=1m", "ro")
    report["ro_train"] = command(*train, "--out", os.path.join(ro, "run"))
    report["ro_evaluate"] = command("evaluate", "--model-dir", model_dir, "--scores-out", os.path.join(ro, "s.csv"),
                                    "--no-progress")
    report["ro_freeze"] = command("freeze", "--model-dir", model_dir, "--output", os.path.join(ro, "x.pb"))
    report["ro_importance"] = command("importance", "--model-dir", model_dir, "--png", os.path.join(ro, "x.png"),
                                      "--rows", "100", "--no-progress")

    tiny = os.path.join(base, "tiny")  # full before the first checkpoint
    mount(tiny, "size=64k")
    out = os.path.join(tiny, "run")
    report["full_at_start"] = command(*train, "--epochs", "1", "--out", out)
    report["full_at_start"]["unrecorded"] = unrecorded(out)
    subprocess.run(["mount", "-o", "remount,size=64m", tiny], check=True)
    report["overwrite_after_full"] = command(*train, "--epochs", "1", "--out", out, "--overwrite")
    report["overwrite_after_full"]["unrecorded"] = unrecorded(out)
    report["overwrite_after_full"]["files"] = sorted(os.listdir(out))

    small = os.path.join(base, "small")  # full at a later checkpoint
    mount(small, "size=1600k")
    out = os.path.join(small, "run")
    report["full_in_save"] = command(*train, "--epochs", "3", "--batch-size", "64", "--checkpoint-steps", "10",
                                     "--out", out)
    report["full_in_save"]["unrecorded"] = unrecorded(out)
    report["full_in_save"]["files"] = sorted(os.listdir(out))
    print(json.dumps(report))


if __name__ == "__main__":
    sys.exit(main())
