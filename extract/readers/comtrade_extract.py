"""UN Comtrade product extracts saved as CSV with the legacy API's field names (file drop).

Columns (the author's pulls through the legacy `comtrade.un.org/api/get`, as comtradr writes them):
`year, month, period, period_desc, aggregate_level, is_leaf_code, trade_code, trade_flow, reporter_code,
reporter, partner_code, partner_iso, partner, commodity_code, commodity, mot_code, mot_desc, QtyUnitCode,
QtyUnitAbbr, Qty, IsQtyEstimated, IsNetWgtEstimated, netweight_kg, trade_value_us, cifvalue, fobvalue,
IsReported, IsAggregate` and optionally the author's `partner_region`. "NA" is not available (null).
Loaded in the Comtrade goods table's column names (`ref_year`, `flow_code`, `cmd_code`, `primary_value`,
... see `FIELDS`), monthly (`freq_code` M), values in US dollars; `reporter_iso` from the numeric
reporter code (seeds/countries.csv `comtrade_code`). Rows split by mode of transport are kept as they
are (`mot_code`; 0 = all modes); heading (aggregate level 4) and subheading (level 6) rows are both
kept: never add one to the other. Some files hold Latin-1 bytes in partner names (Curaçao, Côte
d'Ivoire): such a line is decoded as Windows-1252 and counted in a warning.
"""

from __future__ import annotations

import io

import polars as pl

from extract.errors import BadResponse, SchemaDrift

# (raw column, file field, dtype)
FIELDS: list[tuple[str, str, pl.DataType]] = [
    ("ref_year", "year", pl.Int32),
    ("ref_month", "month", pl.Int32),
    ("period", "period_desc", pl.String),
    ("aggr_level", "aggregate_level", pl.Int32),
    ("is_leaf", "is_leaf_code", pl.Boolean),
    ("flow_code", "trade_code", pl.String),
    ("flow_desc", "trade_flow", pl.String),
    ("reporter_code", "reporter_code", pl.String),
    ("reporter_desc", "reporter", pl.String),
    ("partner_code", "partner_code", pl.String),
    ("partner_iso", "partner_iso", pl.String),
    ("partner_desc", "partner", pl.String),
    ("cmd_code", "commodity_code", pl.String),
    ("cmd_desc", "commodity", pl.String),
    ("mot_code", "mot_code", pl.String),
    ("mot_desc", "mot_desc", pl.String),
    ("qty_unit_code", "QtyUnitCode", pl.String),
    ("qty_unit_abbr", "QtyUnitAbbr", pl.String),
    ("qty", "Qty", pl.Float64),
    ("is_qty_estimated", "IsQtyEstimated", pl.Boolean),
    ("is_net_wgt_estimated", "IsNetWgtEstimated", pl.Boolean),
    ("net_wgt", "netweight_kg", pl.Float64),
    ("primary_value", "trade_value_us", pl.Float64),
    ("cifvalue", "cifvalue", pl.Float64),
    ("fobvalue", "fobvalue", pl.Float64),
    ("is_reported", "IsReported", pl.Boolean),
    ("is_aggregate", "IsAggregate", pl.Boolean),
]
OPTIONAL = {"partner_region": "partner_region", "period": "period_date"}
SCHEMA: dict[str, pl.DataType] = {
    "type_code": pl.String,
    "freq_code": pl.String,
    **{name: dtype for name, _, dtype in FIELDS[:8]},
    "reporter_iso": pl.String,
    **{name: dtype for name, _, dtype in FIELDS[8:]},
    "partner_region": pl.String,
    "source_line": pl.Int32,
}
FLOWS = {"M": "Import", "X": "Export", "RM": "Re-import", "RX": "Re-export"}


def decode_lines(source: str, where: str, body: bytes) -> tuple[str, int]:
    """The text of the file; lines that are not UTF-8 decoded as Windows-1252 (their count returned)."""
    try:
        return body.decode("utf-8-sig"), 0
    except UnicodeDecodeError:
        pass
    lines, fallback = [], 0
    for raw in body.removeprefix(b"\xef\xbb\xbf").split(b"\n"):
        try:
            lines.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            try:
                lines.append(raw.decode("cp1252"))
            except UnicodeDecodeError as exc:
                raise BadResponse(source, where, f"a line is neither UTF-8 nor Windows-1252 ({exc.reason})") from None
            fallback += 1
    return "\n".join(lines), fallback


