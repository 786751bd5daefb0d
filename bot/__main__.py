"""`python -m bot` and the `lrquiz` console script's entry point.

Importing the CLI takes a few hundred milliseconds (aiosqlite, the game, the packs); a
Ctrl-C in that time would otherwise print a traceback, before `bot.cli.main` could
catch anything. So this module imports nothing heavy until it is inside the guard.
"""

from __future__ import annotations

import sys


def main() -> int:
    try:
        from bot.cli import main as cli_main

        return cli_main()
    except KeyboardInterrupt:
        print("", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
