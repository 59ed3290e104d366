"""Drop-in, Keras-free ``tf.compat.v1.layers`` and ``tf.contrib`` pieces for TF1 code on TensorFlow 2.

``tf1_recsys.compat.layers`` has the names of ``tf.compat.v1.layers`` (TensorFlow 2.15);
``tf1_recsys.compat.contrib.layers`` the ``tf.contrib.layers`` pieces recommendation code
used; ``tf1_recsys.compat.rnn_cell`` the cells of ``tf.compat.v1.nn.rnn_cell``. ``install()`` makes ``tf.compat.v1.layers`` (and with ``contrib=True``
``tf.compat.v1.contrib``) resolve to them; ``uninstall()`` restores TensorFlow's own.
"""
from tf1_recsys.compat import contrib, layers, rnn_cell
from tf1_recsys.compat.install import install, installed, uninstall

__all__ = ["layers", "contrib", "rnn_cell", "install", "uninstall", "installed"]
