"""Mirror gaps on the right basis and one basis per series (issue 13, items 3 and 4), on the bundled real data.

Every expected value is recomputed from the source files with polars, never through dbt: Armenia's
statistics (armstat/tvyal CSV, thousand USD, imports by origin and by consignment), the Eurostat Comext
web exports (EUR), the Kyrgyz NSC workbook (thousand USD) and the ECB rates (the annual recording and the
daily reference-rate file). The EU27 members are written out here by hand, as Armenia labels them.
"""

from __future__ import annotations

import io
import re
import statistics
import zipfile

import polars as pl
import pytest

from tests.helpers import PROJECT_DIR, comext_eu27_eur, ecb_annual_usd_per_eur, kg_nsc_thousand_usd

FILES = PROJECT_DIR / "data" / "files"
ARMSTAT = FILES / "national" / "armstat_trade_by_country_monthly_2007-2024_tvyal.csv"
KG_IMPORTS = FILES / "national" / "kg_nsc_4.03.00.20_imports_by_country_1994-2023.xlsx"
KG_EU_LINE = "European Union (EU)"  # a leaf line of the NSC imports table, counted in EU27 (docs/data-quality.md 6a)
ECB_ZIP = FILES / "ecb" / "eurofxref-hist.zip"
CIF_FOB_FACTOR = 1.10  # dbt_project.yml, var cif_fob_factor (the flat default the published values use)
CENT = 0.005

# Armenia's labels of the 27 EU members (the file also has "EU countries not specified": not a member)
ARMSTAT_EU27 = [
    "Austria", "Belgium", "Bulgaria", "Croatia", "Cyprus", "Czech Rep.", "Denmark", "Estonia", "Finland",
    "France", "Germany", "Greece", "Hungary", "Ireland", "Italy", "Latvia", "Lithuania", "Luxembourg",
    "Malta", "Netherlands", "Poland", "Portugal", "Romania", "Slovakia", "Slovenia", "Spain", "Sweden",
]  # fmt: skip
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def armenia_imports_from_eu27_usd(column: str, year: int, month: int | None = None) -> float:
    """Armenia's imports from the 27 members (column import_consignment or import_origin), USD."""
    assert len(set(ARMSTAT_EU27)) == 27
    df = pl.read_csv(ARMSTAT).filter(pl.col("country").is_in(ARMSTAT_EU27) & (pl.col("year") == year))
    assert df["country"].n_unique() == 27
    if month is not None:
        df = df.filter(pl.col("month") == month)
    else:
        assert df["month"].n_unique() == 12
    return float((df[column] * 1000).sum())


def ecb_monthly_usd_per_eur(year: int, month: int) -> float:
    """The month's mean of the ECB daily reference rates (the months the ECB recording does not hold)."""
    with zipfile.ZipFile(ECB_ZIP) as zf:
        daily = pl.read_csv(io.BytesIO(zf.read("eurofxref-hist.csv")), columns=["Date", "USD"], infer_schema=False)
    usd = daily.filter(pl.col("USD") != "N/A").select(pl.col("Date").str.to_date(), pl.col("USD").cast(pl.Float64))
    return usd.filter((pl.col("Date").dt.year() == year) & (pl.col("Date").dt.month() == month))["USD"].mean()


def eu27_monthly_eur(file_code: str, partner: str, year: int) -> dict[int, float]:
    """The EU27 aggregate's monthly values to a partner in a Comext web export, by month."""
    df = pl.read_csv(FILES / "eurostat_comext" / f"eu_member_exports_to_{file_code}_monthly_2019-2024.csv")
    out = {}
    for period, value in (
        df.filter(pl.col("REPORTER").str.starts_with("European Union - 27 countries") & (pl.col("PARTNER") == partner))
        .unique()
        .select("PERIOD", "VALUE_IN_EUR")
        .iter_rows()
    ):
        match = re.search(r"([A-Z][a-z]{2})\. (\d{4})$", period)
        if int(match.group(2)) == year:
            out[MONTHS.index(match.group(1)) + 1] = float(value)
    return out


def rerouting_row(con, transit: str, frequency: str, period: str) -> dict:
    cur = con.execute(
        """select * from marts.sanctions_rerouting_indicators
           where transit_code = ? and product_scope = 'all' and frequency = ? and period_start = ?::date""",
        [transit, frequency, period],
    )
    cols = [d[0] for d in cur.description]
    rows = cur.fetchall()
    assert len(rows) == 1
    return dict(zip(cols, rows[0], strict=True))


