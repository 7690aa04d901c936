"""Password work (argon2 checks and hashes) off the event loop, on few threads of low priority.

argon2id costs about 0.15 s of CPU per password by design, spread over two threads (its two
lanes). Starlette's shared thread pool would run up to 40 of them at once in one worker: up to
40 x 64 MiB of memory, and on the morning of census day, when many households sign in at
once, every page of every household already answering would wait for a core behind them.
Here, in each worker process:

- at most `threads` passwords are worked on at once (default 1), so memory stays bounded and
  sign-ins are served in turn instead of all finishing late together;
- those threads run at a nice value 10 higher than the process's, i.e. at a lower priority
  (argon2's lane threads inherit it: on Linux a nice value belongs to a thread), so the
  scheduler gives the event loop the cores first: pages stay quick while sign-ins wait;
- at most `queue` more wait; the next gets `Busy`, shown as a 503 page asking the person to try
  again in a minute, rather than a wait longer than any browser's patience.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
NICER_BY = 10  # CFS weight of nice +10 is about a tenth of nice 0's
RETRY_AFTER = "30"  # seconds, in the Retry-After header of a busy answer


class Busy(Exception):
    """More password work is waiting than this worker takes on; try again shortly."""


def lower_thread_priority(by: int = NICER_BY) -> None:
    """Make the calling thread (and threads it starts) `by` nice levels nicer, up to 19.

    Only on Linux, where PRIO_PROCESS with a thread id means that one thread; elsewhere the
    same call would slow the whole process, so nothing is done."""
    if sys.platform != "linux":
        return
    tid = threading.get_native_id()
    with contextlib.suppress(OSError):  # e.g. a sandbox that forbids it: run at normal priority
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + by))


class PasswordWork:
    """The worker process's password threads. `run` is awaited from request handlers."""

    def __init__(self, threads: int = 1, queue: int = 64) -> None:
        if threads < 1 or queue < 0:
            raise ValueError("password work needs at least one thread and a queue of zero or more")
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="passwords",
                                            initializer=lower_thread_priority)
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
