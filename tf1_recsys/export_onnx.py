"""Frozen graphs to ONNX, checked against the TensorFlow session before anything is written.

``to_onnx`` freezes what it is given (a frozen ``GraphDef`` or ``.pb``, a SavedModel
signature, a ``Trainer``, an ``Estimator`` or a checkpoint with its ``model_fn``),
converts it with tf2onnx (no hand-written op mapping here), runs the ONNX model in
onnxruntime and the frozen graph in a TensorFlow session on the same check inputs, and
writes the ``.onnx`` only when every output agrees to ``tolerance``. Inputs and outputs
keep the tensor names of the serving manifest (``*.serving.json``: ``'user_id:0'``...),
and every input whose first dimension is unknown in the graph gets the symbolic
dimension ``batch``.

The packages come with the ``onnx`` extra (``tf2onnx``, ``onnx``, ``onnxruntime``);
nothing here imports them before a function needs them, and a missing one is one
``OnnxUnavailableError`` naming the install command.

Errors, each one line:
  OnnxUnavailableError (ImportError): tf2onnx, onnx or onnxruntime is not installed.
  OnnxConversionError (ValueError): an op tf2onnx cannot convert (op and node named),
    or any other failure of the converter or of onnxruntime to load the result.
  OnnxMismatchError (ValueError): onnxruntime and the session disagree; names the
    output, the largest difference, where, and the tolerance.
"""
import collections
import contextlib
import json
import logging
import os

import numpy as np

from tf1_recsys import export
from tf1_recsys._tf import tf

DEFAULT_OPSET = 17
BATCH_DIM = "batch"
INSTALL_HINT = 'pip install "tf1_recsys[onnx]" "tensorflow-cpu==<your TensorFlow version>"'

OnnxExport = collections.namedtuple("OnnxExport", "model inputs outputs differences path")
OnnxExport.__doc__ = """What ``to_onnx`` made: the ``onnx.ModelProto``, dicts key -> tensor name of the
inputs and outputs, dict output key -> max |onnxruntime - TensorFlow| on the check inputs, and the
path written (None when none was asked for)."""


class OnnxUnavailableError(ImportError):
    """tf2onnx, onnx or onnxruntime is not installed."""


class OnnxConversionError(ValueError):
    """tf2onnx cannot convert the graph (an op without conversion), or onnxruntime cannot load it."""


class OnnxMismatchError(ValueError):
    """The ONNX model's outputs differ from the TensorFlow session's by more than the tolerance."""


# ---------------------------------------------------------------- packages
def onnx_modules():
    """``(tf2onnx, onnx, onnxruntime)``; OnnxUnavailableError naming the missing ones otherwise."""
    import importlib

    found, missing = [], []
    for name in ("tf2onnx", "onnx", "onnxruntime"):
        try:
            found.append(importlib.import_module(name))
        except ImportError:
            missing.append(name)
    if missing:
        raise OnnxUnavailableError("ONNX export needs %s, which %s not installed; install the onnx extra "
                                   "without changing TensorFlow: %s"
                                   % (", ".join(missing), "is" if len(missing) == 1 else "are", INSTALL_HINT))
    return tuple(found)


def onnx_versions():
    """dict package -> version of tf2onnx, onnx and onnxruntime (OnnxUnavailableError when missing)."""
    tf2onnx, onnx, ort = onnx_modules()
    return {"tf2onnx": tf2onnx.__version__, "onnx": onnx.__version__, "onnxruntime": ort.__version__}


# ---------------------------------------------------------------- names
def manifest_names(manifest):
    """``(inputs, outputs)``, dicts key -> tensor name, of a serving manifest.

    Args:
      manifest: a dict or the path of a JSON file: a ``*.serving.json`` (``{"inputs": {key:
        name}, "outputs": {key: name}}``) or a golden graph's ``manifest.json`` (lists of
        ``{"key", "name", ...}`` entries).
    """
    if isinstance(manifest, str):
        with open(manifest, encoding="utf-8") as f:
            manifest = json.load(f)
    names = []
    for kind in ("inputs", "outputs"):
        value = manifest.get(kind) if isinstance(manifest, dict) else None
        if isinstance(value, list):
            value = {e["key"]: e["name"] for e in value}
        if not isinstance(value, dict) or not value:
            raise ValueError("to_onnx: the serving manifest has no %s (expected a dict key -> tensor name or a "
                             "list of {key, name}); got %r." % (kind, value))
        names.append({k: export.tensor_name(v) for k, v in value.items()})
    return tuple(names)


