"""Finding and restoring checkpoints, with errors that name the file.

A model directory written by ``tf.compat.v1.train.Saver`` holds a text state file
``checkpoint`` naming the latest prefix ``model.ckpt-<step>``, and per prefix an
``.index`` and ``.data-*`` files. TensorFlow's own ``latest_checkpoint`` returns None
when the state file is garbage or names a missing prefix; a trainer that then
initialises from scratch silently throws away the run. Here every such case raises
``CheckpointError`` with the path of the offending file.
"""
import collections
import glob
import os

from tf1_recsys._tf import tf

STATE_FILE = "checkpoint"
PREFIX = "model.ckpt"


class CheckpointError(RuntimeError):
    """A checkpoint exists but cannot be used; the message names the file."""


def _files_of(prefix):
    return [prefix + ".index"] + sorted(glob.glob(glob.escape(prefix) + ".data-*"))


def latest_checkpoint(model_dir):
    """The prefix of the latest checkpoint in ``model_dir``, or None when there is none.

    Raises:
      CheckpointError: the state file is unreadable, names a checkpoint whose ``.index``
        file is missing, or is missing while checkpoint files are present.
    """
    state_path = os.path.join(model_dir, STATE_FILE)
    if not os.path.exists(state_path):
        leftovers = sorted(glob.glob(os.path.join(glob.escape(model_dir), "*.index")))
        if leftovers:
            raise CheckpointError(
                "%s has checkpoint files (%s) but no state file %s, so the latest checkpoint "
                "is unknown. Restore one explicitly, or move them away to start afresh."
                % (model_dir, ", ".join(os.path.basename(p) for p in leftovers), state_path)
            )
        return None
    try:
        state = tf.train.get_checkpoint_state(model_dir)
    except Exception as e:  # a parse error is logged and returns None on some versions
        raise CheckpointError("cannot read the checkpoint state file %s: %s" % (state_path, e)) from e
    if state is None or not state.model_checkpoint_path:
        raise CheckpointError(
            "the checkpoint state file %s is corrupted or empty (it names no checkpoint)." % state_path
        )
    prefix = state.model_checkpoint_path
    if not os.path.isabs(prefix):
        prefix = os.path.join(model_dir, prefix)
    if not os.path.exists(prefix + ".index"):
        moved = os.path.join(model_dir, os.path.basename(prefix))  # the directory was moved
        if os.path.exists(moved + ".index"):
            return moved
        raise CheckpointError(
            "the checkpoint state file %s names %s, but its index file %s does not exist."
            % (state_path, prefix, prefix + ".index")
        )
    return prefix


def resolve_checkpoint(checkpoint):
    """A checkpoint prefix from a prefix or a model directory; CheckpointError if none."""
    if os.path.isdir(checkpoint):
        prefix = latest_checkpoint(checkpoint)
        if prefix is None:
            raise CheckpointError("no checkpoint in directory %s." % checkpoint)
        return prefix
    if not os.path.exists(checkpoint + ".index"):
        raise CheckpointError("checkpoint index file %s does not exist." % (checkpoint + ".index"))
    return checkpoint


def saved_variables(var_list):
    """What a ``Saver`` stores for ``var_list``: ``{checkpoint key: (full shape, dtype name)}``.

    A partitioned variable (``fixed_size_partitioner``) has one variable per shard,
    ``table/part_0``, ``table/part_1``, ..., but the Saver writes them as slices of one
    tensor under the full name ``table`` with the full shape; so does this mapping, and a
    checkpoint therefore restores into any shard count.
    """
    saved = collections.OrderedDict()
    for var in var_list:
        info = getattr(var, "_save_slice_info", None)
        if info is not None:
            name, shape = info.full_name, [int(d) for d in info.full_shape]
        else:
            name, shape = var.op.name, var.shape.as_list()
        saved[name] = (shape, var.dtype.base_dtype.name)
    return saved


def restore(sess, saver, prefix, var_list=None):
    """Restores ``saver``'s variables from ``prefix``; CheckpointError naming the files on failure.

    Checks first that every variable is in the checkpoint with its shape, so a renamed
    scope or a changed layer size is reported by name, not as a raw op error.
    """
    files = _files_of(prefix)
    try:
        reader = tf.train.load_checkpoint(prefix)
        stored = reader.get_variable_to_shape_map()
    except Exception as e:
        raise CheckpointError(
            "checkpoint %s is unreadable (files: %s): %s" % (prefix, ", ".join(files), _message(e))
        ) from e
    if var_list is None:
        var_list = tf.global_variables()
    missing, mismatched = [], []
    for name, (shape, _) in sorted(saved_variables(var_list).items()):
        if name not in stored:
            missing.append(name)
        elif list(stored[name]) != shape:
            mismatched.append("%s: graph %s, checkpoint %s" % (name, shape, list(stored[name])))
    if missing or mismatched:
        lines = []
        if missing:
            lines.append("variables missing from the checkpoint (renamed?): " + ", ".join(missing))
        if mismatched:
            lines.append("shape mismatches: " + "; ".join(mismatched))
        raise CheckpointError(
            "checkpoint %s does not match the graph. %s. Checkpoint holds: %s"
            % (prefix, ". ".join(lines), ", ".join(sorted(stored)))
        )
    try:
        saver.restore(sess, prefix)
    except tf.errors.OpError as e:
        raise CheckpointError(
            "checkpoint %s is truncated or corrupted (files: %s): %s"
            % (prefix, ", ".join(files), _message(e))
        ) from e


def _message(e):
    """The informative line of a TensorFlow error.

    Not its 'Graph execution error' header, nor the Python stack of the failing node between
    '... (most recent call last):' and 'Node: ...', which TensorFlow <= 2.15 prints with the
    source line under each 'File' line.
    """
    text = getattr(e, "message", None) or str(e)
    skip = ("Graph execution error", "Detected at node", "Node:", "File ", "Original stack", "[[")
    lines = [line.strip() for line in text.splitlines()]
    for skip_stack in (True, False):
        in_stack = False
        for line in lines:
            if skip_stack and line.endswith("(most recent call last):"):
                in_stack = True
            elif in_stack and line.startswith("Node:"):
                in_stack = False
            elif line and not in_stack and not line.startswith(skip) and not line.startswith("(most recent"):
                return line
    return type(e).__name__


__all__ = ["CheckpointError", "latest_checkpoint", "resolve_checkpoint", "restore", "STATE_FILE", "PREFIX", "saved_variables"]
