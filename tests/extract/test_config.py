"""The configuration file is validated with errors that say what is wrong and where."""

from __future__ import annotations

import pytest

from extract.config import load_config
from extract.errors import ConfigError


def write(tmp_path, text):
    p = tmp_path / "tradeflow.toml"
    p.write_text(text)
    return p


def test_valid_config_resolves_paths_and_codes(tmp_path):
    cfg = load_config(
        write(
            tmp_path,
            """
[run]
mode = "replay"
cassettes = ["data/recordings/x"]
lookback_periods = 2
[sources.comtrade]
reporters = ["KAZ", "UZB"]
partners = ["RUS", "WLD", "EU27"]
years = [2019, 2023]
""",
        )
    )
    assert cfg.mode == "replay" and cfg.lookback_periods == 2
    assert cfg.cassettes[0].is_absolute() and cfg.cassettes[0].parts[-2:] == ("recordings", "x")
    assert cfg.sources["comtrade"]["years"] == [2019, 2023]
    assert cfg.enabled_sources() == ["comtrade"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[sources.comtrade]\nreporters = ["KAZ", "XYZ"]', "reporters: unknown country code 'XYZ'"),
        ("[sources.comtrade]\nyears = [2023, 2019]", "years [2023, 2019]: first year is after the last"),
        ("[sources.comtrade]\nyears = [2019]", "years must be [first, last]"),
        ("[sources.bloomberg]\nenabled = true", "unknown source [sources.bloomberg]"),
        ('[run]\nmode = "offline"', "mode must be 'live' or 'replay'"),
        ("[run\nmode=", "not valid TOML"),
    ],
)
def test_invalid_config_says_what_is_wrong(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert message in str(err.value) and str(path) in str(err.value)


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.toml")
