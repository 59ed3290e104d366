"""Checkpoint compatibility: which variables of a model an old checkpoint restores.

``tf.compat.v1.train.Saver`` stores each variable under its name with its shape and
dtype; a partitioned variable is stored once, under its full name
(``_save_slice_info.full_name``) with its full shape, whatever the partitioning. A
model restores from a checkpoint when every one of its (full) names is in the
checkpoint with the same shape and dtype. Names in the checkpoint the model lacks
(optimizer slots, a dropped head) do not stop a restore of the model's variables.

The shape check is needed: ``Saver.restore`` of a graph of resource variables (TF2's
default) loads a checkpoint value of another shape without any error (seen on
TensorFlow 2.12 and 2.21): the variable then holds an array of the old shape, and the
model fails later, or computes garbage.

Public API:
  checkpoint_report(checkpoint, model_fn) -> CheckpointReport
  assert_checkpoint_restores(checkpoint, model_fn, allow_unexpected=True) -> CheckpointReport
"""
import collections

from tf1_recsys._tf import tf
from tf1_recsys.testing.manifest import guess_renames
from tf1_recsys.training.checkpoint import saved_variables
from tf1_recsys.testing.model import build_variables

# Keys an object-based (TF2 tf.train.Checkpoint) writer adds that are not variables.
_NOT_VARIABLES = ("_CHECKPOINTABLE_OBJECT_GRAPH",)

Mismatch = collections.namedtuple("Mismatch", "name model checkpoint")


class CheckpointMismatch(AssertionError):
    """A checkpoint does not restore into a model; the message lists every variable at fault."""


class CheckpointReport(collections.namedtuple(
        "CheckpointReport", "checkpoint restored missing unexpected shape_mismatch dtype_mismatch renamed")):
    """How a checkpoint fits a model.

    Attributes:
      checkpoint: the checkpoint prefix read.
      restored: names restored as they are (in the model's order).
      missing: names of the model absent from the checkpoint.
      unexpected: names in the checkpoint the model does not have (sorted).
      shape_mismatch, dtype_mismatch: ``Mismatch(name, model, checkpoint)``.
      renamed: best guesses ``(checkpoint name, model name)`` pairing a missing with an
        unexpected name of the same shape and dtype.
    """

    @property
    def restores(self):
        """True when every model variable restores (unexpected names allowed)."""
        return not (self.missing or self.shape_mismatch or self.dtype_mismatch)

    def text(self):
        """A multi-line summary naming every variable that does not restore as it is."""
        lines = ["checkpoint %s: %d of %d model variables restore" % (
            self.checkpoint, len(self.restored),
            len(self.restored) + len(self.missing) + len(self.shape_mismatch) + len(self.dtype_mismatch))]
        renamed = dict((new, old) for old, new in self.renamed)
        for name in self.missing:
            hint = " (renamed from %s?)" % renamed[name] if name in renamed else ""
            lines.append("  missing from the checkpoint: %s%s" % (name, hint))
        for m in self.shape_mismatch:
            lines.append("  shape differs: %s: model %s, checkpoint %s" % m)
        for m in self.dtype_mismatch:
            lines.append("  dtype differs: %s: model %s, checkpoint %s" % m)
        for name in self.unexpected:
            lines.append("  unexpected (in the checkpoint, not in the model): %s" % name)
        return "\n".join(lines)


def checkpoint_report(checkpoint, model_fn):
    """Compares ``checkpoint`` with the variables ``model_fn`` creates in a fresh graph.

    Args:
      checkpoint: a checkpoint prefix ('dir/model.ckpt-500') or a model directory (latest).
      model_fn: see ``tf1_recsys.testing.model``.
    Returns:
      ``CheckpointReport``.
    Raises:
      ``tf1_recsys.training.checkpoint.CheckpointError`` when there is no readable checkpoint.
    """
    from tf1_recsys.training.checkpoint import CheckpointError, resolve_checkpoint

    prefix = resolve_checkpoint(checkpoint)
    try:
        reader = tf.train.load_checkpoint(prefix)
        shapes = reader.get_variable_to_shape_map()
        dtypes = reader.get_variable_to_dtype_map()
    except Exception as e:
        raise CheckpointError("checkpoint %s is unreadable: %s" % (prefix, e)) from e
    stored = {name: (list(shape), dtypes[name].base_dtype.name) for name, shape in shapes.items()
              if name not in _NOT_VARIABLES}
    with tf.Graph().as_default():
        model = saved_variables(build_variables(model_fn))
    restored, missing, shape_mismatch, dtype_mismatch = [], [], [], []
    for name, (shape, dtype) in model.items():
        if name not in stored:
            missing.append(name)
        elif stored[name][0] != shape:
            shape_mismatch.append(Mismatch(name, shape, stored[name][0]))
        elif stored[name][1] != dtype:
            dtype_mismatch.append(Mismatch(name, dtype, stored[name][1]))
        else:
            restored.append(name)
    unexpected = sorted(set(stored) - set(model))

    def entries(names, table):
        return [{"name": n, "shape": table[n][0], "dtype": table[n][1]} for n in names]

    pairs = guess_renames(entries(unexpected, stored), entries(missing, model))
    renamed = [(old["name"], new["name"]) for old, new in pairs]
    return CheckpointReport(prefix, restored, missing, unexpected, shape_mismatch, dtype_mismatch, renamed)


def assert_checkpoint_restores(checkpoint, model_fn, allow_unexpected=True):
    """Raises ``CheckpointMismatch`` unless every variable of ``model_fn`` restores from ``checkpoint``.

    Args:
      allow_unexpected: when False, names in the checkpoint that the model lacks fail too.
    Returns:
      The ``CheckpointReport`` when it passes.
    """
    report = checkpoint_report(checkpoint, model_fn)
    if not report.restores or (report.unexpected and not allow_unexpected):
        raise CheckpointMismatch(
            "checkpoint %s does not restore into the model as it is; an old checkpoint in "
            "production would fail the same way.\n%s" % (report.checkpoint, report.text()))
    return report


__all__ = ["checkpoint_report", "assert_checkpoint_restores", "CheckpointReport", "CheckpointMismatch",
           "Mismatch", "saved_variables"]
