"""World Bank: WDI indicators from the API v2 (paged JSON) and from the WDI bulk CSV files.

API v2: `GET https://api.worldbank.org/v2/country/{ISO3;ISO3...}/indicator/{id}?format=json&per_page=&page=&date=a:b`
answers `[{"page","pages","per_page","total","sourceid","lastupdated"}, [row, ...]]`, one row per
country and year: `indicator{id,value}`, `country{id,value}`, `countryiso3code`, `date`, `value`,
`unit`, `obs_status`, `decimal`. Pages are read until `page == pages`; the row count must equal
`total` (otherwise rows were lost between pages and the partition fails). An error can come back
with HTTP 200 inside the body (`[{"message":[{"id":"175","key":"Invalid format","value":"..."}]}]`):
that is a `BadResponse` naming the URL and the message.

Change stamp: `lastupdated` of the envelope, asked with a `per_page=1` call per indicator (the
metadata request); an indicator is re-fetched only when it moves.

Bulk CSV (file drop): `Country Name,Country Code,Indicator Name,Indicator Code,1960,...`, with or
without the four preamble lines (`"Data Source",...`, `"Last Updated Date","2020-12-16"`) and with or
without a UTF-8 BOM; turned into long rows (one per country, indicator and year column, value null
when the cell is empty). One partition per file, stamped with the file's sha256.

Raw tables: `raw.worldbank__indicators` (API) and `raw.worldbank__wdi_bulk` (files).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from pathlib import Path
from typing import Any

import polars as pl
from pydantic import Field, model_validator

from extract.errors import BadResponse, ConfigError, SchemaDrift
from extract.http import parse_json
from extract.readers.csv_drop import decode
from extract.sources.base import (
    Context,
    Dataset,
    Fetched,
    FileDrops,
    Iso3,
    ParseResult,
    Partition,
    Source,
    SourceSettings,
    UrlCode,
    Years,
    check_fields,
    conform,
    file_fetched,
)

API = "https://api.worldbank.org/v2"
DEFAULT_PER_PAGE = 1000
MAX_PAGES = 1000

ROW_REQUIRED = ("indicator", "country", "countryiso3code", "date", "value")
ROW_KNOWN = (*ROW_REQUIRED, "unit", "obs_status", "decimal")
ENVELOPE_REQUIRED = ("page", "pages", "per_page", "total", "lastupdated")
BULK_REQUIRED = ("Country Name", "Country Code", "Indicator Name", "Indicator Code")
YEAR_COLUMN = re.compile(r"^\d{4}$")

INDICATORS_SCHEMA: dict[str, pl.DataType] = {
    "indicator_id": pl.String,
    "indicator_name": pl.String,
    "country_id": pl.String,  # the API's own country id (ISO2 or a WB aggregate code)
    "country_name": pl.String,
    "country_iso3": pl.String,  # countryiso3code as given (WB aggregate codes for aggregates)
    "date": pl.String,  # as given: "2019" for annual indicators
    "year": pl.Int32,
    "value": pl.Float64,
    "unit": pl.String,
    "obs_status": pl.String,
    "decimal": pl.Int32,
    "source_last_updated": pl.String,  # the envelope's lastupdated
}

BULK_SCHEMA: dict[str, pl.DataType] = {
    "country_iso3": pl.String,  # "Country Code" as given (WB aggregate codes such as WLD included)
    "country_name": pl.String,
    "indicator_id": pl.String,
    "indicator_name": pl.String,
    "year": pl.Int32,
    "value": pl.Float64,  # null where the cell is empty
    "source_last_updated": pl.String,  # the preamble's "Last Updated Date"; null without preamble
    "file_name": pl.String,
}


def _message_text(messages: Any) -> str:
    if isinstance(messages, list):
        parts = []
        for m in messages:
            if isinstance(m, dict):
                parts.append(" ".join(str(m.get(k, "")) for k in ("id", "key", "value")).strip())
            else:
                parts.append(str(m))
        return "; ".join(parts)
    return str(messages)


def split_envelope(source: str, where: str, doc: Any) -> tuple[dict, list]:
    """(header, rows) of one API v2 page; BadResponse for an error body, SchemaDrift for a bad shape."""
    if isinstance(doc, list) and doc and isinstance(doc[0], dict) and "message" in doc[0]:
        raise BadResponse(source, where, f"World Bank API error: {_message_text(doc[0]['message'])}")
    if isinstance(doc, dict) and "message" in doc:
        raise BadResponse(source, where, f"World Bank API error: {_message_text(doc['message'])}")
    if not isinstance(doc, list) or len(doc) != 2 or not isinstance(doc[0], dict):
        raise SchemaDrift(source, where, "expected the API v2 envelope [header, rows]", field="envelope")
    header, rows = doc
    check_fields(source, where, header, ENVELOPE_REQUIRED, header)
    if rows is None:  # an empty result: [{"page":1,"pages":0,...,"total":0}, null]
        rows = []
    if not isinstance(rows, list):
        raise SchemaDrift(source, where, "the second element of the envelope is not a list of rows", field="rows")
    return header, rows


def _int(source: str, where: str, value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise SchemaDrift(source, where, f"{name} {value!r} is not an integer", field=name) from None


class WorldBankSettings(SourceSettings):
    """[sources.worldbank]"""

    indicators: list[UrlCode] = Field([], description="API: WDI indicator codes (one partition each); empty: no API.")
    countries: list[Iso3] = Field([], description="API: countries, ISO3 (required with indicators).")
    years: Years | None = Field(None, description="API: [first, last] year (required with indicators).")
    per_page: int = Field(DEFAULT_PER_PAGE, gt=0, description="API: rows per page asked.")
    files: FileDrops = Field([], description="WDI bulk-download CSV files (API_{indicator}_DS2_en_csv_v2_*.csv).")

    @model_validator(mode="after")
    def _api(self):
        if self.indicators and not self.countries:
            raise ValueError("indicators are set but no countries")
        if self.indicators and not self.years:
            raise ValueError("indicators are set but no years = [first, last]")
        return self


class WorldBank(Source):
    name = "worldbank"
    datasets = {
        "indicators": Dataset("indicators", INDICATORS_SCHEMA),  # WDI indicators by country and year (API v2)
        "wdi_bulk": Dataset("wdi_bulk", BULK_SCHEMA),  # WDI bulk-download CSV files, long form
    }
    Settings = WorldBankSettings

    # ------------------------------------------------------------------ plan

    def indicator_url(self, countries: list[str], indicator: str) -> str:
        return f"{API}/country/{';'.join(countries)}/indicator/{indicator}"

    def page_params(self, years: tuple[int, int], per_page: int, page: int) -> dict[str, str]:
        return {"format": "json", "per_page": str(per_page), "page": str(page), "date": f"{years[0]}:{years[1]}"}

    def plan(self, ctx: Context) -> list[Partition]:
        s = self.settings
        indicators, countries, per_page = s.indicators, s.countries, s.per_page
        years = s.years or (0, 0)
        partitions = []
        for indicator in indicators:
            url = self.indicator_url(countries, indicator)
            resp = ctx.client.get(self.name, url, params=self.page_params(years, 1, 1), expect="json")
            header, _ = split_envelope(self.name, resp.url, resp.json())
            partitions.append(
                Partition(
                    self.name,
                    "indicators",
                    f"indicator={indicator}",
                    params={"indicator": indicator, "countries": countries, "years": years, "per_page": per_page},
                    # the source's stamp, plus the request scope: a changed country list or year range
                    # re-fetches the partition (and replaces its rows) even when the data did not move
                    source_updated_at=f"lastupdated={header['lastupdated']};scope={'+'.join(countries)}:{years[0]}-{years[1]}",
                    period=None,
                )
            )
        for path in self._files():
            partitions.append(
                Partition(
                    self.name,
                    "wdi_bulk",
                    f"file={path.name}",
                    params={"path": str(path)},
                    source_updated_at=hashlib.sha256(path.read_bytes()).hexdigest(),
                )
            )
        return partitions

    def _files(self) -> list[Path]:
        out = []
        for path in self.settings.files:
            if not path.is_file():
                raise ConfigError(f"[sources.worldbank] files: {path} does not exist")
            out.append(path)
        return out

    # ------------------------------------------------------------------ fetch

    def fetch(self, ctx: Context, partition: Partition) -> list[Fetched]:
        if partition.dataset == "wdi_bulk":
            return [file_fetched(Path(partition.params["path"]), self.name)]
        p = partition.params
        url = self.indicator_url(p["countries"], p["indicator"])
        bodies: list[Fetched] = []
        page, pages = 1, 1
        while page <= pages:
            resp = ctx.client.get(
                self.name, url, params=self.page_params(p["years"], p["per_page"], page), expect="json"
            )
            header, _ = split_envelope(self.name, resp.url, resp.json())
            got = _int(self.name, resp.url, header["page"], "page")
            if got != page:
                raise BadResponse(self.name, resp.url, f"asked for page {page}, got page {got}")
            pages = _int(self.name, resp.url, header["pages"], "pages")
            if pages > MAX_PAGES:
                raise BadResponse(self.name, resp.url, f"{pages} pages: raise per_page or split the request")
            bodies.append(Fetched(resp.body, "json", resp.url))
            page += 1
        return bodies

    # ------------------------------------------------------------------ parse

    def parse(self, partition: Partition, bodies: list[Fetched]) -> ParseResult:
        if partition.dataset == "wdi_bulk":
            return parse_bulk_csv(self.name, bodies[0].url, bodies[0].body)
        return parse_api_pages(self.name, bodies)


def parse_api_pages(source: str, bodies: list[Fetched]) -> ParseResult:
    """Rows of every page of one indicator request; the row count must match the envelope's total."""
    records: list[dict] = []
    warnings: list[str] = []
    total = None
    stamps = set()
    seen: dict[tuple, str] = {}
    for body in bodies:
        where = body.url
        header, rows = split_envelope(source, where, parse_json(source, where, body.body))
        if total is None:
            total = _int(source, where, header["total"], "total")
        stamps.add(str(header["lastupdated"]))
        for i, row in enumerate(rows):
            at = f"{where} row {i}"
            if not isinstance(row, dict):
                raise SchemaDrift(source, at, "row is not an object", field="row")
            warnings += check_fields(source, at, row, ROW_REQUIRED, ROW_KNOWN)
            indicator = row["indicator"] if isinstance(row["indicator"], dict) else {}
            country = row["country"] if isinstance(row["country"], dict) else {}
            if "id" not in indicator:
                raise SchemaDrift(source, at, "required field 'indicator.id' is missing", field="indicator.id")
            date = str(row["date"])
            if not re.match(r"^\d{4}", date):
                raise SchemaDrift(source, at, f"date {date!r} does not start with a year", field="date")
            value = row["value"]
            if value is not None:
                try:
                    value = float(value)
                except (TypeError, ValueError):
                    raise SchemaDrift(source, at, f"value {value!r} is not a number", field="value") from None
            key = (indicator["id"], country.get("id"), row["countryiso3code"], date)
            if key in seen:
                raise BadResponse(source, at, f"row {key} repeats {seen[key]}: pages shifted while reading")
            seen[key] = at
            decimal = row.get("decimal")
            records.append(
                {
                    "indicator_id": indicator["id"],
                    "indicator_name": indicator.get("value"),
                    "country_id": country.get("id"),
                    "country_name": country.get("value"),
                    "country_iso3": row["countryiso3code"] or None,
                    "date": date,
                    "year": int(date[:4]),
                    "value": value,
                    "unit": row.get("unit") or None,
                    "obs_status": row.get("obs_status") or None,
                    "decimal": None if decimal in (None, "") else _int(source, at, decimal, "decimal"),
                    "source_last_updated": str(header["lastupdated"]),
                }
            )
    where = bodies[0].url if bodies else "(no pages)"
    if len(stamps) > 1:
        raise BadResponse(source, where, f"lastupdated changed between pages ({sorted(stamps)}): fetch again")
    if total is not None and len(records) != total:
        raise BadResponse(source, where, f"the envelope announces {total} rows but the pages hold {len(records)}")
    frame = (
        pl.DataFrame(records, schema=INDICATORS_SCHEMA, orient="row")
        if records
        else pl.DataFrame(schema=INDICATORS_SCHEMA)
    )
    return ParseResult(conform(source, where, frame, INDICATORS_SCHEMA), sorted(set(warnings)))


