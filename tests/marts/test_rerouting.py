"""Sanctions re-routing indicators, recomputed from the bundled source files with polars (no dbt)."""

from __future__ import annotations

import math
import re

import polars as pl
import pytest

from tests.helpers import PROJECT_DIR, run_tradeflow

COMEXT = PROJECT_DIR / "data" / "files" / "eurostat_comext"
EU27 = "European Union - 27 countries"
CENT = 0.01


def annual_eu27(partner_label: str) -> dict[int, float]:
    """EU27 exports to a partner by year, from the annual web-export file (labels vary by year)."""
    df = pl.read_csv(COMEXT / "eu27_exports_to_all_partners_annual_2010-2023.csv", infer_schema=False)
    rows = df.filter(pl.col("PARTNER") == partner_label)
    out = {}
    for period, value in rows.select("PERIOD", "VALUE_IN_EUR").iter_rows():
        out[int(re.search(r"(\d{4})$", period).group(1))] = float(value)
    return out


def monthly_eu27(code: str) -> dict[tuple[int, int], float]:
    """EU27 exports to a partner by (year, month), from the monthly web-export file (EU27 rows)."""
    df = pl.read_csv(COMEXT / f"eu_member_exports_to_{code}_monthly_2019-2024.csv", infer_schema=False)
    months = {
        m: i
        for i, m in enumerate(
            ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], start=1
        )
    }
    out = {}
    for period, value in (
        df.filter(pl.col("REPORTER").str.starts_with(EU27)).select("PERIOD", "VALUE_IN_EUR").iter_rows()
    ):
        match = re.search(r"([A-Z][a-z]{2})\. (\d{4})$", period)
        out[(int(match.group(2)), months[match.group(1)])] = float(value)
    return out


def banned_eu27(partner_iso2: str) -> dict[tuple[int, int], float]:
    df = pl.read_csv(COMEXT / "eu_member_exports_all_sanctioned_cn8_total_by_partner_monthly_2020-2022.csv")
    sums = (
        df.filter(pl.col("partner_iso2") == partner_iso2)
        .group_by("month")
        .agg(pl.col("value_eur_sanctioned_cn8_total").sum())
    )
    return {(int(m[:4]), int(m[5:])): v for m, v in sums.iter_rows()}


def mart_row(con, transit: str, scope: str, frequency: str, period: str) -> dict:
    cur = con.execute(
        """select * from marts.sanctions_rerouting_indicators
           where transit_code = ? and product_scope = ? and frequency = ? and period_start = ?::date""",
        [transit, scope, frequency, period],
    )
    cols = [d[0] for d in cur.description]
    row = cur.fetchone()
    assert row is not None, (transit, scope, frequency, period)
    return dict(zip(cols, row, strict=True))


def test_kyrgyzstan_all_goods_2022_index_against_2019_2021(demo_con):
    kg = annual_eu27("Kyrgyzstan")
    baseline = (kg[2019] + kg[2020] + kg[2021]) / 3
    row = mart_row(demo_con, "KGZ", "all", "A", "2022-01-01")
    assert row["eu_exports_eur"] == pytest.approx(kg[2022], abs=CENT)
    assert row["baseline_eur"] == pytest.approx(baseline, abs=CENT)
    assert row["index_vs_baseline"] == pytest.approx(100 * kg[2022] / baseline, abs=CENT)
    assert row["excess_eur"] == pytest.approx(kg[2022] - baseline, abs=CENT)
    assert row["baseline_years"] == "2019-2021" and row["months_covered"] == 12
    # and the direct route: EU exports to Russia in the same year
    ru = annual_eu27("Russian Federation (Russia)")
    ru_baseline = (ru[2019] + ru[2020] + ru[2021]) / 3
    assert row["eu_exports_to_ru_index"] == pytest.approx(100 * ru[2022] / ru_baseline, abs=CENT)
    assert row["substitution_ratio"] == pytest.approx((kg[2022] - baseline) / (ru_baseline - ru[2022]), abs=1e-9)
    assert row["flag"] == "strong"


def test_an_incomplete_year_is_compared_with_the_same_months(demo_con):
    am = monthly_eu27("AM")
    months = sorted(m for (y, m) in am if y == 2024)
    assert months == list(range(1, 9))  # the files stop in August 2024
    value = sum(am[(2024, m)] for m in months)
    baseline = sum(sum(am[(y, m)] for m in months) for y in (2019, 2020, 2021)) / 3
    row = mart_row(demo_con, "ARM", "all", "A", "2024-01-01")
    assert row["months_covered"] == 8 and row["is_complete_period"] is False
    assert row["eu_exports_eur"] == pytest.approx(value, abs=CENT)
    assert row["baseline_eur"] == pytest.approx(baseline, abs=CENT)
    assert row["index_vs_baseline"] == pytest.approx(100 * value / baseline, abs=CENT)


