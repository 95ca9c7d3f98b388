"""What docs/bi.md promises BI tools: every mart reads the same through SQLAlchemy (duckdb-engine, read-only
URL), through the Parquet export next to the published file and through DuckDB directly; a read-only
SQLAlchemy connection cannot write; and a reader sees a new version only after re-opening."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest
import sqlalchemy as sa
from polars.testing import assert_frame_equal
from sqlalchemy.pool import NullPool

from tests.helpers import PROJECT_DIR
from tradeflow import publish

COMEXT = PROJECT_DIR / "data" / "files" / "eurostat_comext"
EU27_LABEL = "European Union - 27 countries"
MONTHS = {
    m: i
    for i, m in enumerate(["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], start=1)
}


def read_only_url(path: Path) -> str:
    """The URL docs/bi.md gives: duckdb:/// + absolute path (four slashes), DuckDB config as query."""
    assert path.is_absolute()
    return f"duckdb:///{path}?access_mode=read_only"


def parquet_file(published: Path, mart: str) -> Path:
    return Path(str(published) + ".parquet") / "current" / f"{mart}.parquet"


@pytest.fixture(scope="module")
def direct(demo_warehouse) -> dict:
    """Every table of schema marts read with a plain read-only DuckDB connection (closed afterwards: one
    process may not hold the same file open with two configurations)."""
    con = duckdb.connect(str(demo_warehouse), read_only=True)
    try:
        tables = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts' order by 1"
            ).fetchall()
        ]
        out = {"tables": tables, "counts": {}, "row_hashes": {}, "frames": {}, "columns": {}}
        for table in tables:
            cursor = con.execute(f'select * from marts."{table}"')
            out["columns"][table] = [d[0] for d in cursor.description]
            out["row_hashes"][table] = sorted(hash(tuple(row)) for row in cursor.fetchall())
            out["counts"][table] = con.execute(f'select count(*) from marts."{table}"').fetchall()[0][0]
            out["frames"][table] = con.sql(f'select * from marts."{table}"').pl()
        out["version"] = con.execute("select version from ops.builds").fetchall()
    finally:
        con.close()
    return out


@pytest.fixture()
def engine(demo_warehouse):
    eng = sa.create_engine(read_only_url(demo_warehouse), poolclass=NullPool)
    yield eng
    eng.dispose()


def kgz_monthly_index_2022() -> dict[int, float]:
    """100 x EU27 exports to Kyrgyzstan in each month of 2022 / the mean of that month in 2019-2021, from
    the monthly Comext file (not through dbt)."""
    frame = pl.read_csv(COMEXT / "eu_member_exports_to_KG_monthly_2019-2024.csv", infer_schema=False)
    values = {}
    for period, value in (
        frame.filter(pl.col("REPORTER").str.starts_with(EU27_LABEL)).select("PERIOD", "VALUE_IN_EUR").iter_rows()
    ):
        match = re.search(r"([A-Z][a-z]{2})\. (\d{4})$", period)
        values[(int(match.group(2)), MONTHS[match.group(1)])] = float(value)
    return {
        m: 100 * values[(2022, m)] / ((values[(2019, m)] + values[(2020, m)] + values[(2021, m)]) / 3)
        for m in range(1, 13)
    }


MAX_KGZ_2022 = """
    select max(index_vs_baseline) from {relation}
    where transit_code = 'KGZ' and product_scope = 'all' and frequency = 'M'
      and period_start between date '2022-01-01' and date '2022-12-01'
"""


def test_the_warehouse_has_the_marts_the_docs_list(direct):
    assert set(direct["tables"]) >= {
        "dim_countries",
        "dim_products",
        "fct_trade_flows",
        "fct_trade_flows_best",
        "sanctions_rerouting_indicators",
        "top_rerouted_products",
        "eu_investment_central_asia",
    }
    assert all(direct["counts"][t] > 0 for t in direct["tables"]), direct["counts"]


