"""compare_marts (the parity check's comparison) on tiny DuckDB files and Parquet folders: no Spark."""

from __future__ import annotations

import json

import duckdb

from tradeflow.spark import compare_marts, export_raw_layer, parity_summary, skipped_on_spark


def _warehouse(path, rows):
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    con.execute("create table marts.flows (code varchar, period date, value_usd double, ratio double)")
    con.executemany("insert into marts.flows values (?, ?, ?, ?)", rows)
    con.close()
    return path


def _spark_side(tmp_path, rows, name="flows"):
    """What Spark writes for a mart: a folder of Parquet files, partition column last."""
    folder = tmp_path / "spark" / name
    folder.mkdir(parents=True)
    con = duckdb.connect()
    con.execute("create table t (value_usd double, ratio double, code varchar, period date)")
    if rows:
        con.executemany("insert into t values (?, ?, ?, ?)", rows)
    con.execute(f"copy t to '{folder}/part-00000.parquet' (format parquet)")
    return tmp_path / "spark"


ROWS = [("KAZ", "2023-01-01", 1234.565001, 0.1234567891), ("KAZ", "2023-01-01", 1234.565001, 0.1234567891)]


def test_equal_within_a_cent_and_1e9(tmp_path):
    db = _warehouse(tmp_path / "a.duckdb", ROWS)
    # summed in another order: a few ulps apart, the same to the cent and to 1e-9
    spark = _spark_side(tmp_path, [(1234.5650010000002, 0.12345678910000001, "KAZ", "2023-01-01")] * 2)
    counts, problems, skipped = compare_marts(db, spark)
    assert counts == {"flows": 2}
    assert problems == []
    assert skipped == {}


def test_a_cent_off_and_a_missing_duplicate_are_differences(tmp_path):
    db = _warehouse(tmp_path / "a.duckdb", ROWS)
    spark = _spark_side(tmp_path, [(1234.58, 0.1234567891, "KAZ", "2023-01-01")])
    counts, problems, skipped = compare_marts(db, spark)
    assert counts == {"flows": 2}
    assert len(problems) == 1
    assert (problems[0].mart, problems[0].only_duckdb, problems[0].only_spark) == ("flows", 2, 1)
    assert "2 rows only on DuckDB, 1 only on Spark" in str(problems[0])


def test_ratio_beyond_1e9_is_a_difference(tmp_path):
    db = _warehouse(tmp_path / "a.duckdb", ROWS[:1])
    spark = _spark_side(tmp_path, [(1234.565001, 0.1234567911, "KAZ", "2023-01-01")])
    _, problems, _ = compare_marts(db, spark)
    assert [(p.only_duckdb, p.only_spark) for p in problems] == [(1, 1)]


def test_missing_mart_and_missing_column(tmp_path):
    db = _warehouse(tmp_path / "a.duckdb", ROWS)
    con = duckdb.connect(str(db))
    con.execute("create table marts.other (x integer)")
    con.close()
    spark = _spark_side(tmp_path, [(1.0, 0.5, "KAZ", "2023-01-01")])
    extra = tmp_path / "spark" / "only_spark"
    extra.mkdir()
    _, problems, _ = compare_marts(db, spark)
    text = sorted(str(p) for p in problems)
    assert text[0].startswith("flows: rows differ")
    assert text[1] == "only_spark: built on Spark, not on DuckDB"
    assert text[2].startswith("other: no Parquet files in")


def test_export_raw_layer_writes_every_raw_and_ops_table(tmp_path):
    db = tmp_path / "w.duckdb"
    con = duckdb.connect(str(db))
    con.execute("create schema raw; create schema ops; create schema marts")
    con.execute("create table raw.src__data as select * from (values ('a', 1), ('b', 2)) t(k, v)")
    con.execute("create table ops.partitions (source varchar)")
    con.execute("create table marts.m as select 1 as x")
    con.close()
    counts = export_raw_layer(db, tmp_path / "raw")
    assert counts == {"raw.src__data": 2, "ops.partitions": 0}
    assert sorted(p.name for p in (tmp_path / "raw").iterdir()) == ["ops", "raw"]
    rows = duckdb.execute(f"select * from '{tmp_path}/raw/raw/src__data/*.parquet' order by k").fetchall()
    assert rows == [("a", 1), ("b", 2)]
    # a second export replaces the layer whole
    con = duckdb.connect(str(db))
    con.execute("delete from raw.src__data where k = 'a'")
    con.close()
    assert export_raw_layer(db, tmp_path / "raw")["raw.src__data"] == 1
    assert duckdb.execute(f"select count(*) from '{tmp_path}/raw/raw/src__data/*.parquet'").fetchone() == (1,)


REASON = "a dbt Python model: not on the spark target"


