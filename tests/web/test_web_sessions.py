"""Sessions' secret before sign-in: the key of the anonymous CSRF tokens comes from the keyring,
and the database holds none (a copy of it cannot forge a token)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select

from engine.store.keyring import Keyring
from engine.store.store import store_for_tests
from engine.store.tables import Setting
from web.app import create_app
from web.sessions import OLD_SECRET

SETTING = Setting.metadata.tables["setting"]


def setting_keys(site: Any) -> set[str]:
    with site.store.db.read() as c:
        return set(c.execute(select(SETTING.c.key)).scalars())


def sign_in_with_token_of(giver: Any, taker: Any) -> int:
    """Post the sign-in form to `taker` with the CSRF token `giver` put on its form for the same
    `anon` cookie; the status code (403: the token was refused)."""
    browser = giver.client(cookies={"anon": "one-browser"})
    token = browser.csrf_of(browser.get("/").text)
    h = taker.household("fresh")
    other = taker.client(cookies={"anon": "one-browser"})
    return int(other.post_form("/login", {"_csrf": token, "account": h.account, "password": h.password}).status_code)


def test_the_database_holds_no_web_secret(site: Any) -> None:
    assert OLD_SECRET not in setting_keys(site)


def test_a_secret_left_in_clear_by_an_earlier_version_is_removed_at_start(site: Any) -> None:
    with site.store.db.transaction() as c:
        c.execute(insert(SETTING).values(key=OLD_SECRET, value="ab" * 32))
    create_app(site.settings, site.store, site.forms)
    assert OLD_SECRET not in setting_keys(site)


def test_servers_on_one_keyring_agree_on_tokens_and_another_keyring_does_not(site_factory: Any) -> None:
    """Two servers with the same keyring (two workers, or two machines) accept each other's
    tokens, with no secret shared through the database; a server with another keyring does not."""
    first, second = site_factory(), site_factory()  # separate databases, the same keyring
    assert sign_in_with_token_of(first, second) == 303
    other_keys = store_for_tests(second.store.db, Keyring.new(second.clock.now()), second.clock, second.store.hasher)
    second.app = create_app(second.settings, other_keys, second.forms)
    assert sign_in_with_token_of(first, second) == 403