def _as_names(value):
    if value is None:
        return None
    if isinstance(value, (str, tf.Tensor)):
        value = [value]
    if isinstance(value, dict):
        return {k: export.tensor_name(v) for k, v in value.items()}
    return {export.tensor_name(v): export.tensor_name(v) for v in value}


def _sibling_manifest(path):
    """The serving manifest beside a ``.pb``: ``<stem>.serving.json``, or a golden graph's ``manifest.json``."""
    for candidate in (os.path.splitext(path)[0] + ".serving.json",
                      os.path.join(os.path.dirname(path), "manifest.json")):
        if os.path.isfile(candidate):
            return candidate
    return None


# ---------------------------------------------------------------- sources
def _is_trainer(source):
    return callable(getattr(source, "freeze", None)) and callable(getattr(source, "serving_names", None))


def _is_estimator(source):
    return callable(getattr(source, "export_saved_model", None)) and hasattr(source, "model_dir")


def _freeze_saved_model(export_dir, signature_name):
    graph = tf.Graph()
    with tf.Session(graph=graph) as sess:
        inputs, outputs = export.load_saved_model(sess, export_dir, signature_name)
        graph_def = export.freeze_session(sess, list(outputs.values()))
    return graph_def, {k: t.name for k, t in inputs.items()}, {k: t.name for k, t in outputs.items()}


def _spec_names(model_fn):
    graph = tf.Graph()
    with graph.as_default():
        return export.serving_names(model_fn())


def frozen_graph(source, manifest=None, model_fn=None, signature_name="serving_default",
                 serving_input_receiver_fn=None):
    """``(graph_def, inputs, outputs)`` of what ``to_onnx`` converts (see there for ``source``)."""
    import tempfile

    names = None
    if isinstance(source, tf.GraphDef):
        graph_def = source
    elif _is_trainer(source):
        graph_def, names = source.freeze(), source.serving_names()
    elif _is_estimator(source):
        if serving_input_receiver_fn is None:
            raise ValueError("to_onnx: an Estimator needs `serving_input_receiver_fn` (its SavedModel's inputs).")
        with tempfile.TemporaryDirectory(prefix="tf1_recsys_onnx_") as tmp:
            export_dir = source.export_saved_model(tmp, serving_input_receiver_fn)
            if isinstance(export_dir, bytes):
                export_dir = export_dir.decode("utf-8")
            graph_def, *names = _freeze_saved_model(export_dir, signature_name)
    elif isinstance(source, str) and os.path.isfile(os.path.join(source, "saved_model.pb")):
        graph_def, *names = _freeze_saved_model(source, signature_name)
    elif isinstance(source, str) and model_fn is not None:
        graph_def = export.freeze_checkpoint(model_fn, source)
        names = _spec_names(model_fn)
    elif isinstance(source, str):
        if os.path.isdir(source):
            raise ValueError("to_onnx: %s is a folder but not a SavedModel; a checkpoint folder needs "
                             "`model_fn`." % source)
        graph_def = export.read_graph_def(source)
        manifest = manifest if manifest is not None else _sibling_manifest(source)
    else:
        raise TypeError("to_onnx: `source` must be a GraphDef, a .pb path, a SavedModel folder, a checkpoint "
                        "(with model_fn), a Trainer or an Estimator; got %r." % (source,))
    if manifest is not None:
        names = manifest_names(manifest)
    return graph_def, names


# ---------------------------------------------------------------- conversion
@contextlib.contextmanager
def _quiet(logger_name="tf2onnx"):
    logger = logging.getLogger(logger_name)
    level = logger.level
    logger.setLevel(logging.CRITICAL)  # its per-op 'not supported' lines become our one error
    try:
        yield
    finally:
        logger.setLevel(level)


def _graphs(graph):
    yield graph
    for node in graph.node:
        for attr in node.attribute:
            if attr.HasField("g"):
                yield from _graphs(attr.g)
            for sub in attr.graphs:
                yield from _graphs(sub)


