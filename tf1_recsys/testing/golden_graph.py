"""Golden frozen graphs of a user's model: freeze once, check on every later TensorFlow.

A golden graph pins what a serving graph computes. ``write_golden`` builds a
``model_fn`` in a fresh graph under a seed, fills its variables with deterministic
values (``tf1_recsys.testing.values``), freezes it (``tf1_recsys.export.freeze_session``,
training switch fixed to False), runs it on fixed inputs and stores, in one directory:

* ``graph.pb``: the frozen ``GraphDef`` (deterministic bytes);
* ``manifest.json``: input/output tensor names, dtypes and static shapes, the training
  graph's variables, the seed, TensorFlow version, sha256 of graph.pb;
* ``golden.npz``: the fixed inputs ``input/<key>`` and the outputs ``output/<key>``
  (no pickled objects).

``assert_golden`` (or ``golden_problems``) later checks that the stored graph still
loads on the installed TensorFlow and reproduces the stored outputs, and that the
model rebuilt from ``model_fn`` still has the stored variables and tensors and computes
the stored outputs to a tolerance. Regeneration is explicit: ``write_golden`` refuses
to overwrite a golden graph unless ``force=True``; no check ever writes.

Public API:
  make_golden(model_fn, inputs, seed=0, name="model", description=None) -> Artifacts
  write_golden(directory, model_fn, inputs, seed=0, description=None, force=False)
  load_golden(directory) -> Stored(manifest, arrays, graph_bytes)
  golden_problems(directory, model_fn, rtol=1e-6, atol=1e-6, runtimes=("tensorflow",)) -> list of str
  assert_golden(directory, model_fn, rtol=1e-6, atol=1e-6, runtimes=("tensorflow",)) raises GoldenMismatch

With ``runtimes=("tensorflow", "onnxruntime")`` the stored outputs are also checked
through onnxruntime (the ``onnx`` extra): the ONNX model is ``graph.onnx`` in the
directory when there is one (the artifact you ship, e.g. written by
``tf1_recsys.export.to_onnx(directory + "/graph.pb", directory + "/graph.onnx")``), else
graph.pb converted by tf2onnx on the spot.
  regeneration_problems(directory, model_fn) -> list of str (what a regeneration would change)
  npz_bytes(arrays), manifest_bytes(manifest)
"""
import collections
import hashlib
import io
import json
import os
import zipfile

import numpy as np

from tf1_recsys._tf import tf
from tf1_recsys.testing.manifest import diff_entries, mismatch_message, variable_entries
from tf1_recsys.testing.model import build_model
from tf1_recsys.testing.values import assign_values
from tf1_recsys.version import __version__

GRAPH_FILE, MANIFEST_FILE, GOLDEN_FILE, ONNX_FILE = "graph.pb", "manifest.json", "golden.npz", "graph.onnx"
RUNTIMES = ("tensorflow", "onnxruntime")
Artifacts = collections.namedtuple("Artifacts", "graph_bytes manifest arrays")
Stored = collections.namedtuple("Stored", "manifest arrays graph_bytes")

# Ops a frozen serving graph must not hold: variables, their reads, a training switch.
_UNFROZEN_OPS = {"VarHandleOp", "VariableV2", "ReadVariableOp", "AssignSubVariableOp", "If", "StatelessIf",
                 "PlaceholderWithDefault"}


class GoldenMismatch(AssertionError):
    """A golden graph no longer loads, or the model no longer computes its outputs."""


def _shape(tensor):
    return tensor.shape.as_list() if tensor.shape.rank is not None else None


def _tensor_entry(key, tensor):
    return collections.OrderedDict([("key", key), ("name", tensor.name), ("dtype", tensor.dtype.name),
                                    ("shape", _shape(tensor))])


def _check_feeds(inputs, placeholders):
    if sorted(inputs) != sorted(placeholders):
        raise ValueError("golden inputs: keys must be the model's inputs %s; got %s."
                         % (sorted(placeholders), sorted(inputs)))
    feeds = {}
    for key, tensor in placeholders.items():
        value = np.asarray(inputs[key])
        if value.dtype != tensor.dtype.as_numpy_dtype:
            raise TypeError("golden inputs[%r]: dtype must be %s (placeholder %s); got %s."
                            % (key, tensor.dtype.name, tensor.name, value.dtype))
        if not tensor.shape.is_compatible_with(value.shape):
            raise ValueError("golden inputs[%r]: shape %s does not fit placeholder %s of shape %s."
                             % (key, value.shape, tensor.name, tensor.shape))
        feeds[key] = value
    return feeds


