"""Re-routing seen from every side (issue 15): origin shares of Russia's CHPL imports rebuilt from partner reports,
and both legs of a product side by side (origin -> transit country, transit country -> Russia)."""

from __future__ import annotations

import altair as alt

from tradeflow.report.data import query_rows, table_state
from tradeflow.report.sections import Section
from tradeflow.report.style import COUNTRY_YEAR_FILTER, PARTNER_COLORS, YEAR_FILTER, chart_title, configure, highlight

GROUP_COLORS = {"coalition": PARTNER_COLORS["EU27"], "other": PARTNER_COLORS["CHN"]}
LEG_COLORS = {"origin → transit country": "#1f4e9c", "transit country → Russia": "#c62828"}


def build_origin_shares(con, names) -> Section:
    section = Section(
        key="origin_shares",
        heading="Who ships Russia's high-priority goods: origin shares of its CHPL imports, rebuilt from partner reports",
        how_to_read=(
            "Russia publishes no trade by partner since 2022, so its imports of the Common High Priority List goods "
            "are rebuilt from what each partner reports exporting to Russia (FOB; × 1.10 for Russia's CIF basis). "
            "Each bar is a year's sum over the CHPL HS6 codes, split by the partner's origin group (coalition: the "
            "EU, US and their partners in export controls; other: China, Hong Kong, Türkiye, …). Shares are of what "
            "the warehouse holds: a partner without a report in it is missing from the bar, not zero."
        ),
        sources="Partners' export reports (Eurostat Comext, UN Comtrade); seed origin_groups; "
        "dbt model marts.russia_imports_rebuilt (product_level HS6, is_chpl).",
    )
    section.missing = table_state(con, "marts", "russia_imports_rebuilt")
    if section.missing:
        return section
    rows = query_rows(
        con,
        """select year(period_start) as year, origin_group, count(distinct partner_code) as partners,
                  sum(rebuilt_imports_cif_usd) as rebuilt_cif_usd, count(distinct period_start) as months
           from marts.russia_imports_rebuilt
           where product_level = 'HS6' and is_chpl and not is_inside_aggregate
           group by all order by year, origin_group""",
    )
    if not rows:
        section.missing = "marts.russia_imports_rebuilt has no CHPL rows"
        return section
    totals: dict[int, float] = {}
    for r in rows:
        totals[r["year"]] = totals.get(r["year"], 0.0) + (r["rebuilt_cif_usd"] or 0.0)
    data = [
        {
            "year": r["year"],
            "group": r["origin_group"],
            "partners": r["partners"],
            "months": r["months"],
            "musd": (r["rebuilt_cif_usd"] or 0.0) / 1e6,
            "share": (r["rebuilt_cif_usd"] or 0.0) / totals[r["year"]] if totals[r["year"]] else None,
        }
        for r in rows
    ]
    chart = (
        alt.Chart(alt.Data(values=data))
        .transform_filter(YEAR_FILTER)
        .mark_bar()
        .encode(
            x=alt.X("year:O", title=None),
            y=alt.Y("musd:Q", title="Russia's CHPL imports rebuilt (CIF), USD million"),
            color=alt.Color(
                "group:N",
                title="Origin group",
                scale=alt.Scale(domain=list(GROUP_COLORS), range=list(GROUP_COLORS.values())),
            ),
            tooltip=[
                alt.Tooltip("year:O", title="Year"),
                alt.Tooltip("group:N", title="Origin group"),
                alt.Tooltip("musd:Q", title="USD m", format=",.1f"),
                alt.Tooltip("share:Q", title="Share of what is rebuilt", format=".0%"),
                alt.Tooltip("partners:Q", title="Partners reporting"),
                alt.Tooltip("months:Q", title="Months"),
            ],
        )
        .properties(
            width=520,
            height=260,
            title=chart_title(
                "Russia's imports of CHPL goods rebuilt from partners' export reports, by origin group",
                "USD million a year (CIF = FOB × 1.10); only the partners whose reports the warehouse holds.",
                "Source: partners' reports (Eurostat Comext, UN Comtrade); dbt model marts.russia_imports_rebuilt.",
            ),
        )
    )
    section.chart = configure(chart)
    section.table = rows
    section.filters = {"year": "year"}
    section.data_sources = ["eurostat_comext", "comtrade"]
    return section


