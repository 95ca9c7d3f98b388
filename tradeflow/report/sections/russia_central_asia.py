"""Central Asia's trade with Russia, China, the EU27, Turkiye and the US."""

from __future__ import annotations

import altair as alt

from tradeflow.report.data import query_rows, table_state
from tradeflow.report.sections import Section
from tradeflow.report.style import COUNTRY_YEAR_FILTER, PARTNER_COLORS, RCA_PARTNERS, chart_title, configure, highlight


def build(con, names) -> Section:
    section = Section(
        key="russia_central_asia_trade",
        heading="Russia and Central Asia: trade by partner over time",
        how_to_read=(
            "One panel per Central Asian country and direction: its exports to, or its imports from, Russia, China, "
            "the EU27, Türkiye and the United States, in USD million a year (a direction with no rows in the mart has "
            "no panel). Solid lines are the country's own report (national statistics office, else its report to UN "
            "Comtrade or the IMF); dashed lines are mirror data (the partner's report, converted CIF/FOB), used where "
            "the country reports nothing. Y scales differ between panels."
        ),
        sources="National statistics offices (Kyrgyz NSC, stat.uz), UN Comtrade, IMF IMTS; mirrors from Eurostat "
        "Comext; dbt model marts.russia_central_asia_trade (frequency A).",
    )
    section.missing = table_state(con, "marts", "russia_central_asia_trade")
    if section.missing:
        return section
    partners = ", ".join(f"'{p}'" for p in RCA_PARTNERS)
    rows = query_rows(
        con,
        f"""select country_code, partner_code, direction, period_start, value_usd, is_mirror, value_basis, source
            from marts.russia_central_asia_trade
            where frequency = 'A' and partner_code in ({partners}) and value_usd is not null
            order by country_code, partner_code, direction, period_start""",
    )
    if not rows:
        section.missing = "marts.russia_central_asia_trade has no annual rows for the partners charted"
        return section
    per_country: dict[str, int] = {}
    for r in rows:
        per_country[r["country_code"]] = per_country.get(r["country_code"], 0) + 1
    order = sorted(per_country, key=lambda c: (-per_country[c], c))
    directions = {"exports": "exports to the partner (FOB)", "imports": "imports from the partner (CIF)"}
    x_scale = alt.Scale(type="utc")
    partner_domain = [names.get(p, p) for p in RCA_PARTNERS]
    color = alt.Color(
        "partner:N",
        title="Partner",
        scale=alt.Scale(domain=partner_domain, range=[PARTNER_COLORS[p] for p in RCA_PARTNERS]),
        legend=alt.Legend(columns=len(partner_domain), symbolType="stroke"),
    )
    dash = alt.StrokeDash(
        "basis:N",
        title="Value",
        scale=alt.Scale(domain=["own report", "mirror (partner's report)"], range=[[1, 0], [5, 3]]),
        legend=alt.Legend(columns=2, symbolType="stroke", symbolStrokeColor="#333", symbolSize=300),
    )
    tooltip = [
        alt.Tooltip("country:N", title="Country"),
        alt.Tooltip("direction:N", title="Flow"),
        alt.Tooltip("partner:N", title="Partner"),
        alt.Tooltip("period:T", title="Year", format="%Y", formatType="utc"),
        alt.Tooltip("value_musd:Q", title="USD million", format=",.1f"),
        alt.Tooltip("value_basis:N", title="Basis"),
        alt.Tooltip("source:N", title="Source"),
    ]
    data = [
        {
            "code": r["country_code"],
            "year": int(r["period_start"][:4]),
            "country": f"{names.get(r['country_code'], r['country_code'])} ({r['country_code']})",
            "direction": directions[r["direction"]],
            "panel": f"{names.get(r['country_code'], r['country_code'])} ({r['country_code']}): {directions[r['direction']]}",
            "partner": names.get(r["partner_code"], r["partner_code"]),
            "period": r["period_start"],
            "value_musd": r["value_usd"] / 1e6,
            "basis": "mirror (partner's report)" if r["is_mirror"] else "own report",
            "value_basis": r["value_basis"],
            "source": r["source"],
        }
        for r in rows
    ]
    panel_order = [f"{names.get(c, c)} ({c}): {label}" for c in order for label in directions.values()]
    cell = (
        alt.Chart()
        .mark_line(strokeWidth=2, point=alt.OverlayMarkDef(size=14, filled=True))
        .encode(
            x=alt.X("period:T", title="Year", scale=x_scale, axis=alt.Axis(format="%Y", tickCount=8)),
            y=alt.Y("value_musd:Q", title="USD million"),
            color=color,
            strokeDash=dash,
            detail="basis:N",
            opacity=highlight(),
            tooltip=tooltip,
        )
        .properties(width=430, height=140)
    )
    chart = (
        alt.layer(cell, data=alt.Data(values=data))
        .transform_filter(COUNTRY_YEAR_FILTER)
        .facet(
            facet=alt.Facet(
                "panel:N",
                title=None,
                sort=panel_order,
                header=alt.Header(labelOrient="top", labelAnchor="start", labelFontSize=12.5),
            ),
            columns=2,
            spacing={"row": 22, "column": 40},
        )
        .resolve_scale(y="independent")
        .resolve_axis(x="independent", y="independent")
        .properties(
            title=chart_title(
                "Central Asia's trade with Russia, China, the EU27, Türkiye and the US",
                "Annual, USD million, as the Central Asian country values it: exports FOB, imports CIF. Dashed: mirror data "
                "(partner's report, CIF/FOB converted with a flat factor). Y scales differ between panels.",
                "Source: national statistics offices (Kyrgyz NSC, stat.uz), UN Comtrade, IMF IMTS; mirrors: Eurostat Comext; "
                "dbt model marts.russia_central_asia_trade.",
            )
        )
    )
    section.chart = configure(chart)
    section.table = rows
    section.filters = {"country": "country_code", "year": "period_start"}
    section.data_sources = ["national", "comtrade", "imf", "eurostat_comext"]
    return section
