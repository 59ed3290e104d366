"""Freezing, reading, loading and serving graphs.

``freeze_session`` turns a session's graph into a self-contained GraphDef: the
``training`` switch becomes a ``Const False``, every ``Select`` on it is replaced by
an ``Identity`` of its inference branch (so the batch-statistics subgraph and the
moving-average updates are pruned), and variables become constants. A graph frozen
after training in training mode therefore computes the inference-mode outputs.

The ``cond`` trap: a graph whose batch norm takes a ``training`` *tensor* through
control-flow-v2 ``cond`` (TensorFlow's own ``tf.compat.v1.layers``) freezes with
``convert_variables_to_constants`` and imports, but fails at run time with ``Return
readvariableop -> ReadVariableOp:value:0 is not found``: the freezer turns the
branch's variable read into an ``Identity`` and leaves the branch output naming the
read's old output argument. The library's batch normalization and Dice select with
``tf.where`` and have no ``cond`` at all; for foreign graphs ``freeze_session`` also
rewrites those dangling references (``repair_function_outputs``).

Partitioned embedding tables: ``tf.compat.v1.nn.embedding_lookup`` defaults to
``partition_strategy='mod'``, TF2's ``tf.nn.embedding_lookup`` always uses ``'div'``.
A serving graph rebuilt with the other strategy reads other rows silently; keep the
strategy of the training graph.

ONNX: ``to_onnx`` (from ``tf1_recsys.export_onnx``, loaded on first use) converts a frozen
graph with tf2onnx and writes it only when onnxruntime matches the TensorFlow session.
"""
import difflib
import os
import secrets
import shutil

import numpy as np
from google.protobuf import message as _pb_message
from google.protobuf import text_format

from tf1_recsys._tf import tf

_SELECT_OPS = ("Select", "SelectV2")


class GraphDefError(ValueError):
    """A file is not a usable GraphDef, or names tensors that are not in it."""


# ---------------------------------------------------------------- names
def node_name(x):
    """The node name of a tensor, an op, or a name such as 'scope/x:0' or '^x'."""
    if isinstance(x, (tf.Tensor, tf.Variable)):
        return x.op.name
    if isinstance(x, tf.Operation):
        return x.name
    if not isinstance(x, str):
        raise TypeError("expected a tensor, an op or a name; got %r." % (x,))
    name = x[1:] if x.startswith("^") else x
    return name.split(":")[0]


def tensor_name(x):
    """The tensor name of a tensor or a name: 'x' -> 'x:0', 'x:1' -> 'x:1'."""
    if isinstance(x, (tf.Tensor, tf.Variable)):
        return x.name
    if not isinstance(x, str):
        raise TypeError("expected a tensor or a tensor name; got %r." % (x,))
    return x if ":" in x else x + ":0"


def serving_names(spec):
    """``(inputs, outputs)``: dicts feature -> input tensor name, task -> prediction tensor name."""
    return ({k: t.name for k, t in spec.inputs.items()}, {k: t.name for k, t in spec.predictions.items()})


# ---------------------------------------------------------------- freezing
def _false_const(name, device=""):
    node = tf.NodeDef(name=name, op="Const", device=device)
    node.attr["dtype"].type = tf.bool.as_datatype_enum
    node.attr["value"].tensor.CopyFrom(tf.make_tensor_proto(False, dtype=tf.bool))
    return node


def _training_nodes(graph_def, training):
    """Names of the nodes to fix to False."""
    if training is None:  # auto: scalar bool placeholder_with_default(False)
        consts = {n.name: n for n in graph_def.node if n.op == "Const"}
        found = []
        for n in graph_def.node:
            if n.op == "PlaceholderWithDefault" and n.attr["dtype"].type == tf.bool.as_datatype_enum:
                default = consts.get(node_name(n.input[0]))
                if default is not None and not tf.make_ndarray(default.attr["value"].tensor).any():
                    if not n.attr["shape"].shape.dim:
                        found.append(n.name)
        return found
    if isinstance(training, (list, tuple, set)):
        names = [node_name(t) for t in training]
    else:
        names = [node_name(training)]
    present = {n.name: n for n in graph_def.node}
    for name in names:
        if name not in present:
            raise GraphDefError("freeze: the training switch %r is not a node of the graph." % name)
        if present[name].attr["dtype"].type != tf.bool.as_datatype_enum:
            raise GraphDefError("freeze: the training switch %r is not a bool tensor." % name)
    return names


