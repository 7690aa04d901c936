"""deploy/cluster.py: the configuration it renders is valid for the programs that read it, and
every address comes from cluster.env (moving a part is changing its address there)."""

from __future__ import annotations

import shutil
import socket
import subprocess
from pathlib import Path

import cluster
import pytest

TEMPLATES = ("patroni.yml", "pgbouncer.ini", "haproxy.cfg", "post_bootstrap.sh", "userlist.txt")


def rendered(tmp_path: Path, template: str, **extra: str) -> str:
    return cluster.render(template, tmp_path / template, extra).read_text()


def test_every_template_renders_with_the_addresses_of_cluster_env(tmp_path: Path) -> None:
    for template in TEMPLATES:
        text = rendered(tmp_path, template, **cluster.node("pg1"))
        assert "${" not in text.replace("$$", "")
    haproxy = rendered(tmp_path, "haproxy.cfg")
    assert f"{cluster.S['PG2_HOST']}:{cluster.S['PG2_PORT']} check port {cluster.S['PG2_REST_PORT']}" in haproxy
    assert "option httpchk GET /primary" in haproxy and "option httpchk GET /readyz" in haproxy
    assert "synchronous_mode: true" in rendered(tmp_path, "patroni.yml", **cluster.node("pg2"))


def test_a_part_moves_to_another_host_by_its_address_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(cluster.S, "PGBOUNCER_HOST", "10.0.0.7")
    monkeypatch.setitem(cluster.S, "PG2_HOST", "10.0.0.9")
    assert "listen_addr = 10.0.0.7" in rendered(tmp_path, "pgbouncer.ini")
    assert "server pg2 10.0.0.9:" in rendered(tmp_path, "haproxy.cfg")
    assert "connect_address: 10.0.0.9:" in rendered(tmp_path, "patroni.yml", **cluster.node("pg2"))
    assert cluster.database_url().startswith("postgresql+psycopg://formserver@10.0.0.7:")


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="HAProxy is not installed (scripts/cluster up installs it)")
def test_haproxy_accepts_its_configuration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(cluster.S, "CLUSTER_DIR", str(tmp_path))
    config = tmp_path / "haproxy.cfg"
    cluster.render("haproxy.cfg", config)
    checked = subprocess.run(["haproxy", "-c", "-f", str(config)], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.mark.skipif(shutil.which("patroni") is None, reason="Patroni is not installed (scripts/cluster up installs it)")
def test_patroni_accepts_its_configuration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(cluster.S, "CLUSTER_DIR", str(tmp_path))
    monkeypatch.setitem(cluster.S, "CLUSTER_CONF", str(tmp_path))
    (tmp_path / "pg1").mkdir(mode=0o700)
    cluster.render("post_bootstrap.sh", tmp_path / "post_bootstrap.sh", mode=0o755)
    # Patroni's validator refuses loopback addresses and ports in use (the running cluster's):
    # a node on a host of its own, as it would be deployed. It also connects to etcd: something
    # listening stands in for it.
    node = {**cluster.node("pg1"), "NODE_HOST": "192.0.2.10", "NODE_PORT": "15441", "NODE_REST_PORT": "18011"}
    with socket.create_server(("127.0.0.1", 0)) as etcd:
        monkeypatch.setitem(cluster.S, "ETCD_HOST", "127.0.0.1")
        monkeypatch.setitem(cluster.S, "ETCD_CLIENT_PORT", str(etcd.getsockname()[1]))
        config = cluster.render("patroni.yml", tmp_path / "pg1.yml", node)
        checked = subprocess.run(["patroni", "--validate-config", str(config)], capture_output=True, text=True,
                                 timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr
