"""IMF IMTS (SDMX 3.0) through the real pipeline, replayed from the real recording (offline).

The recording (data/recordings/imf/imts_usa_xg_fob_2023-2026) holds the IMF's real answers of 2025-12-16:
the availability constraint for USA.*.*.*/INDICATOR and the SDMX-ML data for USA.XG_FOB_USD.G001+G998.A.
Cassettes built inside a test are constructed variants of those bodies and say so in their directory name.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from extract.config import Config, load_config
from extract.errors import BadResponse, ConfigError, SchemaDrift
from extract.http import normalise_url
from extract.pipeline import extract
from extract.settings import PROJECT_DIR
from extract.sources.imf import Imf, availability_stamp, parse_structure_specific

CASSETTE = PROJECT_DIR / "data" / "recordings" / "imf" / "imts_usa_xg_fob_2023-2026"
AVAILABILITY_URL = "https://api.imf.org/external/sdmx/3.0/availability/dataflow/IMF.STA/IMTS/%2B/USA.*.*.*/INDICATOR"
DATA_URL = (
    "https://api.imf.org/external/sdmx/3.0/data/dataflow/IMF.STA/IMTS/+/USA.XG_FOB_USD.G001+G998.A"
    "?c%5BTIME_PERIOD%5D=ge:2023-01-01+le:2026-01-01&dimensionAtObservation=TIME_PERIOD&detail=full"
    "&includeHistory=false"
)
REAL_AVAILABILITY = (CASSETTE / "availability_USA_INDICATOR.json").read_bytes()
REAL_XML = (CASSETTE / "data_USA.XG_FOB_USD.G001+G998.A.xml").read_bytes()
REAL_STAMP = "series_count=2175;time_period_start=1948-01-01;time_period_end=2025-09-01;window=2023-01-01..2026-01-01"


def demo_config(tmp_path: Path, cassette: Path = CASSETTE) -> Config:
    """The config/snippets/imf.toml section, loaded and validated by config.py, over `cassette`."""
    path = tmp_path / f"imf_{cassette.name}.toml"
    snippet = (PROJECT_DIR / "config" / "snippets" / "imf.toml").read_text()
    path.write_text(f'[run]\nmode = "replay"\ncassettes = ["{cassette}"]\nlookback_periods = 0\n\n{snippet}')
    return load_config(path)


def run(tmp_path: Path, cassette: Path = CASSETTE):
    return extract(demo_config(tmp_path, cassette), ["imf"], tmp_path / "w.duckdb", landing=tmp_path / "landing")


def constructed_cassette(
    tmp_path: Path, name: str, availability: bytes, data: bytes, data_type="application/xml"
) -> Path:
    directory = tmp_path / f"constructed_{name}"
    directory.mkdir()
    (directory / "availability.json").write_bytes(availability)
    (directory / "data.xml").write_bytes(data)
    interactions = [
        (AVAILABILITY_URL, "application/json", "availability.json"),
        (DATA_URL, data_type, "data.xml"),
    ]
    (directory / "cassette.json").write_text(
        json.dumps(
            {
                "version": 1,
                "interactions": [
                    {
                        "request": {"method": "GET", "url": normalise_url(url)},
                        "response": {"status": 200, "headers": {"Content-Type": ctype}, "body_file": body},
                    }
                    for url, ctype, body in interactions
                ],
            }
        )
    )
    return directory


def moved_availability(end: str = "2025-10-01") -> bytes:
    """The real availability answer with time_period_end moved (constructed: the IMF published a month)."""
    out = REAL_AVAILABILITY.replace(b'"title":"2025-09-01"', f'"title":"{end}"'.encode())
    assert out != REAL_AVAILABILITY
    return out


def table(db: Path) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("select * from raw.imf__imts order by all").fetchall()
    finally:
        con.close()


def query(db: Path, sql: str, params=()):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


# --------------------------------------------------------------------------- real values


def test_cassette_urls_are_the_recorded_ones_and_bodies_are_the_shared_files():
    recorded = json.loads((CASSETTE / "cassette.json").read_text())["interactions"]
    assert [normalise_url(i["request"]["url"]) for i in recorded] == [
        normalise_url(AVAILABILITY_URL),
        normalise_url(DATA_URL),
    ]
    # The source builds exactly these URLs from the demo settings.
    assert Imf.availability_url("USA") == AVAILABILITY_URL
    assert Imf.data_url("USA.XG_FOB_USD.G001+G998.A", "2023-01-01", "2026-01-01") == DATA_URL
    assert len(REAL_AVAILABILITY) == 1210  # the recorded Content-Length


def test_demo_loads_real_imts_values_in_whole_usd(tmp_path):
    r = run(tmp_path)
    assert r.status == "success", r.errors
    assert (r.partitions_planned, r.partitions_loaded, r.rows_loaded) == (1, 1, 4)
    assert r.requests_made == 2 and r.metadata_requests == 1
    rows = query(
        tmp_path / "w.duckdb",
        "select counterpart_code, time_period, obs_value, scale, unit, trade_flow, valuation, overlap, derivation_type,"
        " country_code, indicator, freq from raw.imf__imts order by counterpart_code, time_period",
    )
    assert rows == [
        ("G001", "2023", 2019551635133.0, "6", "USD", "XG", "FOB", "OL", "M", "USA", "XG_FOB_USD", "A"),
        ("G001", "2024", 2065411250609.0, "6", "USD", "XG", "FOB", "OL", "M", "USA", "XG_FOB_USD", "A"),
        ("G998", "2023", 369756760426.0, "6", "USD", "XG", "FOB", "OL", "M", "USA", "XG_FOB_USD", "A"),
        ("G998", "2024", 371064529410.0, "6", "USD", "XG", "FOB", "OL", "M", "USA", "XG_FOB_USD", "A"),
    ]
    # SCALE="6" is not applied: the retired DOTS API (values in millions) gave USA exports to the world in
    # 2023 as 2019551.635133 (shared/data/real/imf/legacy_dataservices_...json), i.e. the same whole dollars.
    world_2023 = rows[0][2]
    assert world_2023 == pytest.approx(2019551.635133 * 1e6, rel=1e-12)
    assert world_2023 < 1e13  # multiplied by 1e6 it would be 2e18
    stamp = query(tmp_path / "w.duckdb", "select source_updated_at, row_count, status from ops.partitions")
    assert stamp == [(REAL_STAMP, 4, "loaded")]


def test_parser_keeps_obs_value_as_published():
    rows, warnings = parse_structure_specific("imf", "recorded", REAL_XML)
    assert warnings == []
    assert {(r["counterpart_code"], r["time_period"]): r["obs_value"] for r in rows} == {
        ("G001", "2023"): 2019551635133.0,
        ("G001", "2024"): 2065411250609.0,
        ("G998", "2023"): 369756760426.0,
        ("G998", "2024"): 371064529410.0,
    }
    assert {r["scale"] for r in rows} == {"6"}


def test_availability_stamp_from_real_answers():
    stamp, values = availability_stamp("imf", "recorded", json.loads(REAL_AVAILABILITY))
    assert stamp == "series_count=2175;time_period_start=1948-01-01;time_period_end=2025-09-01"
    assert values == ["MG_CIF_USD", "TBG_USD", "XG_FOB_USD"]


# --------------------------------------------------------------------------- incremental behaviour


def test_rerun_makes_only_the_metadata_request_and_leaves_identical_tables(tmp_path):
    first = run(tmp_path)
    before = table(tmp_path / "w.duckdb")
    second = run(tmp_path)
    assert second.status == "success"
    assert second.requests_made == 1 and second.metadata_requests == 1  # zero data requests
    assert (second.partitions_skipped, second.partitions_loaded, second.rows_loaded) == (1, 0, 0)
    assert table(tmp_path / "w.duckdb") == before
    assert len(before) == first.rows_loaded == 4


def test_moved_stamp_refetches_and_replaces_without_duplicates(tmp_path):
    run(tmp_path)
    before = table(tmp_path / "w.duckdb")
    moved = constructed_cassette(tmp_path, "moved_time_period_end", moved_availability(), REAL_XML)
    r = run(tmp_path, moved)
    assert r.status == "success"
    assert r.requests_made == 2  # availability + data
    # Same bytes as loaded: nothing re-inserted (same rows, same _loaded_at); the new stamp is recorded.
    db = tmp_path / "w.duckdb"
    assert [row[:-1] for row in table(db)] == [row[:-1] for row in before]
    (stamp,) = query(db, "select source_updated_at from ops.partitions")[0]
    assert stamp == REAL_STAMP.replace("2025-09-01", "2025-10-01")
    assert query(db, "select distinct _source_updated_at from raw.imf__imts") in ([(stamp,)], [(REAL_STAMP,)])


def test_moved_stamp_with_new_values_replaces_the_partition(tmp_path):
    run(tmp_path)
    revised = REAL_XML.replace(b'OBS_VALUE="2065411250609"', b'OBS_VALUE="2065411250610"')
    assert revised != REAL_XML
    r = run(tmp_path, constructed_cassette(tmp_path, "revised_2024", moved_availability(), revised))
    assert r.status == "success" and r.partitions_loaded == 1
    rows = query(
        tmp_path / "w.duckdb",
        "select obs_value from raw.imf__imts where counterpart_code = 'G001' and time_period = '2024'",
    )
    assert rows == [(2065411250610.0,)]  # replaced, not appended
    assert query(tmp_path / "w.duckdb", "select count(*) from raw.imf__imts") == [(4,)]


# --------------------------------------------------------------------------- failures


@pytest.mark.parametrize(
    ("name", "body", "ctype", "expect"),
    [
        ("truncated_xml", REAL_XML[:1500], "application/xml", "invalid or truncated XML"),
        ("html_page", b"<!DOCTYPE html><html><body>Service unavailable</body></html>", "text/html", "HTML page"),
    ],
)
def test_bad_body_fails_naming_the_url_and_keeps_earlier_rows(tmp_path, name, body, ctype, expect):
    run(tmp_path)
    before = table(tmp_path / "w.duckdb")
    bad = constructed_cassette(tmp_path, name, moved_availability(), body, data_type=ctype)
    r = run(tmp_path, bad)
    assert r.status == "failed" and r.partitions_failed == 1
    (error,) = r.errors
    assert "[imf]" in error and "USA.XG_FOB_USD.G001+G998.A" in error and "api.imf.org" in error
    assert expect in error
    assert table(tmp_path / "w.duckdb") == before  # earlier rows intact
    db = tmp_path / "w.duckdb"
    assert query(db, "select status, error from ops.runs where run_id = ?", [r.run_id]) == [("failed", error)]
    logged = query(db, "select dataset, partition_key, error from ops.partition_errors where run_id = ?", [r.run_id])
    assert logged == [("imts", "country=USA/indicator=XG_FOB_USD/counterpart=G001+G998/freq=A", error)]
    assert query(db, "select source_updated_at from ops.partitions") == [(REAL_STAMP,)]  # still the loaded one


def test_truncated_xml_raises_bad_response_naming_where():
    with pytest.raises(BadResponse, match=r"\[imf\] https://x/data: invalid or truncated XML"):
        parse_structure_specific("imf", "https://x/data", REAL_XML[:-40])


def test_missing_series_dimension_is_schema_drift():
    broken = REAL_XML.replace(b'COUNTERPART_COUNTRY="G998" ', b"")
    with pytest.raises(SchemaDrift, match="series 2: required field 'COUNTERPART_COUNTRY' is missing") as info:
        parse_structure_specific("imf", "constructed", broken)
    assert info.value.field == "COUNTERPART_COUNTRY"


def test_availability_without_time_range_fails_the_plan(tmp_path):
    stripped = REAL_AVAILABILITY.replace(b',{"id":"time_period_end","title":"2025-09-01","type":"sdmx_metrics"}', b"")
    assert stripped != REAL_AVAILABILITY
    r = run(tmp_path, constructed_cassette(tmp_path, "no_time_period_end", stripped, REAL_XML))
    assert r.status == "failed" and r.requests_made == 1  # no data request without a stamp
    assert "USA.*.*.*/INDICATOR" in r.errors[0] and "'time_period_end' is missing" in r.errors[0]
    assert query(tmp_path / "w.duckdb", "select partition_key from ops.partition_errors") == [("plan",)]


def test_settings_reject_unknown_indicator(tmp_path):
    cfg = demo_config(tmp_path)
    text = cfg.path.read_text().replace(
        'indicators = ["XG_FOB_USD"]', 'indicators = ["TXG_FOB_USD"]'
    )  # retired DOTS name
    assert "TXG_FOB_USD" in text
    cfg.path.write_text(text)
    with pytest.raises(ConfigError) as err:  # refused when the config is loaded, before any request
        load_config(cfg.path)
    assert f"{cfg.path}: [sources.imf] indicators: Input should be 'XG_FOB_USD' or 'MG_CIF_USD'" in str(err.value)


def test_cassette_directory_is_self_contained(tmp_path):
    # The recording works from any place (the lead lists it in config/demo.toml).
    copy = tmp_path / "copy"
    shutil.copytree(CASSETTE, copy)
    assert run(tmp_path, copy).rows_loaded == 4
