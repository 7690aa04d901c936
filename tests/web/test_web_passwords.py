"""Password work: few threads at a lower priority, a bounded queue, and the page when it is full."""

from __future__ import annotations

import asyncio
import contextlib
import re
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from formserver.cli import main
from web.passwords import Busy, PasswordWork
from web.security import FREE_FAILURES
from web.settings import Settings


def own_loop(coro: Any) -> Any:
    """Run a coroutine on a thread of its own: Playwright's sync API may keep an event loop
    running on this test process's main thread."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result(timeout=30)


@contextlib.contextmanager
def occupied(site: Any) -> Iterator[None]:
    """The site's one password thread kept busy (with no queue, the next password work is Busy)."""
    release, started = threading.Event(), threading.Event()

    def occupy() -> None:
        started.set()
        release.wait(30)

    holder = threading.Thread(target=own_loop, args=(site.app.state.services.passwords.run(occupy),))
    holder.start()
    try:
        assert started.wait(10)
        yield
    finally:
        release.set()
        holder.join(10)


@pytest.fixture
def work() -> Iterator[PasswordWork]:
    w = PasswordWork(threads=1, queue=1)
    yield w
    w.close()


def test_password_work_runs_on_its_own_threads_not_the_event_loop(work: PasswordWork) -> None:
    async def main() -> tuple[int, int, str]:
        worker = await work.run(lambda: (threading.get_ident(), threading.current_thread().name))
        return threading.get_ident(), *worker

    loop_thread, worker_thread, name = own_loop(main())
    assert worker_thread != loop_thread and name.startswith("passwords")


def test_one_password_at_a_time_in_order_of_arrival(work: PasswordWork) -> None:
    running, most, order = 0, 0, []
    lock = threading.Lock()

    def job(n: int) -> int:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.02)
        with lock:
            running -= 1
            order.append(n)
        return n * 10

    async def main() -> list[int]:
        w = PasswordWork(threads=1, queue=8)
        try:
            return list(await asyncio.gather(*(w.run(job, n) for n in range(6))))
        finally:
            w.close()

    assert own_loop(main()) == [0, 10, 20, 30, 40, 50]
    assert most == 1 and order == list(range(6))


def test_a_full_queue_says_busy_and_frees_up_when_work_ends(work: PasswordWork) -> None:
    release = threading.Event()

    async def main() -> tuple[str, ...]:
        first = asyncio.ensure_future(work.run(release.wait))  # on the one thread
        second = asyncio.ensure_future(work.run(lambda: "queued"))  # the one place in the queue
        await asyncio.sleep(0.05)
        with pytest.raises(Busy):
            await work.run(lambda: "one too many")
        second.cancel()  # a browser gone away: its work still holds its place until it has run
        with pytest.raises(Busy):
            await work.run(lambda: "still too many")
        release.set()
        assert await first is True
        await asyncio.sleep(0.05)
        return (await work.run(lambda: "next"), await work.run(lambda: "and the next"))

    assert own_loop(main()) == ("next", "and the next")


def test_errors_come_back_to_the_caller_and_free_the_place(work: PasswordWork) -> None:
    def broken() -> None:
        raise ValueError("bad hash")

    async def main() -> str:
        for _ in range(3):  # more than the limit of 2: the failures freed their places
            with pytest.raises(ValueError, match="bad hash"):
                await work.run(broken)
        return await work.run(lambda: "fine")

    assert own_loop(main()) == "fine"


def test_settings_out_of_range_are_refused() -> None:
    with pytest.raises(ValueError):
        PasswordWork(threads=0)
    with pytest.raises(ValueError):
        PasswordWork(queue=-1)


