"""The parsers of the files added on 2026-12-01 (extract/readers/), on the bundled real files.

Every expected value below was read by hand from the file (cell, sheet and row named in the test),
not produced by the parser. Error cases are built from the real bytes with one thing changed.
"""

from __future__ import annotations

import io
import zipfile

import polars as pl
import pytest

from extract.errors import BadResponse, SchemaDrift
from extract.readers import armstat_tvyal, comtrade_extract, ecb_hist, eurostat_workbook, kz_bns, rosstat
from extract.readers.cells import label_key, read_ru_labels
from extract.sources.base import conform
from extract.sources.eurostat_comext import web_export
from extract.sources.national import read_labels
from tests.helpers import PROJECT_DIR

FILES = PROJECT_DIR / "data" / "files"
KZ_2023 = FILES / "national" / "kz_bns_foreign_trade_by_country_2023_2022.xls"
KZ_2019 = FILES / "national" / "kz_bns_foreign_trade_by_country_2019_2018.xls"
ROSSTAT = FILES / "russia_official" / "rosstat_russia_trade_29_partners_monthly_2006-2021.xlsx"
TVYAL = FILES / "national" / "armstat_trade_by_country_monthly_2007-2024_tvyal.csv"
ECB_ZIP = FILES / "ecb" / "eurofxref-hist.zip"
PHONES = FILES / "comtrade" / "comtrade_ARM_hs851713_smartphones_by_partner_monthly_2022-2024.csv"
CARS_ARM = FILES / "comtrade" / "comtrade_ARM_hs8703_cars_by_partner_mot_monthly_2017-2023.csv"
EU_BOOK = FILES / "eurostat_comext" / "eu_member_trade_total_and_hs27_with_7_partners_monthly_2020-2022.xlsx"


@pytest.fixture(scope="module")
def ru_labels():
    return read_ru_labels("national", "seed", (PROJECT_DIR / "seeds" / "national_partner_labels_ru.csv").read_bytes())


def one(frame: pl.DataFrame, **where) -> dict:
    hit = frame.filter(*(pl.col(k) == v for k, v in where.items()))
    assert hit.height == 1, f"{where}: {hit.height} rows"
    return hit.row(0, named=True)


# --------------------------------------------------------------------------- Kazakhstan BNS


def test_kz_bns_2023_edition_both_sheets(ru_labels):
    df = kz_bns.parse("national", str(KZ_2023), KZ_2023.read_bytes(), ru_labels)
    assert df.schema == pl.Schema(kz_bns.SCHEMA)
    assert sorted(df["year"].unique()) == [2022, 2023]
    assert set(df["edition_year"]) == {2023}
    # sheet '2023' row 12: Россия, exports 10207415.70534, imports 16847033.9314 (thousand USD)
    assert one(df, year=2023, partner_iso3="RUS", flow="export")["value_thousand_usd"] == 10207415.70534
    assert one(df, year=2023, partner_iso3="RUS", flow="import")["value_thousand_usd"] == 16847033.9314
    # row 76: Китай, exports 14666158.3001, imports 15389231.31222; row 6: Всего 79138754.67736 / 60412283.33494
    china = one(df, year=2023, partner_iso3="CHN", flow="import")
    assert (china["value_thousand_usd"], china["source_row"], china["sheet"]) == (15389231.31222, 76, "2023")
    total = one(df, year=2023, row_kind="total", flow="export")
    assert total["value_thousand_usd"] == 79138754.67736 and total["partner_iso3"] is None
    # groups are kept apart, never as countries: 'Страны ЕС' row 22 (EU) is a group
    eu = one(df, year=2023, partner_label_ru="Страны ЕС", flow="export")
    assert eu["row_kind"] == "group" and eu["value_thousand_usd"] == 30988817.20587
    # the UK sits under 'Страны вне ЕС' in 2023 and is a country (GBR)
    assert one(df, year=2023, partner_iso3="GBR", flow="export")["row_kind"] == "country"


