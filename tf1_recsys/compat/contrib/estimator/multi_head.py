"""``tensorflow.contrib.estimator.python.estimator.multi_head``: ``multi_head`` (``estimator.canned.multi_head``)."""
from tf1_recsys.estimator.canned.multi_head import multi_head

__all__ = ["multi_head"]
