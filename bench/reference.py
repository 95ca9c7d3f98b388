"""The two reference points on the same raw data, and tradeflow's own answer from its mart.

The indicator: EU27 exports (Comext reporter EU27_2020, flow 2) to each transit candidate, per product
scope (all goods = TOTAL, chpl, chpl_tier_*) and complete calendar year, indexed against the mean of the
complete 2019-2021 years: index = 100 x value / baseline. This is the annual `index_vs_baseline` of
marts.sanctions_rerouting_indicators for complete years.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from bench.generate import AGGREGATE, SEEDS, transit_comext_codes

BASELINE = (2019, 2021)


def floor_sql(table: str = "raw.eurostat_comext__web_export", where: str | None = None) -> str:
    """ONE query from the raw table (and the CHPL seed file): the least work the indicator needs.
    `table` may be a subquery with columns partner, product, period, value_eur that `where` filters."""
    transit = ", ".join(f"'{c}'" for c in sorted(transit_comext_codes()))
    if where is None:
        where = f"raw.reporter = '{AGGREGATE}' and raw.flow = '2' and raw.freq = 'M' and raw.partner in ({transit})"
    chpl = (SEEDS / "chpl_products.csv").as_posix()
    return f"""
with
chpl as (select hs6, tier from read_csv('{chpl}', all_varchar = true)),
scopes as (
    select 'TOTAL' as product, 'all' as product_scope
    union all select hs6, 'chpl' from chpl
    union all select hs6, 'chpl_tier_' || lower(replace(tier, '.', '')) from chpl
),
annual as (
    select raw.partner, scopes.product_scope, cast(left(raw.period, 4) as integer) as year,
           sum(raw.value_eur) as value_eur, count(distinct raw.period) as months
    from {table} as raw
    inner join scopes on raw.product = scopes.product
    where {where}
    group by all
),
complete as (select * from annual where months = 12),
baseline as (
    select partner, product_scope, avg(value_eur) as baseline_eur
    from complete where year between {BASELINE[0]} and {BASELINE[1]}
    group by all
)
select complete.partner, complete.product_scope, complete.year, complete.value_eur, baseline.baseline_eur,
       100 * complete.value_eur / nullif(baseline.baseline_eur, 0) as index_vs_baseline
from complete inner join baseline using (partner, product_scope)
order by 1, 2, 3
"""


def floor(con: duckdb.DuckDBPyConnection, table: str = "raw.eurostat_comext__web_export") -> pl.DataFrame:
    return pl.from_arrow(con.sql(floor_sql(table)).to_arrow_table())


def floor_files_sql(files: list) -> str:
    """ONE query from the raw files themselves (the web-export CSVs the loader takes, with their long
    labels) and the seed files: the least work from the same input as tradeflow's load + build."""
    transit = ", ".join(f"'{c}'" for c in sorted(transit_comext_codes()))
    paths = ", ".join(f"'{Path(f).as_posix()}'" for f in files)
    labels = (SEEDS / "eurostat_geo_labels.csv").as_posix()
    raw = f"""(
    select partner_labels.geo_code as partner, split_part(csv.PRODUCT, '-', 1) as product,
           left(csv.PERIOD, 6) as period, csv.VALUE_IN_EUR as value_eur
    from read_csv([{paths}], header = true, types = {{'VALUE_IN_EUR': 'DOUBLE'}}) as csv
    inner join (
        select distinct label from read_csv('{labels}', all_varchar = true)
        where lang = 'en' and geo_code = '{AGGREGATE}'
    ) as reporter_labels on csv.REPORTER = reporter_labels.label
    inner join (
        select distinct geo_code, label from read_csv('{labels}', all_varchar = true)
        where lang = 'en' and geo_code in ({transit})
    ) as partner_labels on csv.PARTNER = partner_labels.label
    where csv.FLOW = '2-EXPORT'
)"""
    return floor_sql(raw, where="true")


def floor_files(con: duckdb.DuckDBPyConnection, files: list) -> pl.DataFrame:
    return pl.from_arrow(con.sql(floor_files_sql(files)).to_arrow_table())


def pandas_indicator(con: duckdb.DuckDBPyConnection, table: str = "raw.eurostat_comext__web_export"):
    """The analyst's way: the raw table's columns into pandas, then filter, groupby, baseline, index."""
    import pandas as pd

    df = con.execute(f"select reporter, partner, product, flow, freq, period, value_eur from {table}").df()
    df = df[(df["reporter"] == AGGREGATE) & (df["flow"] == "2") & (df["freq"] == "M")]
    df = df[df["partner"].isin(list(transit_comext_codes()))]
    chpl = pd.read_csv(SEEDS / "chpl_products.csv", dtype=str)[["hs6", "tier"]]
    scopes = pd.concat(
        [
            pd.DataFrame({"product": ["TOTAL"], "product_scope": ["all"]}),
            pd.DataFrame({"product": chpl["hs6"], "product_scope": "chpl"}),
            pd.DataFrame(
                {"product": chpl["hs6"], "product_scope": "chpl_tier_" + chpl["tier"].str.replace(".", "").str.lower()}
            ),
        ]
    )
    m = df.merge(scopes, on="product")
    m["year"] = m["period"].str[:4].astype(int)
    annual = (
        m.groupby(["partner", "product_scope", "year"])
        .agg(value_eur=("value_eur", "sum"), months=("period", "nunique"))
        .reset_index()
    )
    complete = annual[annual["months"] == 12]
    base = (
        complete[complete["year"].between(*BASELINE)]
        .groupby(["partner", "product_scope"])["value_eur"]
        .mean()
        .rename("baseline_eur")
        .reset_index()
    )
    out = complete.merge(base, on=["partner", "product_scope"])
    out["index_vs_baseline"] = 100 * out["value_eur"] / out["baseline_eur"]
    return out.drop(columns="months").sort_values(["partner", "product_scope", "year"]).reset_index(drop=True)


MART_SQL = """
select transit_code, product_scope, year(period_start) as year, eu_exports_eur, baseline_eur, index_vs_baseline
from marts.sanctions_rerouting_indicators
where frequency = 'A' and months_covered = 12 and product_scope in ('all', 'chpl') or
      frequency = 'A' and months_covered = 12 and product_scope like 'chpl_tier_%'
order by 1, 2, 3
"""


def mart(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return pl.from_arrow(con.sql(MART_SQL).to_arrow_table())


def compare(floor_frame: pl.DataFrame, mart_frame: pl.DataFrame) -> dict:
    """Per scope: rows matched, and the largest relative difference of the index (floor vs mart)."""
    iso = transit_comext_codes()
    f = floor_frame.with_columns(pl.col("partner").replace_strict(iso, return_dtype=pl.String).alias("transit_code"))
    j = f.join(mart_frame, on=["transit_code", "product_scope", "year"], how="inner", suffix="_mart")
    out = {}
    for scope, g in j.group_by("product_scope"):
        rel = ((g["index_vs_baseline"] - g["index_vs_baseline_mart"]).abs() / g["index_vs_baseline"].abs()).max()
        out[scope[0]] = {"rows": g.height, "max_rel_diff_index": float(rel) if rel is not None else None}
    out["_floor_rows"] = floor_frame.height
    out["_mart_rows"] = mart_frame.height
    return dict(sorted(out.items()))
