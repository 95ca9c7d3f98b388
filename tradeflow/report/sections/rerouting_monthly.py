"""EU exports to the transit countries against EU exports to Russia, by month, with the sanctions packages."""

from __future__ import annotations

import altair as alt

from tradeflow.report.data import query_rows, table_state
from tradeflow.report.sections import Section
from tradeflow.report.style import (
    CHART_WIDTH,
    COUNTRY_PALETTE,
    RUSSIA_COLOR,
    SCOPED_FILTER,
    YEAR_FILTER,
    chart_title,
    configure,
    highlight,
    index_axis,
    log_index_scale,
)


def sanctions_package_marks(con, first: str, last: str) -> list[dict]:
    """EU sanctions packages between two month starts (inclusive of the last month), one mark per month: packages
    adopted in the same month share a mark labelled with their range ('1–3')."""
    if table_state(con, "reference", "events") is not None:
        return []
    events = query_rows(
        con,
        """select event_id, event_date, title from reference.events
           where kind = 'eu_sanctions_package'
             and event_date >= cast(? as date) and event_date < cast(? as date) + interval 1 month
           order by event_date, event_id""",
        [first, last],
    )
    groups: dict[str, list[dict]] = {}
    for e in events:
        groups.setdefault(e["event_date"][:7], []).append(e)
    marks = []
    for i, (_, evs) in enumerate(sorted(groups.items())):
        numbers = [_package_number(e) for e in evs]
        label = str(numbers[0]) if len(numbers) == 1 else f"{numbers[0]}–{numbers[-1]}"
        marks.append(
            {
                "date": evs[0]["event_date"],
                "label": label,
                "row": i % 2,
                "titles": "; ".join(f"{e['event_date']}: {e['title']}" for e in evs),
            }
        )
    return marks


def _package_number(event: dict) -> str:
    digits = "".join(ch for ch in event["event_id"].rsplit("_", 1)[-1] if ch.isdigit())
    return str(int(digits)) if digits else event["event_id"]


