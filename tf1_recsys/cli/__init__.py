"""The ``tf1-recsys`` command (also ``python -m tf1_recsys``).

Subcommands: ``demo``, ``train``, ``evaluate``, ``freeze``, ``importance``, ``auc``, ``launch``, ``doctor``.
User errors (a missing file, a malformed CSV row, an unknown model, an output folder
that would be overwritten) print one line ``tf1-recsys: error: ...`` and exit with 2.
TensorFlow is imported only by the subcommands that build graphs (not by ``auc``).
"""
import argparse
import sys

from tf1_recsys.cli import doctor
from tf1_recsys.cli.common import CLIError
from tf1_recsys.version import __version__

DESCRIPTION = """TensorFlow-1-style recommendation models (FM, DIN, MMoE, SENet) in graph mode:
train, evaluate, explain (gradient sensitivity) and freeze them, on embedded synthetic
data or on MovieLens. Start with: tf1-recsys demo"""


def _progress_flags(p):
    g = p.add_mutually_exclusive_group()
    g.add_argument("--progress", dest="progress", action="store_true", default=None,
                   help="show progress bars (default: only on a terminal)")
    g.add_argument("--no-progress", dest="progress", action="store_false", help="hide progress bars")


def _data_flags(p, default=None, required=False):
    p.add_argument("--data", default=default, required=required, metavar="{synthetic,movielens:PATH}",
                   help="'synthetic' (embedded generator) or 'movielens:PATH' (folder of ml-latest-small)"
                   + ("" if required else "; default: the data the model was trained on"))


