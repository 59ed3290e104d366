"""Trains, evaluates and predicts the canned estimators of one implementation; prints one JSON line.

    python tests/canned_side.py --impl tf|tf1_recsys --dir DIR [--resume-from OTHERDIR]

``--impl tf`` uses ``tf.compat.v1.estimator`` and tensorflow_estimator's V1 heads
(TensorFlow <= 2.15), and ``tf.estimator``'s V2 classes for ``programs_v2``; ``--impl tf1_recsys``
uses ``tf1_recsys.estimator`` (V1) and ``tf1_recsys._api.v2.estimator`` (V2). Every
program has the same seed, columns and data on both sides. ``--resume-from`` continues the
'wide_deep' model_dir that the other implementation left at step 5 (OTHERDIR/wide_deep_at_5) to
step 10. ``run`` and ``resume`` are the same, in-process.
"""
import argparse
import json
import os
import shutil
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np  # noqa: E402
import tensorflow as tf_root  # noqa: E402

tf = tf_root.compat.v1
fc = tf.feature_column

N = 12
RNG = np.random.RandomState(0)
DATA = {
    "age": RNG.uniform(18, 70, size=(N, 1)).astype(np.float32),
    "x": RNG.normal(size=(N, 2)).astype(np.float32),
    "cat": np.array(["a", "b", "c", "d"] * 3),
    "w": RNG.uniform(0.5, 2.0, size=(N, 1)).astype(np.float32),
}
LABELS = (RNG.uniform(size=(N, 1)) < 0.5).astype(np.int64)
CLASS3 = np.digitize(DATA["x"][:, :1], [-0.5, 0.5]).astype(np.int64)  # 3 classes [N, 1]
TARGETS = np.concatenate([DATA["x"][:, :1] * 2 + DATA["age"] / 50, DATA["x"][:, 1:] - 1], 1)  # regression [N, 2]


def input_fn(epochs, labels=LABELS, v2=False, keys=None):
    """The data (``keys``: only those features) in batches of 4; ``v2``: a ``tf.data`` (V2) dataset."""
    data = tf_root.data if v2 else tf.data
    features = {k: v for k, v in DATA.items() if keys is None or k in keys}

    def fn():
        dataset = data.Dataset.from_tensor_slices((features, labels)).batch(4)
        return dataset.repeat(epochs)
    return fn


def columns(fc=fc):
    age = fc.numeric_column("age")
    x = fc.numeric_column("x", shape=(2,))
    cat = fc.categorical_column_with_vocabulary_list("cat", ["a", "b", "c", "d"])
    age_buckets = fc.bucketized_column(age, [30, 50])
    cross = fc.crossed_column([age_buckets, cat], hash_bucket_size=7)
    return dict(age=age, x=x, cat=cat, cross=cross, emb=fc.embedding_column(cat, 3))


def head_module(est):
    """The V1 heads (``canned.head``) of the implementation ``est`` belongs to."""
    if est.__name__.startswith("tf1_recsys"):
        from tf1_recsys.estimator.canned import head
    else:
        from tensorflow_estimator.python.estimator.canned import head
    return head


