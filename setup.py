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
        ],
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
