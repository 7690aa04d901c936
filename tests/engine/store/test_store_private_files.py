"""Private files and folders (`engine.store.private_files`): 0600 and 0700 whatever the umask."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from engine.store.private_files import private_file, private_folder, tighten

pytestmark = pytest.mark.usefixtures("loose_umask")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_folder_made_here_is_0700_and_one_that_was_there_is_left_alone(tmp_path: Path) -> None:
    private_folder(tmp_path / "a" / "data")
    assert _mode(tmp_path / "a" / "data") == 0o700
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    private_folder(shared)
    assert _mode(shared) == 0o755


def test_a_file_is_made_empty_and_0600_or_made_0600(tmp_path: Path) -> None:
    made = tmp_path / "made"
    private_file(made)
    assert _mode(made) == 0o600 and made.read_bytes() == b""
    older = tmp_path / "older"
    older.write_bytes(b"kept")
    older.chmod(0o644)
    private_file(older)
    assert _mode(older) == 0o600 and older.read_bytes() == b"kept"
    tighten(tmp_path / "missing")  # nothing to do, and no error
    assert not (tmp_path / "missing").exists()
