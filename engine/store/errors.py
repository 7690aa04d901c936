"""Exceptions of the answer store.

Messages name what was being done (a household id, a revision, a key id, a file path) and never
carry secrets or respondents' content: they end up in logs and on operators' screens.
"""

from __future__ import annotations


class StoreError(Exception):
    """Root of every error the store raises, so callers can catch the store as one thing."""


class DecryptionError(StoreError):
    """A ciphertext failed authentication: it was altered, moved to another row, or the key is wrong.

    AES-GCM cannot tell these cases apart (that is the point of an AEAD), so neither can we; the
    message says which household and revision the blob was opened for so an operator can find it.
    """

    def __init__(self, household_id: str, revision: int | None = None, *, what: str = "answers") -> None:
        self.household_id = household_id
        self.revision = revision
        where = f"household {household_id!r}"
        if revision is not None:
            where += f" revision {revision}"
        super().__init__(
            f"cannot open sealed {what} of {where}: altered, moved from another row, or wrong key"
        )


class KeyringError(StoreError):
    """The key file is missing, unreadable or too widely readable, or a key id is unknown."""


class AuditError(StoreError):
    """The audit trail cannot give what was asked (no head to keep, a head that does not match)."""


class ConflictError(StoreError):
    """Optimistic concurrency: what a write was computed from changed before it landed."""


class StaleRow(ConflictError):
    """The household's row (state, reasons, flags) changed since it was read, its answers did not.

    Not a conflict for the person typing: the service reads the row again and repeats the write
    on it (`Census.change`). A caller that does not is still refused, as for any conflict."""
