"""marts.russia_central_asia_trade on the bundled real data, recomputed from the source files without dbt.

The Kyrgyz workbook and the stat.uz CSV are thousand US dollars; the Eurostat Comext files are euros,
converted with the ECB annual average of the bundled ECB recording; mirrors use the default
cif_fob_factor 1.10 of dbt_project.yml.
"""

from __future__ import annotations

import polars as pl
import pytest

from tests.helpers import PROJECT_DIR, comext_eu27_eur, ecb_annual_usd_per_eur, kg_nsc_thousand_usd

NATIONAL = PROJECT_DIR / "data" / "files" / "national"
KG_EXPORTS = NATIONAL / "kg_nsc_4.03.00.18_exports_by_country_1994-2023.xlsx"
UZ_IMPORTS = NATIONAL / "uzstat_sdmx_data_1176_imports_by_country_2010-2023.csv"
CIF_FOB_FACTOR = 1.10

ROW_SQL = """
    select value_basis, source, valuation, value_usd, value_eur, own_report_value_usd,
           partner_reports_value_usd, mirror_value_usd, yoy_pct, share_of_total_pct, is_mirror
    from marts.russia_central_asia_trade
    where country_code = ? and partner_code = ? and direction = ? and frequency = ? and period_start = ?
"""
COLUMNS = [
    "value_basis", "source", "valuation", "value_usd", "value_eur", "own_report_value_usd",
    "partner_reports_value_usd", "mirror_value_usd", "yoy_pct", "share_of_total_pct", "is_mirror",
]  # fmt: skip


def mart_row(con, country: str, partner: str, direction: str, frequency: str, period: str) -> dict:
    rows = con.execute(ROW_SQL, [country, partner, direction, frequency, period]).fetchall()
    assert len(rows) == 1, f"{country}/{partner}/{direction}/{frequency}/{period}: {len(rows)} rows"
    return dict(zip(COLUMNS, rows[0], strict=True))


def kg_value_usd(frame: pl.DataFrame, label: str, year: int) -> float:
    cell = frame.filter((pl.col("partner_label_en") == label) & (pl.col("year") == year))
    assert cell.height == 1
    return cell["value_thousand_usd"].item() * 1000


def test_kyrgyz_exports_to_russia_come_from_its_national_statistics(demo_con):
    kg = kg_nsc_thousand_usd(KG_EXPORTS)
    exports_2022 = kg_value_usd(kg, "Russia", 2022)
    exports_2021 = kg_value_usd(kg, "Russia", 2021)
    world_2022 = kg_value_usd(kg, "Total", 2022)
    assert exports_2022 == pytest.approx(1_069_691_913)

    row = mart_row(demo_con, "KGZ", "RUS", "exports", "A", "2022-01-01")
    assert row["value_basis"] == "national_statistics" and row["source"] == "national"
    assert row["is_mirror"] is False and row["valuation"] == "FOB"
    assert row["value_usd"] == pytest.approx(exports_2022, rel=1e-12)
    assert row["own_report_value_usd"] == row["value_usd"]
    # Russia reports nothing after 2021: no mirror to compare with
    assert row["partner_reports_value_usd"] is None and row["mirror_value_usd"] is None
    # +172 %: Kyrgyz exports to Russia nearly tripled in 2022
    assert row["yoy_pct"] == pytest.approx(100 * (exports_2022 - exports_2021) / exports_2021, rel=1e-9)
    assert row["yoy_pct"] == pytest.approx(171.95, abs=0.01)
    # 47 % of Kyrgyzstan's exports went to Russia in 2022 (the workbook's 'Total' row is the world)
    assert row["share_of_total_pct"] == pytest.approx(100 * exports_2022 / world_2022, rel=1e-9)
    assert row["share_of_total_pct"] == pytest.approx(47.44, abs=0.01)