def programs(est, config):
    c = columns()
    heads = head_module(est)
    return {
        "wide_deep": lambda d: est.DNNLinearCombinedClassifier(
            d, linear_feature_columns=[c["cat"], c["age"], c["cross"]], dnn_feature_columns=[c["emb"], c["x"]],
            dnn_hidden_units=[4, 3], config=config),
        "wide_deep_weighted_sgd": lambda d: est.DNNLinearCombinedClassifier(
            d, [c["cat"], c["cross"]], "SGD", [c["emb"], c["age"]], lambda: tf.train.AdamOptimizer(0.01), [3],
            weight_column="w", loss_reduction=tf.losses.Reduction.SUM_OVER_BATCH_SIZE, config=config),
        "linear": lambda d: est.LinearClassifier([c["cat"], c["cross"], c["x"]], d, optimizer=None,
                                                 weight_column="w", config=config),
        "dnn": lambda d: est.DNNClassifier([5, 3], [c["emb"], c["age"], c["x"]], d, config=config),
        "dnn_multiclass": lambda d: est.DNNClassifier([4], [c["emb"], c["x"]], d, n_classes=3, weight_column="w",
                                                      config=config),
        "baseline": lambda d: est.BaselineClassifier(d, weight_column="w", config=config),
        "wide_deep_regressor": lambda d: est.DNNLinearCombinedRegressor(
            d, [c["cat"], c["cross"]], dnn_feature_columns=[c["emb"], c["x"]], dnn_hidden_units=[3],
            label_dimension=2, weight_column="w", config=config),
        "linear_estimator": lambda d: est.LinearEstimator(heads._regression_head(), [c["cat"], c["age"]], d,
                                                          optimizer="SGD", config=config),
        "wide_deep_estimator": lambda d: est.DNNLinearCombinedEstimator(
            heads._binary_logistic_head_with_sigmoid_cross_entropy_loss(
                weight_column="w", thresholds=[0.3], loss_reduction=tf.losses.Reduction.SUM_OVER_BATCH_SIZE,
                name="ctr"),
            d, [c["cat"], c["cross"]], dnn_feature_columns=[c["emb"], c["x"]], dnn_hidden_units=[3], config=config),
        "dnn_regressor": lambda d: est.DNNRegressor([4], [c["emb"], c["x"]], d, label_dimension=2,
                                                    loss_reduction=tf.losses.Reduction.MEAN, config=config),
        # After 'wide_deep' (it warm-starts from that model_dir):
        "wide_deep_options": lambda d: est.DNNLinearCombinedClassifier(
            d, [c["cat"], c["cross"]], lambda: tf.train.FtrlOptimizer(0.05), [c["emb"], c["x"]],
            tf.train.AdagradOptimizer(0.1), [4, 3], dnn_dropout=0.25, label_vocabulary=["no", "yes"],
            input_layer_partitioner=tf.fixed_size_partitioner(2), loss_reduction=tf.losses.Reduction.MEAN,
            batch_norm=True, linear_sparse_combiner="mean", config=config),
        "wide_deep_warm_started": lambda d: _warm_started(est, config, d),
    }


def programs_v2(est, config):
    """The V2 classes (``tf.estimator.*``): default optimizers by name (Keras' updates), SUM_OVER_BATCH_SIZE."""
    c = columns(tf_root.feature_column)
    return {
        "v2_wide_deep": lambda d: est.DNNLinearCombinedClassifier(
            d, linear_feature_columns=[c["cat"], c["age"], c["cross"]], dnn_feature_columns=[c["emb"], c["x"]],
            dnn_hidden_units=[4, 3], batch_norm=True, config=config),
        "v2_dnn_multiclass": lambda d: est.DNNClassifier([4], [c["emb"], c["x"]], d, n_classes=3, weight_column="w",
                                                         config=config),
        "v2_linear_regressor": lambda d: est.LinearRegressor([c["cat"], c["cross"], c["x"]], d, label_dimension=2,
                                                             weight_column="w", config=config),
        "v2_dnn_sgd_regressor": lambda d: est.DNNRegressor([3], [c["emb"], c["age"]], d, optimizer="SGD",
                                                           config=config),
        "v2_baseline": lambda d: est.BaselineClassifier(d, config=config),
    }


def features_of(program):
    """TF's V2 baseline initializes its bias after its batch-size checks of 2+ features: one feature."""
    return ["age"] if program == "v2_baseline" else None


OLD_VOCABULARY, NEW_VOCABULARY = ["a", "b", "c", "d"], ["d", "c", "x", "a"]


