"""`tradeflow report`: the HTML report of the demo warehouse, opened in a real (headless) Chromium.

The report must be self-contained (no script or stylesheet fetched from the network), run without a script error,
and every chart must render: each Vega view produces an SVG whose data marks are counted against the warehouse.
A screenshot of the whole page goes to the test's tmp dir (never into the working tree). In the browser the page's
filters (country, product scope, years) change what every chart draws and what its CSV download holds; the CSV
and PNG downloads land in a temporary download folder and are checked against the warehouse.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import time
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest

from tests.helpers import run_tradeflow
from tradeflow.report import TOP_PRODUCTS_PER_COUNTRY, build_report

pytestmark = pytest.mark.slow

CHART_KEYS = [
    "rerouting_annual",
    "rerouting_monthly",
    "russia_central_asia_trade",
    "eu_investment_central_asia",
    "top_rerouted_products",
    "origin_shares",
    "product_legs",
]


# ------------------------------------------------------------------------------------------------ the browser


def _wait_for_charts(driver, timeout: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = driver.execute_script("return window.__tradeflowReport || null")
        if state and state.get("done"):
            return state
        time.sleep(0.25)
    raise AssertionError(f"the charts did not finish rendering within {timeout:.0f}s: {state}")


MARK_COUNTS_JS = """
const out = {};
for (const el of document.querySelectorAll('div.chart[data-chart]')) {
  const svg = el.querySelector('svg');
  const count = (sel) => svg ? svg.querySelectorAll(sel).length : 0;
  out[el.dataset.chart] = {
    svg: !!svg,
    width: svg ? svg.getBoundingClientRect().width : 0,
    height: svg ? svg.getBoundingClientRect().height : 0,
    lines: count('g.mark-line.role-mark > path'),
    symbols: count('g.mark-symbol.role-mark > path'),
    rects: count('g.mark-rect.role-mark > path'),
    rules: count('g.mark-rule.role-mark > line'),
    texts: count('g.mark-text.role-mark > text'),
    title: svg ? Array.from(svg.querySelectorAll('g.role-title text')).map(t => t.textContent).join(' | ') : '',
    axisTitles: svg ? Array.from(svg.querySelectorAll('g.role-axis-title text')).map(t => t.textContent) : [],
  };
}
return out;
"""


# --------------------------------------------------------------------------------------------------- helpers


class _ExternalRefs(HTMLParser):
    """Collects src/href attributes of script, link, img and iframe tags that point to the network."""

    def __init__(self):
        super().__init__()
        self.external: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self.scripts += 1
        if tag in {"script", "link", "img", "iframe"}:
            for name, value in attrs:
                if name in {"src", "href"} and value and re.match(r"^(https?:)?//", value.strip(), re.I):
                    self.external.append(f"<{tag} {name}={value}>")


def _expected(db: Path) -> dict:
    """What the charts must show, computed from the warehouse independently of the report code."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        one = lambda sql: con.execute(sql).fetchone()[0]  # noqa: E731
        annual_panels = one("""select count(distinct transit_code) from marts.sanctions_rerouting_indicators
                               where product_scope = 'all' and frequency = 'A' and index_vs_baseline is not null""")
        annual_points = one("""select count(*) + count(eu_exports_to_ru_index) from marts.sanctions_rerouting_indicators
                               where product_scope = 'all' and frequency = 'A' and index_vs_baseline is not null""")
        monthly_countries = one("""select count(distinct transit_code) from marts.sanctions_rerouting_indicators
                                   where product_scope = 'all' and frequency = 'M'""")
        package_months = one(
            """with m as (select min(period_start) lo, max(period_start) hi from marts.sanctions_rerouting_indicators
                          where product_scope = 'all' and frequency = 'M')
               select count(distinct date_trunc('month', event_date)) from reference.events, m
               where kind = 'eu_sanctions_package' and event_date >= m.lo and event_date < m.hi + interval 1 month"""
        )
        rca_series = one("""select count(distinct (country_code, direction, partner_code, is_mirror))
                            from marts.russia_central_asia_trade
                            where frequency = 'A' and partner_code in ('RUS', 'CHN', 'EU27', 'TUR', 'USA')""")
        rca_points = one("""select count(*) from marts.russia_central_asia_trade
                            where frequency = 'A' and partner_code in ('RUS', 'CHN', 'EU27', 'TUR', 'USA')""")
        fdi_investors = one("""select count(distinct investor_code) from marts.eu_investment_central_asia
                               where source = 'wiiw' and measure = 'fdi_inward_stock'
                                 and investor_code in ('EU27', 'RUS', 'CHN', 'USA', 'TUR')""")
        fdi_hosts_pct = one("""select count(distinct host_code) from marts.eu_investment_central_asia
                               where source = 'worldbank' and measure = 'fdi_pct_gdp'""")
        top_bars = one(f"""select count(*) from marts.top_rerouted_products
                           where year = (select max(year) from marts.top_rerouted_products)
                             and (excess_rank <= {TOP_PRODUCTS_PER_COUNTRY} or is_chpl)""")
        top_chpl = one("""select count(*) from marts.top_rerouted_products
                          where year = (select max(year) from marts.top_rerouted_products) and is_chpl""")
        version = one("select version from ops.builds order by built_at desc limit 1")
    finally:
        con.close()
    return locals()