@pytest.mark.parametrize("year", [2021, 2022, 2023])
def test_armenia_unrecorded_arrivals_on_the_consignment_basis(demo_con, year):
    """EU27 exports to Armenia (by destination) minus Armenia's imports from the EU27 by consignment, FOB."""
    eu_exports = comext_eu27_eur("eu27_exports_to_all_partners_annual_2010-2023.csv", "Armenia", f"{year}")
    rate = ecb_annual_usd_per_eur(year)
    consignment_eur = armenia_imports_from_eu27_usd("import_consignment", year) / rate
    origin_eur = armenia_imports_from_eu27_usd("import_origin", year) / rate
    expected = eu_exports - consignment_eur / CIF_FOB_FACTOR

    row = rerouting_row(demo_con, "ARM", "A", f"{year}-01-01")
    assert row["partner_import_basis"] == "consignment"
    assert row["unrecorded_arrivals_months_covered"] == 12
    assert row["cif_fob_factor"] == CIF_FOB_FACTOR and row["cif_fob_factor_basis"] == "flat_default"
    assert row["unrecorded_arrivals_eur"] == pytest.approx(expected, abs=CENT)
    # the basis matters: by origin the gap would be millions of euros apart
    assert abs((eu_exports - origin_eur / CIF_FOB_FACTOR) - row["unrecorded_arrivals_eur"]) > 1e6
    # the sensitivity column: the same months and basis with Armenia's estimated factor
    estimated = row["cif_fob_factor_estimated"]
    assert 0.5 < estimated < 2.0
    assert row["unrecorded_arrivals_estimated_factor_eur"] == pytest.approx(
        eu_exports - consignment_eur / estimated, abs=CENT
    )


def test_armenia_2022_by_consignment_is_far_below_the_origin_figure(demo_con):
    """The audit's case: the origin basis overstated the 2022 gap by about EUR 258 m."""
    eu_exports = comext_eu27_eur("eu27_exports_to_all_partners_annual_2010-2023.csv", "Armenia", "2022")
    rate = ecb_annual_usd_per_eur(2022)
    by_origin = eu_exports - armenia_imports_from_eu27_usd("import_origin", 2022) / rate / CIF_FOB_FACTOR
    by_consignment = eu_exports - armenia_imports_from_eu27_usd("import_consignment", 2022) / rate / CIF_FOB_FACTOR
    row = rerouting_row(demo_con, "ARM", "A", "2022-01-01")
    assert row["unrecorded_arrivals_eur"] == pytest.approx(by_consignment, abs=CENT)
    assert round(by_origin / 1e6) == 616 and round(by_consignment / 1e6) == 358


def test_armenia_monthly_unrecorded_arrivals_on_the_consignment_basis(demo_con):
    """June 2022: the month's EU27 exports minus the month's consignment imports at the month's ECB rate."""
    eu_exports = eu27_monthly_eur("AM", "Armenia", 2022)[6]
    consignment_eur = armenia_imports_from_eu27_usd("import_consignment", 2022, 6) / ecb_monthly_usd_per_eur(2022, 6)
    row = rerouting_row(demo_con, "ARM", "M", "2022-06-01")
    assert row["partner_import_basis"] == "consignment"
    assert row["unrecorded_arrivals_eur"] == pytest.approx(eu_exports - consignment_eur / CIF_FOB_FACTOR, abs=CENT)


def test_countries_without_consignment_data_stay_on_the_origin_basis(demo_con):
    got = demo_con.execute(
        """select transit_code, list(distinct partner_import_basis order by partner_import_basis)
           from marts.sanctions_rerouting_indicators
           where unrecorded_arrivals_eur is not null group by 1 order by 1"""
    ).fetchall()
    assert dict(got) == {"ARM": ["consignment"], "KAZ": ["origin"], "KGZ": ["origin"], "UZB": ["origin"]}
    # no gap, no basis
    assert demo_con.execute(
        """select count(*) from marts.sanctions_rerouting_indicators
           where unrecorded_arrivals_eur is null and partner_import_basis is not null"""
    ).fetchall() == [(0,)]


def test_consignment_never_enters_the_facts(demo_con):
    """Armenia's imports appear once in fct_trade_flows (by origin): flow = 'import' never counts them twice."""
    got = demo_con.execute(
        """select value_usd from marts.fct_trade_flows where reporter_code = 'ARM' and partner_code = 'DEU'
           and product_level = 'TOTAL' and source = 'national' and flow = 'import' and frequency = 'M'
           and period_start = date '2022-06-01'"""
    ).fetchall()
    df = pl.read_csv(ARMSTAT).filter(
        (pl.col("country") == "Germany") & (pl.col("year") == 2022) & (pl.col("month") == 6)
    )
    assert got == [(pytest.approx(df["import_origin"].item() * 1000, abs=CENT),)]
    assert df["import_origin"].item() != df["import_consignment"].item()


