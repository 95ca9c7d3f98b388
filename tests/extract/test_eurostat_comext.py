"""Eurostat Comext through the real pipeline: real web-export files, constructed SDMX-CSV cassettes.

Every value asserted below was read from the real files in data/files/eurostat_comext/ (see the
PROVENANCE.md there); the SDMX-CSV answers in data/recordings/eurostat_comext/ are constructed from
those same files, so the API path must give the same numbers as the file path.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from extract.errors import ConfigError, SchemaDrift
from extract.pipeline import client_for, extract
from extract.sources.base import Fetched, Partition
from extract.sources.eurostat_comext import EurostatComext, Query, split_to_fit, web_period
from tests.helpers import PROJECT_DIR, comext_config

RECORDINGS = PROJECT_DIR / "data" / "recordings" / "eurostat_comext"
FILES = PROJECT_DIR / "data" / "files" / "eurostat_comext"
KZ_FILE = "eu_member_exports_to_KZ_monthly_2019-2024.csv"
DEMO = [RECORDINGS / "constructed_kz_kg_2019"]
DE_KZ_2019_12 = 92043870.0  # Germany -> Kazakhstan, Dec. 2019, from the KZ web export


def run(cfg, tmp_path: Path, client=None):
    return extract(cfg, ["eurostat_comext"], tmp_path / "wh.duckdb", client=client, landing=tmp_path / "landing")


def query(tmp_path: Path, sql: str, params=()):
    con = duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def one(tmp_path: Path, sql: str, params=()):
    rows = query(tmp_path, sql, params)
    assert len(rows) == 1, rows
    return rows[0][0]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo configuration (snippet + its cassette), run once into a fresh warehouse."""
    tmp = tmp_path_factory.mktemp("comext_demo")
    cfg = comext_config(tmp, DEMO)
    client = client_for(cfg)
    result = run(cfg, tmp, client)
    return tmp, cfg, result, client


# --------------------------------------------------------------------------- file drops


def test_demo_run_loads_every_planned_partition(demo):
    tmp, _, result, client = demo
    assert result.status == "success", result.errors
    assert result.partitions_planned == 11 + 3  # 11 files, 3 reporters x 1 year through the API
    assert result.partitions_loaded == 14
    assert client.requests_made == 1 + 3  # the dataflow's metadata, then one query per reporter
    counts = dict(
        query(tmp, "select dataset, sum(row_count) from ops.partitions where source = 'eurostat_comext' group by 1")
    )
    assert counts == {
        "web_export": 2089 + 1988 + 2032 + 2101 + 2048 + 2100 + 1705 + 3407,
        "cn8_exports": 22809,
        "hs6_exports_eu27": 175880,
        "sanctioned_total": 6159,
        "sdmx": 72,
    }


def test_member_and_aggregate_exports_to_kazakhstan(demo):
    tmp = demo[0]
    de = query(
        tmp,
        """select reporter, reporter_iso3, reporter_is_aggregate, partner, partner_iso3, product, flow,
                  stat_procedure, freq, period, value_eur
           from raw.eurostat_comext__web_export
           where _partition_key = ? and reporter = 'DE' and period = '2019-01'""",
        [KZ_FILE],
    )
    assert de == [("DE", "DEU", False, "KZ", "KAZ", "TOTAL", "2", "T", "M", "2019-01", 94434872.0)]
    eu27 = query(
        tmp,
        """select reporter_iso3, reporter_is_aggregate, value_eur from raw.eurostat_comext__web_export
           where _partition_key = ? and reporter = 'EU27_2020' and period in ('2019-01', '2022-03') order by period""",
        [KZ_FILE],
    )
    assert eu27 == [(None, True, 452204639.0), (None, True, 630914226.0)]
    # aggregates stay apart from the members; the United Kingdom is a country, not an aggregate
    reporters = dict(
        query(
            tmp,
            "select reporter, bool_or(reporter_is_aggregate) from raw.eurostat_comext__web_export "
            "where _partition_key = ? group by 1",
            [KZ_FILE],
        )
    )
    assert {r for r, agg in reporters.items() if agg} == {"EU27_2020", "EU", "EA", "EA20"}
    assert len([r for r, agg in reporters.items() if not agg]) == 28
    assert reporters["GB"] is False and reporters["GR"] is False
    uk = one(
        tmp,
        "select value_eur from raw.eurostat_comext__web_export where _partition_key = ? and reporter = 'GB' "
        "and period = '2019-01'",
        [KZ_FILE],
    )
    assert uk == 17247187.0


