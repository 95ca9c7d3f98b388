"""Eurostat Comext DS-045409 (EU trade since 1988 by HS2-4-6 and CN8): SDMX 2.1 API and file drops.

Two ways in, one source:

- **API** (`sdmx` dataset): `GET {BASE}/data/DS-045409/{freq}.{reporter}.{partner}.{product}.{flow}.{indicators}
  ?format=SDMX-CSV&startPeriod=..&endPeriod=..`, answered as SDMX-CSV with the header
  `DATAFLOW,LAST UPDATE,freq,reporter,partner,product,flow,indicators,TIME_PERIOD,OBS_VALUE`.
  One partition per reporter and year. Comext refuses extractions over 5M cells with HTTP 413
  `EXTRACTION_TOO_BIG` and answers 500k-5M cells asynchronously, so every query is split *before*
  asking until its estimated size (reporters x partners x products x flows x indicators x periods)
  is at most `max_cells` (default 500,000: synchronous answers only). A 413 that still comes back is
  not retried (the client never retries 4xx) but split in halves, and the halves are asked instead.
  Change stamp: the dataflow's `UPDATE_DATA` annotation (`{BASE}/dataflow/ESTAT/DS-045409/1.0`),
  else that response's `Last-Modified` header; one metadata request per run.
- **File drops**: the Comext web-export CSVs (`REPORTER,PARTNER,PRODUCT,FLOW,STAT_PROCEDURE,PERIOD,
  VALUE_IN_EUR`, long English or French labels; dataset `web_export`) and three CSVs derived from
  Easy-Comext spreadsheets (`cn8_exports`, `hs6_exports_eu27`, `sanctioned_total`). The layout is
  recognised from the header; one partition per file (key = file name, stamp = the file's sha256).

Geography codes are Comext's own (Geonomenclature): ISO 3166 alpha-2 for countries, *GR* for Greece
and *GB* for the United Kingdom (not EL/UK as in other Eurostat datasets), XS Serbia, XK Kosovo,
XC/XL Ceuta/Melilla, Q* pseudo-partners, and EU27_2020, EU, EA, EA20, EXT_EU27_2020, INT_EU27_2020
for aggregates. Web-export labels are mapped with `seeds/eurostat_geo_labels.csv`; a label that is
not there fails the file's parse (file, row and label named), it is never dropped.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import logging
import math
import re
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlencode

import polars as pl

from extract.errors import BadResponse, ConfigError, SchemaDrift
from extract.landing import FileStamps
from extract.settings import PROJECT_DIR
from extract.sources.base import (
    Context,
    Dataset,
    Fetched,
    ParseResult,
    Partition,
    Source,
    check_fields,
    conform,
    file_fetched,
)

log = logging.getLogger(__name__)

BASE = "https://ec.europa.eu/eurostat/api/comext/dissemination/sdmx/2.1"
DATAFLOW = "DS-045409"
METADATA_URL = f"{BASE}/dataflow/ESTAT/{DATAFLOW}/1.0"
SDMX_COLUMNS = [
    "DATAFLOW",
    "LAST UPDATE",
    "freq",
    "reporter",
    "partner",
    "product",
    "flow",
    "indicators",
    "TIME_PERIOD",
    "OBS_VALUE",
]
INDICATORS = {"VALUE_IN_EUROS": "value_eur", "QUANTITY_IN_100KG": "quantity_100kg"}
DEFAULT_MAX_CELLS = 500_000  # above this Eurostat answers asynchronously; above 5,000,000 it refuses (413)
SEED = PROJECT_DIR / "seeds" / "eurostat_geo_labels.csv"

# Comext codes that differ from the ISO 3166 alpha-2 code of seeds/countries.csv.
ISO3_TO_COMEXT = {"SRB": "XS"}

WEB_EXPORT_COLUMNS = ["REPORTER", "PARTNER", "PRODUCT", "FLOW", "STAT_PROCEDURE", "PERIOD", "VALUE_IN_EUR"]
FILE_LAYOUTS = {
    "web_export": WEB_EXPORT_COLUMNS,
    "cn8_exports": ["reporter_iso2", "partner_iso2", "cn8", "hs6", "month", "value_eur"],
    "hs6_exports_eu27": ["partner_iso2", "hs6", "month", "value_eur_sum_eu_reporters"],
    "sanctioned_total": ["reporter_iso2", "partner_iso2", "month", "value_eur_sanctioned_cn8_total"],
}

MONTHS = {
    m: i for i, m in enumerate(["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], 1)
}
_MONTH_LABEL = re.compile(r"^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\.? (\d{4})$")
_YEAR_LABEL = re.compile(r"^Jan\.-Dec\. (\d{4})$")
_CODED_PERIOD = re.compile(r"^(\d{4})(\d{2})-(.+)$")
_FLOW = re.compile(r"^(?:([12])-)?(IMPORT|EXPORT|IMPORTATION|EXPORTATION)$")
_CODED = re.compile(r"^([0-9A-Z]+)-(.+)$")
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


# --------------------------------------------------------------------------- SDMX queries


@dataclass(frozen=True)
class Query:
    """One SDMX data query: a code list per dimension and a contiguous run of periods."""

    freq: str
    reporters: tuple[str, ...]
    partners: tuple[str, ...]
    products: tuple[str, ...]
    flows: tuple[str, ...]
    indicators: tuple[str, ...]
    periods: tuple[str, ...]

    def cells(self) -> int:
        """Eurostat's own size estimate: the product of the positions asked in every dimension."""
        return math.prod(
            len(x) for x in (self.reporters, self.partners, self.products, self.flows, self.indicators, self.periods)
        )

    def key(self) -> str:
        dims = (self.reporters, self.partners, self.products, self.flows, self.indicators)
        return ".".join([self.freq, *("+".join(d) for d in dims)])

    def url(self) -> str:
        params = {"format": "SDMX-CSV", "startPeriod": self.periods[0], "endPeriod": self.periods[-1]}
        return f"{BASE}/data/{DATAFLOW}/{self.key()}?{urlencode(params)}"

    def halves(self) -> tuple[Query, Query] | None:
        """Split the dimension with the most positions in two (periods stay contiguous); None if 1 cell."""
        order = ("periods", "products", "partners", "reporters", "indicators", "flows")
        name = max(order, key=lambda n: len(getattr(self, n)))  # first of the longest, in that order
        values = getattr(self, name)
        if len(values) < 2:
            return None
        mid = len(values) // 2
        return replace(self, **{name: values[:mid]}), replace(self, **{name: values[mid:]})


