"""The configuration file is validated before anything runs, with errors naming the file, the section and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from extract.config import Config, load_config
from extract.errors import ConfigError
from extract.pipeline import extract
from extract.sources.eurostat_comext import EurostatComext
from tests.helpers import PROJECT_DIR


def write(tmp_path, text, name="tradeflow.toml"):
    p = tmp_path / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)
    return p


def test_valid_config_types_every_setting(tmp_path):
    cfg = load_config(
        write(
            tmp_path,
            """
[run]
mode = "replay"
cassettes = ["recordings/x"]
lookback_periods = 2
[sources.comtrade]
reporters = ["KAZ", "UZB"]
partners = ["RUS", "WLD"]
years = [2019, 2023]
""",
        )
    )
    assert cfg.mode == "replay" and cfg.lookback_periods == 2
    assert cfg.cassettes == [tmp_path / "recordings" / "x"]
    comtrade = cfg.sources["comtrade"]
    assert (comtrade.reporters, comtrade.partners, comtrade.years) == (["KAZ", "UZB"], ["RUS", "WLD"], (2019, 2023))
    assert (comtrade.frequencies, comtrade.cmd_codes, comtrade.endpoint) == (["A"], ["TOTAL"], "auto")  # defaults
    assert cfg.enabled_sources() == ["comtrade"]


def test_relative_paths_resolve_against_the_config_files_folder(tmp_path, monkeypatch):
    drops = tmp_path / "drops"
    drops.mkdir()
    path = write(
        tmp_path,
        '[run]\nrecord_to = "../recorded"\n\n'
        '[sources.eurostat_comext]\nfiles = ["../drops/a.csv", "/abs/b.csv"]\n\n'
        '[sources.national]\ndrop_dir = "../drops"\nlabels_seed = "labels.csv"\n',
        name="conf/nightly.toml",
    )
    monkeypatch.chdir(PROJECT_DIR)  # not the working directory
    cfg = load_config(path)
    assert cfg.record_to == tmp_path / "recorded"
    assert cfg.sources["eurostat_comext"].files == [tmp_path / "drops" / "a.csv", Path("/abs/b.csv")]
    assert cfg.sources["national"].drop_dir == drops
    assert cfg.sources["national"].labels_seed == tmp_path / "conf" / "labels.csv"
    # the demo's paths (../data/...) are the repository's files
    demo = load_config(PROJECT_DIR / "config" / "demo.toml")
    files = demo.sources["eurostat_comext"].files
    assert (
        files[0] == PROJECT_DIR / "data" / "files" / "eurostat_comext" / "eu_member_exports_to_KZ_monthly_2019-2024.csv"
    )
    assert all(f.is_file() for f in files) and all(c.is_dir() for c in demo.cassettes)


@pytest.mark.parametrize(
    ("text", "section", "key", "message"),
    [
        (
            '[sources.comtrade]\nreportrs = ["KAZ"]\nreporters = ["KAZ"]\nyears = [2019, 2019]',
            "[sources.comtrade]",
            "reportrs",
            "unknown key 'reportrs' (did you mean 'reporters'?)",
        ),
        (
            '[sources.eurostat_comext]\nfile = ["x.csv"]',
            "[sources.eurostat_comext]",
            "file",
            "unknown key 'file' (did you mean 'files'?)",
        ),
        ("[run]\nlookback = 2", "[run]", "lookback", "unknown key 'lookback' (did you mean 'lookback_periods'?)"),
        (
            '[sources.ecb]\nperiods = { M = ["2020-01", ""] }\nenable = false',
            "[sources.ecb]",
            "enable",
            "unknown key 'enable' (did you mean 'enabled'?)",
        ),
    ],
)
def test_a_misspelt_key_is_refused_naming_the_file_the_section_and_the_key(tmp_path, text, section, key, message):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert f"{path}: {section} {message}" in str(err.value)
    assert "known keys:" in str(err.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[sources.comtrade]\nreporters = ["KAZ", "XYZ"]\nyears = [2019, 2019]',
            "[sources.comtrade] reporters: unknown country code 'XYZ'",
        ),
        (
            '[sources.comtrade]\nreporters = ["KAZ"]\nyears = [2023, 2019]',
            "[sources.comtrade] years: [2023, 2019]: first year is after the last",
        ),
        ('[sources.comtrade]\nreporters = ["KAZ"]\nyears = [2019]', "[sources.comtrade] years: must be [first, last]"),
        ('[sources.comtrade]\nreporters = ["KAZ"]', "[sources.comtrade] years: required, not set"),
        (
            '[sources.comtrade]\nreporters = ["KAZ"]\nyears = [2019, 2019]\nendpoint = "fast"',
            "[sources.comtrade] endpoint: Input should be 'auto', 'data' or 'preview' (got 'fast')",
        ),
        (
            '[sources.comtrade]\nreporters = ["KAZ"]\npartners = ["EU27"]\nyears = [2019, 2019]',
            "[sources.comtrade] partners: 'EU27' has no Comtrade partner code",
        ),
        (
            '[sources.eurostat_comext]\nreporters = ["DEU"]\npartners = ["KAZ"]',
            "[sources.eurostat_comext] years = [first, last] is required with reporters",
        ),
        ("[sources.eurostat_comext]\nflows = [3]", "[sources.eurostat_comext] flows: Input should be '1' or '2'"),
        ('[sources.eurostat_comext]\nproducts = ["12345"]', "[sources.eurostat_comext] products: '12345' is not TOTAL"),
        ('[sources.ecb]\nperiods = { M = ["2020", ""] }', "[sources.ecb] periods: M: '2020' is not a M period"),
        ('[sources.imf]\ncountries = ["USA"]', "[sources.imf] set years = [first, last] or start_period/end_period"),
        ("[sources.wiiw_fdi]\nfiles = []", "[sources.wiiw_fdi] files: List should have at least 1 item"),
        ("[sources.national]\nenabled = true", "[sources.national] no files and no drop_dir"),
        ("[sources.worldbank]\nper_page = 0", "[sources.worldbank] per_page: Input should be greater than 0"),
        ("[sources.bloomberg]\nenabled = true", "unknown source [sources.bloomberg]"),
        ("[sources.comtrad]\nenabled = true", "unknown source [sources.comtrad] (did you mean [sources.comtrade]?)"),
        ("[runs]\nmode = 'live'", "unknown section [runs]"),
        ('[run]\nmode = "offline"', "[run] mode: Input should be 'live' or 'replay' (got 'offline')"),
        ("[run\nmode=", "not valid TOML"),
    ],
)
def test_invalid_config_says_what_is_wrong_at_load(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert message in str(err.value) and str(path) in str(err.value)


def test_a_misspelt_key_stops_the_run_before_any_request(tmp_path):
    """A Config built in code validates its sections the same way: nothing is planned or asked."""
    with pytest.raises(ConfigError, match=r"\[sources.eurostat_comext\] unknown key 'max_cell'"):
        cfg = Config(path=tmp_path / "t.toml", mode="replay", sources={"eurostat_comext": {"max_cell": 10}})
        extract(cfg, ["eurostat_comext"], tmp_path / "w.duckdb", landing=tmp_path / "landing")
    assert not (tmp_path / "w.duckdb").exists()
    with pytest.raises(ConfigError, match=r"\[sources.eurostat_comext\] unknown key 'reporter'"):
        EurostatComext({"reporter": ["DEU"]})


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.toml")


def test_config_check_validates_without_running_and_lists_each_source(tmp_path):
    from click.testing import CliRunner

    from tradeflow.cli import cli

    runner = CliRunner()
    ok = runner.invoke(cli, ["config", "check", "--config", str(PROJECT_DIR / "config" / "demo.toml")])
    assert ok.exit_code == 0, ok.output
    lines = ok.output.splitlines()
    assert lines[0] == f"{PROJECT_DIR / 'config' / 'demo.toml'}: valid"
    assert lines[1] == "[run] mode=replay cassettes=6 lookback_periods=0"
    by_source = {line.split()[0]: line.split()[1] for line in lines[2:]}
    assert by_source == {
        "comtrade": "enabled",
        "worldbank": "enabled",
        "ecb": "enabled",
        "wiiw_fdi": "enabled",
        "eurostat_fdi": "disabled",
        "imf": "enabled",
        "national": "enabled",
        "eurostat_comext": "enabled",
    }
    assert "files=12 file(s)" in next(line for line in lines if line.startswith("eurostat_comext"))
    bad = write(tmp_path, '[sources.wiiw_fdi]\nfiles = ["a.csv"]\nfile = ["b.csv"]\n')
    refused = runner.invoke(cli, ["config", "check", "--config", str(bad)])
    assert refused.exit_code != 0
    assert f"{bad}: [sources.wiiw_fdi] unknown key 'file' (did you mean 'files'?)" in str(refused.exception)
    assert not list(tmp_path.glob("*.duckdb")) and not (tmp_path / "landing").exists()  # nothing ran
