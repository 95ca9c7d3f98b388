"""Kazakhstan, Bureau of National Statistics: "Main indicators of foreign trade by country" (.xls).

One workbook per edition (`kz_bns_foreign_trade_by_country_<year>_<previous year>.xls`), one sheet per
year (the edition's year and the previous one, revised); other sheets (cover, legend, contents,
methodology in the 2023 edition) have no table and are skipped. A table sheet has, above its header,
a title naming the year ("за январь-декабрь 2019 года", "2023 год") and the unit line
"тыс. долларов США"; its header row names Товарооборот / Экспорт / Импорт in columns 2, 4 and 6
(each followed by a share column, not loaded). The country column is headed "Наименование",
"Наименование страны" or, by a template error, "Наименование области".

Partners are Russian labels, looked up (see `cells.label_key`) in seeds/national_partner_labels_ru.csv;
totals, groups (CIS, EAEU, EU, ...) and continents are kept with their `row_kind`, never added to
countries. An empty cell is null (the publisher leaves a cell empty where there was no trade), not 0.
Values are thousand US dollars as published. `edition_year` is the newest year of the workbook, so a
year published in two editions can be taken from the later (revised) one.
"""

from __future__ import annotations

import re

import polars as pl

from extract.errors import SchemaDrift
from extract.readers.cells import label_key, number, workbook_sheets

SCHEMA: dict[str, pl.DataType] = {
    "reporter_iso3": pl.String,
    "flow": pl.String,
    "partner_label_ru": pl.String,
    "partner_iso3": pl.String,
    "row_kind": pl.String,
    "year": pl.Int32,
    "month": pl.Int32,
    "value_thousand_usd": pl.Float64,
    "source_row": pl.Int32,
    "sheet": pl.String,
    "edition_year": pl.Int32,
}
FLOW_COLUMNS = (("export", 3, "экспорт"), ("import", 5, "импорт"))
_YEAR = re.compile(r"(?<!\d)(\d{4})\s*(?:год|года)\b", re.IGNORECASE)


def _header_row(rows: list[list]) -> int | None:
    for i, r in enumerate(rows[:15]):
        cells = [label_key(c) for c in r[:7]] + [""] * 7
        if cells[1] == "товарооборот" and cells[3] == "экспорт" and cells[5] == "импорт":
            return i
    return None


def parse(source: str, where: str, body: bytes, labels: dict[str, tuple[str | None, str]]) -> pl.DataFrame:
    """The rows of every table sheet of one BNS workbook, in SCHEMA."""
    tables = []
    for name, rows in workbook_sheets(source, where, body):
        h = _header_row(rows)
        if h is None:
            continue
        at_sheet = f"{where} sheet {name!r}"
        above = " ".join(str(c) for r in rows[:h] for c in r if c not in (None, ""))
        if "тыс. долларов сша" not in label_key(above):
            raise SchemaDrift(
                source, at_sheet, "the unit line 'тыс. долларов США' is missing above the header", field="unit"
            )
        years = {int(y) for y in _YEAR.findall(above)}
        if len(years) != 1:
            raise SchemaDrift(
                source, at_sheet, f"the title names {len(years)} years, not one: {above[:120]!r}", field="year"
            )
        tables.append((name, h, years.pop(), rows))
    if not tables:
        raise SchemaDrift(source, where, "no sheet has the header Товарооборот / Экспорт / Импорт", field="header")
    edition = max(t[2] for t in tables)
    out: list[dict] = []
    for name, h, year, rows in tables:
        seen: dict[str, int] = {}
        for n, r in enumerate(rows[h + 2 :], start=h + 3):
            cells = list(r) + [None] * 7
            label = cells[0]
            values = cells[1:7]
            if label in (None, "") or (isinstance(label, str) and not label.strip()):
                if any(v not in (None, "") for v in values):
                    raise SchemaDrift(
                        source, f"{where} sheet {name!r} row {n}", "values without a partner label", field="label"
                    )
                continue
            at = f"{where} sheet {name!r} row {n}"
            key = label_key(label)
            if key not in labels:
                raise SchemaDrift(
                    source,
                    at,
                    f"unknown partner label {str(label).strip()!r}: add it to seeds/national_partner_labels_ru.csv "
                    "(label_ru, iso3, kind)",
                    field="partner_label_ru",
                )
            if key in seen:
                raise SchemaDrift(
                    source, at, f"partner {str(label).strip()!r} already on row {seen[key]}", field="label"
                )
            seen[key] = n
            iso3, kind = labels[key]
            for flow, col, head in FLOW_COLUMNS:
                out.append(
                    {
                        "flow": flow,
                        "partner_label_ru": re.sub(r"\s+", " ", str(label)).strip(),
                        "partner_iso3": iso3,
                        "row_kind": kind,
                        "year": year,
                        "month": None,
                        "value_thousand_usd": number(source, at, head, cells[col]),
                        "source_row": n,
                        "sheet": name,
                    }
                )
    frame = pl.DataFrame(out, schema={c: t for c, t in SCHEMA.items() if c not in ("reporter_iso3", "edition_year")})
    return frame.with_columns(pl.lit("KAZ").alias("reporter_iso3"), pl.lit(edition).alias("edition_year")).select(
        [pl.col(c).cast(t) for c, t in SCHEMA.items()]
    )
