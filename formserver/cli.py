"""`formserver`: a thin command-line shell over the engine and the web app.

Each command lives in its own module and registers itself here; every failure a user can
cause ends in a message and an exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# The module that registers each command. Only the module of the command being run is imported
# (all of them for `formserver --help` or an unknown command): `check` loads the compiler, not
# the database layer and the web app, which took it from 0.2 s to 1.1 s.
COMMANDS: dict[str, str] = {
    **dict.fromkeys(("check", "compile", "docs", "diagram", "diff", "publish", "translations", "spec-schema"),
                     "spec_commands"),
    "evaluate": "evaluate_command",
    "demo": "demo_command",
    **dict.fromkeys(("db", "keys", "audit", "backup", "restore", "maintain"), "store_commands"),
    "serve": "serve_command",
    "preview": "preview_command",
    **dict.fromkeys(("areas", "enumerators", "office", "households", "sample", "window", "duplicates", "export"),
                    "office_commands"),
}


def parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or of `command` alone when it is one."""
    p = argparse.ArgumentParser(prog="formserver", description="Census form server: check, compile and serve "
                                "YAML questionnaires.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    modules = [COMMANDS[command]] if command in COMMANDS else dict.fromkeys(COMMANDS.values())
    for name in modules:
        importlib.import_module(f"formserver.{name}").register(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser(argv[0] if argv else None).parse_args(argv)
    try:
        code: int = args.run(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    return code


if __name__ == "__main__":
    sys.exit(main())