def unconverted_nodes(model):
    """``[(op, node name)]`` of the nodes of ``model`` (subgraphs included) that are no ONNX op.

    tf2onnx leaves an op it has no conversion for in the model under its TensorFlow
    type, in the default domain, where ONNX has no such op.
    """
    import onnx

    found = []
    for graph in _graphs(model.graph):
        for node in graph.node:
            if node.domain in ("", "ai.onnx") and not onnx.defs.has(node.op_type):
                found.append((node.op_type, node.name))
    return found


def convert_graph_def(graph_def, inputs, outputs, opset=DEFAULT_OPSET):
    """The ONNX ``ModelProto`` of a frozen graph, by tf2onnx, with a dynamic ``batch`` dimension.

    Args:
      graph_def: a frozen ``tf.GraphDef``.
      inputs, outputs: dicts key -> tensor name ('user_id:0').
      opset: the ONNX opset.
    Raises:
      OnnxConversionError naming every op tf2onnx cannot convert and its node.
    """
    tf2onnx, onnx, _ = onnx_modules()
    try:
        with _quiet():
            model, _ = tf2onnx.convert.from_graph_def(graph_def, input_names=list(inputs.values()),
                                                      output_names=list(outputs.values()), opset=opset)
    except Exception as e:  # the converter's own failure, whatever its type, is the finding
        raise OnnxConversionError("to_onnx: tf2onnx %s cannot convert the graph at opset %s: %s: %s"
                                  % (tf2onnx.__version__, opset, type(e).__name__, " ".join(str(e).split())))
    missing = unconverted_nodes(model)
    if missing:
        raise OnnxConversionError(
            "to_onnx: tf2onnx %s has no ONNX conversion (opset %s) for %s; nothing written"
            % (tf2onnx.__version__, opset, ", ".join("TensorFlow op %s (node %r)" % m for m in missing)))
    _name_batch_dimension(model, graph_def, inputs)
    return model


def _name_batch_dimension(model, graph_def, inputs):
    """Names ``batch`` the unknown first dimension of the inputs and of the outputs."""
    graph = tf.Graph()
    with graph.as_default():
        tf.import_graph_def(graph_def, name="")
    shapes = {name: graph.get_tensor_by_name(name).shape for name in inputs.values()}
    dynamic = {name for name, shape in shapes.items()
               if shape.rank and tf.compat.dimension_value(shape[0]) is None}
    values = [v for v in model.graph.input if v.name in dynamic] + list(model.graph.output)
    for value in values:
        dims = value.type.tensor_type.shape.dim
        if dims and not dims[0].HasField("dim_value"):
            dims[0].dim_param = BATCH_DIM


# ---------------------------------------------------------------- running
def onnx_session(model, threads=None):
    """An onnxruntime ``InferenceSession`` (CPU) of a ``ModelProto``, bytes or ``.onnx`` path.

    Args:
      threads: intra-op threads; None lets onnxruntime choose (all cores).
    Raises:
      OnnxConversionError when onnxruntime cannot load the model.
    """
    _, _, ort = onnx_modules()
    options = ort.SessionOptions()
    options.log_severity_level = 3
    if threads:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
    data = model if isinstance(model, (bytes, str)) else model.SerializeToString()
    try:
        return ort.InferenceSession(data, sess_options=options, providers=["CPUExecutionProvider"])
    except Exception as e:  # onnxruntime raises its own exception types
        raise OnnxConversionError("to_onnx: onnxruntime %s cannot load the ONNX model: %s"
                                  % (ort.__version__, " ".join(str(e).split())))


def run_onnx(session, feeds, outputs):
    """Runs an onnxruntime session: feeds dict tensor name -> array; returns dict key -> array for
    ``outputs`` (dict key -> tensor name).

    Raises:
      OnnxConversionError when onnxruntime cannot run it (its own exception types are not
      ValueError or RuntimeError).
    """
    try:
        values = session.run(list(outputs.values()), feeds)
    except Exception as e:  # onnxruntime's InvalidArgument, Fail, ... derive from Exception only
        shapes = ", ".join("%s %s" % (k, np.shape(v)) for k, v in feeds.items())
        raise OnnxConversionError("onnxruntime cannot run the ONNX model on %s: %s"
                                  % (shapes, " ".join(str(e).split())))
    return dict(zip(outputs, values))


