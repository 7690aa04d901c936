"""The baseline for `bench/web_load.py`: a bare Starlette + Jinja2 page of about the size of a
census question page, with no engine, no store and no session behind it.

The template has the shape of a question page (head, header, a form of labelled fields, a
footer) and is repeated field by field until the page is about `BARE_PAGE_BYTES` (default
6,000) bytes. What the form server does beyond this (sessions, decryption, evaluation,
saving) is what the comparison measures.

It is served as `formserver serve` serves (web/server.py): TCP_NODELAY set on every
connection. With `--workers` above 1, uvicorn hands its workers a listening socket created
without IPPROTO_TCP, so asyncio does not set TCP_NODELAY itself, and a response written in two
parts (head, then body) would wait for the client's delayed ACK: about 40 ms per request on a
keep-alive connection. `--delayed-ack` serves without it, to show that stall.

Run: python bench/bare_page.py [--port 8100] [--workers 2] [--bytes 6000] [--delayed-ack]
"""

from __future__ import annotations

import argparse
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import DictLoader, Environment, select_autoescape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse
from starlette.routing import Route

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as AutoProtocol
except ImportError:
    from uvicorn.protocols.http.h11_impl import H11Protocol as AutoProtocol  # type: ignore[assignment]

HERE = Path(__file__).resolve().parent
DEFAULT_BYTES = 6000

PAGE = """\
<!doctype html>
<html lang="{{ lang }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }} – {{ service }}</title>
<link rel="stylesheet" href="/static/app.css">
<script src="/static/htmx.min.js" defer></script>
</head>
<body hx-boost="true" hx-headers='{"X-CSRF-Token": "{{ csrf }}"}'>
<header class="top"><a class="brand" href="/">{{ service }}</a></header>
<main id="main">
<a class="back" href="/back">{{ back }}</a>
<h1>{{ title }}</h1>
<form method="post" action="/page" novalidate>
  <input type="hidden" name="_csrf" value="{{ csrf }}">
  {% for f in fields %}
  <div class="field" id="wrap-{{ f.id }}">
    <label class="label" for="field-{{ f.id }}">{{ f.label }}</label>
    <p class="hint" id="hint-{{ f.id }}">{{ f.hint }}</p>
    <div class="input-row">
      <input class="input" type="text" id="field-{{ f.id }}" name="{{ f.id }}" value="{{ f.value }}"
        inputmode="numeric" autocomplete="off" spellcheck="false" aria-describedby="hint-{{ f.id }}">
    </div>
  </div>
  {% endfor %}
  <button type="submit" class="button">{{ save }}</button>
</form>
</main>
<footer class="foot"><p>{{ footer }}</p></footer>
</body>
</html>
"""


@dataclass(frozen=True)
class Field:
    id: str
    label: str
    hint: str
    value: str


def _fields(count: int) -> list[Field]:
    return [Field(f"Q{i}", f"问题 {i}：这是一个问题的标签 / Question {i}: the label of a question",
                  "提示：请按实际情况填写 / Hint: answer as things are", str(i)) for i in range(count)]


def renderer(target_bytes: int) -> tuple[Callable[[list[Field]], str], int]:
    """The page's template as a function of its fields, and how many fields make it about
    `target_bytes` long. `bench/floor_page.py` renders the very same page."""
    env = Environment(loader=DictLoader({"page.html": PAGE}), autoescape=select_autoescape(default=True),
                      trim_blocks=True, lstrip_blocks=True)
    template = env.get_template("page.html")
    values = {"lang": "zh-CN", "title": "住所 / Dwelling", "service": "人口普查自主填报", "back": "返回",
              "save": "保存并继续", "footer": "用途：仅用于人口普查统计。" * 4,
              "csrf": "3f2a" * 16}

    def render(fields: list[Field]) -> str:
        return template.render(fields=fields, **values)

    def size(count: int) -> int:
        return len(render(_fields(count)).encode())

    empty, one = size(0), size(1)
    return render, max(0, round((target_bytes - empty) / max(1, one - empty)))


def build(target_bytes: int) -> Starlette:
    render, count = renderer(target_bytes)

    async def page(request: Request) -> HTMLResponse:
        # Rendered per request, as a question page is (values would differ per household).
        return HTMLResponse(render(_fields(count)))

    async def health(request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    return Starlette(routes=[Route("/page", page), Route("/health", health)])


def create() -> Starlette:
    """The uvicorn factory (each worker process builds its app)."""
    return build(int(os.environ.get("BARE_PAGE_BYTES", DEFAULT_BYTES)))


class NoDelayProtocol(AutoProtocol):  # module level: uvicorn pickles it for its worker processes
    """uvicorn's HTTP protocol ("auto": httptools when installed, else h11), setting
    TCP_NODELAY on each connection before serving it."""

    def connection_made(self, transport: Any) -> None:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--bytes", type=int, default=DEFAULT_BYTES, help="page size to aim for")
    parser.add_argument("--delayed-ack", action="store_true",
                        help="leave TCP_NODELAY unset (uvicorn's default with --workers > 1)")
    args = parser.parse_args()
    os.environ["BARE_PAGE_BYTES"] = str(args.bytes)
    # The same server settings as `formserver serve` (unless --delayed-ack).
    uvicorn.run("bare_page:create", factory=True, app_dir=str(HERE), host=args.host, port=args.port,
                workers=args.workers, log_level="warning", access_log=False, server_header=False,
                http="auto" if args.delayed_ack else NoDelayProtocol)


if __name__ == "__main__":
    main()
