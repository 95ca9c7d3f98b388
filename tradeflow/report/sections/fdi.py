"""Foreign direct investment in Central Asia by investor."""

from __future__ import annotations

import altair as alt

from tradeflow.report.data import query_rows, table_state
from tradeflow.report.sections import Section
from tradeflow.report.style import (
    COUNTRY_PALETTE,
    COUNTRY_YEAR_FILTER,
    FDI_INVESTORS,
    INVESTOR_COLORS,
    chart_title,
    configure,
)

# the rows' "year" is a date string for the x axis; the integer year the page filters on is year_int
FDI_FILTER = COUNTRY_YEAR_FILTER.replace("datum.year", "datum.year_int")


def build(con, names) -> Section:
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
    section.missing = table_state(con, "marts", "eu_investment_central_asia")
    if section.missing:
        return section
    investors = ", ".join(f"'{i}'" for i in FDI_INVESTORS)
    stock = query_rows(
        con,
        f"""select host_code, investor_code, year, value_eur, share_of_host_total_pct
            from marts.eu_investment_central_asia
            where source = 'wiiw' and measure = 'fdi_inward_stock' and investor_code in ({investors})
              and value_eur is not null
            order by host_code, investor_code, year""",
    )
    pct = query_rows(
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
                "code": r["host_code"],
                "year_int": r["year"],
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
            .transform_filter(FDI_FILTER)
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
                "code": r["host_code"],
                "year_int": r["year"],
                "host": names.get(r["host_code"], r["host_code"]),
                "year": f"{r['year']}-01-01",
                "pct": r["value_pct_of_gdp"],
            }
            for r in pct
        ]
        hosts = sorted({d["host"] for d in pdata})
        right = (
            alt.Chart(alt.Data(values=pdata))
            .transform_filter(FDI_FILTER)
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
            title=chart_title(
                "Foreign direct investment in Central Asia: the EU vs Russia vs China",
                "Source: wiiw FDI database / National Bank of Kazakhstan (EUR); World Bank WDI; "
                "dbt model marts.eu_investment_central_asia.",
            )
        )
    )
    section.chart = configure(chart)
    section.table = [{"table": "wiiw inward FDI stock", **r} for r in stock] + [
        {"table": "World Bank FDI net inflows, % of GDP", **r} for r in pct
    ]
    section.filters = {"country": "host_code", "year": "year"}
    section.data_sources = ["wiiw_fdi", "worldbank"]
    return section