def default_check_inputs(graph_def, inputs, batch=5, seed=0):
    """Check inputs for ``inputs`` (dict key -> tensor name) of a frozen graph: dict key -> array.

    Unknown dimensions are ``batch`` (the first) or 3; integers are drawn from {0, 1}, which
    every id and every length input accepts; floats from the standard normal. Real rows
    (``check_inputs``) test more than these.
    """
    graph = tf.Graph()
    with graph.as_default():
        tf.import_graph_def(graph_def, name="")
    rng = np.random.default_rng(seed)
    feeds = {}
    for key, name in inputs.items():
        t = graph.get_tensor_by_name(name)
        if t.shape.rank is None:
            raise ValueError("to_onnx: input %r (%s) has an unknown rank; pass `check_inputs`." % (key, name))
        shape = [d if d is not None else (batch if i == 0 else 3) for i, d in enumerate(t.shape.as_list())]
        dtype = t.dtype.as_numpy_dtype
        if t.dtype.is_integer:
            feeds[key] = rng.integers(0, 2, size=shape).astype(dtype)
        elif t.dtype.is_bool:
            feeds[key] = rng.integers(0, 2, size=shape).astype(bool)
        elif t.dtype.is_floating:
            feeds[key] = rng.standard_normal(shape).astype(dtype)
        else:
            raise ValueError("to_onnx: no default check values for input %r of dtype %s; pass `check_inputs`."
                             % (key, t.dtype.name))
    return feeds


def _keyed_feeds(check_inputs, inputs):
    by_name = {v: k for k, v in inputs.items()}
    feeds = {}
    for key, value in check_inputs.items():
        key = key if key in inputs else by_name.get(export.tensor_name(key), key)
        if key not in inputs:
            raise ValueError("to_onnx: check_inputs key %r is not an input; inputs are %s." % (key, sorted(inputs)))
        feeds[key] = np.asarray(value)
    missing = sorted(set(inputs) - set(feeds))
    if missing:
        raise ValueError("to_onnx: check_inputs lacks inputs %s." % missing)
    return feeds


def _first_row(feeds):
    if all(v.ndim >= 1 and v.shape[0] > 1 for v in feeds.values()):
        return {k: v[:1] for k, v in feeds.items()}
    return None


def compare_with_session(model, graph_def, inputs, outputs, feeds, tolerance=1e-5):
    """Runs ``model`` in onnxruntime and ``graph_def`` in a TensorFlow session on ``feeds`` (dict key ->
    array, also at batch 1 when they hold more rows) and compares every output.

    Returns:
      dict output key -> max |onnxruntime - TensorFlow|.
    Raises:
      OnnxMismatchError naming the first output that differs by more than ``tolerance``
      (absolute), the difference and where; also when shapes differ or only one is finite.
    """
    session = onnx_session(model)
    differences = {k: 0.0 for k in outputs}
    with export.FrozenModel(graph_def, inputs, outputs) as frozen:
        for batch in (feeds, _first_row(feeds)):
            if batch is None:
                continue
            expected = frozen(batch)
            got = run_onnx(session, {inputs[k]: v for k, v in batch.items()}, outputs)
            rows = len(next(iter(batch.values()))) if next(iter(batch.values())).ndim else 1
            for key in outputs:
                diff = _difference(key, outputs[key], got[key], expected[key], tolerance, rows)
                differences[key] = max(differences[key], diff)
    return differences


def _difference(key, name, got, expected, tolerance, rows):
    got, expected = np.asarray(got), np.asarray(expected)
    where = "output %r (%s) at batch %d" % (key, name, rows)
    if got.shape != expected.shape:
        raise OnnxMismatchError("to_onnx: %s: onnxruntime gives shape %s, the TensorFlow session %s; nothing "
                                "written" % (where, got.shape, expected.shape))
    if got.size == 0:
        return 0.0
    if got.dtype.kind in "fc" or expected.dtype.kind in "fc":
        same_nonfinite = (~np.isfinite(got) & (got.astype(np.float64) == expected.astype(np.float64))) | (
            np.isnan(got) & np.isnan(expected))
        error = np.where(same_nonfinite, 0.0, np.abs(got.astype(np.float64) - expected.astype(np.float64)))
        error = np.where(np.isnan(error), np.inf, error)
    else:
        error = np.abs(got.astype(np.float64) - expected.astype(np.float64))
    worst = np.unravel_index(int(np.argmax(error)), error.shape)
    diff = float(error[worst])
    if diff > tolerance:
        raise OnnxMismatchError(
            "to_onnx: %s: onnxruntime and the TensorFlow session differ by %.3g > tolerance %g at index %s "
            "(onnxruntime %r, TensorFlow %r); nothing written"
            % (where, diff, tolerance, tuple(int(i) for i in worst), got[worst].item(), expected[worst].item()))
    return diff


