"""The whole deployment on one machine, for tests and demos: `scripts/cluster up | down | status`.

Renders the templates of this folder with the addresses of `cluster.env` (each overridable
from the environment) into the cluster folder (FORMSERVER_CLUSTER_DIR, default `.cluster`),
and starts etcd, two Patroni nodes (PostgreSQL 15, a primary and a synchronous standby),
HAProxy, pgbouncer and two formserver instances, each on its own port, data folder and log.
PostgreSQL and pgbouncer refuse to run as root: they run as the `postgres` user then.

Every process is started in a session of its own and remembered by its pid file under
`run/`; `down` stops exactly those. `status` says which node is the primary and each part's
health. The fault-injection suite (deploy/faults.py) uses `start`, `stop` and `kill` here.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import shutil
import signal
import socket
import string
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PG_BIN = os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin")
DEMO_START = "2020-11-03T10:00:00+08:00"  # web.settings.DEMO_START: inside the 2020 window
PARTS = ("etcd", "pg1", "pg2", "haproxy", "pgbouncer", "app1", "app2")


def settings() -> dict[str, str]:
    """cluster.env, each value overridable by an environment variable of the same name."""
    values: dict[str, str] = {}
    for line in (HERE / "cluster.env").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            name, _, value = line.partition("=")
            values[name] = os.environ.get(name, value)
    folder = Path(os.environ.get("FORMSERVER_CLUSTER_DIR", ROOT / ".cluster")).resolve()
    values.update(CLUSTER_DIR=str(folder), CLUSTER_CONF=str(folder / "conf"), PG_BIN=PG_BIN)
    return values


S = settings()
DIR = Path(S["CLUSTER_DIR"])
RUN, LOGS, CONF = DIR / "run", DIR / "logs", DIR / "conf"


def app_url() -> str:
    return f"http://{S['HAPROXY_HOST']}:{S['APP_PORT']}"


def database_url() -> str:
    """What the formserver instances connect to: pgbouncer, which reaches the primary."""
    return (f"postgresql+psycopg://{S['DATABASE_USER']}@{S['PGBOUNCER_HOST']}:{S['PGBOUNCER_PORT']}/"
            f"{S['DATABASE_NAME']}")


def node(name: str) -> dict[str, str]:
    n = name[-1]
    return {"NODE_NAME": name, "NODE_HOST": S[f"PG{n}_HOST"], "NODE_PORT": S[f"PG{n}_PORT"],
            "NODE_REST_PORT": S[f"PG{n}_REST_PORT"]}


# -- configuration --------------------------------------------------------------------------------
def render(template: str, target: Path, extra: dict[str, str] | None = None, mode: int = 0o644) -> Path:
    text = string.Template((HERE / template).read_text()).substitute({**S, **(extra or {})})
    target.write_text(text)
    target.chmod(mode)
    return target


def prepare() -> None:
    for folder in (DIR, RUN, LOGS, CONF, DIR / "app", DIR / "etcd"):
        folder.mkdir(parents=True, exist_ok=True)
    for name in ("pg1", "pg2"):
        render("patroni.yml", CONF / f"{name}.yml", node(name))
    render("post_bootstrap.sh", CONF / "post_bootstrap.sh", mode=0o755)
    render("pgbouncer.ini", CONF / "pgbouncer.ini")
    render("userlist.txt", CONF / "userlist.txt")
    render("haproxy.cfg", CONF / "haproxy.cfg")
    if os.geteuid() == 0:  # PostgreSQL and pgbouncer run as postgres: their folders are its own
        owner = pwd.getpwnam("postgres")
        for path in (DIR, RUN, LOGS, CONF, *CONF.iterdir()):
            os.chown(path, owner.pw_uid, owner.pw_gid)
        for name in ("pg1", "pg2"):
            if (DIR / name).exists():
                os.chown(DIR / name, owner.pw_uid, owner.pw_gid)


# -- processes ------------------------------------------------------------------------------------
def command(part: str) -> tuple[list[str], dict[str, str], bool]:
    """(argv, extra environment, runs as postgres) of a part."""
    if part == "etcd":
        host, client, peer = S["ETCD_HOST"], S["ETCD_CLIENT_PORT"], S["ETCD_PEER_PORT"]
        return (["etcd", "--name", "etcd1", "--data-dir", str(DIR / "etcd"), "--enable-v2=true",
                 "--listen-client-urls", f"http://{host}:{client}", "--advertise-client-urls", f"http://{host}:{client}",
                 "--listen-peer-urls", f"http://{host}:{peer}", "--initial-advertise-peer-urls", f"http://{host}:{peer}",
                 "--initial-cluster", f"etcd1=http://{host}:{peer}", "--initial-cluster-state", "new"], {}, False)
    if part in ("pg1", "pg2"):
        return ["patroni", str(CONF / f"{part}.yml")], {}, True
    if part == "haproxy":
        return ["haproxy", "-db", "-f", str(CONF / "haproxy.cfg")], {}, False
    if part == "pgbouncer":
        return ["pgbouncer", str(CONF / "pgbouncer.ini")], {}, True
    n = part[-1]
    env = {"DATABASE_URL": database_url(), "FORMSERVER_DURABLE_DRAFTS": "1", "FORMSERVER_TRUST_PROXY": "1",
           "FORMSERVER_CLOCK_START": os.environ.get("FORMSERVER_CLOCK_START", DEMO_START),
           "FORMSERVER_KEY_FILE": str(DIR / "app" / "keys.json"),
           # glibc gives threads their own malloc arenas (up to 8 per CPU); the request thread
           # pool then holds freed memory in many of them: two keep the footprint steady.
           "MALLOC_ARENA_MAX": os.environ.get("MALLOC_ARENA_MAX", "2")}
    return ([sys.executable, "-m", "formserver.cli", "serve", "--host", S[f"APP{n}_HOST"], "--port", S[f"APP{n}_PORT"],
             "--workers", S["APP_WORKERS"], "--data", str(DIR / "app"), "--base-url", app_url()], env, False)


def pid_of(part: str) -> int | None:
    """The part's process group (its leader's pid), while any process of it runs."""
    try:
        pid = int((RUN / f"{part}.run").read_text())
        os.killpg(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def start(part: str) -> int:
    running = pid_of(part)
    if running:
        return running
    prepare()  # the configuration as the templates and cluster.env say now
    argv, extra, as_postgres = command(part)
    if as_postgres and os.geteuid() == 0:
        argv = ["runuser", "-u", "postgres", "--", *argv]
    log = (LOGS / f"{part}.log").open("ab")
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
                            env={**os.environ, **extra}, start_new_session=True)
    (RUN / f"{part}.run").write_text(str(proc.pid))
    return proc.pid


def signal_part(part: str, sig: signal.Signals) -> bool:
    """Send `sig` to the part's whole process group (Patroni's PostgreSQL, uvicorn's workers)."""
    pid = pid_of(part)
    if pid is None:
        return False
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        return False
    return True


