"""Packaging for tf1_recsys."""
import os
import re

from setuptools import find_packages, setup

HERE = os.path.dirname(os.path.abspath(__file__))

with open(os.path.join(HERE, "tf1_recsys", "version.py")) as f:
    VERSION = re.search(r'__version__ = "([^"]+)"', f.read()).group(1)

with open(os.path.join(HERE, "README.md"), encoding="utf-8") as f:
    LONG_DESCRIPTION = f.read()

setup(
    name="tf1_recsys",
    version=VERSION,
    description="TensorFlow-1-style recommendation blocks (FM, DIN, MMoE, SENet, "
    "attention, AUC/GAUC) on TensorFlow 2.x through tf.compat.v1, without Keras.",
    long_description=LONG_DESCRIPTION,
    long_description_content_type="text/markdown",
    packages=find_packages(include=["tf1_recsys", "tf1_recsys.*"]),
    py_modules=["tf1_recsys_pytest"],  # the pytest11 entry point, importable without TensorFlow
    package_data={"tf1_recsys": ["py.typed"]},
    python_requires=">=3.9",
    install_requires=["numpy", "tqdm"],
    extras_require={
        "cpu": ["tensorflow-cpu>=2.12"],
        # and-cuda (TensorFlow 2.14+) brings CUDA and cuDNN as pip packages; 2.12 and 2.13 lack
        # the extra (pip says so) and use a CUDA installed on the system.
        "gpu": ["tensorflow[and-cuda]>=2.12"],
        # Nothing here depends on TensorFlow, so installing the extra never changes it. The
        # reference for TensorFlow's own tf.compat.v1.layers is TensorFlow itself up to 2.15; on
        # 2.16+ it is tf_keras of the same minor version, installed with --no-deps (README), because
        # tf_keras requires the full `tensorflow` package and would install a second TensorFlow.
        "test": [
            "pytest",
            "scikit-learn",
            "hypothesis",
            "matplotlib",
            # estimator.inputs.pandas_input_fn's tests (pandas stays optional at run time)
            "pandas",
        ],
        # tf1_recsys.export.to_onnx and `tf1-recsys freeze --onnx`. None of these depends on
        # TensorFlow; onnx and onnxruntime do depend on protobuf. Resolved together with TensorFlow
        # (`pip install ".[cpu,onnx]"`, or naming the installed one: `pip install "tf1_recsys[onnx]"
        # "tensorflow-cpu==2.12.1"`), pip picks the releases that accept TensorFlow's protobuf
        # (onnx 1.17 with protobuf 4 on TensorFlow 2.12, onnx 1.23 with protobuf 7 on 2.21) and
        # never changes TensorFlow or protobuf; alone into an existing environment it may upgrade
        # protobuf past what TensorFlow accepts.
        "onnx": ["tf2onnx>=1.16", "onnx", "onnxruntime"],
        # What the demo shows beyond the library: the bar chart, scikit-learn's AUC (the
        # first of the notes' three methods) and TensorBoard for the curves it logs.
        "demo": ["matplotlib", "scikit-learn", "tensorboard"],
    },
    entry_points={
        "console_scripts": ["tf1-recsys=tf1_recsys.cli:main"],
        # Inert unless a project sets `tf1_recsys_fixtures = true` (tf1_recsys_pytest).
        "pytest11": ["tf1_recsys = tf1_recsys_pytest"],
    },
    classifiers=[
        "Programming Language :: Python :: 3",
        "Topic :: Scientific/Engineering :: Artificial Intelligence",
    ],
)
