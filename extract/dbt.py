"""Run dbt as a subprocess of the same virtual environment, offline."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from extract.errors import TradeflowError
from extract.settings import PROJECT_DIR, dbt_env


class DbtFailed(TradeflowError):
    """A dbt command exited non-zero; the message names the failing nodes."""


def dbt_executable() -> str:
    return str(Path(sys.executable).with_name("dbt"))


def run_dbt(args: list[str], db_path: Path | None = None, capture: bool = False) -> str:
    cmd = [dbt_executable(), *args, "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR)]
    db_path = Path(db_path) if db_path else None
    if db_path is not None:
        db_path.parent.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(cmd, cwd=PROJECT_DIR, env=dbt_env(db_path), text=True, capture_output=True, check=False)
    output = proc.stdout + proc.stderr
    if not capture:
        sys.stdout.write(output)
    if proc.returncode != 0:
        failing = [
            line.strip()
            for line in output.splitlines()
            if ("ERROR" in line or "FAIL" in line) and ("test" in line or "model" in line or "seed" in line)
        ]
        detail = "; ".join(failing[:10]) or output.strip().splitlines()[-1:]
        raise DbtFailed(f"dbt {' '.join(args)} failed (exit {proc.returncode}): {detail}")
    return output