def test_annual_file_period_variants_and_french_labels(demo):
    tmp = demo[0]
    key = "eu27_exports_to_all_partners_annual_2010-2023.csv"
    periods = [
        r[0]
        for r in query(
            tmp,
            "select distinct period from raw.eurostat_comext__web_export where _partition_key = ? order by 1",
            [key],
        )
    ]
    assert periods == [str(y) for y in range(2010, 2024)]
    assert one(tmp, "select distinct freq from raw.eurostat_comext__web_export where _partition_key = ?", [key]) == "A"
    kz = dict(
        query(
            tmp,
            "select period_label, value_eur from raw.eurostat_comext__web_export "
            "where _partition_key = ? and partner = 'KZ' and period in ('2016', '2022')",
            [key],
        )
    )
    # '202252-Jan.-Dec. 2022' (coded) and the French-labelled 'Jan.-Dec. 2016' year
    assert kz == {"202252-Jan.-Dec. 2022": 10347711062.0, "Jan.-Dec. 2016": 4777231569.0}
    french = dict(
        query(
            tmp,
            "select partner_label, partner from raw.eurostat_comext__web_export "
            "where _partition_key = ? and period = '2016' and partner in ('GN', 'GW', 'DE', 'RU')",
            [key],
        )
    )
    # in Eurostat's French labels 'Guinea' is Guinea-Bissau (its 2016 value sits between 2015's and 2017's)
    assert french == {
        "Guinée": "GN",
        "Guinea": "GW",
        "Allemagne (incl. République démocratique allemande 'DD' depuis 1991)": "DE",
        "Russie, Fédération de": "RU",
    }
    gw = query(
        tmp,
        "select period, value_eur from raw.eurostat_comext__web_export where _partition_key = ? and partner = 'GW' "
        "and period between '2015' and '2017' order by 1",
        [key],
    )
    assert gw == [("2015", 116546539.0), ("2016", 125725547.0), ("2017", 147975108.0)]
    assert (
        one(
            tmp,
            "select count(*) from raw.eurostat_comext__web_export where _partition_key = ? and reporter <> 'EU27_2020'",
            [key],
        )
        == 0
    )


def test_imports_file_repeated_rows_loaded_once_with_a_warning(demo):
    tmp, _, result, _ = demo
    key = "eu_member_imports_from_KG_monthly_2019-2024.csv"
    assert any(key in w and "29 rows repeated verbatim" in w for w in result.warnings)
    rows = query(
        tmp,
        "select reporter, flow, value_eur from raw.eurostat_comext__web_export "
        "where _partition_key = ? and period = '2024-02' and reporter in ('EE', 'FR') order by 1",
        [key],
    )
    assert rows == [("EE", "1", 273980.0), ("FR", "1", 60546.0)]


def test_ruimpeks_cn8_hs6_and_totals_keep_codes_as_text(demo):
    tmp = demo[0]
    assert query(
        tmp,
        "select cn8, hs6, value_eur from raw.eurostat_comext__cn8_exports "
        "where reporter_iso2 = 'AT' and partner_iso2 = 'AM' and cn8 = '84715000' and month = '2020-01'",
    ) == [("84715000", "847150", 24709.0)]
    assert (
        one(
            tmp,
            "select value_eur from raw.eurostat_comext__cn8_exports "
            "where reporter_iso2 = 'DE' and partner_iso2 = 'KZ' and cn8 = '84715000' and month = '2020-03'",
        )
        == 383800.0
    )
    # HS6 010121 keeps its leading zero
    assert (
        one(
            tmp,
            "select value_eur_sum from raw.eurostat_comext__hs6_exports_eu27 "
            "where partner_iso2 = 'BY' and hs6 = '010121' and month = '2020-12'",
        )
        == 94108.0
    )
    assert one(tmp, "select count(*) from raw.eurostat_comext__hs6_exports_eu27 where length(hs6) <> 6") == 0
    assert (
        one(
            tmp,
            "select value_eur from raw.eurostat_comext__sanctioned_total "
            "where reporter_iso2 = 'AT' and partner_iso2 = 'AM' and month = '2020-01'",
        )
        == 245053.0
    )
    # Greece is GR in Comext, as in these files
    assert one(tmp, "select count(*) from raw.eurostat_comext__sanctioned_total where reporter_iso2 = 'GR'") > 0


# --------------------------------------------------------------------------- the SDMX API path