def fix_training(graph_def, training=None):
    """A copy of ``graph_def`` with the training switch constant False and its Selects folded.

    Args:
      graph_def: a ``tf.GraphDef``.
      training: the switch (tensor, op or name, or a list of them); None finds every
        scalar bool ``placeholder_with_default(False)``; ``[]`` fixes nothing.
    Returns:
      ``(graph_def, fixed_names)``.
    """
    names = set(_training_nodes(graph_def, training))
    out = tf.GraphDef()
    out.versions.CopyFrom(graph_def.versions)
    out.library.CopyFrom(graph_def.library)
    known = {}  # node name -> static bool value
    for node in graph_def.node:
        if node.name in names:
            new = _false_const(node.name, node.device)
            known[node.name] = False
        elif node.op == "Identity" and node_name(node.input[0]) in known:
            new = node
            known[node.name] = known[node_name(node.input[0])]
        elif node.op == "LogicalNot" and node_name(node.input[0]) in known:
            new = node
            known[node.name] = not known[node_name(node.input[0])]
        elif node.op in _SELECT_OPS and node_name(node.input[0]) in known:
            branch = node.input[1] if known[node_name(node.input[0])] else node.input[2]
            new = tf.NodeDef(name=node.name, op="Identity", device=node.device)
            new.input.append(branch)
            new.input.extend(i for i in node.input[3:] if i.startswith("^"))
            new.attr["T"].CopyFrom(node.attr["T"])
        else:
            new = node
        out.node.add().CopyFrom(new)
    return out, sorted(names)


def freeze_session(sess, output_names, training=None, allow_non_finite=False):
    """Freezes ``sess.graph`` for serving: variables -> constants, ``training`` -> False.

    Args:
      sess: a ``tf.compat.v1.Session`` holding the variables' values.
      output_names: tensors, ops or names ('pred', 'pred:0') of the outputs to keep.
      training: the training switch (tensor or name, or a list); None finds every
        scalar bool ``placeholder_with_default(False)``; ``[]`` leaves the graph's switches.
      allow_non_finite: freeze variables that hold NaN or inf too (a diverged model).
    Returns:
      A ``tf.GraphDef`` holding only what the outputs need.
    Raises:
      ValueError naming the variables when one that the outputs need holds NaN or inf
      (unless ``allow_non_finite``): its outputs would be NaN.
    """
    if isinstance(output_names, (str, tf.Tensor, tf.Operation)):
        output_names = [output_names]
    outputs = [node_name(o) for o in output_names]
    if not outputs:
        raise ValueError("freeze_session: no `output_names`.")
    graph_def = sess.graph.as_graph_def()
    present = {n.name for n in graph_def.node}
    missing = [o for o in outputs if o not in present]
    if missing:
        raise GraphDefError("freeze_session: outputs %s are not in the graph%s" % (missing, _suggest(missing, present)))
    graph_def, _ = fix_training(graph_def, training)
    frozen = tf.graph_util.convert_variables_to_constants(sess, graph_def, outputs)
    frozen = tf.graph_util.extract_sub_graph(frozen, outputs)
    repair_function_outputs(frozen)
    if not allow_non_finite:
        bad = _non_finite_constants(frozen, {n.name for n in graph_def.node if n.op in _VARIABLE_OPS})
        if bad:
            raise ValueError("freeze_session: variables %s hold NaN or inf values, so the frozen graph's outputs "
                             "would not be finite; restore a finite checkpoint, or pass allow_non_finite=True"
                             % ", ".join(bad))
    return frozen


_VARIABLE_OPS = ("VariableV2", "Variable", "VarHandleOp")


def _non_finite_constants(graph_def, names):
    """The names among ``names`` of the Const nodes of ``graph_def`` holding a NaN or inf."""
    bad = []
    for node in graph_def.node:
        if node.op == "Const" and node.name in names:
            value = tf.make_ndarray(node.attr["value"].tensor)
            if value.dtype.kind in "fc" and not np.all(np.isfinite(value)):
                bad.append(node.name)
    return sorted(bad)