def test_banned_goods_baseline_uses_the_years_available_and_the_did(demo_con):
    banned = banned_eu27("KZ")
    total = monthly_eu27("KZ")
    month = (2022, 6)
    base_banned = (banned[(2020, 6)] + banned[(2021, 6)]) / 2
    index_banned = 100 * banned[month] / base_banned
    not_sanctioned = {k: total[k] - banned[k] for k in banned}
    base_ns = (not_sanctioned[(2020, 6)] + not_sanctioned[(2021, 6)]) / 2
    index_ns = 100 * not_sanctioned[month] / base_ns
    row = mart_row(demo_con, "KAZ", "eu_banned", "M", "2022-06-01")
    assert row["baseline_years"] == "2020-2021"  # no 2019 in the banned-goods files
    assert row["eu_exports_eur"] == pytest.approx(banned[month], abs=CENT)
    assert row["baseline_eur"] == pytest.approx(base_banned, abs=CENT)
    assert row["index_vs_baseline"] == pytest.approx(index_banned, abs=CENT)
    assert row["did_log"] == pytest.approx(math.log(index_banned / index_ns), abs=1e-9)
    ns_row = mart_row(demo_con, "KAZ", "not_sanctioned", "M", "2022-06-01")
    assert ns_row["index_vs_baseline"] == pytest.approx(index_ns, abs=CENT)


def test_unrecorded_arrivals_in_kyrgyzstan(demo_con):
    """EU-reported exports to Kyrgyzstan minus Kyrgyzstan's reported imports from the EU27 (FOB)."""
    row = mart_row(demo_con, "KGZ", "all", "A", "2022-01-01")
    kg_imports_eur = demo_con.execute(
        """select value_eur from marts.fct_trade_flows where reporter_code = 'KGZ' and partner_code = 'EU27'
           and flow = 'import' and frequency = 'A' and period_start = date '2022-01-01'"""
    ).fetchone()[0]
    assert row["unrecorded_arrivals_eur"] == pytest.approx(
        annual_eu27("Kyrgyzstan")[2022] - kg_imports_eur / 1.10, abs=CENT
    )


def test_top_rerouted_products_name_real_codes(demo_con):
    rows = demo_con.execute(
        """select excess_rank, product_code, description, excess_eur from marts.top_rerouted_products
           where transit_code = 'KGZ' and year = 2022 order by excess_rank limit 3"""
    ).fetchall()
    assert [r[0] for r in rows] == [1, 2, 3]
    assert all(re.fullmatch(r"\d{6}", r[1]) and r[2] for r in rows)
    assert rows[0][3] >= rows[1][3] >= rows[2][3] > 0


def test_demo_prints_the_headline_table(tmp_path):
    out = run_tradeflow(
        "demo",
        env={
            "TRADEFLOW_DEMO_DB": str(tmp_path / "w.duckdb"),
            "TRADEFLOW_DEMO_LANDING": str(tmp_path / "landing"),
            "TRADEFLOW_LOG_DIR": str(tmp_path / "logs"),
        },
    ).stdout
    assert "EU27 exports, index vs baseline" in out
    kg = annual_eu27("Kyrgyzstan")
    expected = 100 * kg[2022] / ((kg[2019] + kg[2020] + kg[2021]) / 3)
    line = next(line for line in out.splitlines() if line.startswith("KGZ") and " all " in line)
    assert line.split()[2] == f"{expected:.0f}"
    assert any(line.startswith("RUS") for line in out.splitlines())


def test_top_rerouted_products_rank_on_a_positive_baseline_only(demo_con):
    """Smartphones (851713) and tractors (870121) are new HS2022 codes whose HS2017 predecessors (851712,
    870120) the bundled HS6 file of 2020-2021 does not carry: no baseline (null, with a reason), no rank."""
    hs6 = pl.read_csv(COMEXT / "eu27_exports_sanctioned_goods_by_hs6_partner_monthly_2020-2022.csv", infer_schema=False)
    baseline_codes = set(hs6.filter(pl.col("month").str.slice(0, 4).is_in(["2020", "2021"]))["hs6"])
    assert {"851712", "870120"}.isdisjoint(baseline_codes)
    assert {"851713", "870121"} <= set(hs6.filter(pl.col("month").str.starts_with("2022"))["hs6"])
    notes = demo_con.execute(
        """select product_code, baseline_eur, baseline_note from intermediate.int_rerouted_product_years
           where transit_code = 'KAZ' and year = 2022 and product_code in ('851713', '870121')
           order by product_code"""
    ).fetchall()
    assert [(code, baseline) for code, baseline, _ in notes] == [("851713", None), ("870121", None)]
    assert all("none of the codes it converts from" in note for _, _, note in notes)
    ranked = demo_con.execute(
        """select count(*), count(*) filter (where baseline_eur is null or baseline_eur <= 0),
                  count(*) filter (where product_code in ('851713', '870121'))
           from marts.top_rerouted_products"""
    ).fetchone()
    assert ranked[0] > 0 and ranked[1:] == (0, 0)


def test_did_log_is_null_not_infinite_where_a_scope_has_no_exports(demo_con):
    """ln(0) is -infinity on DuckDB: a scope with an index of 0 has no difference-in-differences (null)."""
    rows = demo_con.execute(
        """select count(*) filter (where isinf(did_log)),
                  count(*) filter (where index_vs_baseline = 0 and product_scope not in ('all', 'not_sanctioned')),
                  count(*) filter (where index_vs_baseline = 0 and did_log is not null)
           from marts.sanctions_rerouting_indicators"""
    ).fetchall()
    infinite, zero_index, zero_with_log = rows[0]
    assert infinite == 0
    assert zero_index > 0  # the bundled data have such rows (7 before this rule: did_log was -infinity)
    assert zero_with_log == 0
