"""`python -m bot`: the installed `interview-bot` console script. It is found through the package's
entry points, because the command line is an edge (handlers/cli.py) and bot/ never imports handlers/."""

import sys
from importlib.metadata import entry_points


def main() -> int:
    (script,) = entry_points(group="console_scripts", name="interview-bot")
    return script.load()()


sys.exit(main())
