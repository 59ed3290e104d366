#!/usr/bin/env python
"""Freezes a tf.compat.v1 checkpoint into a serving GraphDef (.pb).

    python tools/freeze_graph.py --checkpoint runs/din --outputs pred --output din.pb
    python tools/freeze_graph.py --checkpoint runs/din/model.ckpt-500 \\
        --meta runs/din/model.ckpt-500.meta --outputs task_0/pred,task_1/pred --training is_training \\
        --output mmoe.pb

The graph comes from the checkpoint's ``.meta`` file (written by ``Saver.save``). Variables
become constants; the training switch (by default every scalar bool
``placeholder_with_default(False)``) becomes a constant False, so batch norm and Dice run
on their moving statistics. Prints the frozen graph's inputs and outputs.
"""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", required=True, help="checkpoint prefix, or a model directory (latest)")
    parser.add_argument("--meta", help="meta graph file (default: <checkpoint prefix>.meta)")
    parser.add_argument("--outputs", required=True, help="comma-separated output tensor or node names")
    parser.add_argument("--training", default=None,
                        help="comma-separated training switch names to fix to False; default: auto-detect; "
                             "'none' fixes nothing")
    parser.add_argument("--output", required=True, help="path of the .pb (or .pbtxt) to write")
    args = parser.parse_args(argv)

    from tf1_recsys import export
    from tf1_recsys.training import CheckpointError, resolve_checkpoint

    try:
        prefix = resolve_checkpoint(args.checkpoint)
    except CheckpointError as e:
        parser.exit(2, "freeze_graph: %s\n" % e)
    meta = args.meta or prefix + ".meta"
    if not os.path.exists(meta):
        parser.exit(2, "freeze_graph: meta graph file %s does not exist; pass --meta.\n" % meta)
    outputs = [o.strip() for o in args.outputs.split(",") if o.strip()]
    if args.training is None:
        training = None
    elif args.training.lower() == "none":
        training = []
    else:
        training = [t.strip() for t in args.training.split(",") if t.strip()]
    try:
        graph_def = export.freeze_checkpoint(meta, prefix, outputs, training=training)
    except (CheckpointError, export.GraphDefError) as e:
        parser.exit(2, "freeze_graph: %s\n" % e)
    export.write_graph_def(graph_def, args.output)
    print("wrote %s from %s" % (args.output, prefix))
    print(export.describe_graph_def(graph_def))
    return 0

if __name__ == "__main__":
    sys.exit(main())
