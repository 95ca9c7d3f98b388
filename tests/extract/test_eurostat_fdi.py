"""Eurostat FDI: the JSON-stat 2.0 decoder, and bop_fdi6_pos/flow replayed through the real client.

The bundled cassette is constructed with ILLUSTRATIVE values (see its PROVENANCE.md): these tests
check decoding and loading, never the figures' meaning.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from extract.config import Config
from extract.errors import BadResponse, SchemaDrift
from extract.pipeline import extract
from extract.sources.eurostat_fdi import decode_jsonstat
from tests.helpers import PROJECT_DIR

CASSETTE = PROJECT_DIR / "data" / "recordings" / "eurostat_fdi" / "constructed_illustrative_bop_fdi6_eu27_ca3"
SETTINGS = {
    "datasets": ["bop_fdi6_pos", "bop_fdi6_flow"],
    "eurostat_geo": ["EU27_2020"],
    "eurostat_partners": ["KZ", "KG", "UZ"],
    "years": [2020, 2022],
    "filters": {
        "freq": "A",
        "currency": "MIO_EUR",
        "stk_flow": "NO",
        "nace_r2": "FDI",
        "entity": "TOTAL",
        "fdi_item": "DI__D__F",
    },
}

# geo(2) x partner(2) x time(3): flat index = geo*6 + partner*3 + time
CUBE = {
    "version": "2.0",
    "class": "dataset",
    "id": ["geo", "partner", "time"],
    "size": [2, 2, 3],
    "dimension": {
        "geo": {"category": {"index": {"DE": 0, "FR": 1}}},
        "partner": {"category": {"index": {"UZ": 1, "KZ": 0}, "label": {"KZ": "Kazakhstan", "UZ": "Uzbekistan"}}},
        "time": {"category": {"index": ["2020", "2021", "2022"]}},
    },
    "value": {"0": 1.5, "2": 3.0, "4": 0, "7": -2.25, "11": 12.0},
    "status": {"1": "c", "2": "p", "8": ":", "11": "e"},
    "updated": "2024-10-23T23:00:00+0200",
}
EXPECTED = [  # worked out by hand from the flat indexes present in value or status
    ("DE", "KZ", "2020", 1.5, None),  # 0
    ("DE", "KZ", "2021", None, "c"),  # 1: confidential, no value
    ("DE", "KZ", "2022", 3.0, "p"),  # 2
    ("DE", "UZ", "2021", 0.0, None),  # 4 = 0*6 + 1*3 + 1
    ("FR", "KZ", "2021", -2.25, None),  # 7 = 1*6 + 0*3 + 1
    ("FR", "KZ", "2022", None, ":"),  # 8: not available
    ("FR", "UZ", "2022", 12.0, "e"),  # 11
]  # cells 3, 5, 6, 9, 10 are absent


def test_decoder_sparse_cube_with_missing_cells_and_flags():
    frame = decode_jsonstat(CUBE)
    assert frame.columns == ["geo", "partner", "time", "value", "status"]
    assert frame.rows() == EXPECTED


def test_decoder_dense_arrays_give_the_same_rows():
    dense = json.loads(json.dumps(CUBE))
    dense["value"] = [1.5, None, 3.0, None, 0, None, None, -2.25, None, None, None, 12.0]
    dense["status"] = [None, "c", "p", None, None, None, None, None, ":", None, None, "e"]
    assert decode_jsonstat(dense).rows() == EXPECTED


def test_decoder_one_status_for_all_values():
    one = {**CUBE, "status": "p"}
    assert [r[-1] for r in decode_jsonstat(one).rows()] == ["p"] * 5


@pytest.mark.parametrize(
    ("change", "error", "text"),
    [
        ({"value": [1.0] * 11}, BadResponse, "value array has 11 cells but size implies 12"),
        ({"value": {"12": 1.0}}, SchemaDrift, "outside the cube of 12 cells"),
        ({"value": {"0": "1.5"}}, SchemaDrift, "value of cell 0 is '1.5', not a number"),
        ({"size": [2, 2, 4]}, SchemaDrift, "dimension 'time' has 3 categories but size says 4"),
        ({"id": ["geo", "partner"]}, SchemaDrift, "do not match"),
    ],
)
def test_decoder_refuses_broken_cubes(change, error, text):
    with pytest.raises(error, match=text):
        decode_jsonstat({**CUBE, **change}, source="eurostat_fdi", where="https://x")


def test_decoder_requires_value():
    cube = {k: v for k, v in CUBE.items() if k != "value"}
    with pytest.raises(SchemaDrift) as caught:
        decode_jsonstat(cube)
    assert caught.value.field == "value"


def cfg(tmp_path: Path, cassette: Path = CASSETTE) -> Config:
    return Config(
        path=tmp_path / "t.toml",
        mode="replay",
        cassettes=[cassette],
        lookback_periods=0,
        sources={"eurostat_fdi": json.loads(json.dumps(SETTINGS))},
    )


def go(c: Config, tmp_path: Path):
    return extract(c, ["eurostat_fdi"], tmp_path / "w.duckdb", landing=tmp_path / "landing")


def query(db: Path, sql: str):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_positions_and_flows_load_through_the_pipeline(tmp_path):
    run = go(cfg(tmp_path), tmp_path)
    db = tmp_path / "w.duckdb"
    assert run.status == "success", run.errors
    assert run.requests_made == 4  # per dataset: lastTimePeriod=1 (metadata, `updated`) + the data
    assert query(
        db, "select partner, time_period, value, status from raw.eurostat_fdi__positions order by partner, time_period"
    ) == [
        ("KG", "2020", None, "c"),
        ("KG", "2021", 5.0, "e"),
        ("KZ", "2020", 100.0, None),
        ("KZ", "2021", 110.5, None),
        ("KZ", "2022", 120.0, "p"),
        ("UZ", "2020", 7.25, None),
        ("UZ", "2021", None, ":"),
        ("UZ", "2022", 9.0, "p"),
    ]
    # the flows body is a dense array with nulls
    assert query(db, "select count(*), count(value) from raw.eurostat_fdi__flows") == [(5, 4)]
    row = query(
        db,
        "select dataset_code, freq, currency, stk_flow, nace_r2, entity, fdi_item, partner_label, geo, year, "
        "extra_dims, dataset_updated, _source_updated_at from raw.eurostat_fdi__positions where partner='KZ' "
        "and year=2022",
    )
    assert row == [
        (
            "bop_fdi6_pos",
            "A",
            "MIO_EUR",
            "NO",
            "FDI",
            "TOTAL",
            "DI__D__F",
            "Kazakhstan",
            "EU27_2020",
            2022,
            None,
            "2024-10-23T23:00:00+0200",
            "2024-10-23T23:00:00+0200",
        )
    ]
    types = dict(query(db, "select column_name, column_type from (describe raw.eurostat_fdi__positions)"))
    assert (types["value"], types["year"], types["status"]) == ("DOUBLE", "INTEGER", "VARCHAR")


def test_rerun_adds_no_rows_and_only_asks_metadata(tmp_path):
    go(cfg(tmp_path), tmp_path)
    run = go(cfg(tmp_path), tmp_path)
    assert (run.status, run.partitions_loaded, run.partitions_skipped, run.requests_made) == ("success", 0, 2, 2)
    assert query(tmp_path / "w.duckdb", "select count(*) from raw.eurostat_fdi__positions") == [(8,)]


def _changed_cassette(tmp_path: Path) -> Path:
    target = tmp_path / "cassette"
    shutil.copytree(CASSETTE, target)
    meta = target / "pos_meta.json"
    meta.write_text(meta.read_text().replace("2024-10-23T23:00:00+0200", "2025-04-24T11:00:00+0200"))
    return target


def test_truncated_jsonstat_fails_and_keeps_earlier_rows(tmp_path):
    go(cfg(tmp_path), tmp_path)
    broken = _changed_cassette(tmp_path)
    body = (broken / "pos.json").read_bytes()
    (broken / "pos.json").write_bytes(body[: len(body) // 2])
    run = go(cfg(tmp_path, broken), tmp_path)
    db = tmp_path / "w.duckdb"
    status, error = query(db, "select status, error from ops.runs order by started_at desc limit 1")[0]
    assert run.status == status == "failed"
    assert "data/bop_fdi6_pos?" in error and "truncated JSON" in error
    assert query(db, "select count(*) from raw.eurostat_fdi__positions") == [(8,)]
    assert query(db, "select partition_key from ops.partition_errors") == [("dataset=bop_fdi6_pos/geo=EU27_2020",)]


def test_a_cube_missing_its_size_fails_naming_the_field(tmp_path):
    broken = _changed_cassette(tmp_path)
    doc = json.loads((broken / "pos.json").read_text())
    del doc["size"]
    (broken / "pos.json").write_text(json.dumps(doc))
    run = go(cfg(tmp_path, broken), tmp_path)
    assert run.status == "failed"
    assert any("required field 'size' is missing" in e and "bop_fdi6_pos" in e for e in run.errors)


def test_an_error_object_is_a_bad_response(tmp_path):
    broken = _changed_cassette(tmp_path)
    (broken / "pos_meta.json").write_text(
        '{"error":[{"status":400,"id":100,"label":"No data found: the query matches no data."}]}'
    )
    run = go(cfg(tmp_path, broken), tmp_path)
    assert run.status == "failed"
    assert any("Eurostat error: No data found" in e and "lastTimePeriod=1" in e for e in run.errors)
