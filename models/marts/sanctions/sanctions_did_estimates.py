"""Difference-in-differences estimates on sanctions_did_panel (tradeflow.did; the EBRD design).

One row per origin and term: sanctioned_x_transit_x_post (the re-routing estimate) and sanctioned_x_post,
with the standard error clustered by product, the 95% interval and the panel's size. Where the panel cannot
identify the estimate (no transit destination, no sanctioned product, no month after the treatment date)
the row says why in `null_reason` and the numbers are null: nothing is published that is not estimated.
"""

import polars as pl

from tradeflow import did

COLUMNS = {
    "origin_code": pl.String,
    "term": pl.String,
    "estimate": pl.Float64,
    "std_error": pl.Float64,
    "ci_low": pl.Float64,
    "ci_high": pl.Float64,
    "n_obs": pl.Int64,
    "n_clusters": pl.Int64,
    "n_dropped": pl.Int64,
    "converged": pl.Boolean,
    "sanctioned_list": pl.String,
    "post_from": pl.String,
    "null_reason": pl.String,
}
TERMS = ["sanctioned_x_post", "sanctioned_x_transit_x_post"]


def model(dbt, session):
    dbt.config(materialized="table")
    sanctioned_list = dbt.config.get("sanctioned_list")
    post_from = dbt.config.get("post_from")
    panel = dbt.ref("sanctions_did_panel").pl()
    rows = []
    for origin in sorted(panel["origin_code"].unique().to_list()):
        part = panel.filter(pl.col("origin_code") == origin)
        try:
            results = did.estimate(part)
        except did.DidError as err:
            rows += [{"origin_code": origin, "term": term, "null_reason": str(err)} for term in TERMS]
            continue
        rows += [{"origin_code": origin, **r.as_dict(), "null_reason": None} for r in results]
    frame = pl.DataFrame(rows, schema={k: v for k, v in COLUMNS.items() if k not in ("sanctioned_list", "post_from")})
    return frame.with_columns(
        pl.lit(sanctioned_list, dtype=pl.String).alias("sanctioned_list"),
        pl.lit(post_from, dtype=pl.String).alias("post_from"),
    ).select(list(COLUMNS))
