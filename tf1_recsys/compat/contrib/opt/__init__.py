"""``tf.contrib.opt`` as recommendation code used it: ``LazyAdamOptimizer`` and decoupled weight decay.

``LazyAdamOptimizer`` is the same class as ``tf1_recsys.training.LazyAdamOptimizer`` (one
implementation). ``AdamWOptimizer``, ``MomentumWOptimizer``, ``DecoupledWeightDecayExtension`` and
``extend_with_decoupled_weight_decay`` are TF 1.15's decoupled weight decay
(``weight_decay_optimizers``); ``NadamOptimizer`` (``nadam_optimizer``). Not provided: the other
contrib optimizers (``MovingAverageOptimizer``, ``ScipyOptimizerInterface``, ``ShampooOptimizer``, ...).
"""
from tf1_recsys.compat.contrib.opt.nadam_optimizer import NadamOptimizer
from tf1_recsys.compat.contrib.opt.weight_decay_optimizers import (
    AdamWOptimizer,
    DecoupledWeightDecayExtension,
    MomentumWOptimizer,
    extend_with_decoupled_weight_decay,
)
from tf1_recsys.training.lazy_adam import LazyAdamOptimizer

__all__ = ["LazyAdamOptimizer", "NadamOptimizer", "AdamWOptimizer", "MomentumWOptimizer", "DecoupledWeightDecayExtension",
           "extend_with_decoupled_weight_decay"]
