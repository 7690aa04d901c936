"""Password work (argon2 checks and hashes) off the event loop, on few threads of its own.

argon2id costs about 0.15 s of CPU per password by design, spread over two threads (its two
lanes). Starlette's shared thread pool would run up to 40 of them at once in one worker: up to
40 x 64 MiB of memory, and on the morning of census day, when many households sign in at
once, every page of every household already answering would wait for a core behind them.
Here, in each worker process:

- at most `threads` passwords are worked on at once (default 1), so memory stays bounded, the
  event loop keeps its share of the cores, and sign-ins are served in turn instead of all
  finishing late together;
- at most `queue` more wait; the next gets `Busy`, answered with 503 and a request to try
  again in a minute, rather than a wait longer than any browser's patience.

The threads run at the process's own priority. A lower one (nice +10, then +5) kept pages no
quicker in `bench/sign_ins.py` and `bench/web_load.py`, and made sign-ins wait several times
longer whenever pages kept the cores busy.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from starlette.responses import Response

T = TypeVar("T")
R = TypeVar("R", bound=Response)
RETRY_AFTER = "30"  # seconds


class Busy(Exception):
    """More password work is waiting than this worker takes on; try again shortly."""


def retry_later(response: R) -> R:
    """A busy answer: tells the browser when to try again."""
    response.headers["Retry-After"] = RETRY_AFTER
    return response


class PasswordWork:
    """The worker process's password threads. `run` is awaited from request handlers."""

    def __init__(self, threads: int = 1, queue: int = 64) -> None:
        if threads < 1 or queue < 0:
            raise ValueError("password work needs at least one thread and a queue of zero or more")
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="passwords")
        self._limit = threads + queue
        self._outstanding = 0  # submitted and not yet finished, cancelled waiters' work included
        self._lock = threading.Lock()

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        with self._lock:
            if self._outstanding >= self._limit:
                raise Busy
            self._outstanding += 1
        try:
            future = self._executor.submit(fn, *args)
        except BaseException:
            self._done()
            raise
        future.add_done_callback(self._done)
        return await asyncio.wrap_future(future)

    def _done(self, _future: Future[Any] | None = None) -> None:
        with self._lock:
            self._outstanding -= 1

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