def build_product_legs(con, names) -> Section:
    section = Section(
        key="product_legs",
        heading="Both legs of a product: into the transit country, and on to Russia",
        how_to_read=(
            "For each transit country and HS6 product with both legs reported (the transit country's own exports to "
            "Russia at HS6 exist in the bundle for Armenia's and Georgia's cars and Armenia's smartphones), the year's "
            "imports from the EU27 (Armenia's import report, CIF brought to FOB) beside its exports to Russia, over "
            "the months both legs cover, for the last three years with data. The tooltip gives the re-routing coverage: the share of the extra EU goods "
            "matched by extra exports to Russia."
        ),
        sources="UN Comtrade (transit countries' reports); Eurostat Comext; "
        "dbt model marts.sanctions_rerouting_products (frequency A, origin EU27).",
    )
    section.missing = table_state(con, "marts", "sanctions_rerouting_products")
    if section.missing:
        return section
    rows = query_rows(
        con,
        """select transit_code, product_code, year(period_start) as year, months_covered, origin_to_transit_usd,
                  transit_to_russia_usd, rerouting_coverage, transit_to_russia_unit_value_usd_per_kg
           from marts.sanctions_rerouting_products
           where frequency = 'A' and origin_code = 'EU27' and origin_leg_basis = 'transit_import_report'
             and transit_to_russia_usd > 0
             and year(period_start) >= (select max(year(period_start)) - 2 from marts.sanctions_rerouting_products
                                        where frequency = 'A' and transit_to_russia_usd > 0)
           order by transit_code, product_code, year""",
    )
    if not rows:
        section.missing = (
            "no product has both legs reported: the transit countries' HS6 exports to Russia are not in the warehouse"
        )
        return section
    data = []
    for r in rows:
        common = {
            "code": r["transit_code"],
            "country": f"{names.get(r['transit_code'], r['transit_code'])} ({r['transit_code']})",
            "product": r["product_code"],
            "year": r["year"],
            "months": r["months_covered"],
            "coverage": r["rerouting_coverage"],
            "unit_value": r["transit_to_russia_unit_value_usd_per_kg"],
        }
        data.append({**common, "leg": "origin → transit country", "musd": (r["origin_to_transit_usd"] or 0) / 1e6})
        data.append({**common, "leg": "transit country → Russia", "musd": (r["transit_to_russia_usd"] or 0) / 1e6})
    chart = (
        alt.Chart(alt.Data(values=data))
        .transform_filter(COUNTRY_YEAR_FILTER)
        .mark_bar()
        .encode(
            x=alt.X("product:N", title="HS6"),
            xOffset="leg:N",
            y=alt.Y("musd:Q", title="USD million"),
            color=alt.Color(
                "leg:N", title=None, scale=alt.Scale(domain=list(LEG_COLORS), range=list(LEG_COLORS.values()))
            ),
            opacity=highlight(),
            tooltip=[
                alt.Tooltip("country:N", title="Transit country"),
                alt.Tooltip("product:N", title="HS6"),
                alt.Tooltip("year:O", title="Year"),
                alt.Tooltip("months:Q", title="Months both legs cover"),
                alt.Tooltip("leg:N", title="Leg"),
                alt.Tooltip("musd:Q", title="USD m", format=",.1f"),
                alt.Tooltip("coverage:Q", title="Re-routing coverage", format=".2f"),
                alt.Tooltip("unit_value:Q", title="Unit value to Russia, USD/kg", format=",.2f"),
            ],
        )
        .properties(width=300, height=200)
        .facet(row=alt.Row("country:N", title=None), column=alt.Column("year:O", title=None))
        .resolve_scale(y="independent")
        .properties(
            title=chart_title(
                "EU27 goods into the transit country and the same product on to Russia, by year",
                "USD million over the months both legs are reported (FOB); each panel has its own scale.",
                "Source: UN Comtrade (transit countries' reports); dbt model marts.sanctions_rerouting_products.",
            )
        )
    )
    section.chart = configure(chart)
    section.table = rows
    section.filters = {"country": "transit_code", "year": "year"}
    section.data_sources = ["comtrade"]
    return section
