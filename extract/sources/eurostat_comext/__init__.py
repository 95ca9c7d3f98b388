"""Eurostat Comext DS-045409 (EU trade since 1988 by HS2-4-6 and CN8): SDMX 2.1 API and file drops.

Two ways in, one source:

- **API** (`sdmx` dataset, `api.py`): one partition per reporter and year, each query split before asking
  so that Eurostat answers it synchronously; change stamp from the dataflow's `UPDATE_DATA` annotation.
- **File drops**: the Comext web-export CSVs (dataset `web_export`, `web_export.py`) and three CSVs
  derived from Easy-Comext spreadsheets (`cn8_exports`, `hs6_exports_eu27`, `sanctioned_total`,
  `derived_files.py`). The layout is recognised from the header; one partition per file (key = file
  name, stamp = the file's sha256). A `.xlsx` file is a data-browser workbook of DS-045409 (one sheet per
  product x flow; extract/readers/eurostat_workbook.py): dataset `workbook`, in the web-export schema.

Geography codes are Comext's own (Geonomenclature): ISO 3166 alpha-2 for countries, *GR* for Greece
and *GB* for the United Kingdom (not EL/UK as in other Eurostat datasets), XS Serbia, XK Kosovo,
XC/XL Ceuta/Melilla, Q* pseudo-partners, and EU27_2020, EU, EA, EA20, EXT_EU27_2020, INT_EU27_2020
for aggregates. Web-export labels are mapped with `seeds/eurostat_geo_labels.csv`.
"""

from __future__ import annotations

import functools
import logging
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Literal

import polars as pl
from pydantic import Field, field_validator, model_validator

from extract.errors import BadResponse
from extract.landing import FileStamps
from extract.readers import eurostat_workbook
from extract.readers.csv_drop import header
from extract.settings import PROJECT_DIR
from extract.sources.base import (
    Code,
    Context,
    Dataset,
    Fetched,
    FileDrops,
    Iso3,
    ParseResult,
    Partition,
    Source,
    SourceSettings,
    Years,
    conform,
    file_fetched,
)
from extract.sources.eurostat_comext import api, derived_files, web_export
from extract.sources.eurostat_comext.api import (
    BASE,
    DATAFLOW,
    DEFAULT_MAX_CELLS,
    INDICATORS,
    Query,
    codes_for_key,
    dataflow_stamp,
    is_too_big,
    periods_of,
    split_to_fit,
)
from extract.sources.eurostat_comext.web_export import WEB_EXPORT_COLUMNS, web_period

__all__ = ["EurostatComext", "Query", "split_to_fit", "web_period", "WEB_EXPORT_COLUMNS", "iso3_to_comext"]

log = logging.getLogger(__name__)

# Comext codes that differ from the ISO 3166 alpha-2 code of seeds/countries.csv.
ISO3_TO_COMEXT = {"SRB": "XS"}

# the file layouts, recognised from the header line (anything else is read as a web export and checked as one)
FILE_LAYOUTS = {"web_export": WEB_EXPORT_COLUMNS, **derived_files.LAYOUTS}


@functools.cache
def all_hs6() -> tuple[str, ...]:
    """Every HS6 code of seeds/hs_products.csv (HS 2022), in code order."""
    return tuple(pl.read_csv(PROJECT_DIR / "seeds" / "hs_products.csv", infer_schema=False)["hs6"].sort())