def test_constructed_sdmx_csv_parses_through_replay_to_the_web_export_values(demo):
    tmp = demo[0]
    rows = query(
        tmp,
        """select s.reporter, s.partner, s.period, s.value_eur, s.quantity_100kg, s.source_last_update
           from raw.eurostat_comext__sdmx s where s.period = '2019-01' order by 1, 2""",
    )
    assert rows[:2] == [
        ("DE", "KG", "2019-01", 3200587.0, None, "2024-11-14T23:00:00"),
        ("DE", "KZ", "2019-01", 94434872.0, None, "2024-11-14T23:00:00"),
    ]
    assert [r[:2] for r in rows] == [("DE", "KG"), ("DE", "KZ"), ("FR", "KG"), ("FR", "KZ"), ("IT", "KG"), ("IT", "KZ")]
    # every API cell equals the web export's cell for the same reporter, partner and month
    mismatched = one(
        tmp,
        """select count(*) from raw.eurostat_comext__sdmx s
           left join raw.eurostat_comext__web_export w
             on w.reporter = s.reporter and w.partner = s.partner and w.period = s.period and w.flow = s.flow
            and w.freq = 'M'
           where w.value_eur is distinct from s.value_eur""",
    )
    assert mismatched == 0
    stamps = {r[0] for r in query(tmp, "select source_updated_at from ops.partitions where dataset = 'sdmx'")}
    assert stamps == {"2024-11-14T23:00:00+0100"}


def test_query_estimated_too_large_is_split_before_asking(tmp_path):
    q = Query(
        "M",
        ("DE",),
        ("KG", "KZ"),
        ("TOTAL",),
        ("2",),
        ("VALUE_IN_EUROS",),
        tuple(f"2019-{m:02d}" for m in range(1, 13)),
    )
    assert q.cells() == 24
    parts = split_to_fit(q, 12)
    assert [(p.periods[0], p.periods[-1], p.cells()) for p in parts] == [
        ("2019-01", "2019-06", 12),
        ("2019-07", "2019-12", 12),
    ]
    big = Query(
        "M",
        ("DE",),
        tuple(f"P{i}" for i in range(200)),
        tuple(f"{i:06d}" for i in range(5000)),
        ("1", "2"),
        ("VALUE_IN_EUROS", "QUANTITY_IN_100KG"),
        q.periods,
    )
    assert big.cells() == 48_000_000
    assert all(p.cells() <= 5_000_000 for p in split_to_fit(big, 5_000_000))
    assert sum(p.cells() for p in split_to_fit(big, 5_000_000)) == big.cells()

    # through the pipeline: the cassette holds only the two halves, so asking the whole year would fail
    cfg = comext_config(
        tmp_path, [RECORDINGS / "constructed_halves_de_2019"], files=None, reporters=["DEU"], max_cells=12
    )
    client = client_for(cfg)
    result = run(cfg, tmp_path, client)
    assert result.status == "success", result.errors
    assert client.requests_made == 1 + 2
    rows = query(tmp_path, "select partner, period, value_eur from raw.eurostat_comext__sdmx order by 1, 2")
    assert len(rows) == 24
    assert rows[0] == ("KG", "2019-01", 3200587.0) and rows[12] == ("KZ", "2019-01", 94434872.0)
    assert {r[0] for r in query(tmp_path, "select partition_key from ops.partitions")} == {
        "freq=M/reporter=DE/year=2019/partners=KG+KZ/products=TOTAL/flows=2/indicators=VALUE_IN_EUROS"
    }


def test_413_is_split_and_the_halves_asked_never_retried(tmp_path):
    cassettes = [RECORDINGS / "constructed_413_de_2019", RECORDINGS / "constructed_halves_de_2019"]
    cfg = comext_config(tmp_path, cassettes, files=None, reporters=["DEU"])
    client = client_for(cfg)
    result = run(cfg, tmp_path, client)
    assert result.status == "success", result.errors
    # metadata, the refused whole year once, then its two halves: no retry, no backoff sleep
    assert client.requests_made == 1 + 1 + 2
    assert client.sleeps == []
    assert one(tmp_path, "select count(*) from raw.eurostat_comext__sdmx") == 24
    assert (
        one(tmp_path, "select value_eur from raw.eurostat_comext__sdmx where partner = 'KZ' and period = '2019-12'")
        == DE_KZ_2019_12
    )