def test_sqlalchemy_lists_every_mart(direct, engine):
    assert sorted(sa.inspect(engine).get_table_names(schema="marts")) == direct["tables"]


def test_every_mart_reads_the_same_through_sqlalchemy(direct, engine):
    with engine.connect() as conn:
        for table in direct["tables"]:
            result = conn.execute(sa.text(f'select * from marts."{table}"'))
            assert list(result.keys()) == direct["columns"][table], table
            hashes = sorted(hash(tuple(row)) for row in result)
            assert len(hashes) == direct["counts"][table], table
            assert hashes == direct["row_hashes"][table], f"{table}: rows differ from a direct DuckDB read"


def test_every_mart_reads_the_same_from_the_parquet_export(direct, demo_warehouse):
    current = Path(str(demo_warehouse) + ".parquet") / "current"
    assert current.is_symlink()
    # the folder `current` points to is the version the published file says it is
    assert [(Path(os.path.realpath(current)).parent.name,)] == direct["version"]
    exported = sorted(p.stem for p in current.glob("*.parquet"))
    assert exported == direct["tables"], "one Parquet file per mart, no more, no less"
    for table in direct["tables"]:
        frame = pl.read_parquet(parquet_file(demo_warehouse, table))
        assert frame.height == direct["counts"][table], table
        assert frame.columns == direct["columns"][table], table
        expected = direct["frames"][table]
        assert_frame_equal(frame.sort(frame.columns), expected.sort(expected.columns), check_dtypes=True)


def test_real_values_agree_across_the_three_routes_and_with_the_source_file(direct, demo_warehouse, engine):
    expected = max(kgz_monthly_index_2022().values())
    con = duckdb.connect(str(demo_warehouse), read_only=True)
    try:
        via_duckdb = con.execute(MAX_KGZ_2022.format(relation="marts.sanctions_rerouting_indicators")).fetchall()[0][0]
    finally:
        con.close()
    with engine.connect() as conn:
        via_sqlalchemy = conn.execute(
            sa.text(MAX_KGZ_2022.format(relation="marts.sanctions_rerouting_indicators"))
        ).scalar_one()
    indicators = pl.read_parquet(parquet_file(demo_warehouse, "sanctions_rerouting_indicators"))
    via_parquet = indicators.filter(
        (pl.col("transit_code") == "KGZ")
        & (pl.col("product_scope") == "all")
        & (pl.col("frequency") == "M")
        & (pl.col("period_start").dt.year() == 2022)
    )["index_vs_baseline"].max()
    assert via_duckdb == via_sqlalchemy == via_parquet
    assert via_parquet == pytest.approx(expected, abs=1e-6)
    assert via_parquet > 400  # 2022 EU exports to Kyrgyzstan: several times the same month of 2019-2021

    # codes keep their leading zeros as text, in every route
    products = pl.read_parquet(parquet_file(demo_warehouse, "dim_products"))
    assert products.schema["product_code"] == pl.String
    assert "010121" in products["product_code"].to_list()
    with engine.connect() as conn:
        assert (
            conn.execute(
                sa.text("select description from marts.dim_products where product_code = :code"), {"code": "010121"}
            ).scalar_one()
            == products.filter(pl.col("product_code") == "010121")["description"][0]
        )

    # the top re-routed product to Kazakhstan in 2022, from Parquet and through SQLAlchemy
    top = pl.read_parquet(parquet_file(demo_warehouse, "top_rerouted_products")).filter(
        (pl.col("transit_code") == "KAZ") & (pl.col("year") == 2022) & (pl.col("excess_rank") == 1)
    )
    with engine.connect() as conn:
        row = conn.execute(
            sa.text(
                "select product_code, excess_eur from marts.top_rerouted_products "
                "where transit_code = 'KAZ' and year = 2022 and excess_rank = 1"
            )
        ).one()
    assert (row.product_code, row.excess_eur) == (top["product_code"][0], top["excess_eur"][0])