def stop(part: str, timeout: float = 30) -> None:
    """A clean stop: SIGTERM to the part's processes (Patroni then stops its PostgreSQL), kill -9
    of what is left after `timeout`."""
    postmaster = postmaster_of(part) if part in ("pg1", "pg2") else None
    if signal_part(part, signal.SIGTERM):
        wait_for(lambda: pid_of(part) is None, timeout)
    signal_part(part, signal.SIGKILL)
    if postmaster is not None and not wait_for(lambda: not _alive(postmaster), timeout):
        os.kill(postmaster, signal.SIGINT)  # PostgreSQL's fast shutdown, had Patroni not done it
        wait_for(lambda: not _alive(postmaster), timeout)
    (RUN / f"{part}.run").unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def kill(part: str) -> None:
    """kill -9 of the part's processes, as a crash or a lost host would end them. For a Patroni
    node, its PostgreSQL too (the postmaster runs in a session of its own; its backends end
    when it does): the whole database host is gone, and the standby must take over."""
    postmaster = postmaster_of(part) if part in ("pg1", "pg2") else None
    signal_part(part, signal.SIGKILL)
    if postmaster is not None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(postmaster, signal.SIGKILL)
    wait_for(lambda: pid_of(part) is None, 10)
    (RUN / f"{part}.run").unlink(missing_ok=True)


