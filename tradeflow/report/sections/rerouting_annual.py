"""EU exports to the transit countries against EU exports to Russia, by year (one panel per country)."""

from __future__ import annotations

import altair as alt

from tradeflow.report.data import query_rows, table_state
from tradeflow.report.sections import Section
from tradeflow.report.style import (
    RUSSIA_COLOR,
    RUSSIA_SERIES,
    SCOPED_FILTER,
    chart_title,
    configure,
    highlight,
    index_axis,
    log_index_scale,
    month_name,
)


def build(con, names) -> Section:
    section = Section(
        key="rerouting_annual",
        heading="EU exports to transit countries against EU exports to Russia, by year",
        how_to_read=(
            "Each panel is one transit country: the coloured line is EU27 exports to that country, the black line "
            "EU27 exports to Russia, both as an index of their 2019–2021 average (= 100, grey rule). Re-routing "
            "shows as the two lines parting after 2021: exports to Russia collapse while exports to its neighbours "
            "rise. Log scale: equal distances are equal ratios (100 to 200 is a doubling, as is 200 to 400)."
        ),
        sources="Eurostat Comext (EU27 exports, EUR); dbt model marts.sanctions_rerouting_indicators "
        "(frequency A; product_scope as chosen above, 'all' by default).",
    )
    section.missing = table_state(con, "marts", "sanctions_rerouting_indicators")
    if section.missing:
        return section
    rows = query_rows(
        con,
        """select transit_code, period_start, index_vs_baseline, eu_exports_to_ru_index, months_covered,
                  is_complete_period, baseline_years, eu_exports_eur, product_scope, flag
           from marts.sanctions_rerouting_indicators
           where frequency = 'A' and index_vs_baseline is not null
           order by product_scope, transit_code, period_start""",
    )
    if not any(r["product_scope"] == "all" for r in rows):
        section.missing = "marts.sanctions_rerouting_indicators has no annual rows for product_scope 'all'"
        return section
    data = []
    for r in rows:
        panel = f"{names.get(r['transit_code'], r['transit_code'])} ({r['transit_code']})"
        partial = "" if r["is_complete_period"] else f": Jan–{month_name(r['months_covered'])} only"
        common = {
            "code": r["transit_code"],
            "year": int(r["period_start"][:4]),
            "scope": r["product_scope"],
            "panel": panel,
            "period": r["period_start"],
            "months": r["months_covered"],
            "complete": bool(r["is_complete_period"]),
            "year_label": r["period_start"][:4] + partial,
        }
        data.append({**common, "series": "EU27 exports to this country", "index": r["index_vs_baseline"]})
        if r["eu_exports_to_ru_index"] is not None:
            data.append({**common, "series": RUSSIA_SERIES, "index": r["eu_exports_to_ru_index"]})
    partial_years = sorted({d["year_label"] for d in data if not d["complete"] and d["scope"] == "all"})
    scale = log_index_scale([d["index"] for d in data])
    color = alt.Color(
        "series:N",
        title=None,
        scale=alt.Scale(domain=["EU27 exports to this country", RUSSIA_SERIES], range=["#1f77b4", RUSSIA_COLOR]),
        legend=alt.Legend(orient="top", direction="horizontal", columns=2, symbolType="stroke"),
    )
    x = alt.X("period:T", title="Year", scale=alt.Scale(type="utc"), axis=alt.Axis(format="%Y", tickCount=6))
    y = alt.Y("index:Q", scale=scale, axis=index_axis("Index, 2019–2021 = 100"))
    tooltip = [
        alt.Tooltip("panel:N", title="Country"),
        alt.Tooltip("series:N", title="Series"),
        alt.Tooltip("year_label:N", title="Year"),
        alt.Tooltip("index:Q", title="Index", format=".0f"),
    ]
    base = alt.Chart().encode(x=x, y=y, color=color)
    lines = base.mark_line(strokeWidth=2).encode(opacity=highlight())
    points = base.mark_point(size=28, strokeWidth=1.5).encode(
        opacity=highlight(),
        fill=alt.condition("datum.complete", alt.Color("series:N", legend=None), alt.value("white")),
        tooltip=tooltip,
    )
    baseline = (
        alt.Chart()
        .transform_aggregate(rows="count()", groupby=["panel"])
        .mark_rule(color="#888", strokeDash=[4, 3])
        .encode(y=alt.datum(100))
    )
    subtitle = ["EU27 exports in EUR, each series as an index of its own 2019–2021 average (= 100); log scale."]
    if partial_years:
        subtitle.append(
            f"Hollow points: incomplete year ({', '.join(partial_years)}), compared with the same months of 2019–2021."
        )
    subtitle.append("Source: Eurostat Comext; dbt model marts.sanctions_rerouting_indicators.")
    chart = (
        alt.layer(baseline, lines, points, data=alt.Data(values=data))
        .transform_filter(SCOPED_FILTER)
        .properties(width=205, height=150)
        .facet(
            facet=alt.Facet("panel:N", title=None, header=alt.Header(labelOrient="top", labelAnchor="start")),
            columns=4,
        )
        .properties(title=chart_title("EU27 exports to transit countries vs to Russia, annual index", *subtitle))
    )
    section.chart = configure(chart)
    section.table = rows
    section.filters = {"country": "transit_code", "year": "period_start", "scope": "product_scope"}
    section.data_sources = ["eurostat_comext"]
    return section
