"""CLI conventions: --version, log level and JSON log lines, --json output for orchestrators, one exit-code
table the same across commands (and the same in docs/cli.md), shell completion as documented."""

from __future__ import annotations

import json
import os
import subprocess
import tomllib
from pathlib import Path

import pytest

from extract import __version__
from tests.helpers import PROJECT_DIR, TRADEFLOW, env_for, run_tradeflow, toml_dump
from tradeflow import exit_codes

DEMO = PROJECT_DIR / "config" / "demo.toml"
CLI_MD = PROJECT_DIR / "docs" / "cli.md"


def test_version():
    assert run_tradeflow("--version").stdout.strip() == f"tradeflow {__version__}"


def test_exit_code_table_is_one_table_and_documented():
    assert [c for c, _, _ in exit_codes.TABLE] == [0, 1, 2, 3, 4]
    assert exit_codes.markdown_table() in CLI_MD.read_text()
    assert exit_codes.for_refresh("published_with_errors") == exit_codes.for_extract(1, 3, 0) == exit_codes.PARTIAL
    assert exit_codes.for_extract(2, 0, 0) == exit_codes.FAILED and exit_codes.for_extract(0, 0, 5) == exit_codes.OK
    usage = run_tradeflow("query", check=False)
    assert usage.returncode == exit_codes.USAGE and "Missing argument" in usage.stderr


def test_errors_as_json_lines_when_asked(tmp_path):
    env = {"TRADEFLOW_DB": str(tmp_path / "absent.duckdb")}
    proc = run_tradeflow("--log-format", "json", "marts", env=env, check=False)
    assert proc.returncode == exit_codes.FAILED
    error = json.loads(proc.stderr)
    assert error["kind"] == "ApiError" and f"no warehouse at {tmp_path / 'absent.duckdb'}" in error["error"]
    plain = run_tradeflow("marts", env=env, check=False)
    assert plain.stderr.startswith("error: no warehouse at")


def test_shell_completion_as_documented():
    text = CLI_MD.read_text()
    assert 'eval "$(_TRADEFLOW_COMPLETE=bash_source tradeflow)"' in text
    proc = subprocess.run(
        [TRADEFLOW],
        env={**os.environ, "_TRADEFLOW_COMPLETE": "bash_source"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0 and "_tradeflow_completion" in proc.stdout and "complete -o" in proc.stdout
    words = subprocess.run(
        [TRADEFLOW],
        env={**os.environ, "_TRADEFLOW_COMPLETE": "bash_complete", "COMP_WORDS": "tradeflow qu", "COMP_CWORD": "1"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "plain,query" in words.stdout


def _partial_config(tmp_path: Path) -> Path:
    """The demo config with one national file that does not exist: that partition fails, the others load.
    Paths are absolute so the config works wherever it lives."""
    data = tomllib.loads(DEMO.read_text())
    # the demo's relative paths are relative to its folder (config/)
    data["run"]["cassettes"] = [str((DEMO.parent / c).resolve()) for c in data["run"]["cassettes"]]
    for settings in data["sources"].values():
        if isinstance(settings, dict) and isinstance(settings.get("files"), list):
            settings["files"] = [str((DEMO.parent / f).resolve()) for f in settings["files"]]
    data["sources"]["national"]["files"].append(str(tmp_path / "uzstat_sdmx_data_1105_constructed_absent.csv"))
    path = tmp_path / "partial.toml"
    path.write_text(toml_dump(data))
    return path


@pytest.mark.slow
def test_the_same_partial_failure_exits_3_from_extract_and_refresh(tmp_path):
    config = _partial_config(tmp_path)
    root = tmp_path / "wh"
    extract = subprocess.run(
        [TRADEFLOW, "--log-format", "json", "extract", "national", "--config", str(config), "--json"],
        cwd=PROJECT_DIR,
        env=env_for(root),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert extract.returncode == exit_codes.PARTIAL, extract.stderr
    summary = json.loads(extract.stdout)
    assert summary["exit_code"] == 3 and summary["partitions_failed"] == 1 and summary["partitions_loaded"] >= 4
    assert any("constructed_absent" in e for e in summary["errors"])
    log_lines = [json.loads(line) for line in extract.stderr.splitlines() if line.startswith("{")]
    assert log_lines and all({"time", "level", "logger", "message"} <= set(x) for x in log_lines)
    assert any(x["level"] in ("warning", "error") and "constructed_absent" in x["message"] for x in log_lines)

    refresh = subprocess.run(
        [TRADEFLOW, "refresh", "--config", str(config), "--json"],
        cwd=PROJECT_DIR,
        env=env_for(tmp_path / "wh2"),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert refresh.returncode == exit_codes.PARTIAL, refresh.stderr[-3000:]
    result = json.loads(refresh.stdout)
    assert result["status"] == "published_with_errors" and result["exit_code"] == 3
    assert result["version"] and (tmp_path / "wh2" / "tradeflow.duckdb").exists()