# ------------------------------------------------------------------------------------------------------ tests


@pytest.fixture(scope="module")
def report(demo_warehouse, tmp_path_factory) -> Path:
    return build_report(demo_warehouse, tmp_path_factory.mktemp("report") / "index.html")


def test_report_is_self_contained_and_says_what_it_is(report, demo_warehouse):
    text = report.read_text(encoding="utf-8")
    refs = _ExternalRefs()
    refs.feed(text)
    assert refs.external == [], f"the report loads from the network: {refs.external}"
    assert refs.scripts >= 2  # the inlined bundle and the charts
    assert "vegaEmbed" in text and len(text) > 500_000, "the Vega bundle is not inlined"
    exp = _expected(demo_warehouse)
    assert exp["version"] in text
    for words in (
        "Mirror data",
        "CIF/FOB",
        "Constructed fixtures",
        "Eurostat Comext",
        "National Bank of Kazakhstan",
        "World Bank",
        "national statistics offices",
        "marts.sanctions_rerouting_indicators",
        "marts.russia_central_asia_trade",
        "marts.eu_investment_central_asia",
        "marts.top_rerouted_products",
    ):
        assert words in text, words
    assert text.count('class="chart" id=') == len(CHART_KEYS)
    assert "data-chart-missing=" not in text


def test_report_renders_every_chart_in_chromium(report, demo_warehouse, browser, tmp_path):
    exp = _expected(demo_warehouse)
    browser.get_log("browser")  # the browser is shared by the session: drop what other pages logged before
    browser.get(report.resolve().as_uri())
    state = _wait_for_charts(browser)
    logs = browser.get_log("browser")
    errors = [entry["message"] for entry in logs if entry["level"] in ("SEVERE", "ERROR")]
    assert errors == [], f"script errors in the browser: {errors}"
    assert state["errors"] == [], state["errors"]
    assert sorted(state["rendered"]) == sorted(f"chart-{k}" for k in CHART_KEYS)

    marks = browser.execute_script(MARK_COUNTS_JS)
    assert sorted(marks) == sorted(CHART_KEYS)
    for key, m in marks.items():
        assert m["svg"] and m["width"] > 300 and m["height"] > 200, (key, m)
        assert m["title"], f"{key} has no title"
        assert m["axisTitles"] and all(m["axisTitles"]), f"{key} has unlabelled axes: {m}"

    annual = marks["rerouting_annual"]
    # one line per series per panel (the country's and Russia's), one point per row, one baseline rule per panel
    assert annual["lines"] == 2 * exp["annual_panels"], annual
    assert annual["symbols"] == exp["annual_points"], annual
    assert annual["rules"] == exp["annual_panels"], annual
    assert "Index, 2019–2021 = 100" in annual["axisTitles"]

    monthly = marks["rerouting_monthly"]
    assert monthly["lines"] == exp["monthly_countries"] + 1, monthly  # + EU27 exports to Russia
    assert exp["package_months"] >= 10
    assert monthly["rules"] == exp["package_months"] + 1, monthly  # + the baseline at 100
    assert monthly["texts"] == exp["package_months"], monthly

    rca = marks["russia_central_asia_trade"]
    assert rca["lines"] == exp["rca_series"], rca
    assert rca["symbols"] == exp["rca_points"], rca
    assert "USD million" in rca["axisTitles"]

    fdi = marks["eu_investment_central_asia"]
    assert fdi["lines"] == exp["fdi_investors"] + exp["fdi_hosts_pct"], fdi
    assert exp["fdi_investors"] == 5
    assert "Inward FDI stock, EUR billion" in fdi["axisTitles"]

    top = marks["top_rerouted_products"]
    assert top["rects"] == exp["top_bars"], top
    assert exp["top_chpl"] > 0
    assert any("EUR million" in t for t in top["axisTitles"])

    # the monthly chart marks the sanctions packages: its tooltips name them
    page_text = browser.find_element("tag name", "body").text
    assert "tradeflow report" in page_text and exp["version"] in page_text

    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1280, height + 40)
    time.sleep(0.5)
    shot = tmp_path / "report.png"
    assert browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 50_000


