"""wiiw FDI database exports (file drop): FDI into a host country by partner and by industry.

The export is wide: descriptive columns, then one column per year named `_2003` ... `_2021`; `.`
means "not available" (loaded as null). Values are in `Unit` (`EUR m`, `in % of total`, `in % of
total manufacturing`); `Direction` is `FDI inflow` (a flow in the year) or `FDI inward stock`
(position at the end of the year).

- by partner: `"Tree Level 1","Country-Code","Country","Direction","Partner-Code","Partner","Unit",
  "Footnotes","Sources",_2003,...` with partner codes as wiiw gives them (`WORLD`, `EU27_2020`, `EU28`,
  ISO2 codes such as `RU`): kept as `partner_code`, with the label in `partner_name`.
- by industry: `"Tree Level 1","Country-Code","Country","Direction","Classification","Digit",
  "Industry/Product","Unit","Footnotes","Sources",_2000,...` (NACE Rev. 1 and Rev. 2 breakdowns);
  `Industry/Product` such as `CA  Food products, ...` is split into `nace_code` and `industry_name`.

Which of the two a file is comes from its header. One partition per file (key `file=<name>`),
stamped with the file's sha256: an unchanged file is never re-read. Long rows: one per input row and
year column, `year` Int32, `value` Float64.

Raw tables: `raw.wiiw_fdi__by_partner`, `raw.wiiw_fdi__by_industry`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from pathlib import Path

import polars as pl
from pydantic import Field

from extract.errors import ConfigError, SchemaDrift
from extract.readers.csv_drop import decode
from extract.readers.csv_drop import header as csv_header
from extract.sources.base import (
    Context,
    Dataset,
    Fetched,
    FileDrops,
    ParseResult,
    Partition,
    Source,
    SourceSettings,
    check_fields,
    conform,
    file_fetched,
)

YEAR_COLUMN = re.compile(r"^_(\d{4})$")
MISSING = {"", "."}
NACE = re.compile(r"^([A-Z]{1,2}(?:-[A-Z]{1,2})?)\s{2,}(.+)$")

COMMON_REQUIRED = ("Country-Code", "Country", "Direction", "Unit")
PARTNER_REQUIRED = (*COMMON_REQUIRED, "Partner-Code", "Partner")
INDUSTRY_REQUIRED = (*COMMON_REQUIRED, "Classification", "Digit", "Industry/Product")
DESCRIPTIVE = {"Tree Level 1", "Footnotes", "Sources"}

PARTNER_SCHEMA: dict[str, pl.DataType] = {
    "host_iso2": pl.String,  # Country-Code, e.g. KZ
    "host_name": pl.String,
    "direction": pl.String,  # FDI inflow | FDI inward stock
    "partner_code": pl.String,  # as given: WORLD, EU27_2020, EU28, ISO2 (RU, CN, ...)
    "partner_name": pl.String,
    "unit": pl.String,  # EUR m | in % of total
    "year": pl.Int32,
    "value": pl.Float64,  # null where the export has "."
    "footnotes": pl.String,
    "sources": pl.String,
    "file_name": pl.String,
}

INDUSTRY_SCHEMA: dict[str, pl.DataType] = {
    "host_iso2": pl.String,
    "host_name": pl.String,
    "direction": pl.String,
    "classification": pl.String,  # NACE Rev. 1 | NACE Rev. 2
    "digit": pl.String,  # NACE 1-letter | NACE 2-letter - Manufacturing
    "industry": pl.String,  # Industry/Product as given
    "nace_code": pl.String,  # the leading code (C, CA, DD-DE, M-N); null for "Total by activities"
    "industry_name": pl.String,
    "unit": pl.String,  # EUR m | in % of total | in % of total manufacturing
    "year": pl.Int32,
    "value": pl.Float64,
    "footnotes": pl.String,
    "sources": pl.String,
    "file_name": pl.String,
}


def dataset_of(source: str, path: Path) -> str:
    """by_partner or by_industry, from the file's header."""
    header = csv_header(path)
    if "Partner-Code" in header:
        return "by_partner"
    if "Industry/Product" in header:
        return "by_industry"
    raise SchemaDrift(
        source,
        f"file://{path}",
        "header has neither 'Partner-Code' (by partner) nor 'Industry/Product' (by industry)",
        field="Partner-Code",
    )


