"""The reference models as Estimator ``model_fn``s.

``model_fn(features, labels, mode, params, config)`` builds ``params['model']``
('din', 'fm', 'mmoe') with the builder of ``tf1_recsys.models`` on the given tensors
(``given_inputs``), with ``training = (mode == TRAIN)``, and the loss and train op the
way ``tf1_recsys.training.Trainer`` builds them (``training_loss``, then
``tf1_recsys.estimator.minimize``, in the name scope ``train``). So every variable, the
optimizer's slots and ``global_step`` have the Trainer's names: a checkpoint moves
between a ``Trainer`` (``tf1-recsys train``) and a cluster run in both directions.

``params``::

    {"model": "din", "schema": Schema.to_dict(), "hparams": {...builder kwargs...},
     "train": {...TrainConfig kwargs...}, "seed": 0, "num_shards": 2}

``num_shards`` > 1 partitions every embedding table into that many contiguous row
blocks (``fixed_size_partitioner``; the builders look them up with
``partition_strategy='div'``), which ``replica_device_setter`` spreads over the ps
tasks. Contiguous blocks are saved as one tensor under the table's name, so the
checkpoint restores into any shard count, one included.
"""
import dataclasses

import numpy as np

from tf1_recsys._tf import tf
from tf1_recsys.data.schema import Schema
from tf1_recsys.models import get_model
from tf1_recsys.models.common import given_inputs

_PARAM_KEYS = ("model", "schema", "hparams", "train", "seed")


def sharded_schema(schema, num_shards):
    """``schema`` with every embedding table split into at least ``num_shards`` partitions."""
    if num_shards is None or int(num_shards) <= 1:
        return schema
    features = [f if f.kind == "real" else dataclasses.replace(f, num_shards=max(f.num_shards, int(num_shards)))
                for f in schema.features]
    return Schema(features=features, labels=schema.labels, group=schema.group)


def model_arrays(data, schema):
    """``(x, y)`` for ``tf1_recsys.estimator.inputs.numpy_input_fn`` from a split of ``tf1_recsys.data``.

    ``x``: every feature of ``schema`` with its placeholder's dtype (ids int64, reals
    float32); ``y``: every label, float32. Arrays already of that dtype are not copied.
    """
    x = {f.name: np.asarray(data[f.name], np.float32 if f.kind == "real" else np.int64) for f in schema.features}
    y = {t: np.asarray(data[t], np.float32) for t in schema.labels}
    return x, y


def _train_config(params):
    from tf1_recsys.training import TrainConfig

    return TrainConfig(seed=params.get("seed", 0), progress=False, **params["train"])


def model_fn(features, labels, mode, params, config=None):
    """An Estimator ``model_fn`` of the reference model ``params['model']``; see the module docstring.

    Returns:
      ``EstimatorSpec``: predictions ``{task: probability [B]}``; in TRAIN and EVAL the
      loss (``training_loss``: the model's loss with the run's ``task_weights`` / ``l2``);
      in TRAIN the train op; in EVAL ``auc/<task>`` (``tf.compat.v1.metrics.auc``, 2000
      thresholds) for every task; in PREDICT the export output ``serving_default``.
    """
    from tf1_recsys import estimator as tf_estimator
    from tf1_recsys.training.config import make_optimizer, training_loss

    missing = [k for k in _PARAM_KEYS if k not in params]
    if missing:
        raise ValueError("model_fn: `params` lacks %s; it needs %s." % (missing, list(_PARAM_KEYS)))
    schema = sharded_schema(Schema.from_dict(params["schema"]), params.get("num_shards"))
    builder = get_model(params["model"])
    training = tf.constant(mode == tf_estimator.ModeKeys.TRAIN, name="training")
    with given_inputs(features, labels, training):
        spec = builder(schema, **params["hparams"])
    predictions = dict(spec.predictions)
    if mode == tf_estimator.ModeKeys.PREDICT:
        return tf_estimator.EstimatorSpec(
            mode, predictions=predictions,
            export_outputs={"serving_default": tf_estimator.export.PredictOutput(predictions)})
    cfg = _train_config(params)
    with tf.name_scope("train"):  # where Trainer builds them: the optimizer's variables get its names
        loss = training_loss(spec, cfg)
        train_op, hooks = None, []
        if mode == tf_estimator.ModeKeys.TRAIN:
            optimizer = make_optimizer(cfg.optimizer, cfg.learning_rate, **cfg.optimizer_kwargs)
            train_op, hooks = tf_estimator.minimize(loss, optimizer, config, sync_replicas=params.get(
                "sync_replicas", False), clip_norm=cfg.clip_norm)
    metrics = {"auc/%s" % t: tf.metrics.auc(spec.labels[t], p, num_thresholds=2000) for t, p in predictions.items()}
    return tf_estimator.EstimatorSpec(mode, predictions=predictions, loss=loss, train_op=train_op,
                                      eval_metric_ops=metrics if mode == tf_estimator.ModeKeys.EVAL else None,
                                      training_hooks=hooks)


__all__ = ["model_fn", "model_arrays", "sharded_schema"]
