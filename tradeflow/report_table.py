"""The compact headline table `tradeflow demo` ends with."""

from __future__ import annotations

from pathlib import Path

import duckdb

YEARS = (2022, 2023)
SCOPES = ("all", "chpl")


def headline_rows(db: Path) -> list[tuple]:
    """(country, scope, index 2022, index 2023, baseline years, months 2022, months 2023) per transit
    country, then Russia."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        transit = con.execute(
            f"""select transit_code, product_scope,
                       max(index_vs_baseline) filter (where year(period_start) = {YEARS[0]}),
                       max(index_vs_baseline) filter (where year(period_start) = {YEARS[1]}),
                       max(baseline_years),
                       min(months_covered) filter (where year(period_start) = {YEARS[0]}),
                       min(months_covered) filter (where year(period_start) = {YEARS[1]})
                from marts.sanctions_rerouting_indicators
                where frequency = 'A' and product_scope in {SCOPES} and year(period_start) in {YEARS}
                group by transit_code, product_scope
                order by transit_code, product_scope"""
        ).fetchall()
        russia = con.execute(
            f"""select 'RUS', product_scope,
                       max(eu_exports_to_ru_index) filter (where year(period_start) = {YEARS[0]}),
                       max(eu_exports_to_ru_index) filter (where year(period_start) = {YEARS[1]}),
                       max(baseline_years),
                       min(months_covered) filter (where year(period_start) = {YEARS[0]}),
                       min(months_covered) filter (where year(period_start) = {YEARS[1]})
                from marts.sanctions_rerouting_indicators
                where frequency = 'A' and product_scope in {SCOPES} and year(period_start) in {YEARS}
                group by product_scope
                order by product_scope"""
        ).fetchall()
    finally:
        con.close()
    return transit + russia


def rerouting_headline(db: Path) -> str:
    rows = headline_rows(db)
    fmt = "{:<8} {:<6} {:>9} {:>9}  {}"
    lines = [
        "EU27 exports, index vs baseline (= 100); RUS row: EU27 exports to Russia",
        fmt.format("country", "goods", str(YEARS[0]), str(YEARS[1]), "baseline"),
    ]
    partial = False

    def cell(value, months):
        nonlocal partial
        if value is None:
            return "-"
        if months is not None and months < 12:
            partial = True
            return f"{value:.0f}*{months}m"
        return f"{value:.0f}"

    for country, scope, first, second, years, months_first, months_second in rows:
        lines.append(fmt.format(country, scope, cell(first, months_first), cell(second, months_second), years or "-"))
    if partial:
        lines.append("*Nm: only N months of data that year, compared with the same months of the baseline years")
    return "\n".join(lines)
