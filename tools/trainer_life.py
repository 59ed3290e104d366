#!/usr/bin/env python
"""What one ``Trainer``'s life costs, phase by phase: CPU seconds, sessions opened, Grappler runs.

    python tools/trainer_life.py                  # this tree
    python tools/trainer_life.py --against REV    # also git revision REV (run first), same model
    python tools/trainer_life.py --against REV --write-docs   # and write docs/BENCHMARKS.md's section

The life of tests/train_script.py's model (640 rows, batch 32): ``Trainer(...)``, ``fit`` (1
epoch), ``fit`` again (to 2 epochs), ``evaluate``, ``predict``, ``freeze``,
``export_saved_model``. Each tree runs in a fresh process. Sessions are counted at
``BaseSession.__init__``; Grappler runs (TensorFlow's graph optimiser, paid once per new
session and step signature) are the "Starting optimization for grappler item" lines its meta
optimiser logs with ``TF_CPP_VMODULE=meta_optimizer=1``. CPU seconds are the process's (all
threads).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
MARK = "@@trainer_life phase "
TITLE = "## A Trainer's life: CPU seconds, sessions, graph optimisations (`tools/trainer_life.py`)"
PHASES = ("init", "fit", "fit again", "evaluate", "predict", "freeze", "export")


def child():
    """One life in this process: prints the phases' CPU seconds and sessions as JSON; marks stderr."""
    sys.path.insert(0, os.path.join(REPO, "tests"))
    import train_script as ts
    from tensorflow.python.client import session as tf_session

    from tf1_recsys.training import Trainer

    opened = [0]
    original = tf_session.BaseSession.__init__

    def counting(self, *args, **kwargs):
        opened[0] += 1
        return original(self, *args, **kwargs)

    tf_session.BaseSession.__init__ = counting
    data = ts.make_data()
    out, trainer, result = tempfile.mkdtemp(prefix="tf1_recsys_trainer_life_"), None, {}

    def phase(name, fn):
        sys.stderr.write(MARK + name + "\n")
        sys.stderr.flush()
        sessions, start = opened[0], time.process_time()
        value = fn()
        result[name] = {"cpu": time.process_time() - start, "sessions": opened[0] - sessions}
        return value

    def fit_again():
        trainer.config.epochs = 2
        return trainer.fit(data)

    trainer = phase("init", lambda: Trainer(ts.model_fn, ts.config(epochs=1), os.path.join(out, "model")))
    phase("fit", lambda: trainer.fit(data))
    phase("fit again", fit_again)
    phase("evaluate", lambda: trainer.evaluate(data))
    phase("predict", lambda: trainer.predict(data))
    phase("freeze", trainer.freeze)
    phase("export", lambda: trainer.export_saved_model(os.path.join(out, "saved_model")))
    sys.stderr.write(MARK + "end\n")
    trainer.close()
    print(json.dumps(result))


def life(tree):
    """``{phase: {'cpu', 'sessions', 'grappler'}}`` of one life with ``tree``'s package."""
    env = dict(os.environ, PYTHONPATH=tree, TF_CPP_MIN_LOG_LEVEL="0", TF_CPP_VMODULE="meta_optimizer=1")
    proc = subprocess.run([sys.executable, os.path.abspath(__file__), "--child"], env=env, capture_output=True,
                          text=True)
    if proc.returncode != 0:
        raise SystemExit("trainer_life: the child failed:\n" + proc.stderr[-3000:])
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    current = None
    for line in proc.stderr.splitlines():
        if line.startswith(MARK):
            current = line[len(MARK):]
        elif current in result and "Starting optimization for grappler item" in line:
            result[current]["grappler"] = result[current].get("grappler", 0) + 1
    return result


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--against", metavar="GIT_REF", help="also measure git revision GIT_REF (run first)")
    ap.add_argument("--write-docs", action="store_true", help="write the table into docs/BENCHMARKS.md")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child()
        return 0
    with tempfile.TemporaryDirectory(prefix="tf1_recsys_trainer_life_") as folder:
        trees = [("this tree", REPO)]
        if args.against:
            from bench_din import unpack_revision

            trees.insert(0, (args.against, unpack_revision(args.against, folder)))
        lives = [(name, life(tree)) for name, tree in trees]
    import tensorflow as tf

    import benchdoc

    command = "python tools/trainer_life.py" + (" --against %s" % args.against if args.against else "")
    lines = [TITLE, "",
             "`%s --write-docs` (TensorFlow %s, %d CPUs, load average %.1f): tests/train_script.py's model "
             "through `Trainer(...)`, `fit` (1 epoch, 20 steps), `fit` again (to 2 epochs), `evaluate`, "
             "`predict`, `freeze`, `export_saved_model`, each tree in a fresh process. Grappler runs are "
             "TensorFlow's graph optimisations (one per new session and step signature)." % (
                 command, tf.__version__, os.cpu_count(), os.getloadavg()[0]), "",
             "| phase | " + " | ".join("%s: CPU s, sessions, Grappler runs" % name for name, _ in lives) + " |",
             "|---|" + "---|" * len(lives)]
    for p in PHASES:
        lines.append("| %s | " % p + " | ".join(
            "%.2f, %d, %d" % (r[p]["cpu"], r[p]["sessions"], r[p].get("grappler", 0)) for _, r in lives) + " |")
    lines.append("| whole life, CPU s | " + " | ".join("%.2f" % sum(r[p]["cpu"] for p in PHASES)
                                                       for _, r in lives) + " |")
    benchdoc.publish(TITLE, "\n".join(lines), args.write_docs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
