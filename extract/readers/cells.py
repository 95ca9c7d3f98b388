"""Cell-level helpers shared by the workbook readers: workbooks as rows, numbers, Russian labels."""

from __future__ import annotations

import csv
import io
import re

from extract.errors import BadResponse, SchemaDrift

MISSING = {"", "-", "–", "—", "…", "...", "..", "x", "X", ":", "NA", "N/A"}
# Latin letters that publishers mix into Cyrillic words ("Китaй" with a Latin a): mapped to Cyrillic
# only inside labels that contain Cyrillic letters.
_LOOKALIKES = str.maketrans("aeopcxyAEOPCXTHKMB", "аеорсхуАЕОРСХТНКМВ")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")


def number(source: str, where: str, column: str, value, missing: frozenset[str] | set[str] = MISSING) -> float | None:
    """A cell as a float; the `missing` markers (and an empty cell) as null; anything else fails naming the cell."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise SchemaDrift(source, where, f"column {column!r}: {value!r} is not a number", field=column)
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip().replace("\u00a0", "").replace(" ", "")
    if text in missing:
        return None
    try:
        return float(text)
    except ValueError:
        raise SchemaDrift(source, where, f"column {column!r}: {value!r} is not a number", field=column) from None


def label_key(label) -> str:
    """The form a Russian partner label is matched in: Latin look-alikes made Cyrillic, spaces and
    line breaks collapsed, case folded ("Республикa \\nКорея" -> "республика корея")."""
    text = str(label or "")
    if _CYRILLIC.search(text):
        text = text.translate(_LOOKALIKES)
    return re.sub(r"\s+", " ", text).strip().casefold()


def read_ru_labels(source: str, where: str, body: bytes) -> dict[str, tuple[str | None, str]]:
    """label_key(label_ru) -> (iso3 or None, kind) from the bytes of seeds/national_partner_labels_ru.csv."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadResponse(source, where, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    reader = csv.DictReader(io.StringIO(text))
    for column in ("label_ru", "iso3", "kind"):
        if column not in (reader.fieldnames or []):
            raise SchemaDrift(source, where, f"label seed column {column!r} is missing", field=column)
    out: dict[str, tuple[str | None, str]] = {}
    for row in reader:
        key = label_key(row["label_ru"])
        if key in out:
            raise SchemaDrift(source, f"{where} line {reader.line_num}", f"label {key!r} twice", field="label_ru")
        if row["kind"] not in {"total", "group", "region", "other", "country"}:
            raise SchemaDrift(source, f"{where} line {reader.line_num}", f"kind {row['kind']!r} unknown", field="kind")
        out[key] = ((row["iso3"] or "").strip() or None, row["kind"])
    return out


def workbook_sheets(source: str, where: str, body: bytes) -> list[tuple[str, list[list]]]:
    """Every sheet of an .xls (BIFF) or .xlsx workbook as (name, rows of cell values), via python-calamine."""
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(body))
        return [(name, wb.get_sheet_by_name(name).to_python()) for name in wb.sheet_names]
    except Exception as exc:  # noqa: BLE001 - calamine raises its own error types for any unreadable file
        raise BadResponse(source, where, f"not a readable workbook ({type(exc).__name__}: {exc})") from None
