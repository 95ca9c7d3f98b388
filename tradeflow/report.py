"""`tradeflow report`: a self-contained HTML report of the marts, for analysts who would rather look than read.

One HTML file, viewable offline: the Vega, Vega-Lite and Vega-Embed libraries are inlined once (bundled by
vl-convert), every chart is an Altair (Vega-Lite) spec rendered in the browser as SVG. Each chart names its
units and its sources in its subtitle, so an exported PNG or SVG still says where the numbers come from.
A mart that is missing or empty in the warehouse gets a note in its chart's place instead of a failure.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from dataclasses import dataclass, field
from pathlib import Path

import altair as alt
import duckdb
import vl_convert

# Charts are rendered by the browser from the inlined bundle: altair's data transformers never write files.
alt.data_transformers.disable_max_rows()

INDEX_AXIS = "Index, 2019–2021 = 100 (log scale)"
TOP_PRODUCTS_PER_COUNTRY = 8
"""The top-re-routed-products chart shows, per transit country, this many products by rank plus every CHPL product
the mart lists."""
FDI_INVESTORS = ("EU27", "RUS", "CHN", "USA", "TUR")
RCA_PARTNERS = ("RUS", "CHN", "EU27", "TUR", "USA")

RUSSIA_SERIES = "EU27 exports to Russia"
RUSSIA_COLOR = "#111111"
PARTNER_COLORS = {"RUS": "#c62828", "CHN": "#e6a100", "EU27": "#1f4e9c", "TUR": "#2e9e8f", "USA": "#7b5ea7"}
INVESTOR_COLORS = PARTNER_COLORS
COUNTRY_PALETTE = [
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#9467bd",
    "#ff7f0e",
    "#17becf",
    "#8c564b",
    "#e377c2",
    "#bcbd22",
    "#7f7f7f",
    "#393b79",
    "#637939",
    "#843c39",
]
CHPL_TIER_COLORS = {
    "1": "#67000d",
    "2": "#cb181d",
    "3.A": "#ef3b2c",
    "3.B": "#fb6a4a",
    "4.A": "#fc9272",
    "4.B": "#fcbba1",
    "not on the CHPL": "#9e9e9e",
}
DISPLAY_NAMES = {"EU27": "EU27", "WLD": "World", "USA": "United States", "RUS": "Russia"}

CHART_WIDTH = 980
FONT = "Helvetica, Arial, sans-serif"


@dataclass
class Section:
    key: str
    heading: str
    how_to_read: str
    sources: str
    chart: alt.TopLevelMixin | None = None
    missing: str | None = None
    notes: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------------------------------- warehouse


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    out = []
    for row in cur.fetchall():
        rec = {}
        for name, value in zip(names, row, strict=True):
            if isinstance(value, dt.date):  # datetimes too
                value = value.isoformat()
            rec[name] = value
        out.append(rec)
    return out


def _table_state(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> str | None:
    """None when the table exists and has rows; otherwise why it cannot be charted."""
    exists = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?", [schema, table]
    ).fetchone()[0]
    if not exists:
        return f"{schema}.{table} is missing in this warehouse"
    if con.execute(f'select count(*) from "{schema}"."{table}"').fetchone()[0] == 0:
        return f"{schema}.{table} is empty in this warehouse"
    return None


def _names(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    names = {}
    if _table_state(con, "marts", "dim_countries") is None:
        for code, short, full in con.execute(
            "select country_code, short_name, country_name from marts.dim_countries"
        ).fetchall():
            names[code] = short or full or code
    names.update(DISPLAY_NAMES)
    return names


def build_info(con: duckdb.DuckDBPyConnection) -> dict:
    """The warehouse version, when it was built and by which command (ops.builds, newest build)."""
    info = {"version": None, "built_at": None, "command": None}
    if _table_state(con, "ops", "builds") is None:
        version, built_at, extract = con.execute(
            "select version, built_at, extract from ops.builds order by built_at desc nulls last limit 1"
        ).fetchone()
        info["version"], info["built_at"] = version, built_at
        try:
            info["command"] = json.loads(extract or "{}").get("command")
        except json.JSONDecodeError:
            info["command"] = None
    return info


# ------------------------------------------------------------------------------------------------------ charts


def _title(text: str, *subtitle: str) -> alt.TitleParams:
    return alt.TitleParams(
        text=text,
        subtitle=list(subtitle),
        anchor="start",
        fontSize=16,
        subtitleFontSize=11.5,
        subtitleColor="#444",
        offset=12,
    )


def _configure(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    return (
        chart.configure(font=FONT)
        .configure_axis(labelFontSize=11, titleFontSize=12, titleColor="#222", gridColor="#e6e6e6")
        .configure_legend(
            labelFontSize=11,
            titleFontSize=12,
            labelLimit=320,
            orient="bottom",
            direction="horizontal",
            columns=4,
            symbolStrokeWidth=3,
        )
        .configure_header(labelFontSize=12, labelFontWeight="bold", titleFontSize=12)
        .configure_view(stroke="#cccccc")
    )


def _log_index_scale(values: list[float]) -> alt.Scale:
    lo = min(v for v in values if v and v > 0)
    hi = max(values)
    return alt.Scale(type="log", domain=[min(25, lo * 0.9), max(200, hi * 1.1)], nice=False)


LOG_TICKS = [25, 50, 100, 200, 400, 800, 1600, 3200]


def _index_axis(title: str = INDEX_AXIS) -> alt.Axis:
    return alt.Axis(title=title, values=LOG_TICKS, format="d")


def rerouting_annual(con, names) -> Section:
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
        "(product_scope 'all', frequency A).",
    )
    section.missing = _table_state(con, "marts", "sanctions_rerouting_indicators")
    if section.missing:
        return section
    rows = _rows(
        con,
        """select transit_code, period_start, index_vs_baseline, eu_exports_to_ru_index, months_covered,
                  is_complete_period, baseline_years, eu_exports_eur
           from marts.sanctions_rerouting_indicators
           where product_scope = 'all' and frequency = 'A' and index_vs_baseline is not null
           order by transit_code, period_start""",
    )
    if not rows:
        section.missing = "marts.sanctions_rerouting_indicators has no annual rows for product_scope 'all'"
        return section
    data = []
    for r in rows:
        panel = f"{names.get(r['transit_code'], r['transit_code'])} ({r['transit_code']})"
        partial = "" if r["is_complete_period"] else f": Jan–{_month_name(r['months_covered'])} only"
        common = {
            "panel": panel,
            "period": r["period_start"],
            "months": r["months_covered"],
            "complete": bool(r["is_complete_period"]),
            "year_label": r["period_start"][:4] + partial,
        }
        data.append({**common, "series": "EU27 exports to this country", "index": r["index_vs_baseline"]})
        if r["eu_exports_to_ru_index"] is not None:
            data.append({**common, "series": RUSSIA_SERIES, "index": r["eu_exports_to_ru_index"]})
    partial_years = sorted({d["year_label"] for d in data if not d["complete"]})
    scale = _log_index_scale([d["index"] for d in data])
    color = alt.Color(
        "series:N",
        title=None,
        scale=alt.Scale(domain=["EU27 exports to this country", RUSSIA_SERIES], range=["#1f77b4", RUSSIA_COLOR]),
        legend=alt.Legend(orient="top", direction="horizontal", columns=2, symbolType="stroke"),
    )
    x = alt.X("period:T", title="Year", scale=alt.Scale(type="utc"), axis=alt.Axis(format="%Y", tickCount=6))
    y = alt.Y("index:Q", scale=scale, axis=_index_axis("Index, 2019–2021 = 100"))
    tooltip = [
        alt.Tooltip("panel:N", title="Country"),
        alt.Tooltip("series:N", title="Series"),
        alt.Tooltip("year_label:N", title="Year"),
        alt.Tooltip("index:Q", title="Index", format=".0f"),
    ]
    base = alt.Chart().encode(x=x, y=y, color=color)
    lines = base.mark_line(strokeWidth=2)
    points = base.mark_point(size=28, strokeWidth=1.5, opacity=1).encode(
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
        .properties(width=205, height=150)
        .facet(
            facet=alt.Facet("panel:N", title=None, header=alt.Header(labelOrient="top", labelAnchor="start")),
            columns=4,
        )
        .properties(title=_title("EU27 exports to transit countries vs to Russia, annual index", *subtitle))
    )
    section.chart = _configure(chart)
    return section


def _month_name(n: int | None) -> str:
    return dt.date(2000, max(1, min(12, n or 12)), 1).strftime("%B")


def sanctions_package_marks(con, first: str, last: str) -> list[dict]:
    """EU sanctions packages between two month starts (inclusive of the last month), one mark per month: packages
    adopted in the same month share a mark labelled with their range ('1–3')."""
    if _table_state(con, "reference", "events") is not None:
        return []
    events = _rows(
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


def rerouting_monthly(con, names) -> Section:
    section = Section(
        key="rerouting_monthly",
        heading="EU exports to transit countries against EU exports to Russia, by month, with the sanctions packages",
        how_to_read=(
            "Monthly EU27 exports to each transit country with monthly data, and to Russia (black), each month as an "
            "index of the same calendar month in 2019–2021 (= 100). The dashed grey rules are the EU sanctions "
            "packages against Russia, numbered at the top (hover a rule for the package). Log scale."
        ),
        sources="Eurostat Comext (EU27 monthly exports, EUR); reference.events (EU Council sanctions timeline); "
        "dbt model marts.sanctions_rerouting_indicators (product_scope 'all', frequency M).",
    )
    section.missing = _table_state(con, "marts", "sanctions_rerouting_indicators")
    if section.missing:
        return section
    rows = _rows(
        con,
        """select transit_code, period_start, index_vs_baseline, eu_exports_to_ru_index
           from marts.sanctions_rerouting_indicators
           where product_scope = 'all' and frequency = 'M' and index_vs_baseline is not null
           order by transit_code, period_start""",
    )
    if not rows:
        section.missing = "marts.sanctions_rerouting_indicators has no monthly rows for product_scope 'all'"
        return section
    data, russia = [], {}
    for r in rows:
        data.append(
            {
                "series": names.get(r["transit_code"], r["transit_code"]),
                "period": r["period_start"],
                "index": r["index_vs_baseline"],
            }
        )
        if r["eu_exports_to_ru_index"] is not None:
            russia[r["period_start"]] = r["eu_exports_to_ru_index"]
    countries = sorted({d["series"] for d in data})
    russia_label = "Russia (direct route)"
    data += [{"series": russia_label, "period": p, "index": v} for p, v in sorted(russia.items())]
    domain = [*countries, russia_label]
    colors = [*COUNTRY_PALETTE[: len(countries)], RUSSIA_COLOR]
    periods = sorted({d["period"] for d in data})
    marks = sanctions_package_marks(con, periods[0], periods[-1])

    x = alt.X(
        "period:T",
        title="Month",
        scale=alt.Scale(type="utc", domain=[periods[0], periods[-1]]),
        axis=alt.Axis(format="%b %Y", tickCount=12, labelAngle=0),
    )
    y = alt.Y("index:Q", scale=_log_index_scale([d["index"] for d in data]), axis=_index_axis())
    lines = (
        alt.Chart(alt.Data(values=data))
        .mark_line(strokeWidth=1.8)
        .encode(
            x=x,
            y=y,
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
        ev = alt.Data(values=marks)
        ex = alt.X("date:T", scale=alt.Scale(type="utc"))
        rules = (
            alt.Chart(ev)
            .mark_rule(color="#777", strokeDash=[2, 2], strokeWidth=1.2)
            .encode(x=ex, tooltip=[alt.Tooltip("titles:N", title="EU sanctions package")])
        )
        labels = [
            alt.Chart(ev)
            .transform_filter(f"datum.row == {row}")
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
        title=_title("EU27 exports to transit countries vs to Russia, monthly index", *subtitle),
    )
    chart = chart.properties(padding={"top": 20, "left": 5, "right": 5, "bottom": 5})
    section.chart = _configure(chart)
    section.notes = [f"{len(marks)} sanctions-package marks"] if marks else []
    return section


def russia_central_asia(con, names) -> Section:
    section = Section(
        key="russia_central_asia_trade",
        heading="Russia and Central Asia: trade by partner over time",
        how_to_read=(
            "Each row is one Central Asian country, left its exports to, right its imports from Russia, China, the "
            "EU27, Türkiye and the United States, in USD million a year. Solid lines are the country's own report "
            "(national statistics office, else its report to UN Comtrade or the IMF); dashed lines are mirror data "
            "(the partner's report, converted CIF/FOB), used where the country reports nothing. Y scales differ "
            "between rows."
        ),
        sources="National statistics offices (Kyrgyz NSC, stat.uz), UN Comtrade, IMF IMTS; mirrors from Eurostat "
        "Comext; dbt model marts.russia_central_asia_trade (frequency A).",
    )
    section.missing = _table_state(con, "marts", "russia_central_asia_trade")
    if section.missing:
        return section
    partners = ", ".join(f"'{p}'" for p in RCA_PARTNERS)
    rows = _rows(
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
    years = sorted({r["period_start"] for r in rows})
    x_scale = alt.Scale(type="utc", domain=[years[0], years[-1]])
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
    grid = []
    for code in order:
        country = f"{names.get(code, code)} ({code})"
        cells = []
        for direction, label in directions.items():
            data = [
                {
                    "country": country,
                    "direction": label,
                    "partner": names.get(r["partner_code"], r["partner_code"]),
                    "period": r["period_start"],
                    "value_musd": r["value_usd"] / 1e6,
                    "basis": "mirror (partner's report)" if r["is_mirror"] else "own report",
                    "value_basis": r["value_basis"],
                    "source": r["source"],
                }
                for r in rows
                if r["country_code"] == code and r["direction"] == direction
            ]
            title = alt.TitleParams(f"{country}: {label}", anchor="start", fontSize=12.5)
            if data:
                cell = (
                    alt.Chart(alt.Data(values=data))
                    .mark_line(strokeWidth=2, point=alt.OverlayMarkDef(size=14, filled=True))
                    .encode(
                        x=alt.X("period:T", title="Year", scale=x_scale, axis=alt.Axis(format="%Y", tickCount=8)),
                        y=alt.Y("value_musd:Q", title="USD million"),
                        color=color,
                        strokeDash=dash,
                        detail="basis:N",
                        tooltip=tooltip,
                    )
                )
            else:
                cell = alt.Chart(
                    alt.Data(
                        values=[
                            {
                                "text": f"No rows for {names.get(code, code)}'s {direction} in "
                                "marts.russia_central_asia_trade."
                            }
                        ]
                    )
                )
                cell = cell.mark_text(color="#777", fontSize=11.5, align="center").encode(
                    text="text:N", x=alt.value(215), y=alt.value(70)
                )
            cells.append(cell.properties(width=430, height=140, title=title))
        grid.append(alt.hconcat(*cells, spacing=40).resolve_scale(y="independent"))
    chart = (
        alt.vconcat(*grid, spacing=18)
        .resolve_scale(y="independent")
        .properties(
            title=_title(
                "Central Asia's trade with Russia, China, the EU27, Türkiye and the US",
                "Annual, USD million, as the Central Asian country values it: exports FOB, imports CIF. Dashed: mirror data "
                "(partner's report, CIF/FOB converted with a flat factor).",
                "Source: national statistics offices (Kyrgyz NSC, stat.uz), UN Comtrade, IMF IMTS; mirrors: Eurostat Comext; "
                "dbt model marts.russia_central_asia_trade.",
            )
        )
    )
    section.chart = _configure(chart)
    return section


def fdi(con, names) -> Section:
    section = Section(
        key="eu_investment_central_asia",
        heading="EU, Russian and Chinese direct investment in Central Asia",
        how_to_read=(
            "Left: the stock of foreign direct investment in the host country by investor at the end of each year, "
            "as the host's central bank reports it (via wiiw), in EUR billion. Right, for scale: each Central Asian "
            "country's FDI net inflows from all investors in percent of its GDP (World Bank)."
        ),
        sources="wiiw FDI database (National Bank of Kazakhstan data), EUR; World Bank WDI (BX.KLT.DINV.WD.GD.ZS); "
        "dbt model marts.eu_investment_central_asia.",
    )
    section.missing = _table_state(con, "marts", "eu_investment_central_asia")
    if section.missing:
        return section
    investors = ", ".join(f"'{i}'" for i in FDI_INVESTORS)
    stock = _rows(
        con,
        f"""select host_code, investor_code, year, value_eur, share_of_host_total_pct
            from marts.eu_investment_central_asia
            where source = 'wiiw' and measure = 'fdi_inward_stock' and investor_code in ({investors})
              and value_eur is not null
            order by host_code, investor_code, year""",
    )
    pct = _rows(
        con,
        """select host_code, year, value_pct_of_gdp from marts.eu_investment_central_asia
           where source = 'worldbank' and measure = 'fdi_pct_gdp' and value_pct_of_gdp is not null
           order by host_code, year""",
    )
    if not stock and not pct:
        section.missing = (
            "marts.eu_investment_central_asia has no wiiw inward FDI stocks and no World Bank FDI shares of GDP"
        )
        return section
    panels = []
    if stock:
        hosts = sorted({r["host_code"] for r in stock})
        host_label = ", ".join(names.get(h, h) for h in hosts)
        sdata = [
            {
                "host": names.get(r["host_code"], r["host_code"]),
                "investor": names.get(r["investor_code"], r["investor_code"]),
                "year": f"{r['year']}-12-31",
                "value_beur": r["value_eur"] / 1e9,
                "share": r["share_of_host_total_pct"],
            }
            for r in stock
        ]
        inv_domain = [names.get(i, i) for i in FDI_INVESTORS]
        left = (
            alt.Chart(alt.Data(values=sdata))
            .mark_line(strokeWidth=2.4, point=alt.OverlayMarkDef(size=22))
            .encode(
                x=alt.X(
                    "year:T", title="End of year", scale=alt.Scale(type="utc"), axis=alt.Axis(format="%Y", tickCount=6)
                ),
                y=alt.Y("value_beur:Q", title="Inward FDI stock, EUR billion"),
                color=alt.Color(
                    "investor:N",
                    title="Investor",
                    scale=alt.Scale(domain=inv_domain, range=[INVESTOR_COLORS[i] for i in FDI_INVESTORS]),
                    legend=alt.Legend(orient="bottom", columns=5),
                ),
                detail="host:N",
                tooltip=[
                    alt.Tooltip("host:N", title="Host"),
                    alt.Tooltip("investor:N", title="Investor"),
                    alt.Tooltip("year:T", title="End of", format="%Y", formatType="utc"),
                    alt.Tooltip("value_beur:Q", title="EUR billion", format=",.2f"),
                    alt.Tooltip("share:Q", title="% of host's total", format=".1f"),
                ],
            )
            .properties(
                width=440,
                height=300,
                title=alt.TitleParams(
                    f"{host_label}: inward FDI stock by investor",
                    subtitle=[
                        "EUR billion, end of year, host-side (directional principle).",
                        "Source: wiiw FDI database (National Bank of Kazakhstan).",
                    ],
                    anchor="start",
                    fontSize=13,
                ),
            )
        )
        panels.append(left)
    if pct:
        pdata = [
            {
                "host": names.get(r["host_code"], r["host_code"]),
                "year": f"{r['year']}-01-01",
                "pct": r["value_pct_of_gdp"],
            }
            for r in pct
        ]
        hosts = sorted({d["host"] for d in pdata})
        right = (
            alt.Chart(alt.Data(values=pdata))
            .mark_line(strokeWidth=2, point=alt.OverlayMarkDef(size=16))
            .encode(
                x=alt.X("year:T", title="Year", scale=alt.Scale(type="utc"), axis=alt.Axis(format="%Y", tickCount=6)),
                y=alt.Y("pct:Q", title="FDI net inflows, % of GDP"),
                color=alt.Color(
                    "host:N",
                    title="Host country",
                    scale=alt.Scale(domain=hosts, range=COUNTRY_PALETTE[: len(hosts)]),
                    legend=alt.Legend(orient="bottom", columns=5),
                ),
                tooltip=[
                    alt.Tooltip("host:N", title="Host"),
                    alt.Tooltip("year:T", title="Year", format="%Y", formatType="utc"),
                    alt.Tooltip("pct:Q", title="% of GDP", format=".2f"),
                ],
            )
            .properties(
                width=400,
                height=300,
                title=alt.TitleParams(
                    "FDI net inflows from all investors",
                    subtitle=["Percent of GDP (balance of payments, current US$).", "Source: World Bank WDI."],
                    anchor="start",
                    fontSize=13,
                ),
            )
        )
        panels.append(right)
    chart = (
        alt.hconcat(*panels, spacing=50)
        .resolve_scale(color="independent")
        .properties(
            title=_title(
                "Foreign direct investment in Central Asia: the EU vs Russia vs China",
                "Source: wiiw FDI database / National Bank of Kazakhstan (EUR); World Bank WDI; "
                "dbt model marts.eu_investment_central_asia.",
            )
        )
    )
    section.chart = _configure(chart)
    return section


def top_products_rows(con) -> list[dict]:
    """The rows the top-re-routed-products chart shows: the latest year's top products per transit country plus every
    CHPL product listed for it."""
    return _rows(
        con,
        f"""select transit_code, year, excess_rank, product_code, description, chpl_tier, is_chpl,
                   is_eu_export_banned, eu_exports_eur, baseline_eur, excess_eur, index_vs_baseline, months_covered,
                   baseline_years
            from marts.top_rerouted_products
            where year = (select max(year) from marts.top_rerouted_products)
              and (excess_rank <= {TOP_PRODUCTS_PER_COUNTRY} or is_chpl)
            order by transit_code, excess_rank""",
    )


def top_products(con, names) -> Section:
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
    section.missing = _table_state(con, "marts", "top_rerouted_products")
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
        short = desc if len(desc) <= 62 else desc[:60].rstrip(" ,;") + "…"
        data.append(
            {
                "country": f"{names.get(r['transit_code'], r['transit_code'])} ({r['transit_code']})",
                "label": f"{r['excess_rank']:>2}. {r['product_code']} {short}",
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
    period = "the full year" if months >= 12 else f"January–{_month_name(months)} ({months} months)"
    bars = (
        alt.Chart()
        .mark_bar(height={"band": 0.8})
        .encode(
            x=alt.X("excess_meur:Q", title="Excess EU27 exports over the 2019–2021 baseline, EUR million"),
            y=alt.Y(
                "label:N",
                title=None,
                sort=alt.EncodingSortField("rank", order="ascending"),
                axis=alt.Axis(labelLimit=430, labelFontSize=10.5),
            ),
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
        .properties(width=440)
        .facet(
            row=alt.Row(
                "country:N", title=None, header=alt.Header(labelOrient="top", labelAnchor="start", labelAngle=0)
            ),
            spacing=14,
        )
        .resolve_scale(y="independent")
        .properties(
            title=_title(
                f"Top re-routed products and the CHPL goods among them, {year}: excess EU27 exports to each transit "
                "country",
                f"EUR million, {period} of {year} against the mean of the same months of 2019–2021; "
                f"{banned} of the {len(data)} products shown are under an EU export ban to Russia (Reg. 833/2014).",
                "Source: Eurostat Comext (HS6, HS2022 codes); Common High Priority List 2024-02-23; "
                "dbt model marts.top_rerouted_products.",
            )
        )
    )
    section.chart = _configure(chart)
    return section


# -------------------------------------------------------------------------------------------------------- page

CSS = """
body { font-family: Helvetica, Arial, sans-serif; color: #222; margin: 0; background: #fafafa; }
main { max-width: 1120px; margin: 0 auto; padding: 24px 32px 48px; background: #fff; }
h1 { font-size: 26px; margin: 0 0 6px; }
h2 { font-size: 19px; margin: 36px 0 6px; border-top: 1px solid #ddd; padding-top: 22px; }
p, li, dd, dt { font-size: 14px; line-height: 1.5; }
.lead { font-size: 15px; }
dl.meta { display: grid; grid-template-columns: max-content auto; gap: 2px 14px; margin: 12px 0; }
dl.meta dt { font-weight: bold; }
dl.meta dd { margin: 0; font-family: Menlo, Consolas, monospace; font-size: 13px; }
.caveats { background: #fff8e1; border-left: 4px solid #f0b400; padding: 8px 16px; margin: 12px 0; }
.caveats h3 { margin: 6px 0; font-size: 15px; }
.chart { margin: 10px 0 4px; overflow-x: auto; }
.chart-missing { border: 2px dashed #c62828; color: #8e0000; background: #fff5f5; padding: 28px; margin: 10px 0;
  font-size: 15px; }
.chart-error { color: #8e0000; font-weight: bold; }
figcaption { font-size: 12.5px; color: #555; }
nav ol { font-size: 14px; }
footer { margin-top: 36px; font-size: 12px; color: #666; }
"""

EMBED_JS = """
(function () {
  const charts = %s;
  const state = {done: false, expected: charts.length, rendered: [], errors: []};
  window.__tradeflowReport = state;
  const opts = {renderer: "svg", actions: {export: true, source: false, compiled: false, editor: false}};
  Promise.all(charts.map(function (c) {
    return vegaEmbed("#" + c.id, c.spec, opts).then(function (result) {
      state.rendered.push(c.id);
      return result;
    }).catch(function (err) {
      state.errors.push(c.id + ": " + err);
      const el = document.getElementById(c.id);
      el.insertAdjacentHTML("beforeend", '<p class="chart-error">This chart failed to render: ' +
        String(err).replace(/</g, "&lt;") + "</p>");
      console.error("tradeflow report: chart " + c.id + " failed", err);
    });
  })).then(function () { state.done = true; });
})();
"""


def _script_json(value) -> str:
    return json.dumps(value, ensure_ascii=False).replace("</", "<\\/")


def _caveats(info: dict) -> list[str]:
    items = [
        "<b>Mirror data.</b> Russia has published almost no trade data since 2022; its side is rebuilt from what its "
        "partners report. Where a Central Asian country reports nothing, its trade is the partner's report of the "
        "reverse flow (dashed in the trade chart).",
        "<b>CIF/FOB.</b> Exporters value goods FOB, importers CIF (with freight and insurance). Mirror values are "
        "converted with a flat factor (dbt var <code>cif_fob_factor</code>, default 1.10), so the two sides of a flow "
        "never match exactly.",
        "<b>Indices.</b> 2019–2021 = 100 is the mean of the baseline years (for months, of the same calendar month); "
        "an incomplete year is compared with the same months of the baseline years. An index is a ratio, not a level: "
        "a small market can show a large index.",
        "<b>Currencies.</b> EU data are in EUR as Eurostat publishes them; Central Asian trade in USD; EUR/USD at the "
        "ECB average of the month or year.",
    ]
    command = info.get("command") or ""
    if command.startswith("demo"):
        items.append(
            "<b>Constructed fixtures.</b> This warehouse was built by <code>tradeflow demo</code> from the bundled "
            "snapshot: real published files, plus a few small constructed recordings standing in for API answers "
            "(named <i>constructed</i> in <code>data/PROVENANCE.md</code> and each recording's PROVENANCE.md). Check "
            "a number against a live refresh before quoting it."
        )
    else:
        items.append(
            "<b>Constructed fixtures.</b> Warehouses built by <code>tradeflow demo</code> rest partly on small "
            "constructed recordings (see <code>data/PROVENANCE.md</code>); this one was built by "
            f"<code>{html.escape(command or 'an unknown command')}</code>."
        )
    return items


def render_html(info: dict, sections: list[Section], generated_at: dt.datetime) -> str:
    charts, body = [], []
    for i, s in enumerate(sections, start=1):
        body.append(f'<section id="{s.key}"><h2>{i}. {html.escape(s.heading)}</h2>')
        body.append(f"<p>{html.escape(s.how_to_read)}</p>")
        if s.chart is not None:
            div = f"chart-{s.key}"
            body.append(f'<figure><div class="chart" id="{div}" data-chart="{s.key}"></div>')
            charts.append({"id": div, "spec": s.chart.to_dict()})
        else:
            body.append(
                f'<figure><div class="chart-missing" data-chart-missing="{s.key}">No chart: '
                f"{html.escape(s.missing or 'no data')}. Build the warehouse with <code>tradeflow demo</code> (bundled "
                "data) or <code>tradeflow refresh</code>, then run <code>tradeflow report</code> again.</div>"
            )
        body.append(f"<figcaption>Sources: {html.escape(s.sources)}</figcaption></figure></section>")

    version = info.get("version") or "unknown (no ops.builds in this warehouse)"
    built = info["built_at"].strftime("%Y-%m-%d %H:%M") if info.get("built_at") else "unknown"
    toc = "".join(f'<li><a href="#{s.key}">{html.escape(s.heading)}</a></li>' for s in sections)
    caveats = "".join(f"<li>{c}</li>" for c in _caveats(info))
    vl_version = "_".join(alt.SCHEMA_VERSION.split(".")[:2])
    bundle = vl_convert.javascript_bundle(vl_version=vl_version)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tradeflow report: Russia, Central Asia, the EU and sanctions re-routing</title>
<style>{CSS}</style>
<script>
// Vega, Vega-Lite {alt.SCHEMA_VERSION} and Vega-Embed, bundled by vl-convert {vl_convert.__version__}: no network needed.
{bundle}
</script>
</head>
<body>
<main>
<header>
<h1>tradeflow report: Russia, Central Asia, the EU and sanctions re-routing</h1>
<p class="lead">Is Russia losing Central Asia to the EU, China and the US, and are sanctioned goods reaching Russia
through its neighbours? This report charts the warehouse's marts: EU exports to the transit countries against EU
exports to Russia (annual and monthly, with the EU sanctions packages), Central Asia's trade with Russia, China and
the EU, foreign direct investment in Central Asia by investor, and the products whose EU exports to the transit
countries grew most. Hover a chart for the exact values; the <code>…</code> menu saves it as PNG or SVG.</p>
<dl class="meta">
<dt>Warehouse version</dt><dd>{html.escape(version)}</dd>
<dt>Warehouse built</dt><dd>{html.escape(built)}</dd>
<dt>Report generated</dt><dd>{generated_at.strftime("%Y-%m-%d %H:%M")}</dd>
</dl>
<div class="caveats"><h3>Read with care</h3><ul>{caveats}</ul></div>
<nav><ol>{toc}</ol></nav>
</header>
{"".join(body)}
<footer>Built by <code>tradeflow report</code> from the DuckDB warehouse. Data: Eurostat Comext (CC BY 4.0), national
statistics offices (Kyrgyz NSC, stat.uz), UN Comtrade, IMF IMTS, wiiw FDI database (National Bank of Kazakhstan),
World Bank WDI (CC BY 4.0), ECB exchange rates; cite the original publisher. Charts: Vega-Lite via Altair.</footer>
</main>
<script>{EMBED_JS % _script_json(charts)}</script>
</body>
</html>
"""


def build_sections(con: duckdb.DuckDBPyConnection) -> list[Section]:
    names = _names(con)
    return [
        rerouting_annual(con, names),
        rerouting_monthly(con, names),
        russia_central_asia(con, names),
        fdi(con, names),
        top_products(con, names),
    ]


def build_report(db_path: Path | str, out_path: Path | str) -> Path:
    """Write the HTML report of the warehouse at db_path (opened read-only) to out_path; returns out_path."""
    db_path, out_path = Path(db_path), Path(out_path)
    if not db_path.exists():
        raise FileNotFoundError(f"no warehouse at {db_path}: build one with `tradeflow demo` or `tradeflow refresh`")
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        info = build_info(con)
        sections = build_sections(con)
    finally:
        con.close()
    page = render_html(info, sections, dt.datetime.now())
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(page, encoding="utf-8")
    return out_path
