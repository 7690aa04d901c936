"""What the browser tests do the way a person does: sign in, answer a page, go on, and wait
for the page (a full load without JavaScript, an htmx swap with it) before looking again."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

try:
    from playwright.sync_api import Browser, BrowserContext, Page, expect
except ImportError:  # pragma: no cover - conftest skips the folder, saying why
    Browser = BrowserContext = Page = Any  # type: ignore[misc,assignment]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]
PHONE = {"width": 390, "height": 844}
NARROW = {"width": 360, "height": 740}
OPEN_CLOCK = "2020-11-03T10:00:00+08:00"  # inside the 2020 self-response window
CLOSED_CLOCK = "2020-11-06T09:00:00+08:00"  # the morning after it closed
HERE = Path(__file__).resolve().parent
AXE = HERE / "vendor" / "axe.min.js"


@dataclass(frozen=True)
class Login:
    label: str
    account: str
    password: str
    qr_url: str
    household_id: str = ""


@dataclass
class Server:
    base: str
    data: Path
    process: subprocess.Popen[bytes]
    log: Path

    def url(self, path: str) -> str:
        return self.base + path


@dataclass(frozen=True)
class Demo:
    data: Path
    logins: dict[str, Login]


# Counts htmx requests in flight, so a test can wait until autosave has answered and the
# questions are swapped in. Added through the test browser (not the page, whose CSP forbids
# inline scripts); the app itself does not need it.
HTMX_PROBE = """
(() => {
  let pending = 0;
  window.__htmxIdleSince = Date.now();
  window.__htmxPending = () => pending;
  document.addEventListener('htmx:beforeRequest', () => { pending += 1; window.__htmxIdleSince = null; });
  const done = () => {
    pending = Math.max(0, pending - 1);
    if (pending === 0) { window.__htmxIdleSince = Date.now(); }
  };
  document.addEventListener('htmx:afterRequest', done);
})();
"""
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def js_enabled(page: Page) -> bool:
    try:
        return bool(page.evaluate("typeof window.htmx !== 'undefined'"))
    except Exception:
        return False


def settle(page: Page) -> None:
    """With JavaScript: wait until no htmx request is in flight and none started for a moment."""
    if not js_enabled(page):
        return
    # A function, not an expression: Playwright would eval() an expression in the page, which the
    # page's CSP (rightly) refuses.
    page.wait_for_function(
        "() => window.__htmxPending && window.__htmxPending() === 0 && window.__htmxIdleSince !== null"
        " && Date.now() - window.__htmxIdleSince > 80 && !document.querySelector('.htmx-settling, .htmx-swapping')",
        polling=10)


def mark(page: Page) -> None:
    page.evaluate("document.querySelector('main').setAttribute('data-old', '1')")


def wait_new_main(page: Page) -> None:
    """After a navigation (a full load, or a boosted htmx swap of the body)."""
    page.wait_for_selector("main:not([data-old])", state="attached")
    page.wait_for_load_state("domcontentloaded")
    settle(page)


def click_and_wait(page: Page, locator: Any) -> None:
    settle(page)
    mark(page)
    locator.click()
    wait_new_main(page)


def path_of(page: Page) -> str:
    return re.sub(r"^https?://[^/]+", "", page.url).split("#")[0]


def login(page: Page, server: Server, who: Login, lang: str | None = None) -> None:
    page.goto(server.url("/"))
    if lang is not None and lang != "zh":
        switch_language(page, lang)
    page.fill("#account", who.account)
    page.fill("#password", who.password)
    click_and_wait(page, page.locator("main form button[type=submit]"))
    assert path_of(page).startswith("/household"), path_of(page)


def staff_login(page: Page, server: Server, username: str, password: str) -> None:
    page.goto(server.url("/staff/login"))
    page.fill("#username", username)
    page.fill("#password", password)
    click_and_wait(page, page.locator("main form button[type=submit]"))
    assert path_of(page) in ("/enumerator", "/office"), path_of(page)


def switch_language(page: Page, lang: str = "en") -> None:
    """Press the header's button of `lang` (one per language the page is not in)."""
    click_and_wait(page, page.locator(f"header form[action='/lang']:has(input[name=lang][value={lang}]) button"))


def goto(page: Page, server: Server, path: str) -> None:
    page.goto(server.url(path))
    settle(page)


def answer(page: Page, answers: Mapping[str, Any]) -> None:
    """Answer the questions of the page shown: radios and checkboxes by option code, text by
    typing, `True`/`False` for yes-no questions. With JavaScript each answer is autosaved
    and may bring follow-up questions, so wait for that before the next one."""
    for name, value in answers.items():
        values = value if isinstance(value, list) else [value]
        inputs = page.locator(f"main :is(input, select)[name='{name}']:not([type=hidden])")
        kind = inputs.first.get_attribute("type") or inputs.first.evaluate("e => e.tagName.toLowerCase()")
        if kind == "select":
            inputs.first.select_option(str(value))
            settle(page)
        elif kind in ("radio", "checkbox"):
            for v in values:
                code = {True: "true", False: "false"}.get(v, v) if isinstance(v, bool) else str(v)
                page.locator(f"main input[name='{name}'][value='{code}']").check()
                settle(page)
        else:
            field = inputs.first
            field.fill(str(value))
            if js_enabled(page):
                field.press("Tab")  # leaving the field is what saves it (the change event)
            settle(page)


def save(page: Page) -> None:
    """Press 保存并继续 (save and continue) and wait for what comes next."""
    click_and_wait(page, page.locator("main form button[type=submit]").last)


