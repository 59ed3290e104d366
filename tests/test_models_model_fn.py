"""The reference models as Estimator ``model_fn``s: checkpoints move between Trainer and Estimator.

References: the checkpoint keys and shapes a ``Trainer`` writes, and ``Trainer.predict`` on the
checkpoint the Estimator wrote (its own graph and session).
"""
import numpy as np
import pytest

from tf1_recsys._tf import tf
from tf1_recsys import estimator as tf_estimator
from tf1_recsys.data.synthetic import generate
from tf1_recsys.models import get_model
from tf1_recsys.models.common import given_inputs
from tf1_recsys.models.model_fn import model_arrays, model_fn, sharded_schema
from tf1_recsys.models.presets import preset
from tf1_recsys.training import TrainConfig, Trainer


@pytest.fixture(scope="module")
def data():
    return generate(seed=0, num_impressions=1200)


def _keys(checkpoint):
    return dict(tf.train.list_variables(checkpoint))


@pytest.mark.parametrize("name", ["din", "dien", "fm", "mmoe"])
def test_trainer_checkpoint_continues_in_the_estimator_with_partitioned_tables_and_back(name, data, tmp_path):
    hparams, settings = preset(name, "synthetic")
    settings.update(epochs=1, batch_size=256, checkpoint_every=10 ** 6)
    model_dir = str(tmp_path / name)
    trainer = Trainer(lambda: get_model(name)(data.schema, **hparams),
                      TrainConfig(seed=0, progress=False, **settings), model_dir=model_dir)
    trainer.fit(data.train)
    trainer.close()
    first = tf.train.latest_checkpoint(model_dir)
    steps = int(tf.train.load_variable(first, "global_step"))
    params = {"model": name, "schema": data.schema.to_dict(), "hparams": hparams, "train": settings, "seed": 0,
              "num_shards": 2}
    config = tf_estimator.RunConfig(log_step_count_steps=None, save_summary_steps=0)
    est = tf_estimator.Estimator(model_fn, model_dir=model_dir, config=config, params=params)
    est.train(tf_estimator.inputs.numpy_input_fn(*model_arrays(data.train, data.schema), batch_size=256,
                                                 num_epochs=None, shuffle=True), max_steps=steps + 3)
    second = est.latest_checkpoint()
    assert int(tf.train.load_variable(second, "global_step")) == steps + 3  # it restored the Trainer's step
    assert _keys(second) == _keys(first)  # same variables, slots and shapes (the partitions saved whole)
    x, _ = model_arrays(data.test, data.schema)
    predicted = list(est.predict(tf_estimator.inputs.numpy_input_fn(x, batch_size=128, shuffle=False),
                                 yield_single_examples=False))
    back = Trainer(lambda: get_model(name)(data.schema, **hparams), TrainConfig(seed=0, progress=False, **settings),
                   model_dir=model_dir)
    try:
        assert back.restored_from == second
        reference = back.predict(data.test)
    finally:
        back.close()
    for task in reference:
        np.testing.assert_allclose(np.concatenate([p[task] for p in predicted]), reference[task], rtol=1e-5,
                                   atol=1e-6)


def test_given_inputs_checks_the_features(data):
    schema = sharded_schema(data.schema, 3)
    assert {f.num_shards for f in schema.features if f.kind != "real"} == {3}
    with tf.Graph().as_default():
        features = {f.name: tf.zeros([2] if f.kind != "sequence" else [2, f.max_len],
                                     tf.float32 if f.kind == "real" else tf.int64) for f in schema.features}
        features["item"] = tf.zeros([2], tf.int32)
        with given_inputs(features, None, tf.constant(False)):
            with pytest.raises(ValueError, match="feature 'item' must be int64; got int32"):
                get_model("fm")(schema)
        del features["item"]
        with given_inputs(features, None, tf.constant(False)):
            with pytest.raises(ValueError, match="feature 'item' of the schema is missing"):
                get_model("fm")(schema)