def test_uzbek_imports_from_russia_come_from_stat_uz(demo_con):
    uz = pl.read_csv(UZ_IMPORTS, infer_schema=False).with_columns(pl.col("2022", "2023").cast(pl.Float64))
    from_russia = uz.filter(pl.col("Code") == "643")
    imports_2023 = from_russia["2023"].item() * 1000
    imports_2022 = from_russia["2022"].item() * 1000
    assert imports_2023 == pytest.approx(6_660_632_100)
    world_2023 = uz["2023"].sum() * 1000  # stat.uz has no world row: the sum of every partner row

    row = mart_row(demo_con, "UZB", "RUS", "imports", "A", "2023-01-01")
    assert row["value_basis"] == "national_statistics" and row["source"] == "national"
    assert row["is_mirror"] is False and row["valuation"] == "CIF"
    assert row["value_usd"] == pytest.approx(imports_2023, rel=1e-12)
    assert row["yoy_pct"] == pytest.approx(100 * (imports_2023 - imports_2022) / imports_2022, rel=1e-9)
    assert row["share_of_total_pct"] == pytest.approx(100 * imports_2023 / world_2023, rel=1e-9)
    assert row["share_of_total_pct"] == pytest.approx(17.23, abs=0.01)


def test_kazakh_imports_from_the_eu27_are_the_eu_mirror_fob_to_cif(demo_con):
    """Before 2018 (the first year of the bundled BNS files) Kazakhstan has no own report: the EU mirror."""
    eur_2017 = comext_eu27_eur("eu27_exports_to_all_partners_annual_2010-2023.csv", "Kazakhstan", "Jan.-Dec. 2017")
    assert eur_2017 == 4_821_828_658
    rate_2017 = ecb_annual_usd_per_eur(2017)

    row = mart_row(demo_con, "KAZ", "EU27", "imports", "A", "2017-01-01")
    assert row["value_basis"] == "mirror_from_partner" and row["is_mirror"] is True
    assert row["source"] == "eurostat_comext_file" and row["valuation"] == "CIF"
    assert row["own_report_value_usd"] is None
    assert row["partner_reports_value_usd"] == pytest.approx(eur_2017 * rate_2017, rel=1e-12)
    assert row["value_usd"] == pytest.approx(eur_2017 * rate_2017 * CIF_FOB_FACTOR, rel=1e-12)
    assert row["mirror_value_usd"] == row["value_usd"]
    assert row["value_eur"] == pytest.approx(eur_2017 * CIF_FOB_FACTOR, rel=1e-12)
    assert row["share_of_total_pct"] is None  # no own report that year, so no world total

    # from 2018 Kazakhstan's own statistics (BNS) win; the EU's report stays beside them for comparison
    eur_2019 = comext_eu27_eur("eu27_exports_to_all_partners_annual_2010-2023.csv", "Kazakhstan", "Jan.-Dec. 2019")
    assert eur_2019 == 5_917_319_466
    row_2019 = mart_row(demo_con, "KAZ", "EU27", "imports", "A", "2019-01-01")
    assert row_2019["value_basis"] == "national_statistics" and row_2019["is_mirror"] is False
    assert row_2019["partner_reports_value_usd"] == pytest.approx(eur_2019 * ecb_annual_usd_per_eur(2019), rel=1e-12)


def test_kyrgyz_monthly_exports_to_the_eu27_are_eu_imports_cif_to_fob(demo_con):
    eur = comext_eu27_eur("eu_member_imports_from_KG_monthly_2019-2024.csv", "Kyrgyzstan", "Feb. 2024")
    assert eur == 8_068_675
    row = mart_row(demo_con, "KGZ", "EU27", "exports", "M", "2024-02-01")
    assert row["value_basis"] == "mirror_from_partner" and row["valuation"] == "FOB"
    assert row["value_eur"] == pytest.approx(eur / CIF_FOB_FACTOR, rel=1e-12)
    assert row["mirror_value_usd"] == pytest.approx(row["partner_reports_value_usd"] / CIF_FOB_FACTOR, rel=1e-12)


