"""The page: every section's chart embedded in one self-contained HTML file, and `build_report`."""

from __future__ import annotations

import datetime as dt
import html
import json
from pathlib import Path

import altair as alt
import duckdb
import vl_convert

from tradeflow.report.caveats import for_chart as caveats_for
from tradeflow.report.data import build_info, country_names, data_dates_line, source_dates
from tradeflow.report.sections import (
    Section,
    fdi,
    rerouting_annual,
    rerouting_monthly,
    rerouting_sides,
    russia_central_asia,
    top_products,
)
from tradeflow.report.style import CSS, FILTER_PARAMS, PRODUCT_SCOPES

PAGE_JS = Path(__file__).with_name("page.js")


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


def chart_spec(section: Section) -> dict:
    """The section's Vega-Lite spec with the page-wide filter params declared at its top level."""
    spec = section.chart.to_dict()
    spec["params"] = [*spec.get("params", []), *({"name": n, "value": v} for n, v in FILTER_PARAMS.items())]
    return spec


def _json_rows(rows: list[dict]) -> list[dict]:
    return [{k: (v.isoformat() if isinstance(v, dt.date | dt.datetime) else v) for k, v in r.items()} for r in rows]


def _filter_controls(sections: list[Section], names: dict[str, str]) -> str:
    """The filter form: countries (every code a chart filters on), product scope, years."""
    codes, years, scopes = set(), set(), set()
    for s in sections:
        for row in s.table:
            if s.filters.get("country") and row.get(s.filters["country"]):
                codes.add(row[s.filters["country"]])
            if s.filters.get("year") and row.get(s.filters["year"]) is not None:
                years.add(int(str(row[s.filters["year"]])[:4]))
            if s.filters.get("scope"):
                scopes.add(row[s.filters["scope"]])
    boxes = "".join(
        f'<label><input type="checkbox" name="country" value="{html.escape(c)}" checked> '
        f"{html.escape(names.get(c, c))} ({html.escape(c)})</label>"
        for c in sorted(codes, key=lambda c: names.get(c, c))
    )
    options = "".join(
        f'<option value="{k}"{" selected" if k == "all" else ""}>{html.escape(label)} ({k})</option>'
        for k, label in PRODUCT_SCOPES.items()
        if k in scopes
    )
    options += "".join(
        f'<option value="{html.escape(k)}">{html.escape(k)}</option>' for k in sorted(scopes - set(PRODUCT_SCOPES))
    )
    lo, hi = (min(years), max(years)) if years else (2000, 2030)
    return f"""<form id="filters" class="filters" onsubmit="return false">
<fieldset><legend>Countries</legend><div class="countries">{boxes}</div>
<button type="button" id="filter-all">all</button> <button type="button" id="filter-none">none</button></fieldset>
<fieldset><legend>Product scope (charts 1 and 2)</legend><select name="scope">{options}</select></fieldset>
<fieldset><legend>Years</legend><label>from <input type="number" name="year_from" value="{lo}" min="{lo}" max="{hi}"></label>
<label>to <input type="number" name="year_to" value="{hi}" min="{lo}" max="{hi}"></label></fieldset>
<fieldset><legend>&nbsp;</legend><button type="reset">Reset filters</button></fieldset>
<p class="hint">Filters apply to every chart, its data table and its CSV. Click a country's line, point or bar in any
chart to highlight it in all of them. <span id="highlight-note"></span></p>
</form>"""


