"""marts.eu_investment_central_asia in the warehouse `tradeflow demo` builds, checked against the bundled
files read directly here (polars), never through dbt: wiiw's Kazakhstan export, the WDI bulk file and the
ECB recording."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import polars as pl
import pytest

PROJECT_DIR = Path(__file__).resolve().parents[2]
WIIW_BY_PARTNER = PROJECT_DIR / "data/files/wiiw_fdi/wiiw_fdi_kazakhstan_by_partner_2003-2021.csv"
WDI_FDI_USD = PROJECT_DIR / "data/files/worldbank/wdi_bulk_API_BX.KLT.DINV.CD.WD_DS2_en_csv_v2_1927091.csv"
ECB_ANNUAL = PROJECT_DIR / "data/recordings/ecb/constructed_exr_usd_eur_m_2020_a_2010_2024/a_2010_2024.csv"
ECB_DAILY = PROJECT_DIR / "data/files/ecb/eurofxref-hist.zip"

MART = "marts.eu_investment_central_asia"


def _wiiw_cell(partner_code: str, direction: str, unit: str, year: int) -> float:
    """One cell of the wiiw by-partner export ('.' is missing)."""
    frame = pl.read_csv(WIIW_BY_PARTNER, infer_schema_length=0)  # every column as text
    row = frame.filter(
        (pl.col("Partner-Code") == partner_code) & (pl.col("Direction") == direction) & (pl.col("Unit") == unit)
    )
    assert row.height == 1, f"expected one {partner_code}/{direction}/{unit} row in {WIIW_BY_PARTNER.name}"
    return float(row[f"_{year}"][0])


def _wdi_cell(country_code: str, year: int) -> float:
    """One cell of the WDI bulk file (four preamble lines before the header)."""
    frame = pl.read_csv(WDI_FDI_USD, skip_rows=4, infer_schema_length=0)
    row = frame.filter(pl.col("Country Code") == country_code)
    assert row.height == 1
    return float(row[str(year)][0])


def _ecb_annual_rate(year: int) -> float:
    frame = pl.read_csv(ECB_ANNUAL, infer_schema_length=0)
    row = frame.filter(pl.col("TIME_PERIOD") == str(year))
    assert row.height == 1
    return float(row["OBS_VALUE"][0])


def _ecb_year_end_rates() -> dict[int, float]:
    """USD per EUR on each year's last ECB reference day, from the daily file eurofxref-hist.zip."""
    with zipfile.ZipFile(ECB_DAILY) as zf:
        daily = pl.read_csv(io.BytesIO(zf.read("eurofxref-hist.csv")), columns=["Date", "USD"], infer_schema=False)
    usd = daily.filter(pl.col("USD") != "N/A").select(pl.col("Date").str.to_date(), pl.col("USD").cast(pl.Float64))
    last = usd.sort("Date").group_by(pl.col("Date").dt.year().alias("year")).agg(pl.col("USD").last())
    return dict(last.iter_rows())


def _mart_row(con, host: str, investor: str, year: int, measure: str, source: str) -> dict:
    cursor = con.execute(
        f"select * from {MART} where host_code = ? and investor_code = ? and year = ? and measure = ? and source = ?",
        [host, investor, year, measure, source],
    )
    rows = cursor.fetchall()
    assert len(rows) == 1, f"expected one row for {host}/{investor}/{year}/{measure}/{source}, got {len(rows)}"
    return dict(zip([d[0] for d in cursor.description], rows[0], strict=True))


def test_wiiw_eu27_inward_stock_2021_is_the_file_value_in_euros(demo_con):
    eur_m = _wiiw_cell("EU27_2020", "FDI inward stock", "EUR m", 2021)
    assert eur_m == pytest.approx(68_294.7366456)  # the figure as printed in the export
    row = _mart_row(demo_con, "KAZ", "EU27", 2021, "fdi_inward_stock", "wiiw")
    assert row["value_eur"] == pytest.approx(eur_m * 1_000_000, rel=1e-12)


def test_wiiw_stocks_convert_to_usd_with_the_year_end_rate(demo_con):
    """A stock is a position on 31 December: converted at that day's ECB rate, not the year's average."""
    rate_end_2021 = _ecb_year_end_rates()[2021]
    assert rate_end_2021 == 1.1326  # 31 December 2021 (the 2021 average is 1.1827)
    row = _mart_row(demo_con, "KAZ", "EU27", 2021, "fdi_inward_stock", "wiiw")
    eur = _wiiw_cell("EU27_2020", "FDI inward stock", "EUR m", 2021) * 1_000_000
    assert row["rate_basis"] == "ecb_end_of_period"
    assert row["usd_per_eur"] == pytest.approx(rate_end_2021, rel=1e-12)
    assert row["value_usd"] == pytest.approx(eur * rate_end_2021, rel=1e-12)


