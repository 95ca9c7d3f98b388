"""Comext web-export CSVs: `REPORTER,PARTNER,PRODUCT,FLOW,STAT_PROCEDURE,PERIOD,VALUE_IN_EUR` with long labels.

Labels come in English or French (the language of a row is that of its FLOW label: one year of the annual
file is French). Reporter and partner labels are mapped with `seeds/eurostat_geo_labels.csv`; a label
that is not there fails the file's parse (file, row and label named), it is never dropped.

One parse path: every label column is turned into codes of its distinct values, each distinct value is
checked and mapped once (the same labels recur on every line), and the mapped values are gathered by
code. A check that fails names the first bad row; rows repeated verbatim (even under coded and bare
labels) are loaded once with a warning, and one cell with two values fails the file.
"""

from __future__ import annotations

import functools
import math
import re
from pathlib import Path

import polars as pl

from extract.errors import BadResponse, ConfigError, SchemaDrift
from extract.readers.csv_drop import read_frame
from extract.settings import PROJECT_DIR
from extract.sources.base import ParseResult, check_fields, conform

SEED = PROJECT_DIR / "seeds" / "eurostat_geo_labels.csv"
WEB_EXPORT_COLUMNS = ["REPORTER", "PARTNER", "PRODUCT", "FLOW", "STAT_PROCEDURE", "PERIOD", "VALUE_IN_EUR"]

# raw.eurostat_comext__web_export: the long labels kept beside the codes they map to
SCHEMA: dict[str, pl.DataType] = {
    "reporter_label": pl.String,
    "reporter": pl.String,
    "reporter_iso3": pl.String,
    "reporter_is_aggregate": pl.Boolean,
    "partner_label": pl.String,
    "partner": pl.String,
    "partner_iso3": pl.String,
    "partner_is_aggregate": pl.Boolean,
    "product": pl.String,
    "flow": pl.String,
    "stat_procedure": pl.String,
    "freq": pl.String,
    "period": pl.String,
    "period_label": pl.String,
    "value_eur": pl.Float64,
    "source_line": pl.Int64,
}
CELL_KEYS = ["reporter", "partner", "product", "flow", "stat_procedure", "period"]