def parse_bulk_csv(source: str, where: str, body: bytes) -> ParseResult:
    """A WDI bulk CSV (preamble optional, BOM optional) as long rows."""
    lines = decode(source, where, body).splitlines()
    header_at = next(
        (i for i, line in enumerate(lines[:20]) if line.lstrip('"').startswith("Country Name")),
        None,
    )
    if header_at is None:
        raise SchemaDrift(source, where, "no 'Country Name,Country Code,...' header line", field="Country Name")
    last_updated = None
    for line in lines[:header_at]:
        cells = next(csv.reader([line]), [])
        if cells and cells[0] == "Last Updated Date" and len(cells) > 1:
            last_updated = cells[1]
    reader = csv.reader(io.StringIO("\n".join(lines[header_at:])))
    header = next(reader)
    while header and header[-1] == "":  # the trailing comma of every bulk-file line
        header = header[:-1]
    years = [c for c in header if YEAR_COLUMN.match(c)]
    warnings = check_fields(source, where, header, BULK_REQUIRED, [*BULK_REQUIRED, *years])
    if not years:
        raise SchemaDrift(source, where, "no year columns (1960, 1961, ...) in the header", field="year columns")
    col = {c: i for i, c in enumerate(header)}
    name = Path(where.removeprefix("file://")).name
    records = []
    for n, row in enumerate(reader, start=header_at + 2):
        if not row or all(c == "" for c in row):
            continue
        if len(row) < len(header):
            raise SchemaDrift(source, f"{where} line {n}", f"{len(row)} fields where the header has {len(header)}")
        code = row[col["Country Code"]]
        if not code:
            raise SchemaDrift(source, f"{where} line {n}", "empty Country Code", field="Country Code")
        for y in years:
            cell = row[col[y]].strip()
            if cell == "":
                value = None
            else:
                try:
                    value = float(cell)
                except ValueError:
                    raise SchemaDrift(
                        source, f"{where} line {n}", f"column {y}: {cell!r} is not a number", field=y
                    ) from None
            records.append(
                (
                    code,
                    row[col["Country Name"]],
                    row[col["Indicator Code"]],
                    row[col["Indicator Name"]],
                    int(y),
                    value,
                    last_updated,
                    name,
                )
            )
    frame = pl.DataFrame(records, schema=BULK_SCHEMA, orient="row")
    return ParseResult(conform(source, where, frame, BULK_SCHEMA), warnings)
