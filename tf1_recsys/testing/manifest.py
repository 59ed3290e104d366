"""Variable manifests: the names, shapes, dtypes and trainability of a model's variables.

A checkpoint restores by variable name and shape. A refactor that renames a scope or
resizes a layer still trains, and fails only when an old checkpoint is restored (or,
with ``init_from_checkpoint``-style partial restores, silently keeps fresh weights).
Pinning the variables in a checked-in JSON file turns that into a failing unit test.

A manifest file is a JSON object: model key -> list of entries
``{"name": "fm/bias", "shape": [1], "dtype": "float32", "trainable": true}``, one
entry per line so that a diff shows exactly what changed. The older compact rows
``["fm/bias", [1], true]`` (no dtype recorded; dtypes then not compared) are read too.

Public API:
  variable_entries(variables) -> list of entries; manifest_of(model_fn) -> entries
  write_manifest(path, model_fns, force=False); read_manifest(path) -> dict key -> entries
  diff_entries(expected, actual) -> VariableDiff
  check_manifest(model_fn, path, key=None) raises ManifestMismatch (an AssertionError)
"""
import collections
import collections.abc
import difflib
import json
import os

from tf1_recsys._tf import tf
from tf1_recsys.testing.model import build_variables

Renamed = collections.namedtuple("Renamed", "old new shape dtype")
Changed = collections.namedtuple("Changed", "name old new")


class ManifestMismatch(AssertionError):
    """A model's variables differ from its manifest; the message lists every difference."""


def variable_entries(variables, trainable=None):
    """Manifest entries of ``variables`` in their order.

    Args:
      variables: ``tf.Variable`` objects (``var.op.name`` is the name a Saver uses for an
        unpartitioned variable; each partition of a partitioned variable is its own entry).
      trainable: the trainable variables (default the graph's TRAINABLE_VARIABLES).
    """
    variables = list(variables)
    if trainable is None:
        graph = variables[0].graph if variables else tf.get_default_graph()
        trainable = graph.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES)
    trainable_ids = {id(v) for v in trainable}
    return [collections.OrderedDict([("name", v.op.name), ("shape", v.shape.as_list()),
                                     ("dtype", v.dtype.base_dtype.name), ("trainable", id(v) in trainable_ids)])
            for v in variables]


def manifest_of(model_fn):
    """The manifest entries of the variables ``model_fn`` creates in a fresh graph."""
    with tf.Graph().as_default():
        return variable_entries(build_variables(model_fn))


def _normalise(entry, where):
    if isinstance(entry, collections.abc.Mapping):
        return {"name": entry["name"], "shape": list(entry["shape"]), "dtype": entry.get("dtype"),
                "trainable": entry.get("trainable")}
    if isinstance(entry, (list, tuple)) and len(entry) == 3:  # compact row: name, shape, trainable
        return {"name": entry[0], "shape": list(entry[1]), "dtype": None, "trainable": entry[2]}
    raise ValueError("%s: a manifest entry must be {name, shape, dtype, trainable} or "
                     "[name, shape, trainable]; got %r." % (where, entry))


def read_manifest(path):
    """The manifest file at ``path``: dict model key -> list of entries (dicts)."""
    with open(path) as f:
        data = json.load(f)
    if not isinstance(data, dict):
        raise ValueError("%s: a manifest file holds a JSON object model key -> entries; got %s."
                         % (path, type(data).__name__))
    return {key: [_normalise(e, "%s[%r]" % (path, key)) for e in entries] for key, entries in data.items()}


def manifest_text(manifests):
    """The JSON text of ``manifests`` (dict key -> entries): keys sorted, one entry per line."""
    blocks = []
    for key in sorted(manifests):
        rows = ",\n".join("    " + json.dumps(collections.OrderedDict(
            (k, e[k]) for k in ("name", "shape", "dtype", "trainable"))) for e in manifests[key])
        blocks.append("  %s: [\n%s\n  ]" % (json.dumps(key), rows) if rows else "  %s: []" % json.dumps(key))
    return "{\n" + ",\n".join(blocks) + "\n}\n"


def write_manifest(path, model_fns, force=False):
    """Writes the manifest of every ``model_fns[key]`` to ``path``; returns the manifests.

    Regeneration is explicit: an existing file is overwritten only with ``force=True``,
    which declares the variable change intended (old checkpoints will not restore).
    """
    if not isinstance(model_fns, collections.abc.Mapping):
        raise TypeError("write_manifest: `model_fns` must be a dict model key -> model_fn; got %r." % (model_fns,))
    if os.path.exists(path) and not force:
        raise FileExistsError("%s exists. A variable manifest is rewritten only for an intended change "
                              "that breaks old checkpoints: pass force=True." % path)
    manifests = {key: manifest_of(fn) for key, fn in model_fns.items()}
    directory = os.path.dirname(path)
    if directory:
        os.makedirs(directory, exist_ok=True)
    with open(path, "w") as f:
        f.write(manifest_text(manifests))
    return manifests


