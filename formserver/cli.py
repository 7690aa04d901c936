"""`formserver`: a thin command-line shell over the engine and the web app.

Each command lives in its own module and registers itself here; every failure a user can
cause ends in a message and an exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from formserver import (
    demo_command,
    evaluate_command,
    office_commands,
    preview_command,
    serve_command,
    spec_commands,
    store_commands,
)

Register = Callable[[argparse._SubParsersAction], None]  # type: ignore[type-arg]  # argparse's private type
REGISTRARS: list[Register] = [spec_commands.register, evaluate_command.register, demo_command.register,
                              store_commands.register, serve_command.register,
                              preview_command.register, office_commands.register]


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="formserver", description="Census form server: check, compile and serve "
                                "YAML questionnaires.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for register in REGISTRARS:
        register(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    return code


if __name__ == "__main__":
    sys.exit(main())