def test_kz_bns_2018_sheet_quirks(ru_labels):
    """The 2018 sheet: total cell 'Всего\\nв том числе', column headed 'Наименование области', one decimal."""
    df = kz_bns.parse("national", str(KZ_2019), KZ_2019.read_bytes(), ru_labels)
    total = one(df, year=2018, row_kind="total", flow="import")
    assert total["value_thousand_usd"] == 33658519.4 and total["partner_label_ru"] == "Всего в том числе"
    # last row 206: Тувалу, exports 7.8, imports 0.1; an empty cell is null, never 0
    assert one(df, year=2018, partner_iso3="TUV", flow="export")["value_thousand_usd"] == 7.8
    assert one(df, year=2018, partner_iso3="TKL", flow="export")["value_thousand_usd"] is None


def test_kz_bns_unknown_label_names_sheet_row_and_label(ru_labels):
    labels = {k: v for k, v in ru_labels.items() if k != "китай"}
    with pytest.raises(SchemaDrift, match=r"sheet '2022' row 77: unknown partner label 'Китай'"):
        kz_bns.parse("national", "kz.xls", KZ_2023.read_bytes(), labels)


def test_kz_bns_not_a_workbook():
    with pytest.raises(BadResponse, match="not a readable workbook"):
        kz_bns.parse("national", "kz.xls", b"Country,Value\nRussia,1\n", {})


def test_label_key_folds_latin_lookalikes():
    assert label_key("Китaй") == label_key("Китай") == "китай"  # Latin 'a' inside a Cyrillic word
    assert label_key("Республикa \nКорея") == "республика корея"
    assert label_key("Serbia") == "serbia"  # Latin words are left alone


# --------------------------------------------------------------------------- Rosstat


def test_rosstat_29_partners_monthly(ru_labels):
    df = rosstat.parse("national", str(ROSSTAT), ROSSTAT.read_bytes(), ru_labels)
    assert df.schema == pl.Schema(rosstat.SCHEMA)
    assert df["partner_iso3"].n_unique() == 29 and set(df["reporter_iso3"]) == {"RUS"}
    assert (df["year"].min(), df["year"].max()) == (2006, 2021)
    # sheet Экспорт row 7 (январь 2006): Китaй (Latin a) 1197.01099, Казахстан 374.00699 (USD million)
    assert one(df, flow="export", partner_iso3="CHN", year=2006, month=1)["value_million_usd"] == 1197.01099
    assert one(df, flow="export", partner_iso3="KAZ", year=2006, month=1)["value_million_usd"] == 374.00699
    # row 65 (июль 2010): Казахстан '…' = not available (null)
    assert one(df, flow="export", partner_iso3="KAZ", year=2010, month=7)["value_million_usd"] is None
    # sheet Экспорт row 213 (декабрь 2021): Казахстан 1918.34023
    row = one(df, flow="export", partner_iso3="KAZ", year=2021, month=12)
    assert (row["value_million_usd"], row["source_row"]) == (1918.34023, 213)


def test_rosstat_unknown_partner(ru_labels):
    labels = {k: v for k, v in ru_labels.items() if k != "казахстан"}
    with pytest.raises(SchemaDrift, match=r"sheet 'Экспорт' row 5 column 12: unknown partner label 'Казахстан'"):
        rosstat.parse("national", "96stran.xlsx", ROSSTAT.read_bytes(), labels)


# --------------------------------------------------------------------------- Armenia tvyal


@pytest.fixture(scope="module")
def en_labels():
    return read_labels("national", "seed", (PROJECT_DIR / "seeds" / "national_partner_labels.csv").read_bytes())


def test_armstat_tvyal_three_flows_per_line(en_labels):
    df = armstat_tvyal.parse("national", str(TVYAL), TVYAL.read_bytes(), en_labels)
    assert df.schema == pl.Schema(armstat_tvyal.SCHEMA)
    assert df.height == 3 * 28367  # 28,367 data lines, three flows each
    # line 2: "Afghanistan",2024,2,0,0.26,0
    assert one(df, source_row=2, flow="import", import_basis="origin")["value_thousand_usd"] == 0.26
    assert one(df, source_row=2, flow="export")["value_thousand_usd"] == 0.0
    # Russian Federation 2023-01: export 245842.624, import_origin 214330.5806, import_consignment 213417.6233
    ru = df.filter(pl.col("partner_iso3") == "RUS", pl.col("year") == 2023, pl.col("month") == 1)
    assert sorted(ru["value_thousand_usd"]) == [213417.6233, 214330.5806, 245842.624]
    assert (df["month"].min(), df["month"].max(), df["year"].max()) == (1, 12, 2024)


