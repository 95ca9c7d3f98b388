"""`tradeflow report`: a self-contained HTML report of the marts, for analysts who would rather look than read.

One HTML file, viewable offline: the Vega, Vega-Lite and Vega-Embed libraries are inlined once (bundled by
vl-convert), every chart is an Altair (Vega-Lite) spec rendered in the browser as SVG. Each chart names its
units and its sources in its subtitle, so an exported PNG or SVG still says where the numbers come from.
A mart that is missing or empty in the warehouse gets a note in its chart's place instead of a failure.

Layout: `data` (warehouse access), `style` (colours, titles, axes, CSS), `sections/` (one module per chart),
`page` (the HTML page and `build_report`).
"""

from __future__ import annotations

import altair as alt

# Charts are rendered by the browser from the inlined bundle: altair's data transformers never write files.
alt.data_transformers.disable_max_rows()

from tradeflow.report.page import build_report, build_sections, render_html  # noqa: E402
from tradeflow.report.sections import Section  # noqa: E402
from tradeflow.report.style import TOP_PRODUCTS_PER_COUNTRY  # noqa: E402

__all__ = ["TOP_PRODUCTS_PER_COUNTRY", "Section", "build_report", "build_sections", "render_html"]
