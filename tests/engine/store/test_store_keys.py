"""The key service of a running server: it follows the key file through a rotation, but not to
another keyring put in its place."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from engine.store.keyring import Keyring, load_keyring, save_keyring
from engine.store.keys import KeyService
from engine.store.store import Store
from tests.engine.store.conftest import CHEAP_HASHER, NOW


def _changed(path: Path, keyring: Keyring, service: KeyService) -> None:
    """Rewrite the key file as another process would, and let the service look at it now."""
    save_keyring(path, keyring)
    service.refresh()


def test_a_key_file_replaced_by_another_keyring_is_ignored_and_said(
        store: Store, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "keys.json"
    save_keyring(path, store.keys.keyring)
    service = KeyService(load_keyring(path, create=False)[0], path)
    own = Store(store.db, service, store.clock, CHEAP_HASHER)
    rotated = load_keyring(path, create=False)[0]
    new = rotated.add_new(NOW)
    _changed(path, rotated, service)
    assert service.keyring.active.id == new.id  # a rotation of its own keyring is followed

    with caplog.at_level(logging.ERROR, logger="formserver.keys"):
        _changed(path, Keyring.new(NOW), service)
        assert service.keyring.active.id == new.id  # another keyring is not
    assert "now holds another keyring" in caplog.text and str(path) in caplog.text
    with own.db.transaction() as c:  # what it seals now still opens with the database's own keys
        key = service.create(c, "household-after")
    service.forget()
    with own.db.read() as c:
        assert KeyService(rotated).get(c, "household-after") == key
