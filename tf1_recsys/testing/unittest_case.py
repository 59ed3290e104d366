"""``GraphTestCase``: a ``unittest.TestCase`` with a fresh graph and seeded session per test.

    class MyModelTest(GraphTestCase):
        seed = 7                      # graph-level seed (default 0)

        def test_forward(self):
            x = tf.placeholder(tf.float32, [None, 3])
            y = my_layer(x)           # built into self.graph, the default graph here
            self.initialize()
            out = self.evaluate(y, {x: np.ones([2, 3], np.float32)})

Same behaviour as the pytest fixtures of ``tf1_recsys.testing.pytest_plugin``: the
test fails with ``StateLeak`` when it switched eager execution for the whole process.
"""
import unittest

from tf1_recsys.testing.graph_session import DEFAULT_SEED, GraphSession


class GraphTestCase(unittest.TestCase):
    """Attributes during a test: ``graph`` (the default graph), ``sess``; class attribute ``seed``."""

    seed = DEFAULT_SEED

    def setUp(self):
        super().setUp()
        self._graph_session = GraphSession(self.seed)
        self._graph_session.__enter__()
        self.graph, self.sess = self._graph_session.graph, self._graph_session.sess

    def tearDown(self):
        try:
            self._graph_session.__exit__(None, None, None)
        finally:
            super().tearDown()

    def initialize(self):
        """Initialises the graph's variables and tables."""
        self._graph_session.initialize()

    def evaluate(self, fetches, feeds=None):
        """Runs ``fetches``; ``feeds`` keyed by tensor or tensor name."""
        return self._graph_session.run(fetches, feeds)


__all__ = ["GraphTestCase"]
