"""Eurostat data-browser workbook of DS-045409 (EU trade since 1988 by HS2-4-6 and CN8), .xlsx.

The workbook Eurostat's data browser writes for a saved query: sheets "Summary" and "Structure", then
one sheet per product x flow x indicator ("Sheet 1", "Sheet 2", ...). Each data sheet has the lines
`PRODUCT [PRODUCT] | | <label> [<code>]`, `FLOW | | IMPORT|EXPORT`, `INDICATORS | | VALUE_IN_EUROS`, a
`TIME | TIME | 2020-01 | ...` header of months, and below `REPORTER (Labels) | PARTNER (Labels)` one row per
reporter and partner (English labels, mapped with seeds/eurostat_geo_labels.csv; an unknown label fails
naming the sheet and row). ":" is not available (null). Returns the columns of the raw schema of the
`eurostat_comext` source's `web_export` dataset (the source casts them to it) (flow 1 import, 2 export; freq M; values in euros;
`stat_procedure` null: the workbook does not split it; `source_line` = the sheet's row).
"""

from __future__ import annotations

import re

import polars as pl

from extract.errors import SchemaDrift
from extract.readers.cells import number, workbook_sheets

FLOWS = {"IMPORT": "1", "EXPORT": "2"}
_CODE = re.compile(r"\[([A-Z0-9]+)\]\s*$")
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def _meta(rows: list[list], key: str) -> str | None:
    for r in rows[:12]:
        if r and str(r[0]).strip().startswith(key):
            return str(r[2]).strip() if len(r) > 2 and r[2] not in (None, "") else None
    return None


def parse(
    source: str, where: str, body: bytes, labels: dict[tuple[str, str], tuple[str, str | None, bool]]
) -> pl.DataFrame:
    out: list[dict] = []
    seen: dict[tuple, str] = {}
    sheets = 0
    for name, rows in workbook_sheets(source, where, body):
        time_row = next((i for i, r in enumerate(rows[:20]) if r[:2] == ["TIME", "TIME"]), None)
        if time_row is None:
            continue  # Summary, Structure
        sheets += 1
        at_sheet = f"{where} sheet {name!r}"
        product_label, flow_label, indicator = _meta(rows, "PRODUCT"), _meta(rows, "FLOW"), _meta(rows, "INDICATORS")
        m = _CODE.search(product_label or "")
        if not m:
            raise SchemaDrift(source, at_sheet, f"PRODUCT {product_label!r} has no [code]", field="PRODUCT")
        product = m.group(1)
        if flow_label not in FLOWS:
            raise SchemaDrift(source, at_sheet, f"FLOW {flow_label!r} is not IMPORT or EXPORT", field="FLOW")
        if indicator != "VALUE_IN_EUROS":
            raise SchemaDrift(source, at_sheet, f"INDICATORS {indicator!r} is not VALUE_IN_EUROS", field="INDICATORS")
        periods = {}
        for i, cell in enumerate(rows[time_row][2:], start=2):
            if cell in (None, ""):
                continue
            if not _MONTH.match(str(cell)):
                raise SchemaDrift(
                    source, f"{at_sheet} row {time_row + 1}", f"TIME {cell!r} is not a month YYYY-MM", field="TIME"
                )
            periods[i] = str(cell)
        head = next((i for i, r in enumerate(rows) if r[:2] == ["REPORTER (Labels)", "PARTNER (Labels)"]), None)
        if head is None:
            raise SchemaDrift(source, at_sheet, "no 'REPORTER (Labels) | PARTNER (Labels)' row", field="header")
        for n, r in enumerate(rows[head + 1 :], start=head + 2):
            if not r or all(c in (None, "") for c in r):
                continue
            at = f"{at_sheet} row {n}"
            reporter_label, partner_label = (str(c).strip() for c in r[:2])
            if not reporter_label or not partner_label:
                # footnotes under the table ("Special value:", ": not available") end it
                if reporter_label and all(c in (None, "") for c in r[1:]):
                    break
                raise SchemaDrift(source, at, "a row without a reporter or partner label", field="REPORTER")
            geo = {}
            for column, label in (("REPORTER", reporter_label), ("PARTNER", partner_label)):
                hit = labels.get(("en", label))
                if hit is None:
                    raise SchemaDrift(
                        source,
                        at,
                        f"unknown {column.lower()} label {label!r}: add it to seeds/eurostat_geo_labels.csv",
                        field=column,
                    )
                geo[column] = hit
            for i, period in periods.items():
                key = (geo["REPORTER"][0], geo["PARTNER"][0], product, FLOWS[flow_label], period)
                if key in seen:
                    raise SchemaDrift(source, at, f"cell {key} already in {seen[key]}", field="row")
                seen[key] = at
                out.append(
                    {
                        "reporter_label": reporter_label,
                        "reporter": geo["REPORTER"][0],
                        "reporter_iso3": geo["REPORTER"][1],
                        "reporter_is_aggregate": geo["REPORTER"][2],
                        "partner_label": partner_label,
                        "partner": geo["PARTNER"][0],
                        "partner_iso3": geo["PARTNER"][1],
                        "partner_is_aggregate": geo["PARTNER"][2],
                        "product": product,
                        "flow": FLOWS[flow_label],
                        "stat_procedure": None,
                        "freq": "M",
                        "period": period,
                        "period_label": period,
                        "value_eur": number(source, at, period, r[i] if i < len(r) else None),
                        "source_line": n,
                    }
                )
    if not sheets:
        raise SchemaDrift(source, where, "no data sheet (a 'TIME | TIME' header row) in the workbook", field="sheet")
    return pl.DataFrame(out, infer_schema_length=None)
