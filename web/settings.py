"""Web settings: from command-line arguments and the environment, decided once at start-up."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from engine.clock import Clock, SystemClock

# The demo runs "on census day": a clock that starts inside the 2020 self-response window and
# moves at real speed, so the bundled 2020 forms can be tried today.
DEMO_START = "2020-11-03T10:00:00+08:00"
FORMS_ENV = "FORMSERVER_FORMS"  # the spec files `serve --form` names, joined by os.pathsep


class OffsetClock:
    """Real time, shifted so that the server's start is `start`."""

    def __init__(self, start: datetime, base: Clock | None = None) -> None:
        self._base = base or SystemClock()
        self._offset = start - self._base.now()

    def now(self) -> datetime:
        return self._base.now() + self._offset


def _whole(env: dict[str, str], name: str, default: int, *, least: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isascii() or not raw.isdigit() or int(raw) < least:
        raise ValueError(f"{name} must be a whole number of at least {least}, not {raw!r}")
    return int(raw)


def _minutes(count: int) -> timedelta | None:
    return timedelta(minutes=count) if count else None


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("data")
    base_url: str = "http://127.0.0.1:8000"
    secure_cookies: bool = False  # Secure, __Host- cookies and HSTS: on when served over HTTPS
    session_idle: timedelta = timedelta(minutes=30)
    session_absolute: timedelta = timedelta(hours=12)
    session_warning: timedelta = timedelta(minutes=2)  # warn this long before the idle timeout
    max_body_bytes: int = 64 * 1024  # no census page needs more; bounds what an attacker can send
    clock: Clock = field(default_factory=SystemClock)
    forms_dir: Path | None = None
    # The questionnaires served (`serve --form`), the self-response form first; () for the bundled
    # 2020 census forms (engine.forms.CENSUS_SPECS).
    forms: tuple[Path, ...] = ()
    trust_proxy: bool = False  # take the client address from X-Forwarded-For (behind a known proxy)
    password_threads: int = 1  # argon2 checks at once per worker process (web/passwords.py)
    password_queue: int = 64  # more waiting than this: a 503 "try again in a minute" page
    # How often the workers run housekeeping (engine/store/maintenance.py); None: never (an
    # operator runs `formserver maintain` instead).
    maintenance_every: timedelta | None = timedelta(minutes=5)

    @classmethod
    def from_env(cls, data_dir: Path | None = None, base_url: str | None = None, clock: Clock | None = None,
                 env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ) if env is None else env
        url = base_url or env.get("FORMSERVER_BASE_URL") or cls.base_url
        at = env.get("FORMSERVER_CLOCK_START")
        if clock is None and at:
            clock = OffsetClock(datetime.fromisoformat(at))
        return cls(
            data_dir=Path(data_dir or env.get("FORMSERVER_DATA", "data")),
            base_url=url.rstrip("/"),
            secure_cookies=url.startswith("https://") or env.get("FORMSERVER_SECURE") == "1",
            clock=clock or SystemClock(),
            trust_proxy=env.get("FORMSERVER_TRUST_PROXY") == "1",
            password_threads=_whole(env, "FORMSERVER_PASSWORD_THREADS", cls.password_threads, least=1),
            password_queue=_whole(env, "FORMSERVER_PASSWORD_QUEUE", cls.password_queue, least=0),
            maintenance_every=_minutes(_whole(env, "FORMSERVER_MAINTENANCE_MINUTES", 5, least=0)),
            forms=tuple(Path(p) for p in env.get(FORMS_ENV, "").split(os.pathsep) if p),
        )

    @property
    def cookie_prefix(self) -> str:
        # __Host- cookies are only accepted over HTTPS, for the whole site, without a Domain.
        return "__Host-" if self.secure_cookies else ""
