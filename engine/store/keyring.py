"""Key-encryption keys (KEKs) and the blind-index key, kept in one JSON key file.

Answers are sealed under a per-household data key; the data key is stored wrapped under a KEK
(see `envelope`). KEKs rotate: `add_new` makes a fresh active KEK, old ones are `retire`d once
every data key has been re-wrapped, and a retired KEK still unwraps until it is deleted from
the file. The blind-index key never rotates (see `Keyring.index_key`).

File format (keys are standard base64; the same text may come from the `FORMSERVER_KEYS`
environment variable)::

    {"format": 1, "index_key": "...",
     "keks": [{"id": "k0123abcd", "key": "...", "created": "2025-11-01T08:00:00+00:00",
               "retired": false}]}
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import os
import re
import secrets
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from engine.store.errors import KeyringError

KEY_BYTES: Final = 32
FORMAT: Final = 1
ENV_VAR: Final = "FORMSERVER_KEYS"
_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True)
class Kek:
    """One key-encryption key. `key` is kept out of `repr` so a stray log line cannot leak it."""

    id: str
    key: bytes = field(repr=False)
    created: str
    retired: bool = False

    def __post_init__(self) -> None:
        if not _ID.match(self.id):
            raise ValueError("a key id is 1-64 letters, digits, '_' or '-'")
        if len(self.key) != KEY_BYTES:
            raise ValueError(f"key {self.id} must be {KEY_BYTES} bytes")


class Keyring:
    """The KEKs, in creation order, and the blind-index key."""

    def __init__(self, keks: Iterable[Kek], index_key: bytes) -> None:
        self._keks: list[Kek] = list(keks)
        if len(index_key) != KEY_BYTES:
            raise KeyringError(f"the index key must be {KEY_BYTES} bytes")
        ids = [k.id for k in self._keks]
        if len(set(ids)) != len(ids):
            raise KeyringError("the keyring holds two keys with the same id")
        if not any(not k.retired for k in self._keks):
            raise KeyringError("the keyring has no active (non-retired) key")
        self._index_key = index_key

    @classmethod
    def new(cls, now: datetime) -> Keyring:
        """A fresh keyring: one active KEK and the index key that will stay with it for good."""
        return cls([_random_kek(now, taken=set())], secrets.token_bytes(KEY_BYTES))

    @property
    def index_key(self) -> bytes:
        # Created once with the keyring and never rotated. The blind index is a keyed hash of
        # each resident id, compared across households to find the same person counted twice;
        # a value computed under a new key never equals one computed under the old key, so
        # after a rotation every stored index would silently stop matching new ones and
        # duplicate detection would find nothing until every row was recomputed. KEK rotation
        # does not have this problem because unwrapping names the KEK it needs.
        return self._index_key

    def derive(self, label: str) -> bytes:
        """A 32-byte key for one purpose (`label`), derived from the index key with HKDF-SHA256.

        Secrets the database must not hold (the audit chain's key, the web's signing key, the
        keyring's fingerprint) come from here: like the index key they survive KEK rotation,
        and distinct labels give independent keys, so none reveals another or the index key."""
        if not label:
            raise ValueError("a derived key needs a label naming its purpose")
        return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None,
                    info=f"formserver:{label}".encode()).derive(self._index_key)

    @property
    def keks(self) -> tuple[Kek, ...]:
        return tuple(self._keks)

    @property
    def active(self) -> Kek:
        # "Newest" is by position: `add_new` appends and the file keeps the order, which (unlike
        # the `created` strings) cannot be confused by a clock set wrong on another machine.
        for kek in reversed(self._keks):
            if not kek.retired:
                return kek
        raise KeyringError("the keyring has no active (non-retired) key")  # pragma: no cover

    def get(self, kek_id: str) -> Kek:
        for kek in self._keks:
            if kek.id == kek_id:
                return kek
        raise KeyringError(f"unknown key id {kek_id!r}")

    def add_new(self, now: datetime) -> Kek:
        kek = _random_kek(now, taken={k.id for k in self._keks})
        self._keks.append(kek)
        return kek

    def retire(self, kek_id: str) -> None:
        kek = self.get(kek_id)
        if kek.retired:
            return
        if kek is self.active and sum(not k.retired for k in self._keks) == 1:
            # Without an active key nothing new could be sealed: rotation is add_new, then retire.
            raise KeyringError(f"cannot retire {kek_id!r}, the only active key; add a new key first")
        self._keks[self._keks.index(kek)] = replace(kek, retired=True)

    def to_json(self) -> str:
        doc = {
            "format": FORMAT,
            "index_key": _b64(self._index_key),
            "keks": [
                {"id": k.id, "key": _b64(k.key), "created": k.created, "retired": k.retired}
                for k in self._keks
            ],
        }
        return json.dumps(doc, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Keyring:
        # Messages say what is wrong, never the offending value: the value may be a key.
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise KeyringError(f"the keyring is not valid JSON (line {exc.lineno})") from None
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise KeyringError(f"the keyring is not a format {FORMAT} keyring object")
        keks_doc = doc.get("keks")
        if not isinstance(keks_doc, list) or not keks_doc:
            raise KeyringError("the keyring has no 'keks' list")
        keks = [_kek_from(item, n) for n, item in enumerate(keks_doc)]
        return cls(keks, _unb64(doc.get("index_key"), "index_key"))

    def __repr__(self) -> str:
        return f"Keyring(active={self.active.id!r}, keks={[k.id for k in self._keks]!r})"


def _random_kek(now: datetime, *, taken: set[str]) -> Kek:
    if now.tzinfo is None:
        raise ValueError("key creation time must carry a UTC offset")
    kek_id = "k" + secrets.token_hex(4)
    while kek_id in taken:  # 2^32 ids: a clash is unlikely, but it would make `get` ambiguous
        kek_id = "k" + secrets.token_hex(4)
    return Kek(kek_id, secrets.token_bytes(KEY_BYTES), now.isoformat(timespec="seconds"), False)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _unb64(value: Any, what: str) -> bytes:
    if not isinstance(value, str):
        raise KeyringError(f"{what} is missing or not a base64 string")
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise KeyringError(f"{what} is not valid base64") from None
    if len(raw) != KEY_BYTES:
        raise KeyringError(f"{what} must decode to {KEY_BYTES} bytes")
    return raw


def _kek_from(item: Any, n: int) -> Kek:
    if not isinstance(item, dict):
        raise KeyringError(f"keks[{n}] is not an object")
    kek_id, created, retired = item.get("id"), item.get("created"), item.get("retired", False)
    if not isinstance(kek_id, str) or not _ID.match(kek_id):
        raise KeyringError(f"keks[{n}].id is missing or not 1-64 letters, digits, '_' or '-'")
    if not isinstance(created, str) or not isinstance(retired, bool):
        raise KeyringError(f"key {kek_id!r}: 'created' must be text and 'retired' true or false")
    return Kek(kek_id, _unb64(item.get("key"), f"key {kek_id!r}"), created, retired)


def keyring_from_env(value: str) -> Keyring:
    """The keyring from the `FORMSERVER_KEYS` environment variable (same JSON as the file)."""
    try:
        return Keyring.from_json(value)
    except KeyringError as exc:
        raise KeyringError(f"{ENV_VAR}: {exc}") from None


def load_keyring(path: Path, *, create: bool) -> tuple[Keyring, bool]:
    """Read the key file; with `create`, make a new one if it is missing.

    Returns the keyring and whether it was created just now, so that the caller can tell the
    operator (a new key file must be backed up: losing it loses every answer).
    """
    try:
        return Keyring.from_json(_read_private(path)), False
    except FileNotFoundError:
        if not create:
            raise KeyringError(f"key file {path} does not exist") from None
    keyring = Keyring.new(datetime.now(UTC))
    if _write_private(path, keyring.to_json(), exclusive=True):
        return keyring, True
    # Another process created the file between our read and our write. Its keys may already
    # have sealed data, so we must use them rather than ours.
    return Keyring.from_json(_read_private(path)), False


def save_keyring(path: Path, keyring: Keyring) -> None:
    """Atomically replace the key file with `keyring`, mode 0600."""
    _write_private(path, keyring.to_json(), exclusive=False)


def _read_private(path: Path) -> str:
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        raise  # the caller decides whether a missing file is an error
    except OSError as exc:
        raise KeyringError(f"cannot read key file {path}: {exc.strerror}") from None
    with os.fdopen(fd, "r", encoding="utf-8") as f:
        # fstat on the open file, not stat on the path: no window to swap the file in between.
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise KeyringError(f"key file {path} is not a regular file")
        if os.name == "posix" and st.st_mode & 0o077:
            raise KeyringError(
                f"key file {path} is accessible by group or others (mode {stat.S_IMODE(st.st_mode):04o});"
                f" run: chmod 600 {path}"
            )
        try:
            return f.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise KeyringError(f"cannot read key file {path}: {type(exc).__name__}") from None


def _write_private(path: Path, text: str, *, exclusive: bool) -> bool:
    """Write `text` to `path` with mode 0600 so that readers see the old file or the new, whole.

    The text goes to a temporary file in the same directory (created 0600, so the keys are never
    readable by others even for a moment) and is fsynced before it takes the real name. With
    `exclusive` the name is taken with link(2), which fails if the file exists: two processes
    starting at once must not each create a keyring and overwrite the other's. Returns False
    when `exclusive` and the file already existed.
    """
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with open(fd, "wb") as f:
            os.fchmod(fd, 0o600)  # the umask may only remove bits, but be exact anyway
            f.write(text.encode("utf-8"))
            f.flush()
            os.fsync(fd)
        if exclusive:
            try:
                os.link(tmp, path)
            except FileExistsError:
                return False
        else:
            os.replace(tmp, path)
        _fsync_dir(path.parent)
        return True
    except OSError as exc:
        raise KeyringError(f"cannot write key file {path}: {exc.strerror}") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def _fsync_dir(directory: Path) -> None:
    # Makes the new directory entry durable; not every platform lets a directory be opened.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
