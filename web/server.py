"""uvicorn's HTTP protocol with TCP_NODELAY set on every connection.

uvicorn hands its worker processes (with --workers above 1) a socket created without
IPPROTO_TCP, so asyncio does not turn off Nagle's algorithm on it, and every keep-alive
response then waits ~40 ms for the client's delayed ACK (measured: bench/bare_page.py).
The class lives at module level because uvicorn pickles it for its worker processes.
"""

from __future__ import annotations

import socket
from typing import Any

from uvicorn.protocols.http.auto import AutoHTTPProtocol


class NoDelayProtocol(AutoHTTPProtocol):  # type: ignore[misc,valid-type]  # uvicorn picks h11 or httptools
    def connection_made(self, transport: Any) -> None:
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)
