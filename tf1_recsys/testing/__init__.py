"""``tf1_recsys.testing``: a kit for session-based unit tests of your own TF1-style models.

Three release questions, each a unit test against a file checked into your repository:

* did a refactor rename or resize a variable?  -> variable manifests
  (``write_manifest``, ``check_manifest``);
* does my old checkpoint still restore?  -> checkpoint reports
  (``checkpoint_report``, ``assert_checkpoint_restores``);
* does my frozen serving graph still give the same outputs?  -> golden graphs
  (``write_golden``, ``assert_golden``).

Plus the scaffolding: ``GraphSession`` (a fresh graph, seeded session, ``run`` with
feeds), ``GraphTestCase`` for unittest, and opt-in pytest fixtures
(``tf1_recsys.testing.pytest_plugin``).

What the kit calls a ``model_fn`` is documented in ``tf1_recsys.testing.model``: a
callable taking no arguments that builds into the default graph and returns a dict
``{"inputs": {...}, "outputs": {...}, "training": switch-or-absent}`` or a ``ModelSpec``.
See docs/TESTING.md for a complete example test file.

Importing this package imports neither TensorFlow nor its submodules; each name below
is loaded from its submodule when first used.
"""
from tf1_recsys._lazy import lazy_exports

_EXPORTS = {
    "Model": "model", "build_model": "model", "build_variables": "model",
    "GraphSession": "graph_session", "StateLeak": "graph_session",
    "GraphTestCase": "unittest_case",
    "variable_values": "values", "assign_values": "values",
    "manifest_of": "manifest", "variable_entries": "manifest", "read_manifest": "manifest",
    "write_manifest": "manifest", "check_manifest": "manifest", "diff_entries": "manifest",
    "ManifestMismatch": "manifest",
    "checkpoint_report": "checkpoint_compat", "assert_checkpoint_restores": "checkpoint_compat",
    "CheckpointReport": "checkpoint_compat", "CheckpointMismatch": "checkpoint_compat",
    "make_golden": "golden_graph", "write_golden": "golden_graph", "load_golden": "golden_graph",
    "golden_problems": "golden_graph", "assert_golden": "golden_graph",
    "regeneration_problems": "golden_graph", "GoldenMismatch": "golden_graph",
}


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = sorted(_EXPORTS)
