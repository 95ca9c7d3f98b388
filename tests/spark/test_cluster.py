"""A Spark standalone cluster, small: a master and one worker on 127.0.0.1 from the same pyspark
package, and the bundled data built through them (dbt's driver in this process, the executor in the
worker). Opt-in: `pytest -m cluster` (four JVMs; a few minutes on two cores).
"""

from __future__ import annotations

import os
import socket
import subprocess
import time

import pytest

from tradeflow.spark import build_on_spark, compare_marts, export_raw_layer, spark_home

pytestmark = [pytest.mark.slow, pytest.mark.cluster]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_line(path, text: str, proc: subprocess.Popen, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text(errors="replace"):
            return
        if proc.poll() is not None:
            raise AssertionError(
                f"{proc.args[1]} exited {proc.returncode}:\n{path.read_text(errors='replace')[-2000:]}"
            )
        time.sleep(0.5)
    raise AssertionError(f"no '{text}' in {path} after {seconds:.0f} s:\n{path.read_text(errors='replace')[-2000:]}")


@pytest.fixture()
def standalone_cluster(tmp_path):
    """spark://127.0.0.1:<port> with one worker (1 core, 1 GB); both stopped (by pid) afterwards."""
    spark_class = str(spark_home() / "bin" / "spark-class")
    port = _free_port()
    env = {
        **os.environ,
        "SPARK_HOME": str(spark_home()),
        "SPARK_LOCAL_IP": "127.0.0.1",
        "SPARK_DAEMON_MEMORY": "256m",
        "SPARK_WORKER_DIR": str(tmp_path / "work"),
        "SPARK_LOG_DIR": str(tmp_path / "logs"),
    }
    url = f"spark://127.0.0.1:{port}"
    procs = []
    try:
        master_log = tmp_path / "master.log"
        master = subprocess.Popen(
            [spark_class, "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", str(port),
             "--webui-port", str(_free_port())],
            env=env, stdout=master_log.open("w"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        procs.append(master)
        _wait_for_line(master_log, "I have been elected leader", master, 300)
        worker_log = tmp_path / "worker.log"
        worker = subprocess.Popen(
            [spark_class, "org.apache.spark.deploy.worker.Worker", url, "--host", "127.0.0.1", "--cores", "1",
             "--memory", "1g", "--webui-port", str(_free_port())],
            env=env, stdout=worker_log.open("w"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        procs.append(worker)
        _wait_for_line(worker_log, "Successfully registered with master", worker, 300)
        yield url, worker_log
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in reversed(procs):
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=30)


def test_bundle_builds_through_a_standalone_master_and_worker(demo_warehouse, standalone_cluster, tmp_path):
    url, worker_log = standalone_cluster
    export_raw_layer(demo_warehouse, tmp_path / "raw")
    build = build_on_spark(tmp_path / "raw", tmp_path / "spark", master=url, timeout=2400)
    # the worker ran the application's executor
    assert "Asked to launch executor" in worker_log.read_text(errors="replace")
    counts, problems, skipped = compare_marts(demo_warehouse, build.marts_dir, skipped=build.skipped)
    assert [str(p) for p in problems] == []
    assert counts["fct_trade_flows"] > 0
    assert set(skipped) == {"sanctions_did_estimates"}
