"""The cells ``install(private_names=True)`` puts into TensorFlow's private ``rnn_cell`` / ``rnn_cell_impl``.

Those modules hold TensorFlow's internal copy of the TF 1.x cells, which keeps ``get_variable``'s
Glorot uniform (graph-seeded) for a kernel given no initializer even under TF 2 behaviour, where
the public ``tf.compat.v1.nn.rnn_cell`` cells draw Keras' (``layers.default_initializer``).
These are the public classes with that one difference; names, signatures and variables are equal.
"""
from tf1_recsys.compat.rnn_cell import base, cells


class RNNCell(base.RNNCell):
    __doc__ = base.RNNCell.__doc__
    _keras_default_initializer = False


class LayerRNNCell(base.LayerRNNCell):
    __doc__ = base.LayerRNNCell.__doc__
    _keras_default_initializer = False


class BasicRNNCell(cells.BasicRNNCell):
    __doc__ = cells.BasicRNNCell.__doc__
    _keras_default_initializer = False


class GRUCell(cells.GRUCell):
    __doc__ = cells.GRUCell.__doc__
    _keras_default_initializer = False


class BasicLSTMCell(cells.BasicLSTMCell):
    __doc__ = cells.BasicLSTMCell.__doc__
    _keras_default_initializer = False


class LSTMCell(cells.LSTMCell):
    __doc__ = cells.LSTMCell.__doc__
    _keras_default_initializer = False


__all__ = ["RNNCell", "LayerRNNCell", "BasicRNNCell", "GRUCell", "BasicLSTMCell", "LSTMCell"]
