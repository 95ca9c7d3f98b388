"""Shared fixtures. Everything runs offline; dbt builds go to temporary DuckDB files."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import duckdb
import pytest

from tests.helpers import run_tradeflow

pytest_plugins = ["tests.emulator.fixtures"]  # the source emulator's fixture (source_emulator)


# Opt-in tests: run only when asked for with `pytest -m NAME` (or the environment variable given).
OPT_IN = {
    "cluster": ("starts a Spark standalone cluster (four JVMs, minutes): opt-in with `pytest -m cluster`", None),
    "spark_parity": (
        "builds the bundle on Spark local[2] (longer than make test allows on 2 cores, docs/scale-out.md): "
        "opt-in with `pytest -m spark_parity`, TRADEFLOW_SPARK_PARITY=1 or `make test-spark`",
        "TRADEFLOW_SPARK_PARITY",
    ),
}


def pytest_collection_modifyitems(config, items):
    asked = config.getoption("-m") or ""
    for marker, (reason, variable) in OPT_IN.items():
        if marker in asked or (variable and os.environ.get(variable) == "1"):
            continue
        skip = pytest.mark.skip(reason=reason)
        for item in items:
            if marker in item.keywords:
                item.add_marker(skip)


@pytest.fixture(scope="session")
def demo_warehouse(tmp_path_factory) -> Path:
    """The warehouse `tradeflow demo` builds from the bundled data, in a temporary place."""
    root = tmp_path_factory.mktemp("demo")
    db = root / "tradeflow.duckdb"
    run_tradeflow(
        "demo",
        env={
            "TRADEFLOW_DEMO_DB": str(db),
            "TRADEFLOW_DEMO_LANDING": str(root / "landing"),
            "TRADEFLOW_LOG_DIR": str(root / "logs"),
        },
    )
    return db


@pytest.fixture()
def demo_con(demo_warehouse):
    con = duckdb.connect(str(demo_warehouse), read_only=True)
    yield con
    con.close()


@pytest.fixture(scope="session", autouse=True)
def _logs_to_tmp(tmp_path_factory):
    """Every tradeflow subprocess (and in-process refresh) logs to a temporary folder, never to logs/ in the
    working tree: TRADEFLOW_LOG_DIR is inherited by the subprocesses the tests start."""
    import os

    old = os.environ.get("TRADEFLOW_LOG_DIR")
    os.environ["TRADEFLOW_LOG_DIR"] = str(tmp_path_factory.mktemp("logs"))
    yield
    if old is None:
        os.environ.pop("TRADEFLOW_LOG_DIR", None)
    else:
        os.environ["TRADEFLOW_LOG_DIR"] = old


# ------------------------------------------------------------------------ headless Chromium (report, docs site)

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")


def _apt_install() -> str | None:
    """Install chromium and chromium-driver with apt; None when done, else why not."""
    if shutil.which("apt-get") is None:
        return "apt-get is not available"
    if os.geteuid() != 0:
        return "not root, cannot apt-get install"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    cmd = ["apt-get", "install", "-y", "--no-install-recommends", "chromium", "chromium-driver"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        subprocess.run(["apt-get", "update"], capture_output=True, text=True, env=env, check=False)
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        return f"apt-get install chromium chromium-driver failed: {proc.stderr.strip()[-500:]}"
    return None


@pytest.fixture(scope="session")
def download_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="session")
def browser(download_dir):
    """Headless Chromium driven by selenium through /usr/bin/chromedriver (installed with apt when missing)."""
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install -e '.[dev]')")
    from selenium.webdriver.chrome.service import Service

    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        why = _apt_install()
        if why or not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
            pytest.skip(
                f"Chromium is needed to test the report in a browser and could not be installed: "
                f"{why or 'apt-get ran but /usr/bin/chromium or /usr/bin/chromedriver is missing'}"
            )
    profile = tempfile.mkdtemp(prefix="tradeflow-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        "--window-size=1280,1000",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(download_dir)})
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