class VariableDiff(collections.namedtuple(
        "VariableDiff", "added removed renamed reshaped retyped trainability")):
    """Differences between expected (old) and actual (new) variables.

    Attributes: ``added`` / ``removed``: entries; ``renamed``: ``Renamed(old, new, shape,
    dtype)`` best guesses (same shape and dtype, similar name); ``reshaped``, ``retyped``,
    ``trainability``: ``Changed(name, old, new)``.
    """

    @property
    def breaks_checkpoints(self):
        """True when a checkpoint of the old variables no longer restores into the new ones."""
        return bool(self.added or self.removed or self.renamed or self.reshaped or self.retyped)

    def __bool__(self):
        return self.breaks_checkpoints or bool(self.trainability)

    def lines(self):
        """One human-readable line per difference."""
        out = ["renamed (best guess): %s -> %s %s %s" % (r.old, r.new, r.shape, r.dtype or "")
               for r in self.renamed]
        out += ["removed: %s %s %s" % (e["name"], e["shape"], e["dtype"] or "") for e in self.removed]
        out += ["added: %s %s %s" % (e["name"], e["shape"], e["dtype"] or "") for e in self.added]
        out += ["reshaped: %s %s -> %s" % c for c in self.reshaped]
        out += ["dtype changed: %s %s -> %s" % c for c in self.retyped]
        out += ["trainable changed: %s %s -> %s" % c for c in self.trainability]
        return [" ".join(line.split()) for line in out]


def _similarity(a, b):
    score = difflib.SequenceMatcher(None, a, b).ratio()
    return score + (0.5 if a.rsplit("/", 1)[-1] == b.rsplit("/", 1)[-1] else 0.0)


def guess_renames(old, new, min_score=0.6):
    """Best-guess pairs (old entry, new entry): same shape, same dtype where both are known,
    and similar names (difflib ratio, +0.5 for the same last name component) of at least
    ``min_score``; greedily by score, each entry used once."""
    candidates = []
    for i, o in enumerate(old):
        for j, n in enumerate(new):
            same_dtype = o["dtype"] is None or n["dtype"] is None or o["dtype"] == n["dtype"]
            if o["shape"] == n["shape"] and same_dtype:
                score = _similarity(o["name"], n["name"])
                if score >= min_score:
                    candidates.append((-score, i, j))
    pairs, used_old, used_new = [], set(), set()
    for _, i, j in sorted(candidates):
        if i not in used_old and j not in used_new:
            used_old.add(i)
            used_new.add(j)
            pairs.append((old[i], new[j]))
    return pairs


def diff_entries(expected, actual):
    """``VariableDiff`` between manifest entries ``expected`` (old) and ``actual`` (new); order is ignored."""
    expected = [_normalise(e, "expected") for e in expected]
    actual = [_normalise(e, "actual") for e in actual]
    old = {e["name"]: e for e in expected}
    new = {e["name"]: e for e in actual}
    removed = [e for e in expected if e["name"] not in new]
    added = [e for e in actual if e["name"] not in old]
    pairs = guess_renames(removed, added)
    renamed = [Renamed(o["name"], n["name"], n["shape"], n["dtype"] or o["dtype"]) for o, n in pairs]
    paired = {id(e) for pair in pairs for e in pair}
    reshaped, retyped, trainability = [], [], []
    for e in expected:
        n = new.get(e["name"])
        if n is None:
            continue
        if n["shape"] != e["shape"]:
            reshaped.append(Changed(e["name"], e["shape"], n["shape"]))
        if e["dtype"] is not None and n["dtype"] is not None and n["dtype"] != e["dtype"]:
            retyped.append(Changed(e["name"], e["dtype"], n["dtype"]))
        if e["trainable"] is not None and n["trainable"] is not None and n["trainable"] != e["trainable"]:
            trainability.append(Changed(e["name"], e["trainable"], n["trainable"]))
    return VariableDiff([e for e in added if id(e) not in paired], [e for e in removed if id(e) not in paired],
                        renamed, reshaped, retyped, trainability)


def mismatch_message(diff, what, source):
    """The failure message for ``diff``: every difference, and what it means for checkpoints."""
    if diff.breaks_checkpoints:
        verdict = "old checkpoints will not restore into this model"
    else:
        verdict = "old checkpoints still restore, but training would update other variables"
    lines = ["variables of %s differ from %s: %s." % (what, source, verdict)]
    lines += ["  " + line for line in diff.lines()]
    lines.append("If this change is intended, regenerate the manifest explicitly and record the "
                 "change as breaking in your changelog.")
    return "\n".join(lines)


def check_manifest(model_fn, path, key=None):
    """Checks the variables of ``model_fn`` against manifest ``key`` of the file ``path``.

    Args:
      model_fn: see ``tf1_recsys.testing.model``.
      path: a manifest file (``write_manifest``).
      key: the model's key in the file; may be omitted when the file holds one model.
    Returns:
      The model's entries when they match.
    Raises:
      ManifestMismatch listing renamed (best guess), removed, added, reshaped, retyped and
      re-flagged variables; KeyError when ``key`` is not in the file.
    """
    manifests = read_manifest(path)
    if key is None:
        if len(manifests) != 1:
            raise KeyError("%s holds %d models (%s): pass key=." % (path, len(manifests), ", ".join(sorted(manifests))))
        key = next(iter(manifests))
    if key not in manifests:
        raise KeyError("%s has no model %r; it has: %s" % (path, key, ", ".join(sorted(manifests))))
    actual = manifest_of(model_fn)
    diff = diff_entries(manifests[key], actual)
    if diff:
        raise ManifestMismatch(mismatch_message(diff, repr(key), path))
    return actual


__all__ = ["variable_entries", "manifest_of", "read_manifest", "manifest_text", "write_manifest",
           "diff_entries", "guess_renames", "VariableDiff", "Renamed", "Changed", "mismatch_message",
           "check_manifest", "ManifestMismatch"]