@pytest.mark.parametrize("how", ["url", "connect_args"])
def test_a_read_only_sqlalchemy_connection_cannot_write(demo_warehouse, direct, how):
    if how == "url":
        eng = sa.create_engine(read_only_url(demo_warehouse), poolclass=NullPool)
    else:
        eng = sa.create_engine(f"duckdb:///{demo_warehouse}", connect_args={"read_only": True}, poolclass=NullPool)
    try:
        with eng.connect() as conn, pytest.raises(sa.exc.SQLAlchemyError, match="read-only"):
            conn.execute(sa.text("insert into marts.dim_countries (country_code) values ('XXX')"))
        with eng.connect() as conn, pytest.raises(sa.exc.SQLAlchemyError, match="read-only"):
            conn.execute(sa.text("create table marts.scratch as select 1 as x"))
        with eng.connect() as conn, pytest.raises(sa.exc.SQLAlchemyError, match="read-only"):
            conn.execute(sa.text("delete from marts.top_rerouted_products"))
        with eng.connect() as conn:
            assert (
                conn.execute(sa.text("select count(*) from marts.dim_countries")).scalar_one()
                == (direct["counts"]["dim_countries"])
            )
            assert (
                conn.execute(sa.text("select count(*) from marts.top_rerouted_products")).scalar_one()
                == (direct["counts"]["top_rerouted_products"])
            )
            assert (
                conn.execute(
                    sa.text("select count(*) from information_schema.tables where table_name = 'scratch'")
                ).scalar_one()
                == 0
            )
    finally:
        eng.dispose()


def test_readers_see_a_new_version_only_after_reopening(demo_warehouse, tmp_path):
    """Publishing switches the version under open readers: an open connection keeps its version, a new one
    gets the published one (docs/bi.md); the Parquet `current` link resolves to the new version's folder."""
    layout = publish.Layout(tmp_path / "tradeflow.duckdb")

    def build(version: str, drop_kgz: bool) -> None:
        path = layout.build_db(version)
        path.parent.mkdir(parents=True)
        shutil.copyfile(demo_warehouse, path)
        if drop_kgz:
            with duckdb.connect(str(path)) as con:
                con.execute("delete from marts.top_rerouted_products where transit_code = 'KGZ'")
        publish.export_parquet(path, path.parent / "parquet")
        publish.publish(layout, version, {"run_id": version, "built_at": version})

    count_sql = sa.text("select count(*) from marts.top_rerouted_products")
    build("v1", drop_kgz=False)
    eng = sa.create_engine(read_only_url(layout.published), poolclass=NullPool)
    try:
        reader = eng.connect()
        before = reader.execute(count_sql).scalar_one()
        kgz_rows = reader.execute(
            sa.text("select count(*) from marts.top_rerouted_products where transit_code = 'KGZ'")
        ).scalar_one()
        assert kgz_rows > 0
        v1_parquet = Path(os.path.realpath(layout.parquet / "current"))

        build("v2", drop_kgz=True)
        assert reader.execute(count_sql).scalar_one() == before  # the open reader keeps v1
        # a new connection resolves P's link when it opens, so it gets v2 even in the same process while
        # the first one is still open on v1 (each keeps the version it opened)
        second = eng.connect()
        assert second.execute(count_sql).scalar_one() == before - kgz_rows
        assert reader.execute(count_sql).scalar_one() == before
        second.close()
        reader.close()
        with eng.connect() as fresh:
            assert fresh.execute(count_sql).scalar_one() == before - kgz_rows
    finally:
        eng.dispose()

    current = pl.read_parquet(layout.parquet / "current" / "top_rerouted_products.parquet")
    assert current.height == before - kgz_rows
    assert Path(os.path.realpath(layout.parquet / "current")).parent.name == "v2"
    # the previous version's folder is kept, so a reader that resolved `current` earlier can finish
    assert pl.read_parquet(v1_parquet / "top_rerouted_products.parquet").height == before