def test_a_busy_sign_in_gets_the_form_again_and_costs_no_attempt(site_factory: Any) -> None:
    site = site_factory(password_threads=1, password_queue=0)
    h = site.household("fresh")
    with occupied(site):
        for n in range(FREE_FAILURES + 2):  # the same account and address, more than the free failures
            lang, words = ("en", "Many people are signing in right now") if n % 2 else ("zh", "现在登录的人很多")
            browser = site.client(cookies={"lang": lang})
            busy = browser.submit(browser.get("/"), "/login", account=h.account, password="wrong-pw")
            assert busy.status_code == 503 and busy.headers["retry-after"] == "30"
            assert words in busy.text and 'role="alert"' in busy.text
            assert f'value="{h.account}"' in busy.text  # the account code typed is kept
            assert "wrong-pw" not in busy.text and "session" not in busy.headers.get("set-cookie", "")
    browser = site.client()  # no wait imposed: a busy answer is not a failed attempt
    ok = browser.submit(browser.get("/"), "/login", account=h.account, password=h.password)
    assert ok.status_code == 303 and ok.headers["location"] == "/household"


def test_a_busy_staff_sign_in_gets_the_form_again(site_factory: Any) -> None:
    site = site_factory(password_threads=1, password_queue=0)
    enumerator = site.demo.enumerators[0]
    with occupied(site):
        browser = site.client()
        busy = browser.submit(browser.get("/staff/login"), "/staff/login", username=enumerator.username,
                              password=enumerator.password)
        assert busy.status_code == 503 and busy.headers["retry-after"] == "30"
        assert "现在登录的人很多" in busy.text and f'value="{enumerator.username}"' in busy.text
        assert enumerator.password not in busy.text and "session" not in busy.headers.get("set-cookie", "")
    browser = site.client()
    ok = browser.submit(browser.get("/staff/login"), "/staff/login", username=enumerator.username,
                        password=enumerator.password)
    assert ok.status_code == 303


def test_registration_hashes_on_the_password_thread_and_says_busy_when_it_is_full(site_factory: Any) -> None:
    site = site_factory(password_threads=1, password_queue=0)
    enumerator = site.demo.enumerators[0]
    browser = site.client()
    signed_in = browser.submit(browser.get("/staff/login"), "/staff/login", username=enumerator.username,
                               password=enumerator.password)
    assert signed_in.status_code == 303
    form = browser.get("/enumerator/register")
    area = re.search(r'name="area" value="([^"]+)"', form.text)
    assert area
    before = len(site.events())
    with occupied(site):
        busy = browser.submit(form, "/enumerator/register", address="北京市朝阳区建外街道测试北路8号",
                              area=area.group(1), household_type="family")
        assert busy.status_code == 503 and "现在使用的人很多" in busy.text
        assert len(site.events()) == before  # no household registered, no slip shown
    sent = browser.submit(form, "/enumerator/register", address="北京市朝阳区建外街道测试北路8号",
                          area=area.group(1), household_type="family")
    slip = browser.follow(sent)  # the same form, once the threads are free: registered, on to the slip
    assert slip.status_code == 200 and 'id="slip-password"' in slip.text


def test_settings_from_the_environment() -> None:
    settings = Settings.from_env(env={"FORMSERVER_PASSWORD_THREADS": "2", "FORMSERVER_PASSWORD_QUEUE": "0"})
    assert (settings.password_threads, settings.password_queue) == (2, 0)
    assert (Settings.from_env(env={}).password_threads, Settings.from_env(env={}).password_queue) == (1, 64)
    for name, raw in (("FORMSERVER_PASSWORD_THREADS", "0"), ("FORMSERVER_PASSWORD_THREADS", "two"),
                      ("FORMSERVER_PASSWORD_QUEUE", "-1"), ("FORMSERVER_PASSWORD_QUEUE", "１")):
        with pytest.raises(ValueError, match=f"{name} must be a whole number"):
            Settings.from_env(env={name: raw})


def test_serve_refuses_a_bad_setting_in_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("FORMSERVER_PASSWORD_QUEUE", "lots")
    assert main(["serve", "--data", str(tmp_path / "data")]) == 2
    err = capsys.readouterr().err
    assert err == "formserver: FORMSERVER_PASSWORD_QUEUE must be a whole number of at least 0, not 'lots'\n"
    assert not (tmp_path / "data").exists()  # refused before anything was created