def _batch(feeds):
    leading = {v.shape[0] for v in feeds.values() if v.ndim >= 1}
    return int(leading.pop()) if len(leading) == 1 and all(v.ndim >= 1 for v in feeds.values()) else None


def make_golden(model_fn, inputs, seed=0, name="model", description=None, allow_non_finite=False):
    """Builds, fills, freezes and runs ``model_fn`` at ``inputs``; writes nothing.

    Args:
      model_fn: see ``tf1_recsys.testing.model`` (it must return inputs and outputs).
      inputs: dict input key -> numpy array of the placeholder's dtype.
      seed: graph-level seed and seed of the variable values.
      name, description: recorded in the manifest (description defaults to the
        model_fn's docstring).
      allow_non_finite: freeze variables holding NaN or inf (``export.freeze_session``).
    Returns:
      ``Artifacts(graph_bytes, manifest, arrays)``: the serialized frozen GraphDef, the
      manifest dict and the arrays 'input/<key>', 'output/<key>'. The outputs are those
      of the frozen graph, checked against the unfrozen graph in inference mode.
    """
    from tf1_recsys import export

    if description is None:
        description = getattr(model_fn, "__doc__", None) or ""
    graph = tf.Graph()
    with graph.as_default():
        model = build_model(model_fn, seed=seed)
        feeds = _check_feeds(inputs, model.inputs)
        with tf.Session(graph=graph) as sess:
            assign_values(sess, model.variables, seed)
            unfrozen = sess.run(model.outputs, {model.inputs[k]: v for k, v in feeds.items()})
            graph_def = export.freeze_session(sess, list(model.outputs.values()),
                                              training=model.training if model.training is not None else [],
                                              allow_non_finite=allow_non_finite)
        entries = variable_entries(model.variables)
    graph_bytes = graph_def.SerializeToString(deterministic=True)
    outputs = export.run_frozen(graph_def, {model.inputs[k].name: v for k, v in feeds.items()},
                                {k: t.name for k, t in model.outputs.items()})
    for key, value in outputs.items():
        np.testing.assert_allclose(value, unfrozen[key], rtol=1e-6, atol=1e-6,
                                   err_msg="frozen %s/%s differs from the unfrozen graph" % (name, key))
    manifest = collections.OrderedDict([
        ("name", name),
        ("description", " ".join(description.split())),
        ("graph", GRAPH_FILE),
        ("sha256", hashlib.sha256(graph_bytes).hexdigest()),
        ("golden", GOLDEN_FILE),
        ("tensorflow_version", tf.version.VERSION),
        ("graph_def_producer", graph_def.versions.producer),
        ("tf1_recsys_version", __version__),
        ("seed", seed),
        ("batch", _batch(feeds)),
        ("training_switch", None if model.training is None else model.training.name),
        ("training_switch_frozen_to", None if model.training is None else False),
        ("inputs", [_tensor_entry(k, t) for k, t in model.inputs.items()]),
        ("outputs", [_tensor_entry(k, t) for k, t in model.outputs.items()]),
        ("variables", entries),
        ("node_count", len(graph_def.node)),
    ])
    arrays = collections.OrderedDict()
    for key in model.inputs:
        arrays["input/" + key] = feeds[key]
    for key in model.outputs:
        arrays["output/" + key] = outputs[key]
    return Artifacts(graph_bytes, manifest, arrays)


