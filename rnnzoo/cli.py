"""The `rnnzoo` command."""

import argparse
import sys


def build_parser():
    from rnnzoo import __version__

    parser = argparse.ArgumentParser(
        prog="rnnzoo",
        description="Recurrent networks for Keras 3 and TensorFlow.",
    )
    parser.add_argument(
        "--version", action="version", version=f"rnnzoo {__version__}"
    )
    parser.add_subparsers(dest="command", metavar="COMMAND")
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
