"""``multi_head``: several named V1 heads over one network (``tf.contrib.estimator.multi_head``).

The logits are a dict {head name: [batch, head.logits_dimension]} or one tensor
[batch, sum of the dimensions] split in the heads' order; the labels are a dict by head
name. The training loss is the (``head_weights``-weighted) sum of the heads' losses; the
predictions are keyed ``(head name, key)``; EVAL reports every head's metrics (their names
already end in '/<head name>') and ``loss/<head name>``; serving has each head's signatures as
``<head name>`` (its default) and ``<head name>/<key>``, the first head's default as
``serving_default`` and one merged ``predict`` signature (outputs ``<head name>/<key>``).
"""
from tf1_recsys._tf import tf
from tf1_recsys.estimator.canned.head import PREDICT_SERVING_KEY, LossSpec, _Head, _summary_key, _train_op
from tf1_recsys.estimator.canned.metric_keys import MetricKeys
from tf1_recsys.estimator.estimator_spec import DEFAULT_SERVING_KEY, EstimatorSpec
from tf1_recsys.estimator.export_output import PredictOutput
from tf1_recsys.estimator.mode_keys import ModeKeys


def _no_op_train_fn(loss):
    del loss
    return tf.no_op()


def _merge_losses(losses, head_weights, regularization_losses=()):
    """The sum of ``losses`` (scalars), each times its head weight when there are any, plus the regularization."""
    losses = tuple(losses)
    with tf.name_scope("merge_losses", values=losses + tuple(head_weights)):
        if head_weights:
            losses = [tf.multiply(loss, weight) for loss, weight in zip(losses, head_weights)]
        return tf.add_n(list(losses) + list(regularization_losses))


def _default_export_output(export_outputs, head_name):
    if len(export_outputs) == 1:
        return next(iter(export_outputs.values()))
    if DEFAULT_SERVING_KEY in export_outputs:
        return export_outputs[DEFAULT_SERVING_KEY]
    raise ValueError("{} did not specify default export_outputs. Given: {} Suggested fix: Use one of the heads in "
                     "tf.contrib.estimator, or include key {} in export_outputs.".format(
                         head_name, export_outputs, DEFAULT_SERVING_KEY))


