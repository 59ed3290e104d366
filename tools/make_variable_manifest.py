"""Writes or checks tests/manifests/block_variables.json: the variables of every model block.

Each block is built with fixed small sizes in a fresh graph; the manifest lists each
variable's name, shape, dtype and trainability (the public kit's format,
``tf1_recsys.testing.write_manifest``). tests/test_blocks_manifest.py checks the
blocks against it (``tf1_recsys.testing.check_manifest``), so a rename that would
break old checkpoints fails CI.

    python tools/make_variable_manifest.py          # write the manifest if it is missing
    python tools/make_variable_manifest.py --check  # exit 1 listing every difference
    python tools/make_variable_manifest.py --force  # rewrite it: old checkpoints break

The checked-in file predates dtypes (rows ``[name, shape, trainable]``); the kit reads
those rows and compares names, shapes and trainability. ``--force`` rewrites it in the
current format.
"""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
MANIFEST = os.path.join(REPO, "tests", "manifests", "block_variables.json")
sys.path.insert(0, REPO)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def builders():
    """Block name -> function that builds the block in the current default graph."""
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
        "interest_extractor": lambda: layers.interest_extractor(ph(5, 4), tf.placeholder(tf.int32, [None, 5]), 3),
        "auxiliary_loss": lambda: layers.auxiliary_loss(ph(5, 3), ph(5, 4), ph(5, 4),
                                                        tf.placeholder(tf.int32, [None, 5]), layers=(6, 2)),
        "interest_evolution": lambda: [layers.interest_evolution(ph(5, 3), ph(4), tf.placeholder(tf.int32, [None, 5]),
                                                                 gru_type=g, attention_layers=(6, 2), name=g)
                                       for g in ("AUGRU", "AGRU", "AIGRU")],
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


def problems(path=MANIFEST):
    """One message per block whose variables differ from ``path`` (or that is missing there / extra)."""
    from tf1_recsys import testing

    blocks = builders()
    stored = testing.read_manifest(path)
    found = ["%s: block %s is not in the manifest" % (path, b) for b in sorted(set(blocks) - set(stored))]
    found += ["%s: lists %s, which is no block" % (path, b) for b in sorted(set(stored) - set(blocks))]
    for name in sorted(set(blocks) & set(stored)):
        try:
            testing.check_manifest(blocks[name], path, key=name)
        except testing.ManifestMismatch as e:
            found.append(str(e))
    return found


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    parser.add_argument("--force", action="store_true", help="rewrite an existing manifest (breaking)")
    args = parser.parse_args(argv)
    from tf1_recsys import testing

    if args.check:
        found = problems()
        for p in found:
            print(p)
        print("%s: %s" % (MANIFEST, "out of date" if found else "ok"))
        return 1 if found else 0
    if os.path.exists(MANIFEST) and not args.force:
        print("%s exists; --check compares, --force rewrites it (old checkpoints break)." % MANIFEST)
        return 0
    manifests = testing.write_manifest(MANIFEST, builders(), force=args.force)
    print("wrote %s (%d blocks)" % (MANIFEST, len(manifests)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
