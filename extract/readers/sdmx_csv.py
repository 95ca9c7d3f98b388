"""SDMX-CSV (version 1) bodies, as the ECB and Eurostat's Comext answer them: one reader for both.

The first line names the columns (dimensions, `TIME_PERIOD`, `OBS_VALUE`, attributes); every other line is
one observation. The reader checks the required columns, warns of unknown ones, and fails naming the line
when a line has fewer or more fields than the header (a body cut short), so a truncated answer is never
loaded as rows with nulls.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

import polars as pl

from extract.errors import BadResponse, SchemaDrift
from extract.readers.csv_drop import require_complete
from extract.sources.base import check_fields


def read_sdmx_csv(
    source: str, where: str, body: bytes, required: Iterable[str], known: Iterable[str]
) -> tuple[pl.DataFrame, list[str]]:
    """(frame of the body's lines, every column a string and an empty field null; warnings for unknown columns).

    `where` is the URL (named in every error, with the line). An empty body is a BadResponse, a missing
    required column or a short or long line a SchemaDrift.
    """
    require_complete(source, where, body)
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadResponse(source, where, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header:
        raise BadResponse(source, where, "empty SDMX-CSV body")
    warnings = check_fields(source, where, header, list(required), list(known))
    columns: list[list[str | None]] = [[] for _ in header]
    for n, line in enumerate(reader, start=2):
        if not line:
            continue
        if len(line) != len(header):
            raise SchemaDrift(
                source, f"{where} line {n}", f"{len(line)} fields where the header has {len(header)} (truncated?)"
            )
        for column, value in zip(columns, line, strict=True):
            column.append(value if value != "" else None)
    frame = pl.DataFrame(
        {name: pl.Series(name, values, dtype=pl.String) for name, values in zip(header, columns, strict=True)}
    )
    return frame, warnings
