"""Saves that can be sent again safely: each draft revision records which request made it.

A save whose COMMIT was sent but whose answer never came back (the connection dropped, the
primary failed over) may or may not have landed. The browser sends it again, with the same
page version; if it had landed, the household is one version further and the retry would be
refused as a conflict. So every draft revision carries a digest of the request that made it
(who, which household, from which version, what change): a retry whose digest is the one of
revision `version + 1` is that very save, already applied once, and is answered as a success.
A different request from the same version (another tab's other answers) has another digest and
is still a conflict.

The digest is keyed (HMAC under a key derived from the keyring) because the request includes
the answers: an unkeyed hash of a short answer could be found by trying answers. It lives in
the revision's `content_hash` column, which drafts do not otherwise use.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import bindparam, select

from engine.store.db import Database
from engine.store.keyring import Keyring
from engine.store.tables import Revision

KEY_LABEL = "save requests"  # the keyring's derived key for the digests (Keyring.derive)
_R = Revision.metadata.tables["revision"]
_MADE_BY = select(_R.c.content_hash).where(_R.c.household_id == bindparam("household_id"),
                                           _R.c.number == bindparam("number"), _R.c.kind == "draft")


class SaveRequests:
    def __init__(self, db: Database, keyring: Keyring) -> None:
        self.db = db
        self._key = keyring.derive(KEY_LABEL)

    def digest(self, actor: str, household_id: str, expected_version: int, action: str,
               change: Mapping[str, Any]) -> str:
        """The request's digest: equal for the same save sent again, different for any other."""
        text = json.dumps([actor, household_id, expected_version, action, change], sort_keys=True,
                          ensure_ascii=False, default=str, separators=(",", ":"))
        return hmac.new(self._key, text.encode(), "sha256").hexdigest()

    def applied(self, household_id: str, expected_version: int, digest: str) -> bool:
        """Whether the save from `expected_version` that the household holds was this request."""
        with self.db.read() as c:
            made_by = c.execute(_MADE_BY, {"household_id": household_id, "number": expected_version + 1}).scalar()
        return made_by is not None and hmac.compare_digest(made_by, digest)
