"""The page: every section's chart embedded in one self-contained HTML file, and `build_report`."""

from __future__ import annotations

import datetime as dt
import html
import json
from pathlib import Path

import altair as alt
import duckdb
import vl_convert

from tradeflow.report.data import build_info, country_names
from tradeflow.report.sections import (
    Section,
    fdi,
    rerouting_annual,
    rerouting_monthly,
    russia_central_asia,
    top_products,
)
from tradeflow.report.style import CSS

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
    names = country_names(con)
    return [
        rerouting_annual.build(con, names),
        rerouting_monthly.build(con, names),
        russia_central_asia.build(con, names),
        fdi.build(con, names),
        top_products.build(con, names),
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
