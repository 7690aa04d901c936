"""The ASGI entry point for uvicorn workers: settings come from the environment that
`formserver serve` prepared, so every worker process builds the same app."""

from __future__ import annotations

import gc

from starlette.applications import Starlette

from engine.store.store import open_store
from web.app import create_app
from web.settings import Settings


def create() -> Starlette:
    settings = Settings.from_env()
    store = open_store(settings.data_dir, clock=settings.clock, create_keys=False)
    app = create_app(settings, store)
    # What exists now (the compiled questionnaires, templates, routes) lives as long as the
    # process: moved out of the collector's generations, full collections no longer walk it.
    gc.collect()
    gc.freeze()
    return app
