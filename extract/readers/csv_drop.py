"""Decoding of file drops (CSV files a user puts in a folder): one place for the BOM, the encoding and its error.

Every file-drop source reads its bytes through `decode` (text) or `read_frame` (a polars frame of strings):

- UTF-8, with or without a byte-order mark (Excel's "CSV UTF-8" writes one), is read as is;
- UTF-16 with a byte-order mark (Excel's "Unicode text") is decoded by its mark;
- anything else is refused with an error naming the file, the line and the byte, and what to do
  (re-save the file as UTF-8): a file is never guessed into a legacy code page, where a wrong guess
  would load mangled labels without a word.
"""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

import polars as pl

from extract.errors import BadResponse, Truncated

_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def require_complete(source: str, where: str, body: bytes) -> None:
    """A text body whose last line has no line break was cut off (e.g. a copy interrupted mid-number): Truncated.

    The check is on the bytes, before any parsing: `truncate -s -4` on a CSV turns its last value 65.0
    into 6.0, which parses without a word. Every complete CSV file or SDMX-CSV answer ends with a line
    break (Excel, Eurostat, the ECB and national offices all write one).
    """
    if not body:
        return
    if body.startswith(codecs.BOM_UTF16_LE):
        complete = body.endswith(b"\n\x00")
    elif body.startswith(codecs.BOM_UTF16_BE):
        complete = body.endswith(b"\x00\n")
    else:
        complete = body.endswith(b"\n")
    if not complete:
        line = body.count(b"\n") + 1
        tail = body[-40:].decode("utf-8", "replace").splitlines()[-1] if body.strip() else ""
        raise Truncated(
            source,
            f"{where} line {line}",
            f"truncated: the last line has no line break, the file or answer was cut off (it ends with {tail!r}); "
            "fetch or copy it again (if the file is complete as it is, end it with a line break)",
        )


def decode(source: str, where: str, body: bytes) -> str:
    """The text of a file drop (BOM removed); not UTF-8 (nor UTF-16 with a BOM): BadResponse naming line and byte.

    A body whose last line is not terminated is refused as Truncated (`require_complete`).
    """
    require_complete(source, where, body)
    if body.startswith(_UTF16_BOMS):
        try:
            return body.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise BadResponse(source, where, f"not UTF-16 text after its byte-order mark ({exc.reason})") from None
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = body.count(b"\n", 0, exc.start) + 1
        raise BadResponse(
            source,
            f"{where} line {line}",
            f"not UTF-8 text: byte 0x{body[exc.start]:02x} at offset {exc.start} ({exc.reason});"
            " re-save the file as UTF-8 (in Excel: CSV UTF-8)",
        ) from None


def utf8_bytes(source: str, where: str, body: bytes) -> bytes:
    """The body as UTF-8 bytes without a BOM (checked as `decode` does; the bytes are kept when they are UTF-8)."""
    if body.startswith(_UTF16_BOMS):
        return decode(source, where, body).encode("utf-8")
    decode(source, where, body)  # raises naming the line and byte
    return body[3:] if body.startswith(codecs.BOM_UTF8) else body


def read_frame(source: str, where: str, body: bytes) -> pl.DataFrame:
    """A CSV file drop as a polars frame, every column a string; a line with more fields than the header fails."""
    data = utf8_bytes(source, where, body)
    try:
        return pl.read_csv(io.BytesIO(data), infer_schema=False, truncate_ragged_lines=False)
    except pl.exceptions.ComputeError as exc:
        line = first_bad_line(data)
        at = f"{where} line {line}" if line else where
        raise BadResponse(source, at, f"not a well-formed CSV file: {str(exc).splitlines()[0]}") from None


def first_bad_line(data: bytes) -> int | None:
    """The line where a CSV file stops being well formed (a quote left open, a ragged line), for the error."""
    reader = csv.reader(io.StringIO(data.decode("utf-8", "replace"), newline=""), strict=True)
    width = None
    try:
        for fields in reader:
            if width is None:
                width = len(fields)
            elif fields and len(fields) != width:
                return reader.line_num
    except csv.Error:
        return reader.line_num
    return None


def header(path: Path) -> list[str]:
    """The first line of a CSV file as fields (BOM removed), without reading the rest: to recognise a layout."""
    with open(path, "rb") as fh:
        start = fh.read(2)
    encoding = "utf-16" if start in _UTF16_BOMS else "utf-8-sig"
    with open(path, encoding=encoding, newline="", errors="replace") as fh:
        return next(csv.reader(fh), [])
