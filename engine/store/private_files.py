"""Files and folders only the server's own user may open: the SQLite database, its -wal, -shm and
-writer companions, and the data folder that holds them and the key file.

The database is sealed where it matters, but it also holds password hashes, session digests and
who is counted where, so like the key file it is mode 0600, whatever the umask. SQLite gives the
-wal and -shm files it creates the database file's own mode, so making the database file 0600
before SQLite first opens it makes them 0600 too.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Final

FILE_MODE: Final = 0o600
FOLDER_MODE: Final = 0o700


def private_folder(folder: Path) -> None:
    """Create `folder` (with its parents) as 0700. A folder that exists is left as it is: it
    may be shared on purpose (a mount point, /var/lib/...), and what is in it is private anyway."""
    try:
        folder.mkdir(mode=FOLDER_MODE, parents=True)
    except FileExistsError:
        return
    os.chmod(folder, FOLDER_MODE)  # mkdir's mode passes through the umask


def private_file(path: Path) -> None:
    """Create `path` empty as 0600 if it is missing (an empty file is an empty SQLite database),
    else make it 0600 (see `tighten`)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, FILE_MODE)
    except FileExistsError:
        tighten(path)
        return
    try:
        os.fchmod(fd, FILE_MODE)  # exact, whatever the umask
    finally:
        os.close(fd)


def tighten(path: Path) -> None:
    """Make an existing file of ours 0600, as older versions did not (they left 0644).

    A file that is missing is fine (SQLite makes its companions on demand, as 0600 by then); one
    owned by another user is left alone: only its owner may change it, and they chose its mode."""
    try:
        if stat.S_IMODE(os.stat(path).st_mode) & ~FILE_MODE:
            os.chmod(path, FILE_MODE)
    except (FileNotFoundError, PermissionError):
        return