def _with_python_mart(tmp_path):
    db = _warehouse(tmp_path / "a.duckdb", ROWS)
    con = duckdb.connect(str(db))
    con.execute("create table marts.estimates (term varchar, estimate double)")
    con.close()
    return db


def test_a_mart_skipped_with_a_reason_is_reported_not_compared(tmp_path):
    db = _with_python_mart(tmp_path)
    spark = _spark_side(tmp_path, [(1234.565001, 0.1234567891, "KAZ", "2023-01-01")] * 2)
    counts, problems, skipped = compare_marts(db, spark, skipped={"estimates": REASON})
    assert (counts, problems, skipped) == ({"flows": 2}, [], {"estimates": REASON})
    assert parity_summary(counts, problems, skipped).splitlines() == [
        "flows: equal (2 rows)",
        f"estimates: skipped on Spark: {REASON}",
    ]
    # without the skip list the same build is a missing mart
    _, problems, _ = compare_marts(db, spark)
    assert [str(p) for p in problems] == [f"estimates: no Parquet files in {spark / 'estimates'}"]


def test_a_skip_without_reason_or_a_skipped_mart_built_anyway_is_a_difference(tmp_path):
    db = _with_python_mart(tmp_path)
    spark = _spark_side(tmp_path, [(1234.565001, 0.1234567891, "KAZ", "2023-01-01")] * 2)
    _, problems, skipped = compare_marts(db, spark, skipped={"estimates": None})
    assert skipped == {}
    assert [str(p) for p in problems] == ["estimates: not built on Spark and no reason given (meta.skipped_on_spark)"]
    (spark / "estimates").mkdir()
    _, problems, skipped = compare_marts(db, spark, skipped={"estimates": REASON})
    assert skipped == {}
    assert [str(p) for p in problems] == ["estimates: disabled on the spark target, yet built on Spark"]
    assert parity_summary({"flows": 2}, problems, skipped).splitlines() == [
        "flows: equal (2 rows)",
        "DIFFERENT estimates: disabled on the spark target, yet built on Spark",
    ]


def test_skipped_on_spark_reads_the_disabled_marts_of_a_manifest(tmp_path):
    manifest = tmp_path / "manifest.json"
    disabled = {
        "model.tradeflow.estimates": [
            {
                "resource_type": "model",
                "name": "estimates",
                "alias": "estimates",
                "schema": "marts",
                "config": {"meta": {"skipped_on_spark": "a dbt Python model:\n  not here"}},
            }
        ],
        "model.tradeflow.no_reason": [
            {"resource_type": "model", "name": "no_reason", "alias": "no_reason", "schema": "marts", "config": {}}
        ],
        "model.tradeflow.int_view": [{"resource_type": "model", "name": "int_view", "schema": "intermediate"}],
        "exposure.tradeflow.bi": [{"resource_type": "exposure", "name": "bi"}],
    }
    manifest.write_text(json.dumps({"nodes": {}, "disabled": disabled}))
    assert skipped_on_spark(manifest) == {"estimates": "a dbt Python model: not here", "no_reason": None}


def test_values_an_ulp_apart_across_a_half_cent_are_equal_to_the_cent(tmp_path):
    # 275 EUR x a rate: 280.535 give or take an ulp; rounded, one side is 280.54 and the other 280.53
    db = _warehouse(tmp_path / "a.duckdb", [("ARM", "2022-11-01", 280.53500000000003, 0.5)])
    spark = _spark_side(tmp_path, [(280.53499999999997, 0.5, "ARM", "2022-11-01")])
    counts, problems, _ = compare_marts(db, spark)
    assert (counts, problems) == ({"flows": 1}, [])


def test_values_across_a_half_cent_but_more_than_half_a_cent_apart_differ(tmp_path):
    db = _warehouse(tmp_path / "a.duckdb", [("ARM", "2022-11-01", 280.536, 0.5)])
    spark = _spark_side(tmp_path, [(280.529, 0.5, "ARM", "2022-11-01")])
    _, problems, _ = compare_marts(db, spark)
    assert [(p.mart, p.only_duckdb, p.only_spark) for p in problems] == [("flows", 1, 1)]
    # and a ratio an ulp apart across 5e-10 is equal, one 1e-9 apart is not
    db2 = _warehouse(tmp_path / "b.duckdb", [("ARM", "2022-11-01", 1.0, 0.12345678950000001)])
    spark2 = _spark_side(tmp_path / "r", [(1.0, 0.1234567894999999, "ARM", "2022-11-01")])
    assert compare_marts(db2, spark2)[1] == []
    db3 = _warehouse(tmp_path / "c.duckdb", [("ARM", "2022-11-01", 1.0, 0.1234567896)])
    spark3 = _spark_side(tmp_path / "s", [(1.0, 0.1234567886, "ARM", "2022-11-01")])
    assert len(compare_marts(db3, spark3)[1]) == 1