class ComextSettings(SourceSettings):
    """[sources.eurostat_comext]"""

    files: FileDrops = Field(
        [], description="File drops: web-export CSVs and the derived layouts (recognised from the header)."
    )
    reporters: list[Iso3] = Field([], description="API: reporters, ISO3 (empty: no API partitions).")
    partners: list[Iso3] = Field([], description="API: partners, ISO3 (required with reporters).")
    products: list[Code] = Field(
        ["TOTAL"],
        min_length=1,
        description='API: TOTAL, HS2/HS4/HS6 or CN8 codes; "HS6": every HS6 code (seeds/hs_products.csv).',
    )
    flows: list[Literal["1", "2"]] = Field(["1", "2"], min_length=1, description="API: 1 import, 2 export.")
    indicators: list[Literal[tuple(INDICATORS)]] = Field(
        list(INDICATORS), min_length=1, description="API: VALUE_IN_EUROS and/or QUANTITY_IN_100KG."
    )
    freq: Literal["M", "A"] = Field("M", description="API: M (monthly) or A (annual).")
    years: Years | None = Field(None, description="API: [first, last] year (required with reporters).")
    max_cells: int = Field(
        DEFAULT_MAX_CELLS, gt=0, description="API: split a query estimated above this many cells before asking."
    )

    @field_validator("flows", mode="before")
    @classmethod
    def _flows_as_text(cls, value):
        return [str(v) for v in value] if isinstance(value, list) else value

    @field_validator("products")
    @classmethod
    def _products(cls, value: list[str]) -> list[str]:
        out: list[str] = []
        for p in value:
            if p == "HS6":  # every HS6 code of the nomenclature (seeds/hs_products.csv)
                out += [c for c in all_hs6() if c not in out]
                continue
            if not re.match(r"^(TOTAL|\d{2}|\d{4}|\d{6}|\d{8})$", p):
                raise ValueError(f"{p!r} is not TOTAL, HS6 (every HS6 code), HS2/4/6 or CN8 (as a string)")
            out.append(p)
        return out

    @model_validator(mode="after")
    def _api(self):
        if not self.reporters:
            return self
        if not self.years:
            raise ValueError("years = [first, last] is required with reporters")
        if not self.partners:
            raise ValueError("partners: at least one country is required with reporters")
        comext = iso3_to_comext()
        for what in ("reporters", "partners"):
            for code in getattr(self, what):
                if code not in comext:
                    raise ValueError(f"{what}: {code!r} has no Comext geo code (ISO3 country)")
        return self

    def comext_codes(self, what: str) -> tuple[str, ...]:
        """`reporters` or `partners` as Comext geo codes, sorted, each once."""
        comext = iso3_to_comext()
        return tuple(sorted({comext[code] for code in getattr(self, what)}))