def repair_function_outputs(graph_def):
    """Fixes, in place, the function outputs that the variable freezer leaves dangling.

    ``convert_variables_to_constants`` turns a ``ReadVariableOp`` inside a control-flow-v2
    branch function (``tf.cond`` on a ``training`` tensor, as in TensorFlow's own batch
    norm) into an ``Identity`` but keeps references to its output by the old argument
    name, ``ReadVariableOp:value:0``; running the frozen graph then fails with ``Return
    readvariableop -> ReadVariableOp:value:0 is not found``. Identity's output is named
    ``output``: this rewrites those references.

    Returns:
      The number of references rewritten.
    """
    fixed = 0
    for function in graph_def.library.function:
        ops = {n.name: n.op for n in function.node_def}

        def repair(ref):
            parts = ref.split(":")
            if len(parts) == 3 and parts[1] == "value" and ops.get(parts[0].lstrip("^")) == "Identity":
                return "%s:output:%s" % (parts[0], parts[2])
            return ref

        for key in list(function.ret):
            new = repair(function.ret[key])
            if new != function.ret[key]:
                function.ret[key] = new
                fixed += 1
        for node in function.node_def:
            for i, ref in enumerate(node.input):
                new = repair(ref)
                if new != ref:
                    node.input[i] = new
                    fixed += 1
    return fixed


def freeze_checkpoint(model_fn_or_meta, checkpoint, output_names=None, training=None, allow_non_finite=False):
    """Freezes a checkpoint into a serving GraphDef.

    Args:
      model_fn_or_meta: a ``model_fn() -> ModelSpec`` (rebuilt in a new graph: the clean
        inference graph), or the path of a ``.meta`` file written with the checkpoint.
      checkpoint: a checkpoint prefix ('dir/model.ckpt-500') or a model directory (latest).
      output_names: outputs to keep; default the spec's predictions (required with a .meta).
      training: as in ``freeze_session``; default the spec's switch, or auto with a .meta.
      allow_non_finite: as in ``freeze_session``.
    Returns:
      A ``tf.GraphDef``.
    Raises:
      CheckpointError naming the file when the checkpoint is missing, corrupted or does
      not match the graph.
    """
    from tf1_recsys.training.checkpoint import resolve_checkpoint, restore

    prefix = resolve_checkpoint(checkpoint)
    graph = tf.Graph()
    with graph.as_default():
        if callable(model_fn_or_meta):
            spec = model_fn_or_meta()
            if output_names is None:
                output_names = list(spec.predictions.values())
            if training is None:
                training = spec.training
            saver = tf.train.Saver()
        else:
            if output_names is None:
                raise ValueError("freeze_checkpoint: `output_names` is required with a .meta file.")
            if not os.path.exists(model_fn_or_meta):
                raise FileNotFoundError("freeze_checkpoint: meta graph file %s does not exist." % model_fn_or_meta)
            saver = tf.train.import_meta_graph(model_fn_or_meta, clear_devices=True)
        with tf.Session(graph=graph) as sess:
            restore(sess, saver, prefix)
            return freeze_session(sess, output_names, training, allow_non_finite=allow_non_finite)


# ---------------------------------------------------------------- files
def write_graph_def(graph_def, path):
    """Writes ``graph_def`` to ``path`` (binary; text when it ends in '.pbtxt'), atomically.

    Serialisation is deterministic: the same GraphDef always gives the same bytes.
    """
    if path.endswith(".pbtxt"):
        data = text_format.MessageToString(graph_def).encode("utf-8")
    else:
        data = graph_def.SerializeToString(deterministic=True)
    return write_bytes_atomically(data, path)


