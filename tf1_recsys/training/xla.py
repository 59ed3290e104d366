"""XLA auto-clustering of a training session (``TrainConfig(xla=True)``, ``tf1-recsys train --xla``).

TensorFlow's XLA compiler fuses the elementwise chains of a graph (DIN's attention and
Dice: dozens of ``Mul`` / ``AddV2`` / ``Sigmoid`` kernels over [B, T, units] tensors per
step) into a few compiled kernels. A session asks for it with
``graph_options.optimizer_options.global_jit_level = ON_1``; on CPU TensorFlow only
honours that when the process's XLA flags hold ``--tf_xla_cpu_global_jit``, and it reads
``TF_XLA_FLAGS`` once, when the process's first session optimises its first graph. So
the flag has to be in the environment before that: ``request_cpu_autoclustering`` adds
it, with ``--tf_xla_enable_lazy_compilation=false`` (keeping the user's other flags),
which is in time when nothing in the process has run a session yet (the CLI, a fresh
training script); otherwise set ``TF_XLA_FLAGS="--tf_xla_cpu_global_jit
--tf_xla_enable_lazy_compilation=false"`` before starting Python.

The graph itself is not changed (no ``_XlaCompile`` attributes): checkpoints, exported
meta graphs and frozen GraphDefs are the same with and without XLA. Numbers agree to
float rounding, not bit for bit. A run with XLA is bit-repeatable, and resuming it with
XLA gives the uninterrupted run's values, because every step runs compiled (no lazy
compilation) and the trainer's own session, which initialises the variables, is not
compiled (its initial values are those without XLA).
Each new batch shape compiles once per session (seconds at DIN's shapes): the first
step, a smaller last batch of an epoch, each evaluation batch size.
"""
import os

from tf1_recsys._tf import tf

CPU_FLAG = "--tf_xla_cpu_global_jit"
EAGER_FLAG = "--tf_xla_enable_lazy_compilation=false"
_active = None


class XlaUnavailableError(RuntimeError):
    """XLA was asked for (``xla=True``) and this process cannot give it."""


def request_cpu_autoclustering():
    """Adds ``--tf_xla_cpu_global_jit`` and ``--tf_xla_enable_lazy_compilation=false`` to
    ``TF_XLA_FLAGS``, each unless the variable already sets it.

    Takes effect only if no session of this process has run yet (TensorFlow reads the
    variable once). Lazy compilation (TensorFlow's default) runs a cluster's first
    executions through the uncompiled kernels, so the first steps of every session would
    compute other roundings than the compiled steps, and a resumed run would not repeat the
    uninterrupted one bit for bit.
    """
    flags = os.environ.get("TF_XLA_FLAGS", "").split()
    for flag in (CPU_FLAG, EAGER_FLAG):
        if not any(f.split("=")[0] == flag.split("=")[0] for f in flags):
            flags.append(flag)
    os.environ["TF_XLA_FLAGS"] = " ".join(flags)


def jit_config(config=None):
    """A copy of ``config`` (default an empty ``ConfigProto``) with ``global_jit_level = ON_1``."""
    out = tf.ConfigProto()
    if config is not None:
        out.CopyFrom(config)
    out.graph_options.optimizer_options.global_jit_level = tf.OptimizerOptions.ON_1
    return out


def autoclustering_active():
    """Whether a session with ``global_jit_level = ON_1`` compiles XLA clusters in this process.

    Runs a three-op graph once and looks for ``_XlaRun`` in its partition graphs; the
    answer cannot change within a process after that, so it is cached.
    """
    global _active
    if _active is None:
        graph = tf.Graph()
        with graph.as_default():
            x = tf.placeholder(tf.float32, [None, 4])
            y = tf.reduce_sum(tf.nn.relu(x * 2.0 + 1.0) * x)
        meta = tf.RunMetadata()
        with tf.Session(graph=graph, config=jit_config()) as sess:
            sess.run(y, {x: [[1.0, 2.0, 3.0, 4.0]]}, options=tf.RunOptions(output_partition_graphs=True),
                     run_metadata=meta)
        _active = any(node.op == "_XlaRun" for g in meta.partition_graphs for node in g.node)
    return _active


def require_autoclustering(fn):
    """Requests the CPU flag, then raises ``XlaUnavailableError`` naming the fix if XLA is still off."""
    request_cpu_autoclustering()
    if not autoclustering_active():
        raise XlaUnavailableError(
            "%s: xla=True, but TensorFlow's XLA auto-clustering is off in this process: it reads "
            "TF_XLA_FLAGS once, at the process's first session, and that was before %s was in it. Set "
            "TF_XLA_FLAGS=\"%s %s\" before starting Python (`tf1-recsys train --xla` does it itself), "
            "or use xla=False." % (fn, CPU_FLAG, CPU_FLAG, EAGER_FLAG))


__all__ = ["CPU_FLAG", "EAGER_FLAG", "XlaUnavailableError", "request_cpu_autoclustering", "jit_config", "autoclustering_active",
           "require_autoclustering"]