def test_unasked_reporter_in_an_answer_fails_the_partition(tmp_path):
    src = RECORDINGS / "constructed_kz_kg_2019"
    bad = tmp_path / "cassette"
    shutil.copytree(src, bad)
    body = bad / "M_DE_KG+KZ_TOTAL_2_VALUE_2019_constructed.csv"
    body.write_text(body.read_text().replace(",M,DE,KZ,", ",M,FR,KZ,", 1))
    cfg = comext_config(tmp_path, [bad], files=None)
    result = run(cfg, tmp_path)
    assert result.status == "failed"
    assert result.partitions_loaded == 2 and result.partitions_failed == 1
    assert "reporter 'FR' was not asked for" in result.errors[0] and "M.DE.KG+KZ" in result.errors[0]


def test_aggregate_reporter_is_refused_when_the_config_is_loaded(tmp_path):
    with pytest.raises(ConfigError, match=r"\[sources.eurostat_comext\] reporters: 'EU27' has no Comext geo code"):
        comext_config(tmp_path, DEMO, files=None, reporters=["EU27"])
    assert not (tmp_path / "w.duckdb").exists()


# --------------------------------------------------------------------------- incremental runs


def table_dump(
    tmp_path: Path,
    columns: str = "*",
    names=("web_export", "cn8_exports", "hs6_exports_eu27", "sanctioned_total", "sdmx"),
) -> dict[str, list]:
    out = {}
    for name in names:
        out[name] = query(tmp_path, f"select {columns} from raw.eurostat_comext__{name} order by all")
    return out


def test_second_run_makes_no_data_requests_and_adds_no_rows(tmp_path):
    cfg = comext_config(tmp_path, DEMO)
    first = run(cfg, tmp_path)
    assert first.status == "success", first.errors
    before = table_dump(tmp_path)

    client = client_for(cfg)
    second = run(cfg, tmp_path, client)
    assert second.status == "success"
    assert client.requests_made == 1  # the dataflow's metadata only
    assert second.metadata_requests == 1
    assert second.partitions_skipped == 14 and second.partitions_loaded == 0
    assert table_dump(tmp_path) == before

    # the dataflow's UPDATE_DATA moved: the API partitions are asked again; same bytes, nothing reloaded
    moved = comext_config(tmp_path, [RECORDINGS / "constructed_metadata_update_2024-12", *DEMO])
    client = client_for(moved)
    third = run(moved, tmp_path, client)
    assert third.status == "success"
    assert client.requests_made == 1 + 3
    assert third.partitions_loaded == 0
    stamps = {r[0] for r in query(tmp_path, "select source_updated_at from ops.partitions where dataset = 'sdmx'")}
    assert stamps == {"2024-12-13T23:00:00+0100"}
    assert (
        one(tmp_path, "select distinct _source_updated_at from raw.eurostat_comext__sdmx") == "2024-12-13T23:00:00+0100"
    )
    unstamped = "* exclude (_source_updated_at)"
    assert table_dump(tmp_path, unstamped) == {k: [r[:-1] for r in v] for k, v in before.items()}


@pytest.mark.parametrize(
    ("line", "old", "new", "expected"),
    [
        (
            10,
            '"Romania"',
            '"Atlantis (incl. Nowhere)"',
            "unknown en label (not in seeds/eurostat_geo_labels.csv) 'Atlantis (incl. Nowhere)' in REPORTER",
        ),
        (12, '"202408-Aug. 2024"', '"202408-Q3 2024"', "unrecognised value '202408-Q3 2024' in PERIOD"),
    ],
)
def test_unknown_label_fails_naming_file_row_and_label(tmp_path, line, old, new, expected):
    drop = tmp_path / "drop"
    drop.mkdir()
    path = drop / KZ_FILE
    shutil.copy(FILES / KZ_FILE, path)
    cfg = comext_config(tmp_path, [], files=[str(path)], reporters=None)
    assert run(cfg, tmp_path).status == "success"
    loaded = table_dump(tmp_path, names=["web_export"])["web_export"]
    assert len(loaded) == 2089

    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    assert lines[line - 1].count(old) == 1
    lines[line - 1] = lines[line - 1].replace(old, new)
    path.write_text("".join(lines), encoding="utf-8")
    result = run(cfg, tmp_path)
    assert result.status == "failed" and result.partitions_failed == 1
    message = result.errors[0]
    assert f"file://{path} row {line}" in message and expected in message
    # what was loaded before stays, and the ledger says so
    assert table_dump(tmp_path, names=["web_export"])["web_export"] == loaded
    status, error = query(tmp_path, "select status, error from ops.runs where run_id = ?", [result.run_id])[0]
    assert status == "failed" and expected in error
    assert query(tmp_path, "select status from ops.partitions where partition_key = ?", [KZ_FILE]) == [("loaded",)]
    assert one(tmp_path, "select count(*) from ops.partition_errors where partition_key = ?", [KZ_FILE]) == 1