def build_parser():
    parser = argparse.ArgumentParser(prog="tf1-recsys", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version="tf1-recsys " + __version__)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("demo", help="train din, fm and mmoe on the embedded data; AUC, GAUC, "
                       "sensitivity, frozen graph", description="Trains din (and quickly fm and a two-task "
                       "mmoe) on the embedded synthetic CTR data; prints test AUC by the notes' three methods, "
                       "GAUC and the Bayes-optimal AUC; ranks the features by gradient sensitivity (table and "
                       "bar chart); freezes din, reloads it and checks its outputs. A few minutes on 2 cores.")
    p.add_argument("--out", help="output folder (default: ./tf1_recsys_demo; when it already holds a run, "
                   "a fresh ./tf1_recsys_demo-2, -3, ... is used unless --overwrite)")
    p.add_argument("--overwrite", action="store_true", help="replace the output folder of an earlier run")
    p.add_argument("--seed", type=int, default=0, help="seed of the data and of training (default 0)")
    p.add_argument("--rows", type=int, help="number of synthetic impressions (default 300000)")
    p.add_argument("--epochs", type=int, help="din epochs (default 3); given, fm and mmoe train 1 epoch "
                   "each (default 2 each)")
    p.add_argument("--skip-others", action="store_true", help="train only din")
    _progress_flags(p)

    p = sub.add_parser("train", help="train a model on synthetic data or MovieLens",
                       description="Trains a model and writes checkpoints, TensorBoard logs and run.json "
                       "into --out; prints the test AUC and GAUC.")
    p.add_argument("--model", required=True, metavar="{fm,din,dien,mmoe}", help="the model to train")
    _data_flags(p, required=True)
    p.add_argument("--out", help="output folder (default: runs/<model>)")
    p.add_argument("--overwrite", action="store_true", help="remove what tf1-recsys wrote in --out "
                   "(other files are kept) and train afresh")
    p.add_argument("--resume", action="store_true", help="continue from the latest checkpoint in --out, "
                   "with the model and data settings recorded in its run.json (only --epochs and the "
                   "checkpoint intervals may change)")
    p.add_argument("--epochs", type=int, help="passes over the training data (default: per model and data)")
    p.add_argument("--batch-size", type=int)
    p.add_argument("--lr", type=float, help="learning rate")
    p.add_argument("--optimizer", choices=["adam", "lazy_adam", "adagrad", "ftrl", "sgd", "momentum", "rmsprop"],
                   help="default: per model and data (adam). lazy_adam updates only the embedding rows a "
                   "batch touches: its step time does not grow with the vocabulary (docs/BENCHMARKS.md)")
    p.add_argument("--embedding-size", type=int)
    p.add_argument("--seed", type=int, help="seed of training (and of the synthetic data); default 0")
    p.add_argument("--rows", type=int, help="synthetic data: number of impressions")
    p.add_argument("--protocol", choices=["rating", "next"], help="MovieLens: 'rating' (default; label rating "
                   ">= 4, each user's last 20%% of ratings as test) or 'next' (the next movie a user rates "
                   "against a random unrated one, with the same history; each user's last position as test)")
    p.add_argument("--checkpoint-steps", type=int, metavar="N",
                   help="save a checkpoint every N steps (default 500)")
    p.add_argument("--checkpoint-secs", type=float, metavar="S",
                   help="also save every S seconds (default 60); Ctrl-C or SIGTERM saves before exiting")
    p.add_argument("--cluster", action="store_true", help="run one task of the parameter-server cluster in "
                   "$TF_CONFIG (what a TF_CONFIG naming a cluster does anyway; this flag makes its absence an "
                   "error): ps tasks serve, the chief writes --out; see `tf1-recsys launch` and "
                   "docs/DISTRIBUTED.md")
    _progress_flags(p)

    p = sub.add_parser("evaluate", help="AUC and GAUC of a trained model",
                       description="Restores the latest checkpoint of a `train` folder and reports AUC (the "
                       "notes' three methods) and GAUC on a split; optionally writes label,score,group CSV.")
    p.add_argument("--model-dir", required=True, help="folder written by `tf1-recsys train`")
    _data_flags(p)
    p.add_argument("--split", choices=["test", "valid", "train"], default="test",
                   help="default test; valid exists for MovieLens's 'next' protocol")
    p.add_argument("--scores-out", metavar="CSV", help="write label,score,group of one task to this file")
    p.add_argument("--task", help="task of --scores-out (default: the first)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --scores-out file")
    _progress_flags(p)

    p = sub.add_parser("freeze", help="freeze a trained model into a serving GraphDef",
                       description="Freezes the latest checkpoint (variables -> constants, training switch -> "
                       "False), writes the .pb and its input/output names, reloads it and compares its "
                       "outputs with the session's on test rows.")
    p.add_argument("--model-dir", required=True, help="folder written by `tf1-recsys train`")
    p.add_argument("--output", help="the .pb to write (default: <model-dir>/frozen.pb)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing .pb or .serving.json that "
                   "tf1-recsys did not write (its own earlier ones are replaced anyway)")
    p.add_argument("--no-check", action="store_true", help="skip reloading and comparing the outputs")
    p.add_argument("--onnx", action="store_true",
                   help="also write <output stem>.onnx (tf2onnx, opset 17; needs the onnx extra), written only "
                   "when onnxruntime matches the TensorFlow session to 1e-5 on test rows (on random inputs "
                   "with --no-check)")
    _data_flags(p)
    _progress_flags(p)

    p = sub.add_parser("importance", help="rank features by gradient sensitivity",
                       description="The notes' get_gradients: per prediction head, |batch mean of "
                       "d prediction / d input|; real-valued features one by one, each slot by the max over "
                       "its embedding dimensions. Prints the ranked table, writes CSV and a bar chart PNG.")
    p.add_argument("--model-dir", required=True, help="folder written by `tf1-recsys train`")
    _data_flags(p)
    p.add_argument("--rows", type=int, default=4096, help="test rows in the batch (default 4096)")
    p.add_argument("--png", help="bar chart file (default: <model-dir>/importance.png; needs matplotlib)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing .png or .csv that tf1-recsys "
                   "did not write (its own earlier ones are replaced anyway)")
    _progress_flags(p)

    p = sub.add_parser("auc", help="AUC / GAUC of a CSV of label,score[,group] (no TensorFlow)",
                       description="Reads label,score[,group] rows (a header line is optional; labels 0/1) "
                       "and prints the AUC, and the GAUC when a group column is present.")
    p.add_argument("file", help="the CSV file")
    p.add_argument("--weighting", choices=["impressions", "clicks", "uniform"], default="impressions",
                   help="weight of each group's AUC in the GAUC (default: impressions)")
    p.add_argument("--notes", action="store_true",
                   help="also the notes' three methods (calcAUC_byProb is O(positives x negatives))")
    p = sub.add_parser("launch", help="run a command as every task of a local parameter-server cluster",
                       usage="tf1-recsys launch [--ps N] [--workers M] [--evaluator] [options] -- COMMAND ...",
                       description="Starts COMMAND once per task (ps, chief, workers, evaluator) on free "
                       "127.0.0.1 ports with its TF_CONFIG, prefixes each output line with the task, and stops "
                       "every task when one fails, at --timeout, or when the ps tasks outlive training. A "
                       "COMMAND starting with a tf1-recsys subcommand (`-- train --model din ...`) runs it "
                       "with this Python. Exits with the first failed task's status (124: --timeout).")
    p.add_argument("--ps", type=int, default=1, help="parameter-server tasks (default 1)")
    p.add_argument("--workers", type=int, default=2, help="training tasks, the first is the chief (default 2)")
    p.add_argument("--evaluator", action="store_true", help="add an evaluator task")
    p.add_argument("--timeout", type=float, default=3600.0,
                   help="seconds until every task is stopped, also each task's own deadline (default 3600)")
    p.add_argument("--ps-grace", type=float, default=30.0,
                   help="seconds the ps tasks may run after training ended (default 30)")
    p.add_argument("--restarts", type=int, default=0,
                   help="restarts of a task that fails or is killed before the run fails (default 0)")
    p.add_argument("--netns", default="auto", help="auto|yes|no: run the tasks in a private network namespace "
                   "with only the loopback interface (default auto: when `unshare --net` works)")
    p.add_argument("task_command", nargs=argparse.REMAINDER, metavar="COMMAND",
                   help="-- then the command of every task")
    doctor.add_parser(sub)
    return parser