def test_own_report_wins_over_the_eu_mirror_for_kyrgyz_imports(demo_con):
    kg_imports = kg_nsc_thousand_usd(NATIONAL / "kg_nsc_4.03.00.20_imports_by_country_1994-2023.xlsx")
    eu27_members = (
        pl.read_csv(PROJECT_DIR / "seeds" / "country_groups.csv", infer_schema=False)
        .filter(pl.col("group_code") == "eu27")["iso3"]
        .to_list()
    )
    assert len(eu27_members) == 27
    eur = comext_eu27_eur("eu27_exports_to_all_partners_annual_2010-2023.csv", "Kyrgyzstan", "Jan.-Dec. 2023")

    row = mart_row(demo_con, "KGZ", "EU27", "imports", "A", "2023-01-01")
    assert row["value_basis"] == "national_statistics" and row["is_mirror"] is False
    assert row["source"] == "national"
    # the EU's report is kept for comparison, FOB brought to CIF
    assert row["partner_reports_value_usd"] == pytest.approx(eur * ecb_annual_usd_per_eur(2023), rel=1e-12)
    assert row["mirror_value_usd"] == pytest.approx(eur * ecb_annual_usd_per_eur(2023) * CIF_FOB_FACTOR, rel=1e-12)
    # Kyrgyzstan's own EU27 figure is far below what the EU says it shipped (goods declared for onward transit)
    assert row["value_usd"] < 0.5 * row["mirror_value_usd"]
    # the own value is the sum of the 27 members' rows of the workbook (a partner label maps to one ISO3) plus
    # the line 'European Union (EU)', EU trade allocated to no member state (issue 13, item 6)
    labels = pl.read_csv(PROJECT_DIR / "seeds" / "national_partner_labels.csv", infer_schema=False)
    members = labels.filter(pl.col("iso3").is_in(eu27_members) & (pl.col("kind") == "country"))
    member_labels = [*members["label_en"].to_list(), "European Union (EU)"]
    members_2023 = kg_imports.filter(pl.col("partner_label_en").is_in(member_labels) & (pl.col("year") == 2023))
    assert row["value_usd"] == pytest.approx(members_2023["value_thousand_usd"].sum() * 1000, rel=1e-9)


def test_russia_rows_come_from_the_central_asian_side_when_it_reports(demo_con):
    rows = demo_con.execute(
        """select country_code, value_basis, count(*), min(year(period_start)), max(year(period_start))
           from marts.russia_central_asia_trade where partner_code = 'RUS' and frequency = 'A'
           group by country_code, value_basis order by country_code, value_basis"""
    ).fetchall()
    # Kazakhstan 2018-2023 (BNS), Kyrgyzstan 1994-2023 and Uzbekistan 2010-2023 from national statistics,
    # both directions; before their own reports start, Russia's own statistics (Rosstat, 2006-2021) are the
    # mirror: Kazakhstan 2006-2017 except 2010 (July-December 2010 are '…' in the Rosstat file, so no annual
    # sum), Uzbekistan 2006-2009. Tajikistan and Turkmenistan report nothing and Rosstat does not list them.
    assert rows == [
        ("KAZ", "mirror_from_partner", 22, 2006, 2017),
        ("KAZ", "national_statistics", 12, 2018, 2023),
        ("KGZ", "national_statistics", 60, 1994, 2023),
        ("UZB", "mirror_from_partner", 8, 2006, 2009),
        ("UZB", "national_statistics", 28, 2010, 2023),
    ]
    kinds = demo_con.execute(
        """select country_code, string_agg(distinct value_basis, ',' order by value_basis)
           from marts.russia_central_asia_trade
           where country_code in ('KAZ', 'TJK', 'TKM') group by country_code order by country_code"""
    ).fetchall()
    assert kinds == [
        ("KAZ", "mirror_from_partner,national_statistics"),
        ("TJK", "mirror_from_partner"),
        ("TKM", "mirror_from_partner"),
    ]
