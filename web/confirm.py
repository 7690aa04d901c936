"""The confirmation step before a staff action that cannot be taken back (revoking
credentials, a visit outcome that takes a household off the queue, drawing the sample,
closing the window): the first POST answers with a page saying what will happen, whose form
posts the same fields again with `confirmed=yes`. Plain forms, so it works without JavaScript.

The CSRF token guards against a forged request; this step guards against a slip of the finger.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from starlette.datastructures import FormData
from starlette.responses import Response

from web.context import Ctx

CONFIRMED: Final = "confirmed"
NOT_REPOSTED: Final = frozenset({"_csrf", CONFIRMED})


@dataclass(frozen=True, slots=True)
class Confirmation:
    title: str
    effects: Sequence[str]  # what will happen, one sentence each
    button: str
    cancel: str  # where "cancel" leads: the page the action was asked from


def confirmed(form: FormData) -> bool:
    return form.get(CONFIRMED) == "yes"


def ask(ctx: Ctx, form: FormData, confirmation: Confirmation, nav: str = "") -> Response:
    """The confirmation page for the action of this request, reposting its form's fields."""
    fields = [(k, v) for k, v in form.multi_items() if k not in NOT_REPOSTED and isinstance(v, str)]
    return ctx.render("staff/confirm.html", action=ctx.path, fields=fields, confirm=confirmation, nav=nav)


__all__ = ["Confirmation", "ask", "confirmed"]
