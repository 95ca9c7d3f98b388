"""Every example query of docs/queries.md runs against the warehouse `tradeflow demo` builds and returns
rows; several answers are recomputed here independently, from the bundled source files (polars) or from a
second, simpler query on marts.fct_trade_flows, so the page cannot drift from the data."""

from __future__ import annotations

import re
from datetime import date

import polars as pl
import pytest
import yaml

from tests.helpers import PROJECT_DIR

QUERIES_MD = PROJECT_DIR / "docs" / "queries.md"
COMEXT = PROJECT_DIR / "data" / "files" / "eurostat_comext"
NATIONAL = PROJECT_DIR / "data" / "files" / "national"
WIIW_BY_PARTNER = PROJECT_DIR / "data" / "files" / "wiiw_fdi" / "wiiw_fdi_kazakhstan_by_partner_2003-2021.csv"
SEEDS = PROJECT_DIR / "seeds"
EU27_LABEL = "European Union - 27 countries"
MONTHS = {
    m: i
    for i, m in enumerate(["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], start=1)
}
ROUND_1 = 0.051  # both sides rounded to one decimal: they may differ by one unit only at a rounding edge

SECTION = re.compile(r"^## (\d+)\. (.+?)$(.*?)(?=^## |\Z)", re.M | re.S)
SQL_BLOCK = re.compile(r"```sql\n(.*?)```", re.S)


def parse_queries() -> dict[int, dict]:
    """Numbered sections of docs/queries.md: title, its one ```sql block and its reading line."""
    text = QUERIES_MD.read_text()
    out = {}
    for number, title, body in SECTION.findall(text):
        blocks = SQL_BLOCK.findall(body)
        reading = re.search(r"\*\*Reading it\.\*\*\s*(\S.*)", body)
        out[int(number)] = {
            "title": title.strip(),
            "sql": blocks[0] if len(blocks) == 1 else None,
            "n_sql_blocks": len(blocks),
            "reading": reading.group(1) if reading else None,
        }
    return out


QUERIES = parse_queries()


def run(con, number: int, sql: str | None = None) -> list[dict]:
    cursor = con.execute(sql or QUERIES[number]["sql"])
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def scalar(con, sql: str, params: list | None = None):
    rows = con.execute(sql, params or []).fetchall()
    assert len(rows) == 1, f"expected one row, got {len(rows)}: {sql} {params}"
    return rows[0][0]


def cif_fob_factor() -> float:
    return float(yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())["vars"]["cif_fob_factor"])


def fct_total(con, reporter: str, partner: str, flow: str, year: int, source: str, column: str = "value_usd"):
    """One annual TOTAL value of marts.fct_trade_flows, for one source."""
    return scalar(
        con,
        f"""select {column} from marts.fct_trade_flows
            where reporter_code = ? and partner_code = ? and flow = ? and source = ?
              and product_level = 'TOTAL' and frequency = 'A' and period_start = make_date(?, 1, 1)""",
        [reporter, partner, flow, source, year],
    )


def eu27_annual(partner_label: str) -> dict[int, float]:
    """EU27 exports to a partner by year, EUR, from Eurostat's annual web-export file."""
    frame = pl.read_csv(COMEXT / "eu27_exports_to_all_partners_annual_2010-2023.csv", infer_schema=False)
    rows = frame.filter(pl.col("REPORTER").str.starts_with(EU27_LABEL) & (pl.col("PARTNER") == partner_label))
    out = {
        int(re.search(r"(\d{4})$", p).group(1)): float(v) for p, v in rows.select("PERIOD", "VALUE_IN_EUR").iter_rows()
    }
    assert out, partner_label
    return out


def eu27_monthly(iso2: str) -> dict[tuple[int, int], float]:
    """EU27 exports to a partner by (year, month), EUR, from the monthly web-export file."""
    frame = pl.read_csv(COMEXT / f"eu_member_exports_to_{iso2}_monthly_2019-2024.csv", infer_schema=False)
    out = {}
    for period, value in (
        frame.filter(pl.col("REPORTER").str.starts_with(EU27_LABEL)).select("PERIOD", "VALUE_IN_EUR").iter_rows()
    ):
        match = re.search(r"([A-Z][a-z]{2})\. (\d{4})$", period)
        out[(int(match.group(2)), MONTHS[match.group(1)])] = float(value)
    return out


def hs6_exports(iso2: str, hs6_codes: list[str]) -> pl.DataFrame:
    """EU27 exports of some HS6 codes to a partner by month, EUR, from the bundled HS6 file."""
    frame = pl.read_csv(
        COMEXT / "eu27_exports_sanctioned_goods_by_hs6_partner_monthly_2020-2022.csv", infer_schema=False
    )
    return (
        frame.filter((pl.col("partner_iso2") == iso2) & pl.col("hs6").is_in(hs6_codes))
        .with_columns(pl.col("value_eur_sum_eu_reporters").cast(pl.Float64))
        .group_by("month")
        .agg(pl.col("value_eur_sum_eu_reporters").sum().alias("value_eur"))
    )


def chpl_seed() -> pl.DataFrame:
    return pl.read_csv(SEEDS / "chpl_products.csv", infer_schema=False)


# --------------------------------------------------------------------------- the page itself


def test_the_page_has_at_least_ten_questions_each_with_sql_and_a_reading():
    assert len(QUERIES) >= 10, f"docs/queries.md has {len(QUERIES)} numbered questions"
    assert sorted(QUERIES) == list(range(1, len(QUERIES) + 1)), "questions are numbered 1..n without gaps"
    for number, query in QUERIES.items():
        assert query["n_sql_blocks"] == 1, f"question {number} has {query['n_sql_blocks']} sql blocks"
        assert query["reading"], f"question {number} has no '**Reading it.**' line"
    # no ```sql block outside a numbered question (it would go untested)
    assert len(SQL_BLOCK.findall(QUERIES_MD.read_text())) == len(QUERIES)


@pytest.mark.parametrize("number", sorted(QUERIES), ids=[f"q{n}" for n in sorted(QUERIES)])
def test_every_query_runs_and_returns_rows(demo_con, number):
    rows = run(demo_con, number)
    assert rows, f"question {number} ({QUERIES[number]['title']}) returned no rows"


def test_every_question_named_in_the_brief_is_answered():
    titles = " | ".join(q["title"].lower() for q in QUERIES.values())
    for words in [
        "chpl tier 1",
        "strong re-routing flag",
        "top 10 chpl",
        "russia vs china",
        "rebuilt from mirror",
        "fdi stock",
        "mirror gaps",
        "unrecorded arrivals",
        "source codes were left out",
        "membership of the eu",
        "sanctions packages timeline",
    ]:
        assert words in titles, f"no question about {words!r}"


# --------------------------------------------------------------------------- answers recomputed


def test_q1_chpl_tier_1_to_kyrgyzstan_in_2022_equals_the_hs6_file(demo_con):
    rows = run(demo_con, 1)
    tier_1 = chpl_seed().filter(pl.col("tier") == "1")["hs6"].to_list()
    assert sorted(tier_1) == ["854231", "854232", "854233", "854239"]
    file_2022 = {int(m[5:]): v for m, v in hs6_exports("KG", tier_1).iter_rows() if m.startswith("2022-")}
    mart_2022 = {r["period_start"].month: r["eu_exports_eur"] for r in rows if r["period_start"].year == 2022}
    # the file drops zero cells: a month it covers (Jan..Nov 2022) without a tier-1 row is a zero
    assert sorted(file_2022) == list(range(3, 12)) and sorted(mart_2022) == list(range(1, 12))
    for month, value in mart_2022.items():
        assert value == pytest.approx(file_2022.get(month, 0.0), abs=0.01), month
    assert mart_2022[7] == pytest.approx(401_961.0)
    by_month = {r["period_start"]: r for r in rows}
    # March 2022: EUR 61,152 against the mean of March 2020 and 2021 (zero where the file has no row)
    march = [v for m, v in hs6_exports("KG", tier_1).iter_rows() if m in ("2020-03", "2021-03")]
    assert by_month[date(2022, 3, 1)]["baseline_eur"] == pytest.approx(sum(march) / 2, abs=0.5)
    # an index of 167,540 on a baseline of a few euros carries no flag (flag_min_baseline_eur)
    assert by_month[date(2022, 3, 1)]["flag"] == "none"
    assert by_month[date(2022, 3, 1)]["flag_withheld_reason"].startswith("baseline below flag_min_baseline_eur")
    assert by_month[date(2022, 7, 1)]["index_vs_baseline"] is None  # no July exports in 2020-2021: baseline 0
    assert [r["period_start"] for r in rows] == sorted(r["period_start"] for r in rows)


def test_q2_strong_flags_2022_and_the_all_goods_index_from_the_annual_file(demo_con):
    rows = {r["transit_code"]: r for r in run(demo_con, 2)}
    assert set(rows) == {"ARM", "GEO", "KAZ", "KGZ"}
    for code, label in [("KGZ", "Kyrgyzstan"), ("ARM", "Armenia"), ("KAZ", "Kazakhstan"), ("GEO", "Georgia")]:
        exports = eu27_annual(label)
        index = 100 * exports[2022] / ((exports[2019] + exports[2020] + exports[2021]) / 3)
        assert rows[code]["index_all_goods"] == pytest.approx(round(index, 1), abs=ROUND_1), code
        # 'all' is in the strong scopes exactly where the all-goods index passes 200
        assert ("all" in rows[code]["strong_scopes"].split(", ")) == (index >= 200), code
    assert {"all", "chpl", "eu_banned", "not_sanctioned"} <= set(rows["KGZ"]["strong_scopes"].split(", "))
    assert rows["KAZ"]["flag_all_goods"] == "moderate"
    # every strong flag of 2022 rests on a baseline that can carry it (declared floors, dbt_project.yml)
    weak = scalar(
        demo_con,
        """select count(*) from marts.sanctions_rerouting_indicators
           where flag <> 'none' and (baseline_eur < 100000 or baseline_n_years < 2)""",
    )
    assert weak == 0


def test_q3_top_chpl_products_to_kazakhstan_2022(demo_con):
    rows = run(demo_con, 3)
    assert len(rows) == 10
    tiers = dict(chpl_seed().select("hs6", "tier").iter_rows())
    for row in rows:
        assert row["product_code"] in tiers, row["product_code"]
        assert row["chpl_tier"] == tiers[row["product_code"]]
    excess = [r["excess_eur"] for r in rows]
    assert excess == sorted(excess, reverse=True)
    # 2022 exports come straight from the HS6 file (no concordance in 2022: the codes are HS2022)
    first = rows[0]
    assert first["product_code"] == "851762"
    file_2022 = sum(v for m, v in hs6_exports("KZ", ["851762"]).iter_rows() if m.startswith("2022-"))
    assert first["eu_exports_eur"] == pytest.approx(round(file_2022), abs=1)
    # the CHPL products that made marts.top_rerouted_products have the same excess
    top = demo_con.execute(
        "select product_code, excess_eur from marts.top_rerouted_products "
        "where transit_code = 'KAZ' and year = 2022 and is_chpl"
    ).fetchall()
    assert top, "marts.top_rerouted_products has no CHPL product for Kazakhstan in 2022"
    by_code = {r["product_code"]: r for r in rows}
    for code, excess_eur in top:
        assert by_code[code]["excess_eur"] == pytest.approx(excess_eur, abs=1), code


def test_q4_kyrgyzstan_2022_imports_from_russia_and_china_are_its_national_statistics(demo_con):
    rows = {(r["year"], r["direction"]): r for r in run(demo_con, 4)}
    assert min(year for year, _ in rows) == 2015
    row = rows[(2022, "imports")]
    world = fct_total(demo_con, "KGZ", "WLD", "import", 2022, "national")
    for partner, column in [("RUS", "russia"), ("CHN", "china"), ("EU27", "eu27")]:
        value = fct_total(demo_con, "KGZ", partner, "import", 2022, "national")
        assert row[f"{column}_musd"] == pytest.approx(round(value / 1e6, 1), abs=ROUND_1), partner
        assert row[f"{column}_share_pct"] == pytest.approx(round(100 * value / world, 1), abs=ROUND_1), partner
    assert row["russia_share_pct"] == pytest.approx(24.5)
    assert row["china_share_pct"] == pytest.approx(41.5)
    assert rows[(2022, "exports")]["russia_share_pct"] == pytest.approx(47.4)


def test_q5_russias_exports_rebuilt_from_the_importers_reports(demo_con):
    rows = run(demo_con, 5)
    assert {r["importer_code"] for r in rows} == {"KAZ", "KGZ", "UZB"}
    assert all(r["value_basis"] == "importer_mirror_cif_to_fob" and not r["russia_reported_it"] for r in rows)
    by_key = {(r["importer_code"], r["year"]): r for r in rows}
    for importer in ("KAZ", "KGZ", "UZB"):
        for year in (2022, 2023):
            imports_cif = fct_total(demo_con, importer, "RUS", "import", year, "national")
            expected = round(imports_cif / cif_fob_factor() / 1e6, 1)
            assert by_key[(importer, year)]["russia_exports_musd_fob"] == pytest.approx(expected, abs=ROUND_1)
    assert by_key[("KGZ", 2022)]["russia_exports_musd_fob"] == pytest.approx(2187.3)
    assert by_key[("KAZ", 2022)]["russia_exports_musd_fob"] == pytest.approx(16255.1)


def test_q6_eu27_share_of_kazakhstans_fdi_stock_is_the_wiiw_file(demo_con):
    rows = {r["year"]: r for r in run(demo_con, 6)}
    frame = pl.read_csv(WIIW_BY_PARTNER, infer_schema_length=0)

    def cell(partner: str, year: int) -> float:
        row = frame.filter(
            (pl.col("Partner-Code") == partner)
            & (pl.col("Direction") == "FDI inward stock")
            & (pl.col("Unit") == "EUR m")
        )
        assert row.height == 1
        return float(row[f"_{year}"][0])

    for year in (2015, 2021):
        eu27, world = cell("EU27_2020", year), cell("WORLD", year)
        assert rows[year]["eu27_share_pct"] == pytest.approx(round(100 * eu27 / world, 1), abs=ROUND_1), year
        assert rows[year]["eu27_stock_eur_bn"] == pytest.approx(round(eu27 / 1000, 1), abs=ROUND_1), year
        assert rows[year]["netherlands_share_pct"] == pytest.approx(
            round(100 * cell("NL", year) / world, 1), abs=ROUND_1
        ), year
    assert rows[2021]["eu27_share_pct"] == pytest.approx(50.8)


def test_q7_largest_mirror_gap_of_2022_recomputed_from_both_reports(demo_con):
    rows = run(demo_con, 7)
    ratios = [r["discrepancy_ratio"] for r in rows]
    assert ratios == sorted(ratios, reverse=True)
    first = rows[0]
    assert (first["exporter_code"], first["importer_code"]) == ("UZB", "KGZ")
    exports_fob = fct_total(demo_con, "UZB", "KGZ", "export", 2022, "national")
    imports_fob = fct_total(demo_con, "KGZ", "UZB", "import", 2022, "national") / cif_fob_factor()
    ratio = abs(exports_fob - imports_fob) / (exports_fob + imports_fob)
    assert first["discrepancy_ratio"] == pytest.approx(round(ratio, 3), abs=0.0011)
    assert first["exporter_says_musd_fob"] == pytest.approx(round(exports_fob / 1e6, 1), abs=ROUND_1)
    assert first["importer_says_musd_fob"] == pytest.approx(round(imports_fob / 1e6, 1), abs=ROUND_1)
    assert first["gap_musd"] == pytest.approx(round((imports_fob - exports_fob) / 1e6, 1), abs=ROUND_1)


def test_q8_unrecorded_arrivals_in_kyrgyzstan_2022(demo_con):
    rows = {(r["transit_code"], r["year"]): r for r in run(demo_con, 8)}
    assert {code for code, _ in rows} == {"ARM", "KGZ"}
    eu_exports = eu27_annual("Kyrgyzstan")[2022]
    kg_imports_eur = fct_total(demo_con, "KGZ", "EU27", "import", 2022, "national", "value_eur")
    row = rows[("KGZ", 2022)]
    assert row["eu_declares_shipped_meur"] == pytest.approx(round(eu_exports / 1e6, 1), abs=ROUND_1)
    expected = eu_exports - kg_imports_eur / cif_fob_factor()
    assert row["unrecorded_meur"] == pytest.approx(round(expected / 1e6, 1), abs=ROUND_1)
    assert row["unrecorded_meur"] == pytest.approx(716.1)


def test_q9_uzbekistans_other_countries_are_listed_as_left_out(demo_con):
    rows = run(demo_con, 9)
    other = [r for r in rows if r["source_dataset"] == "national__uzstat" and r["label"] == "Other countries"]
    assert len(other) == 1
    cells = 0
    total_thousand_usd = 0.0
    for name in (
        "uzstat_sdmx_data_1105_exports_by_country_2010-2023.csv",
        "uzstat_sdmx_data_1176_imports_by_country_2010-2023.csv",
    ):
        frame = pl.read_csv(NATIONAL / name, infer_schema=False)
        row = frame.filter(pl.col("Klassifikator_en") == "Other countries")
        assert row.height == 1
        for year in range(2010, 2024):
            cells += 1
            total_thousand_usd += float(row[str(year)][0])
    assert other[0]["rows_left_out"] == cells == 28
    assert other[0]["musd_left_out"] == pytest.approx(round(total_thousand_usd * 1000 / 1e6, 1), abs=ROUND_1)


def test_q10_eu_membership_on_a_date_follows_the_seed(demo_con):
    seed = pl.read_csv(SEEDS / "country_groups.csv", infer_schema=False).filter(pl.col("group_code") == "eu")

    def members(day: str) -> set[str]:
        valid = seed.filter(
            (pl.col("valid_from") <= day) & (pl.col("valid_to").is_null() | (pl.col("valid_to") >= day))
        )
        return set(valid["iso3"].to_list())

    sql = QUERIES[10]["sql"]
    assert sql.count("date '2020-01-31'") == 2
    on_31_jan = {r["iso3"] for r in run(demo_con, 10)}
    assert on_31_jan == members("2020-01-31") and len(on_31_jan) == 28 and "GBR" in on_31_jan
    on_1_feb = {r["iso3"] for r in run(demo_con, 10, sql.replace("date '2020-01-31'", "date '2020-02-01'"))}
    assert on_1_feb == members("2020-02-01") and len(on_1_feb) == 27 and "GBR" not in on_1_feb
    on_30_jun_2013 = {r["iso3"] for r in run(demo_con, 10, sql.replace("date '2020-01-31'", "date '2013-06-30'"))}
    assert "HRV" not in on_30_jun_2013 and len(on_30_jun_2013) == 27


def test_q11_sanctions_packages_and_eu_exports_to_russia(demo_con):
    rows = run(demo_con, 11)
    events = pl.read_csv(SEEDS / "events.csv", infer_schema=False).filter(pl.col("kind") == "eu_sanctions_package")
    assert [r["event_date"].isoformat() for r in rows] == sorted(events["event_date"].to_list())
    assert len(rows) == 19 and rows[0]["event_date"] == date(2022, 2, 23)
    russia = eu27_monthly("RU")
    fourth = next(r for r in rows if r["event_date"] == date(2022, 3, 15))
    assert fourth["eu_exports_to_russia_meur"] == pytest.approx(round(russia[(2022, 3)] / 1e6, 1), abs=ROUND_1)
    assert fourth["same_month_2021_meur"] == pytest.approx(round(russia[(2021, 3)] / 1e6, 1), abs=ROUND_1)
    change = 100 * russia[(2022, 3)] / russia[(2021, 3)] - 100
    assert fourth["change_vs_2021_pct"] == pytest.approx(round(change, 1), abs=ROUND_1)
    # packages after the last bundled month have no figure
    last_month = max(russia)
    for row in rows:
        if (row["event_date"].year, row["event_date"].month) > last_month:
            assert row["eu_exports_to_russia_meur"] is None


def test_q12_kyrgyzstans_share_of_the_drop_in_eu_exports_to_russia(demo_con):
    rows = {(r["year"], r["transit_code"]): r for r in run(demo_con, 12)}
    kg, ru = eu27_annual("Kyrgyzstan"), eu27_annual("Russian Federation (Russia)")
    kg_base = (kg[2019] + kg[2020] + kg[2021]) / 3
    ru_base = (ru[2019] + ru[2020] + ru[2021]) / 3
    expected = 100 * (kg[2022] - kg_base) / (ru_base - ru[2022])
    row = rows[(2022, "KGZ")]
    assert row["substitution_pct"] == pytest.approx(round(expected, 1), abs=ROUND_1)
    assert row["drop_eu_to_russia_meur"] == pytest.approx(round((ru_base - ru[2022]) / 1e6, 1), abs=ROUND_1)
    first_2022 = next(r for r in run(demo_con, 12) if r["year"] == 2022)
    assert first_2022["transit_code"] == "TUR"
