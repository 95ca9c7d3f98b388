"""The top re-routed products and the CHPL goods among them."""

from __future__ import annotations

import altair as alt

from tradeflow.report.data import query_rows, table_state
from tradeflow.report.sections import Section
from tradeflow.report.style import (
    CHPL_TIER_COLORS,
    COUNTRY_YEAR_FILTER,
    SPLIT_LINES,
    TOP_PRODUCTS_PER_COUNTRY,
    chart_title,
    configure,
    highlight,
    month_name,
    readable_name,
)


def top_products_rows(con) -> list[dict]:
    """The rows the top-re-routed-products chart shows: the latest year's top products per transit country plus every
    CHPL product listed for it."""
    return query_rows(
        con,
        f"""select transit_code, year, excess_rank, product_code, description, chpl_tier, is_chpl,
                   is_eu_export_banned, eu_exports_eur, baseline_eur, excess_eur, index_vs_baseline, months_covered,
                   baseline_years
            from marts.top_rerouted_products
            where year = (select max(year) from marts.top_rerouted_products)
              and (excess_rank <= {TOP_PRODUCTS_PER_COUNTRY} or is_chpl)
            order by transit_code, excess_rank""",
    )


def build(con, names) -> Section:
    section = Section(
        key="top_rerouted_products",
        heading="The top re-routed products",
        how_to_read=(
            f"For each transit country, the {TOP_PRODUCTS_PER_COUNTRY} HS6 products whose EU27 exports to it grew "
            "most above their 2019–2021 level (excess = exports minus the mean of the same months of the baseline "
            "years, EUR million), plus every product of the Common High Priority List (CHPL: the battlefield goods "
            "the EU, US, UK and Japan watch) among its top 20. Bars are coloured by CHPL tier; grey is not on the "
            "list. The number before each product is its rank."
        ),
        sources="Eurostat Comext (EU27 exports by HS6, EUR); CHPL 2024-02-23; EU export bans (Reg. 833/2014); "
        "dbt model marts.top_rerouted_products.",
    )
    section.missing = table_state(con, "marts", "top_rerouted_products")
    if section.missing:
        return section
    rows = top_products_rows(con)
    if not rows:
        section.missing = "marts.top_rerouted_products has no rows for its latest year"
        return section
    year = rows[0]["year"]
    months = max(r["months_covered"] or 0 for r in rows)
    banned = sum(1 for r in rows if r["is_eu_export_banned"])
    data = []
    for r in rows:
        desc = r["description"] or ""
        data.append(
            {
                "code": r["transit_code"],
                "year": r["year"],
                "country": f"{names.get(r['transit_code'], r['transit_code'])} ({r['transit_code']})",
                "label": f"{r['excess_rank']}. {r['product_code']} {readable_name(desc)}",
                "rank": r["excess_rank"],
                "product": r["product_code"],
                "description": desc,
                "tier": f"CHPL tier {r['chpl_tier']}" if r["chpl_tier"] else "not on the CHPL",
                "banned": "yes" if r["is_eu_export_banned"] else "no",
                "excess_meur": r["excess_eur"] / 1e6,
                "exports_meur": r["eu_exports_eur"] / 1e6,
                "baseline_meur": (r["baseline_eur"] or 0) / 1e6,
                "index": r["index_vs_baseline"],
            }
        )
    tiers = [t for t in CHPL_TIER_COLORS if t != "not on the CHPL"]
    tier_domain = [f"CHPL tier {t}" for t in tiers if any(d["tier"] == f"CHPL tier {t}" for d in data)]
    tier_domain.append("not on the CHPL")
    tier_range = [CHPL_TIER_COLORS[t.removeprefix("CHPL tier ")] for t in tier_domain]
    period = "the full year" if months >= 12 else f"January–{month_name(months)} ({months} months)"
    bars = (
        alt.Chart()
        .mark_bar(height={"band": 0.8})
        .encode(
            x=alt.X("excess_meur:Q", title="Excess EU27 exports over the 2019–2021 baseline, EUR million"),
            y=alt.Y(
                "label:N",
                title=None,
                sort=alt.EncodingSortField("rank", order="ascending"),
                axis=alt.Axis(labelExpr=SPLIT_LINES, labelLimit=400, labelFontSize=10.5, labelLineHeight=12),
            ),
            opacity=highlight(),
            color=alt.Color(
                "tier:N",
                title="Common High Priority List",
                scale=alt.Scale(domain=tier_domain, range=tier_range),
                legend=alt.Legend(orient="bottom", columns=len(tier_domain)),
            ),
            tooltip=[
                alt.Tooltip("country:N", title="Transit country"),
                alt.Tooltip("rank:Q", title="Rank"),
                alt.Tooltip("product:N", title="HS6"),
                alt.Tooltip("description:N", title="Product"),
                alt.Tooltip("tier:N", title="CHPL"),
                alt.Tooltip("banned:N", title="EU export ban to Russia"),
                alt.Tooltip("exports_meur:Q", title="EU27 exports, EUR m", format=",.1f"),
                alt.Tooltip("baseline_meur:Q", title="Baseline, EUR m", format=",.1f"),
                alt.Tooltip("excess_meur:Q", title="Excess, EUR m", format=",.1f"),
                alt.Tooltip("index:Q", title="Index", format=",.0f"),
            ],
        )
    )
    chart = (
        alt.layer(bars, data=alt.Data(values=data))
        .transform_filter(COUNTRY_YEAR_FILTER)
        .properties(width=420, height=alt.Step(30))
        .facet(
            row=alt.Row(
                "country:N", title=None, header=alt.Header(labelOrient="top", labelAnchor="start", labelAngle=0)
            ),
            spacing=26,
        )
        .resolve_scale(y="independent", x="independent")
        .resolve_axis(x="independent")
        .properties(
            title=chart_title(
                f"Top re-routed products and the CHPL goods among them, {year}: excess EU27 exports to each transit "
                "country",
                f"EUR million, {period} of {year} against the mean of the same months of 2019–2021; "
                f"{banned} of the {len(data)} products shown are under an EU export ban to Russia (Reg. 833/2014). "
                "Each panel has its own scale.",
                "Source: Eurostat Comext (HS6, HS2022 codes); Common High Priority List 2024-02-23; "
                "dbt model marts.top_rerouted_products.",
            )
        )
    )
    section.chart = configure(chart)
    section.table = rows
    section.filters = {"country": "transit_code", "year": "year"}
    section.data_sources = ["eurostat_comext"]
    return section
