"""One session, two graphs, the same variable values: how the before / after tests of an exact rewrite
compare a new form of a graph with the form it replaces."""
import contextlib

from tf1_recsys._tf import tf


@contextlib.contextmanager
def session_with_values(values=None):
    """A session on the default graph as built (Grappler off: faster, and the graph compared is the one
    built), its global variables initialised, then set to ``values`` ({op name: array}) when given.

    Yields ``(sess, values)``: the values given, or those the initialisers drew.
    """
    variables = {v.op.name: v for v in tf.global_variables()}
    config = tf.ConfigProto()
    config.graph_options.rewrite_options.disable_meta_optimizer = True
    with tf.Session(config=config) as sess:
        sess.run(tf.global_variables_initializer())
        if values is None:
            values = sess.run(variables)
        else:
            assert sorted(values) == sorted(variables)
            for name, v in variables.items():
                v.load(values[name], sess)
        yield sess, values