def test_eu27_share_of_kazakhstan_inward_stock_2021_recomputed_from_the_file(demo_con):
    eu27 = _wiiw_cell("EU27_2020", "FDI inward stock", "EUR m", 2021)
    world = _wiiw_cell("WORLD", "FDI inward stock", "EUR m", 2021)
    expected = 100 * eu27 / world
    row = _mart_row(demo_con, "KAZ", "EU27", 2021, "fdi_inward_stock", "wiiw")
    assert row["share_of_host_total_pct"] == pytest.approx(expected, rel=1e-12)
    # and it is the share wiiw itself publishes ("in % of total"), to its 7 decimals
    published = _wiiw_cell("EU27_2020", "FDI inward stock", "in % of total", 2021)
    assert row["share_of_host_total_pct"] == pytest.approx(published, abs=1e-6)
    assert 50 < expected < 51  # about half of Kazakhstan's inward FDI stock is from the EU27


def test_wiiw_member_states_are_investors_but_not_the_uk(demo_con):
    investors = {
        r[0]
        for r in demo_con.execute(
            f"select distinct investor_code from {MART} where source = 'wiiw' and host_code = 'KAZ'"
        ).fetchall()
    }
    assert {"EU27", "WLD", "RUS", "CHN", "USA", "TUR", "NLD", "DEU", "FRA", "ITA"} <= investors
    assert "GBR" not in investors  # not an EU27 member, not in the comparison list
    nld = _mart_row(demo_con, "KAZ", "NLD", 2021, "fdi_inward_stock", "wiiw")
    assert nld["is_investor_eu27_member"] is True
    assert nld["value_eur"] == pytest.approx(_wiiw_cell("NL", "FDI inward stock", "EUR m", 2021) * 1_000_000, rel=1e-12)


def test_worldbank_kazakhstan_net_inflows_2019_is_the_wdi_bulk_value(demo_con):
    usd = _wdi_cell("KAZ", 2019)
    assert usd == pytest.approx(3_587_949_040.68398)
    row = _mart_row(demo_con, "KAZ", "WLD", 2019, "fdi_net_inflows_total", "worldbank")
    assert row["value_usd"] == pytest.approx(usd, rel=1e-12)
    assert row["value_eur"] == pytest.approx(usd / _ecb_annual_rate(2019), rel=1e-12)
    assert row["share_of_host_total_pct"] == pytest.approx(100.0)


def test_every_money_value_has_the_ecb_rate_of_its_year(demo_con):
    """Flows at the ECB annual average of the year, stocks at the rate of the year's last reference day."""
    averages = {
        int(r["TIME_PERIOD"]): float(r["OBS_VALUE"])
        for r in pl.read_csv(ECB_ANNUAL, infer_schema_length=0).iter_rows(named=True)
    }
    year_end = _ecb_year_end_rates()
    rows = demo_con.execute(
        f"select measure, year, usd_per_eur, rate_basis, value_eur, value_usd from {MART} where measure <> 'fdi_pct_gdp'"
    ).fetchall()
    assert len(rows) > 500
    for measure, year, usd_per_eur, rate_basis, value_eur, value_usd in rows:
        if measure == "fdi_inward_stock":
            rate, basis = year_end[year], "ecb_end_of_period"
        else:
            rate, basis = averages[year], "annual_average"
        assert (rate_basis, usd_per_eur) == (basis, pytest.approx(rate, rel=1e-12)), (measure, year)
        assert value_usd == pytest.approx(value_eur * rate, rel=1e-9, abs=1e-3), (measure, year)


def test_grain_is_unique_and_scope_is_central_asia(demo_con):
    duplicates = demo_con.execute(
        f"""select count(*) from (
                select host_code, investor_code, year, measure, source from {MART}
                group by all having count(*) > 1
            )"""
    ).fetchone()[0]
    assert duplicates == 0
    hosts = {r[0] for r in demo_con.execute(f"select distinct host_code from {MART}").fetchall()}
    assert hosts == {"KAZ", "KGZ", "TJK", "TKM", "UZB"}  # World Bank covers all five, wiiw Kazakhstan


def test_illustrative_eurostat_fixture_never_reaches_the_mart(demo_con):
    # the source is disabled in the demo: the staging views exist, read no table, and give no rows
    assert demo_con.execute("select count(*) from staging.stg_eurostat_fdi__positions").fetchone()[0] == 0
    assert demo_con.execute("select count(*) from staging.stg_eurostat_fdi__flows").fetchone()[0] == 0
    assert demo_con.execute(f"select count(*) from {MART} where source = 'eurostat_bop_fdi6'").fetchone()[0] == 0
