"""How commands fail: one line on stderr and exit code 1, never a traceback.

Every command module wraps its commands with `guarded`, which turns the errors a user can
cause (a missing file, an unmigrated or unreachable database, a refused lifecycle step, a
broken spec, a mistake on the command line) into that one line.
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable

from sqlalchemy.exc import SQLAlchemyError

from engine.runtime.errors import EngineError
from engine.spec.diagnostics import SpecError
from engine.store.errors import StoreError

Command = Callable[[argparse.Namespace], int]


class CommandError(Exception):
    """A mistake in the command line that argparse cannot see (a taken username...)."""


def message(exc: BaseException) -> str:
    if isinstance(exc, EngineError):
        text = exc.message["en"]
    elif isinstance(exc, OSError) and exc.filename is not None:
        text = f"{exc.filename}: {exc.strerror or exc}"
    elif isinstance(exc, SQLAlchemyError):
        # The driver's own message, without SQLAlchemy's SQL echo and documentation link.
        orig = getattr(exc, "orig", None)
        text = f"database: {orig if orig is not None else exc}"
    else:
        text = str(exc) or type(exc).__name__
    return " ".join(text.split())  # one line, whatever the driver put in


def guarded(run: Command) -> Command:
    @functools.wraps(run)
    def wrapped(args: argparse.Namespace) -> int:
        try:
            return run(args)
        except (StoreError, OSError, SQLAlchemyError, EngineError, SpecError, CommandError) as exc:
            print(f"formserver: error: {message(exc)}", file=sys.stderr)
            return 1

    return wrapped
