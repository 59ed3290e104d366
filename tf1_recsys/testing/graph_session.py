"""One test's TensorFlow world: a fresh ``tf.Graph`` as default, its graph seed, a ``Session``.

TF1-style tests build ops into "the" default graph; without a fresh graph per test,
variables of one test collide with the next (``Variable x already exists``) and
collections such as UPDATE_OPS accumulate. ``GraphSession`` gives each test its own
graph and session and, when the test ends, checks that it left TensorFlow's
process-wide behaviour as it found it: eager execution as the default mode (seen from
a new thread; the test's own thread is restored when the graph context exits), TF2
behaviour, resource variables and control flow v2. A test calling
``tf.compat.v1.disable_eager_execution()`` or ``disable_v2_behavior()`` would change
every later test. (A test that enters a graph with ``as_default()`` and never leaves
it is already stopped by TensorFlow: "Nesting violated for default stack".)

Both the pytest fixtures (``tf1_recsys.testing.pytest_plugin``) and ``GraphTestCase``
are thin wrappers around it.
"""
import threading

from tf1_recsys._tf import _tensorflow, tf

DEFAULT_SEED = 0


def _eager_in_new_thread():
    result = []
    thread = threading.Thread(target=lambda: result.append(tf.executing_eagerly()))
    thread.start()
    thread.join()
    return result[0]


def global_behaviour():
    """TensorFlow's process-wide switches: list of (description, value)."""
    return [("eager execution (new threads)", _eager_in_new_thread()),
            ("TF2 behaviour", _tensorflow.__internal__.tf2.enabled()),
            ("resource variables", tf.resource_variables_enabled()),
            ("control flow v2", tf.control_flow_v2_enabled())]


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
        self._behaviour_before = None

    def __enter__(self):
        self._behaviour_before = global_behaviour()
        self.graph = tf.Graph()
        self._graph_context = self.graph.as_default()
        self._graph_context.__enter__()
        if self.seed is not None:
            tf.set_random_seed(self.seed)
        self.sess = tf.Session(graph=self.graph, config=self.config)
        return self

    def __exit__(self, exc_type, exc, tb):
        self.sess.close()
        self._graph_context.__exit__(exc_type, exc, tb)
        if exc_type is not None:
            return False
        changed = ["%s %s -> %s" % (what, before, now) for (what, before), (_, now)
                   in zip(self._behaviour_before, global_behaviour()) if before != now]
        if changed:
            raise StateLeak(
                "the test changed TensorFlow's behaviour for the whole process: %s (e.g. "
                "tf.compat.v1.disable_eager_execution or disable_v2_behavior); every later test "
                "would run differently. Build in the test's graph instead." % ", ".join(changed))
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
