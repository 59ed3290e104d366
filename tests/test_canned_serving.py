"""A Wide & Deep model served the way TensorFlow Serving serves it: tf.Examples in, the head's signatures out.

One ``DNNLinearCombinedClassifier`` of ``tf1_recsys.estimator`` over numeric, bucketized,
vocabulary, hashed, crossed and embedding columns trains a few steps and is exported with
``build_parsing_serving_input_receiver_fn(make_parse_example_spec(columns))``. The
references are independent of our export code: ``predict`` of the same model, TensorFlow's
own ``saved_model_cli`` (what ``show --all`` and ``run --input_examples`` do, in one subprocess)
and the ``tensorflow-serving-api`` request messages a client sends. Those tests are skipped, with the reason, when ``tensorflow-serving-api`` is not installed (it needs
``pip install --no-deps``, like tf_keras); CI sets TF1_RECSYS_REQUIRE_SERVING_API=1, which
turns that skip into a failure.

The same model written by TensorFlow's own tf.estimator on TensorFlow 2.12
(tests/data/canned_wide_deep_tf2.12, from tools/make_canned_checkpoint.py, with its
predictions) restores here with ours and predicts the same on every TensorFlow.
"""
import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

from tf1_recsys._tf import tf

fc = tf.feature_column
N = 12
RNG = np.random.RandomState(3)
DATA = {
    "age": RNG.uniform(18, 70, size=(N, 1)).astype(np.float32),
    "x": RNG.normal(size=(N, 2)).astype(np.float32),
    "cat": np.array(["a", "b", "c", "d"] * 3),
    "item": np.array(["item%d" % (i % 5) for i in range(N)]),
}
LABELS = (RNG.uniform(size=(N, 1)) < 0.5).astype(np.int64)


def _standardize_age(age):
    return (age - 40.0) / 15.0


def columns():
    """(linear columns, dnn columns): every kind of column a Wide & Deep pipeline serves."""
    age = fc.numeric_column("age", normalizer_fn=_standardize_age)
    x = fc.numeric_column("x", shape=(2,))
    cat = fc.categorical_column_with_vocabulary_list("cat", ["a", "b", "c", "d"])
    item = fc.categorical_column_with_hash_bucket("item", hash_bucket_size=11)
    age_buckets = fc.bucketized_column(age, [30, 50])
    cross = fc.crossed_column([age_buckets, cat], hash_bucket_size=7)
    return ([age_buckets, cat, item, cross],
            [fc.embedding_column(cat, 3), fc.embedding_column(item, 2), x, age])


def examples():
    """DATA's rows as tf.train.Example protos."""
    out = []
    for i in range(N):
        feature = {
            "age": tf.train.Feature(float_list=tf.train.FloatList(value=DATA["age"][i])),
            "x": tf.train.Feature(float_list=tf.train.FloatList(value=DATA["x"][i])),
            "cat": tf.train.Feature(bytes_list=tf.train.BytesList(value=[DATA["cat"][i].encode()])),
            "item": tf.train.Feature(bytes_list=tf.train.BytesList(value=[DATA["item"][i].encode()])),
        }
        out.append(tf.train.Example(features=tf.train.Features(feature=feature)))
    return out


def _input_fn(labels):
    def fn():
        return tf.data.Dataset.from_tensor_slices((dict(DATA), labels) if labels is not None else dict(DATA)).batch(4)
    return fn


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """(export_dir, predictions of ``predict``: {key: array [12, ...]}) of a trained Wide & Deep model."""
    from tf1_recsys import estimator as est

    tmp = tmp_path_factory.mktemp("serving")
    linear, dnn = columns()
    model = est.DNNLinearCombinedClassifier(str(tmp / "model"), linear_feature_columns=linear,
                                            dnn_feature_columns=dnn, dnn_hidden_units=[4, 3],
                                            config=est.RunConfig(tf_random_seed=5))
    model.train(lambda: _input_fn(LABELS)().repeat(), max_steps=6)
    rows = list(model.predict(_input_fn(None)))
    predictions = {key: np.array([r[key] for r in rows]) for key in rows[0]}
    receiver_fn = est.export.build_parsing_serving_input_receiver_fn(fc.make_parse_example_spec(linear + dnn))
    export_dir = model.export_saved_model(str(tmp / "export"), receiver_fn)
    return (export_dir.decode() if isinstance(export_dir, bytes) else export_dir), predictions


def _signatures(export_dir):
    with tf.Graph().as_default(), tf.Session() as sess:
        return tf.saved_model.loader.load(sess, ["serve"], export_dir).signature_def


def _run_signature(export_dir, name, feeds):
    """{output key: array} of signature ``name`` of the loaded SavedModel fed ``{input key: value}``."""
    with tf.Graph().as_default(), tf.Session() as sess:
        signature = tf.saved_model.loader.load(sess, ["serve"], export_dir).signature_def[name]
        fetches = {key: info.name for key, info in signature.outputs.items()}
        return sess.run(fetches, {signature.inputs[key].name: value for key, value in feeds.items()})


