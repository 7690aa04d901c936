"""examples/api_household.py completes a fresh demo household through the API alone (in
process here: the same requests, sent through the app's test client)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from engine.runtime.lifecycle import HouseholdState
from tests.web.api.conftest import client

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "api_household.py"


def load() -> Any:
    spec = importlib.util.spec_from_file_location("api_household", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_example_submits_a_three_member_household(site: Any) -> None:
    example, api = load(), client(site)

    def send(method: str, path: str, body: Any, headers: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        response = api.request(method, path, headers=headers, **({"json": body} if body is not None else {}))
        return response.status_code, dict(response.headers), response.json() if response.content else None

    h = site.household("fresh")
    reference = example.complete(send, h.account, h.password)
    info = site.store.households.get(h.household_id)
    assert info.state is HouseholdState.SUBMITTED and info.reference == reference
    assert [m["D1"] for m in site.draft("fresh")["members"]] == [p["D1"] for p in example.PEOPLE]