def render_html(
    info: dict,
    sections: list[Section],
    generated_at: dt.datetime,
    names: dict[str, str] | None = None,
    dates: dict[str, dict] | None = None,
) -> str:
    names, dates = names or {}, dates or {}
    charts, body, tables = [], [], {}
    for i, s in enumerate(sections, start=1):
        body.append(f'<section id="{s.key}"><h2>{i}. {html.escape(s.heading)}</h2>')
        body.append(f"<p>{html.escape(s.how_to_read)}</p>")
        notes = caveats_for(s.key)
        if notes:
            items = "".join(f"<li><b>{html.escape(c.title)}.</b> {html.escape(c.text)}</li>" for c in notes)
            body.append(f'<aside class="chart-caveats" data-caveats-for="{s.key}"><ul>{items}</ul></aside>')
        if s.chart is not None:
            div = f"chart-{s.key}"
            body.append(f'<figure><div class="chart" id="{div}" data-chart="{s.key}"></div>')
            charts.append({"id": div, "spec": chart_spec(s)})
            columns = list(s.table[0]) if s.table else []
            tables[s.key] = {
                "file": f"tradeflow_{s.key}",
                "columns": columns,
                "filters": s.filters,
                "rows": _json_rows(s.table),
            }
            body.append(
                f'<div class="chart-tools"><button type="button" data-download-csv="{s.key}">Download data (CSV)</button> '
                f'<button type="button" data-download-png="{s.key}">Save chart (PNG)</button> '
                f'<span class="count" data-count-for="{s.key}"></span></div>'
                f'<details class="chart-data" data-data-for="{s.key}"><summary>Show the data</summary>'
                f'<p class="more" data-more-for="{s.key}"></p><div class="table-wrap">'
                f'<table data-table-for="{s.key}"></table></div></details>'
            )
        else:
            body.append(
                f'<figure><div class="chart-missing" data-chart-missing="{s.key}">No chart: '
                f"{html.escape(s.missing or 'no data')}. Build the warehouse with <code>tradeflow demo</code> (bundled "
                "data) or <code>tradeflow refresh</code>, then run <code>tradeflow report</code> again.</div>"
            )
        body.append(f"<figcaption>Sources: {html.escape(s.sources)}")
        if s.data_sources:
            body.append(
                f'<br><span class="data-dates" data-dates-for="{s.key}">Data dates: '
                f"{html.escape(data_dates_line(dates, s.data_sources))}</span>"
            )
        body.append("</figcaption></figure></section>")

    version = info.get("version") or "unknown (no ops.builds in this warehouse)"
    built = info["built_at"].strftime("%Y-%m-%d %H:%M") if info.get("built_at") else "unknown"
    toc = "".join(f'<li><a href="#{s.key}">{html.escape(s.heading)}</a></li>' for s in sections)
    caveats = "".join(f"<li>{c}</li>" for c in _caveats(info))
    source_rows = "".join(
        f"<tr><td>{html.escape(d['label'])}</td><td>{html.escape(', '.join(f'{v} ({f})' for f, v in sorted(d['data_to'].items())) or '-')}</td>"
        f"<td>{html.escape(d['fetched_at'] or '-')}</td><td>{html.escape(d['published'] or '-')}</td></tr>"
        for _, d in sorted(dates.items())
    )
    vl_version = "_".join(alt.SCHEMA_VERSION.split(".")[:2])
    bundle = vl_convert.javascript_bundle(vl_version=vl_version)
    script = PAGE_JS.read_text(encoding="utf-8").replace("__CHARTS__", _script_json(charts))
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
countries grew most. Hover a chart for the exact values; under each chart, show its data or download it as CSV, or
save the chart as PNG (as filtered).</p>
<dl class="meta">
<dt>Warehouse version</dt><dd>{html.escape(version)}</dd>
<dt>Warehouse built</dt><dd>{html.escape(built)}</dd>
<dt>Report generated</dt><dd>{generated_at.strftime("%Y-%m-%d %H:%M")}</dd>
</dl>
<table class="sources" id="data-dates"><caption>Data date of each source</caption>
<thead><tr><th>source</th><th>latest period in the marts (A annual, M monthly)</th><th>last fetched</th>
<th>last published by the source</th></tr></thead><tbody>{source_rows}</tbody></table>
<div class="caveats"><h3>Read with care</h3><ul>{caveats}</ul>
<p>Caveats that concern one chart sit next to it.</p></div>
<nav><ol>{toc}</ol></nav>
{_filter_controls(sections, names)}
</header>
{"".join(body)}
<footer>Built by <code>tradeflow report</code> from the DuckDB warehouse. Data: Eurostat Comext (CC BY 4.0), national
statistics offices (Kyrgyz NSC, stat.uz), UN Comtrade, IMF IMTS, wiiw FDI database (National Bank of Kazakhstan),
World Bank WDI (CC BY 4.0), ECB exchange rates; cite the original publisher. Charts: Vega-Lite via Altair.</footer>
</main>
<script type="application/json" id="tradeflow-tables">{_script_json(tables)}</script>
<script>{script}</script>
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
        rerouting_sides.build_origin_shares(con, names),
        rerouting_sides.build_product_legs(con, names),
    ]


def build_report(db_path: Path | str, out_path: Path | str, png_dir: Path | str | None = None) -> Path:
    """Write the HTML report of the warehouse at db_path (opened read-only) to out_path (and, with png_dir, one PNG
    per chart there); returns out_path."""
    db_path, out_path = Path(db_path), Path(out_path)
    if not db_path.exists():
        raise FileNotFoundError(f"no warehouse at {db_path}: build one with `tradeflow demo` or `tradeflow refresh`")
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        info = build_info(con)
        names = country_names(con)
        sections = build_sections(con)
        dates = source_dates(con)
    finally:
        con.close()
    page = render_html(info, sections, dt.datetime.now(), names=names, dates=dates)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(page, encoding="utf-8")
    if png_dir is not None:
        write_pngs(sections, Path(png_dir))
    return out_path


def write_pngs(sections: list[Section], out_dir: Path, scale: float = 2.0) -> list[Path]:
    """One PNG per chart (unfiltered, as on first opening the page) for slides, rendered by vl-convert offline."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for s in sections:
        if s.chart is None:
            continue
        path = out_dir / f"tradeflow_{s.key}.png"
        path.write_bytes(vl_convert.vegalite_to_png(chart_spec(s), scale=scale))
        written.append(path)
    return written
