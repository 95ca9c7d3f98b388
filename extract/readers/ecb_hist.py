"""ECB euro foreign exchange reference rates, daily since 1999: the file `eurofxref-hist.zip`.

The ECB serves it at https://www.ecb.europa.eu/stats/eurofxref/eurofxref-hist.zip: a zip with one
member, `eurofxref-hist.csv`: `Date`, then one column per currency (units of the currency for 1 euro),
a trailing empty column, "N/A" where there is no rate (a currency before it was quoted or after it
stopped, RUB after 2022-03-01); newest date first. Parsed long: one row per date and currency with a
rate ("N/A" rows are not loaded: no rate is no row). Monthly and annual means and end-of-period rates
are computed downstream (models/staging/ecb) from these daily rows.
"""

from __future__ import annotations

import io
import re
import zipfile

import polars as pl

from extract.errors import BadResponse, SchemaDrift

SCHEMA: dict[str, pl.DataType] = {
    "rate_date": pl.Date,
    "currency": pl.String,
    "units_per_eur": pl.Float64,  # units of `currency` for 1 euro (USD: US dollars per euro)
}
MEMBER = "eurofxref-hist.csv"
_CURRENCY = re.compile(r"^[A-Z]{3}$")


def parse(source: str, where: str, body: bytes) -> pl.DataFrame:
    try:
        with zipfile.ZipFile(io.BytesIO(body)) as zf:
            names = zf.namelist()
            if MEMBER not in names:
                raise BadResponse(source, where, f"the zip has no {MEMBER} (members: {names[:5]})")
            text = zf.read(MEMBER).decode("utf-8-sig")
    except zipfile.BadZipFile as exc:
        raise BadResponse(source, where, f"not a zip file ({exc})") from None
    except UnicodeDecodeError as exc:
        raise BadResponse(source, f"{where}!{MEMBER}", f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    at = f"{where}!{MEMBER}"
    try:
        wide = pl.read_csv(io.StringIO(text), infer_schema=False)
    except pl.exceptions.PolarsError as exc:
        raise BadResponse(source, at, f"not a readable CSV: {str(exc).splitlines()[0]}") from None
    if not wide.columns or wide.columns[0] != "Date":
        raise SchemaDrift(source, at, "the first column is not 'Date'", field="Date")
    currencies = [c for c in wide.columns[1:] if c.strip()]
    trailing = [c for c in wide.columns[1:] if not c.strip() or c.startswith("_duplicated_")]
    bad = [c for c in currencies if c not in trailing and not _CURRENCY.match(c)]
    if bad:
        raise SchemaDrift(source, at, f"column {bad[0]!r} is not a currency code", field=bad[0])
    currencies = [c for c in currencies if c not in trailing]
    if "USD" not in currencies:
        raise SchemaDrift(source, at, "no USD column", field="USD")
    wide = wide.with_row_index("line", offset=2)
    dates = wide["Date"].str.strptime(pl.Date, "%Y-%m-%d", strict=False)
    if dates.null_count():
        line = int(wide.filter(dates.is_null())["line"][0])
        raise SchemaDrift(
            source, f"{at} line {line}", f"Date {wide['Date'][line - 2]!r} is not YYYY-MM-DD", field="Date"
        )
    if dates.n_unique() != len(dates):
        line = int(wide.filter(dates.is_duplicated())["line"][0])
        raise BadResponse(source, f"{at} line {line}", "a date appears twice")
    long = (
        wide.with_columns(dates.alias("rate_date"))
        .unpivot(index=["rate_date", "line"], on=currencies, variable_name="currency", value_name="text")
        .with_columns(pl.col("text").str.strip_chars())
        .filter(pl.col("text").is_not_null() & ~pl.col("text").is_in(["N/A", ""]))
        .with_columns(pl.col("text").cast(pl.Float64, strict=False).alias("units_per_eur"))
    )
    bad_rows = long.filter(pl.col("units_per_eur").is_null() | (pl.col("units_per_eur") <= 0))
    if bad_rows.height:
        r = bad_rows.row(0, named=True)
        raise SchemaDrift(
            source,
            f"{at} line {r['line']}",
            f"{r['currency']} rate {r['text']!r} is not a positive number",
            field=r["currency"],
        )
    return long.sort("rate_date", "currency").select([pl.col(c).cast(t) for c, t in SCHEMA.items()])
