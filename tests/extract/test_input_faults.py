"""Inputs that used to lose or falsify data (issue 19, faults 1-5 and 10): each fails its own partition,
names the file or URL and the line, and keeps what was loaded before.

Every bad input is constructed here from a real bundled file (cut, re-encoded, emptied, duplicated).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from extract.config import Config, load_config
from extract.errors import ConfigError
from extract.pipeline import extract
from extract.settings import PROJECT_DIR
from tests.helpers import write_cassette

NATIONAL = PROJECT_DIR / "data" / "files" / "national"
ARM = NATIONAL / "armstat_armenia_trade_by_country_monthly_2017-2023.csv"
UZ = NATIONAL / "uzstat_sdmx_data_1105_exports_by_country_2010-2023.csv"
COMEXT = PROJECT_DIR / "data" / "files" / "eurostat_comext"
KZ = COMEXT / "eu_member_exports_to_KZ_monthly_2019-2024.csv"
KG = COMEXT / "eu_member_exports_to_KG_monthly_2019-2024.csv"
NL = b"\n"
ECB_CASSETTE = PROJECT_DIR / "data" / "recordings" / "ecb" / "constructed_exr_usd_eur_m_2020_a_2010_2024"


def cfg(tmp_path: Path, sources: dict, cassettes: list[Path] = ()) -> Config:
    return Config(
        path=tmp_path / "t.toml", mode="replay", cassettes=list(cassettes), lookback_periods=0, sources=sources
    )


def go(tmp_path: Path, config: Config, names: list[str], **kw):
    return extract(config, names, tmp_path / "w.duckdb", landing=tmp_path / "landing", **kw)


def rows(tmp_path: Path, sql: str, params=()):
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def table(tmp_path: Path, name: str):
    return rows(tmp_path, f"select * exclude (_loaded_at) from raw.{name} order by all")


def copy(src: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(src, folder / src.name))


# --------------------------------------------------------------------------- 1. two files, one name


def test_two_files_with_one_name_in_different_folders_are_refused_naming_both(tmp_path):
    a, b = copy(KZ, tmp_path / "a"), copy(KZ, tmp_path / "b")
    path = tmp_path / "two.toml"
    path.write_text(f'[run]\nmode = "replay"\n\n[sources.eurostat_comext]\nfiles = ["{a}", "{b}"]\n')
    with pytest.raises(ConfigError) as err:
        load_config(path)
    text = str(err.value)
    assert str(a) in text and str(b) in text and "same file name" in text and "eurostat_comext" in text


def test_a_drop_folder_file_with_the_name_of_a_listed_file_fails_the_plan_not_the_rows(tmp_path):
    listed = copy(UZ, tmp_path / "listed")
    drop = tmp_path / "drop"
    copy(UZ, drop)
    run = go(tmp_path, cfg(tmp_path, {"national": {"files": [listed], "drop_dir": drop}}), ["national"])
    assert run.partitions_loaded == 0 and any("same file name" in e for e in run.errors)
    errors = rows(tmp_path, "select partition_key, error from ops.partition_errors")
    assert errors and errors[0][0] == "plan" and str(listed) in errors[0][1] and str(drop / UZ.name) in errors[0][1]


# --------------------------------------------------------------------------- 2. cut off mid-number


def test_a_file_cut_mid_number_fails_its_partition_and_keeps_the_rows_loaded_before(tmp_path):
    drop = copy(KZ, tmp_path / "drop")
    other = copy(KG, tmp_path / "drop")
    config = cfg(tmp_path, {"eurostat_comext": {"files": [drop, other]}})
    first = go(tmp_path, config, ["eurostat_comext"])
    assert first.partitions_loaded == 2 and not first.errors
    before = table(tmp_path, "eurostat_comext__web_export")
    body = drop.read_bytes()
    assert body.endswith(b"\n")
    drop.write_bytes(body[:-4])  # truncate -s -4: the last value loses its last digits and the line break
    second = go(tmp_path, config, ["eurostat_comext"])
    assert second.partitions_failed == 1 and second.partitions_loaded == 0
    (error,) = second.errors
    assert "truncated" in error and drop.name in error and f"line {body.count(NL)}" in error
    assert table(tmp_path, "eurostat_comext__web_export") == before  # the rows loaded before, unchanged


def test_an_sdmx_body_cut_mid_number_fails_naming_the_url(tmp_path):
    cassette = Path(shutil.copytree(ECB_CASSETTE, tmp_path / "cassette"))
    entries = json.loads((cassette / "cassette.json").read_text())["interactions"]
    body_file = cassette / entries[-1]["response"]["body_file"]
    body = body_file.read_bytes()
    body_file.write_bytes(body[:-4])
    settings = {"periods": {"M": ["2020-01", "2020-05"], "A": ["2010", "2024"]}}
    run = go(tmp_path, cfg(tmp_path, {"ecb": settings}, [cassette]), ["ecb"])
    assert run.partitions_failed == 1 and run.partitions_loaded == 1
    (error,) = run.errors
    assert "truncated" in error and "data-api.ecb.europa.eu" in error


def test_a_body_shorter_than_its_content_length_is_truncated(tmp_path):
    body = (ECB_CASSETTE / "cassette.json").read_text()
    entries = json.loads(body)["interactions"]
    interactions = []
    for e in entries:
        data = (ECB_CASSETTE / e["response"]["body_file"]).read_bytes()
        headers = {**e["response"].get("headers", {}), "Content-Length": str(len(data) + 100)}
        interactions.append((e["request"]["url"], e["response"]["status"], headers, data))
    cassette = write_cassette(tmp_path / "cl", interactions)
    settings = {"periods": {"M": ["2020-01", "2020-05"], "A": ["2010", "2024"]}}
    run = go(tmp_path, cfg(tmp_path, {"ecb": settings}, [cassette]), ["ecb"])
    assert run.partitions_loaded == 0 and run.errors  # the plan's metadata call is the first cut answer
    assert all("Content-Length declares" in e and "cut off" in e for e in run.errors)


# --------------------------------------------------------------------------- 3. a half file


def half_at_a_line(path: Path) -> None:
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[: len(lines) // 2]))


def test_a_reload_that_loses_half_the_rows_is_held_back_until_accepted(tmp_path):
    drop = copy(ARM, tmp_path / "drop")
    config = cfg(tmp_path, {"national": {"files": [drop]}})
    go(tmp_path, config, ["national"])
    before = table(tmp_path, "national__armstat")
    (loaded,) = rows(tmp_path, "select row_count from ops.partitions where dataset = 'armstat'")[0]
    assert loaded == len(before) > 1000
    half_at_a_line(drop)  # every line still parses: only the row count and the periods tell
    held = go(tmp_path, config, ["national"])
    assert held.partitions_failed == 1 and held.partitions_loaded == 0
    (error,) = held.errors
    assert "rows where" in error and f"{loaded:,} are loaded (-50%)" in error
    assert f"--accept-shrink national/armstat/file={ARM.name}" in error
    assert table(tmp_path, "national__armstat") == before
    # named in the ledger's errors for this run (what `status` shows)
    assert rows(
        tmp_path, "select dataset, partition_key from ops.partition_errors where run_id = ?", [held.run_id]
    ) == [("armstat", f"file={ARM.name}")]
    # accepted explicitly: loaded
    accepted = go(tmp_path, config, ["national"], accept_shrink={f"national/armstat/file={ARM.name}"})
    assert accepted.partitions_loaded == 1 and not accepted.errors
    (now,) = rows(tmp_path, "select row_count from ops.partitions where dataset = 'armstat'")[0]
    assert 0 < now < loaded * 0.6


def test_a_reload_that_loses_a_period_is_held_back(tmp_path):
    drop = copy(ARM, tmp_path / "drop")
    config = cfg(tmp_path, {"national": {"files": [drop]}})
    go(tmp_path, config, ["national"])
    lines = drop.read_bytes().splitlines(keepends=True)
    kept = [x for x in lines if not x.rstrip().endswith(b",7,2019")]  # July 2019 gone, a few hundred rows of 33,282
    assert 0 < len(lines) - len(kept) < len(lines) * 0.05
    drop.write_bytes(b"".join(kept))
    run = go(tmp_path, config, ["national"])
    assert run.partitions_failed == 1 and "1 period(s) it had are gone (2019-7)" in run.errors[0]


def test_a_small_revision_is_not_a_shrink(tmp_path):
    drop = copy(ARM, tmp_path / "drop")
    config = cfg(tmp_path, {"national": {"files": [drop]}})
    go(tmp_path, config, ["national"])
    lines = drop.read_bytes().splitlines(keepends=True)
    drop.write_bytes(b"".join(lines[:-3]))  # the last three lines (rows of the last period's partners) revised away
    run = go(tmp_path, config, ["national"])
    assert run.partitions_loaded == 1 and not run.errors


# --------------------------------------------------------------------------- 4. bad bytes fail one partition


@pytest.mark.parametrize(
    "damage, expected",
    [
        (lambda b: b.decode("utf-8").replace("Kazakhstan", "Kazakhstän").encode("latin-1", "replace"), "not UTF-8"),
        (lambda b: b"", "empty"),
        (lambda b: b[: b.index(b'"', b.index(b"\n", 2000)) + 3] + b"\n", "line"),
    ],
    ids=["latin-1", "empty", "cut-inside-a-quoted-label"],
)
def test_a_bad_file_fails_its_partition_only_and_the_other_sources_load(tmp_path, damage, expected):
    bad = copy(KZ, tmp_path / "drop")
    bad.write_bytes(damage(bad.read_bytes()))
    good = copy(KG, tmp_path / "drop")
    config = cfg(tmp_path, {"eurostat_comext": {"files": [bad, good]}, "national": {"files": [copy(UZ, tmp_path)]}})
    run = go(tmp_path, config, ["eurostat_comext", "national"])
    assert run.partitions_failed == 1 and run.partitions_loaded == 2
    (error,) = run.errors
    assert bad.name in error and expected in error
    (logged,) = rows(tmp_path, "select source, partition_key, error from ops.partition_errors")
    assert logged[:2] == ("eurostat_comext", bad.name) and expected in logged[2]


# --------------------------------------------------------------------------- 5. a vanished file


@pytest.mark.parametrize(
    "source, src, table_name",
    [("eurostat_comext", KZ, "eurostat_comext__web_export"), ("national", ARM, "national__armstat")],
)
def test_a_configured_file_that_vanished_is_an_error_not_unchanged(tmp_path, source, src, table_name):
    drop = copy(src, tmp_path / "drop")
    config = cfg(tmp_path, {source: {"files": [drop]}})
    go(tmp_path, config, [source])
    before = table(tmp_path, table_name)
    drop.unlink()
    for _night in range(2):  # and again the next night: still an error, never "unchanged"
        run = go(tmp_path, config, [source])
        assert run.partitions_failed == 1 and run.partitions_skipped == 0
        assert str(drop) in run.errors[0] and "does not exist" in run.errors[0]
    assert table(tmp_path, table_name) == before


# --------------------------------------------------------------------------- 10. codes that go into URLs


@pytest.mark.parametrize("code", ["../../etc/passwd", "BX.KLT/DINV", "a..b", "NY GDP", "x?y=1"])
def test_a_world_bank_indicator_that_is_not_a_code_is_refused_at_load(tmp_path, code):
    path = tmp_path / "wb.toml"
    path.write_text(
        '[run]\nmode = "replay"\n\n[sources.worldbank]\n'
        f'indicators = ["{code}"]\ncountries = ["KAZ"]\nyears = [2015, 2019]\n'
    )
    with pytest.raises(ConfigError) as err:
        load_config(path)
    text = str(err.value)
    assert str(path) in text and "worldbank" in text and "indicators" in text and "goes into a URL" in text
