"""The Comext SDMX 2.1 API: queries split to fit Eurostat's size limits, the change stamp, the SDMX-CSV rows.

`GET {BASE}/data/DS-045409/{freq}.{reporter}.{partner}.{product}.{flow}.{indicators}
?format=SDMX-CSV&startPeriod=..&endPeriod=..` answers SDMX-CSV with the header
`DATAFLOW,LAST UPDATE,freq,reporter,partner,product,flow,indicators,TIME_PERIOD,OBS_VALUE`.
Comext refuses extractions over 5M cells with HTTP 413 `EXTRACTION_TOO_BIG` and answers 500k-5M cells
asynchronously, so every query is split *before* asking until its estimated size (reporters x partners x
products x flows x indicators x periods) is at most `max_cells` (default 500,000: synchronous answers
only). A 413 that still comes back is not retried (the client never retries 4xx) but split in halves.
Change stamp: the dataflow's `UPDATE_DATA` annotation (`{BASE}/dataflow/ESTAT/DS-045409/1.0`), else that
response's `Last-Modified` header; one metadata request per run.
"""

from __future__ import annotations

import hashlib
import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, replace
from urllib.parse import urlencode

import polars as pl

from extract.errors import BadResponse, SchemaDrift
from extract.readers.sdmx_csv import read_sdmx_csv
from extract.sources.base import Fetched, ParseResult, conform

BASE = "https://ec.europa.eu/eurostat/api/comext/dissemination/sdmx/2.1"
DATAFLOW = "DS-045409"
METADATA_URL = f"{BASE}/dataflow/ESTAT/{DATAFLOW}/1.0"  # the public address (`base_url` may replace BASE)
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

# raw.eurostat_comext__sdmx: DS-045409 through the SDMX 2.1 API, indicators pivoted to columns; Comext geo codes
SCHEMA: dict[str, pl.DataType] = {
    "freq": pl.String,
    "reporter": pl.String,
    "partner": pl.String,
    "product": pl.String,
    "flow": pl.String,
    "period": pl.String,
    "value_eur": pl.Float64,
    "quantity_100kg": pl.Float64,
    "source_last_update": pl.String,
}
_KEYS = ["freq", "reporter", "partner", "product", "flow", "period"]


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

    def url(self, base: str = BASE) -> str:
        params = {"format": "SDMX-CSV", "startPeriod": self.periods[0], "endPeriod": self.periods[-1]}
        return f"{base}/data/{DATAFLOW}/{self.key()}?{urlencode(params)}"

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


def codes_for_key(codes: tuple[str, ...]) -> str:
    """A code list as it appears in a partition key: itself when short, else its count and a hash."""
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


def _first_line(mask: pl.Series) -> int:
    """The body line (header = line 1) of the first row where `mask` holds."""
    return int(mask.arg_true()[0]) + 2


def parse_sdmx(source: str, query: Query, bodies: list[Fetched]) -> ParseResult:
    """The answers to the parts of one query as rows, one per cell, the indicators as columns."""
    frames, warnings = [], []
    for b in bodies:
        frame, more = read_sdmx_csv(source, b.url, b.body, SDMX_COLUMNS, SDMX_COLUMNS)
        warnings += more
        frame = frame.select(SDMX_COLUMNS)
        bad = ~frame["indicators"].is_in(list(INDICATORS))
        if bad.any():
            line = _first_line(bad)
            raise SchemaDrift(
                source,
                f"{b.url} row {line}",
                f"unknown indicator {frame['indicators'][line - 2]!r}",
                field="indicators",
            )
        stray = ~frame["reporter"].is_in(list(query.reporters))
        if stray.any():
            line = _first_line(stray)
            raise BadResponse(
                source, f"{b.url} row {line}", f"reporter {frame['reporter'][line - 2]!r} was not asked for"
            )
        frames.append(frame)
    rows = pl.concat(frames) if frames else pl.DataFrame(schema={c: pl.String for c in SDMX_COLUMNS})
    periods = {v: sdmx_period(v) for v in rows["TIME_PERIOD"].unique().to_list()}
    for value, parsed in periods.items():
        if parsed is None:
            raise SchemaDrift(source, bodies[0].url, f"TIME_PERIOD {value!r} is no period", field="TIME_PERIOD")
    obs = rows["OBS_VALUE"].str.strip_chars().replace("", None)
    values = obs.cast(pl.Float64, strict=False)
    bad = values.is_null() & obs.is_not_null()
    if bad.any():
        i = int(bad.arg_true()[0])
        raise SchemaDrift(
            source, bodies[0].url, f"OBS_VALUE {rows['OBS_VALUE'][i]!r} is not a number", field="OBS_VALUE"
        )
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
    dups = long.group_by([*_KEYS, "indicators"]).len().filter(pl.col("len") > 1)
    if dups.height:
        raise BadResponse(source, bodies[0].url, f"the same cell came back twice: {dups.row(0, named=True)}")
    wide = long.group_by(_KEYS, maintain_order=True).agg(
        *(pl.col("value").filter(pl.col("indicators") == ind).first().alias(col) for ind, col in INDICATORS.items()),
        pl.col("source_last_update").max(),
    )
    return ParseResult(conform(source, bodies[0].url, wide.sort(_KEYS), SCHEMA), sorted(set(warnings)))
