"""Eurostat Comext DS-045409 (EU trade since 1988 by HS2-4-6 and CN8): SDMX 2.1 API and file drops.

Two ways in, one source:

- **API** (`sdmx` dataset, `api.py`): one partition per reporter and year, each query split before asking
  so that Eurostat answers it synchronously; change stamp from the dataflow's `UPDATE_DATA` annotation.
- **File drops**: the Comext web-export CSVs (dataset `web_export`, `web_export.py`) and three CSVs
  derived from Easy-Comext spreadsheets (`cn8_exports`, `hs6_exports_eu27`, `sanctioned_total`,
  `derived_files.py`). The layout is recognised from the header; one partition per file (key = file
  name, stamp = the file's sha256).

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

import polars as pl

from extract.errors import BadResponse, ConfigError
from extract.landing import FileStamps
from extract.readers.csv_drop import header
from extract.settings import PROJECT_DIR
from extract.sources.base import Context, Dataset, Fetched, ParseResult, Partition, Source, file_fetched
from extract.sources.eurostat_comext import api, derived_files, web_export
from extract.sources.eurostat_comext.api import (
    DEFAULT_MAX_CELLS,
    INDICATORS,
    METADATA_URL,
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


class EurostatComext(Source):
    name = "eurostat_comext"
    datasets = {
        "sdmx": Dataset("sdmx", api.SCHEMA, "DS-045409 through the SDMX 2.1 API, indicators pivoted to columns."),
        "web_export": Dataset("web_export", web_export.SCHEMA, "Comext web-export CSVs, long labels mapped."),
        **{
            d: Dataset(d, schema, "Derived from Easy-Comext (ruimpeks).") for d, schema in derived_files.SCHEMAS.items()
        },
    }

    # ------------------------------------------------------------------ plan

    def plan(self, ctx: Context) -> list[Partition]:
        files = [Path(f) for f in self.settings.get("files", [])]
        # the stamp of a file is its sha256: a file unchanged since the last plan (same size and mtime)
        # is not read again; the others are hashed on two threads (hashlib releases the GIL), in plan order
        stamps = FileStamps.of_source(ctx.landing_root if ctx and files else None, self.name)
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix=f"{self.name}-plan") as pool:
            partitions = list(pool.map(lambda f: self._file_partition(f, stamps), files))
        stamps.save()
        if self.settings.get("reporters"):
            partitions += self._api_partitions(ctx)
        return partitions

    def _file_partition(self, path: Path, stamps: FileStamps | None = None) -> Partition:
        path = path if path.is_absolute() else PROJECT_DIR / path
        if not path.exists():  # fetch fails for this file alone, naming it
            return Partition(self.name, "web_export", path.name, {"path": path})
        first = header(path)
        dataset = next((d for d, cols in FILE_LAYOUTS.items() if first == cols), "web_export")
        stamp = (stamps or FileStamps(None)).sha256(path)
        return Partition(self.name, dataset, path.name, {"path": path}, source_updated_at=stamp)

    def _api_settings(self) -> dict:
        s = self.settings
        freq = s.get("freq", "M")
        if freq not in ("M", "A"):
            raise ConfigError(f"[sources.{self.name}] freq must be 'M' or 'A', not {freq!r}")
        flows = tuple(str(f) for f in s.get("flows", [1, 2]))
        if not flows or set(flows) - {"1", "2"}:
            raise ConfigError(f"[sources.{self.name}] flows must be 1 (import) and/or 2 (export), not {flows!r}")
        indicators = tuple(s.get("indicators", list(INDICATORS)))
        if not indicators or set(indicators) - set(INDICATORS):
            raise ConfigError(f"[sources.{self.name}] indicators must be among {sorted(INDICATORS)}")
        products = tuple(str(p) for p in s.get("products", ["TOTAL"]))
        for p in products:
            if not re.match(r"^(TOTAL|\d{2}|\d{4}|\d{6}|\d{8})$", p):
                raise ConfigError(f"[sources.{self.name}] product {p!r} is not TOTAL, HS2/4/6 or CN8 (as a string)")
        years = s.get("years")
        if not years:
            raise ConfigError(f"[sources.{self.name}] years = [first, last] is required with reporters")
        return {
            "freq": freq,
            "reporters": self._geo(s["reporters"], "reporters"),
            "partners": self._geo(s.get("partners", []), "partners"),
            "products": products,
            "flows": flows,
            "indicators": indicators,
            "years": range(int(years[0]), int(years[1]) + 1),
            "max_cells": int(s.get("max_cells", DEFAULT_MAX_CELLS)),
        }

    def _geo(self, iso3_codes: list[str], what: str) -> tuple[str, ...]:
        if not iso3_codes:
            raise ConfigError(f"[sources.{self.name}] {what}: at least one country is required")
        iso2 = iso3_to_comext()
        out = []
        for code in iso3_codes:
            if code not in iso2:
                raise ConfigError(f"[sources.{self.name}] {what}: {code!r} has no Comext geo code (ISO3 country)")
            out.append(iso2[code])
        return tuple(sorted(set(out)))

    def _api_partitions(self, ctx: Context) -> list[Partition]:
        s = self._api_settings()
        meta = ctx.client.get(self.name, METADATA_URL, expect="xml")
        stamp = dataflow_stamp(meta.body, meta.headers)
        out = []
        for reporter in s["reporters"]:
            for year in s["years"]:
                q = Query(
                    s["freq"],
                    (reporter,),
                    s["partners"],
                    s["products"],
                    s["flows"],
                    s["indicators"],
                    periods_of(s["freq"], year),
                )
                key = (
                    f"freq={q.freq}/reporter={reporter}/year={year}/partners={codes_for_key(q.partners)}"
                    f"/products={codes_for_key(q.products)}/flows={'+'.join(q.flows)}"
                    f"/indicators={codes_for_key(q.indicators)}"
                )
                params = {"query": q, "max_cells": s["max_cells"]}
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
            resp = ctx.client.get(self.name, q.url(), expect="csv")
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