# ---------------------------------------------------------------- the entry point
def to_onnx(source, path=None, manifest=None, inputs=None, outputs=None, check_inputs=None,
            opset=DEFAULT_OPSET, tolerance=1e-5, model_fn=None, signature_name="serving_default",
            serving_input_receiver_fn=None, overwrite=False):
    """Converts a TF1 serving graph to ONNX, checks it against the TensorFlow session, writes it.

    Args:
      source: what to convert:
        * a frozen ``tf.GraphDef``, or the path of a ``.pb`` / ``.pbtxt`` (its names from
          ``manifest``, else ``<stem>.serving.json`` or ``manifest.json`` beside it);
        * a SavedModel folder (the ``signature_name`` signature's inputs and outputs);
        * a checkpoint prefix or model folder, with ``model_fn() -> ModelSpec`` (frozen by
          ``tf1_recsys.export.freeze_checkpoint``; names from the spec);
        * a ``tf1_recsys.training.Trainer`` (``Trainer.freeze``, ``serving_names``);
        * a ``tf1_recsys.estimator.Estimator`` with ``serving_input_receiver_fn`` (its
          latest checkpoint, through ``export_saved_model``).
      path: the ``.onnx`` to write (atomically); None writes nothing.
      manifest: a serving manifest (dict or JSON path) naming the inputs and outputs.
      inputs, outputs: dicts key -> tensor name (or lists of names); override the manifest.
      check_inputs: dict input key (or tensor name) -> array [batch, ...]; default
        ``default_check_inputs`` at batch 5. The check also runs their first row alone.
      opset: the ONNX opset (default 17).
      tolerance: the largest |onnxruntime - TensorFlow| accepted on any output element.
      overwrite: replace an existing ``path``; otherwise FileExistsError.
    Returns:
      ``OnnxExport(model, inputs, outputs, differences, path)``.
    Raises:
      OnnxUnavailableError, OnnxConversionError, OnnxMismatchError (nothing is written),
      ValueError when the names are not known, FileExistsError.
    """
    if path is not None:
        if os.path.isdir(path):
            raise IsADirectoryError("to_onnx: path %s is a folder; name the .onnx file." % path)
        if os.path.lexists(path) and not overwrite:
            raise FileExistsError("to_onnx: %s exists; pass overwrite=True to replace it." % path)
    if not tolerance >= 0:
        raise ValueError("to_onnx: `tolerance` must be >= 0; got %r." % (tolerance,))
    onnx_modules()
    graph_def, names = frozen_graph(source, manifest, model_fn, signature_name, serving_input_receiver_fn)
    inputs = _as_names(inputs) or (names[0] if names else None)
    outputs = _as_names(outputs) or (names[1] if names else None)
    if not inputs or not outputs:
        raise ValueError("to_onnx: no input and output names: pass `manifest` (a *.serving.json) or `inputs` "
                         "and `outputs`.")
    export.load_frozen(graph_def, inputs, outputs)  # GraphDefError naming a tensor that is not there
    model = convert_graph_def(graph_def, inputs, outputs, opset)
    feeds = (_keyed_feeds(check_inputs, inputs) if check_inputs is not None
             else default_check_inputs(graph_def, inputs))
    differences = compare_with_session(model, graph_def, inputs, outputs, feeds, tolerance)
    if path is not None:
        export.write_bytes_atomically(model.SerializeToString(), path)
    return OnnxExport(model, inputs, outputs, differences, path)


__all__ = ["to_onnx", "convert_graph_def", "compare_with_session", "default_check_inputs", "frozen_graph",
           "manifest_names", "onnx_session", "run_onnx", "unconverted_nodes", "onnx_modules", "onnx_versions",
           "OnnxExport", "OnnxUnavailableError", "OnnxConversionError", "OnnxMismatchError", "DEFAULT_OPSET"]
