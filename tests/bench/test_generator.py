"""The benchmark's synthetic data: deterministic, accepted by the real Comext parser, and the floor query
gives the index computed here by hand. Tiny universe (3 members, 3 partners, 60 HS6 codes): < 5 s."""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from bench import reference
from bench.generate import AGGREGATE, Spec, file_name, generate, months_between
from extract.load import load_partition
from extract.sources.eurostat_comext import EurostatComext

SPEC = Spec(
    rows=6_000,
    seed=7,
    first_month="2019-01",
    last_month="2022-12",
    products=60,
    members=["DEU", "FRA", "MLT"],
    partners=["KAZ", "RUS", "USA"],
)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench_gen")
    return out, generate(SPEC, out)


def _rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_same_seed_same_bytes_other_seed_other_bytes(generated, tmp_path):
    out, gen = generated
    month = ["2021-06"]
    again = generate(SPEC, tmp_path / "again", months=month)
    generate(Spec(**{**SPEC.__dict__, "seed": 8}), tmp_path / "other", months=month)
    first = (out / file_name("2021-06")).read_bytes()
    assert (tmp_path / "again" / file_name("2021-06")).read_bytes() == first
    assert (tmp_path / "other" / file_name("2021-06")).read_bytes() != first
    assert again.scale_c == gen.scale_c
    # the calibration hits the requested scale (expected rows within 0.2 %, drawn rows within 10 %)
    assert abs(gen.expected_rows - SPEC.rows) <= 0.002 * SPEC.rows
    assert abs(gen.rows - SPEC.rows) <= 0.1 * SPEC.rows
    assert len(gen.files) == len(months_between(SPEC.first_month, SPEC.last_month))


def test_real_parser_accepts_a_generated_file(generated):
    out, gen = generated
    path = out / file_name("2022-05")
    lines = _rows(path)
    src = EurostatComext({"files": [path]})
    partition = src._file_partition(path)
    assert partition.dataset == "web_export"
    frame = src.parse(partition, src.fetch(None, partition)).frame
    assert frame.height == len(lines) == gen.files[str(path)]
    assert set(frame["reporter"]) <= {"DE", "FR", "MT", AGGREGATE}
    assert set(frame["partner"]) <= {"KZ", "RU", "US"}
    assert set(frame["period"]) == {"2022-05"} and set(frame["freq"]) == {"M"}
    assert set(frame["flow"]) <= {"1", "2"}
    # values computed from the CSV text: EU27 = sum of the members, TOTAL = sum of the HS6 rows
    members, eu27, hs6_sum, total = defaultdict(int), {}, defaultdict(int), {}
    for r in lines:
        rep, key = r["REPORTER"], (r["PARTNER"], r["FLOW"], r["PRODUCT"])
        value = int(r["VALUE_IN_EUR"])
        if r["PRODUCT"] == "TOTAL-Total":
            total[(rep, r["PARTNER"], r["FLOW"])] = value
            continue
        hs6_sum[(rep, r["PARTNER"], r["FLOW"])] += value
        if rep.startswith("European Union - 27"):
            eu27[key] = value
        else:
            members[key] += value
    assert eu27 == dict(members)
    assert total == dict(hs6_sum)
    assert frame["value_eur"].sum() == sum(int(r["VALUE_IN_EUR"]) for r in lines)


def test_floor_query_gives_the_index_computed_by_hand(generated):
    out, gen = generated
    src = EurostatComext({})
    con = duckdb.connect()
    for p in sorted(gen.files):
        path = Path(p)
        partition = src._file_partition(path)
        frame = src.parse(partition, src.fetch(None, partition)).frame
        load_partition(
            con,
            source=src.name,
            dataset=src.datasets["web_export"],
            partition_key=path.name,
            frame=frame,
            source_updated_at=None,
            fetched_at=datetime(2025, 1, 1),
            sha256="x",
            landing_path="x",
            run_id="t",
        )
    got = {(r[0], r[1], r[2]): r[5] for r in reference.floor(con).iter_rows()}
    # by hand, scope 'all' (TOTAL rows): EU27 exports to Kazakhstan per complete year vs the 2019-2021 mean
    by_year, months = defaultdict(float), defaultdict(set)
    for p in gen.files:
        for r in _rows(Path(p)):
            if (
                r["REPORTER"].startswith("European Union - 27")
                and r["PARTNER"] == "Kazakhstan"
                and r["FLOW"] == "2-EXPORT"
                and r["PRODUCT"] == "TOTAL-Total"
            ):
                by_year[int(r["PERIOD"][:4])] += int(r["VALUE_IN_EUR"])
                months[int(r["PERIOD"][:4])].add(r["PERIOD"])
    complete = {y: v for y, v in by_year.items() if len(months[y]) == 12}
    assert {2019, 2020, 2021, 2022} <= set(complete)
    baseline = (complete[2019] + complete[2020] + complete[2021]) / 3
    for year, value in complete.items():
        assert got[("KZ", "all", year)] == pytest.approx(100 * value / baseline, rel=1e-12)
    assert got[("KZ", "all", 2022)] != pytest.approx(100.0)  # the sanctions effect moves the index
    # the floor from the CSV files themselves (labels matched through the seed) gives the same rows
    from_files = reference.floor_files(duckdb.connect(), sorted(gen.files))
    files_got = {(r[0], r[1], r[2]): r[5] for r in from_files.iter_rows()}
    assert files_got.keys() == got.keys()
    assert all(files_got[k] == pytest.approx(v, rel=1e-12) for k, v in got.items())