def test_armstat_tvyal_date_must_match(en_labels):
    body = TVYAL.read_bytes().replace(
        b'"Afghanistan",2024,2,0,0.26,0,"2024-02-01"', b'"Afghanistan",2024,2,0,0.26,0,"2024-03-01"', 1
    )
    with pytest.raises(SchemaDrift, match=r"line 2: date is not the first day of year-month: '2024-03-01'"):
        armstat_tvyal.parse("national", "tvyal.csv", body, en_labels)


def test_armstat_tvyal_unknown_label(en_labels):
    labels = {k: v for k, v in en_labels.items() if k != "Afghanistan"}
    with pytest.raises(SchemaDrift, match=r"line 2: unknown partner label 'Afghanistan'"):
        armstat_tvyal.parse("national", "tvyal.csv", TVYAL.read_bytes(), labels)


# --------------------------------------------------------------------------- ECB


def test_ecb_hist_daily_rates_and_published_annual_means():
    df = ecb_hist.parse("ecb", str(ECB_ZIP), ECB_ZIP.read_bytes())
    assert df.schema == pl.Schema(ecb_hist.SCHEMA)
    usd = df.filter(pl.col("currency") == "USD")
    assert usd.height == 6983
    # first data line: 2026-04-13,1.1684,...
    assert usd.filter(pl.col("rate_date") == pl.date(2026, 4, 13))["units_per_eur"].to_list() == [1.1684]
    means = usd.group_by(pl.col("rate_date").dt.year().alias("y")).agg(pl.col("units_per_eur").mean().round(4))
    published = {2019: 1.1195, 2020: 1.1422, 2021: 1.1827, 2022: 1.0530, 2023: 1.0813, 2024: 1.0824}
    assert {y: v for y, v in means.iter_rows() if y in published} == published
    # "N/A" is no row: RUB's last rate is 2022-03-01
    assert str(df.filter(pl.col("currency") == "RUB")["rate_date"].max()) == "2022-03-01"


def test_ecb_hist_errors():
    with pytest.raises(BadResponse, match="not a zip file"):
        ecb_hist.parse("ecb", "x.zip", b"Date,USD\n")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("eurofxref-hist.csv", "Date,USD,\n2026-04-13,1.1684,\n2026-04-10,abc,\n")
    with pytest.raises(SchemaDrift, match=r"line 3: USD rate 'abc' is not a positive number"):
        ecb_hist.parse("ecb", "x.zip", buf.getvalue())


# --------------------------------------------------------------------------- Comtrade extracts


@pytest.fixture(scope="module")
def reporters():
    c = pl.read_csv(PROJECT_DIR / "seeds" / "countries.csv", infer_schema=False)
    return dict(zip(c["comtrade_code"], c["iso3"], strict=True))


def test_comtrade_extract_fields_and_latin1_lines(reporters):
    df, warnings = comtrade_extract.parse("comtrade", str(PHONES), PHONES.read_bytes(), reporters)
    assert df.schema == pl.Schema(comtrade_extract.SCHEMA)
    assert df.height == 286 and set(df["reporter_iso"]) == {"ARM"}
    # line 2: 2022-01 Export to CZE, 851713, trade_value_us 28013.76, cifvalue NA, fobvalue 28013.76
    first = one(df, source_line=2)
    assert (first["period"], first["flow_code"], first["partner_iso"], first["cmd_code"]) == (
        "202201",
        "X",
        "CZE",
        "851713",
    )
    assert (first["primary_value"], first["cifvalue"], first["fobvalue"]) == (28013.76, None, 28013.76)
    assert first["partner_region"] == "Other countries" and first["mot_code"] == "0"
    assert any("10 lines were not UTF-8" in w for w in warnings)
    assert "Curaçao" in df["partner_desc"].to_list()