def test_the_loaded_saved_model_scores_serialized_examples_as_predict_does(served):
    export_dir, predicted = served
    serialized = [e.SerializeToString() for e in examples()]
    signatures = _signatures(export_dir)
    assert sorted(signatures) == ["classification", "predict", "regression", "serving_default"]
    assert {k: s.method_name for k, s in signatures.items()} == {
        "classification": "tensorflow/serving/classify", "serving_default": "tensorflow/serving/classify",
        "regression": "tensorflow/serving/regress", "predict": "tensorflow/serving/predict"}
    assert sorted(signatures["predict"].outputs) == sorted(predicted)
    out = _run_signature(export_dir, "predict", {"examples": serialized})
    for key, value in predicted.items():
        if value.dtype.kind in "SO":
            assert out[key].tolist() == value.tolist(), key
        else:
            np.testing.assert_allclose(out[key], value, rtol=1e-6, atol=1e-7, err_msg=key)
    classify = _run_signature(export_dir, "serving_default", {"inputs": serialized})
    np.testing.assert_allclose(classify["scores"], predicted["probabilities"], rtol=1e-6, atol=1e-7)
    assert classify["classes"].tolist() == [[b"0", b"1"]] * N
    regress = _run_signature(export_dir, "regression", {"inputs": serialized})
    np.testing.assert_allclose(regress["outputs"], predicted["logistic"], rtol=1e-6, atol=1e-7)


# What ``saved_model_cli show --all --dir D`` and ``saved_model_cli run --dir D --tag_set serve
# --signature_def S --input_examples K=ROWS --outdir O`` do, through the functions of TensorFlow's own
# saved_model_cli module that those commands call, in one process (one TensorFlow import, not three).
_SAVED_MODEL_CLI = r"""
import os, sys
from tensorflow.python.tools import saved_model_cli as cli
export_dir, rows, outdir = sys.argv[1:]
cli._show_all(export_dir)
print("\n--- end of show --all ---", flush=True)
for signature, key in (("predict", "examples"), ("classification", "inputs")):
    feeds = cli.load_inputs_from_input_arg_string("", "", "%s=%s" % (key, rows))
    cli.run_saved_model_with_feed_dict(export_dir, "serve", signature, feeds, os.path.join(outdir, signature), False)
"""


def _example_json(i):
    """Row i as saved_model_cli's --input_examples writes a tf.Example: {feature: [values]}."""
    return {"age": DATA["age"][i].tolist(), "x": DATA["x"][i].tolist(), "cat": [str(DATA["cat"][i])],
            "item": [str(DATA["item"][i])]}


