"""Rosstat (from Federal Customs Service data): Russia's trade with its 29 main partners, monthly 2006-2021.

Workbook `96stran.xlsx` ("Внешняя торговля Российской Федерации с основными странами (по данным ФТС
России)"): sheets Экспорт and Импорт, each with the unit line "(млн доллалов США)" (sic), a header row of
partner names (Russian, some with Latin letters inside: "Китaй"; matched through `cells.label_key` and
seeds/national_partner_labels_ru.csv), then for each year a row holding the year in column 1 and twelve
month rows ("  январь" ... "  декабрь"). "…" is not available (null). Values are **million US dollars**
as published (`value_million_usd`). Russia is the reporter: flow is Russia's export or import.
FTS asks to be credited: "По данным ФТС России".
"""

from __future__ import annotations

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
    "value_million_usd": pl.Float64,
    "source_row": pl.Int32,
    "sheet": pl.String,
}
SHEETS = {"экспорт": "export", "импорт": "import"}
MONTHS = {
    m: i
    for i, m in enumerate(
        (
            "январь",
            "февраль",
            "март",
            "апрель",
            "май",
            "июнь",
            "июль",
            "август",
            "сентябрь",
            "октябрь",
            "ноябрь",
            "декабрь",
        ),
        start=1,
    )
}


def _year(cell) -> int | None:
    if isinstance(cell, float) and cell.is_integer() and 1990 <= cell <= 2100:
        return int(cell)
    if isinstance(cell, int) and 1990 <= cell <= 2100:
        return cell
    if isinstance(cell, str) and cell.strip().isdigit() and len(cell.strip()) == 4:
        return int(cell.strip())
    return None


def parse(source: str, where: str, body: bytes, labels: dict[str, tuple[str | None, str]]) -> pl.DataFrame:
    """Both flow sheets of the workbook, one row per partner and month, in SCHEMA."""
    sheets = {label_key(name): (name, rows) for name, rows in workbook_sheets(source, where, body)}
    out: list[dict] = []
    for key, flow in SHEETS.items():
        if key not in sheets:
            raise SchemaDrift(source, where, f"sheet {key.capitalize()!r} is missing", field="sheet")
        name, rows = sheets[key]
        at_sheet = f"{where} sheet {name!r}"
        h = next(
            (i for i, r in enumerate(rows[:15]) if r and r[0] in (None, "") and sum(1 for c in r[1:] if c) >= 5), None
        )
        if h is None:
            raise SchemaDrift(source, at_sheet, "no header row of partner names", field="header")
        above = label_key(" ".join(str(c) for r in rows[:h] for c in r if c))
        if "млн" not in above or "долл" not in above:
            raise SchemaDrift(
                source, at_sheet, "the unit line '(млн долларов США)' is missing above the header", field="unit"
            )
        partners: dict[int, tuple[str, str | None, str]] = {}
        for i, cell in enumerate(rows[h]):
            if i == 0 or cell in (None, ""):
                continue
            k = label_key(cell)
            if k not in labels:
                raise SchemaDrift(
                    source,
                    f"{at_sheet} row {h + 1} column {i + 1}",
                    f"unknown partner label {cell!r}: add it to seeds/national_partner_labels_ru.csv",
                    field="partner_label_ru",
                )
            partners[i] = (" ".join(str(cell).split()), *labels[k])
        year: int | None = None
        seen: set[tuple[int, int]] = set()
        for n, r in enumerate(rows[h + 1 :], start=h + 2):
            head = r[0] if r else None
            at = f"{at_sheet} row {n}"
            if (y := _year(head)) is not None:
                year = y
                continue
            if head in (None, "") and not any(c not in (None, "") for c in r[1:]):
                continue
            month = MONTHS.get(label_key(head))
            if month is None:
                raise SchemaDrift(source, at, f"{head!r} is neither a year nor a month name", field="period")
            if year is None:
                raise SchemaDrift(source, at, "a month row before any year row", field="period")
            if (year, month) in seen:
                raise SchemaDrift(source, at, f"{year}-{month:02d} appears twice", field="period")
            seen.add((year, month))
            cells = list(r) + [None] * len(rows[h])
            for i, (label, iso3, kind) in partners.items():
                out.append(
                    {
                        "flow": flow,
                        "partner_label_ru": label,
                        "partner_iso3": iso3,
                        "row_kind": kind,
                        "year": year,
                        "month": month,
                        "value_million_usd": number(source, at, label, cells[i]),
                        "source_row": n,
                        "sheet": name,
                    }
                )
    frame = pl.DataFrame(out, schema={c: t for c, t in SCHEMA.items() if c != "reporter_iso3"})
    return frame.with_columns(pl.lit("RUS").alias("reporter_iso3")).select(list(SCHEMA))