class EurostatComext(Source):
    name = "eurostat_comext"
    datasets = {
        "sdmx": Dataset("sdmx", api.SCHEMA),  # DS-045409 through the SDMX 2.1 API, indicators pivoted to columns.
        "web_export": Dataset("web_export", web_export.SCHEMA),  # Comext web-export CSVs, long labels mapped.
        "workbook": Dataset("workbook", web_export.SCHEMA),  # data-browser workbooks (.xlsx), web-export schema
        **{d: Dataset(d, schema) for d, schema in derived_files.SCHEMAS.items()},  # derived from Easy-Comext
    }
    Settings = ComextSettings

    # ------------------------------------------------------------------ plan

    def plan(self, ctx: Context) -> list[Partition]:
        files = self.settings.files
        # the stamp of a file is its sha256: a file unchanged since the last plan (same size and mtime)
        # is not read again; the others are hashed on two threads (hashlib releases the GIL), in plan order
        stamps = FileStamps.of_source(ctx.landing_root if ctx and files else None, self.name)
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix=f"{self.name}-plan") as pool:
            partitions = list(pool.map(lambda f: self._file_partition(f, stamps), files))
        stamps.save()
        if self.settings.reporters:
            partitions += self._api_partitions(ctx)
        return partitions

    def _file_partition(self, path: Path, stamps: FileStamps | None = None) -> Partition:
        workbook = path.suffix.lower() == ".xlsx"
        if not path.exists():  # planned all the same: its fetch fails for this file alone, naming it
            dataset = "workbook" if workbook else "web_export"
            return Partition(self.name, dataset, path.name, {"path": path}, source_updated_at="missing")
        stamp = (stamps or FileStamps(None)).sha256(path)
        if workbook:
            return Partition(self.name, "workbook", path.name, {"path": path}, source_updated_at=stamp)
        first = header(path)
        dataset = next((d for d, cols in FILE_LAYOUTS.items() if first == cols), "web_export")
        return Partition(self.name, dataset, path.name, {"path": path}, source_updated_at=stamp)

    def _base(self) -> str:
        """The SDMX API root: `base_url` (a proxy, the test emulator), else Eurostat's public address."""
        return (self.settings.base_url or BASE).rstrip("/")

    def queries(self) -> list[tuple[str, int, Query]]:
        """(Comext reporter code, year, the query) of every API partition, in plan order (no request)."""
        s = self.settings
        partners = s.comext_codes("partners")
        return [
            (
                reporter,
                year,
                Query(
                    s.freq,
                    (reporter,),
                    partners,
                    tuple(s.products),
                    tuple(s.flows),
                    tuple(s.indicators),
                    periods_of(s.freq, year),
                ),
            )
            for reporter in s.comext_codes("reporters")
            for year in range(s.years[0], s.years[1] + 1)
        ]

    def request_cost(self, partition: Partition) -> tuple[str, int]:
        if partition.dataset != "sdmx":
            return partition.key, 0
        return partition.key, len(split_to_fit(partition.params["query"], partition.params["max_cells"]))

    def _api_partitions(self, ctx: Context) -> list[Partition]:
        s = self.settings
        meta = ctx.client.get(self.name, f"{self._base()}/dataflow/ESTAT/{DATAFLOW}/1.0", expect="xml")
        stamp = dataflow_stamp(meta.body, meta.headers)
        out = []
        for reporter, year, q in self.queries():
            key = (
                f"freq={q.freq}/reporter={reporter}/year={year}/partners={codes_for_key(q.partners)}"
                f"/products={codes_for_key(q.products)}/flows={'+'.join(q.flows)}"
                f"/indicators={codes_for_key(q.indicators)}"
            )
            params = {"query": q, "max_cells": s.max_cells}
            out.append(Partition(self.name, "sdmx", key, params, source_updated_at=stamp, period=str(year)))
        return out

    # ------------------------------------------------------------------ fetch

    def fetch(self, ctx: Context, partition: Partition) -> list[Fetched]:
        if partition.dataset != "sdmx":
            return [file_fetched(partition.params["path"], self.name)]
        bodies: list[Fetched] = []
        for q in split_to_fit(partition.params["query"], partition.params["max_cells"]):
            bodies += self._ask(ctx, q)
        return bodies

    def _ask(self, ctx: Context, q: Query) -> list[Fetched]:
        """Ask one query; on 413 EXTRACTION_TOO_BIG ask its two halves instead (never the same query again)."""
        try:
            resp = ctx.client.get(self.name, q.url(self._base()), expect="csv")
        except BadResponse as exc:
            if not is_too_big(exc):
                raise
            halves = q.halves()
            if halves is None:
                raise BadResponse(self.name, exc.where, f"{exc.what} (a one-cell query cannot be split)") from None
            log.warning("[%s] 413 for %s (%d cells): asking its two halves", self.name, q.key(), q.cells())
            return self._ask(ctx, halves[0]) + self._ask(ctx, halves[1])
        return [Fetched(resp.body, "csv", resp.url)]

    # ------------------------------------------------------------------ parse

    def parse(self, partition: Partition, bodies: list[Fetched]) -> ParseResult:
        if partition.dataset == "sdmx":
            return api.parse_sdmx(self.name, partition.params["query"], bodies)
        (b,) = bodies
        if partition.dataset == "workbook":
            frame = eurostat_workbook.parse(self.name, b.url, b.body, web_export.geo_labels())
            return ParseResult(conform(self.name, b.url, frame, web_export.SCHEMA))
        if partition.dataset == "web_export":
            return web_export.parse_web_export(self.name, b.url, b.body)
        return derived_files.parse_derived(self.name, partition.dataset, b.url, b.body)


@functools.lru_cache(maxsize=1)
def iso3_to_comext() -> dict[str, str]:
    """ISO3 -> Comext geo code: seeds/countries.csv iso2 (GR, GB as in Comext), Serbia XS."""
    frame = pl.read_csv(PROJECT_DIR / "seeds" / "countries.csv", infer_schema=False)
    mapping = {r["iso3"]: r["iso2"] for r in frame.iter_rows(named=True) if r["iso2"]}
    mapping.update(ISO3_TO_COMEXT)
    return mapping