def postmaster_of(part: str) -> int | None:
    try:
        return int((DIR / part / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def wait_for(check: Callable[[], object], timeout: float, every: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return True
        except OSError:
            pass
        time.sleep(every)
    return False


# -- health ---------------------------------------------------------------------------------------
def http(url: str, timeout: float = 2) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as reply:
            return reply.status, reply.read().decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")
    except (OSError, ValueError):
        return 0, ""


def listening(host: str, port: str | int) -> bool:
    try:
        with socket.create_connection((host, int(port)), timeout=1):
            return True
    except OSError:
        return False


def patroni(name: str) -> dict[str, object]:
    n = name[-1]
    status, body = http(f"http://{S[f'PG{n}_HOST']}:{S[f'PG{n}_REST_PORT']}/patroni")
    return json.loads(body) if status in (200, 503) and body.startswith("{") else {}


def _node_answering(check: str) -> str | None:
    """The PostgreSQL node whose Patroni health check `check` (/primary, /sync) answers 200."""
    for name in ("pg1", "pg2"):
        n = name[-1]
        if http(f"http://{S[f'PG{n}_HOST']}:{S[f'PG{n}_REST_PORT']}{check}")[0] == 200:
            return name
    return None


def primary() -> str | None:
    return _node_answering("/primary")


def synchronous_standby() -> str | None:
    return _node_answering("/sync")


def app_ready(part: str) -> bool:
    n = part[-1]
    return http(f"http://{S[f'APP{n}_HOST']}:{S[f'APP{n}_PORT']}/readyz")[0] == 200


def health(part: str) -> str:
    if part == "etcd":
        status, body = http(f"http://{S['ETCD_HOST']}:{S['ETCD_CLIENT_PORT']}/health")
        return "healthy" if status == 200 and '"true"' in body else "DOWN"
    if part in ("pg1", "pg2"):
        info = patroni(part)
        if not info:
            return "DOWN"
        role = "primary" if part == primary() else "synchronous standby" if part == synchronous_standby() else "standby"
        return f"{role}, {info.get('state')}, timeline {info.get('timeline', '?')}"
    if part == "haproxy":
        up = [p for p in (S["APP_PORT"], S["PRIMARY_PORT"]) if listening(S["HAPROXY_HOST"], p)]
        return "healthy" if len(up) == 2 else "DOWN"
    if part == "pgbouncer":
        return "healthy" if listening(S["PGBOUNCER_HOST"], S["PGBOUNCER_PORT"]) else "DOWN"
    n = part[-1]
    base = f"http://{S[f'APP{n}_HOST']}:{S[f'APP{n}_PORT']}"
    alive, ready = http(f"{base}/healthz")[0] == 200, http(f"{base}/readyz")[0] == 200
    return "ready" if ready else "alive, not ready" if alive else "DOWN"


# -- commands -------------------------------------------------------------------------------------
def up() -> int:
    prepare()
    steps: list[tuple[str, Callable[[], object], float]] = [
        ("etcd", lambda: health("etcd") == "healthy", 30),
        ("pg1", lambda: primary() is not None, 90),
        ("pg2", lambda: synchronous_standby() is not None, 120),
        ("haproxy", lambda: health("haproxy") == "healthy", 15),
        ("pgbouncer", lambda: health("pgbouncer") == "healthy", 15),
        ("app1", lambda: app_ready("app1"), 120),
        ("app2", lambda: app_ready("app2"), 60),
    ]
    for part, ready, timeout in steps:
        if part == "pg2" and primary() == "pg2":  # the nodes took turns since the last run
            ready = lambda: synchronous_standby() is not None  # noqa: E731
        if part == "app1":
            migrate()
        print(f"== {part}", flush=True)
        start(part)
        if not wait_for(ready, timeout):
            print(f"cluster: {part} did not become ready in {timeout:.0f} s; see {LOGS / (part + '.log')}",
                  file=sys.stderr)
            return 1
    print(f"cluster: up. The census: {app_url()}/  (HAProxy stats: http://{S['HAPROXY_HOST']}:"
          f"{S['HAPROXY_STATS_PORT']}/)")
    return 0


def migrate() -> None:
    """The schema, through pgbouncer, before the first instance starts (`serve` on DATABASE_URL
    does not migrate by itself)."""
    env = {**os.environ, "DATABASE_URL": database_url()}
    subprocess.run([sys.executable, "-m", "formserver.cli", "db", "upgrade", "--data", str(DIR / "app")],
                   env=env, check=True, cwd=ROOT, stdout=subprocess.DEVNULL, timeout=300)


def down(wipe: bool) -> int:
    for part in reversed(PARTS):
        stop(part)
    if wipe and DIR.exists():
        shutil.rmtree(DIR)
    print("cluster: down" + (" (data removed)" if wipe else ""))
    return 0


def status() -> int:
    where = primary()
    print(f"primary: {where or 'NONE'}    census: {app_url()}/")
    worst = 0
    for part in PARTS:
        state = health(part)
        running = "running" if pid_of(part) else "stopped"
        print(f"  {part:10} {running:8} {state}")
        worst = worst or int(state == "DOWN" or state.startswith("alive"))
    return worst


def main(argv: Sequence[str]) -> int:
    if not argv or argv[0] not in ("up", "down", "status", "start", "stop", "kill"):
        print("usage: scripts/cluster up | down [--wipe] | status | start PART | stop PART | kill PART\n"
              f"parts: {', '.join(PARTS)}", file=sys.stderr)
        return 2
    if argv[0] == "up":
        return up()
    if argv[0] == "down":
        return down("--wipe" in argv)
    if argv[0] == "status":
        return status()
    parts = [p for p in argv[1:] if p in PARTS]
    if not parts:
        print(f"cluster: name a part: {', '.join(PARTS)}", file=sys.stderr)
        return 2
    for part in parts:
        {"start": start, "stop": stop, "kill": kill}[argv[0]](part)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
