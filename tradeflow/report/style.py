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
"""
