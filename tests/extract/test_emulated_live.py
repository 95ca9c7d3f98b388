"""The live code paths end to end against the source emulator: a renamed field, a timeout, a 413,
and `tradeflow plan` asking only change metadata."""

from __future__ import annotations

import pytest

from extract.config import load_config
from extract.pipeline import extract
from extract.sources.comtrade import HOST, area_codes
from extract.sources.eurostat_comext.api import BASE as COMEXT
from tests.emulator import ComextWorld, ComtradeWorld
from tests.helpers import toml_dump
from tradeflow.plan import make_plan


@pytest.fixture(autouse=True)
def key(monkeypatch):
    monkeypatch.setenv("COMTRADE_API_KEY", "emulator-test-key")  # the emulator wants a key header; not a secret


def comtrade_world(reporters=("KAZ", "UZB")) -> ComtradeWorld:
    current, _ = area_codes()
    w = ComtradeWorld()
    w.release("A", [current[r] for r in reporters], ["2022", "2023"])
    return w


def config(tmp_path, sources: dict, **run):
    path = tmp_path / "live.toml"
    run = {"mode": "live", "min_interval": 0, "retry_attempts": 2, "lookback_periods": 0, **run}
    path.write_text(toml_dump({"run": run, "sources": sources}))
    return load_config(path)


def comtrade_settings(emu) -> dict:
    return {
        "base_url": emu.base_url("comtrade", HOST),
        "reporters": ["KAZ", "UZB"],
        "partners": ["RUS", "CHN"],
        "years": [2022, 2023],
        "endpoint": "data",
    }


def test_a_renamed_field_fails_its_partitions_naming_the_field(tmp_path, source_emulator):
    world = comtrade_world()
    world.renamed = {"primaryValue": "primaryValueUSD"}
    emu = source_emulator(comtrade=world)
    run = extract(
        config(tmp_path, {"comtrade": comtrade_settings(emu)}),
        ["comtrade"],
        tmp_path / "w.duckdb",
        landing=tmp_path / "l",
    )
    assert run.partitions_loaded == 0 and run.partitions_failed == 4
    assert all("required field 'primaryValue' is missing" in e for e in run.errors)
    assert run.outcomes["comtrade"].startswith("failed: [comtrade] http://127.0.0.1:")


def test_a_timeout_is_retried_then_the_answer_loaded(tmp_path, source_emulator):
    emu = source_emulator(comtrade=comtrade_world())
    emu.stall("/get/C/A/HS", times=1, seconds=3)  # the first data call hangs past the 1 s read timeout
    cfg = config(tmp_path, {"comtrade": comtrade_settings(emu)}, timeout_seconds=1)
    run = extract(cfg, ["comtrade"], tmp_path / "w.duckdb", landing=tmp_path / "l")
    assert run.errors == [] and run.partitions_loaded == 4
    data_calls = emu.calls("comtrade", "/get/C/A/HS")
    assert len(data_calls) == 3  # two reporters, the first asked twice


def test_comext_413_is_split_in_halves_and_loaded(tmp_path, source_emulator):
    world = ComextWorld(max_cells=20)  # a small refusal limit: the year's 24 cells are refused
    emu = source_emulator(comext=world)
    settings = {
        "base_url": emu.base_url("eurostat_comext", COMEXT),
        "reporters": ["DEU"],
        "partners": ["KAZ", "KGZ"],
        "products": ["TOTAL"],
        "flows": [2],
        "indicators": ["VALUE_IN_EUROS"],
        "years": [2019, 2019],
        "max_cells": 500000,
    }
    run = extract(
        config(tmp_path, {"eurostat_comext": settings}),
        ["eurostat_comext"],
        tmp_path / "w.duckdb",
        landing=tmp_path / "l",
    )
    assert run.errors == [] and run.partitions_loaded == 1 and run.rows_loaded == 24
    statuses = [r.status for r in emu.calls("eurostat_comext", "/data/DS-045409/")]
    assert statuses == [413, 200, 200]


def test_plan_online_asks_only_the_change_metadata(tmp_path, source_emulator):
    emu = source_emulator(comtrade=comtrade_world())
    plans = make_plan(config(tmp_path, {"comtrade": comtrade_settings(emu)}), offline=False, landing_root=tmp_path)
    (plan,) = plans
    assert plan.partitions == 4 and plan.metadata_requests == 1
    assert plan.requests == 2  # one call per reporter: both years in it (getDA totals bound the rows)
    assert [c.path.rsplit("/", 4)[-4] for c in emu.log] == ["getDA"]  # no data request
