"""Failures nobody can miss, and demo and live never mixed.

`make run` with no reachable source exits non-zero and publishes nothing; the demo builds its own
warehouse; a live refresh never starts from the demo's rows (nor the demo from live ones).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess

import duckdb
import pytest

from extract.settings import demo_warehouse_path, warehouse_path
from extract.sources.comtrade import HOST
from extract.sources.ecb import API as ECB_API
from tests.helpers import PROJECT_DIR, TRADEFLOW, toml_dump

pytestmark = pytest.mark.slow


def closed_port() -> int:
    """A port on 127.0.0.1 nobody listens on (connections are refused at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def unreachable_config(tmp_path) -> os.PathLike:
    dead = f"http://127.0.0.1:{closed_port()}"
    sources = {
        "comtrade": {
            "base_url": dead,
            "reporters": ["KAZ"],
            "partners": ["RUS"],
            "years": [2023, 2023],
            "endpoint": "data",
        },
        "ecb": {"base_url": dead + "/ecb" + ECB_API.split("ecb.europa.eu", 1)[1], "periods": {"A": ["2010", ""]}},
    }
    assert HOST not in json.dumps(sources)  # nothing here reaches the network
    run = {"mode": "live", "min_interval": 0, "retry_attempts": 1, "timeout_seconds": 5}
    path = tmp_path / "unreachable.toml"
    path.write_text(toml_dump({"run": run, "sources": sources}))
    return path


def env(tmp_path, **more) -> dict[str, str]:
    return {
        **os.environ,
        "TRADEFLOW_DB": str(tmp_path / "live" / "tradeflow.duckdb"),
        "TRADEFLOW_LANDING": str(tmp_path / "landing"),
        "TRADEFLOW_LOG_DIR": str(tmp_path / "logs"),
        "COMTRADE_API_KEY": "not-a-real-key",
        **more,
    }


def test_make_run_with_no_reachable_source_exits_non_zero_and_publishes_nothing(tmp_path):
    config = unreachable_config(tmp_path)
    proc = subprocess.run(
        ["make", "--no-print-directory", "-o", ".venv/.installed", "run", f"CONFIG={config}"],
        cwd=PROJECT_DIR,
        env=env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    assert "no source was reached (2 failed), nothing published" in out
    # each failure's reason on the console: which source, which URL, what happened
    assert "comtrade: failed: [comtrade] http://127.0.0.1:" in out and "ConnectionError" in out
    assert "ecb: failed: [ecb] http://127.0.0.1:" in out
    live = tmp_path / "live"
    assert not (live / "tradeflow.duckdb").exists()  # nothing published
    assert (
        not list((live / "tradeflow.duckdb.versions").glob("*.duckdb"))
        if (live / "tradeflow.duckdb.versions").exists()
        else True
    )
    runs = sorted((live / "tradeflow.duckdb.runs").glob("*.json"))
    assert json.loads(runs[-1].read_text())["status"] == "failed"


def test_a_config_with_no_source_fails(tmp_path):
    config = tmp_path / "empty.toml"
    config.write_text('[run]\nmode = "live"\n')
    proc = subprocess.run(
        [TRADEFLOW, "refresh", "--config", str(config)],
        cwd=PROJECT_DIR,
        env=env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 1
    assert "no source is enabled" in proc.stderr
    assert not (tmp_path / "live" / "tradeflow.duckdb").exists()


def test_demo_and_live_have_their_own_warehouses(monkeypatch):
    monkeypatch.delenv("TRADEFLOW_DB", raising=False)
    monkeypatch.delenv("TRADEFLOW_DEMO_DB", raising=False)
    live, demo = warehouse_path(), demo_warehouse_path()
    assert live == PROJECT_DIR / "warehouse" / "tradeflow.duckdb"
    assert demo == PROJECT_DIR / "warehouse" / "demo" / "tradeflow.duckdb"
    makefile = (PROJECT_DIR / "Makefile").read_text()
    assert "TRADEFLOW_DEMO_DB=$(DEMO_DB) $(BIN)/tradeflow demo" in makefile


def test_a_live_refresh_never_starts_from_the_demo_warehouse(tmp_path, demo_warehouse):
    # a copy of the demo's published tree, pointed at by TRADEFLOW_DB as if it were the live warehouse
    tree = tmp_path / "tree"
    subprocess.run(["cp", "-a", str(demo_warehouse.parent), str(tree)], check=True)  # -a keeps the hard links
    db = tree / demo_warehouse.name
    with duckdb.connect(str(db), read_only=True) as con:
        before = con.execute("select max(version) from ops.builds").fetchone()[0]
    proc = subprocess.run(
        [TRADEFLOW, "refresh", "--config", str(unreachable_config(tmp_path))],
        cwd=PROJECT_DIR,
        env=env(tmp_path, TRADEFLOW_DB=str(db)),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 1
    assert "holds a replay build" in proc.stderr and "a live refresh never starts from its rows" in proc.stderr
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select max(version) from ops.builds").fetchone()[0] == before
