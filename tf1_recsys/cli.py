"""The ``tf1-recsys`` command."""
import argparse
import sys

from tf1_recsys.version import __version__


def build_parser():
    parser = argparse.ArgumentParser(prog="tf1-recsys", description=__doc__)
    parser.add_argument("--version", action="version", version="tf1-recsys " + __version__)
    return parser


def main(argv=None):
    parser = build_parser()
    parser.parse_args(argv)
    print("tf1-recsys " + __version__)
    return 0


if __name__ == "__main__":
    sys.exit(main())