class _MultiHead(_Head):
    """The V1 multi-objective head: ``heads`` (each named) with optional ``head_weights``."""

    def __init__(self, heads, head_weights):
        self._heads = tuple(heads)
        self._head_weights = tuple(head_weights or ())
        self._logits_dimension = sum(head.logits_dimension for head in self._heads)

    @property
    def name(self):
        return "_".join(head.name for head in self._heads)

    def _logits_by_head(self, logits):
        """{head name: logits [batch, head.logits_dimension]} from a dict or a [batch, total] tensor."""
        if isinstance(logits, dict):
            return logits
        with tf.name_scope(None, "split_logits", values=[logits]):
            logits = tf.convert_to_tensor(logits)
            dimensions = [head.logits_dimension for head in self._heads]
            last = logits.shape.as_list()[-1]
            if last is not None and last != sum(dimensions):
                raise ValueError(
                    "Could not split logits of shape %r among the heads with individual logits dimensions: %r. The "
                    "last dimension of the logits tensor should equal %d but is %d."
                    % (logits.shape.as_list(), dimensions, last, sum(dimensions)))
            parts = tf.split(logits, dimensions, axis=-1)
        return {head.name: part for head, part in zip(self._heads, parts)}

    def create_loss(self, features, mode, logits, labels):
        """``LossSpec``: the merged training loss; per-head dicts of unreduced losses, weights and labels."""
        logits = self._logits_by_head(logits)
        training_losses, unreduced, weights, processed = [], {}, {}, {}
        for i, head in enumerate(self._heads):
            spec = head.create_loss(features, mode, logits[head.name], labels[head.name])
            training_losses.append(spec.training_loss)
            processed[head.name] = spec.processed_labels
            if self._head_weights:
                unreduced[head.name] = tf.multiply(spec.unreduced_loss, self._head_weights[i])
                weights[head.name] = tf.multiply(spec.weights, self._head_weights[i])
            else:
                unreduced[head.name], weights[head.name] = spec.unreduced_loss, spec.weights
        return LossSpec(_merge_losses(training_losses, self._head_weights), unreduced, weights, processed)

    def create_estimator_spec(self, features, mode, logits, labels=None, optimizer=None, train_op_fn=None,
                              regularization_losses=None):
        """The merged ``EstimatorSpec`` of ``mode`` (``labels``: a dict by head name).

        ``regularization_losses`` (scalars, not in TF 1.x's signature) add to the merged loss.
        """
        regularization_losses = list(regularization_losses or [])
        logits = self._logits_by_head(logits)
        if labels and not isinstance(labels, dict):
            raise ValueError("labels must be a dict. Given: {}".format(labels))
        specs = [head.create_estimator_spec(features=features, mode=mode, logits=logits[head.name],
                                            labels=labels[head.name] if labels else None,
                                            train_op_fn=_no_op_train_fn)
                 for head in self._heads]
        predictions = {(head.name, key): value for head, spec in zip(self._heads, specs)
                       for key, value in spec.predictions.items()}
        if mode == ModeKeys.TRAIN:
            return self._merge_train(specs, predictions, optimizer, train_op_fn, regularization_losses)
        if mode == ModeKeys.PREDICT:
            return self._merge_predict(specs, predictions)
        if mode == ModeKeys.EVAL:
            return self._merge_eval(specs, predictions, regularization_losses)
        raise ValueError("mode={} unrecognized".format(mode))

    def _merge_train(self, specs, predictions, optimizer, train_op_fn, regularization_losses):
        loss = _merge_losses([spec.loss for spec in specs], self._head_weights, regularization_losses)
        train_op = _train_op(loss, optimizer, train_op_fn)
        with tf.name_scope(""):
            tf.summary.scalar(MetricKeys.LOSS, loss)
            if regularization_losses:
                tf.summary.scalar(MetricKeys.LOSS_REGULARIZATION, tf.add_n(regularization_losses))
        return EstimatorSpec(mode=ModeKeys.TRAIN, loss=loss, train_op=train_op, predictions=predictions)

    def _merge_predict(self, specs, predictions):
        export_outputs = {DEFAULT_SERVING_KEY: _default_export_output(specs[0].export_outputs, self._heads[0].name)}
        merged_predict = {}
        for head, spec in zip(self._heads, specs):
            for key, output in spec.export_outputs.items():
                export_outputs[head.name if key == DEFAULT_SERVING_KEY else "%s/%s" % (head.name, key)] = output
                if key == PREDICT_SERVING_KEY and isinstance(output, PredictOutput):
                    merged_predict.update({"%s/%s" % (head.name, k): v for k, v in output.outputs.items()})
        export_outputs[PREDICT_SERVING_KEY] = PredictOutput(merged_predict)
        return EstimatorSpec(mode=ModeKeys.PREDICT, predictions=predictions, export_outputs=export_outputs)

    def _merge_eval(self, specs, predictions, regularization_losses):
        metrics = {}
        with tf.name_scope("merge_eval"):
            for head, spec in zip(self._heads, specs):
                loss_name = _summary_key(head.name, MetricKeys.LOSS)
                metrics[loss_name] = tf.metrics.mean(spec.loss, name=loss_name)
                metrics.update(spec.eval_metric_ops or {})
            loss = _merge_losses([spec.loss for spec in specs], self._head_weights, regularization_losses)
        return EstimatorSpec(mode=ModeKeys.EVAL, predictions=predictions, loss=loss, eval_metric_ops=metrics)


def multi_head(heads, head_weights=None):
    """A head over several named V1 ``heads``; ``head_weights`` (one float each) weight their losses."""
    if head_weights and len(head_weights) != len(heads):
        raise ValueError("heads and head_weights must have the same size. Given len(heads): {}. Given "
                         "len(head_weights): {}.".format(len(heads), len(head_weights)))
    if not heads:
        raise ValueError("Must specify heads. Given: {}".format(heads))
    for head in heads:
        if not head.name:
            raise ValueError("All given heads must have name specified. Given: {}".format(head))
    return _MultiHead(heads, head_weights)


__all__ = ["multi_head"]
