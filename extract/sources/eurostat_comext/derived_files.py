"""The three CSV layouts derived from Easy-Comext spreadsheets (the ruimpeks derivation of sanctioned goods).

- `cn8_exports`: EU member exports of Reg. 833/2014 CN8 codes inside a CHPL HS6;
- `hs6_exports_eu27`: sanctioned-goods exports summed over the 27 reporters and CN8 within HS6;
- `sanctioned_total`: each member's exports of all sanctioned CN8 codes, per partner and month.

Geo codes are Comext's (checked against seeds/eurostat_geo_labels.csv), CN8 and HS6 codes are checked
for their digits and for agreeing with each other, months are `YYYY-MM`; rows repeated verbatim are
loaded once with a warning.
"""

from __future__ import annotations

import re

import polars as pl

from extract.errors import SchemaDrift
from extract.readers.csv_drop import read_frame
from extract.sources.base import ParseResult, check_fields, conform
from extract.sources.eurostat_comext.web_export import dedupe, geo_labels

LAYOUTS = {
    "cn8_exports": ["reporter_iso2", "partner_iso2", "cn8", "hs6", "month", "value_eur"],
    "hs6_exports_eu27": ["partner_iso2", "hs6", "month", "value_eur_sum_eu_reporters"],
    "sanctioned_total": ["reporter_iso2", "partner_iso2", "month", "value_eur_sanctioned_cn8_total"],
}
# the value column of a layout as it is loaded
RENAME = {
    "cn8_exports": {},
    "hs6_exports_eu27": {"value_eur_sum_eu_reporters": "value_eur_sum"},
    "sanctioned_total": {"value_eur_sanctioned_cn8_total": "value_eur"},
}
SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    "cn8_exports": {
        "reporter_iso2": pl.String,
        "partner_iso2": pl.String,
        "cn8": pl.String,
        "hs6": pl.String,
        "month": pl.String,
        "value_eur": pl.Float64,
    },
    "hs6_exports_eu27": {"partner_iso2": pl.String, "hs6": pl.String, "month": pl.String, "value_eur_sum": pl.Float64},
    "sanctioned_total": {
        "reporter_iso2": pl.String,
        "partner_iso2": pl.String,
        "month": pl.String,
        "value_eur": pl.Float64,
    },
}
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def _check(source: str, frame: pl.DataFrame, where: str, column: str, ok: pl.Series, what: str) -> None:
    if (~ok).any():
        i = int((~ok).arg_true()[0])
        raise SchemaDrift(source, f"{where} row {i + 2}", f"{what}: {frame[column][i]!r}", field=column)


def parse_derived(source: str, dataset: str, where: str, body: bytes) -> ParseResult:
    """The typed rows of one derived file of layout `dataset`; the first bad row named."""
    frame = read_frame(source, where, body)
    required = LAYOUTS[dataset]
    warnings = check_fields(source, where, frame.columns, required, required)
    frame = frame.select(required)
    countries = {code for code, _, is_agg in geo_labels().values() if not is_agg}  # member and partner codes
    for column in ("reporter_iso2", "partner_iso2"):
        if column in frame.columns:
            _check(source, frame, where, column, frame[column].is_in(list(countries)), "unknown Comext geo code")
    if "cn8" in frame.columns:
        _check(source, frame, where, "cn8", frame["cn8"].str.contains(r"^\d{8}$"), "not an 8-digit CN code")
    if "hs6" in frame.columns:
        _check(source, frame, where, "hs6", frame["hs6"].str.contains(r"^\d{6}$"), "not a 6-digit HS code")
    if "cn8" in frame.columns:
        ok = frame["cn8"].str.slice(0, 6) == frame["hs6"]
        _check(source, frame, where, "hs6", ok, "is not the first six digits of the CN8 code")
    _check(source, frame, where, "month", frame["month"].str.contains(_MONTH.pattern), "not a YYYY-MM month")
    value_col = required[-1]
    numbers = frame[value_col].cast(pl.Float64, strict=False)
    _check(source, frame, where, value_col, numbers.is_not_null(), "not a number")
    out = frame.with_columns(numbers.alias(value_col)).rename(RENAME[dataset])
    keys = [c for c in out.columns if not c.startswith("value")]
    out, more = dedupe(source, out, where, keys)
    return ParseResult(conform(source, where, out, SCHEMAS[dataset]), warnings + more)
