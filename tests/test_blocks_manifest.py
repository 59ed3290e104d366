"""Variable names and shapes of every block against the checked-in manifest (through the kit), and reuse."""
import importlib.util
import os

import pytest

from tf1_recsys import testing
from tf1_recsys._tf import tf

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location(
    "make_variable_manifest", os.path.join(os.path.dirname(HERE), "tools", "make_variable_manifest.py"))
tool = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tool)
BUILDERS = tool.builders()


def test_manifest_lists_every_block():
    assert sorted(testing.read_manifest(tool.MANIFEST)) == sorted(BUILDERS)


@pytest.mark.parametrize("block", sorted(BUILDERS))
def test_variables_match_manifest(block):
    # On a difference the message lists renamed/removed/added/reshaped variables and says
    # old checkpoints will not restore; if intended: tools/make_variable_manifest.py --force
    # and a BUGFIXES/changelog note.
    entries = testing.check_manifest(BUILDERS[block], tool.MANIFEST, key=block)
    assert [e["name"] for e in entries] == [e["name"] for e in testing.read_manifest(tool.MANIFEST)[block]]


@pytest.mark.parametrize("block", sorted(BUILDERS))
def test_builds_twice_under_reuse_without_new_variables(block):
    with tf.Graph().as_default():
        with tf.variable_scope("tower"):
            BUILDERS[block]()
        before = [v.op.name for v in tf.global_variables()]
        updates = len(tf.get_collection(tf.GraphKeys.UPDATE_OPS))
        with tf.variable_scope("tower", reuse=True):
            BUILDERS[block]()
        assert [v.op.name for v in tf.global_variables()] == before
        assert len(tf.get_collection(tf.GraphKeys.UPDATE_OPS)) == updates  # training=False: none
        assert all(name.startswith("tower/") for name in before)
