"""pytest fixtures for TF1-style session tests (opt-in).

Enable in one of three ways (installing tf1_recsys alone enables nothing):

* a ``conftest.py`` line: ``pytest_plugins = ["tf1_recsys.testing.pytest_plugin"]``;
* the command line: ``pytest -p tf1_recsys.testing.pytest_plugin``;
* the ini file: ``tf1_recsys_fixtures = true`` under ``[pytest]`` (read by the
  ``tf1_recsys`` entry point, ``tf1_recsys_pytest``).

Fixtures:
  tf1_seed: the graph-level seed (0); override it with your own ``tf1_seed`` fixture.
  tf1: a ``GraphSession`` (``.graph``, ``.sess``, ``.run(fetches, feeds)``, ``.initialize()``);
    a fresh graph is the default graph for the whole test.
  tf1_graph, tf1_session: its graph and session.

TensorFlow is imported when a test first uses a fixture, once per test process.
"""
import pytest


@pytest.fixture
def tf1_seed():
    """The graph-level seed of the ``tf1`` fixture."""
    from tf1_recsys.testing.graph_session import DEFAULT_SEED

    return DEFAULT_SEED


@pytest.fixture
def tf1(tf1_seed):
    """A fresh default graph with seed ``tf1_seed`` and a session on it; fails the test on a state leak."""
    from tf1_recsys.testing.graph_session import GraphSession

    with GraphSession(tf1_seed) as graph_session:
        yield graph_session


@pytest.fixture
def tf1_graph(tf1):
    """The ``tf1`` fixture's graph (the default graph during the test)."""
    return tf1.graph


@pytest.fixture
def tf1_session(tf1):
    """The ``tf1`` fixture's session."""
    return tf1.sess