def split_to_fit(query: Query, max_cells: int) -> list[Query]:
    """Halve until every part is estimated at most `max_cells` (a single cell is always asked)."""
    if query.cells() <= max_cells:
        return [query]
    parts = query.halves()
    if parts is None:
        return [query]
    return [q for part in parts for q in split_to_fit(part, max_cells)]


def periods_of(freq: str, year: int) -> tuple[str, ...]:
    return (str(year),) if freq == "A" else tuple(f"{year}-{m:02d}" for m in range(1, 13))


def _codes_for_key(codes: tuple[str, ...]) -> str:
    text = "+".join(codes)
    if len(codes) <= 4 and len(text) <= 40:
        return text
    return f"{len(codes)}codes-{hashlib.sha1(text.encode()).hexdigest()[:10]}"


def is_too_big(exc: BadResponse) -> bool:
    """Eurostat's EXTRACTION_TOO_BIG: the client's BadResponse carries the HTTP status."""
    return exc.status == 413


def dataflow_stamp(body: bytes, headers: dict[str, str]) -> str | None:
    """UPDATE_DATA from the dataflow's annotations, else the response's Last-Modified header."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        root = None
    if root is not None:
        for el in root.iter():
            if el.tag.rsplit("}", 1)[-1] != "Annotation":
                continue
            fields = {child.tag.rsplit("}", 1)[-1]: (child.text or "").strip() for child in el}
            if fields.get("AnnotationType") == "UPDATE_DATA" and fields.get("AnnotationTitle"):
                return fields["AnnotationTitle"]
    lower = {k.lower(): v for k, v in headers.items()}
    if lower.get("last-modified"):
        return f"Last-Modified: {lower['last-modified']}"
    return None


def sdmx_last_update(value: str | None) -> str | None:
    """`LAST UPDATE` is written DD/MM/YY HH:MM:SS; ISO 8601 is easier downstream (kept as is otherwise)."""
    if not value:
        return None
    m = re.match(r"^(\d{2})/(\d{2})/(\d{2}) (\d{2}:\d{2}:\d{2})$", value.strip())
    return f"20{m.group(3)}-{m.group(2)}-{m.group(1)}T{m.group(4)}" if m else value


def sdmx_period(value: str) -> tuple[str, str] | None:
    """TIME_PERIOD -> (freq, period): '2019-01' or '2019M01' -> ('M', '2019-01'); '2019' -> ('A', '2019')."""
    m = re.match(r"^(\d{4})(?:-|M)(0[1-9]|1[0-2])$", value)
    if m:
        return "M", f"{m.group(1)}-{m.group(2)}"
    if re.match(r"^\d{4}$", value):
        return "A", value
    return None


# --------------------------------------------------------------------------- labels and periods


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


# --------------------------------------------------------------------------- the source


def _header(path: Path) -> list[str]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return next(csv.reader(fh), [])


def _read_csv(body: bytes) -> pl.DataFrame:
    if body.startswith(b"\xef\xbb\xbf"):
        body = body[3:]
    return pl.read_csv(io.BytesIO(body), infer_schema=False, truncate_ragged_lines=False)


def _first_line(frame: pl.DataFrame, mask: pl.Series) -> int:
    """The file line (header = line 1) of the first row where `mask` holds."""
    return int(mask.arg_true()[0]) + 2


_LABEL_COLUMNS = ("REPORTER", "PARTNER", "PRODUCT", "FLOW", "STAT_PROCEDURE", "PERIOD")


# the label parsers of the fast path, remembered across files (the same labels recur in every month)
_LABEL_PARSERS = {
    "PERIOD": functools.lru_cache(maxsize=1 << 16)(web_period),
    "FLOW": functools.lru_cache(maxsize=1 << 10)(web_flow),
    "PRODUCT": functools.lru_cache(maxsize=1 << 16)(lambda v: web_code(v, "TOTAL")),
    "STAT_PROCEDURE": functools.lru_cache(maxsize=1 << 10)(lambda v: web_code(v, "T")),
}


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


class EurostatComext(Source):
    name = "eurostat_comext"
    datasets = {
        "sdmx": Dataset(
            "sdmx",
            {
                "freq": pl.String,
                "reporter": pl.String,
                "partner": pl.String,
                "product": pl.String,
                "flow": pl.String,
                "period": pl.String,
                "value_eur": pl.Float64,
                "quantity_100kg": pl.Float64,
                "source_last_update": pl.String,
            },
            "DS-045409 through the SDMX 2.1 API, indicators pivoted to columns; Comext geo codes.",
        ),
        "web_export": Dataset(
            "web_export",
            {
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
            },
            "Comext web-export CSVs (long labels mapped through seeds/eurostat_geo_labels.csv).",
        ),
        "cn8_exports": Dataset(
            "cn8_exports",
            {
                "reporter_iso2": pl.String,
                "partner_iso2": pl.String,
                "cn8": pl.String,
                "hs6": pl.String,
                "month": pl.String,
                "value_eur": pl.Float64,
            },
            "EU member exports of Reg. 833/2014 CN8 codes inside a CHPL HS6 (ruimpeks derivation).",
        ),
        "hs6_exports_eu27": Dataset(
            "hs6_exports_eu27",
            {"partner_iso2": pl.String, "hs6": pl.String, "month": pl.String, "value_eur_sum": pl.Float64},
            "Sanctioned-goods exports summed over the 27 reporters and CN8 within HS6 (ruimpeks derivation).",
        ),
        "sanctioned_total": Dataset(
            "sanctioned_total",
            {"reporter_iso2": pl.String, "partner_iso2": pl.String, "month": pl.String, "value_eur": pl.Float64},
            "Each member's exports of all sanctioned CN8 codes, per partner and month (ruimpeks derivation).",
        ),
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
        header = _header(path)
        dataset = next((d for d, cols in FILE_LAYOUTS.items() if header == cols), "web_export")
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
        api = self._api_settings()
        meta = ctx.client.get(self.name, METADATA_URL, expect="xml")
        stamp = dataflow_stamp(meta.body, meta.headers)
        out = []
        for reporter in api["reporters"]:
            for year in api["years"]:
                q = Query(
                    api["freq"],
                    (reporter,),
                    api["partners"],
                    api["products"],
                    api["flows"],
                    api["indicators"],
                    periods_of(api["freq"], year),
                )
                key = (
                    f"freq={q.freq}/reporter={reporter}/year={year}/partners={_codes_for_key(q.partners)}"
                    f"/products={_codes_for_key(q.products)}/flows={'+'.join(q.flows)}"
                    f"/indicators={_codes_for_key(q.indicators)}"
                )
                params = {"query": q, "max_cells": api["max_cells"]}
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
        parser = {
            "sdmx": self._parse_sdmx,
            "web_export": self._parse_web_export,
            "cn8_exports": self._parse_cn8,
            "hs6_exports_eu27": self._parse_hs6,
            "sanctioned_total": self._parse_total,
        }[partition.dataset]
        return parser(partition, bodies)

    def _parse_sdmx(self, partition: Partition, bodies: list[Fetched]) -> ParseResult:
        q: Query = partition.params["query"]
        frames, warnings = [], []
        for b in bodies:
            frame = _read_csv(b.body) if b.body.strip() else pl.DataFrame()
            warnings += check_fields(self.name, b.url, frame.columns, SDMX_COLUMNS, SDMX_COLUMNS)
            frame = frame.select(SDMX_COLUMNS)
            bad = ~frame["indicators"].is_in(list(INDICATORS))
            if bad.any():
                line = _first_line(frame, bad)
                raise SchemaDrift(
                    self.name,
                    f"{b.url} row {line}",
                    f"unknown indicator {frame['indicators'][line - 2]!r}",
                    field="indicators",
                )
            stray = ~frame["reporter"].is_in(list(q.reporters))
            if stray.any():
                line = _first_line(frame, stray)
                raise BadResponse(
                    self.name, f"{b.url} row {line}", f"reporter {frame['reporter'][line - 2]!r} was not asked for"
                )
            frames.append(frame)
        rows = pl.concat(frames) if frames else pl.DataFrame(schema={c: pl.String for c in SDMX_COLUMNS})
        periods = {v: sdmx_period(v) for v in rows["TIME_PERIOD"].unique().to_list()}
        for value, parsed in periods.items():
            if parsed is None:
                raise SchemaDrift(self.name, bodies[0].url, f"TIME_PERIOD {value!r} is no period", field="TIME_PERIOD")
        values = rows["OBS_VALUE"].str.strip_chars().replace("", None).cast(pl.Float64, strict=False)
        bad = values.is_null() & rows["OBS_VALUE"].str.strip_chars().replace("", None).is_not_null()
        if bad.any():
            i = int(bad.arg_true()[0])
            raise SchemaDrift(
                self.name, bodies[0].url, f"OBS_VALUE {rows['OBS_VALUE'][i]!r} is not a number", field="OBS_VALUE"
            )
        keys = ["freq", "reporter", "partner", "product", "flow", "period"]
        long = rows.select(
            pl.col("freq"),
            pl.col("reporter"),
            pl.col("partner"),
            pl.col("product"),
            pl.col("flow"),
            pl.col("TIME_PERIOD")
            .replace_strict({k: v[1] for k, v in periods.items()}, return_dtype=pl.String)
            .alias("period"),
            pl.col("indicators"),
            values.alias("value"),
            pl.col("LAST UPDATE").map_elements(sdmx_last_update, return_dtype=pl.String).alias("source_last_update"),
        )
        dups = long.group_by([*keys, "indicators"]).len().filter(pl.col("len") > 1)
        if dups.height:
            raise BadResponse(self.name, bodies[0].url, f"the same cell came back twice: {dups.row(0, named=True)}")
        wide = long.group_by(keys, maintain_order=True).agg(
            *(
                pl.col("value").filter(pl.col("indicators") == ind).first().alias(col)
                for ind, col in INDICATORS.items()
            ),
            pl.col("source_last_update").max(),
        )
        schema = self.datasets["sdmx"].schema
        return ParseResult(conform(self.name, bodies[0].url, wide.sort(keys), schema), sorted(set(warnings)))

    def _parse_web_export(self, partition: Partition, bodies: list[Fetched]) -> ParseResult:
        (b,) = bodies
        where = b.url
        frame = _read_csv(b.body)
        warnings = check_fields(self.name, where, frame.columns, WEB_EXPORT_COLUMNS, WEB_EXPORT_COLUMNS)
        frame = frame.select(WEB_EXPORT_COLUMNS)
        out = self._web_export_rows(frame)
        if out is None:  # something to report or to drop: the checked path names the file, row and value
            return self._parse_web_export_checked(frame, where, warnings)
        return ParseResult(conform(self.name, where, out, self.datasets["web_export"].schema), warnings)

    def _web_export_rows(self, frame: pl.DataFrame) -> pl.DataFrame | None:
        """The typed rows of a clean web-export file, mapped once per distinct label; None if any check fails.

        The same rows as `_parse_web_export_checked`, without its joins and row-wide unique/group-by:
        every label column is a code into its distinct values (an Enum), each distinct value is
        checked and mapped once, and the mapped values are gathered by code. A file with a null or an
        unknown label, a value that is no number, or a cell that repeats (even verbatim) gives None:
        the checked path then drops the repeats with a warning, or fails naming the first bad row.
        """
        if frame.height == 0 or any(frame[c].null_count() for c in _LABEL_COLUMNS):
            return None
        distinct, codes = {}, {}
        for column in _LABEL_COLUMNS:
            values = frame[column].unique()
            distinct[column] = values.to_list()
            codes[column] = frame[column].cast(pl.Enum(values)).to_physical().cast(pl.Int64)
        parsed = {}
        for column, func in _LABEL_PARSERS.items():
            parsed[column] = [func(v) for v in distinct[column]]
            if any(r is None for r in parsed[column]):
                return None
        # the language of a row is that of its FLOW label (as in the checked path, the same expression)
        french = pl.Series(distinct["FLOW"], dtype=pl.String).str.contains("ATION$").cast(pl.Int64)
        row_french = french.gather(codes["FLOW"])
        labels = geo_labels()
        geo = {}
        for column in ("REPORTER", "PARTNER"):
            # a code per (label, language): 2 x label + 1 for French
            pair = codes[column] * 2 + row_french
            mapped: list[tuple[str, str | None, bool] | None] = [None] * (2 * len(distinct[column]))
            for i in pair.unique().to_list():
                hit = labels.get(("fr" if i % 2 else "en", distinct[column][i // 2]))
                if hit is None:
                    return None
                mapped[i] = hit
            geo[column] = (pair, mapped)
        value = frame["VALUE_IN_EUR"].str.strip_chars().replace("", None)
        numbers = value.cast(pl.Float64, strict=False)
        if numbers.null_count() != value.null_count():
            return None
        # the cell keys, each column as dense integer ids of its mapped values
        key_ids = []
        for pair, mapped in geo.values():
            key_ids.append(_dense_ids([m[0] if m else None for m in mapped], pair))
        key_ids.append(_dense_ids(parsed["PRODUCT"], codes["PRODUCT"]))
        key_ids.append(_dense_ids(parsed["FLOW"], codes["FLOW"]))
        key_ids.append(_dense_ids(parsed["STAT_PROCEDURE"], codes["STAT_PROCEDURE"]))
        key_ids.append(_dense_ids([p[1] for p in parsed["PERIOD"]], codes["PERIOD"]))
        if _has_repeats(key_ids, frame.height):
            return None

        def gather(values: list, dtype: pl.DataType, at: pl.Series) -> pl.Series:
            return pl.Series(values, dtype=dtype).gather(at)

        columns = {}
        for column, prefix in (("REPORTER", "reporter"), ("PARTNER", "partner")):
            pair, mapped = geo[column]
            columns[f"{prefix}_label"] = frame[column]
            columns[prefix] = gather([m and m[0] for m in mapped], pl.String, pair)
            columns[f"{prefix}_iso3"] = gather([m and m[1] for m in mapped], pl.String, pair)
            columns[f"{prefix}_is_aggregate"] = gather([m and m[2] for m in mapped], pl.Boolean, pair)
        columns["product"] = gather(parsed["PRODUCT"], pl.String, codes["PRODUCT"])
        columns["flow"] = gather(parsed["FLOW"], pl.String, codes["FLOW"])
        columns["stat_procedure"] = gather(parsed["STAT_PROCEDURE"], pl.String, codes["STAT_PROCEDURE"])
        columns["freq"] = gather([p[0] for p in parsed["PERIOD"]], pl.String, codes["PERIOD"])
        columns["period"] = gather([p[1] for p in parsed["PERIOD"]], pl.String, codes["PERIOD"])
        columns["period_label"] = frame["PERIOD"]
        columns["value_eur"] = numbers
        columns["source_line"] = pl.int_range(2, frame.height + 2, dtype=pl.Int64, eager=True)
        return pl.DataFrame([s.alias(name) for name, s in columns.items()])

    def _parse_web_export_checked(self, frame: pl.DataFrame, where: str, warnings: list[str]) -> ParseResult:
        """Parse with every check row-wide: the first bad row named, verbatim repeats dropped with a warning."""
        frame = frame.with_row_index("source_line", offset=2)
        # The language of a row is the language of its FLOW label (one year of the annual file is French).
        frame = frame.with_columns(
            pl.when(pl.col("FLOW").str.contains("ATION$")).then(pl.lit("fr")).otherwise(pl.lit("en")).alias("lang")
        )
        labels = geo_labels()

        def fail(column: str, value: str | None, what: str, lang: str | None = None):
            match = pl.col(column).is_null() if value is None else pl.col(column) == value
            if lang is not None:
                match = match & (pl.col("lang") == lang)
            line = int(frame.filter(match)["source_line"][0])
            raise SchemaDrift(self.name, f"{where} row {line}", f"{what} {value!r} in {column}", field=column)

        for column in ("REPORTER", "PARTNER"):
            for lang, value in frame.select("lang", column).unique(maintain_order=True).iter_rows():
                if (lang, value) not in labels:
                    fail(column, value, f"unknown {lang} label (not in seeds/{SEED.name})", lang)
        parsed = {}
        for column, func in (
            ("PERIOD", web_period),
            ("FLOW", web_flow),
            ("PRODUCT", lambda v: web_code(v, "TOTAL")),
            ("STAT_PROCEDURE", lambda v: web_code(v, "T")),
        ):
            parsed[column] = {}
            for value in frame[column].unique(maintain_order=True).to_list():
                result = func(value) if value is not None else None
                if result is None:
                    fail(column, value, "unrecognised value")
                parsed[column][value] = result
        value = frame["VALUE_IN_EUR"].str.strip_chars().replace("", None)
        numbers = value.cast(pl.Float64, strict=False)
        bad = numbers.is_null() & value.is_not_null()
        if bad.any():
            fail("VALUE_IN_EUR", frame["VALUE_IN_EUR"][int(bad.arg_true()[0])], "not a number:")

        seed = pl.DataFrame(
            [(lang, label, *v) for (lang, label), v in labels.items()],
            schema={"lang": pl.String, "label": pl.String, "code": pl.String, "iso3": pl.String, "agg": pl.Boolean},
            orient="row",
        )
        for column, prefix in (("REPORTER", "reporter"), ("PARTNER", "partner")):
            frame = frame.join(
                seed.rename(
                    {"label": column, "code": prefix, "iso3": f"{prefix}_iso3", "agg": f"{prefix}_is_aggregate"}
                ),
                on=["lang", column],
                how="left",
                maintain_order="left",
            )
        out = frame.select(
            pl.col("REPORTER").alias("reporter_label"),
            "reporter",
            "reporter_iso3",
            "reporter_is_aggregate",
            pl.col("PARTNER").alias("partner_label"),
            "partner",
            "partner_iso3",
            "partner_is_aggregate",
            pl.col("PRODUCT").replace_strict(parsed["PRODUCT"], return_dtype=pl.String).alias("product"),
            pl.col("FLOW").replace_strict(parsed["FLOW"], return_dtype=pl.String).alias("flow"),
            pl.col("STAT_PROCEDURE")
            .replace_strict(parsed["STAT_PROCEDURE"], return_dtype=pl.String)
            .alias("stat_procedure"),
            pl.col("PERIOD")
            .replace_strict({k: v[0] for k, v in parsed["PERIOD"].items()}, return_dtype=pl.String)
            .alias("freq"),
            pl.col("PERIOD")
            .replace_strict({k: v[1] for k, v in parsed["PERIOD"].items()}, return_dtype=pl.String)
            .alias("period"),
            pl.col("PERIOD").alias("period_label"),
            numbers.alias("value_eur"),
            pl.col("source_line").cast(pl.Int64),
        )
        out, more = self._dedupe(out, where, ["reporter", "partner", "product", "flow", "stat_procedure", "period"])
        return ParseResult(conform(self.name, where, out, self.datasets["web_export"].schema), warnings + more)

    def _dedupe(self, frame: pl.DataFrame, where: str, keys: list[str]) -> tuple[pl.DataFrame, list[str]]:
        """Drop rows repeated verbatim (warned); the same cell with two values fails the file."""
        value_cols = [c for c in frame.columns if c.startswith("value")]
        distinct = frame.unique(subset=[*keys, *value_cols], keep="first", maintain_order=True)
        warnings = []
        if distinct.height < frame.height:
            warnings.append(
                f"[{self.name}] {where}: {frame.height - distinct.height} rows repeated verbatim were loaded once"
            )
        clash = distinct.group_by(keys).len().filter(pl.col("len") > 1)
        if clash.height:
            raise BadResponse(self.name, where, f"one cell has two different values: {clash.row(0, named=True)}")
        return distinct, warnings

    def _check_codes(self, frame: pl.DataFrame, where: str, column: str, ok: pl.Series, what: str) -> None:
        if (~ok).any():
            i = int((~ok).arg_true()[0])
            raise SchemaDrift(self.name, f"{where} row {i + 2}", f"{what}: {frame[column][i]!r}", field=column)

    def _derived(self, partition: Partition, bodies: list[Fetched], rename: dict[str, str]) -> ParseResult:
        (b,) = bodies
        where = b.url
        frame = _read_csv(b.body)
        required = FILE_LAYOUTS[partition.dataset]
        warnings = check_fields(self.name, where, frame.columns, required, required)
        frame = frame.select(required)
        countries = {code for code, _, is_agg in geo_labels().values() if not is_agg}  # member and partner codes
        for column in ("reporter_iso2", "partner_iso2"):
            if column in frame.columns:
                ok = frame[column].is_in(list(countries))
                self._check_codes(frame, where, column, ok, "unknown Comext geo code")
        if "cn8" in frame.columns:
            self._check_codes(frame, where, "cn8", frame["cn8"].str.contains(r"^\d{8}$"), "not an 8-digit CN code")
        if "hs6" in frame.columns:
            self._check_codes(frame, where, "hs6", frame["hs6"].str.contains(r"^\d{6}$"), "not a 6-digit HS code")
        if "cn8" in frame.columns:
            ok = frame["cn8"].str.slice(0, 6) == frame["hs6"]
            self._check_codes(frame, where, "hs6", ok, "is not the first six digits of the CN8 code")
        self._check_codes(frame, where, "month", frame["month"].str.contains(_MONTH.pattern), "not a YYYY-MM month")
        value_col = required[-1]
        numbers = frame[value_col].cast(pl.Float64, strict=False)
        self._check_codes(frame, where, value_col, numbers.is_not_null(), "not a number")
        out = frame.with_columns(numbers.alias(value_col)).rename(rename)
        keys = [c for c in out.columns if not c.startswith("value")]
        out, more = self._dedupe(out, where, keys)
        return ParseResult(conform(self.name, where, out, self.datasets[partition.dataset].schema), warnings + more)

    def _parse_cn8(self, partition: Partition, bodies: list[Fetched]) -> ParseResult:
        return self._derived(partition, bodies, {})

    def _parse_hs6(self, partition: Partition, bodies: list[Fetched]) -> ParseResult:
        return self._derived(partition, bodies, {"value_eur_sum_eu_reporters": "value_eur_sum"})

    def _parse_total(self, partition: Partition, bodies: list[Fetched]) -> ParseResult:
        return self._derived(partition, bodies, {"value_eur_sanctioned_cn8_total": "value_eur"})


@functools.lru_cache(maxsize=1)
def iso3_to_comext() -> dict[str, str]:
    """ISO3 -> Comext geo code: seeds/countries.csv iso2 (GR, GB as in Comext), Serbia XS."""
    frame = pl.read_csv(PROJECT_DIR / "seeds" / "countries.csv", infer_schema=False)
    mapping = {r["iso3"]: r["iso2"] for r in frame.iter_rows(named=True) if r["iso2"]}
    mapping.update(ISO3_TO_COMEXT)
    return mapping