MONTHS = {
    m: i for i, m in enumerate(["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], 1)
}
_MONTH_LABEL = re.compile(r"^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\.? (\d{4})$")
_YEAR_LABEL = re.compile(r"^Jan\.-Dec\. (\d{4})$")
_CODED_PERIOD = re.compile(r"^(\d{4})(\d{2})-(.+)$")
_FLOW = re.compile(r"^(?:([12])-)?(IMPORT|EXPORT|IMPORTATION|EXPORTATION)$")
_CODED = re.compile(r"^([0-9A-Z]+)-(.+)$")


# --------------------------------------------------------------------------- labels


@functools.lru_cache(maxsize=4)
def geo_labels(path: Path = SEED) -> dict[tuple[str, str], tuple[str, str | None, bool]]:
    """(lang, label) -> (geo_code, iso3 or None, is_aggregate), from seeds/eurostat_geo_labels.csv.

    Keyed by language as well: the same text can name two places (Eurostat's French label of
    Guinea-Bissau is 'Guinea', the English label of Guinea).
    """
    frame = pl.read_csv(path, infer_schema=False)
    if frame.select("lang", "label").n_unique() != frame.height:
        raise ConfigError(f"{path}: (lang, label) pairs are not unique")
    return {
        (r["lang"], r["label"]): (r["geo_code"], r["iso3"] or None, r["is_aggregate"] == "true")
        for r in frame.iter_rows(named=True)
    }


def web_period(label: str) -> tuple[str, str] | None:
    """A web-export PERIOD label -> (freq, period), or None when it has none of the known forms.

    `201901-Jan. 2019` and `Jan. 2019` are months; `Jan.-Dec. 2016` and `201952-Jan.-Dec. 2022` are years
    (52 is Comext's code for the whole year). A coded label whose code and text disagree is no period.
    """
    coded = _CODED_PERIOD.match(label)
    text = coded.group(3) if coded else label
    if m := _MONTH_LABEL.match(text):
        freq, period = "M", f"{m.group(2)}-{MONTHS[m.group(1)]:02d}"
    elif m := _YEAR_LABEL.match(text):
        freq, period = "A", m.group(1)
    else:
        return None
    if coded:
        year, sub = coded.group(1), coded.group(2)
        expected = f"{year}-{sub}" if freq == "M" else (year if sub == "52" else None)
        if period != expected:
            return None
    return freq, period


def web_flow(label: str) -> str | None:
    m = _FLOW.match(label)
    if not m:
        return None
    flow = "1" if m.group(2).startswith("IMPORT") else "2"
    if m.group(1) and m.group(1) != flow:
        return None
    return flow


def web_code(label: str, total_code: str) -> str | None:
    """'TOTAL-Total' -> 'TOTAL', 'T-Total' -> 'T', a bare 'Total' -> total_code."""
    if label == "Total":
        return total_code
    m = _CODED.match(label)
    return m.group(1) if m else None


# the label parsers, remembered across files (the same labels recur in every month), in the order checked
_LABEL_PARSERS = {
    "PERIOD": functools.lru_cache(maxsize=1 << 16)(web_period),
    "FLOW": functools.lru_cache(maxsize=1 << 10)(web_flow),
    "PRODUCT": functools.lru_cache(maxsize=1 << 16)(lambda v: web_code(v, "TOTAL")),
    "STAT_PROCEDURE": functools.lru_cache(maxsize=1 << 10)(lambda v: web_code(v, "T")),
}
_LABEL_COLUMNS = ("REPORTER", "PARTNER", "PRODUCT", "FLOW", "STAT_PROCEDURE", "PERIOD")


# --------------------------------------------------------------------------- the parse


def _encode(column: pl.Series) -> tuple[list[str | None], pl.Series]:
    """(the distinct values of a column, per row the index of its value); a null is a value of its own."""
    values = column.drop_nulls().unique(maintain_order=True).to_list()
    codes = column.cast(pl.Enum(values)).to_physical().cast(pl.Int64)
    if column.null_count():
        codes = codes.fill_null(len(values))
        values.append(None)
    return values, codes


def _dense_ids(mapped: list, codes: pl.Series) -> pl.Series:
    """Per row, a dense integer id of the mapped value of its code (equal mapped values, equal ids)."""
    ids: dict = {}
    lookup = [ids.setdefault(m, len(ids)) for m in mapped]
    return pl.Series(lookup, dtype=pl.Int64).gather(codes)


def _has_repeats(key_ids: list[pl.Series], height: int) -> bool:
    """Whether two rows have the same key (every column of `key_ids` equal)."""
    radix = [int(k.max()) + 1 for k in key_ids]
    if math.prod(radix) < 2**62:  # one integer per key: mixed radix
        key = key_ids[0]
        for k, r in zip(key_ids[1:], radix[1:], strict=True):
            key = key * r + k
        return key.n_unique() != height
    return pl.DataFrame(key_ids).is_duplicated().any()


def _gather(values: list, dtype: pl.DataType, at: pl.Series) -> pl.Series:
    return pl.Series(values, dtype=dtype).gather(at)


def dedupe(source: str, frame: pl.DataFrame, where: str, keys: list[str]) -> tuple[pl.DataFrame, list[str]]:
    """Drop rows repeated verbatim (warned); the same cell with two values fails the file."""
    value_cols = [c for c in frame.columns if c.startswith("value")]
    distinct = frame.unique(subset=[*keys, *value_cols], keep="first", maintain_order=True)
    warnings = []
    if distinct.height < frame.height:
        warnings.append(f"[{source}] {where}: {frame.height - distinct.height} rows repeated verbatim were loaded once")
    clash = distinct.group_by(keys).len().filter(pl.col("len") > 1)
    if clash.height:
        raise BadResponse(source, where, f"one cell has two different values: {clash.row(0, named=True)}")
    return distinct, warnings


def parse_web_export(source: str, where: str, body: bytes) -> ParseResult:
    """The typed rows of one web-export file; the first bad row named, verbatim repeats loaded once (warned)."""
    frame = read_frame(source, where, body)
    warnings = check_fields(source, where, frame.columns, WEB_EXPORT_COLUMNS, WEB_EXPORT_COLUMNS)
    frame = frame.select(WEB_EXPORT_COLUMNS)
    if frame.height == 0:
        return ParseResult(conform(source, where, pl.DataFrame(schema=SCHEMA), SCHEMA), warnings)

    def fail(column: str, bad: pl.Series, what) -> None:
        """Raise naming the first row where `bad` holds, with `what(row index)` as the complaint."""
        i = int(bad.arg_true()[0])
        raise SchemaDrift(source, f"{where} row {i + 2}", what(i), field=column)

    distinct, codes = {}, {}
    for column in _LABEL_COLUMNS:
        distinct[column], codes[column] = _encode(frame[column])

    # reporter and partner: a code per (label, language), 2 x label + 1 for French
    french = pl.Series([int(v is not None and v.endswith("ATION")) for v in distinct["FLOW"]], dtype=pl.Int64)
    row_french = french.gather(codes["FLOW"])
    labels = geo_labels()
    geo = {}
    for column in ("REPORTER", "PARTNER"):
        pair = codes[column] * 2 + row_french
        mapped: list[tuple[str, str | None, bool] | None] = [None] * (2 * len(distinct[column]))
        unknown = []
        for i in pair.unique().to_list():
            mapped[i] = labels.get(("fr" if i % 2 else "en", distinct[column][i // 2]))
            if mapped[i] is None:
                unknown.append(i)
        if unknown:
            fail(
                column,
                pair.is_in(unknown),
                lambda r, column=column, pair=pair: (
                    f"unknown {'fr' if pair[r] % 2 else 'en'} label (not in seeds/{SEED.name})"
                    f" {frame[column][r]!r} in {column}"
                ),
            )
        geo[column] = (pair, mapped)

    parsed = {}
    for column, func in _LABEL_PARSERS.items():
        parsed[column] = [func(v) if v is not None else None for v in distinct[column]]
        bad = [i for i, r in enumerate(parsed[column]) if r is None]
        if bad:
            fail(
                column,
                codes[column].is_in(bad),
                lambda r, column=column: f"unrecognised value {frame[column][r]!r} in {column}",
            )

    value = frame["VALUE_IN_EUR"].str.strip_chars().replace("", None)
    numbers = value.cast(pl.Float64, strict=False)
    bad_number = numbers.is_null() & value.is_not_null()
    if bad_number.any():
        fail("VALUE_IN_EUR", bad_number, lambda r: f"not a number: {frame['VALUE_IN_EUR'][r]!r} in VALUE_IN_EUR")

    columns = {}
    for column, prefix in (("REPORTER", "reporter"), ("PARTNER", "partner")):
        pair, mapped = geo[column]
        columns[f"{prefix}_label"] = frame[column]
        columns[prefix] = _gather([m and m[0] for m in mapped], pl.String, pair)
        columns[f"{prefix}_iso3"] = _gather([m and m[1] for m in mapped], pl.String, pair)
        columns[f"{prefix}_is_aggregate"] = _gather([m and m[2] for m in mapped], pl.Boolean, pair)
    columns["product"] = _gather(parsed["PRODUCT"], pl.String, codes["PRODUCT"])
    columns["flow"] = _gather(parsed["FLOW"], pl.String, codes["FLOW"])
    columns["stat_procedure"] = _gather(parsed["STAT_PROCEDURE"], pl.String, codes["STAT_PROCEDURE"])
    columns["freq"] = _gather([p[0] for p in parsed["PERIOD"]], pl.String, codes["PERIOD"])
    columns["period"] = _gather([p[1] for p in parsed["PERIOD"]], pl.String, codes["PERIOD"])
    columns["period_label"] = frame["PERIOD"]
    columns["value_eur"] = numbers
    columns["source_line"] = pl.int_range(2, frame.height + 2, dtype=pl.Int64, eager=True)
    out = pl.DataFrame([s.alias(name) for name, s in columns.items()])

    # the cell keys as dense integer ids of the mapped values: a repeat is rare, and only then deduplicated
    key_ids = [_dense_ids([m[0] if m else None for m in mapped], pair) for pair, mapped in geo.values()]
    key_ids += [_dense_ids(parsed[c], codes[c]) for c in ("PRODUCT", "FLOW", "STAT_PROCEDURE")]
    key_ids.append(_dense_ids([p[1] for p in parsed["PERIOD"]], codes["PERIOD"]))
    if _has_repeats(key_ids, frame.height):
        out, more = dedupe(source, out, where, CELL_KEYS)
        warnings = warnings + more
    return ParseResult(conform(source, where, out, SCHEMA), warnings)