def _warm_started(est, config, model_dir):
    """'wide_deep' with its 'cat' vocabulary changed to NEW_VOCABULARY, warm-started from the 'wide_deep' model_dir:
    the rows of the 'cat' weights and embedding move to the new ids ('b' is gone, 'x' starts at its initializer)."""
    folder = os.path.dirname(model_dir)
    files = {}
    for name, words in (("old", OLD_VOCABULARY), ("new", NEW_VOCABULARY)):
        files[name] = os.path.join(folder, "vocabulary_%s.txt" % name)
        with open(files[name], "w") as f:
            f.write("\n".join(words) + "\n")
    vocab_info = tf.train.VocabInfo(files["new"], len(NEW_VOCABULARY), 0, files["old"])
    settings = est.WarmStartSettings(os.path.join(folder, "wide_deep"), ".*", var_name_to_vocab_info={
        "linear/linear_model/cat/weights": vocab_info,
        "dnn/input_from_feature_columns/input_layer/cat_embedding/embedding_weights": vocab_info})
    age = fc.numeric_column("age")
    cat = fc.categorical_column_with_vocabulary_list("cat", NEW_VOCABULARY)
    cross = fc.crossed_column([fc.bucketized_column(age, [30, 50]), cat], hash_bucket_size=7)
    return est.DNNLinearCombinedClassifier(
        model_dir, linear_feature_columns=[cat, age, cross],
        dnn_feature_columns=[fc.embedding_column(cat, 3), fc.numeric_column("x", shape=(2,))],
        dnn_hidden_units=[4, 3], warm_start_from=settings, config=config)


def labels_of(program):
    if program == "wide_deep_options":
        return np.where(LABELS == 1, "yes", "no")
    if program == "linear_estimator":
        return TARGETS[:, :1]
    if program in ("dnn_multiclass", "v2_dnn_multiclass"):
        return CLASS3
    if program == "v2_dnn_sgd_regressor":
        return TARGETS[:, :1]
    return TARGETS if program.endswith("regressor") else LABELS


def snapshot(estimator_obj, labels=LABELS, v2=False, keys=None):
    model_dir = estimator_obj.model_dir
    reader = tf.train.load_checkpoint(model_dir)
    variables = {name: reader.get_tensor(name).tolist() for name in reader.get_variable_to_shape_map()}
    evaluation = {k: float(v) for k, v in estimator_obj.evaluate(input_fn(1, labels, v2, keys)).items()}
    predictions = [{k: (v.tolist() if hasattr(v, "tolist") else v) for k, v in p.items()}
                   for p in estimator_obj.predict(input_fn(1, labels, v2, keys))]
    for p in predictions:
        for k in ("classes", "all_classes"):
            if k in p:
                p[k] = [s.decode() if isinstance(s, bytes) else s for s in p[k]]
    checkpoint = tf.train.latest_checkpoint(model_dir)
    return {"variables": variables, "evaluation": evaluation, "predictions": predictions, "model_dir": model_dir,
            "checkpoint": os.path.basename(checkpoint), "graph_variables": graph_variables(checkpoint + ".meta")}


def graph_variables(meta_file):
    """The sorted names of the global variables of a checkpoint's MetaGraphDef: partitions by their part_<i>
    names, which the checkpoint itself saves as one tensor under the variable's name."""
    from tensorflow.core.framework import variable_pb2
    from tensorflow.core.protobuf import meta_graph_pb2

    meta = meta_graph_pb2.MetaGraphDef()
    with open(meta_file, "rb") as f:
        meta.ParseFromString(f.read())
    values = meta.collection_def["variables"].bytes_list.value
    return sorted(variable_pb2.VariableDef.FromString(v).variable_name for v in values)


CLASSES = ("DNNLinearCombinedClassifier", "DNNClassifier", "LinearClassifier", "DNNLinearCombinedRegressor",
           "DNNRegressor", "LinearRegressor", "BaselineClassifier", "BaselineRegressor", "DNNEstimator",
           "LinearEstimator", "DNNLinearCombinedEstimator", "BaselineEstimator")


def signatures(est):
    """{class: [[argument, repr of its default or None], ...]} of each canned class's constructor."""
    import inspect

    out = {}
    for name in CLASSES:
        params = list(inspect.signature(getattr(est, name).__init__).parameters.values())[1:]
        out[name] = [[p.name, _default(p.default, p.empty)] for p in params]
    return out


