"""The sources added on 2026-12-01, end to end: each figure recomputed from the bundled source file with
polars (python-calamine reads the workbooks), never through dbt, and compared with the warehouse to the cent.

Kazakhstan (BNS .xls, thousand USD), Russia (Rosstat workbook, million USD), the ECB's daily reference
rates (eurofxref-hist.zip), the EU members' imports workbook (EUR) and the Comtrade product extracts (USD).
"""

from __future__ import annotations

import io
import zipfile

import polars as pl
import pytest
from python_calamine import CalamineWorkbook

from tests.helpers import PROJECT_DIR

FILES = PROJECT_DIR / "data" / "files"
KZ = FILES / "national"
ROSSTAT = FILES / "russia_official" / "rosstat_russia_trade_29_partners_monthly_2006-2021.xlsx"
ECB_ZIP = FILES / "ecb" / "eurofxref-hist.zip"
EU_BOOK = FILES / "eurostat_comext" / "eu_member_trade_total_and_hs27_with_7_partners_monthly_2020-2022.xlsx"
PHONES = FILES / "comtrade" / "comtrade_ARM_hs851713_smartphones_by_partner_monthly_2022-2024.csv"
CENT = 0.005  # to the cent


def kz_sheet(edition: str, sheet: str) -> pl.DataFrame:
    """One year's sheet of a BNS workbook as (label, export, import) in thousand USD, read with calamine."""
    rows = CalamineWorkbook.from_path(str(KZ / f"kz_bns_foreign_trade_by_country_{edition}.xls"))
    table = rows.get_sheet_by_name(sheet).to_python()
    return pl.DataFrame(
        [(str(r[0]).strip(), r[3] or None, r[5] or None) for r in table if isinstance(r[1], float)],
        schema={"label": pl.String, "export": pl.Float64, "import": pl.Float64},
        orient="row",
    )


def kz_value(frame: pl.DataFrame, label: str, flow: str) -> float:
    cell = frame.filter(pl.col("label") == label)
    assert cell.height == 1, label
    return cell[flow].item()


def rosstat_year(sheet: str, partner: str, year: int) -> float:
    """The sum of a partner's twelve months of one year in the Rosstat workbook, million USD."""
    table = CalamineWorkbook.from_path(str(ROSSTAT)).get_sheet_by_name(sheet).to_python()
    col = next(i for i, c in enumerate(table[4]) if str(c).strip() == partner)
    start = next(i for i, r in enumerate(table) if r[0] == float(year))
    months = [table[i][col] for i in range(start + 1, start + 13)]
    assert all(isinstance(v, float) for v in months)
    return sum(months)


def mart(con, country: str, partner: str, direction: str, frequency: str, period: str) -> dict:
    cur = con.execute(
        """select * from marts.russia_central_asia_trade where country_code = ? and partner_code = ?
           and direction = ? and frequency = ? and period_start = ?""",
        [country, partner, direction, frequency, period],
    )
    rows = cur.fetchall()
    assert len(rows) == 1, f"{country}/{partner}/{direction}/{frequency}/{period}: {len(rows)} rows"
    return dict(zip([d[0] for d in cur.description], rows[0], strict=True))


def test_kazakhstan_2023_shares_of_russia_and_china(demo_con):
    kz = kz_sheet("2023_2022", "2023")
    for flow, direction in (("import", "imports"), ("export", "exports")):
        world = kz_value(kz, "Всего", flow) * 1000
        for label, code in (("Россия", "RUS"), ("Китай", "CHN")):
            value = kz_value(kz, label, flow) * 1000
            row = mart(demo_con, "KAZ", code, direction, "A", "2023-01-01")
            assert row["value_basis"] == "national_statistics" and row["source_dataset"] == "national__kz_bns"
            assert abs(row["value_usd"] - value) < CENT
            assert abs(row["world_total_value_usd"] - world) < CENT
            assert row["share_of_total_pct"] == pytest.approx(100 * value / world, rel=1e-12)
    # the figures themselves: Russia 27.89 % of Kazakhstan's 2023 imports, China 25.47 %; of exports 12.90 / 18.53
    assert mart(demo_con, "KAZ", "RUS", "imports", "A", "2023-01-01")["share_of_total_pct"] == pytest.approx(
        27.887, abs=1e-3
    )
    assert mart(demo_con, "KAZ", "CHN", "imports", "A", "2023-01-01")["share_of_total_pct"] == pytest.approx(
        25.474, abs=1e-3
    )
    assert mart(demo_con, "KAZ", "CHN", "exports", "A", "2023-01-01")["share_of_total_pct"] == pytest.approx(
        18.532, abs=1e-3
    )


def test_russia_own_2021_exports_to_kazakhstan_beside_kazakh_imports_from_russia(demo_con):
    # 2021 as revised in the 2022 edition (the newer of the two editions that publish 2021)
    bns_imports = kz_value(kz_sheet("2022_2021", "2021"), "Россия", "import") * 1000
    rosstat_exports = rosstat_year("Экспорт", "Казахстан", 2021) * 1_000_000
    row = mart(demo_con, "KAZ", "RUS", "imports", "A", "2021-01-01")
    assert row["value_basis"] == "national_statistics" and not row["is_mirror"]
    assert abs(row["own_report_value_usd"] - bns_imports) < CENT
    assert abs(row["partner_own_report_value_usd"] - rosstat_exports) < CENT
    assert row["partner_own_report_source_dataset"] == "national__rosstat"
    # Kazakhstan records USD 17.61 bn from Russia, Russia USD 18.50 bn to Kazakhstan
    assert round(bns_imports / 1e9, 2) == 17.61 and round(rosstat_exports / 1e9, 2) == 18.50
    # the other direction: Russia's imports from Kazakhstan beside Kazakhstan's exports to Russia
    row = mart(demo_con, "KAZ", "RUS", "exports", "A", "2021-01-01")
    assert abs(row["own_report_value_usd"] - kz_value(kz_sheet("2022_2021", "2021"), "Россия", "export") * 1000) < CENT
    assert abs(row["partner_own_report_value_usd"] - rosstat_year("Импорт", "Казахстан", 2021) * 1_000_000) < CENT


