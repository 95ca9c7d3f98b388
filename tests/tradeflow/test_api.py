"""The analysts' way in: `tradeflow query` in every format, `tradeflow marts`, and the Python API
(`tradeflow.connect`, `tradeflow.read_mart`, `tradeflow.query`), against the demo warehouse, read-only.

Every expected value is read from the warehouse with a plain read-only DuckDB connection, not through the API."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import polars as pl
import pytest

import tradeflow
from tests.helpers import run_tradeflow

pytestmark = pytest.mark.slow

SQL = (
    "select transit_code, period_start, index_vs_baseline, flag from marts.sanctions_rerouting_indicators "
    "where frequency = 'A' and product_scope = 'chpl' and transit_code in ('KGZ', 'KAZ') order by 1, 2"
)


def direct(db, sql, params=None):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


@pytest.fixture()
def env(demo_warehouse):
    return {"TRADEFLOW_DB": str(demo_warehouse)}


# ------------------------------------------------------------------------------------------ tradeflow query


def test_query_table_csv_json_and_parquet_give_the_same_rows(demo_warehouse, env, tmp_path):
    expected = direct(demo_warehouse, SQL)
    assert len(expected) >= 6 and {r[0] for r in expected} == {"KAZ", "KGZ"}
    kgz_2022 = next(r for r in expected if r[0] == "KGZ" and r[1] == dt.date(2022, 1, 1))

    table = run_tradeflow("query", SQL, env=env).stdout
    assert f"{len(expected)} rows" in table
    assert "transit_code" in table and "index_vs_baseline" in table
    assert f"{kgz_2022[2]:.6f}"[:7] in table and kgz_2022[3] in table

    csv_text = run_tradeflow("query", SQL, "--format", "csv", env=env).stdout
    frame = pl.read_csv(csv_text.encode(), try_parse_dates=True)
    assert frame.columns == ["transit_code", "period_start", "index_vs_baseline", "flag"]
    assert [tuple(r) for r in frame.iter_rows()] == expected

    rows = json.loads(run_tradeflow("query", SQL, "--format", "json", env=env).stdout)
    assert len(rows) == len(expected)
    assert rows[0] == {
        "transit_code": expected[0][0],
        "period_start": expected[0][1].isoformat(),
        "index_vs_baseline": expected[0][2],
        "flag": expected[0][3],
    }

    out = tmp_path / "out" / "rows.parquet"
    out.parent.mkdir()
    proc = run_tradeflow("query", SQL, "--format", "parquet", "--output", str(out), env=env)
    assert f"{len(expected)} rows -> {out}" in proc.stderr
    assert [tuple(r) for r in pl.read_parquet(out).iter_rows()] == expected

    to_file = tmp_path / "out" / "rows.csv"
    run_tradeflow("query", SQL, "--format", "csv", "-o", str(to_file), env=env)
    assert to_file.read_text() == csv_text


def test_query_refuses_what_is_not_a_read_and_says_why(demo_warehouse, env, tmp_path):
    target = tmp_path / "leak.csv"
    for sql, kind in [
        (f"copy (select 1) to '{target}'", "COPY"),
        ("create table marts.x as select 1", "CREATE"),
        (f"attach '{tmp_path / 'other.duckdb'}' as other", "ATTACH"),
        ("delete from marts.dim_countries", "DELETE"),
    ]:
        proc = run_tradeflow("query", sql, env=env, check=False)
        assert proc.returncode == 1, sql
        assert "only read queries run here" in proc.stderr and kind in proc.stderr, proc.stderr
    assert not target.exists() and not (tmp_path / "other.duckdb").exists()
    assert direct(demo_warehouse, "select count(*) from information_schema.tables where table_name = 'x'") == [(0,)]

    two = run_tradeflow("query", "select 1; select 2", env=env, check=False)
    assert two.returncode == 1 and "exactly one SQL statement (got 2)" in two.stderr
    bad = run_tradeflow("query", "select * from marts.no_such_mart", env=env, check=False)
    assert bad.returncode == 1 and "the query failed" in bad.stderr and "no_such_mart" in bad.stderr
    usage = run_tradeflow("query", "select 1", "--format", "parquet", env=env, check=False)
    assert usage.returncode == 2 and "--format parquet needs --output" in usage.stderr
    missing = run_tradeflow("query", "select 1", env={"TRADEFLOW_DB": str(tmp_path / "none.duckdb")}, check=False)
    assert missing.returncode == 1 and f"no warehouse at {tmp_path / 'none.duckdb'}" in missing.stderr


# ------------------------------------------------------------------------------------------ tradeflow marts


def test_marts_lists_grain_rows_and_freshness(demo_warehouse, env):
    listed = {m["name"]: m for m in json.loads(run_tradeflow("marts", "--json", env=env).stdout)}
    tables = {
        r[0]
        for r in direct(demo_warehouse, "select table_name from information_schema.tables where table_schema = 'marts'")
    }
    assert set(listed) == tables
    for name, m in listed.items():
        assert m["rows"] == direct(demo_warehouse, f'select count(*) from marts."{name}"')[0][0], name
        assert m["grain"] != "not declared", name
    assert listed["sanctions_rerouting_indicators"]["grain"] == "transit_code, period_start, frequency, product_scope"
    assert listed["dim_countries"]["grain"] == "country_code"
    latest = direct(demo_warehouse, "select max(period_start) from marts.russia_central_asia_trade")[0][0]
    assert listed["russia_central_asia_trade"]["latest_period"] == latest.isoformat()
    (version,) = direct(demo_warehouse, "select version from ops.builds")[0]
    assert {m["version"] for m in listed.values()} == {version}

    text = run_tradeflow("marts", env=env).stdout
    assert f"version {version}" in text
    rows = listed["fct_trade_flows"]["rows"]
    assert any(line.startswith("fct_trade_flows ") and f"{rows:,}" in line for line in text.splitlines())


# ------------------------------------------------------------------------------------------ the Python API


def test_connect_is_read_only_and_resolves_tradeflow_db(demo_warehouse, monkeypatch, tmp_path):
    monkeypatch.setenv("TRADEFLOW_DB", str(demo_warehouse))
    with tradeflow.connect() as con:
        assert con.execute("select count(*) from marts.dim_countries").fetchone()[0] > 200
        with pytest.raises(duckdb.Error, match="read-only"):
            con.execute("create table marts.scratch as select 1")
    monkeypatch.setenv("TRADEFLOW_DB", str(tmp_path / "absent.duckdb"))
    with pytest.raises(tradeflow.ApiError, match="no warehouse at .*absent.duckdb.*tradeflow demo"):
        tradeflow.connect()


def test_read_mart_with_filters_matches_sql(demo_warehouse):
    frame = tradeflow.read_mart(
        "russia_central_asia_trade", db=demo_warehouse, country_code="KGZ", frequency="A", partner_code=["RUS", "CHN"]
    )
    assert isinstance(frame, pl.DataFrame)
    expected = direct(
        demo_warehouse,
        "select count(*), sum(value_usd) from marts.russia_central_asia_trade "
        "where country_code = 'KGZ' and frequency = 'A' and partner_code in ('RUS', 'CHN')",
    )[0]
    assert frame.height == expected[0] > 20
    assert frame["value_usd"].sum() == pytest.approx(expected[1])
    assert set(frame["partner_code"]) == {"RUS", "CHN"} and set(frame["country_code"]) == {"KGZ"}

    # columns, a boolean, an integer and a null filter
    top = tradeflow.read_mart(
        "marts.top_rerouted_products",
        db=demo_warehouse,
        columns=["product_code", "excess_eur"],
        year=2022,
        is_chpl=True,
    )
    assert top.columns == ["product_code", "excess_eur"]
    assert (
        top.height
        == direct(demo_warehouse, "select count(*) from marts.top_rerouted_products where year = 2022 and is_chpl")[0][
            0
        ]
    )
    no_flag = tradeflow.read_mart("sanctions_rerouting_indicators", db=demo_warehouse, flag=None)
    assert (
        no_flag.height
        == direct(demo_warehouse, "select count(*) from marts.sanctions_rerouting_indicators where flag is null")[0][0]
    )

    # a value is a parameter, never SQL
    assert tradeflow.read_mart("dim_countries", db=demo_warehouse, country_code="KGZ' or '1'='1").height == 0

    as_pandas = tradeflow.read_mart("dim_countries", db=demo_warehouse, pandas=True, is_central_asia=True)
    assert type(as_pandas).__name__ == "DataFrame" and hasattr(as_pandas, "iloc")
    assert sorted(as_pandas["country_code"]) == ["KAZ", "KGZ", "TJK", "TKM", "UZB"]


def test_read_mart_refuses_unknown_names_and_lists_the_valid_ones(demo_warehouse):
    with pytest.raises(tradeflow.ApiError, match="no mart 'fct_trade' in the warehouse; the marts: dim_countries"):
        tradeflow.read_mart("fct_trade", db=demo_warehouse)
    with pytest.raises(tradeflow.ApiError, match="has no column transit; its columns: transit_code, year"):
        tradeflow.read_mart("top_rerouted_products", db=demo_warehouse, transit="KGZ")
    with pytest.raises(tradeflow.ApiError, match="has no column nope"):
        tradeflow.read_mart("top_rerouted_products", db=demo_warehouse, columns=["year", "nope"])
    with pytest.raises(tradeflow.ApiError, match="matches nothing"):
        tradeflow.read_mart("top_rerouted_products", db=demo_warehouse, transit_code=[])
    with pytest.raises(tradeflow.ApiError, match="give a string, number"):
        tradeflow.read_mart("top_rerouted_products", db=demo_warehouse, transit_code={"a": 1})


def test_query_api_returns_polars_and_refuses_writes(demo_warehouse):
    frame = tradeflow.query(SQL, db=demo_warehouse)
    assert [tuple(r) for r in frame.iter_rows()] == direct(demo_warehouse, SQL)
    with pytest.raises(tradeflow.ApiError, match="this is a DROP statement"):
        tradeflow.query("drop table marts.dim_countries", db=demo_warehouse)