class WiiwFdiSettings(SourceSettings):
    """[sources.wiiw_fdi]"""

    files: FileDrops = Field(
        min_length=1, description="wiiw FDI database exports (CSV); by partner or by industry, read from the header."
    )


class WiiwFdi(Source):
    name = "wiiw_fdi"
    datasets = {
        "by_partner": Dataset("by_partner", PARTNER_SCHEMA),  # wiiw FDI by partner, long form
        "by_industry": Dataset("by_industry", INDUSTRY_SCHEMA),  # wiiw FDI by industry (NACE), long form
    }
    Settings = WiiwFdiSettings

    def _files(self) -> list[Path]:
        out = []
        for path in self.settings.files:
            if not path.is_file():
                raise ConfigError(f"[sources.wiiw_fdi] files: {path} does not exist")
            out.append(path)
        return out

    def plan(self, ctx: Context) -> list[Partition]:
        return [
            Partition(
                self.name,
                dataset_of(self.name, path),
                f"file={path.name}",
                params={"path": str(path)},
                source_updated_at=hashlib.sha256(path.read_bytes()).hexdigest(),
            )
            for path in self._files()
        ]

    def fetch(self, ctx: Context, partition: Partition) -> list[Fetched]:
        return [file_fetched(Path(partition.params["path"]), self.name)]

    def parse(self, partition: Partition, bodies: list[Fetched]) -> ParseResult:
        return parse_wiiw_csv(self.name, bodies[0].url, bodies[0].body, partition.dataset)


def parse_wiiw_csv(source: str, where: str, body: bytes, dataset: str) -> ParseResult:
    reader = csv.reader(io.StringIO(decode(source, where, body)))
    header = next(reader, None)
    if not header:
        raise SchemaDrift(source, where, "empty file", field="header")
    required = PARTNER_REQUIRED if dataset == "by_partner" else INDUSTRY_REQUIRED
    years = [(c, int(m.group(1))) for c in header if (m := YEAR_COLUMN.match(c))]
    warnings = check_fields(source, where, header, required, [*required, *DESCRIPTIVE, *(c for c, _ in years)])
    if not years:
        raise SchemaDrift(source, where, "no year columns (_2003, _2004, ...) in the header", field="year columns")
    col = {c: i for i, c in enumerate(header)}
    name = Path(where.removeprefix("file://")).name
    schema = PARTNER_SCHEMA if dataset == "by_partner" else INDUSTRY_SCHEMA
    records = []
    for n, row in enumerate(reader, start=2):
        if not row or all(c.strip() == "" for c in row):
            continue
        at = f"{where} line {n}"
        if len(row) != len(header):
            raise SchemaDrift(source, at, f"{len(row)} fields where the header has {len(header)}")

        def get(c: str, row=row) -> str | None:
            return row[col[c]] if c in col else None

        base = {
            "host_iso2": get("Country-Code"),
            "host_name": get("Country"),
            "direction": get("Direction"),
            "unit": get("Unit"),
            "footnotes": None if get("Footnotes") in (None, "-") else get("Footnotes"),
            "sources": get("Sources"),
            "file_name": name,
        }
        if dataset == "by_partner":
            if not get("Partner-Code"):
                raise SchemaDrift(source, at, "empty Partner-Code", field="Partner-Code")
            base |= {"partner_code": get("Partner-Code"), "partner_name": get("Partner")}
        else:
            industry = get("Industry/Product") or ""
            m = NACE.match(industry)
            base |= {
                "classification": get("Classification"),
                "digit": get("Digit"),
                "industry": industry,
                "nace_code": m.group(1) if m else None,
                "industry_name": m.group(2) if m else industry,
            }
        for c, year in years:
            cell = row[col[c]].strip()
            if cell in MISSING:
                value = None
            else:
                try:
                    value = float(cell)
                except ValueError:
                    raise SchemaDrift(source, at, f"column {c}: {cell!r} is not a number", field=c) from None
            records.append({**base, "year": year, "value": value})
    frame = pl.DataFrame(records, schema=schema) if records else pl.DataFrame(schema=schema)
    return ParseResult(conform(source, where, frame, schema), warnings)