def test_russia_own_reports_stop_in_2021(demo_con):
    years = demo_con.execute(
        """select country_code, min(year(period_start)), max(year(period_start)) from marts.russia_central_asia_trade
           where partner_code = 'RUS' and partner_own_report_value_usd is not null group by country_code
           order by country_code"""
    ).fetchall()
    # Rosstat names Kazakhstan and Uzbekistan among its 29 partners (not KGZ, TJK, TKM), 2006-2021
    assert years == [("KAZ", 2006, 2021), ("UZB", 2006, 2021)]


def test_kazakhstan_rows_with_every_partner(demo_con):
    got = demo_con.execute(
        """select distinct partner_code from marts.russia_central_asia_trade
           where country_code = 'KAZ' and frequency = 'A' and year(period_start) = 2023 order by 1"""
    ).fetchall()
    assert [r[0] for r in got] == ["CHN", "EU27", "RUS", "TUR", "USA", "WLD"]
    # EU27 from the BNS file is the sum of the 27 member rows (the 'Страны ЕС' group row is not used)
    kz = kz_sheet("2023_2022", "2023")
    members = pl.read_csv(PROJECT_DIR / "seeds" / "country_groups.csv", infer_schema=False).filter(
        pl.col("group_code") == "eu27"
    )["iso3"]
    labels = pl.read_csv(PROJECT_DIR / "seeds" / "national_partner_labels_ru.csv", infer_schema=False)
    kz = kz.with_columns(pl.col("label").str.to_lowercase().alias("label_ru")).join(labels, on="label_ru")
    eu27 = kz.filter(pl.col("iso3").is_in(members.implode()))["import"].sum() * 1000
    row = mart(demo_con, "KAZ", "EU27", "imports", "A", "2023-01-01")
    assert row["source_dataset"] == "national__kz_bns:eu27_sum" and abs(row["value_usd"] - eu27) < CENT


def test_monthly_and_end_of_period_rates_from_the_ecb_daily_file(demo_con):
    with zipfile.ZipFile(ECB_ZIP) as zf:
        daily = pl.read_csv(io.BytesIO(zf.read("eurofxref-hist.csv")), columns=["Date", "USD"], infer_schema=False)
    usd = daily.filter(pl.col("USD") != "N/A").select(pl.col("Date").str.to_date(), pl.col("USD").cast(pl.Float64))
    march_2022 = usd.filter(pl.col("Date").dt.strftime("%Y-%m") == "2022-03")
    year_2021 = usd.filter(pl.col("Date").dt.year() == 2021).sort("Date")
    got = dict(
        demo_con.execute(
            """select frequency || ':' || strftime(period_start, '%Y-%m'), usd_per_eur from intermediate.int_exchange_rates
               where (frequency = 'M' and period_start = '2022-03-01')"""
        ).fetchall()
    )
    assert got["M:2022-03"] == pytest.approx(march_2022["USD"].mean(), rel=1e-12)
    source, end_2021 = demo_con.execute(
        """select rate_source, usd_per_eur_end_of_period from intermediate.int_exchange_rates
           where frequency = 'A' and period_start = '2021-01-01'"""
    ).fetchone()
    assert source == "ecb" and end_2021 == year_2021["USD"][-1] == 1.1326  # 31 December 2021
    # the months the ECB SDMX recording lacks are daily-file means, not the annual average any more
    basis = demo_con.execute(
        "select rate_source, count(*) from intermediate.int_exchange_rates where frequency = 'M' group by 1 order by 1"
    ).fetchall()
    assert dict(basis)["ecb"] == 5 and dict(basis)["ecb_daily"] > 300


def test_eu_imports_from_kazakhstan_from_the_workbook(demo_con):
    table = CalamineWorkbook.from_path(str(EU_BOOK)).get_sheet_by_name("Sheet 3").to_python()  # TOTAL, IMPORT
    months = table[8]
    row = next(r for r in table if r[:2] == ["Germany (incl. German Democratic Republic 'DD' from 1991)", "Kazakhstan"])
    value = row[months.index("2021-06")]
    got = demo_con.execute(
        """select value_eur from marts.fct_trade_flows where reporter_code = 'DEU' and partner_code = 'KAZ'
           and flow = 'import' and product_code = 'TOTAL' and frequency = 'M' and period_start = '2021-06-01'
           and source_dataset = 'eurostat_comext__workbook'"""
    ).fetchall()
    assert len(got) == 1 and abs(got[0][0] - value) < CENT


def test_armenian_smartphone_exports_to_russia_from_the_comtrade_extract(demo_con):
    raw = pl.read_csv(PHONES, infer_schema=False, encoding="utf8-lossy")
    cells = raw.filter(
        (pl.col("partner_iso") == "RUS") & (pl.col("trade_code") == "X") & (pl.col("period_desc") == "202301")
    )
    assert cells.height == 1
    value = float(cells["trade_value_us"].item())
    got = demo_con.execute(
        """select value_usd, source_dataset from marts.fct_trade_flows where reporter_code = 'ARM'
           and partner_code = 'RUS' and flow = 'export' and product_code = '851713' and frequency = 'M'
           and period_start = '2023-01-01'"""
    ).fetchall()
    assert len(got) == 1 and got[0][1] == "comtrade__extracts" and abs(got[0][0] - value) < CENT
