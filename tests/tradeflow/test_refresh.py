"""The nightly refresh, in real subprocesses: kill -9 at each step and at random moments, readers during
a refresh, failing data tests, concurrent refreshes and stale locks, a full disk, a quote in the path."""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import duckdb
import pytest

from tests.helpers import (
    PROJECT_DIR,
    TRADEFLOW,
    config_folder,
    env_for,
    marts_snapshot,
    published_agrees,
    refresh,
    run_tradeflow,
    toml_dump,
)

pytestmark = pytest.mark.slow

DEMO = PROJECT_DIR / "config" / "demo.toml"


def demo_config(tmp_path: Path, name: str, drop: tuple[str, ...] = (), extra: dict | None = None) -> Path:
    """The demo configuration with some sources disabled (an 'older' snapshot) or changed."""
    data = tomllib.loads(DEMO.read_text())
    for source in drop:
        data["sources"][source]["enabled"] = False
    for source, settings in (extra or {}).items():
        data["sources"][source].update(settings)
    path = config_folder(tmp_path) / f"{name}.toml"  # the demo's relative paths resolve from it
    path.write_text(toml_dump(data))
    return path


def version_of(db: Path) -> str | None:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("select max(version) from ops.builds").fetchone()[0]


def no_partition_loaded_twice(db: Path) -> None:
    with duckdb.connect(str(db), read_only=True) as con:
        parts = con.execute(
            "select source, dataset, partition_key, row_count from ops.partitions where status = 'loaded'"
        ).fetchall()
        assert parts, "the demo loaded no partition"
        for source, dataset, key, n in parts:
            got = con.execute(
                f'select count(*) from raw."{source}__{dataset}" where _partition_key = ?', [key]
            ).fetchone()[0]
            assert got == n, f"{source}/{dataset}/{key}: {got} rows in raw, {n} in the ledger"


@pytest.fixture(scope="module")
def reference_run(tmp_path_factory):
    """An uninterrupted full demo refresh, and the 'old' published tree with one source left out."""
    base = tmp_path_factory.mktemp("refresh")
    full = base / "full"
    refresh(full, DEMO)
    data = tomllib.loads(DEMO.read_text())
    dropped = next(s for s in ("national", "wiiw_fdi", "worldbank", "imf") if s in data.get("sources", {}))
    old_cfg = demo_config(base, "old", drop=(dropped,))
    old = base / "old"
    refresh(old, old_cfg)
    return {
        "full": marts_snapshot(full / "tradeflow.duckdb"),
        "old_tree": old,
        "old_version": version_of(old / "tradeflow.duckdb"),
        "old_marts": marts_snapshot(old / "tradeflow.duckdb"),
    }


def clone_tree(src: Path, dst: Path) -> None:
    subprocess.run(["cp", "-a", str(src), str(dst)], check=True)  # -a keeps the relative symlinks


def status_of(root: Path) -> dict:
    proc = run_tradeflow("status", "--json", env={"TRADEFLOW_DB": str(root / "tradeflow.duckdb")})
    assert "Traceback" not in proc.stderr
    return json.loads(proc.stdout)


def builds_left(root: Path) -> list[str]:
    """What is in P.builds besides dbt's parse cache: builds of killed or failed refreshes."""
    builds = root / "tradeflow.duckdb.builds"
    return sorted(p.name for p in builds.iterdir() if p.name != "partial_parse.msgpack") if builds.exists() else []