def parse(source: str, where: str, body: bytes, reporters: dict[str, str]) -> tuple[pl.DataFrame, list[str]]:
    """(rows in SCHEMA, warnings). `reporters` maps Comtrade numeric codes to ISO3."""
    text, fallback = decode_lines(source, where, body)
    try:
        raw = pl.read_csv(io.StringIO(text), infer_schema=False)
    except pl.exceptions.PolarsError as exc:
        raise BadResponse(source, where, f"not a readable CSV: {str(exc).splitlines()[0]}") from None
    for _, field, _ in FIELDS:
        if field not in raw.columns:
            raise SchemaDrift(source, where, f"required field {field!r} is missing", field=field)
    warnings = [f"[{source}] {where}: {fallback} lines were not UTF-8, read as Windows-1252"] if fallback else []
    known = {f for _, f, _ in FIELDS} | set(OPTIONAL) | {"is_leaf_code"}
    warnings += [
        f"[{source}] {where}: unknown field {c!r} kept in the landing file, not loaded"
        for c in raw.columns
        if c not in known
    ]
    raw = raw.with_row_index("source_line", offset=2)
    exprs = []
    for name, field, dtype in FIELDS:
        col = pl.col(field).str.strip_chars().replace({"NA": None, "": None})
        if dtype == pl.Boolean:
            col = col.str.to_uppercase().replace_strict(
                {"TRUE": True, "FALSE": False}, default=None, return_dtype=pl.Boolean
            )
        else:
            col = col.cast(dtype, strict=False)
        exprs.append(col.alias(name))
    typed = raw.select(
        pl.col("source_line").cast(pl.Int32),
        *exprs,
        *([pl.col("partner_region").alias("partner_region")] if "partner_region" in raw.columns else []),
    )
    # a non-empty cell that did not fit its type is an error naming the line and the field
    for name, field, _ in FIELDS:
        given = raw[field].str.strip_chars().replace({"NA": None, "": None}).is_not_null()
        bad = typed.filter(given & typed[name].is_null())
        if bad.height:
            line = int(bad["source_line"][0])
            value = raw.filter(pl.col("source_line") == line)[field][0]
            raise SchemaDrift(
                source,
                f"{where} line {line}",
                f"field {field!r}: {value!r} does not fit {_type_name(typed[name].dtype)}",
                field=field,
            )
    for column, what in (
        ("ref_year", "year"),
        ("ref_month", "month"),
        ("flow_code", "trade_code"),
        ("cmd_code", "commodity_code"),
    ):
        missing = typed.filter(pl.col(column).is_null())
        if missing.height:
            raise SchemaDrift(
                source, f"{where} line {int(missing['source_line'][0])}", f"field {what!r} is empty", field=what
            )
    bad_flow = typed.filter(~pl.col("flow_code").is_in(list(FLOWS)))
    if bad_flow.height:
        r = bad_flow.row(0, named=True)
        raise SchemaDrift(
            source,
            f"{where} line {r['source_line']}",
            f"trade_code {r['flow_code']!r} is not one of {sorted(FLOWS)}",
            field="trade_code",
        )
    period = pl.format("{}{}", pl.col("ref_year"), pl.col("ref_month").cast(pl.String).str.zfill(2))
    bad_period = typed.filter(~pl.col("ref_month").is_between(1, 12) | (pl.col("period") != period))
    if bad_period.height:
        r = bad_period.row(0, named=True)
        raise SchemaDrift(
            source,
            f"{where} line {r['source_line']}",
            f"period_desc {r['period']!r} is not year {r['ref_year']} month {r['ref_month']}",
            field="period_desc",
        )
    unknown = sorted(set(typed["reporter_code"].to_list()) - set(reporters))
    if unknown:
        line = int(typed.filter(pl.col("reporter_code") == unknown[0])["source_line"][0])
        raise SchemaDrift(
            source,
            f"{where} line {line}",
            f"reporter_code {unknown[0]!r} is not a Comtrade code in seeds/countries.csv",
            field="reporter_code",
        )
    key = ["period", "flow_code", "reporter_code", "partner_code", "cmd_code", "mot_code"]
    dup = typed.filter(pl.struct(key).is_duplicated())
    if dup.height:
        raise SchemaDrift(
            source,
            f"{where} line {int(dup['source_line'][0])}",
            f"the cell { ({k: dup[k][0] for k in key}) } appears twice",
            field="row",
        )
    out = typed.with_columns(
        pl.lit("C").alias("type_code"),
        pl.lit("M").alias("freq_code"),
        pl.col("reporter_code").replace_strict(reporters, return_dtype=pl.String).alias("reporter_iso"),
    )
    return out.select(
        [(pl.col(c) if c in out.columns else pl.lit(None)).cast(t).alias(c) for c, t in SCHEMA.items()]
    ), warnings


def _type_name(dtype: pl.DataType) -> str:
    return {pl.Int32: "an integer", pl.Float64: "a number", pl.Boolean: "TRUE/FALSE"}.get(dtype, str(dtype))
