"""Shared pieces of the ``tf1-recsys`` commands: errors, output folders, data, TensorFlow import.

Nothing here imports TensorFlow at module level: ``tf1-recsys auc`` must run without it.
"""
import json
import math
import os
import sys

RUN_FILE = "run.json"


class CLIError(Exception):
    """An expected user error: printed as one line, exit code 2."""


def say(*parts):
    print(*parts, flush=True)


_NUMBER_FLAGS = (("epochs", "--epochs", 1), ("batch_size", "--batch-size", 1), ("lr", "--lr", 0),
                 ("embedding_size", "--embedding-size", 1), ("rows", "--rows", 1),
                 ("checkpoint_steps", "--checkpoint-steps", 1), ("checkpoint_secs", "--checkpoint-secs", 0),
                 ("seed", "--seed", None))


def check_numbers(args):
    """CLIError naming the flag when a number on the command line is out of range.

    Counts and sizes must be positive, --lr and --checkpoint-secs positive and finite,
    --seed non-negative; only the flags the command has are checked.
    """
    for attr, flag, least in _NUMBER_FLAGS:
        value = getattr(args, attr, None)
        if value is None:
            continue
        if least is None:
            if value < 0:
                raise CLIError("%s must be a non-negative integer; got %s" % (flag, value))
        elif not (value > 0 and math.isfinite(value)):
            raise CLIError("%s must be positive%s; got %s"
                           % (flag, " and finite" if isinstance(value, float) else "", value))


def progress_enabled(args):
    """tqdm bars: ``--progress`` / ``--no-progress``, else only when stderr is a terminal."""
    flag = getattr(args, "progress", None)
    return sys.stderr.isatty() if flag is None else flag


def import_tf():
    """Imports TensorFlow quietly (only the commands that build graphs call this).

    TensorFlow's C++ start-up lines (CUDA probing, CPU features) are sent to /dev/null
    during the import, and its C++ log level is set to 3, unless TF1_RECSYS_TF_LOGS=1;
    Python errors still show.
    """
    # 3: also TensorFlow's C++ error-level notices (cuInit without a GPU, oneDNN kernel
    # choices), which are not errors of the run; Python exceptions still show.
    if os.environ.get("TF1_RECSYS_TF_LOGS") != "1":
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if "tensorflow" not in sys.modules and os.environ.get("TF1_RECSYS_TF_LOGS") != "1":
        sys.stderr.flush()
        saved = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        try:
            import tensorflow  # noqa: F401
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            os.close(devnull)
    from tf1_recsys._tf import tf
    import logging

    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    return tf


# ------------------------------------------------------------------ files
def write_json(path, obj):
    """Writes ``obj`` as JSON atomically: a reader sees the old file or the new one, never half."""
    tmp = "%s.tmp-%d" % (path, os.getpid())
    try:
        with open(tmp, "w") as f:
            json.dump(obj, f, indent=2, sort_keys=True, default=_jsonable)
            f.write("\n")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _jsonable(x):
    if hasattr(x, "item"):
        return x.item()
    if isinstance(x, tuple):
        return list(x)
    raise TypeError("not JSON serialisable: %r" % (x,))


def read_run(model_dir):
    """The ``run.json`` of a ``train`` output folder; CLIError when it is missing."""
    if not os.path.isdir(model_dir):
        raise CLIError("model folder %s does not exist" % model_dir)
    path = os.path.join(model_dir, RUN_FILE)
    if not os.path.isfile(path):
        raise CLIError("%s has no %s: not a folder written by `tf1-recsys train`" % (model_dir, RUN_FILE))
    try:
        with open(path, encoding="utf-8") as f:
            run = json.load(f)
    except ValueError as e:
        raise CLIError("%s is not valid JSON (%s)" % (path, e)) from None
    check_run(run, path)
    return with_former_defaults(run)


FORMER_DEFAULTS = {"dien": {"history_sum": False}}
"""Model -> {hparam: the default it had before it changed}. A run.json written before the change
recorded its preset, which left such an hparam out; read back, it keeps the model it trained."""


def with_former_defaults(run):
    """``run`` with each former default that its hparams leave out filled in."""
    for key, value in FORMER_DEFAULTS.get(run["model"], {}).items():
        run["hparams"].setdefault(key, value)
    return run


_RUN_KEYS = {"model": str, "data": str, "seed": int, "hparams": dict, "train": dict, "schema": dict}


def check_run(run, path):
    """CLIError naming ``path`` and the key when an (edited) run.json cannot describe a run."""
    from tf1_recsys.models import MODEL_NAMES  # no TensorFlow import

    if not isinstance(run, dict):
        raise CLIError("%s: expected a JSON object, got %s" % (path, type(run).__name__))
    for key, kind in _RUN_KEYS.items():
        if key not in run:
            raise CLIError("%s: missing key %r (keys: %s)" % (path, key, ", ".join(sorted(run))))
        if not isinstance(run[key], kind) or isinstance(run[key], bool):
            raise CLIError("%s: %r must be a JSON %s; got %r" % (path, key, kind.__name__, run[key]))
    if run["model"] not in MODEL_NAMES:
        raise CLIError("%s: unknown model %r; known: %s" % (path, run["model"], ", ".join(MODEL_NAMES)))
    parse_data(run["data"])
    from tf1_recsys.data.schema import Schema

    try:
        Schema.from_dict(run["schema"])
    except (KeyError, TypeError, ValueError) as e:
        raise CLIError("%s: 'schema' is not a valid schema (%s: %s)" % (path, type(e).__name__, e)) from None


# ------------------------------------------------------------------ data
def parse_data(text):
    """``'synthetic'`` -> ('synthetic', None); ``'movielens:PATH'`` -> ('movielens', PATH)."""
    if text == "synthetic":
        return "synthetic", None
    if text.startswith("movielens:") and len(text) > len("movielens:"):
        return "movielens", text[len("movielens:"):]
    raise CLIError("unknown --data %r; use 'synthetic' or 'movielens:PATH' (a folder with ratings.csv "
                   "and movies.csv)" % text)


def load_data(data, seed=0, rows=None, protocol=None):
    """Loads ``--data``: a SyntheticData or MovieLensData (``.schema``, ``.train``, ``.test``).

    ``protocol`` ('rating' or 'next') applies to MovieLens only.
    """
    from tf1_recsys.data.csvio import DataError

    kind, path = parse_data(data)
    if protocol not in (None, "rating") and kind != "movielens":
        raise CLIError("--protocol %s applies to MovieLens data only, not --data %s" % (protocol, data))
    try:
        if kind == "synthetic":
            from tf1_recsys.data.synthetic import generate

            overrides = {"seed": seed}
            if rows:
                overrides["num_impressions"] = rows
            return generate(**overrides)
        from tf1_recsys.data.movielens import load_movielens

        return load_movielens(path, protocol=protocol or "rating")
    except (DataError, ValueError) as e:
        hint = " (use more --rows)" if kind == "synthetic" and rows and "one class" in str(e) else ""
        raise CLIError(str(e) + hint) from None
    except MemoryError as e:
        what = "--rows %d" % rows if kind == "synthetic" and rows else "--data %s" % data
        raise CLIError("%s: not enough memory to load the data (%s); use fewer rows" % (what, e)) from None


def data_kind(data):
    return parse_data(data)[0]
