"""World Bank source: API v2 paging replayed through the real client, WDI bulk CSVs as a file drop."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from extract.config import Config
from extract.pipeline import extract
from extract.sources.worldbank import parse_bulk_csv
from tests.helpers import PROJECT_DIR

CASSETTE = PROJECT_DIR / "data" / "recordings" / "worldbank" / "constructed_fdi_net_inflows_ca5_2015_2019"
FILES = PROJECT_DIR / "data" / "files" / "worldbank"
FDI_BULK = FILES / "wdi_bulk_API_BX.KLT.DINV.CD.WD_DS2_en_csv_v2_1927091.csv"  # with preamble, BOM, CRLF
FDI_GDP_BULK = FILES / "wdi_bulk_API_BX.KLT.DINV.WD.GD.ZS_DS2_en_csv_v2_38342.csv"  # no preamble, BOM
CA5 = ["KAZ", "KGZ", "TJK", "TKM", "UZB"]


def api_cfg(tmp_path: Path, cassette: Path = CASSETTE) -> Config:
    return Config(
        path=tmp_path / "t.toml",
        mode="replay",
        cassettes=[cassette],
        lookback_periods=0,
        sources={
            "worldbank": {"countries": CA5, "indicators": ["BX.KLT.DINV.CD.WD"], "years": [2015, 2019], "per_page": 15}
        },
    )


def files_cfg(tmp_path: Path, files: list[Path]) -> Config:
    return Config(path=tmp_path / "t.toml", mode="replay", lookback_periods=0, sources={"worldbank": {"files": files}})


def query(db: Path, sql: str):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def last_run(db: Path):
    return query(db, "select status, error from ops.runs order by started_at desc limit 1")[0]


def go(cfg: Config, tmp_path: Path):
    return extract(cfg, ["worldbank"], tmp_path / "w.duckdb", landing=tmp_path / "landing")


def test_api_paging_reads_both_pages_with_types(tmp_path):
    run = go(api_cfg(tmp_path), tmp_path)
    db = tmp_path / "w.duckdb"
    assert run.status == "success", run.errors
    assert run.requests_made == 3  # metadata (per_page=1) + page 1 + page 2
    assert query(db, "select count(*) from raw.worldbank__indicators") == [(25,)]
    # page 2 holds Turkmenistan and Uzbekistan
    assert query(db, "select count(*) from raw.worldbank__indicators where country_iso3 in ('TKM','UZB')") == [(10,)]
    kaz = query(
        db,
        "select value, country_id, source_last_updated from raw.worldbank__indicators "
        "where country_iso3 = 'KAZ' and year = 2019",
    )
    assert kaz == [(3587949040.68398, "KZ", "2020-12-16")]
    # Kyrgyzstan's 2017 net inflows were negative in the WDI vintage the fixture copies
    assert query(db, "select value from raw.worldbank__indicators where country_iso3='KGZ' and year=2017") == [
        (-107212800.0,)
    ]
    types = dict(query(db, "select column_name, column_type from (describe raw.worldbank__indicators)"))
    assert (types["year"], types["value"], types["decimal"], types["country_iso3"]) == (
        "INTEGER",
        "DOUBLE",
        "INTEGER",
        "VARCHAR",
    )


def test_api_rerun_adds_no_rows_and_only_asks_metadata(tmp_path):
    cfg = api_cfg(tmp_path)
    go(cfg, tmp_path)
    run = go(cfg, tmp_path)
    assert run.status == "success"
    assert (run.partitions_loaded, run.partitions_skipped, run.requests_made) == (0, 1, 1)
    assert query(tmp_path / "w.duckdb", "select count(*) from raw.worldbank__indicators") == [(25,)]


def _copy_cassette(tmp_path: Path) -> Path:
    target = tmp_path / "cassette"
    shutil.copytree(CASSETTE, target)
    return target


def _move_stamp(cassette: Path) -> None:
    meta = cassette / "meta_per_page_1.json"
    meta.write_text(meta.read_text().replace('"lastupdated": "2020-12-16"', '"lastupdated": "2021-01-29"'))


ERROR_175 = (
    '[{"message":[{"id":"175","key":"Invalid format",'
    '"value":"The indicator was not found. It may have been deleted or archived."}]}]'
)


def test_error_inside_a_200_on_page_two_fails_the_run_and_keeps_earlier_rows(tmp_path):
    go(api_cfg(tmp_path), tmp_path)
    broken = _copy_cassette(tmp_path)
    _move_stamp(broken)  # the source says it changed: the partition is fetched again
    (broken / "page_2.json").write_text(ERROR_175)
    run = go(api_cfg(tmp_path, broken), tmp_path)
    db = tmp_path / "w.duckdb"
    assert run.status == "failed"
    status, error = last_run(db)
    assert status == "failed"
    assert "page=2" in error and "175" in error and "indicator was not found" in error
    assert "api.worldbank.org/v2/country/KAZ;KGZ;TJK;TKM;UZB/indicator/BX.KLT.DINV.CD.WD" in error
    assert query(db, "select count(*) from raw.worldbank__indicators") == [(25,)]
    assert query(db, "select source_updated_at from ops.partitions where source='worldbank'")[0][0].startswith(
        "lastupdated=2020-12-16"
    )


def test_error_inside_a_200_on_the_metadata_request_fails_the_plan(tmp_path):
    broken = _copy_cassette(tmp_path)
    (broken / "meta_per_page_1.json").write_text(ERROR_175)
    run = go(api_cfg(tmp_path, broken), tmp_path)
    status, error = last_run(tmp_path / "w.duckdb")
    assert run.status == status == "failed"
    assert "per_page=1" in error and "Invalid format" in error


def test_pages_that_lose_rows_fail_instead_of_loading_short(tmp_path):
    broken = _copy_cassette(tmp_path)
    page2 = json.loads((broken / "page_2.json").read_text())
    page2[1] = page2[1][:-1]  # one row fewer than the announced total
    (broken / "page_2.json").write_text(json.dumps(page2))
    run = go(api_cfg(tmp_path, broken), tmp_path)
    assert run.status == "failed"
    assert "announces 25 rows but the pages hold 24" in last_run(tmp_path / "w.duckdb")[1]


def test_bulk_files_load_long_rows_with_real_values(tmp_path):
    run = go(files_cfg(tmp_path, [FDI_BULK, FDI_GDP_BULK]), tmp_path)
    db = tmp_path / "w.duckdb"
    assert run.status == "success", run.errors
    # Kazakhstan, FDI net inflows (BoP, current US$), 2019, WDI "Last Updated Date 2020-12-16"
    assert query(
        db,
        "select value, source_last_updated from raw.worldbank__wdi_bulk "
        "where country_iso3='KAZ' and indicator_id='BX.KLT.DINV.CD.WD' and year=2019",
    ) == [(3587949040.68398, "2020-12-16")]
    # the copy without preamble (BOM on the header line): no Last Updated Date
    assert query(
        db,
        "select value, source_last_updated from raw.worldbank__wdi_bulk "
        "where country_iso3='KAZ' and indicator_id='BX.KLT.DINV.WD.GD.ZS' and year=2019",
    ) == [(2.053676493, None)]
    # empty cells are null rows, not dropped: 264 economies x 61 years (1960-2020) in the first file
    assert query(
        db, "select count(*), count(value) from raw.worldbank__wdi_bulk where indicator_id='BX.KLT.DINV.CD.WD'"
    ) == [(16104, 10887)]
    assert query(
        db,
        "select value from raw.worldbank__wdi_bulk where country_iso3='KAZ' "
        "and indicator_id='BX.KLT.DINV.CD.WD' and year=1960",
    ) == [(None,)]
    types = dict(query(db, "select column_name, column_type from (describe raw.worldbank__wdi_bulk)"))
    assert (types["year"], types["value"]) == ("INTEGER", "DOUBLE")
    rerun = go(files_cfg(tmp_path, [FDI_BULK, FDI_GDP_BULK]), tmp_path)
    assert (rerun.partitions_loaded, rerun.partitions_skipped) == (0, 2)
    assert query(db, "select count(*) from raw.worldbank__wdi_bulk") == [(16104 + 17290,)]


@pytest.mark.parametrize("bom", [True, False])
@pytest.mark.parametrize("preamble", [True, False])
def test_bulk_layouts_with_and_without_preamble_and_bom(preamble, bom):
    lines = [
        '"Country Name","Country Code","Indicator Name","Indicator Code","2018","2019",',
        '"Kazakhstan","KAZ","GDP (current US$)","NY.GDP.MKTP.CD","179339994859.384","181665908556.499",',
        '"Kyrgyz Republic","KGZ","GDP (current US$)","NY.GDP.MKTP.CD","8271108638.3804","",',
    ]
    if preamble:
        lines = ['"Data Source","World Development Indicators",', "", '"Last Updated Date","2020-12-16",', "", *lines]
    body = ("\ufeff" if bom else "") + "\r\n".join(lines) + "\r\n"
    result = parse_bulk_csv("worldbank", "file:///x.csv", body.encode())
    rows = result.frame.select("country_iso3", "year", "value", "source_last_updated").rows()
    stamp = "2020-12-16" if preamble else None
    assert rows == [
        ("KAZ", 2018, 179339994859.384, stamp),
        ("KAZ", 2019, 181665908556.499, stamp),
        ("KGZ", 2018, 8271108638.3804, stamp),
        ("KGZ", 2019, None, stamp),
    ]


def test_malformed_bulk_file_fails_naming_file_line_and_column(tmp_path):
    drop = tmp_path / "drop"
    drop.mkdir()
    good = drop / "good.csv"
    shutil.copy(FDI_GDP_BULK, good)
    go(files_cfg(tmp_path, [good]), tmp_path)
    good.write_text(good.read_text(encoding="utf-8-sig").replace("2.053676493", "n/a", 1), encoding="utf-8")
    run = go(files_cfg(tmp_path, [good]), tmp_path)
    status, error = last_run(tmp_path / "w.duckdb")
    assert run.status == status == "failed"
    assert "good.csv line" in error and "column 2019" in error and "'n/a'" in error
    assert query(tmp_path / "w.duckdb", "select count(*) from raw.worldbank__wdi_bulk") == [(17290,)]