def test_report_says_so_when_a_mart_is_missing(demo_warehouse, tmp_path):
    db = tmp_path / "no_rca.duckdb"
    shutil.copyfile(demo_warehouse, db)
    con = duckdb.connect(str(db))
    con.execute("drop table marts.russia_central_asia_trade")
    con.execute("delete from marts.top_rerouted_products")
    con.close()
    text = build_report(db, tmp_path / "index.html").read_text(encoding="utf-8")
    assert 'data-chart-missing="russia_central_asia_trade"' in text
    assert "marts.russia_central_asia_trade is missing in this warehouse" in text
    assert 'data-chart-missing="top_rerouted_products"' in text
    assert "marts.top_rerouted_products is empty in this warehouse" in text
    assert text.count('class="chart" id=') == len(CHART_KEYS) - 2


def test_report_command(demo_warehouse, tmp_path):
    out = tmp_path / "cli" / "report.html"
    proc = run_tradeflow("report", "--out", str(out), env={"TRADEFLOW_DB": str(demo_warehouse)})
    assert out.exists() and out.stat().st_size > 500_000
    assert str(out) in proc.stdout
    helptext = run_tradeflow("report", "--help").stdout
    assert "--out" in helptext and "Example" in helptext


# ------------------------------------------------------------------------- filters, downloads, caveats, data dates


def _embedded_tables(text: str) -> dict:
    match = re.search(r'<script type="application/json" id="tradeflow-tables">(.*?)</script>', text, re.S)
    assert match, "the page carries no chart data"
    return json.loads(match.group(1).replace("<\\/", "</"))