def npz_bytes(arrays):
    """A ``.npz`` of ``arrays`` (no pickled objects) whose bytes depend only on the arrays."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for key, value in arrays.items():
            value = np.asarray(value)
            if value.dtype.hasobject:
                raise TypeError("npz_bytes: %s holds Python objects." % key)
            info = zipfile.ZipInfo(key + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            member = io.BytesIO()
            np.lib.format.write_array(member, value, allow_pickle=False)
            archive.writestr(info, member.getvalue())
    return buffer.getvalue()


def manifest_bytes(manifest):
    """The manifest as written: indented JSON and a final newline."""
    return (json.dumps(manifest, indent=2) + "\n").encode("utf-8")


def write_golden(directory, model_fn, inputs, seed=0, description=None, force=False, allow_non_finite=False):
    """Writes ``directory/{graph.pb, manifest.json, golden.npz}``; returns ``directory``.

    The manifest's name is the directory's base name. Refuses to overwrite an existing
    golden graph unless ``force``: a golden graph is a compatibility contract, regenerated
    only for an intended breaking change. Refuses golden outputs holding NaN or inf
    (a check against NaN passes for nothing) unless ``allow_non_finite``; nothing is
    written then.
    """
    if os.path.exists(os.path.join(directory, MANIFEST_FILE)) and not force:
        raise FileExistsError(
            "%s exists. Golden graphs are never regenerated to make a test pass; if this is an "
            "intended breaking change, pass force=True and record it in your changelog." % directory)
    name = os.path.basename(os.path.normpath(directory))
    artifacts = make_golden(model_fn, inputs, seed=seed, name=name, description=description,
                            allow_non_finite=allow_non_finite)
    bad = [key[len("output/"):] for key, value in artifacts.arrays.items()
           if key.startswith("output/") and np.asarray(value).dtype.kind in "fc" and not np.all(np.isfinite(value))]
    if bad and not allow_non_finite:
        raise ValueError("write_golden: the outputs %s of %s are not finite (NaN or inf) on these inputs; a golden "
                         "graph must pin finite values: check the inputs and variables, or pass "
                         "allow_non_finite=True" % (", ".join(bad), name))
    os.makedirs(directory, exist_ok=True)
    for filename, data in ((GRAPH_FILE, artifacts.graph_bytes), (GOLDEN_FILE, npz_bytes(artifacts.arrays)),
                           (MANIFEST_FILE, manifest_bytes(artifacts.manifest))):
        with open(os.path.join(directory, filename), "wb") as f:
            f.write(data)
    return directory


def load_golden(directory):
    """The stored golden graph: ``Stored(manifest, arrays, graph_bytes)`` (arrays read without pickle)."""
    with open(os.path.join(directory, MANIFEST_FILE)) as f:
        manifest = json.load(f)
    with np.load(os.path.join(directory, manifest.get("golden", GOLDEN_FILE)), allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    with open(os.path.join(directory, manifest.get("graph", GRAPH_FILE)), "rb") as f:
        graph_bytes = f.read()
    return Stored(manifest, arrays, graph_bytes)


def _compare(what, got, expected, rtol, atol):
    got, expected = np.asarray(got), np.asarray(expected)
    if got.shape != expected.shape:
        return ["%s has shape %s; the golden output has shape %s" % (what, got.shape, expected.shape)]
    close = np.isclose(got, expected, rtol=rtol, atol=atol)
    if close.all():
        return []
    error = np.abs(got.astype(np.float64) - expected.astype(np.float64))
    where = np.unravel_index(int(np.argmax(np.where(close, -1.0, error))), got.shape)
    return ["%s differs from the golden output at %d of %d elements (rtol=%g, atol=%g); largest "
            "difference %.3g at index %s: got %r, golden %r"
            % (what, int((~close).sum()), close.size, rtol, atol, float(error[where]), tuple(int(i) for i in where),
               got[where].item(), expected[where].item())]


def _stored_graph_problems(directory, stored, rtol, atol):
    from tf1_recsys import export

    manifest, arrays = stored.manifest, stored.arrays
    if hashlib.sha256(stored.graph_bytes).hexdigest() != manifest["sha256"]:
        return ["%s does not match the manifest's sha256: the stored file was changed"
                % os.path.join(directory, manifest["graph"])]
    inputs = {e["key"]: e["name"] for e in manifest["inputs"]}
    outputs = {e["key"]: e["name"] for e in manifest["outputs"]}
    try:
        graph_def = tf.GraphDef.FromString(stored.graph_bytes)
        graph, in_t, out_t = export.load_frozen(graph_def, inputs, outputs)
    except Exception as e:  # the point of the check: any failure to load is the finding
        return ["the stored graph does not load on TensorFlow %s (written by %s): %s"
                % (tf.version.VERSION, manifest["tensorflow_version"], e)]
    problems = []
    for entry in manifest["inputs"]:
        t = in_t[entry["key"]]
        if t.op.type != "Placeholder" or t.dtype.name != entry["dtype"] or _shape(t) != entry["shape"]:
            problems.append("stored graph input %r is a %s %s %s, the manifest says Placeholder %s %s"
                            % (entry["key"], t.op.type, t.dtype.name, _shape(t), entry["dtype"], entry["shape"]))
    unfrozen = sorted({op.type for op in graph.get_operations()} & _UNFROZEN_OPS)
    if unfrozen:
        problems.append("the stored graph still holds variables or a training switch: %s" % ", ".join(unfrozen))
    try:
        with tf.Session(graph=graph) as sess:
            got = sess.run(out_t, {in_t[k]: arrays["input/" + k] for k in inputs})
    except tf.errors.OpError as e:
        return problems + ["the stored graph does not run on TensorFlow %s: %s" % (tf.version.VERSION, e.message)]
    for key in outputs:
        problems += _compare("stored graph output %r" % key, got[key], arrays["output/" + key], rtol, atol)
    return problems


def _onnx_problems(directory, stored, rtol, atol):
    """The stored outputs through onnxruntime: ``graph.onnx`` when present, else graph.pb converted."""
    from tf1_recsys import export_onnx

    manifest, arrays = stored.manifest, stored.arrays
    inputs = {e["key"]: e["name"] for e in manifest["inputs"]}
    outputs = {e["key"]: e["name"] for e in manifest["outputs"]}
    path = os.path.join(directory, ONNX_FILE)
    try:
        if os.path.isfile(path):
            what = ONNX_FILE
            session = export_onnx.onnx_session(path)
        else:
            what = "graph.pb converted by tf2onnx"
            model = export_onnx.convert_graph_def(tf.GraphDef.FromString(stored.graph_bytes), inputs, outputs)
            session = export_onnx.onnx_session(model)
        got = export_onnx.run_onnx(session, {name: arrays["input/" + k] for k, name in inputs.items()}, outputs)
    except (export_onnx.OnnxConversionError, ValueError) as e:
        return ["the ONNX model does not run: %s" % " ".join(str(e).split())]
    problems = []
    for key in outputs:
        problems += _compare("%s output %r" % (what, key), got[key], arrays["output/" + key], rtol, atol)
    return problems


def _rebuild_problems(stored, model_fn, rtol, atol):
    manifest, arrays = stored.manifest, stored.arrays
    problems = []
    graph = tf.Graph()
    with graph.as_default():
        model = build_model(model_fn, seed=manifest["seed"])
        diff = diff_entries(manifest["variables"], variable_entries(model.variables))
        if diff:
            problems.append(mismatch_message(diff, "the rebuilt model", "the golden manifest"))
        for kind, tensors in (("inputs", model.inputs), ("outputs", model.outputs)):
            stored_keys = [e["key"] for e in manifest[kind]]
            if sorted(stored_keys) != sorted(tensors):
                problems.append("the rebuilt model's %s are %s; the golden graph's are %s"
                                % (kind, sorted(tensors), sorted(stored_keys)))
                continue
            for entry in manifest[kind]:
                t = tensors[entry["key"]]
                now = (t.name, t.dtype.name, _shape(t))
                then = (entry["name"], entry["dtype"], entry["shape"])
                if now != then:
                    problems.append("%s %r is now %s %s %s; the golden graph has %s %s %s"
                                    % (kind[:-1], entry["key"], *now, *then))
        switch = model.training.name if model.training is not None else None
        if switch != manifest["training_switch"]:
            problems.append("the training switch is now %s; the golden graph has %s"
                            % (switch, manifest["training_switch"]))
        if problems:
            return problems
        with tf.Session(graph=graph) as sess:
            assign_values(sess, model.variables, manifest["seed"])
            feed = {model.inputs[e["key"]]: arrays["input/" + e["key"]] for e in manifest["inputs"]}
            got = sess.run(model.outputs, feed)  # training switch at its default, False
    for key in model.outputs:
        problems += _compare("rebuilt model output %r" % key, got[key], arrays["output/" + key], rtol, atol)
    return problems


def golden_problems(directory, model_fn, rtol=1e-6, atol=1e-6, runtimes=("tensorflow",)):
    """Everything wrong with golden graph ``directory`` for ``model_fn``; an empty list when nothing is.

    Checks that graph.pb matches the manifest's sha256, loads on the installed
    TensorFlow, is frozen, and reproduces the stored outputs; and that ``model_fn``
    rebuilt under the stored seed has the stored variables, tensor names, dtypes, shapes
    and training switch and, filled with the stored seed's values, computes the stored
    outputs (``|got - golden| <= atol + rtol * |golden|``). With "onnxruntime" in ``runtimes``,
    the ONNX model (``graph.onnx``, else graph.pb converted) must reproduce the stored
    outputs too; a missing onnx package raises ``OnnxUnavailableError``.
    """
    unknown = [r for r in runtimes if r not in RUNTIMES] if not isinstance(runtimes, str) else [runtimes]
    if unknown or "tensorflow" not in runtimes:
        raise ValueError("golden_problems: `runtimes` must be a tuple of %s including 'tensorflow'; got %r."
                         % (", ".join(repr(r) for r in RUNTIMES), runtimes))
    stored = load_golden(directory)
    problems = ["stored graph: " + p for p in _stored_graph_problems(directory, stored, rtol, atol)]
    if "onnxruntime" in runtimes:
        problems += ["onnxruntime: " + p for p in _onnx_problems(directory, stored, rtol, atol)]
    problems += ["rebuilt model: " + p for p in _rebuild_problems(stored, model_fn, rtol, atol)]
    return problems


def assert_golden(directory, model_fn, rtol=1e-6, atol=1e-6, runtimes=("tensorflow",)):
    """Raises ``GoldenMismatch`` listing ``golden_problems(...)`` unless there are none."""
    problems = golden_problems(directory, model_fn, rtol=rtol, atol=atol, runtimes=runtimes)
    if problems:
        raise GoldenMismatch(
            "golden graph %s no longer holds for this model; whoever serves it would see this:\n%s\n"
            "Never regenerate a golden graph to make this pass: fix the change, or declare it breaking "
            "and rewrite it explicitly (write_golden(..., force=True))." % (directory, "\n".join(
                "  - " + p.replace("\n", "\n    ") for p in problems)))


def regeneration_problems(directory, model_fn, rtol=1e-6, atol=1e-6):
    """What a regeneration (``make_golden`` now, at the stored inputs and seed) would change.

    The manifest's tensors and variables and the graph.pb bytes (sha256) must be
    identical: freezing is deterministic on one TensorFlow version, so on the version
    that wrote the graph a difference is a change of the model. The outputs are
    compared to the tolerance, not bytewise: TensorFlow's CPU kernels (oneDNN) pick
    instruction-set-specific code paths, so the last bits of a float output differ
    between machines. On another TensorFlow version the bytes may legitimately differ
    (the problem then names both versions).
    """
    stored = load_golden(directory)
    manifest = stored.manifest
    fresh = make_golden(model_fn, {e["key"]: stored.arrays["input/" + e["key"]] for e in manifest["inputs"]},
                        seed=manifest["seed"], name=manifest["name"], description=manifest["description"])
    problems = []
    for key in ("inputs", "outputs", "variables", "training_switch"):
        if manifest[key] != json.loads(json.dumps(fresh.manifest[key])):
            problems.append("the manifest's %s differ from a regeneration" % key)
    if fresh.manifest["sha256"] != manifest["sha256"]:
        note = "" if manifest["tensorflow_version"] == fresh.manifest["tensorflow_version"] else (
            " (written by TensorFlow %s, regenerated with %s)"
            % (manifest["tensorflow_version"], fresh.manifest["tensorflow_version"]))
        problems.append("regenerated graph bytes differ%s" % note)
    for key, value in fresh.arrays.items():
        if key.startswith("output/"):
            problems += _compare("regenerated %r" % key, value, stored.arrays[key], rtol, atol)
    return problems


__all__ = ["make_golden", "write_golden", "load_golden", "golden_problems", "assert_golden",
           "regeneration_problems", "npz_bytes", "manifest_bytes", "GoldenMismatch", "Artifacts", "Stored",
           "GRAPH_FILE", "MANIFEST_FILE", "GOLDEN_FILE", "ONNX_FILE", "RUNTIMES"]
