"""Shared pieces of the ``tf1-recsys`` commands: errors, output folders, data, TensorFlow import.

Nothing here imports TensorFlow at module level: ``tf1-recsys auc`` must run without it.
"""
import datetime
import json
import os
import shutil
import sys

MARKER = ".tf1_recsys_output"
"""File marking a folder written by tf1-recsys; ``--overwrite`` only ever removes such folders."""

RUN_FILE = "run.json"


class CLIError(Exception):
    """An expected user error: printed as one line, exit code 2."""


def say(*parts):
    print(*parts, flush=True)


def progress_enabled(args):
    """tqdm bars: ``--progress`` / ``--no-progress``, else only when stderr is a terminal."""
    flag = getattr(args, "progress", None)
    return sys.stderr.isatty() if flag is None else flag


def import_tf():
    """Imports TensorFlow quietly (only the commands that build graphs call this).

    TensorFlow's C++ start-up lines (CUDA probing, CPU features) are sent to /dev/null
    during the import unless TF1_RECSYS_TF_LOGS=1; Python errors still show.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
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


# ------------------------------------------------------------------ folders
def _is_ours(path):
    return os.path.isfile(os.path.join(path, MARKER))


def check_out(path, overwrite=False, what="output folder"):
    """CLIError unless ``prepare_out(path, overwrite)`` can go ahead (creates nothing)."""
    if os.path.exists(path):
        if not os.path.isdir(path):
            raise CLIError("%s %s exists and is a file" % (what, path))
        if os.listdir(path):
            if not overwrite:
                raise CLIError("%s %s exists and is not empty; pass --overwrite to replace it" % (what, path))
            if not _is_ours(path):
                raise CLIError("%s %s was not written by tf1-recsys; refusing to delete it "
                               "(choose another --out)" % (what, path))


def prepare_out(path, overwrite=False, what="output folder"):
    """Creates the empty folder ``path``; CLIError when it exists and is not empty.

    With ``overwrite`` a previous tf1-recsys folder (holding the marker file) is removed
    first; a non-empty folder that tf1-recsys did not write is never removed.
    """
    check_out(path, overwrite, what)
    if os.path.isdir(path) and os.listdir(path):
        shutil.rmtree(path)
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, MARKER), "w") as f:
        f.write("written by tf1-recsys on %s\n" % datetime.datetime.now().isoformat(timespec="seconds"))
    return path


def fresh_folder(path):
    """``path`` when it is free or empty, else the first free ``path-2``, ``path-3``, ..."""
    candidate, k = path, 1
    while os.path.exists(candidate) and (not os.path.isdir(candidate) or os.listdir(candidate)):
        k += 1
        candidate = "%s-%d" % (path.rstrip("/\\"), k)
    return candidate


def check_new_file(path, overwrite, what="output file"):
    if os.path.isdir(path):
        raise CLIError("%s %s is a folder" % (what, path))
    if os.path.exists(path) and not overwrite:
        raise CLIError("%s %s exists; pass --overwrite to replace it" % (what, path))
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise CLIError("folder %s of %s %s does not exist" % (parent, what, path))


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=2, sort_keys=True, default=_jsonable)
        f.write("\n")


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
        with open(path) as f:
            return json.load(f)
    except ValueError as e:
        raise CLIError("%s is not valid JSON (%s)" % (path, e)) from None


# ------------------------------------------------------------------ data
def parse_data(text):
    """``'synthetic'`` -> ('synthetic', None); ``'movielens:PATH'`` -> ('movielens', PATH)."""
    if text == "synthetic":
        return "synthetic", None
    if text.startswith("movielens:") and len(text) > len("movielens:"):
        return "movielens", text[len("movielens:"):]
    raise CLIError("unknown --data %r; use 'synthetic' or 'movielens:PATH' (a folder with ratings.csv "
                   "and movies.csv)" % text)


def load_data(data, seed=0, rows=None):
    """Loads ``--data``: a SyntheticData or MovieLensData (``.schema``, ``.train``, ``.test``)."""
    from tf1_recsys.data.csvio import DataError

    kind, path = parse_data(data)
    try:
        if kind == "synthetic":
            from tf1_recsys.data.synthetic import generate

            overrides = {"seed": seed}
            if rows:
                overrides["num_impressions"] = rows
            return generate(**overrides)
        from tf1_recsys.data.movielens import load_movielens

        return load_movielens(path)
    except (DataError, ValueError) as e:
        raise CLIError(str(e)) from None


def data_kind(data):
    return parse_data(data)[0]
