"""What each chart shows and what it cannot show, stated next to it and generated from the warehouse where it varies.

One function per chart key returns a `Scope`: the months or years and the basis the chart uses (own report or mirror,
EU declarations or the transit country's, CIF/FOB factor, baselines) and what it cannot show (baselines below the
flag floor, missing legs, preliminary data, trade allocated to no partner). Every figure in the text comes from a
query of the marts the chart draws; a mart or column missing from an older warehouse leaves its sentence out rather
than failing. docs/data-quality.md lists each caveat with the test that proves it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb

from tradeflow.report.style import month_name


@dataclass
class Scope:
    shows: list[str] = field(default_factory=list)
    cannot_show: list[str] = field(default_factory=list)


def _has(con: duckdb.DuckDBPyConnection, table: str, *columns: str) -> bool:
    found = {
        r[0]
        for r in con.execute(
            "select column_name from information_schema.columns where table_schema = 'marts' and table_name = ?",
            [table],
        ).fetchall()
    }
    return bool(found) and set(columns) <= found


def _rows(con, sql: str, params: list | None = None) -> list[tuple]:
    return con.execute(sql, params or []).fetchall()


def _ym(d) -> str:
    return f"{month_name(d.month)} {d.year}"


def _codes(codes) -> str:
    return ", ".join(sorted(codes)) or "none"


def _flag_floor(con, frequency: str, scope: str | None = None) -> str | None:
    if not _has(con, "sanctions_rerouting_indicators", "flag_withheld_reason", "baseline_n_years"):
        return None
    where = "and product_scope = ?" if scope else ""
    params = [frequency, scope] if scope else [frequency]
    total, below, few = _rows(
        con,
        f"""select count(*),
                   count(*) filter (where flag_withheld_reason like 'baseline below%'),
                   count(*) filter (where flag_withheld_reason like 'baseline from fewer%')
            from marts.sanctions_rerouting_indicators
            where frequency = ? and index_vs_baseline is not null {where}""",
        params,
    )[0]
    floor = _rows(
        con,
        """select max(regexp_extract(flag_withheld_reason, '\\((\\d+) EUR\\)', 1))
           from marts.sanctions_rerouting_indicators where flag_withheld_reason like 'baseline below%'""",
    )[0][0]
    text = (
        f"Baselines below the flag floor: {below} of {total} points charted have a baseline under EUR "
        f"{int(floor):,} (dbt var flag_min_baseline_eur) and {few} rest on fewer than two baseline years; their index "
        "is drawn but carries no flag (flag_withheld_reason): a few shipments move such an index by thousands of percent."
        if floor
        else f"Baselines below the flag floor: none of the {total} points charted."
    )
    return text


def rerouting_annual(con) -> Scope:
    s = Scope()
    first, last, n, years = _rows(
        con,
        """select min(year(period_start)), max(year(period_start)), count(distinct transit_code),
                  string_agg(distinct baseline_years, ', ')
           from marts.sanctions_rerouting_indicators where frequency = 'A' and index_vs_baseline is not null""",
    )[0]
    s.shows.append(
        f"Years {first}–{last}, {n} transit countries: EU27 exports as the EU declares them (Eurostat Comext, EUR, "
        f"FOB), each year against the mean of its baseline years ({years}); Russia's line is EU27 exports to Russia."
    )
    partial = _rows(
        con,
        """select year(period_start), months_covered, string_agg(distinct transit_code, ', ' order by transit_code)
           from marts.sanctions_rerouting_indicators
           where frequency = 'A' and product_scope = 'all' and index_vs_baseline is not null and not is_complete_period
             and months_covered < 12
           group by all order by 1, 2""",
    )
    for year, months, codes in partial:
        s.shows.append(
            f"Incomplete year: {year} holds January–{month_name(months)} only for {codes}, compared with the same "
            "months of the baseline years (hollow points)."
        )
    for year, codes in _rows(
        con,
        """select year(period_start), string_agg(distinct transit_code, ', ' order by transit_code)
           from marts.sanctions_rerouting_indicators
           where frequency = 'A' and product_scope = 'all' and index_vs_baseline is not null and not is_complete_period
             and months_covered = 12
           group by 1 order by 1""",
    ):
        s.shows.append(
            f"{year} for {codes}: twelve months of EU exports, but another leg of the row (the transit country's "
            "own report) covers fewer months, so the row is not a complete period (is_complete_period)."
        )
    s.cannot_show.append(
        "What the transit country records as arriving (its own import report) or whether the goods went on to "
        "Russia: growth above the baseline is consistent with re-export, not proof of it."
    )
    floor = _flag_floor(con, "A")
    if floor:
        s.cannot_show.append(floor)
    if _has(con, "sanctions_rerouting_indicators", "transit_exports_to_ru_months_covered"):
        missing = [
            r[0]
            for r in _rows(
                con,
                """select transit_code from marts.sanctions_rerouting_indicators
                   where frequency = 'A' and product_scope = 'all' group by transit_code
                   having count(transit_exports_to_ru_usd) = 0 order by 1""",
            )
        ]
        if missing:
            s.cannot_show.append(
                f"Missing leg: no report of its own exports to Russia in the warehouse for {_codes(missing)}, so the "
                "second leg (transit country → Russia) cannot be set against the first for them."
            )
    return s


def rerouting_monthly(con) -> Scope:
    s = Scope()
    spans = _rows(
        con,
        """select min(period_start), max(period_start), string_agg(distinct transit_code, ', ' order by transit_code)
           from marts.sanctions_rerouting_indicators
           where frequency = 'M' and product_scope = 'all' and index_vs_baseline is not null""",
    )[0]
    s.shows.append(
        f"Months {_ym(spans[0])} to {_ym(spans[1])} for {spans[2]} (the countries with monthly Comext data): EU27 "
        "declared exports, EUR, each month against the mean of the same calendar month in the baseline years."
    )
    s.shows.append(
        "Zero, not missing: a month the product files cover without a row of a scope's goods counts as zero."
    )
    s.cannot_show.append(
        "Seasonality beyond the calendar month, or a single large shipment: one month can jump without a trend."
    )
    floor = _flag_floor(con, "M")
    if floor:
        s.cannot_show.append(floor)
    return s


def russia_central_asia_trade(con) -> Scope:
    s = Scope()
    per_country = _rows(
        con,
        """select country_code, min(year(period_start)), max(year(period_start)),
                  count(*) filter (where is_mirror), count(*)
           from marts.russia_central_asia_trade
           where frequency = 'A' and partner_code <> 'WLD' and value_usd is not null
           group by 1 order by 1""",
    )
    s.shows.append(
        "Years by country: "
        + "; ".join(f"{c} {a}–{b} ({m} of {n} points mirror)" for c, a, b, m, n in per_country)
        + ". Solid: the country's own report (national statistics, else Comtrade, else IMF); dashed: the partner's "
        "report (mirror)."
    )
    factor = _rows(
        con,
        """select median(mirror_value_usd / partner_reports_value_usd) from marts.russia_central_asia_trade
           where direction = 'imports' and is_mirror and partner_reports_value_usd > 0""",
    )[0][0]
    if factor:
        s.shows.append(
            f"Mirrors are converted with a flat CIF/FOB factor of {factor:.2f} (dbt var cif_fob_factor): the "
            "partner's exports FOB × factor for the country's imports CIF, its imports / factor for exports FOB."
        )
    own_to = _rows(
        con,
        """select max(year(period_start)) from marts.russia_central_asia_trade
           where partner_code = 'RUS' and partner_own_report_value_usd is not null""",
    )[0][0]
    if own_to:
        s.cannot_show.append(
            f"Russia's own report of the same flows after {own_to}: Rosstat publishes none by partner since 2022, "
            "so from then on only the Central Asian side exists."
        )
    mirror_only = [
        r[0]
        for r in _rows(
            con,
            """select country_code from marts.russia_central_asia_trade where frequency = 'A'
               group by 1 having bool_and(is_mirror) order by 1""",
        )
    ]
    if mirror_only:
        s.cannot_show.append(
            f"{_codes(mirror_only)}: no own report in the warehouse, every point is a mirror, and no world total, so "
            "no shares."
        )
    if _has(con, "russia_central_asia_trade", "is_preliminary"):
        for c, d, y in _rows(
            con,
            """select distinct country_code, direction, year(period_start) from marts.russia_central_asia_trade
               where is_preliminary order by 1, 2, 3""",
        ):
            s.cannot_show.append(
                f"Final figures for {c} {d} {y}: the source marks them preliminary (is_preliminary); they may be revised."
            )
    if _has(con, "russia_central_asia_trade", "unallocated_share_pct"):
        for c, d, lo, hi, y in _rows(
            con,
            """select country_code, direction, min(unallocated_share_pct), max(unallocated_share_pct),
                      arg_max(year(period_start), unallocated_share_pct)
               from marts.russia_central_asia_trade
               where frequency = 'A' and partner_code = 'WLD' and year(period_start) >= 2015
               group by 1, 2 having max(unallocated_share_pct) >= 1 order by 1, 2""",
        ):
            s.cannot_show.append(
                f"Partners behind unallocated trade: {c}'s {d} give {lo:.0f}–{hi:.0f} % of the world total (since "
                f"2015, most in {y}) to no named country ('Other countries' and similar lines); read a partner's "
                "share against named trade (named_partners_total_value_usd, unallocated_share_pct)."
            )
    return s


def eu_investment_central_asia(con) -> Scope:
    s = Scope()
    for source, measure, basis, lo, hi, hosts in _rows(
        con,
        """select source, measure, coalesce(rate_basis, 'none'), min(year), max(year),
                  string_agg(distinct host_code, ', ' order by host_code)
           from marts.eu_investment_central_asia
           where (source = 'wiiw' and measure = 'fdi_inward_stock') or (source = 'worldbank' and measure = 'fdi_pct_gdp')
           group by all order by 1""",
    ):
        rate = {
            "ecb_end_of_period": "converted at the ECB end-of-period rate (a stock at the end of the year)",
            "annual_average": "converted at the ECB annual average rate",
            "none": "a ratio, no currency conversion",
        }.get(basis, basis)
        s.shows.append(f"{source} {measure}: {lo}–{hi}, hosts {hosts}; {rate}.")
    s.cannot_show.append(
        "The ultimate owner: stocks are by immediate investor as the host's central bank reports them, so investment "
        "routed through holding companies (the Netherlands, Cyprus) counts for that country."
    )
    s.cannot_show.append("The investors' own reports (no outward FDI data are loaded): host side only.")
    return s


def top_rerouted_products(con) -> Scope:
    s = Scope()
    year = _rows(con, "select max(year) from marts.top_rerouted_products")[0][0]
    months = _rows(
        con,
        """select months_covered, string_agg(distinct transit_code, ', ' order by transit_code), any_value(baseline_years)
           from marts.top_rerouted_products where year = ? group by 1 order by 1""",
        [year],
    )
    s.shows.append(
        f"{year}: "
        + "; ".join(f"January–{month_name(m)} for {codes}" for m, codes, _ in months)
        + f", against the same months of the baseline years ({', '.join(sorted({b for *_, b in months}))}); EU27 "
        "declared exports at HS6, EUR, codes on the HS2022 vintage."
    )
    s.cannot_show.append(
        "Products without a positive baseline (new codes whose baseline lies in codes the data do not have, or no "
        "exports in the baseline years) are not ranked."
    )
    s.cannot_show.append(
        "Exact baselines for codes the HS2017→HS2022 correlation changes (every CHPL code): their 2019–2021 values "
        "are split across successors by 2022 trade weights, an estimate."
    )
    s.cannot_show.append("Evidence of a breach: a listed product that grows is a lead for checking.")
    return s


def origin_shares(con) -> Scope:
    s = Scope()
    lo, hi, partners = _rows(
        con,
        """select min(year(period_start)), max(year(period_start)), count(distinct partner_code)
           from marts.russia_imports_rebuilt where product_level = 'HS6' and is_chpl and not is_inside_aggregate""",
    )[0]
    s.shows.append(
        f"Years {lo}–{hi}: Russia's CHPL imports rebuilt from the export reports of {partners} partner(s) (mirror, FOB × 1.10 "
        "to Russia's CIF basis)."
    )
    s.cannot_show.append(
        "Russia's own import report (none published by partner since 2022), or partners whose reports the warehouse "
        "does not hold: they are missing from the bar, not zero, so shares are of what is rebuilt."
    )
    return s


def product_legs(con) -> Scope:
    s = Scope()
    legs = _rows(
        con,
        """select transit_code, string_agg(distinct product_code, ', ' order by product_code),
                  min(year(period_start)), max(year(period_start)), min(months_covered)
           from marts.sanctions_rerouting_products
           where frequency = 'A' and origin_code = 'EU27' and origin_leg_basis = 'transit_import_report'
             and transit_to_russia_usd > 0
           group by 1 order by 1""",
    )
    s.shows.append(
        "Both legs, over the months both cover: "
        + "; ".join(f"{t} {codes} {a}–{b} (fewest months in a year: {m})" for t, codes, a, b, m in legs)
        + ". The first leg is the transit country's import report, CIF brought to FOB."
    )
    s.cannot_show.append(
        "Any other product or country: the transit countries' HS6 exports to Russia are in the warehouse for these "
        "only, so the second leg is missing elsewhere."
    )
    return s


SCOPES: dict[str, Callable[[duckdb.DuckDBPyConnection], Scope]] = {
    "rerouting_annual": rerouting_annual,
    "rerouting_monthly": rerouting_monthly,
    "russia_central_asia_trade": russia_central_asia_trade,
    "eu_investment_central_asia": eu_investment_central_asia,
    "top_rerouted_products": top_rerouted_products,
    "origin_shares": origin_shares,
    "product_legs": product_legs,
}


def scope_for(con: duckdb.DuckDBPyConnection, key: str) -> Scope | None:
    """The chart's scope from the warehouse; None for an unknown key or when its mart cannot be read."""
    fn = SCOPES.get(key)
    if fn is None:
        return None
    try:
        return fn(con)
    except duckdb.Error:
        return None
