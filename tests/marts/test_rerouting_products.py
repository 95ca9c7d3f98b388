"""Issue 15 on the bundled data: both legs of Armenia's cars (HS 8703xx), recomputed from the Comtrade
extract with polars (not through dbt), and the coverage and unit values derived from them."""

from __future__ import annotations

import polars as pl
import pytest

from tests.helpers import PROJECT_DIR

CARS = PROJECT_DIR / "data" / "files" / "comtrade" / "comtrade_ARM_hs8703_cars_by_partner_mot_monthly_2017-2023.csv"
EU27 = {
    "AUT", "BEL", "BGR", "HRV", "CYP", "CZE", "DNK", "EST", "FIN", "FRA", "DEU", "GRC", "HUN", "IRL",
    "ITA", "LVA", "LTU", "LUX", "MLT", "NLD", "POL", "PRT", "ROU", "SVK", "SVN", "ESP", "SWE",
}  # fmt: skip
CENT = 0.01

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CARS.exists(), reason="needs the Comtrade product extracts in data/files/comtrade"),
]


def cars(flow: str) -> pl.DataFrame:
    """Armenia's HS6 car rows of one flow, summed over modes of transport (the file has no total-MOT row)."""
    df = pl.read_csv(CARS, infer_schema=False, encoding="utf8-lossy")
    return (
        df.filter((pl.col("trade_code") == flow) & (pl.col("aggregate_level") == "6"))
        .with_columns(pl.col("trade_value_us", "netweight_kg").replace("NA", None).cast(pl.Float64))
        .group_by("partner_iso", "commodity_code", "year", "month")
        .agg(pl.col("trade_value_us").sum().alias("usd"), pl.col("netweight_kg").sum().alias("kg"))
    )


def products(con, where: str) -> pl.DataFrame:
    return con.sql(
        "select * from marts.sanctions_rerouting_products where transit_code = 'ARM' and product_code like '8703%' "
        f"and {where} order by product_code, period_start"
    ).pl()


def test_both_legs_of_armenias_cars_are_the_comtrade_reports(demo_con):
    to_russia = cars("X").filter((pl.col("partner_iso") == "RUS") & (pl.col("year") == "2023"))
    imports = cars("M").filter((pl.col("year") == "2023") & pl.col("partner_iso").is_in(list(EU27)))
    eu27_imports = imports.group_by("commodity_code", "month").agg(pl.col("usd").sum())
    rows = products(demo_con, "origin_code = 'EU27' and origin_leg_basis = 'transit_import_report' and frequency = 'M'")
    rows_2023 = rows.filter(pl.col("period_start").dt.year() == 2023)
    assert rows_2023.height > 0
    expected_ru = {(r["commodity_code"], int(r["month"])): r for r in to_russia.iter_rows(named=True)}
    expected_eu = {(r["commodity_code"], int(r["month"])): r["usd"] for r in eu27_imports.iter_rows(named=True)}
    checked = 0
    for row in rows_2023.iter_rows(named=True):
        key = (row["product_code"], row["period_start"].month)
        # Armenia's imports from the EU27 members, CIF brought to FOB with the declared factor 1.10
        assert row["origin_to_transit_usd"] == pytest.approx(expected_eu.get(key, 0.0) / 1.10, abs=CENT)
        if key in expected_ru:
            ru = expected_ru[key]
            assert row["transit_to_russia_usd"] == pytest.approx(ru["usd"], abs=CENT)
            if ru["kg"] > 0:
                assert row["transit_to_russia_unit_value_usd_per_kg"] == pytest.approx(ru["usd"] / ru["kg"], rel=1e-9)
            checked += 1
    assert checked >= 50
    # read by hand from the file: 870323 to Russia in January 2023, summed over the modes of transport
    jan = rows_2023.filter((pl.col("product_code") == "870323") & (pl.col("period_start").dt.month() == 1))
    assert jan["transit_to_russia_usd"].item() == pytest.approx(expected_ru[("870323", 1)]["usd"], abs=CENT)


def test_coverage_and_unit_values_of_armenias_cars_in_2022_and_2023(demo_con):
    annual = products(demo_con, "origin_code = 'EU27' and frequency = 'A' and year(period_start) in (2022, 2023)")
    for basis, year in [
        ("origin_export_report", 2022),
        ("transit_import_report", 2022),
        ("transit_import_report", 2023),
    ]:
        part = annual.filter((pl.col("origin_leg_basis") == basis) & (pl.col("period_start").dt.year() == year))
        assert part.height > 0, (basis, year)
        with_cov = part.filter(pl.col("rerouting_coverage").is_not_null())
        assert with_cov.height > 0
        for row in with_cov.iter_rows(named=True):
            e1, e2 = row["origin_to_transit_excess_usd"], row["transit_to_russia_excess_usd"]
            assert e1 > 0
            assert row["rerouting_coverage"] == pytest.approx(max(min(e1, e2), 0) / e1, rel=1e-12)
            assert 0 <= row["rerouting_coverage"] <= 1
    # unit values on the leg to Russia exist for the big codes, with an index against 2019-2021
    big = annual.filter(
        (pl.col("product_code") == "870323") & (pl.col("origin_leg_basis") == "transit_import_report")
    ).sort("period_start")
    assert big["transit_to_russia_unit_value_usd_per_kg"].null_count() == 0
    assert big["transit_to_russia_unit_value_index"].null_count() == 0
    # re-exports are their own column, never added into exports
    assert "transit_reexports_to_russia_usd" in annual.columns
