"""TensorFlow errors shortened to their informative line, in the formats of TensorFlow 2.12 and 2.21."""
import pytest

from tf1_recsys.training.checkpoint import _message

# What `sess.run` raises for an id outside its table: 2.12-2.15 print the node's Python stack
# with each source line, 2.16+ without them.
STACK_2_12 = ("Graph execution error:\n\nDetected at node 'embedding_lookup' defined at (most recent call "
              "last):\n    File \"train.py\", line 6, in <module>\n      y = tf.nn.embedding_lookup(table, ids)\n"
              "    File \"/usr/lib/python3.11/runpy.py\", line 198, in _run_module_as_main\n"
              "      raise SystemExit(_console_main())\nNode: 'embedding_lookup'\n"
              "indices[1] = 9 is not in [0, 5)\n\t [[{{node embedding_lookup}}]]")
STACK_2_21 = ("Graph execution error:\n\nDetected at node 'embedding_lookup' defined at (most recent call "
              "last):\n    File \"train.py\", line 6, in <module>\nNode: 'embedding_lookup'\n"
              "indices[1] = 9 is not in [0, 5)\n\t [[{{node embedding_lookup}}]]")


class _Error(Exception):
    def __init__(self, message):
        super().__init__(message)
        self.message = message


@pytest.mark.parametrize("text", [STACK_2_12, STACK_2_21], ids=["tf2.12", "tf2.21"])
def test_the_line_after_the_node_stack_is_the_message(text):
    assert _message(_Error(text)) == "indices[1] = 9 is not in [0, 5)"


def test_a_message_without_a_stack_is_its_first_informative_line():
    assert _message(_Error("Graph execution error:\n\nKey dense/bias not found in checkpoint\n\t [[{{node save}}]]")) \
        == "Key dense/bias not found in checkpoint"
    assert _message(_Error("Detected at node 'x' defined at (most recent call last):\n  File \"a.py\", line 1\n"
                           "      boom()")) == "boom()"  # no 'Node:' line: nothing is dropped
    assert _message(_Error("")) == "_Error"
