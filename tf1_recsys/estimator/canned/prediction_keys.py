"""The keys of a canned head's prediction dict (``tf.estimator``'s keys)."""


class PredictionKeys(object):
    """Keys of the dict ``Estimator.predict`` yields for a canned head."""

    CLASSES = "classes"
    CLASS_IDS = "class_ids"
    ALL_CLASSES = "all_classes"
    ALL_CLASS_IDS = "all_class_ids"
    LOGISTIC = "logistic"
    LOGITS = "logits"
    PREDICTIONS = "predictions"
    PROBABILITIES = "probabilities"


__all__ = ["PredictionKeys"]
