"""Fixtures shared by the command-line tests."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import make_url

from engine.store.db import database_url


@pytest.fixture(scope="module")
def scratch_pg() -> Iterator[str]:
    """A new, empty PostgreSQL database for this module, dropped afterwards."""
    raw = os.environ.get("DATABASE_URL", "").strip()
    server = make_url(database_url(env={"DATABASE_URL": raw}) if raw else
                      "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    admin = server.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"fs_ops_cli_{secrets.token_hex(4)}"
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    except psycopg.Error as exc:
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        where = f"{server.host or '127.0.0.1'}:{server.port or 5432}"
        pytest.skip(f"PostgreSQL not reachable on {where}: {reason}")
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]