# --------------------------------------------------------------------------- helpers and the seed


def test_period_labels():
    assert web_period("201901-Jan. 2019") == ("M", "2019-01")
    assert web_period("Apr. 2019") == ("M", "2019-04")
    assert web_period("May. 2024") == ("M", "2024-05")
    assert web_period("Jan.-Dec. 2016") == ("A", "2016")
    assert web_period("202252-Jan.-Dec. 2022") == ("A", "2022")
    assert web_period("201902-Jan. 2019") is None  # code and text disagree
    assert web_period("201913-Jan.-Dec. 2019") is None
    assert web_period("Q1 2019") is None


def test_seed_covers_every_label_of_every_bundled_export():
    """Each (language, label) in the bundled exports maps; the check the parser makes, over all files."""
    source = EurostatComext({"files": sorted(FILES.glob("*.csv"))})
    for p in source.plan(None):
        result = source.parse(p, source.fetch(None, p))
        if p.dataset == "web_export":
            assert result.frame["reporter"].null_count() == 0 and result.frame["partner"].null_count() == 0


def test_a_one_cell_query_refused_with_413_fails_loudly(tmp_path):
    q = Query("A", ("DE",), ("KZ",), ("TOTAL",), ("2",), ("VALUE_IN_EUROS",), ("2019",))
    assert q.cells() == 1 and q.halves() is None
    demo = RECORDINGS / "constructed_kz_kg_2019"
    refused = RECORDINGS / "constructed_413_de_2019"
    cassette = tmp_path / "cassette"
    cassette.mkdir()
    meta = json.loads((demo / "cassette.json").read_text())["interactions"][0]
    too_big = json.loads((refused / "cassette.json").read_text())["interactions"][0]
    for entry, folder in ((meta, demo), (too_big, refused)):
        shutil.copy(folder / entry["response"]["body_file"], cassette)
    too_big = {**too_big, "request": {"method": "GET", "url": q.url()}}
    (cassette / "cassette.json").write_text(json.dumps({"version": 1, "interactions": [meta, too_big]}))
    cfg = comext_config(tmp_path, [cassette], files=None, reporters=["DEU"], partners=["KAZ"], freq="A")
    client = client_for(cfg)
    result = run(cfg, tmp_path, client)
    assert result.status == "failed" and result.partitions_failed == 1
    assert "HTTP 413" in result.errors[0] and "a one-cell query cannot be split" in result.errors[0]
    assert client.requests_made == 1 + 1


def test_indicators_are_pivoted_to_value_and_quantity_columns():
    """Mechanics only: a constructed two-indicator answer (the quantity 1234.5 is a placeholder, not data)."""
    q = Query("M", ("DE",), ("KZ",), ("TOTAL",), ("2",), ("QUANTITY_IN_100KG", "VALUE_IN_EUROS"), ("2019-01",))
    body = (
        b"DATAFLOW,LAST UPDATE,freq,reporter,partner,product,flow,indicators,TIME_PERIOD,OBS_VALUE\n"
        b"ESTAT:DS-045409(1.0),14/11/24 23:00:00,M,DE,KZ,TOTAL,2,VALUE_IN_EUROS,2019-01,94434872\n"
        b"ESTAT:DS-045409(1.0),14/11/24 23:00:00,M,DE,KZ,TOTAL,2,QUANTITY_IN_100KG,2019-01,1234.5\n"
    )
    source = EurostatComext({})
    p = Partition("eurostat_comext", "sdmx", "k", {"query": q, "max_cells": 10})
    frame = source.parse(p, [Fetched(body, "csv", q.url())]).frame
    assert frame.rows() == [
        ("M", "DE", "KZ", "TOTAL", "2", "2019-01", 94434872.0, 1234.5, "2024-11-14T23:00:00"),
    ]
    with pytest.raises(SchemaDrift, match="unknown indicator 'SUPPLEMENTARY_QUANTITY'"):
        source.parse(p, [Fetched(body.replace(b"QUANTITY_IN_100KG", b"SUPPLEMENTARY_QUANTITY"), "csv", q.url())])