def build(con, names) -> Section:
    section = Section(
        key="rerouting_monthly",
        heading="EU exports to transit countries against EU exports to Russia, by month, with the sanctions packages",
        how_to_read=(
            "Monthly EU27 exports to each transit country with monthly data, and to Russia (black), each month as an "
            "index of the same calendar month in 2019–2021 (= 100). The dashed grey rules are the EU sanctions "
            "packages against Russia, numbered at the top (hover a rule for the package). Log scale."
        ),
        sources="Eurostat Comext (EU27 monthly exports, EUR); reference.events (EU Council sanctions timeline); "
        "dbt model marts.sanctions_rerouting_indicators (frequency M; product_scope as chosen above, 'all' by default).",
    )
    section.missing = table_state(con, "marts", "sanctions_rerouting_indicators")
    if section.missing:
        return section
    rows = query_rows(
        con,
        """select transit_code, period_start, index_vs_baseline, eu_exports_to_ru_index, product_scope, flag,
                  eu_exports_eur
           from marts.sanctions_rerouting_indicators
           where frequency = 'M' and index_vs_baseline is not null
           order by product_scope, transit_code, period_start""",
    )
    if not any(r["product_scope"] == "all" for r in rows):
        section.missing = "marts.sanctions_rerouting_indicators has no monthly rows for product_scope 'all'"
        return section
    data, russia = [], {}
    for r in rows:
        data.append(
            {
                "code": r["transit_code"],
                "year": int(r["period_start"][:4]),
                "scope": r["product_scope"],
                "series": names.get(r["transit_code"], r["transit_code"]),
                "period": r["period_start"],
                "index": r["index_vs_baseline"],
            }
        )
        if r["eu_exports_to_ru_index"] is not None:
            russia[(r["product_scope"], r["period_start"])] = r["eu_exports_to_ru_index"]
    countries = sorted({d["series"] for d in data})
    russia_label = "Russia (direct route)"
    data += [
        {"code": None, "year": int(p[:4]), "scope": scope, "series": russia_label, "period": p, "index": v}
        for (scope, p), v in sorted(russia.items())
    ]
    domain = [*countries, russia_label]
    colors = [*COUNTRY_PALETTE[: len(countries)], RUSSIA_COLOR]
    periods = sorted({d["period"] for d in data})
    marks = sanctions_package_marks(con, periods[0], periods[-1])

    x = alt.X(
        "period:T",
        title="Month",
        scale=alt.Scale(type="utc"),
        axis=alt.Axis(format="%b %Y", tickCount=12, labelAngle=0),
    )
    y = alt.Y("index:Q", scale=log_index_scale([d["index"] for d in data]), axis=index_axis())
    lines = (
        alt.Chart(alt.Data(values=data))
        .transform_filter(SCOPED_FILTER)
        .mark_line(strokeWidth=1.8)
        .encode(
            x=x,
            y=y,
            opacity=highlight(),
            color=alt.Color(
                "series:N",
                title="EU27 exports to",
                scale=alt.Scale(domain=domain, range=colors),
                legend=alt.Legend(orient="bottom", columns=len(domain), symbolType="stroke"),
            ),
            strokeWidth=alt.condition(f"datum.series == '{russia_label}'", alt.value(3.2), alt.value(1.8)),
            tooltip=[
                alt.Tooltip("series:N", title="EU27 exports to"),
                alt.Tooltip("period:T", title="Month", format="%b %Y", formatType="utc"),
                alt.Tooltip("index:Q", title="Index", format=".0f"),
            ],
        )
    )
    baseline = (
        alt.Chart(alt.Data(values=[{"index": 100}]))
        .mark_rule(color="#888", strokeDash=[4, 3])
        .encode(y=alt.Y("index:Q"))
    )
    layers = [baseline]
    subtitle = ["EU27 exports in EUR, each month as an index of the same month's 2019–2021 average (= 100); log scale."]
    if marks:
        ev = alt.Data(values=[{**m, "year": int(m["date"][:4])} for m in marks])
        ex = alt.X("date:T", scale=alt.Scale(type="utc"))
        rules = (
            alt.Chart(ev)
            .transform_filter(YEAR_FILTER)
            .mark_rule(color="#777", strokeDash=[2, 2], strokeWidth=1.2)
            .encode(x=ex, tooltip=[alt.Tooltip("titles:N", title="EU sanctions package")])
        )
        labels = [
            alt.Chart(ev)
            .transform_filter(f"datum.row == {row} && {YEAR_FILTER}")
            .mark_text(
                fontSize=10,
                fontWeight="bold",
                color="#555",
                baseline="bottom",
                dy=-2 - 12 * row,
            )
            .encode(
                x=ex, y=alt.value(0), text="label:N", tooltip=[alt.Tooltip("titles:N", title="EU sanctions package")]
            )
            for row in (0, 1)
        ]
        layers += [rules, *labels]
        subtitle.append(
            f"Dashed rules, numbered at the top: EU sanctions packages {marks[0]['label'].split('–')[0]}"
            f"–{marks[-1]['label'].split('–')[-1]} adopted in this period."
        )
    layers.append(lines)
    subtitle.append("Source: Eurostat Comext; reference.events; dbt model marts.sanctions_rerouting_indicators.")
    chart = alt.layer(*layers).properties(
        width=CHART_WIDTH - 60,
        height=380,
        title=chart_title("EU27 exports to transit countries vs to Russia, monthly index", *subtitle),
    )
    chart = chart.properties(padding={"top": 20, "left": 5, "right": 5, "bottom": 5})
    section.chart = configure(chart)
    section.notes = [f"{len(marks)} sanctions-package marks"] if marks else []
    section.table = rows
    section.filters = {"country": "transit_code", "year": "period_start", "scope": "product_scope"}
    section.data_sources = ["eurostat_comext"]
    return section