def test_comtrade_extract_cars_keep_levels_and_modes(reporters):
    df, _ = comtrade_extract.parse("comtrade", str(CARS_ARM), CARS_ARM.read_bytes(), reporters)
    assert sorted(df["aggr_level"].unique()) == [4, 6]
    assert "0" not in df["mot_code"].to_list()  # split by mode, no total-MOT row
    # line 2: 2017-01 Export to CHE, 8703, Road, 173514.72
    row = one(df, source_line=2)
    assert (row["cmd_code"], row["mot_desc"], row["primary_value"]) == ("8703", "Road", 173514.72)


def test_comtrade_extract_bad_value(reporters):
    body = PHONES.read_bytes().replace(b",28013.76,NA,28013.76,", b",28O13.76,NA,28013.76,", 1)
    with pytest.raises(SchemaDrift, match=r"line 2: field 'trade_value_us': '28O13.76' does not fit a number"):
        comtrade_extract.parse("comtrade", "phones.csv", body, reporters)


# --------------------------------------------------------------------------- Eurostat workbook


@pytest.fixture(scope="module")
def geo():
    s = pl.read_csv(PROJECT_DIR / "seeds" / "eurostat_geo_labels.csv", infer_schema=False)
    return {
        (r["lang"], r["label"]): (r["geo_code"], r["iso3"] or None, r["is_aggregate"] == "true")
        for r in s.iter_rows(named=True)
    }


def test_eurostat_workbook_imports_and_exports(geo):
    df = eurostat_workbook.parse("eurostat_comext", str(EU_BOOK), EU_BOOK.read_bytes(), geo)
    assert df.columns == list(web_export.SCHEMA)
    df = conform("eurostat_comext", "book", df, web_export.SCHEMA)
    assert df.height == 4 * 27 * 7 * 36
    assert sorted(df["partner_iso3"].unique()) == ["ARM", "BLR", "GEO", "KAZ", "KGZ", "RUS", "UZB"]
    # 'Sheet 3' (TOTAL, IMPORT) row 16: Austria x Kazakhstan, 2020-01 = 165327885
    imp = one(df, reporter="AT", partner="KZ", product="TOTAL", flow="1", period="2020-01")
    assert (imp["value_eur"], imp["source_line"]) == (165327885.0, 16)
    # 'Sheet 4' (TOTAL, EXPORT) row 12: Austria x Armenia, 2020-01 = 3045923
    assert one(df, reporter="AT", partner="AM", product="TOTAL", flow="2", period="2020-01")["value_eur"] == 3045923.0
    # 'Sheet 1' (HS 27, IMPORT) row 12: Austria x Armenia ':' = not available
    assert one(df, reporter="AT", partner="AM", product="27", flow="1", period="2020-01")["value_eur"] is None


def test_eurostat_workbook_unknown_label(geo):
    labels = {k: v for k, v in geo.items() if k != ("en", "Kazakhstan")}
    with pytest.raises(SchemaDrift, match=r"sheet 'Sheet 1' row 16: unknown partner label 'Kazakhstan'"):
        eurostat_workbook.parse("eurostat_comext", "book.xlsx", EU_BOOK.read_bytes(), labels)


def test_russian_label_seed_covers_exactly_the_labels_in_the_files(ru_labels):
    """Every Russian label of the KZ BNS workbooks and the Rosstat workbook is in the seed, and nothing else."""
    from extract.readers.cells import workbook_sheets

    present = set()
    for path in sorted((FILES / "national").glob("kz_bns_*.xls")):
        for _, rows in workbook_sheets("t", str(path), path.read_bytes()):
            present |= {label_key(r[0]) for r in rows if len(r) > 3 and isinstance(r[1], float)}
    for name in ("Экспорт", "Импорт"):
        sheet = dict(workbook_sheets("t", str(ROSSTAT), ROSSTAT.read_bytes()))[name]
        present |= {label_key(c) for c in sheet[4][1:] if c}
    assert present == set(ru_labels)
