"""Run dbt as a subprocess of the same virtual environment, offline."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from extract import faults
from extract.errors import TradeflowError
from extract.settings import PROJECT_DIR, dbt_env


class DbtFailed(TradeflowError):
    """A dbt command exited non-zero; `failures` names the failing nodes."""

    def __init__(self, message: str, failures: list[str], output: str = ""):
        self.failures = failures
        self.output = output  # dbt's own output (read for its out-of-space errors)
        super().__init__(message)


def dbt_executable() -> str:
    return str(Path(sys.executable).with_name("dbt"))


def node_name(unique_id: str) -> str:
    """`test.tradeflow.<name>.<hash>` -> `test <name>`; `model.tradeflow.<name>` -> `model <name>`."""
    parts = unique_id.split(".")
    name = parts[2] if parts[0] == "test" and len(parts) >= 4 else parts[-1]
    return f"{parts[0]} {name}"


def failing_nodes(target_path: Path) -> list[str]:
    """Names of the nodes that errored or failed, from dbt's run_results.json."""
    try:
        results = json.loads((target_path / "run_results.json").read_text())["results"]
    except (FileNotFoundError, KeyError, json.JSONDecodeError):
        return []
    return [
        f"{node_name(r['unique_id'])} ({r['status']})"
        for r in results
        if r.get("status") in ("error", "fail", "runtime error")
    ]


def run_dbt(
    args: list[str],
    db_path: Path | None = None,
    *,
    capture: bool = False,
    target_path: Path | None = None,
    executable: str | None = None,
    env: dict[str, str] | None = None,
    timeout: float | None = None,
) -> str:
    """Run `dbt <args>`; raise DbtFailed naming the failing tests/models when it fails.

    `target_path` keeps concurrent builds from sharing dbt's artefacts (default: target/).
    `executable`: another environment's dbt (the spark target's, tradeflow/spark.py); `env`: more
    environment variables for that run; `timeout` (seconds): kill dbt and fail past it.
    """
    target_path = Path(target_path) if target_path else PROJECT_DIR / "target"
    cmd = [
        executable or dbt_executable(),
        *args,
        "--project-dir",
        str(PROJECT_DIR),
        "--profiles-dir",
        str(PROJECT_DIR),
        "--target-path",
        str(target_path),
    ]
    env = {**dbt_env(Path(db_path) if db_path else None), **(env or {})}
    env["DBT_LOG_PATH"] = str(target_path / "logs")
    if db_path is not None:
        Path(db_path).parent.mkdir(parents=True, exist_ok=True)
    # with a timeout dbt gets its own process group, so that a kill also ends what it started (Spark's JVM)
    proc = subprocess.Popen(
        cmd,
        cwd=PROJECT_DIR,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=timeout is not None,
    )
    faults.checkpoint("dbt")  # crash tests: dbt is running on the build file
    try:
        output, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        output, _ = proc.communicate()
        tail = " | ".join([line for line in output.strip().splitlines() if line.strip()][-3:])
        raise DbtFailed(
            f"dbt {args[0]} killed after {timeout:.0f} s (raise the timeout or build less): {tail}", []
        ) from None
    if not capture:
        sys.stdout.write(output)
    if proc.returncode != 0:
        failures = failing_nodes(target_path)
        tail = [line for line in output.strip().splitlines() if line.strip()][-3:]
        detail = "; ".join(failures) if failures else " | ".join(tail)
        raise DbtFailed(f"dbt {args[0]} failed: {detail}", failures, output)
    return output
