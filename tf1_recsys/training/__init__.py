"""Session training for TF1-style static graphs: ``Trainer``, ``TrainConfig``, ``build_train_op``.

Typical use::

    from tf1_recsys.training import Trainer, TrainConfig
    trainer = Trainer(model_fn, TrainConfig(optimizer="ftrl", epochs=2), model_dir="runs/din")
    trainer.fit(train_arrays, eval_data=valid_arrays)   # resumes if runs/din has a checkpoint
    trainer.evaluate(test_arrays, group_key="user_id")  # {'loss', 'auc/<task>', 'gauc/<task>'}
    graph_def = trainer.freeze()                         # for tf1_recsys.export.write_graph_def

Partitioned embedding tables: ``tf.compat.v1.nn.embedding_lookup`` defaults to
``partition_strategy='mod'`` while TF2's ``tf.nn.embedding_lookup`` is always
``'div'``. Training with one and serving (or restoring) with the other reads other
rows without any error; pass the strategy explicitly everywhere a partitioned table is
looked up.
"""
from tf1_recsys.training.batches import batch_indices, epoch_order, steps_per_epoch
from tf1_recsys.training.checkpoint import CheckpointError, latest_checkpoint, resolve_checkpoint
from tf1_recsys.training.config import TrainConfig, build_train_op, make_optimizer
from tf1_recsys.training.trainer import NanLossDuringTrainingError, Trainer

__all__ = [
    "TrainConfig",
    "Trainer",
    "NanLossDuringTrainingError",
    "build_train_op",
    "make_optimizer",
    "CheckpointError",
    "latest_checkpoint",
    "resolve_checkpoint",
    "batch_indices",
    "epoch_order",
    "steps_per_epoch",
]