def _commands():
    from tf1_recsys.cli import cluster, commands, demo

    return {"demo": demo.cmd_demo, "train": commands.cmd_train, "evaluate": commands.cmd_evaluate,
            "freeze": commands.cmd_freeze, "importance": commands.cmd_importance, "auc": commands.cmd_auc,
            "launch": cluster.cmd_launch, "doctor": doctor.cmd_doctor}


def _os_error(e):
    reason = e.strerror or str(e)
    names = [n for n in (e.filename, e.filename2) if n]
    return "%s%s" % (reason, ": " + " -> ".join(str(n) for n in names) if names else "")


def main(argv=None):
    """Runs the command line ``argv`` (default ``sys.argv[1:]``); returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # --help, --version, or a usage error (argparse prints it)
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 2)
    if not args.command:
        parser.print_help()
        return 2
    from tf1_recsys.cli.outdir import background_write_errors, disk_error, release_locks

    with background_write_errors() as failed_writes:
        try:
            rc = _commands()[args.command](args)
        except CLIError as e:
            return _error(e)
        except KeyboardInterrupt:
            print("tf1-recsys: interrupted", file=sys.stderr)
            return 130
        except OSError as e:  # a file the command could not write or read (read-only folder, full disk)
            return _error(_os_error(e))
        except Exception as e:  # TensorFlow refusing the data (an id outside its table), a full disk: one line too
            line = disk_error(e)
            if line is None and (type(e).__name__ != "InvalidArgumentError"
                                 or not type(e).__module__.startswith("tensorflow")):
                raise
            return _error(line or str(getattr(e, "message", e)).splitlines()[0])
        finally:
            release_locks()
    if failed_writes and rc == 0:  # a write in one of TensorFlow's threads failed, the command did not notice
        return _error(failed_writes[0])
    return rc


def _error(message):
    print("tf1-recsys: error: %s" % message, file=sys.stderr, flush=True)
    return 2


__all__ = ["main", "build_parser", "CLIError"]
