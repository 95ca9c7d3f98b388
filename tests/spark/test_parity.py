"""Parity: the bundled data built on DuckDB (the demo) and on Spark local[2] give the same marts.

The raw and ops tables of the demo warehouse are exported as Parquet (the raw layer the spark target
reads), the same dbt project is built on Spark with its tests, and every mart is compared: EXCEPT ALL
both ways, money to the cent, ratios to 1e-9 (tradeflow/spark.py).
"""

from __future__ import annotations

import pytest

from tradeflow.spark import build_on_spark, compare_marts, export_raw_layer

pytestmark = pytest.mark.slow

MARTS = {
    "dim_countries",
    "dim_products",
    "eu_investment_central_asia",
    "fct_trade_flows",
    "fct_trade_flows_best",
    "russia_central_asia_trade",
    "sanctions_rerouting_indicators",
    "top_rerouted_products",
}


def test_every_mart_on_spark_equals_duckdb(demo_warehouse, tmp_path_factory):
    work = tmp_path_factory.mktemp("spark")
    raw = export_raw_layer(demo_warehouse, work / "raw")
    assert raw["raw.eurostat_comext__hs6_exports_eu27"] > 100_000
    build = build_on_spark(work / "raw", work / "spark", master="local[2]", timeout=2700)
    assert (work / "spark" / "marts" / "current").resolve() == build.marts_dir.resolve()
    counts, problems = compare_marts(demo_warehouse, build.marts_dir)
    assert [str(p) for p in problems] == []
    assert set(counts) >= MARTS
    assert all(counts[m] > 0 for m in MARTS), counts
    # Derby and the Spark warehouse stay in the work folder, never in the project
    assert (work / "spark" / "metastore_db").is_dir()
    assert (work / "spark" / "warehouse" / "marts.db").is_dir()
