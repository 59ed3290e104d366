"""``tf1-recsys launch`` and ``tf1-recsys train`` as one task of a parameter-server cluster.

``train`` runs one task of the cluster in ``$TF_CONFIG`` (set by ``tf1-recsys launch``,
or by Kubernetes, YARN, Slurm: docs/DISTRIBUTED.md) when ``--cluster`` is given or
``$TF_CONFIG`` names a cluster. Every task runs the same command line:

* ps: serves its share of the variables until every training task is done;
* chief: the only task that writes ``--out``: it takes the folder's lock and marker,
  writes run.json, trains, checkpoints, and at the end scores the test split with the
  single-process model restored from the cluster's checkpoint (as ``train`` does);
* worker: trains; evaluator: evaluates each new checkpoint on the test split.

Training is ``tf1_recsys.estimator.train_and_evaluate`` of ``tf1_recsys.models.model_fn``
with every embedding table cut into ``SHARDS_PER_PS`` partitions per ps task. A chief
restarted with the same command continues from the checkpoint in ``--out``; so does a
whole cluster started again.
"""
import json
import math
import os
import sys

from tf1_recsys.cli import runs
from tf1_recsys.cli.common import (
    RUN_FILE,
    CLIError,
    _jsonable,
    import_tf,
    read_run,
    say,
    write_json,
)
from tf1_recsys.cli.outdir import OutputFolder, check_out

SHARDS_PER_PS = 2
"""Each embedding table is cut into this many partitions per ps task (round-robin over the ps)."""
_SUBCOMMANDS = ("train", "evaluate", "freeze", "importance", "demo", "auc")
_SAME_RUN = ("model", "data", "seed", "rows", "hparams", "train", "protocol")


# ------------------------------------------------------------------ launch
def cmd_launch(args):
    from tf1_recsys.estimator.launch import launch

    command = list(args.task_command)
    if command[:1] == ["--"]:
        command = command[1:]
    if not command:
        raise CLIError("launch: no command after --; e.g. tf1-recsys launch --ps 1 --workers 2 -- train --model "
                       "din --data synthetic --out runs/din-cluster")
    if command[0] in _SUBCOMMANDS:  # a tf1-recsys subcommand: run it with this Python
        command = [sys.executable, "-m", "tf1_recsys"] + command
    for flag, value, least in (("--ps", args.ps, 1), ("--workers", args.workers, 1)):
        if value < least:
            raise CLIError("launch: %s must be >= %d; got %s" % (flag, least, value))
    try:  # launch() checks the other numbers and the program
        result = launch(command, args.ps, args.workers, args.evaluator, args.timeout, args.netns, args.ps_grace,
                        restarts=args.restarts)
    except (ValueError, RuntimeError) as e:
        raise CLIError(str(e)) from None
    return result.returncode


# ------------------------------------------------------------------ train, one task
def cluster_task():
    """The ``TaskInfo`` of ``$TF_CONFIG`` when it names a cluster, else None; CLIError when malformed."""
    from tf1_recsys.estimator.tf_config import parse_tf_config  # no TensorFlow import

    if not os.environ.get("TF_CONFIG"):
        return None
    try:
        info = parse_tf_config()
    except (TypeError, ValueError) as e:  # tf.estimator's messages, some of several lines: one line here
        raise CLIError(" ".join(str(e).split())) from None
    return info if info.cluster or info.task_type == "evaluator" else None


def _recording_listener(folder):
    """A ``CheckpointSaverListener`` that records each checkpoint's files in ``folder``'s marker."""
    from tf1_recsys._tf import tf

    class RecordCheckpoints(tf.train.CheckpointSaverListener):
        def after_save(self, session, global_step_value):
            folder.record_new()

    return RecordCheckpoints()


def _prepare_chief_folder(out, run):
    """Locks and marks ``out`` for the chief; continues a folder holding this same cluster run."""
    folder = OutputFolder(out)
    if os.path.isfile(os.path.join(out, RUN_FILE)) and folder.is_ours():
        previous = read_run(out)
        as_json = json.loads(json.dumps({k: run.get(k) for k in _SAME_RUN}, default=_jsonable))
        if "cluster" not in previous:
            raise CLIError("output folder %s holds a single-process run (its %s records no cluster), whose "
                           "checkpoint a cluster cannot continue: choose another --out" % (out, RUN_FILE))
        changed = _changed_settings({k: previous.get(k) for k in _SAME_RUN}, as_json)
        if changed:
            raise CLIError("output folder %s holds another run (its %s records %s); a cluster run continues "
                           "only its own folder with the same settings: choose another --out"
                           % (out, RUN_FILE, "; ".join(changed)))
        folder.lock()
        folder.snapshot()
        return folder, True
    check_out(out, False)
    return folder.prepare(False), False