def answer_page(page: Page, answers: Mapping[str, Any]) -> str:
    answer(page, answers)
    save(page)
    return path_of(page)


def confirm_warnings(page: Page) -> int:
    """Press every 'I have checked: this is correct' on the page; returns how many."""
    n = 0
    while page.locator("main .warning form button").count():
        click_and_wait(page, page.locator("main .warning form button").first)
        n += 1
        assert n < 10
    return n


def h1(page: Page) -> str:
    return page.locator("h1").inner_text().strip()


def error_texts(page: Page) -> list[str]:
    return [t.strip() for t in page.locator("main .error-message").all_inner_texts()]


def visible_questions(page: Page) -> list[str]:
    """Question ids shown on the page, in order."""
    return [str(v) for v in page.eval_on_selector_all("#questions input[name=shown]", "els => els.map(e => e.value)")]


def run_axe(page: Page) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.2 AA violations on the page (injected through the test browser, as the
    page's CSP rightly forbids scripts from anywhere else)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(Path(AXE).read_text(encoding="utf-8"))
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags},"
                           " resultTypes: ['violations']})", AXE_TAGS)
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [{"target": n["target"], "summary": n.get("failureSummary", "")[:300]}
                       for n in v["nodes"][:5]]}
            for v in result["violations"]]


def describe(violations: Sequence[dict[str, Any]]) -> str:
    return json.dumps(violations, ensure_ascii=False, indent=1)


def expect_h1(page: Page, text: str) -> None:
    expect(page.locator("h1")).to_contain_text(text)


def question_id(name: str) -> str:
    return name.split(".", 1)[0]  # count pairs: H2.present -> H2


def fill_page(page: Page, answers: Mapping[str, Any], *, max_rounds: int = 4) -> str:
    """Answer whatever of `answers` the page asks, as often as follow-up questions appear (live
    with JavaScript; after a save without it), then save; returns the path it leads to."""
    done: set[str] = set()
    start = path_of(page).split("?")[0]
    for _ in range(max_rounds):
        shown = set(visible_questions(page))
        todo = {k: v for k, v in answers.items() if question_id(k) in shown and k not in done}
        if todo:
            answer(page, todo)
            done |= set(todo)
            continue  # with JavaScript, follow-ups are shown now
        save(page)
        if path_of(page).split("?")[0] != start:
            return path_of(page)
        shown = set(visible_questions(page))
        if not {k for k in answers if question_id(k) in shown and k not in done}:
            return path_of(page)  # the same page again: errors or warnings to see to
    return path_of(page)


# -- browser contexts and tabs ---------------------------------------------------------------------


def open_context(browser: Browser, **options: Any) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport=options.pop("viewport", PHONE), locale="zh-CN", **options)
    context.set_default_timeout(10_000)
    if options.get("java_script_enabled", True):
        context.add_init_script(HTMX_PROBE)
    yield context
    context.close()


context_for = contextmanager(open_context)


def checked_page(context: BrowserContext) -> Iterator[Page]:
    page = new_page(context)
    yield page
    errors = page.script_errors  # type: ignore[attr-defined]
    assert not errors, "the page reported script or CSP errors:\n" + "\n".join(errors)


checked = contextmanager(checked_page)


def new_page(context: BrowserContext) -> Page:
    """A tab that fails the test on any script error or CSP violation the page causes."""
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))

    def console(message: Any) -> None:
        if message.type == "error":
            errors.append(f"console error: {message.text}")

    page.on("console", console)
    page.script_errors = errors  # type: ignore[attr-defined]
    return page


# -- servers: `formserver serve` on a data folder, as a person starts it ---------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def formserver(*args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "formserver.cli", *args], capture_output=True, text=True,
                          check=False, timeout=120, **kwargs)


def form_arguments(forms: Sequence[Path]) -> list[str]:
    """`--form SPEC` for each form (none: the bundled 2020 census forms)."""
    return [arg for spec in forms for arg in ("--form", str(spec))]


def make_demo(data: Path, base: str, forms: Sequence[Path] = ()) -> tuple[dict[str, Login], dict[str, str]]:
    """`formserver demo` into the empty folder `data`, its QR URLs naming `base`: the households'
    logins by label, and the staff's passwords by username."""
    done = formserver("demo", "--json", "--data", str(data), "--base-url", base, *form_arguments(forms))
    assert done.returncode == 0, done.stderr
    households: dict[str, Login] = {}
    staff: dict[str, str] = {}
    for line in done.stdout.splitlines():
        entry = json.loads(line)
        if entry["role"] == "household":
            households[entry["label"]] = Login(entry["label"], entry["account"], entry["password"], entry["qr_url"])
        else:
            staff[entry["username"]] = entry["password"]
    return households, staff


def start_server(data: Path, clock: str, log: Path, port: int | None = None, forms: Sequence[Path] = ()) -> Server:
    port = port or free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "FORMSERVER_CLOCK_START": clock}
    env.pop("DATABASE_URL", None)
    env.pop("FORMSERVER_KEYS", None)
    with log.open("wb") as handle:  # the server writes to its own copy of the descriptor
        process = subprocess.Popen([sys.executable, "-m", "formserver.cli", "serve", "--data", str(data),
                                    "--port", str(port), *form_arguments(forms)],
                                   env=env, stdout=handle, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"formserver serve exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(base + "/", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if time.monotonic() > deadline:
            process.terminate()
            raise RuntimeError(f"formserver serve did not answer within 60 s:\n{log.read_text()}")
        time.sleep(0.2)
    return Server(base, data, process, log)


def stop_server(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(timeout=10)