def write_bytes_atomically(data, path):
    """Writes ``data`` to ``path`` through a temporary file in its folder: a reader sees the old
    file or the new one, never half. Creates the folder; returns ``path``."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = _new_temporary(directory, ".tmp_graph_")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def _new_temporary(directory, prefix):
    """``(fd, path)`` of a new file in ``directory``, created with mode 0666 less the process's umask
    (the mode any other new file gets; ``tempfile.mkstemp`` would make it 0600), the umask left alone."""
    for _ in range(100):
        path = os.path.join(directory, prefix + secrets.token_hex(6))
        try:
            return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666), path
        except FileExistsError:
            continue
    raise FileExistsError("write_graph_def: no free temporary name in %s" % directory)


def read_graph_def(path):
    """Reads a GraphDef from ``path`` (binary, or text for '.pbtxt').

    Raises:
      FileNotFoundError: no such file.
      GraphDefError (a ValueError): the file is not a GraphDef (with the file name).
    """
    if not os.path.isfile(path):
        raise FileNotFoundError("GraphDef file %s does not exist." % path)
    with open(path, "rb") as f:
        data = f.read()
    graph_def = tf.GraphDef()
    try:
        if path.endswith(".pbtxt"):
            text_format.Parse(data.decode("utf-8"), graph_def)
        else:
            graph_def.ParseFromString(data)
    except (_pb_message.DecodeError, text_format.ParseError, UnicodeDecodeError, RuntimeError) as e:
        raise GraphDefError("%s is not a GraphDef (%s: %s).%s"
                            % (path, type(e).__name__, e, _saved_model_hint(data))) from e
    if not graph_def.node or any(not n.name or not n.op for n in graph_def.node):
        raise GraphDefError("%s is not a GraphDef (it parses to no valid node).%s" % (path, _saved_model_hint(data)))
    return graph_def


def _saved_model_hint(data):
    if _looks_like_saved_model(data):
        return (" It is a SavedModel: load its directory with tf.compat.v1.saved_model.loader.load "
                "or tf1_recsys.export.load_saved_model.")
    return ""


def _looks_like_saved_model(data):
    from tensorflow.core.protobuf import saved_model_pb2

    try:
        return bool(saved_model_pb2.SavedModel.FromString(data).meta_graphs)
    except Exception:
        return False


def _suggest(missing, names):
    hints = []
    for m in missing:
        close = difflib.get_close_matches(node_name(m), list(names), n=3)
        if close:
            hints.append("%s -> did you mean %s?" % (m, ", ".join(close)))
    return (". " + " ".join(hints)) if hints else "."


def _resolve(graph, names, kind, source):
    if isinstance(names, (str, tf.Tensor)):
        names = [names]
    mapping = dict(names) if isinstance(names, dict) else {n if isinstance(n, str) else n.name: n for n in names}
    found, missing = {}, []
    for key, name in mapping.items():
        try:
            found[key] = graph.get_tensor_by_name(tensor_name(name))
        except (KeyError, ValueError):
            missing.append(tensor_name(name))
    if missing:
        placeholders = [op.name for op in graph.get_operations() if op.type in ("Placeholder", "PlaceholderWithDefault")]
        raise GraphDefError(
            "%s: %s tensors %s do not exist%s Placeholders in the graph: %s."
            % (source, kind, missing, _suggest(missing, [op.name for op in graph.get_operations()]),
               ", ".join(placeholders) or "none")
        )
    return found


def load_frozen(graph_def_or_path, input_names, output_names):
    """Imports a frozen graph into a fresh ``tf.Graph`` and finds its tensors.

    Args:
      graph_def_or_path: a ``tf.GraphDef`` or the path of a ``.pb`` / ``.pbtxt``.
      input_names, output_names: a list of tensor names ('x' or 'x:0'), or a dict
        key -> tensor name.
    Returns:
      ``(graph, inputs, outputs)``: the graph, and dicts key -> ``tf.Tensor`` keyed by
      the given names (or the dict keys).
    Raises:
      GraphDefError naming the file and the missing tensors.
    """
    source = graph_def_or_path if isinstance(graph_def_or_path, str) else "<GraphDef>"
    graph_def = read_graph_def(graph_def_or_path) if isinstance(graph_def_or_path, str) else graph_def_or_path
    graph = tf.Graph()
    with graph.as_default():
        try:
            tf.import_graph_def(graph_def, name="")
        except ValueError as e:
            raise GraphDefError("%s cannot be imported: %s" % (source, e)) from e
    inputs = _resolve(graph, input_names, "input", source)
    outputs = _resolve(graph, output_names, "output", source)
    return graph, inputs, outputs


class FrozenModel:
    """A frozen graph in its own session, for repeated runs: ``model(feeds) -> dict``."""

    def __init__(self, graph_def_or_path, input_names, output_names, config=None):
        self.graph, self.inputs, self.outputs = load_frozen(graph_def_or_path, input_names, output_names)
        self.sess = tf.Session(graph=self.graph, config=config)

    def __call__(self, feeds):
        unknown = sorted(set(feeds) - set(self.inputs))
        if unknown:
            raise KeyError("FrozenModel: unknown inputs %s; inputs are %s." % (unknown, sorted(self.inputs)))
        return self.sess.run(self.outputs, {self.inputs[k]: v for k, v in feeds.items()})

    def close(self):
        self.sess.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def run_frozen(graph_def_or_path, feeds, output_names, config=None):
    """Runs a frozen graph once.

    Args:
      feeds: dict input tensor name -> numpy array.
      output_names: list (or dict key -> name) of output tensor names.
    Returns:
      dict keyed like ``output_names`` -> numpy array.
    """
    with FrozenModel(graph_def_or_path, list(feeds), output_names, config) as model:
        return model(feeds)


# ---------------------------------------------------------------- inspection
def _attr_shape(node):
    if "shape" not in node.attr:
        return "?"
    shape = node.attr["shape"].shape
    if shape.unknown_rank:
        return "<unknown rank>"
    return "(" + ", ".join("None" if d.size < 0 else str(d.size) for d in shape.dim) + ")"


def _attr_dtype(node):
    for key in ("dtype", "T"):
        if key in node.attr and node.attr[key].type:
            return tf.as_dtype(node.attr[key].type).name
    return "?"


def summarize_graph_def(graph_def):
    """What a GraphDef takes and gives.

    Returns:
      dict with 'inputs' [(name, dtype, shape)] of the placeholders, 'outputs'
      [(name, op)] of the nodes no other node consumes, 'ops' (Counter op -> count),
      'nodes' and 'functions' (counts).
    """
    import collections

    consumed = {ref.lstrip("^").split(":")[0] for node in graph_def.node for ref in node.input}
    return {
        "inputs": [(n.name, _attr_dtype(n), _attr_shape(n)) for n in graph_def.node
                   if n.op in ("Placeholder", "PlaceholderWithDefault")],
        "outputs": [(n.name, n.op) for n in graph_def.node if n.name not in consumed and n.op != "NoOp"],
        "ops": collections.Counter(n.op for n in graph_def.node),
        "nodes": len(graph_def.node),
        "functions": len(graph_def.library.function),
    }


def describe_graph_def(graph_def):
    """``summarize_graph_def`` as text: inputs, outputs, op counts (most frequent first)."""
    s = summarize_graph_def(graph_def)
    lines = ["inputs (%d):" % len(s["inputs"])]
    lines += ["  %s:0  %s %s" % item for item in s["inputs"]]
    lines.append("outputs (%d):" % len(s["outputs"]))
    lines += ["  %s:0  (%s)" % item for item in s["outputs"]]
    lines.append("ops (%d nodes, %d functions):" % (s["nodes"], s["functions"]))
    lines += ["  %-24s %d" % kv for kv in sorted(s["ops"].items(), key=lambda kv: (-kv[1], kv[0]))]
    return "\n".join(lines)


# ---------------------------------------------------------------- SavedModel
def export_saved_model(sess, spec, export_dir, inputs=None, outputs=None,
                       signature_name="serving_default", overwrite=False):
    """Writes a TF1 SavedModel (tag 'serve') with a predict signature.

    Args:
      sess: session holding the variables of ``spec``'s graph.
      spec: a ModelSpec; its ``training`` switch is not in the signature, so serving
        runs in inference mode (its default, False).
      inputs: dict signature key -> tensor; default ``spec.inputs``.
      outputs: dict signature key -> tensor; default ``spec.predictions``.
      overwrite: replace an existing ``export_dir``, but only a SavedModel that this
        function wrote (it leaves a marker file ``tf1_recsys_saved_model`` beside
        ``saved_model.pb``); any other directory raises ``FileExistsError``.
    Returns:
      ``export_dir``. Load with ``tf.compat.v1.saved_model.loader.load(sess, ['serve'],
      export_dir)`` or ``tf.saved_model.load(export_dir).signatures['serving_default']``.
    """
    if os.path.lexists(export_dir):
        if not overwrite:
            raise FileExistsError("export_saved_model: %s exists; pass overwrite=True." % export_dir)
        _remove_own_saved_model(export_dir)
    inputs = dict(spec.inputs if inputs is None else inputs)
    outputs = dict(spec.predictions if outputs is None else outputs)
    with sess.graph.as_default():
        signature = tf.saved_model.signature_def_utils.predict_signature_def(inputs=inputs, outputs=outputs)
        builder = tf.saved_model.builder.SavedModelBuilder(export_dir)
        builder.add_meta_graph_and_variables(
            sess, [tf.saved_model.tag_constants.SERVING],
            signature_def_map={signature_name: signature},
            strip_default_attrs=True, clear_devices=True,
        )
        builder.save()
    with open(os.path.join(export_dir, SAVED_MODEL_MARKER), "w") as f:
        f.write("SavedModel written by tf1_recsys.export.export_saved_model\n")
    return export_dir


SAVED_MODEL_MARKER = "tf1_recsys_saved_model"
_SAVED_MODEL_CONTENT = {"saved_model.pb", "variables", "assets", "assets.extra", SAVED_MODEL_MARKER}


def _remove_own_saved_model(export_dir):
    """Removes ``export_dir`` if it is a SavedModel that ``export_saved_model`` wrote; else FileExistsError."""
    if os.path.islink(export_dir) or not os.path.isdir(export_dir):
        raise FileExistsError("export_saved_model: %s exists and is not a directory; refusing to replace it."
                              % export_dir)
    content = set(os.listdir(export_dir))
    if SAVED_MODEL_MARKER not in content or "saved_model.pb" not in content:
        raise FileExistsError(
            "export_saved_model: %s is not a SavedModel written by tf1_recsys (no %s marker); refusing to "
            "delete it with overwrite=True. Choose another export_dir." % (export_dir, SAVED_MODEL_MARKER))
    foreign = sorted(content - _SAVED_MODEL_CONTENT)
    if foreign:
        raise FileExistsError(
            "export_saved_model: %s holds files that are not part of the SavedModel (%s); refusing to delete "
            "them with overwrite=True. Move them away or choose another export_dir."
            % (export_dir, ", ".join(foreign[:5])))
    for name in content:
        path = os.path.join(export_dir, name)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            os.remove(path)
    os.rmdir(export_dir)


def load_saved_model(sess, export_dir, signature_name="serving_default"):
    """Loads a SavedModel into ``sess`` (TF1 loader); returns ``(inputs, outputs)`` dicts key -> tensor."""
    meta = tf.saved_model.loader.load(sess, [tf.saved_model.tag_constants.SERVING], export_dir)
    if signature_name not in meta.signature_def:
        raise KeyError("%s has no signature %r; it has %s." % (export_dir, signature_name, list(meta.signature_def)))
    sig = meta.signature_def[signature_name]
    g = sess.graph
    return ({k: g.get_tensor_by_name(v.name) for k, v in sig.inputs.items()},
            {k: g.get_tensor_by_name(v.name) for k, v in sig.outputs.items()})


# to_onnx and its errors live in tf1_recsys.export_onnx (onnx packages loaded on first use).
_ONNX_EXPORTS = ("to_onnx", "OnnxExport", "OnnxUnavailableError", "OnnxConversionError", "OnnxMismatchError")


def __getattr__(name):
    if name in _ONNX_EXPORTS:
        from tf1_recsys import export_onnx

        return getattr(export_onnx, name)
    raise AttributeError("module %r has no attribute %r" % (__name__, name))


__all__ = list(_ONNX_EXPORTS) + [
    "GraphDefError", "write_bytes_atomically", "FrozenModel", "freeze_session", "repair_function_outputs", "freeze_checkpoint", "fix_training",
    "write_graph_def", "read_graph_def", "load_frozen", "run_frozen", "export_saved_model",
    "load_saved_model", "node_name", "tensor_name", "serving_names", "summarize_graph_def",
    "describe_graph_def",
]