def test_kyrgyz_estimated_factor_is_the_median_of_its_baseline_pairs(demo_con):
    """Kyrgyzstan's estimated factor: median over 2019-2021 of its imports from each exporter / the exporter's
    exports, on the annual pairs; checked here for the EU27 pair, recomputed from the files, and the median
    of every pair's ratio."""
    kg = kg_nsc_thousand_usd(KG_IMPORTS)
    labels = pl.read_csv(PROJECT_DIR / "seeds" / "national_partner_labels.csv", infer_schema=False)
    members = pl.read_csv(PROJECT_DIR / "seeds" / "country_groups.csv", infer_schema=False).filter(
        pl.col("group_code") == "eu27"
    )["iso3"]
    member_labels = labels.filter(pl.col("iso3").is_in(members.to_list()) & (pl.col("kind") == "country"))["label_en"]
    # the NSC's EU27 = the 27 members + its line "European Union (EU)" (EU trade given to no member state)
    member_labels = member_labels.append(pl.Series([KG_EU_LINE]))
    ratios = demo_con.execute(
        """select exporter_code, year(period_start), import_value_usd / export_value_usd
           from intermediate.int_trade_flows_mirrored
           where importer_code = 'KGZ' and product_level = 'TOTAL' and frequency = 'A'
             and year(period_start) between 2019 and 2021 and import_value_usd > 0 and export_value_usd > 0"""
    ).fetchall()
    by_pair = {(e, y): r for e, y, r in ratios}
    for year in (2019, 2020, 2021):
        kg_eu27_usd = kg.filter(pl.col("partner_label_en").is_in(member_labels.to_list()) & (pl.col("year") == year))[
            "value_thousand_usd"
        ].sum()
        eu_eur = comext_eu27_eur("eu27_exports_to_all_partners_annual_2010-2023.csv", "Kyrgyzstan", f"{year}")
        expected = kg_eu27_usd * 1000 / (eu_eur * ecb_annual_usd_per_eur(year))
        assert by_pair[("EU27", year)] == pytest.approx(expected, rel=1e-9)
    factor = demo_con.execute(
        "select cif_fob_factor_estimated, n_pairs from intermediate.int_cif_fob_factors where importer_code = 'KGZ'"
    ).fetchall()
    assert factor == [(pytest.approx(statistics.median(by_pair.values()), rel=1e-12), len(by_pair))]


def test_kyrgyz_2022_imports_from_the_eu27_annual_beside_its_months(demo_con):
    """The audit's case (item 4): the annual row is Kyrgyzstan's own report, its twelve months the EU mirror."""
    kg = kg_nsc_thousand_usd(KG_IMPORTS)
    labels = pl.read_csv(PROJECT_DIR / "seeds" / "national_partner_labels.csv", infer_schema=False)
    members = pl.read_csv(PROJECT_DIR / "seeds" / "country_groups.csv", infer_schema=False).filter(
        pl.col("group_code") == "eu27"
    )["iso3"]
    member_labels = labels.filter(pl.col("iso3").is_in(members.to_list()) & (pl.col("kind") == "country"))["label_en"]
    # the NSC's EU27 = the 27 members + its line "European Union (EU)" (EU trade given to no member state)
    member_labels = member_labels.append(pl.Series([KG_EU_LINE]))
    own_usd = (
        kg.filter(pl.col("partner_label_en").is_in(member_labels.to_list()) & (pl.col("year") == 2022))[
            "value_thousand_usd"
        ].sum()
        * 1000
    )
    months = eu27_monthly_eur("KG", "Kyrgyzstan", 2022)
    assert sorted(months) == list(range(1, 13))
    months_eur = sum(v * CIF_FOB_FACTOR for v in months.values())
    months_usd = sum(v * ecb_monthly_usd_per_eur(2022, m) * CIF_FOB_FACTOR for m, v in months.items())

    cur = demo_con.execute(
        """select value_basis, value_usd, value_eur, months_sum_value_usd, months_sum_value_eur,
                  months_value_basis, months_in_sum, basis_matches_months, partner_import_basis
           from marts.russia_central_asia_trade
           where country_code = 'KGZ' and partner_code = 'EU27' and direction = 'imports' and frequency = 'A'
             and period_start = date '2022-01-01'"""
    )
    cols = [d[0] for d in cur.description]
    rows = cur.fetchall()
    assert len(rows) == 1
    row = dict(zip(cols, rows[0], strict=True))
    assert row["value_basis"] == "national_statistics" and row["partner_import_basis"] == "origin"
    assert row["value_usd"] == pytest.approx(own_usd, abs=CENT)
    assert row["value_eur"] == pytest.approx(own_usd / ecb_annual_usd_per_eur(2022), abs=CENT)
    assert row["months_value_basis"] == "mirror_from_partner" and row["months_in_sum"] == 12
    assert row["months_sum_value_eur"] == pytest.approx(months_eur, abs=CENT)
    assert row["months_sum_value_usd"] == pytest.approx(months_usd, abs=CENT)
    assert row["basis_matches_months"] is False
    # the audit's EUR 500 m, now 501 with the NSC's "European Union (EU)" line in the EU27 (item 6)
    assert round(row["value_eur"] / 1e6) == 501 and round(row["months_sum_value_eur"] / 1e6) == 1288
    # monthly rows carry no sum; an annual row whose months share its basis says so
    assert demo_con.execute(
        """select count(*) from marts.russia_central_asia_trade
           where frequency = 'M' and (months_sum_value_usd is not null or basis_matches_months is not null)"""
    ).fetchall() == [(0,)]
    assert demo_con.execute(
        """select count(*) from marts.russia_central_asia_trade
           where frequency = 'A' and basis_matches_months <> (value_basis = months_value_basis)"""
    ).fetchall() == [(0,)]
