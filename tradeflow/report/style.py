"""The report's look: colours, fonts, chart titles and axes shared by the sections, and the page CSS."""

from __future__ import annotations

import datetime as dt

import altair as alt

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


def chart_title(text: str, *subtitle: str) -> alt.TitleParams:
    return alt.TitleParams(
        text=text,
        subtitle=list(subtitle),
        anchor="start",
        fontSize=16,
        subtitleFontSize=11.5,
        subtitleColor="#444",
        offset=12,
    )


def configure(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
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


def log_index_scale(values: list[float]) -> alt.Scale:
    lo = min(v for v in values if v and v > 0)
    hi = max(values)
    return alt.Scale(type="log", domain=[min(25, lo * 0.9), max(200, hi * 1.1)], nice=False)


LOG_TICKS = [25, 50, 100, 200, 400, 800, 1600, 3200]


def index_axis(title: str = INDEX_AXIS) -> alt.Axis:
    return alt.Axis(title=title, values=LOG_TICKS, format="d")


def month_name(n: int | None) -> str:
    return dt.date(2000, max(1, min(12, n or 12)), 1).strftime("%B")


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
form.filters { display: flex; flex-wrap: wrap; gap: 8px 16px; background: #f3f6fb; border: 1px solid #d5dfee;
  padding: 8px 12px; margin: 14px 0; position: sticky; top: 0; z-index: 5; }
form.filters fieldset { border: 0; margin: 0; padding: 0; font-size: 13px; }
form.filters legend { font-weight: bold; font-size: 13px; }
form.filters .countries { display: flex; flex-wrap: wrap; gap: 2px 10px; max-width: 640px; }
form.filters label { font-size: 13px; white-space: nowrap; }
form.filters input[type=number] { width: 5em; }
form.filters .hint { flex-basis: 100%; margin: 2px 0 0; font-size: 12.5px; color: #444; }
#highlight-note { font-weight: bold; color: #1f4e9c; }
.chart-caveats { background: #fff8e1; border-left: 4px solid #f0b400; padding: 2px 12px; margin: 8px 0; }
.chart-caveats li { font-size: 13px; }
.chart-tools { margin: 6px 0; font-size: 13px; }
.chart-tools .count { color: #555; margin-left: 8px; }
details.chart-data summary { cursor: pointer; font-size: 13px; }
.table-wrap { max-height: 360px; overflow: auto; border: 1px solid #ddd; }
.table-wrap table, table.sources { border-collapse: collapse; font-size: 12px; }
.table-wrap th, .table-wrap td, table.sources th, table.sources td { border: 1px solid #e3e3e3; padding: 2px 6px;
  text-align: left; white-space: nowrap; }
.table-wrap th { position: sticky; top: 0; background: #f5f5f5; }
table.sources { margin: 10px 0; }
table.sources caption { text-align: left; font-weight: bold; font-size: 14px; padding-bottom: 4px; }
.data-dates { color: #333; }
"""


# ------------------------------------------------------------------------------------- filters and highlighting

FILTER_PARAMS = {"f_countries": [], "f_scope": "all", "f_year_from": 1900, "f_year_to": 2100, "f_highlight": ""}
"""Page-wide Vega-Lite params every chart declares (page.py adds them to each spec): the page's filter controls and
a click on a country in any chart set them in every chart. f_countries [] means every country."""

COUNTRY_YEAR_FILTER = (
    "(!datum.code || length(f_countries) == 0 || indexof(f_countries, datum.code) >= 0)"
    " && datum.year >= f_year_from && datum.year <= f_year_to"
)
"""Rows without a code (EU27 exports to Russia in the monthly chart) are never filtered out by country."""
YEAR_FILTER = "datum.year >= f_year_from && datum.year <= f_year_to"
SCOPED_FILTER = COUNTRY_YEAR_FILTER + " && datum.scope == f_scope"

PRODUCT_SCOPES = {
    "all": "all goods",
    "chpl": "Common High Priority List (all tiers)",
    "chpl_tier_1": "CHPL tier 1",
    "chpl_tier_2": "CHPL tier 2",
    "chpl_tier_3a": "CHPL tier 3.A",
    "chpl_tier_3b": "CHPL tier 3.B",
    "chpl_tier_4a": "CHPL tier 4.A",
    "eu_banned": "goods under an EU export ban to Russia",
    "not_sanctioned": "goods neither on the CHPL nor banned",
}


def highlight(on: float = 1.0, off: float = 0.15):
    """Opacity: full for the highlighted country (or every country when none is), faded for the others."""
    return alt.condition("!f_highlight || !datum.code || datum.code == f_highlight", alt.value(on), alt.value(off))


def readable_name(description: str, width: int = 52, lines: int = 2) -> str:
    """A product description wrapped at word boundaries onto at most `lines` lines of `width` characters
    (newline-separated; the axis splits them), ending in '…' when it had to be cut."""
    import textwrap

    wrapped = textwrap.wrap(" ".join((description or "").split()), width=width)
    if len(wrapped) <= lines:
        return "\n".join(wrapped)
    kept = wrapped[:lines]
    kept[-1] = kept[-1][: width - 1].rstrip(" ,;") + "…"
    return "\n".join(kept)


SPLIT_LINES = "split(datum.value, '\\n')"
"""Axis labelExpr that turns newline-separated labels into multi-line labels."""
