"""The command line's shell: each command's module is imported only when that command runs."""

from __future__ import annotations

import argparse
import subprocess
import sys

from formserver import cli

HEAVY = ("sqlalchemy", "starlette", "alembic", "uvicorn", "argon2", "cryptography")


def _subcommands(parser: argparse.ArgumentParser) -> list[str]:
    for action in parser._actions:  # argparse offers no public list of subcommands
        if isinstance(action, argparse._SubParsersAction):
            return list(action.choices)
    return []


def test_the_table_names_every_command_and_each_module_registers_its_own() -> None:
    assert _subcommands(cli.parser()) == list(cli.COMMANDS)
    for command, module in cli.COMMANDS.items():
        mine = [c for c, m in cli.COMMANDS.items() if m == module]
        assert _subcommands(cli.parser(command)) == mine


def test_check_loads_neither_the_database_layer_nor_the_web_app() -> None:
    probe = ("import sys\nfrom formserver.cli import main\ntry:\n    main(['check', '--help'])\n"
             "except SystemExit:\n    pass\nprint(','.join(sorted({m.split('.')[0] for m in sys.modules})))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60)
    loaded = set(done.stdout.strip().splitlines()[-1].split(","))
    assert "engine" in loaded and not loaded & set(HEAVY), sorted(loaded & set(HEAVY))
    assert "usage: formserver check" in done.stdout
