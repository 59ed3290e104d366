"""Writes tests/manifests/block_variables.json: the variables of every model block.

Each block is built with fixed small sizes in a fresh graph; the manifest lists each
variable's name, shape and trainability. tests/test_blocks_manifest.py rebuilds the
blocks and compares, so a rename that would break old checkpoints fails CI.

    python tools/make_variable_manifest.py          # rewrite the manifest
    python tools/make_variable_manifest.py --check  # exit 1 if it is out of date
"""
import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
MANIFEST = os.path.join(os.path.dirname(HERE), "tests", "manifests", "block_variables.json")


def _builders():
    from tf1_recsys._tf import tf
    from tf1_recsys import layers
    from tf1_recsys.compat import layers as L
    from tf1_recsys.compat.contrib import layers as C

    def ph(*shape):
        return tf.placeholder(tf.float32, [None] + list(shape))

    return {
        "FactorizationMachine": lambda: layers.FactorizationMachine(10, 3)(
            tf.placeholder(tf.int32, [None, 4])),
        "MultiHeadAttention": lambda: layers.MultiHeadAttention(8, 2)(ph(5, 6), ph(5, 6), ph(3, 7)),
        "dice": lambda: layers.dice(ph(3, 6), name="_x"),
        "din": lambda: layers.din(ph(1, 4), ph(5, 4), (8, 4)),
        "DINModel": lambda: layers.DINModel((8, 6))(ph(2, 1, 4), ph(2, 5, 4)),
        "DINModel_no_bn": lambda: layers.DINModel((8, 6))(ph(2, 1, 4), ph(2, 5, 4), is_bn=False),
        "mmoe": lambda: layers.mmoe(ph(6), num_experts=3, num_tasks=2, expert_hidden=5, gate_hidden=4),
        "mmoe_linear_gates": lambda: layers.mmoe(ph(6), num_experts=3, num_tasks=2, expert_hidden=5,
                                                 gate_hidden=None),
        "senet": lambda: layers.senet(ph(5, 4), hidden_units=8),
        "senet_named": lambda: layers.senet(ph(5, 4), hidden_units=8, name="se"),
        "compat.layers.Dense": lambda: L.Dense(3)(ph(4)),
        "compat.layers.batch_normalization_renorm": lambda: L.batch_normalization(ph(4), renorm=True),
        "compat.layers.batch_normalization_axes": lambda: L.batch_normalization(ph(3, 4), axis=[1, 2]),
        "compat.layers.conv": lambda: [L.conv1d(ph(6, 2), 3, 2), L.conv2d(ph(5, 5, 2), 3, (2, 3)),
                                       L.conv3d(ph(3, 3, 3, 2), 2, 2)],
        "compat.layers.separable_conv": lambda: [L.separable_conv1d(ph(6, 2), 3, 2, depth_multiplier=2),
                                                 L.separable_conv2d(ph(5, 5, 2), 3, 2)],
        "compat.layers.conv_transpose": lambda: [L.conv2d_transpose(ph(4, 4, 2), 3, 2),
                                                 L.conv3d_transpose(ph(2, 2, 2, 2), 3, 2)],
        "compat.contrib.layers": lambda: [
            C.fully_connected(ph(4), 3), C.layer_norm(ph(3, 4)), C.batch_norm(ph(4), scale=True, is_training=False),
            C.embed_sequence(tf.placeholder(tf.int32, [None, 3]), 10, 2)],
    }


def builders():
    """Block name -> function that builds the block in the current default graph."""
    return _builders()


def variables_of(build):
    """[[name, shape, trainable], ...] of the variables ``build`` creates in a fresh graph."""
    from tf1_recsys._tf import tf

    with tf.Graph().as_default():
        build()
        trainable = {v.op.name for v in tf.trainable_variables()}
        return [[v.op.name, v.shape.as_list(), v.op.name in trainable] for v in tf.global_variables()]


def build_manifest():
    return {name: variables_of(build) for name, build in sorted(builders().items())}


def to_json(manifest):
    """One variable per line, so a diff shows exactly what was renamed."""
    blocks = []
    for name in sorted(manifest):
        rows = ",\n".join("    " + json.dumps(row) for row in manifest[name])
        blocks.append("  %s: [\n%s\n  ]" % (json.dumps(name), rows))
    return "{\n" + ",\n".join(blocks) + "\n}\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)
    manifest = build_manifest()
    text = to_json(manifest)
    if args.check:
        with open(MANIFEST) as f:
            if f.read() != text:
                print("%s is out of date; run tools/make_variable_manifest.py" % MANIFEST)
                return 1
        return 0
    with open(MANIFEST, "w") as f:
        f.write(text)
    print("wrote %s (%d blocks)" % (MANIFEST, len(manifest)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