def wait_for(path: Path, proc: subprocess.Popen, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError(f"refresh ended (exit {proc.returncode}) before the pause point:\n{out}\n{err}")
        if time.monotonic() > deadline:
            raise AssertionError(f"pause point {path.name} not reached in {timeout}s")
        time.sleep(0.05)


@pytest.mark.parametrize("step", ["fetch", "load", "dbt", "publish", "published"])
def test_kill_9_at_each_step_then_rerun(tmp_path, reference_run, step):
    """Killed anywhere, the published DuckDB file and Parquet are one tested version (fault 6), the killed
    refresh shows in `status` (fault 11), and the next refresh removes its build and converges."""
    root = tmp_path / "wh"
    clone_tree(reference_run["old_tree"], root)
    db = root / "tradeflow.duckdb"
    marker = tmp_path / f"paused-at-{step}"
    proc = subprocess.Popen(
        [TRADEFLOW, "refresh", "--config", str(DEMO)],
        cwd=PROJECT_DIR,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        env=env_for(root, TRADEFLOW_PAUSE_AT=step, TRADEFLOW_PAUSE_FILE=str(marker), TRADEFLOW_PAUSE_SECONDS="120"),
    )
    wait_for(marker, proc)
    os.killpg(proc.pid, signal.SIGKILL)  # the refresh and its dbt child, like a power cut
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    if step == "dbt":
        assert builds_left(root), "the killed build (and dbt's target folder) is there before the next refresh"

    # the published warehouse is the old or the new version, DuckDB and Parquet alike, and opens cleanly
    version = published_agrees(db)
    if step == "published":
        assert marts_snapshot(db) == reference_run["full"]
    else:
        assert version == reference_run["old_version"] == version_of(db)
        assert marts_snapshot(db) == reference_run["old_marts"]
    killed = [r for r in status_of(root)["refreshes"] if r["status"] == "killed"]
    assert len(killed) == 1 and "never ended" in killed[0]["reason"]

    rerun = refresh(root, DEMO)
    assert ("nothing new since version" if step == "published" else "published version") in rerun.stdout
    assert marts_snapshot(db) == reference_run["full"]
    published_agrees(db)
    no_partition_loaded_twice(db)
    assert builds_left(root) == []


def test_killed_at_random_moments_the_published_state_is_always_one_tested_version(tmp_path, reference_run):
    """SIGKILL of the whole process group at seeded random moments (not only the pause points): after
    each kill DuckDB and Parquet agree with one tested version (the old or the new), and a normal refresh
    converges on the clean build."""
    rng = random.Random(19)
    root = tmp_path / "wh"
    clone_tree(reference_run["old_tree"], root)
    db = root / "tradeflow.duckdb"
    seen = []
    for attempt in range(6):
        delay = rng.uniform(0.3, 24.0)
        proc = subprocess.Popen(
            [TRADEFLOW, "refresh", "--config", str(DEMO)],
            cwd=PROJECT_DIR,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            env=env_for(root),
        )
        try:
            proc.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        published_agrees(db)
        snapshot = marts_snapshot(db)
        assert snapshot in (reference_run["old_marts"], reference_run["full"]), f"attempt {attempt}, {delay:.1f}s"
        seen.append((round(delay, 1), proc.returncode, snapshot == reference_run["full"]))
        if snapshot == reference_run["full"]:  # published: start again from the old version
            shutil.rmtree(root)
            clone_tree(reference_run["old_tree"], root)
    assert any(rc == -signal.SIGKILL for _, rc, _ in seen), seen
    final = refresh(root, DEMO)
    assert "published version" in final.stdout or "nothing new" in final.stdout
    assert marts_snapshot(db) == reference_run["full"]
    published_agrees(db)
    no_partition_loaded_twice(db)
    assert builds_left(root) == []


def test_reader_sees_no_error_and_one_consistent_version_throughout_a_refresh(tmp_path, reference_run):
    root = tmp_path / "wh"
    clone_tree(reference_run["old_tree"], root)
    db = root / "tradeflow.duckdb"
    reader_code = r"""
import duckdb, json, sys, time
db, stop = sys.argv[1], sys.argv[2]
import os
answers, errors = [], []
while not os.path.exists(stop):
    try:
        con = duckdb.connect(db, read_only=True)
        try:
            version = con.execute("select max(version) from ops.builds").fetchone()[0]
            n = con.execute("select count(*) from marts.dim_countries").fetchone()[0]
            raw = con.execute("select count(*) from ops.partitions").fetchone()[0]
            answers.append([version, n, raw])
        finally:
            con.close()
    except Exception as exc:
        errors.append(repr(exc))
    time.sleep(0.01)
print(json.dumps({"answers": answers, "errors": errors}))
"""
    stop = tmp_path / "stop"
    reader = subprocess.Popen(
        [sys.executable, "-c", reader_code, str(db), str(stop)],
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        time.sleep(0.5)
        refresh(root, DEMO)
        time.sleep(0.5)
    finally:
        stop.write_text("")
        out, err = reader.communicate(timeout=60)
    result = json.loads(out)
    assert result["errors"] == []
    answers = result["answers"]
    assert len(answers) > 10
    versions = {a[0] for a in answers}
    new_version = version_of(db)
    assert versions == {reference_run["old_version"], new_version}
    # each answer comes from one version: the partition count always matches that version's
    by_version = {}
    for version, n, partitions in answers:
        by_version.setdefault(version, set()).add((n, partitions))
    assert all(len(v) == 1 for v in by_version.values()), by_version
    # and the reader switched once, from old to new
    switches = sum(1 for a, b in zip(answers, answers[1:], strict=False) if a[0] != b[0])
    assert switches == 1


def test_second_refresh_is_refused_and_a_stale_lock_is_recovered(tmp_path, reference_run):
    root = tmp_path / "wh"
    clone_tree(reference_run["old_tree"], root)
    marker = tmp_path / "paused"
    first = subprocess.Popen(
        [TRADEFLOW, "refresh", "--config", str(DEMO)],
        cwd=PROJECT_DIR,
        text=True,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env_for(root, TRADEFLOW_PAUSE_AT="dbt", TRADEFLOW_PAUSE_FILE=str(marker), TRADEFLOW_PAUSE_SECONDS="120"),
    )
    wait_for(marker, first)
    second = refresh(root, DEMO, check=False)
    assert second.returncode == 4  # exit_codes.BUSY: another refresh holds the lock (docs/cli.md)
    assert f"another refresh is running (pid {first.pid}" in second.stderr
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    third = refresh(root, DEMO)
    version = re.search(r"published version (\S+):", third.stdout).group(1)
    last = json.loads((root / "tradeflow.duckdb.runs" / f"{version}.json").read_text())
    assert last["status"] == "success" and last["recovered_stale_lock_from"] == first.pid
    log = (root / "logs" / "tradeflow.log").read_text()
    assert f"took over a stale refresh lock left by pid {first.pid}" in log
    assert re.search(r"run=\S+ ", log.splitlines()[-1])


def test_rollback_republishes_the_previous_version(tmp_path, reference_run):
    root = tmp_path / "wh"
    clone_tree(reference_run["old_tree"], root)
    db = root / "tradeflow.duckdb"
    refresh(root, DEMO)
    assert marts_snapshot(db) == reference_run["full"]
    out = run_tradeflow("rollback", env={"TRADEFLOW_DB": str(db)}).stdout
    assert f"rolled back to version {reference_run['old_version']}" in out
    assert marts_snapshot(db) == reference_run["old_marts"]
    status = json.loads(run_tradeflow("status", "--json", env={"TRADEFLOW_DB": str(db)}).stdout)
    assert status["version"]["version"] == reference_run["old_version"]


def test_a_refresh_whose_data_tests_fail_publishes_nothing(tmp_path, reference_run):
    """The same Comext export dropped twice under two names: every flow appears twice, the grain test of
    fct_trade_flows fails, and the previous version stays published."""
    root = tmp_path / "wh"
    clone_tree(reference_run["old_tree"], root)
    db = root / "tradeflow.duckdb"
    data = tomllib.loads(DEMO.read_text())
    original = next(Path(f) for f in data["sources"]["eurostat_comext"]["files"] if "exports_to_KZ" in f)
    duplicate = tmp_path / "drop" / "eu_member_exports_to_KZ_monthly_2019-2024_copy.csv"
    duplicate.parent.mkdir()
    duplicate.write_bytes((DEMO.parent / original).read_bytes())
    data["sources"]["eurostat_comext"]["files"].append(str(duplicate))
    config = config_folder(tmp_path) / "dup.toml"
    config.write_text(toml_dump(data))

    result = refresh(root, config, check=False)
    assert result.returncode == 1
    assert "refresh failed: dbt build failed" in result.stderr
    # the failing test is named: on this nightly build the staging tests check the new file alone (no
    # repeat within it); the grain test of fct_trade_flows, on the periods the build redid, sees each
    # of the file's rows twice
    assert "failing: test unique_combination_fct_trade_flows_" in result.stderr
    assert f"the last good warehouse stays published (version {reference_run['old_version']})" in result.stderr
    assert version_of(db) == reference_run["old_version"]
    assert marts_snapshot(db) == reference_run["old_marts"]

    # fault 8: the hint reruns the failing test on the failed build, a private copy, never on the
    # published file or a kept version; running it leaves the published version's checksums intact
    hint = next(line for line in result.stderr.splitlines() if line.startswith("next: rerun a failing test"))
    command = hint.split(": ", 2)[2]
    assert str(root / "tradeflow.duckdb.builds") in command and ".versions" not in command
    rerun = subprocess.run(
        command, shell=True, cwd=PROJECT_DIR, capture_output=True, text=True, timeout=300, env=env_for(root)
    )
    assert rerun.returncode == 1 and "FAIL" in rerun.stdout and command.split()[-1] in rerun.stdout  # fails there
    assert published_agrees(db) == reference_run["old_version"]
    assert marts_snapshot(db) == reference_run["old_marts"]
    refresh(root, DEMO)
    assert builds_left(root) == []  # the next refresh removed the failed build


def test_a_warehouse_path_with_a_quote_refreshes(tmp_path, reference_run):
    """Fault 10: the Parquet export formatted the path into SQL; a quote in it broke every refresh."""
    root = tmp_path / "o'brien's" / "wh"
    root.parent.mkdir()
    clone_tree(reference_run["old_tree"], root)
    result = refresh(root, DEMO)
    assert "published version" in result.stdout
    assert marts_snapshot(root / "tradeflow.duckdb") == reference_run["full"]
    published_agrees(root / "tradeflow.duckdb")


def test_too_little_free_space_is_refused_before_the_build(tmp_path, reference_run):
    """Fault 9: the free space a build needs is checked first, and said in GB."""
    root = tmp_path / "wh"
    clone_tree(reference_run["old_tree"], root)
    result = refresh(root, DEMO, check=False, TRADEFLOW_MIN_FREE_MB="100000000")
    assert result.returncode == 1
    assert re.search(r"no space left on \S+ \(needs 97656\.25 GB, has [0-9.]+ GB\)", result.stderr), result.stderr
    assert f"the last good warehouse stays published (version {reference_run['old_version']})" in result.stderr
    assert published_agrees(root / "tradeflow.duckdb") == reference_run["old_version"]
    assert builds_left(root) == []


FULL_DISK = r"""
set -u
mount -t tmpfs -o size="$SIZE" tmpfs "$ROOT" || exit 90
cp -a "$OLD"/. "$ROOT"/
"$TRADEFLOW" refresh --config "$DEMO" > "$OUT/stdout" 2> "$OUT/stderr"
echo $? > "$OUT/rc"
"$PYTHON" -c 'import sys; from pathlib import Path; from tests.helpers import published_agrees; print(published_agrees(Path(sys.argv[1])))' "$ROOT/tradeflow.duckdb" > "$OUT/published" 2> "$OUT/check-stderr"
ls "$ROOT/tradeflow.duckdb.builds" > "$OUT/builds"
"""


def test_a_disk_that_fills_during_the_build_is_reported_as_such(tmp_path, reference_run):
    """Fault 9: on a full disk the refresh said "cannot rollback - no transaction is active", a dbt logging
    error, or discarded a passed build. A tmpfs (in a private mount namespace) just big enough for the
    private copy: whichever step runs out, the message names the disk and the space, and the published
    version stays intact."""
    if shutil.which("unshare") is None or subprocess.run(["unshare", "-rm", "true"]).returncode != 0:
        pytest.skip("needs unshare (a private mount namespace) to mount a small tmpfs")
    old = reference_run["old_tree"]
    used = sum(p.stat().st_size for p in old.rglob("*") if p.is_file() and not p.is_symlink())
    size = (old / "tradeflow.duckdb").stat().st_size
    root, out = tmp_path / "wh", tmp_path / "out"
    root.mkdir()
    out.mkdir()
    env = env_for(
        root,
        SIZE=str(used + size + 4 * 1024**2),
        ROOT=str(root),
        OLD=str(old),
        OUT=str(out),
        TRADEFLOW=TRADEFLOW,
        PYTHON=sys.executable,
        DEMO=str(DEMO),
        TRADEFLOW_SPACE_FACTOR="1",
        TRADEFLOW_MIN_FREE_MB="0",
    )
    proc = subprocess.run(["unshare", "-rm", "sh", "-c", FULL_DISK], cwd=PROJECT_DIR, env=env, timeout=400)
    assert proc.returncode == 0, proc.returncode
    stderr = (out / "stderr").read_text()
    assert (out / "rc").read_text().strip() == "1", stderr
    assert re.search(r"no space left on \S+ \(needs 0\.\d\d GB, has 0\.\d\d GB\)", stderr), stderr
    for unclear in ("Traceback", "TransactionException", "no transaction is active"):
        assert unclear not in stderr
    assert f"the last good warehouse stays published (version {reference_run['old_version']})" in stderr
    # the last line: DuckDB may print a progress bar before it
    published = (out / "published").read_text().split()
    assert published[-1:] == [reference_run["old_version"]], (out / "check-stderr").read_text()
    assert (out / "builds").read_text().split() in ([], ["partial_parse.msgpack"])


def test_a_failed_plan_prints_its_reason(tmp_path):
    """Fault 11: a source whose plan failed printed only "failed; planned 0"."""
    empty = tmp_path / "no-recordings"
    empty.mkdir()
    proc = run_tradeflow(
        "extract",
        "worldbank",
        "--config",
        str(DEMO),
        "--replay",
        str(empty),
        env={"TRADEFLOW_DB": str(tmp_path / "x.duckdb"), "TRADEFLOW_LANDING": str(tmp_path / "landing")},
        check=False,
    )
    assert proc.returncode == 1
    assert "failed; partitions planned 0" in proc.stdout
    assert re.search(r"ERROR: \[worldbank\] .*plan failed", proc.stderr), proc.stderr


def test_a_refresh_with_nothing_new_keeps_the_published_version(tmp_path, reference_run):
    root = tmp_path / "wh"
    clone_tree(reference_run["old_tree"], root)
    db = root / "tradeflow.duckdb"
    first = refresh(root, DEMO)
    version = re.search(r"published version (\S+):", first.stdout).group(1)
    kept = sorted(p.name for p in (root / "tradeflow.duckdb.versions").iterdir())
    second = refresh(root, DEMO)
    assert f"nothing new since version {version}: the published warehouse stays" in second.stdout
    assert "dbt" not in second.stdout.split("published warehouse stays")[1]  # no dbt step was timed
    assert version_of(db) == version
    assert sorted(p.name for p in (root / "tradeflow.duckdb.versions").iterdir()) == kept
    assert builds_left(root) == []