def _wait_for_downloads(folder: Path, names: list[str], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        present = {p.name for p in folder.iterdir()}
        if all(n in present for n in names) and not any(p.suffix == ".crdownload" for p in folder.iterdir()):
            return
        time.sleep(0.2)
    raise AssertionError(f"downloads {names} did not arrive in {folder}: {sorted(p.name for p in folder.iterdir())}")


def test_each_chart_carries_its_data_caveats_and_data_dates(report, demo_warehouse):
    text = report.read_text(encoding="utf-8")
    tables = _embedded_tables(text)
    assert sorted(tables) == sorted(CHART_KEYS)
    con = duckdb.connect(str(demo_warehouse), read_only=True)
    try:
        # the annual chart's data is the mart's annual rows, every product scope
        annual = con.execute(
            "select count(*), count(distinct product_scope) from marts.sanctions_rerouting_indicators "
            "where frequency = 'A' and index_vs_baseline is not null"
        ).fetchone()
        top = con.execute(
            f"""select count(*) from marts.top_rerouted_products
                where year = (select max(year) from marts.top_rerouted_products)
                  and (excess_rank <= {TOP_PRODUCTS_PER_COUNTRY} or is_chpl)"""
        ).fetchone()[0]
        comext_to = con.execute(
            "select strftime(max(period_start), '%Y-%m') from marts.fct_trade_flows "
            "where source like 'eurostat_comext%' and frequency = 'M'"
        ).fetchone()[0]
        wiiw_to = con.execute(
            "select max(year) from marts.eu_investment_central_asia where source = 'wiiw'"
        ).fetchone()[0]
    finally:
        con.close()
    assert len(tables["rerouting_annual"]["rows"]) == annual[0] and annual[1] >= 5
    assert tables["rerouting_annual"]["filters"] == {
        "country": "transit_code",
        "year": "period_start",
        "scope": "product_scope",
    }
    assert len(tables["top_rerouted_products"]["rows"]) == top
    assert "description" in tables["top_rerouted_products"]["columns"]

    for key in CHART_KEYS:
        assert f'data-download-csv="{key}"' in text and f'data-download-png="{key}"' in text, key
        assert f'data-table-for="{key}"' in text, key
    # caveats sit in the chart's section, not only in the header
    sections = dict(re.findall(r'<section id="([a-z_]+)">(.*?)</section>', text, re.S))
    assert "Mirror data." in sections["russia_central_asia_trade"]
    assert "CIF/FOB." in sections["russia_central_asia_trade"]
    assert "A listed product is not a breach." in sections["top_rerouted_products"]
    assert "An index is a ratio, not a level." in sections["rerouting_annual"]
    assert "Mirror data." not in sections["top_rerouted_products"]
    # the data date of each source the chart draws on
    assert "Eurostat Comext: annual data to" in sections["rerouting_monthly"]
    assert f"monthly data to {comext_to}" in sections["rerouting_monthly"]
    assert f"wiiw FDI database: annual data to {wiiw_to}" in sections["eu_investment_central_asia"]
    assert 'id="data-dates"' in text and "last fetched" in text


def test_a_filter_changes_the_charts_and_the_download(report, demo_warehouse, browser, download_dir):
    con = duckdb.connect(str(demo_warehouse), read_only=True)
    try:
        expected = con.execute(
            """select transit_code, period_start, index_vs_baseline, product_scope from marts.sanctions_rerouting_indicators
               where frequency = 'A' and index_vs_baseline is not null and transit_code = 'KGZ'
                 and product_scope = 'chpl' and year(period_start) between 2021 and 2023 order by period_start"""
        ).fetchall()
        top_kgz = con.execute(
            f"""select count(*) from marts.top_rerouted_products
                where year = (select max(year) from marts.top_rerouted_products) and transit_code = 'KGZ'
                  and (excess_rank <= {TOP_PRODUCTS_PER_COUNTRY} or is_chpl)"""
        ).fetchone()[0]
        top_year = con.execute("select max(year) from marts.top_rerouted_products").fetchone()[0]
    finally:
        con.close()
    assert len(expected) >= 2 and top_kgz > 0 and 2021 <= top_year <= 2023

    browser.get(report.resolve().as_uri())
    _wait_for_charts(browser)
    before = browser.execute_script(MARK_COUNTS_JS)
    # the analyst's filter: Kyrgyzstan only, CHPL goods, 2021-2023 (through the form, as a click would)
    browser.execute_script(
        """const form = document.getElementById('filters');
           form.querySelectorAll('input[name=country]').forEach(b => { b.checked = (b.value === 'KGZ'); });
           form.querySelector('select[name=scope]').value = 'chpl';
           form.querySelector('input[name=year_from]').value = 2021;
           form.querySelector('input[name=year_to]').value = 2023;
           form.dispatchEvent(new Event('change'));
           window.__tradeflowReport.applied.then(() => { window.__filtered = true; });"""
    )
    deadline = time.monotonic() + 30
    while not browser.execute_script("return window.__filtered === true") and time.monotonic() < deadline:
        time.sleep(0.2)
    after = browser.execute_script(MARK_COUNTS_JS)
    annual = after["rerouting_annual"]
    assert annual["rules"] == 1, annual  # one panel left: Kyrgyzstan's
    assert annual["lines"] == 2, annual  # its line and Russia's
    with_ru = sum(1 for _ in expected)  # every KGZ row has the Russia index too
    assert annual["symbols"] == len(expected) + with_ru, annual
    assert after["top_rerouted_products"]["rects"] == top_kgz < before["top_rerouted_products"]["rects"]
    assert after["rerouting_monthly"]["lines"] == 2  # Kyrgyzstan and EU27 exports to Russia
    counts = browser.execute_script(
        "return Object.fromEntries(Array.from(document.querySelectorAll('[data-count-for]'))"
        ".map(e => [e.dataset.countFor, e.textContent]))"
    )
    assert counts["rerouting_annual"].startswith(f"{len(expected)} of ")

    # the download is the filtered data, as CSV with the mart's columns
    browser.find_element("css selector", '[data-download-csv="rerouting_annual"]').click()
    browser.find_element("css selector", '[data-download-png="top_rerouted_products"]').click()
    _wait_for_downloads(download_dir, ["tradeflow_rerouting_annual.csv", "tradeflow_top_rerouted_products.png"])
    rows = list(csv.DictReader(io.StringIO((download_dir / "tradeflow_rerouting_annual.csv").read_text())))
    assert [(r["transit_code"], r["period_start"], r["product_scope"]) for r in rows] == [
        (code, period.isoformat(), scope) for code, period, _, scope in expected
    ]
    for row, (_, _, index, _) in zip(rows, expected, strict=True):
        assert float(row["index_vs_baseline"]) == pytest.approx(index)
    png = (download_dir / "tradeflow_top_rerouted_products.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5_000

    # the data table under the chart shows the same rows
    shown = browser.execute_script(
        "return Array.from(document.querySelectorAll('table[data-table-for=rerouting_annual] tbody tr')).length"
    )
    assert shown == len(expected)

    # linked highlight (after a reset): a click on a Kyrgyz bar in one chart fades the other countries in every chart
    browser.execute_script(
        """const form = document.getElementById('filters'); form.reset();
           setTimeout(() => window.__tradeflowReport.applied.then(() => { window.__reset = true; }), 50);"""
    )
    deadline = time.monotonic() + 30
    while not browser.execute_script("return window.__reset === true") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert browser.execute_script(MARK_COUNTS_JS)["rerouting_annual"]["rules"] == before["rerouting_annual"]["rules"]
    browser.execute_script(
        """const svg = document.querySelector('div.chart[data-chart=top_rerouted_products] svg');
           const bar = Array.from(svg.querySelectorAll('g.mark-rect.role-mark > path'))
             .find(p => p.__data__ && p.__data__.datum && p.__data__.datum.code === 'KGZ');
           bar.dispatchEvent(new MouseEvent('click', {bubbles: true, cancelable: true, view: window}));"""
    )
    deadline = time.monotonic() + 30
    faded = {}
    while time.monotonic() < deadline:
        faded = browser.execute_script(
            """const out = {};
               for (const key of ['top_rerouted_products', 'rerouting_annual']) {
                 const svg = document.querySelector('div.chart[data-chart=' + key + '] svg');
                 const marks = Array.from(svg.querySelectorAll('g.role-mark > path'))
                   .filter(p => p.__data__ && p.__data__.datum && p.__data__.datum.code);
                 out[key] = {
                   kgz_full: marks.filter(p => p.__data__.datum.code === 'KGZ' && p.getAttribute('opacity') !== '0.15').length,
                   others_faded: marks.filter(p => p.__data__.datum.code !== 'KGZ' && p.getAttribute('opacity') === '0.15').length,
                   others: marks.filter(p => p.__data__.datum.code !== 'KGZ').length,
                 };
               }
               out.note = document.getElementById('highlight-note').textContent;
               return out;"""
        )
        if "KGZ" in faded["note"] and faded["rerouting_annual"]["others_faded"]:
            break
        time.sleep(0.3)
    assert "Highlighted in every chart: KGZ" in faded["note"], faded
    for key in ("top_rerouted_products", "rerouting_annual"):
        assert faded[key]["kgz_full"] > 0, (key, faded)
        assert faded[key]["others_faded"] == faded[key]["others"] > 0, (key, faded)


def test_top_products_have_readable_names_and_an_axis_per_panel(report, demo_warehouse, browser):
    browser.get(report.resolve().as_uri())
    _wait_for_charts(browser)
    marks = browser.execute_script(MARK_COUNTS_JS)["top_rerouted_products"]
    con = duckdb.connect(str(demo_warehouse), read_only=True)
    try:
        panels = con.execute(
            "select count(distinct transit_code) from marts.top_rerouted_products "
            "where year = (select max(year) from marts.top_rerouted_products)"
        ).fetchone()[0]
        turbo = con.execute("select description from marts.dim_products where product_code = '841112'").fetchone()[0]
    finally:
        con.close()
    x_title = "Excess EU27 exports over the 2019–2021 baseline, EUR million"
    assert marks["axisTitles"].count(x_title) == panels >= 3, marks["axisTitles"]
    labels = browser.execute_script(
        """const svg = document.querySelector('div.chart[data-chart=top_rerouted_products] svg');
           return Array.from(svg.querySelectorAll('g.role-axis-label text')).map(t => {
             const spans = Array.from(t.querySelectorAll('tspan')).map(s => s.textContent);
             return spans.length ? spans : [t.textContent];
           });"""
    )
    multi = [parts for parts in labels if len(parts) > 1]
    assert multi, "no product name is wrapped onto a second line"
    for parts in multi:
        assert len(parts) == 2 and all(len(p) <= 64 for p in parts), parts
        assert not parts[1].startswith(" ") and not re.search(r"\w…$", parts[0]), parts
    flat = [" ".join(parts) for parts in labels]
    # a short name is shown whole
    assert any(turbo in label for label in flat), (turbo, flat[:10])


def test_report_png_per_chart_for_slides(demo_warehouse, tmp_path):
    out = tmp_path / "r" / "index.html"
    png_dir = tmp_path / "r" / "png"
    proc = run_tradeflow(
        "report", "--out", str(out), "--png-dir", str(png_dir), env={"TRADEFLOW_DB": str(demo_warehouse)}
    )
    assert f"charts as PNG: {png_dir}" in proc.stdout
    assert sorted(p.name for p in png_dir.iterdir()) == sorted(f"tradeflow_{k}.png" for k in CHART_KEYS)
    for path in png_dir.iterdir():
        data = path.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000, path.name