def _changed_settings(recorded, given):
    """``['epochs 1, not 2', ...]``: the settings (train settings one by one) that differ."""
    changed = []
    for key in sorted(set(recorded) | set(given)):
        old, new = recorded.get(key), given.get(key)
        if isinstance(old, dict) and isinstance(new, dict):
            changed += ["%s %s, not %s" % (k, old.get(k), new.get(k)) for k in sorted(set(old) | set(new))
                        if old.get(k) != new.get(k)]
        elif old != new:
            changed.append("%s %s, not %s" % (key, old, new))
    return changed


def train_task(args, info):
    """``tf1-recsys train`` as the task ``info`` of a cluster; returns the exit code."""
    if args.resume or args.overwrite:
        raise CLIError("%s with a cluster: a cluster run continues from the checkpoint in --out by itself "
                       "(so a restarted task resumes), and never removes it; drop the flag, or remove the "
                       "folder by hand" % ("--resume" if args.resume else "--overwrite"))
    model, kind, out = runs.checked_flags(args)
    task = "%s:%d" % (info.task_type, info.task_id)
    run = runs.new_run(args, model, kind)
    run["cluster"] = {"ps": info.num_ps_replicas, "workers": info.num_worker_replicas}
    if info.task_type == "ps":
        import_tf()
        from tf1_recsys.estimator import RunConfig, cluster

        say("%s: serving %s's variables" % (task, model))
        cluster.serve_ps(RunConfig(model_dir=out))
        return 0
    folder, continued = (None, False)
    if info.is_chief:
        folder, continued = _prepare_chief_folder(out, run)
    data = runs.load_checked_data(run, out)
    say("%s: data: %s" % (task, data.describe()))
    import_tf()
    from tf1_recsys import estimator as tf_estimator
    from tf1_recsys.models.model_fn import model_arrays, model_fn

    settings = run["train"]
    n_train = len(data.train[data.schema.labels[0]])
    max_steps = settings.get("epochs", 1) * math.ceil(n_train / settings["batch_size"])
    by_secs = args.checkpoint_secs is not None
    # Only the chief initialises variables: a worker's graph seed draws only its order of the rows.
    config = tf_estimator.RunConfig(
        model_dir=out, tf_random_seed=run["seed"] + (info.global_id or 0), save_summary_steps=settings.get("log_every", 100),
        save_checkpoints_steps=None if by_secs else settings.get("checkpoint_every", 500),
        save_checkpoints_secs=settings["checkpoint_secs"] if by_secs else None,
        keep_checkpoint_max=settings.get("max_to_keep", 3), log_step_count_steps=settings.get("log_every", 100),
        stop_grace_period_secs=5)
    params = {"model": model, "schema": run["schema"], "hparams": run["hparams"], "seed": run["seed"],
              "train": settings, "num_shards": SHARDS_PER_PS * info.num_ps_replicas}
    est = tf_estimator.Estimator(model_fn, model_dir=out, config=config, params=params)
    train_fn = tf_estimator.inputs.numpy_input_fn(*model_arrays(data.train, data.schema),
                                                  batch_size=settings["batch_size"], num_epochs=None, shuffle=True)
    eval_fn = tf_estimator.inputs.numpy_input_fn(*model_arrays(data.test, data.schema),
                                                 batch_size=4 * settings["batch_size"], num_epochs=1, shuffle=False)
    listeners = []
    if folder is not None:
        folder.record(RUN_FILE)
        write_json(os.path.join(out, RUN_FILE), run)
        listeners.append(_recording_listener(folder))
        say("%s: %s %s, %d ps task(s) holding the embedding tables in %d partitions; to global step %d (the "
            "last checkpoint can be up to %d past it: asynchronous steps of the other workers still land)"
            % (task, "continuing" if continued else "training", model, info.num_ps_replicas,
               SHARDS_PER_PS * info.num_ps_replicas, max_steps, 2 * (info.num_worker_replicas - 1)))
    try:
        result = tf_estimator.train_and_evaluate(
            est, tf_estimator.TrainSpec(train_fn, max_steps=max_steps, saving_listeners=listeners),
            tf_estimator.EvalSpec(eval_fn, steps=None, start_delay_secs=0, throttle_secs=10))
    finally:
        if folder is not None:
            folder.record_new()
    if info.task_type == "evaluator":
        say("%s: final evaluation: %s" % (task, ", ".join(
            "%s %.4f" % (k, float(v)) for k, v in sorted(result[0].items()) if k != "global_step")))
        return 0
    if not info.is_chief:
        say("%s: trained; the chief writes the results into %s" % (task, out))
        return 0
    return _score_chief(run, out, data, folder)


def _score_chief(run, out, data, folder):
    """The test AUC / GAUC of the cluster's last checkpoint, restored into the single-process model."""
    from tf1_recsys.cli.report import make_trainer, score

    trainer = make_trainer(run, out, progress=False)
    try:
        if trainer.restored_from is None:
            raise CLIError("%s has no checkpoint after training" % out)
        step = trainer.step
        _, reports = score(trainer, data.test, data.schema)
    finally:
        trainer.close()
    runs.report_test_results(run, out, data, reports, step)
    folder.record_new()
    return 0


__all__ = ["cmd_launch", "cluster_task", "train_task"]
