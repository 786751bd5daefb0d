"""``python -m runner serve ...``: the runner without the bot package."""

from __future__ import annotations

import argparse
import sys

from runner.cli import add_serve_arguments


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lrquiz runner", description="lrquiz PyTorch runner")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    add_serve_arguments(sub.add_parser("serve", help="serve the runner HTTP API v1"))
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
