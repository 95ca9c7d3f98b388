"""A refresh fed a bad input (issue 19, faults 2-3), in real subprocesses: the partition is held back,
the refresh exits 3, `status` names it, and the published rows stay those of the complete file."""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path

import duckdb
import pytest

from tests.helpers import PROJECT_DIR, config_folder, env_for, refresh, run_tradeflow, toml_dump

pytestmark = pytest.mark.slow

ARM = PROJECT_DIR / "data" / "files" / "national" / "armstat_trade_by_country_monthly_2007-2024_tvyal.csv"
KZ = PROJECT_DIR / "data" / "files" / "eurostat_comext" / "eu_member_exports_to_KZ_monthly_2019-2024.csv"


def published_rows(root: Path, table: str) -> list[tuple]:
    with duckdb.connect(str(root / "tradeflow.duckdb"), read_only=True) as con:
        return con.execute(f"select * exclude (_loaded_at) from raw.{table} order by all").fetchall()


def test_a_half_file_and_a_cut_file_are_held_back_exit_3_and_named_in_status(tmp_path):
    drop = tmp_path / "drop"
    drop.mkdir()
    arm, kz = Path(shutil.copy(ARM, drop)), Path(shutil.copy(KZ, drop))
    # the demo configuration, with the Armenian file and the Kazakh Comext file replaced by copies
    data = tomllib.loads((PROJECT_DIR / "config" / "demo.toml").read_text())
    for source, copy in (("national", arm), ("eurostat_comext", kz)):
        files = data["sources"][source]["files"]
        data["sources"][source]["files"] = [str(copy) if f.endswith(copy.name) else f for f in files]
        assert str(copy) in data["sources"][source]["files"]
    config = config_folder(tmp_path) / "inputs.toml"
    config.write_text(toml_dump(data))
    root = tmp_path / "wh"
    first = refresh(root, config, check=False)
    assert first.returncode == 0, first.stderr
    arm_before, kz_before = (
        published_rows(root, "national__armstat"),
        published_rows(root, "eurostat_comext__web_export"),
    )

    lines = arm.read_bytes().splitlines(keepends=True)
    arm.write_bytes(b"".join(lines[: len(lines) // 2]))  # half the file, cut at a line boundary
    kz.write_bytes(kz.read_bytes()[:-4])  # truncate -s -4: the last value loses digits
    second = refresh(root, config, check=False)
    assert second.returncode == 3, second.stdout + second.stderr
    assert published_rows(root, "national__armstat") == arm_before
    assert published_rows(root, "eurostat_comext__web_export") == kz_before

    status = json.loads(run_tradeflow("status", "--json", env=env_for(root)).stdout)
    errors = {(e["source"], e["partition_key"]): e["error"] for e in status["partitions_in_error"]}
    assert "rows where" in errors[("national", f"file={ARM.name}")]
    assert "truncated" in errors[("eurostat_comext", KZ.name)]