def parse_specs(est):
    """{case: repr of the spec, or 'ValueError: <message>'} of ``est``'s classifier/regressor_parse_example_spec."""
    numeric = tf_root.feature_column.numeric_column
    cases = {
        "classifier": lambda: est.classifier_parse_example_spec([numeric("a")], "b", weight_column="w"),
        "classifier_string": lambda: est.classifier_parse_example_spec([numeric("a")], "b", tf.string, "x"),
        "regressor": lambda: est.regressor_parse_example_spec([numeric("a", shape=2)], "y", label_dimension=3,
                                                              label_default=(0.0, 1.0, 2.0),
                                                              weight_column=numeric("w", dtype=tf.float64)),
        "label_is_a_feature": lambda: est.regressor_parse_example_spec([numeric("a")], "a"),
        "weight_is_a_feature": lambda: est.classifier_parse_example_spec([numeric("a")], "b", weight_column="a"),
        "weight_not_numeric": lambda: est.classifier_parse_example_spec(
            [numeric("a")], "b", weight_column=tf_root.feature_column.categorical_column_with_identity("w", 3)),
    }
    out = {}
    for name, case in cases.items():
        try:
            out[name] = repr(sorted(case().items()))
        except ValueError as e:
            out[name] = "ValueError: %s" % e
    for name in ("classifier_parse_example_spec", "regressor_parse_example_spec"):
        out[name + " signature"] = str(__import__("inspect").signature(getattr(est, name)))
    return out


def _default(value, empty):
    """A default as text the same in every process (a function by its module and name, not its address)."""
    if value is empty:
        return None
    if callable(value):
        return "%s.%s" % (value.__module__, value.__qualname__)
    return repr(value)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--impl", required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--resume-from")
    args = parser.parse_args()
    if args.impl == "tf":
        import inspect
        if not hasattr(inspect, "getargspec"):  # tensorflow_estimator 2.12-2.13 calls it; Python 3.11 removed it
            inspect.getargspec = inspect.getfullargspec
        est, est_v2 = tf.estimator, tf_root.estimator
    else:
        from tf1_recsys import estimator as est
        from tf1_recsys._api.v2 import estimator as est_v2
    config = est.RunConfig(tf_random_seed=7)
    out = run(est, config, args.dir, args.resume_from, est_v2)
    out["signatures"] = signatures(est)
    out["signatures_v2"] = signatures(est_v2)
    out["parse_specs"], out["parse_specs_v2"] = parse_specs(est), parse_specs(est_v2)
    sys.stdout.write("\n" + json.dumps(out) + "\n")


def run(est, config, folder, resume_from=None, est_v2=None):
    """{program: snapshot} after 10 steps; with ``resume_from``, also 'wide_deep_resumed' (see ``resume``).

    ``est_v2``: the V2 namespace (``tf.estimator``), whose ``programs_v2`` run too.
    """
    out = {}
    builds = [(name, build, False) for name, build in programs(est, config).items()]
    if est_v2 is not None:
        builds += [(name, build, True) for name, build in programs_v2(est_v2, config).items()]
    for name, build, v2 in builds:
        model = build(os.path.join(folder, name))
        if name == "wide_deep":  # stops at 5 for another implementation to resume
            model.train(input_fn(None), max_steps=5)
            shutil.copytree(model.model_dir, os.path.join(folder, "wide_deep_at_5"))
        model.train(input_fn(None, labels_of(name), v2, features_of(name)), max_steps=10)
        out[name] = snapshot(model, labels_of(name), v2, features_of(name))
    if resume_from:
        out["wide_deep_resumed"] = resume(est, config, folder, resume_from)
    return out


def resume(est, config, folder, resume_from):
    """The snapshot of the other implementation's 'wide_deep' model_dir at step 5 trained on to step 10 here."""
    target = os.path.join(folder, "wide_deep_resumed")
    shutil.copytree(os.path.join(resume_from, "wide_deep_at_5"), target)
    model = programs(est, config)["wide_deep"](target)
    model.train(input_fn(None), max_steps=10)
    return snapshot(model)


if __name__ == "__main__":
    main()
