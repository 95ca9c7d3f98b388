"""Armenia (Armstat) trade by partner, monthly 2007-01 ... 2024-12, as cleaned by the tvyal newsletter.

CSV, UTF-8 with BOM: `country, year, month, export, import_origin, import_consignment, date`
(`date` = the first day of the month, checked against year and month), thousand US dollars. Each line
gives three raw rows: exports, imports by country of origin and imports by country of consignment
(`import_basis`), in the raw schema of the `national` source's `armstat` dataset, so this file replaces
the older armstat CSV (whose 2023 "Year" row holds January only) without a change downstream. There are
no annual rows: a year is the sum of its months. Partners are English labels looked up in
seeds/national_partner_labels.csv; an unknown label fails the file naming the line and the label.
"""

from __future__ import annotations

import io

import polars as pl

from extract.errors import BadResponse, SchemaDrift

SCHEMA: dict[str, pl.DataType] = {
    "reporter_iso3": pl.String,
    "flow": pl.String,
    "import_basis": pl.String,
    "partner_label_en": pl.String,
    "partner_iso3": pl.String,
    "row_kind": pl.String,
    "year": pl.Int32,
    "month": pl.Int32,
    "value_thousand_usd": pl.Float64,
    "source_row": pl.Int32,
}
REQUIRED = ("country", "year", "month", "export", "import_origin", "import_consignment", "date")
FLOWS = (
    ("export", "export", None),
    ("import_origin", "import", "origin"),
    ("import_consignment", "import", "consignment"),
)


def is_tvyal_header(header: list[str]) -> bool:
    return all(c in header for c in REQUIRED)


def parse(source: str, where: str, body: bytes, labels: dict[str, tuple[str | None, str]]) -> pl.DataFrame:
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadResponse(source, where, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    try:
        raw = pl.read_csv(io.StringIO(text), infer_schema=False)
    except pl.exceptions.PolarsError as exc:
        raise BadResponse(source, where, f"not a readable CSV: {str(exc).splitlines()[0]}") from None
    for column in REQUIRED:
        if column not in raw.columns:
            raise SchemaDrift(source, where, f"required column {column!r} is missing", field=column)
    raw = raw.with_row_index("source_row", offset=2).with_columns(pl.col("source_row").cast(pl.Int32))

    def fail(mask: pl.Expr, column: str, what: str):
        bad = raw.filter(mask)
        if bad.height:
            row = bad.row(0, named=True)
            raise SchemaDrift(source, f"{where} line {row['source_row']}", f"{what}: {row[column]!r}", field=column)

    fail(pl.col("country").is_null() | (pl.col("country").str.strip_chars() == ""), "country", "empty country")
    year = pl.col("year").cast(pl.Int32, strict=False)
    month = pl.col("month").cast(pl.Int32, strict=False)
    fail(year.is_null() | ~year.is_between(1990, 2100), "year", "year is not a year")
    fail(month.is_null() | ~month.is_between(1, 12), "month", "month is not 1-12")
    expected = pl.format("{}-{}-01", pl.col("year"), pl.col("month").str.zfill(2))
    fail(pl.col("date") != expected, "date", "date is not the first day of year-month")
    for column, _, _ in FLOWS:
        value = pl.col(column).str.strip_chars()
        fail(
            value.is_not_null() & (value != "") & (value != "NA") & value.cast(pl.Float64, strict=False).is_null(),
            column,
            f"{column} is not a number",
        )
    dup = raw.filter(pl.struct("country", "year", "month").is_duplicated())
    if dup.height:
        row = dup.row(0, named=True)
        raise SchemaDrift(
            source,
            f"{where} line {row['source_row']}",
            f"{row['country']!r} {row['year']}-{row['month']} appears twice",
            field="country",
        )
    raw = raw.with_columns(pl.col("country").str.strip_chars())
    unknown = raw.filter(~pl.col("country").is_in(list(labels)))
    if unknown.height:
        row = unknown.row(0, named=True)
        raise SchemaDrift(
            source,
            f"{where} line {row['source_row']}",
            f"unknown partner label {row['country']!r}: add it to seeds/national_partner_labels.csv (label_en, iso3, is_aggregate, kind)",
            field="partner_label_en",
        )
    seed = pl.DataFrame(
        [(k, v[0], v[1]) for k, v in labels.items()],
        schema={"country": pl.String, "partner_iso3": pl.String, "row_kind": pl.String},
        orient="row",
    )
    base = raw.join(seed, on="country", how="left").with_columns(year.alias("year"), month.alias("month"))
    frames = [
        base.select(
            pl.lit("ARM").alias("reporter_iso3"),
            pl.lit(flow).alias("flow"),
            pl.lit(basis, dtype=pl.String).alias("import_basis"),
            pl.col("country").alias("partner_label_en"),
            "partner_iso3",
            "row_kind",
            "year",
            "month",
            pl.col(column)
            .str.strip_chars()
            .replace({"": None, "NA": None})
            .cast(pl.Float64)
            .alias("value_thousand_usd"),
            "source_row",
        )
        for column, flow, basis in FLOWS
    ]
    return (
        pl.concat(frames).sort("source_row", maintain_order=True).select([pl.col(c).cast(t) for c, t in SCHEMA.items()])
    )
