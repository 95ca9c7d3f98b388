"""run_dbt's timeout: dbt and everything it started (Spark's JVM) are killed, and the failure says so."""

from __future__ import annotations

import time

import pytest

from tradeflow.dbt import DbtFailed, run_dbt


def test_timeout_kills_the_whole_process_group(tmp_path):
    pid_file = tmp_path / "child.pid"
    script = f"sleep 120 & echo $! > {pid_file}; echo started; wait"
    t0 = time.monotonic()
    with pytest.raises(DbtFailed, match=r"killed after 2 s .*started"):
        run_dbt(["-c", script], capture=True, target_path=tmp_path / "target", executable="/bin/sh", timeout=2)
    assert time.monotonic() - t0 < 30
    child = int(pid_file.read_text())
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{child}/stat") as f:
                state = f.read().split(")")[-1].split()[0]
        except FileNotFoundError:
            return  # gone
        if state == "Z":
            return  # killed, waiting for its reaper
        time.sleep(0.1)
    raise AssertionError(f"the child {child} of the timed-out command still runs")