@pytest.fixture(scope="module")
def saved_model_cli(served, tmp_path_factory):
    """{'show': what ``show --all`` prints, signature: {output: array} of ``run --input_examples``}."""
    export_dir, _ = served
    tmp = tmp_path_factory.mktemp("saved_model_cli")
    rows = json.dumps([_example_json(i) for i in range(N)])
    proc = subprocess.run([sys.executable, "-c", _SAVED_MODEL_CLI, export_dir, rows, str(tmp)], capture_output=True,
                          text=True, timeout=300, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"))
    assert proc.returncode == 0, proc.stderr[-4000:]
    out = {"show": proc.stdout.split("--- end of show --all ---")[0]}
    for name in ("predict", "classification"):
        folder = tmp / name
        out[name] = {f[:-len(".npy")]: np.load(str(folder / f), allow_pickle=True) for f in os.listdir(folder)}
    shutil.rmtree(str(tmp), ignore_errors=True)
    return out


def _show_section(text, signature):
    """The lines saved_model_cli show --all prints for one signature_def."""
    start = text.index("signature_def['%s']" % signature)
    following = text.find("signature_def[", start + 1)
    return text[start:following if following != -1 else len(text)]


def test_saved_model_cli_show_lists_the_tf_example_signatures(served, saved_model_cli):
    export_dir, predicted = served
    text = saved_model_cli["show"]
    shown = sorted(re.findall(r"signature_def\['(\w+)'\]", text))
    assert shown == ["classification", "predict", "regression", "serving_default"]
    for name, key in (("classification", "inputs"), ("regression", "inputs"), ("serving_default", "inputs"),
                      ("predict", "examples")):
        section = _show_section(text, name)
        inputs = section[section.index("input(s):"):section.index("output(s):")]
        assert re.findall(r"inputs\['(\w+)'\] tensor_info:\s+dtype: DT_STRING\s+shape: \(-1\)\s+"
                          r"name: input_example_tensor:0", inputs) == [key]
    predict = _show_section(text, "predict")
    assert sorted(re.findall(r"outputs\['(\w+)'\]", predict)) == sorted(predicted)
    assert "Method name is: tensorflow/serving/predict" in predict
    assert "Method name is: tensorflow/serving/classify" in _show_section(text, "classification")
    assert sorted(re.findall(r"outputs\['(\w+)'\]", _show_section(text, "classification"))) == ["classes", "scores"]


def test_saved_model_cli_run_input_examples_scores_as_predict(served, saved_model_cli):
    _, predicted = served
    out = saved_model_cli["predict"]
    assert sorted(out) == sorted(predicted)
    for key in ("logits", "logistic", "probabilities"):
        np.testing.assert_allclose(out[key], predicted[key], rtol=1e-6, atol=1e-7, err_msg=key)
    assert out["class_ids"].tolist() == predicted["class_ids"].tolist()
    assert out["classes"].tolist() == predicted["classes"].tolist()
    classification = saved_model_cli["classification"]
    np.testing.assert_allclose(classification["scores"], predicted["probabilities"], rtol=1e-6, atol=1e-7)


def _serving_apis():
    try:
        from tensorflow_serving.apis import classification_pb2, predict_pb2
    except ImportError as e:
        if os.environ.get("TF1_RECSYS_REQUIRE_SERVING_API") == "1":
            raise
        pytest.skip("tensorflow-serving-api is not installed (pip install --no-deps "
                    "\"tensorflow-serving-api==<TensorFlow's major.minor>.*\"): %s" % e)
    return classification_pb2, predict_pb2


def test_a_serving_classification_request_carries_what_the_signature_declares(served):
    classification_pb2, _ = _serving_apis()
    export_dir, predicted = served
    request = classification_pb2.ClassificationRequest()
    request.model_spec.name = "wide_deep"
    request.model_spec.signature_name = "classification"
    request.input.example_list.examples.extend(examples())
    request = classification_pb2.ClassificationRequest.FromString(request.SerializeToString())  # over the wire
    signature = _signatures(export_dir)[request.model_spec.signature_name]
    assert signature.method_name == "tensorflow/serving/classify"
    # The Classify API feeds the serialized examples to the signature's one string input.
    (key, tensor_info), = signature.inputs.items()
    assert tensor_info.dtype == tf.string.as_datatype_enum
    assert [d.size for d in tensor_info.tensor_shape.dim] == [-1]
    serialized = [e.SerializeToString() for e in request.input.example_list.examples]
    out = _run_signature(export_dir, request.model_spec.signature_name, {key: serialized})
    np.testing.assert_allclose(out["scores"], predicted["probabilities"], rtol=1e-6, atol=1e-7)


def test_a_serving_predict_request_carries_what_the_signature_declares(served):
    _, predict_pb2 = _serving_apis()
    export_dir, predicted = served
    request = predict_pb2.PredictRequest()
    request.model_spec.name = "wide_deep"
    request.model_spec.signature_name = "predict"
    request.inputs["examples"].CopyFrom(tf.make_tensor_proto([e.SerializeToString() for e in examples()]))
    request.output_filter.extend(["logistic", "classes"])
    request = predict_pb2.PredictRequest.FromString(request.SerializeToString())
    signature = _signatures(export_dir)[request.model_spec.signature_name]
    assert sorted(request.inputs) == sorted(signature.inputs)
    assert set(request.output_filter) <= set(signature.outputs)
    feeds = {}
    for key, proto in request.inputs.items():
        declared = signature.inputs[key]
        assert proto.dtype == declared.dtype, key
        shape = [d.size for d in proto.tensor_shape.dim]
        declared_shape = [d.size for d in declared.tensor_shape.dim]
        assert len(shape) == len(declared_shape) and all(d in (-1, s) for s, d in zip(shape, declared_shape)), key
        feeds[key] = tf.make_ndarray(proto)
    out = _run_signature(export_dir, "predict", feeds)
    np.testing.assert_allclose(out["logistic"], predicted["logistic"], rtol=1e-6, atol=1e-7)
    assert out["classes"].tolist() == predicted["classes"].tolist()


TF212_MODEL_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "canned_wide_deep_tf2.12")


def test_a_model_dir_of_tf_estimator_on_tensorflow_2_12_restores_and_predicts_the_same(tmp_path):
    """tools/make_canned_checkpoint.py wrote the model_dir and tf.estimator's predictions on TensorFlow 2.12."""
    from tf1_recsys import estimator as est

    with open(os.path.join(TF212_MODEL_DIR, "predictions.json")) as f:
        stored = json.load(f)
    model_dir = str(tmp_path / "model")
    shutil.copytree(TF212_MODEL_DIR, model_dir)  # restoring writes nothing, but never into tests/data
    linear, dnn = columns()
    model = est.DNNLinearCombinedClassifier(model_dir, linear_feature_columns=linear, dnn_feature_columns=dnn,
                                            dnn_hidden_units=[4, 3], config=est.RunConfig(tf_random_seed=5))
    rows = list(model.predict(_input_fn(None)))
    assert model.get_variable_value("global_step") == stored["steps"]
    assert len(rows) == len(stored["predictions"]) == N
    for mine, theirs in zip(rows, stored["predictions"]):
        assert sorted(mine) == sorted(theirs)
        for key in ("logits", "logistic", "probabilities"):
            np.testing.assert_allclose(mine[key], theirs[key], rtol=1e-5, atol=1e-6, err_msg=key)
        assert mine["class_ids"].tolist() == theirs["class_ids"]
        assert [c.decode() for c in mine["classes"]] == theirs["classes"]
