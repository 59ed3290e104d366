"""One test's TensorFlow world: a fresh ``tf.Graph`` as default, its graph seed, a ``Session``.

TF1-style tests build ops into "the" default graph; without a fresh graph per test,
variables of one test collide with the next (``Variable x already exists``) and
collections such as UPDATE_OPS accumulate. ``GraphSession`` gives each test its own
graph and session and, when the test ends, checks that it left TensorFlow's global
state as it found it: eager execution still in the mode it was (a test calling
``tf.compat.v1.disable_eager_execution()`` would change every later test) and no
graph left entered as default.

Both the pytest fixtures (``tf1_recsys.testing.pytest_plugin``) and ``GraphTestCase``
are thin wrappers around it.
"""
from tf1_recsys._tf import tf

DEFAULT_SEED = 0


class StateLeak(AssertionError):
    """A test changed TensorFlow's global state, which would leak into later tests."""


class GraphSession:
    """``with GraphSession(seed) as gs:`` -> ``gs.graph`` (default inside), ``gs.sess``, ``gs.run``.

    Args:
      seed: the graph-level seed (``tf.set_random_seed``); ops' random seeds derive from it.
      config: an optional ``tf.ConfigProto`` for the session.
    """

    def __init__(self, seed=DEFAULT_SEED, config=None):
        self.seed = seed
        self.config = config
        self.graph = None
        self.sess = None
        self._graph_context = None
        self._eager_before = None

    def __enter__(self):
        self._eager_before = tf.executing_eagerly_outside_functions()
        self.graph = tf.Graph()
        self._graph_context = self.graph.as_default()
        self._graph_context.__enter__()
        if self.seed is not None:
            tf.set_random_seed(self.seed)
        self.sess = tf.Session(graph=self.graph, config=self.config)
        return self

    def __exit__(self, exc_type, exc, tb):
        self.sess.close()
        leaked = tf.get_default_graph() is not self.graph
        self._graph_context.__exit__(exc_type, exc, tb)
        if exc_type is not None:
            return False
        if leaked:
            raise StateLeak("the test entered a graph as default (`graph.as_default()`) and did not leave it.")
        if tf.executing_eagerly_outside_functions() != self._eager_before:
            raise StateLeak(
                "the test switched eager execution %s for the whole process (tf.compat.v1.%s_eager_execution "
                "or disable_v2_behavior); every later test would run in the other mode. Build in the "
                "test's graph instead." % (("off", "disable") if self._eager_before else ("on", "enable")))
        return False

    def initialize(self):
        """Runs the initializers of the graph's global and local variables and tables."""
        with self.graph.as_default():
            self.sess.run([tf.global_variables_initializer(), tf.local_variables_initializer(),
                           tf.tables_initializer()])

    def run(self, fetches, feeds=None):
        """``sess.run(fetches, feed_dict)``; ``feeds`` may be keyed by tensor or by tensor name ('x' or 'x:0')."""
        feed_dict = {}
        for key, value in (feeds or {}).items():
            if isinstance(key, str):
                key = self.graph.get_tensor_by_name(key if ":" in key else key + ":0")
            feed_dict[key] = value
        return self.sess.run(fetches, feed_dict)


__all__ = ["GraphSession", "StateLeak", "DEFAULT_SEED"]
