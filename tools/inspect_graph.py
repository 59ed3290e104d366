#!/usr/bin/env python
"""Prints a GraphDef's inputs (placeholders), outputs (nodes nothing consumes) and op counts.

    python tools/inspect_graph.py graphs/ctr/graph.pb
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("graph", help="a .pb (binary) or .pbtxt GraphDef")
    args = parser.parse_args(argv)
    from tf1_recsys import export

    try:
        graph_def = export.read_graph_def(args.graph)
    except (FileNotFoundError, export.GraphDefError) as e:
        parser.exit(2, "inspect_graph: %s\n" % e)
    print(args.graph)
    print(export.describe_graph_def(graph_def))
    return 0


if __name__ == "__main__":
    sys.exit(main())
