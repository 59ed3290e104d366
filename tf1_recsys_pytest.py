"""The ``pytest11`` entry point of tf1_recsys: registers nothing unless asked to.

pytest loads every installed ``pytest11`` entry point in every project. This module is
top-level, outside the ``tf1_recsys`` package, so loading it runs no package ``__init__``
(which needs TensorFlow): it imports neither TensorFlow nor the fixtures; it declares one ini option,
``tf1_recsys_fixtures`` (default false), and registers
``tf1_recsys.testing.pytest_plugin`` only where a project sets it to true.
"""
import importlib

INI_OPTION = "tf1_recsys_fixtures"
PLUGIN = "tf1_recsys.testing.pytest_plugin"


def pytest_addoption(parser):
    parser.addini(INI_OPTION, "register tf1_recsys's graph/session fixtures (tf1, tf1_graph, tf1_session)",
                  type="bool", default=False)


def pytest_configure(config):
    if config.getini(INI_OPTION) and not config.pluginmanager.has_plugin(PLUGIN):
        config.pluginmanager.register(importlib.import_module(PLUGIN), PLUGIN)
