"""``tf.estimator.classifier_parse_example_spec`` / ``regressor_parse_example_spec``: a canned estimator's
``tf.io.parse_example`` spec (features, label and weight) from its feature columns.

The V1 functions (``tf.compat.v1.estimator.*``) take ``tf.compat.v1.feature_column`` columns, the
``*_v2`` ones (``tf.estimator.*``) ``tf.feature_column`` columns; both return
``{key: tf.io.FixedLenFeature | VarLenFeature | ...}``: the columns' own spec, ``label_key`` as a
``FixedLenFeature((1,) or (label_dimension,), label_dtype, label_default)`` and the weight column's.
"""
from tf1_recsys._tf import _tensorflow, tf


def _numeric_column_type():
    return type(tf.feature_column.numeric_column("_"))


def _with_label_and_weight(parsing_spec, label_key, label_spec, weight_column):
    """``parsing_spec`` plus the label's and (a string or ``numeric_column``) weight column's specs."""
    if label_key in parsing_spec:
        raise ValueError("label should not be used as feature. label_key: {}, features: {}".format(
            label_key, parsing_spec.keys()))
    parsing_spec[label_key] = label_spec
    if weight_column is None:
        return parsing_spec
    if isinstance(weight_column, str):
        weight_column = tf.feature_column.numeric_column(weight_column)
    if not isinstance(weight_column, _numeric_column_type()):
        raise ValueError("weight_column should be an instance of tf.feature_column.numeric_column. "
                         "Given type: {} value: {}".format(type(weight_column), weight_column))
    if weight_column.key in parsing_spec:
        raise ValueError("weight_column should not be used as feature. weight_column: {}, features: {}".format(
            weight_column.key, parsing_spec.keys()))
    parsing_spec.update(weight_column.parse_example_spec)
    return parsing_spec


def _classifier_spec(make_spec, feature_columns, label_key, label_dtype, label_default, weight_column):
    label_spec = tf.io.FixedLenFeature((1,), label_dtype, label_default)
    return _with_label_and_weight(make_spec(feature_columns), label_key, label_spec, weight_column)


def _regressor_spec(make_spec, feature_columns, label_key, label_dtype, label_default, label_dimension,
                    weight_column):
    label_spec = tf.io.FixedLenFeature((label_dimension,), label_dtype, label_default)
    return _with_label_and_weight(make_spec(feature_columns), label_key, label_spec, weight_column)


def classifier_parse_example_spec_v2(feature_columns, label_key, label_dtype=tf.int64, label_default=None,
                                     weight_column=None):
    """``tf.estimator.classifier_parse_example_spec``: the label is ``FixedLenFeature((1,), label_dtype)``."""
    return _classifier_spec(_tensorflow.feature_column.make_parse_example_spec, feature_columns, label_key,
                            label_dtype, label_default, weight_column)


def regressor_parse_example_spec_v2(feature_columns, label_key, label_dtype=tf.float32, label_default=None,
                                    label_dimension=1, weight_column=None):
    """``tf.estimator.regressor_parse_example_spec``: the label is ``FixedLenFeature((label_dimension,), ...)``."""
    return _regressor_spec(_tensorflow.feature_column.make_parse_example_spec, feature_columns, label_key,
                           label_dtype, label_default, label_dimension, weight_column)


def classifier_parse_example_spec(feature_columns, label_key, label_dtype=tf.int64, label_default=None,
                                  weight_column=None):
    """``tf.compat.v1.estimator.classifier_parse_example_spec`` (``tf.compat.v1.feature_column`` columns)."""
    return _classifier_spec(tf.feature_column.make_parse_example_spec, feature_columns, label_key, label_dtype,
                            label_default, weight_column)


def regressor_parse_example_spec(feature_columns, label_key, label_dtype=tf.float32, label_default=None,
                                 label_dimension=1, weight_column=None):
    """``tf.compat.v1.estimator.regressor_parse_example_spec`` (``tf.compat.v1.feature_column`` columns)."""
    return _regressor_spec(tf.feature_column.make_parse_example_spec, feature_columns, label_key, label_dtype,
                           label_default, label_dimension, weight_column)


__all__ = ["classifier_parse_example_spec", "regressor_parse_example_spec", "classifier_parse_example_spec_v2",
           "regressor_parse_example_spec_v2"]
