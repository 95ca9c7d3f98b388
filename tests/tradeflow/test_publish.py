"""Publishing, verify and repair, rollback: the published state is one version folder behind one
pointer, checked against its checksums by every refresh, `status` and `rollback` (issue 19, faults 6, 7,
10, 11). Small versions published by the refresh's own code; the commands run as subprocesses; kills
are real SIGKILLs at the pause points of tradeflow/publish.py."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from tests.helpers import PROJECT_DIR, publish_small_version, published_agrees, run_tradeflow
from tradeflow import publish

ROWS = {"v1": 10, "v2": 20, "v3": 30}
BUILT = {"v1": "2026-01-01T00:00:01", "v2": "2026-01-02T00:00:01", "v3": "2026-01-03T00:00:01"}


def tree(tmp_path: Path, *versions: str) -> publish.Layout:
    layout = publish.Layout(tmp_path / "tradeflow.duckdb")
    for v in versions:
        publish_small_version(layout, v, ROWS[v], BUILT[v])
    return layout


def rows_in(db: Path) -> int:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("select count(*) from marts.flows").fetchone()[0]


def tf(layout: publish.Layout, *args: str, check: bool = True):
    return run_tradeflow(*args, env={"TRADEFLOW_DB": str(layout.published)}, check=check)


def status_json(layout: publish.Layout) -> dict:
    proc = tf(layout, "status", "--json")
    assert "Traceback" not in proc.stderr
    return json.loads(proc.stdout)


def cut_in_half(path: Path) -> None:
    path.chmod(0o644)  # published files are read-only
    os.truncate(path, path.stat().st_size // 2)


def test_one_pointer_switches_duckdb_parquet_and_history(tmp_path):
    layout = tree(tmp_path, "v1", "v2")
    assert published_agrees(layout.published) == "v2"
    assert rows_in(layout.published) == 20
    assert os.readlink(layout.current) == "v2"
    assert [h["version"] for h in publish.history(layout)] == ["v1", "v2"]
    manifest = json.loads((layout.version_dir("v2") / "manifest.json").read_text())
    assert set(manifest["files"]) == {"tradeflow.duckdb", "parquet/flows.parquet"}
    assert layout.version_db("v2").stat().st_mode & 0o777 == 0o444
    assert manifest["files"]["tradeflow.duckdb"]["sha256"] == publish.sha256_file(layout.version_db("v2"))


def test_rollback_skips_a_damaged_version_and_refuses_when_none_is_intact(tmp_path):
    """Fault 7: a kept file cut to half was republished (exit 0, then every query failed)."""
    layout = tree(tmp_path, "v1", "v2", "v3")
    cut_in_half(layout.version_db("v2"))
    out = tf(layout, "rollback").stdout
    assert "skipped (damaged): version v2:" in out and "rolled back to version v1 (from v3)" in out
    assert published_agrees(layout.published) == "v1" and rows_in(layout.published) == 10

    layout = tree(tmp_path / "b", "v1", "v2")
    cut_in_half(layout.version_db("v1"))
    proc = tf(layout, "rollback", check=False)
    assert proc.returncode == 1
    assert "not rolled back: every older kept version is damaged (version v1:" in proc.stderr
    assert "version v2 stays published" in proc.stderr
    assert published_agrees(layout.published) == "v2" and rows_in(layout.published) == 20


def test_status_reports_a_damaged_published_file_and_republishes_the_newest_intact_one(tmp_path):
    """Fault 7: status gave a traceback on a damaged published file."""
    layout = tree(tmp_path, "v1", "v2")
    cut_in_half(layout.version_db("v2"))
    info = status_json(layout)
    assert info["version"]["version"] == "v1"
    assert "republished version v1 in place of the damaged one (version v2:" in info["repaired"][0]
    assert published_agrees(layout.published) == "v1"
    text = tf(layout, "status").stdout
    assert "version:   v1" in text and "(checksums verified)" in text


def test_a_damaged_only_version_is_unpublished_not_served(tmp_path):
    layout = tree(tmp_path, "v1")
    cut_in_half(layout.version_db("v1"))
    info = status_json(layout)
    assert info["version"] is None and info["problem"].startswith("version v1:") and "bytes" in info["problem"]
    assert info["repaired"][0].startswith("unpublished v1: version v1:")
    assert not layout.published.exists()  # the link dangles: a reader gets "no file", never wrong numbers
    proc = tf(layout, "status")
    assert "Traceback" not in proc.stderr
    assert "version:   none usable: nothing is published: " in proc.stdout


def test_with_the_versions_folder_deleted_status_says_so(tmp_path):
    layout = tree(tmp_path, "v1")
    shutil.rmtree(layout.versions)
    info = status_json(layout)
    assert info["version"] is None and info["problem"].startswith("nothing is published: ")
    assert info["versions_kept"] == []


def test_a_published_file_of_the_old_layout_is_adopted_not_reported_missing(tmp_path):
    """Fault 11: with the versions folder deleted, status said nothing is published while a good file
    was: a plain published file (the layout before version folders) is adopted as a version."""
    source = tree(tmp_path / "src", "v2")
    db = tmp_path / "old" / "tradeflow.duckdb"
    db.parent.mkdir()
    db.write_bytes(source.version_db("v2").read_bytes())  # a plain file, no versions, no Parquet
    layout = publish.Layout(db)
    info = status_json(layout)
    assert info["version"]["version"] == "v2"
    assert info["repaired"][0] == f"adopted {db} as version v2"
    assert published_agrees(db) == "v2" and rows_in(db) == 20


def test_export_parquet_takes_a_path_with_a_quote(tmp_path):
    """Fault 10: the export formatted the path into SQL; a quote in it broke every refresh after dbt."""
    layout = tree(tmp_path / "o'brien's warehouse", "v1")
    assert published_agrees(layout.published) == "v1"


KILL_SCRIPT = r"""
import sys
from pathlib import Path
from tests.helpers import publish_small_version
from tradeflow import publish
layout = publish.Layout(Path(sys.argv[1]))
publish_small_version(layout, sys.argv[2], int(sys.argv[3]), sys.argv[4])
"""


def publish_and_kill(layout: publish.Layout, version: str, at: str, tmp_path: Path) -> None:
    marker = tmp_path / f"paused-{version}-{at}"
    proc = subprocess.Popen(
        [sys.executable, "-c", KILL_SCRIPT, str(layout.published), version, str(ROWS[version]), BUILT[version]],
        cwd=PROJECT_DIR,
        env={**os.environ, "TRADEFLOW_PAUSE_AT": at, "TRADEFLOW_PAUSE_FILE": str(marker)},
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert proc.poll() is None, f"ended (exit {proc.returncode}) before the pause point {at}"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


@pytest.mark.parametrize(
    ("at", "first", "expected"),
    [
        ("publish", True, "v1"),  # in place, never switched, nothing published: the tested version is published
        ("published", True, "v1"),  # switched, the reader links not yet made
        ("publish", False, "v1"),  # v2 in place, never switched: v1 stays, DuckDB and Parquet alike
        ("published", False, "v2"),  # switched: v2 everywhere at once
    ],
)
def test_a_kill_inside_publish_leaves_one_version_and_is_repaired(tmp_path, at, first, expected):
    """Fault 6: after a kill in the middle of publishing, DuckDB and Parquet served different versions,
    the history was not updated, rollback skipped a version, and a first build had no parquet/current."""
    layout = publish.Layout(tmp_path / "tradeflow.duckdb")
    if not first:
        publish_small_version(layout, "v1", ROWS["v1"], BUILT["v1"])
    publish_and_kill(layout, "v1" if first else "v2", at, tmp_path)
    info = status_json(layout)
    assert info["version"]["version"] == expected
    assert published_agrees(layout.published) == expected
    assert rows_in(layout.published) == ROWS[expected]
    if expected == "v2":  # the history agrees: rolling back goes to the version before the published one
        assert "rolled back to version v1 (from v2)" in tf(layout, "rollback").stdout
        assert published_agrees(layout.published) == "v1"
    publish_small_version(layout, "v3", ROWS["v3"], BUILT["v3"])
    assert published_agrees(layout.published) == "v3"
