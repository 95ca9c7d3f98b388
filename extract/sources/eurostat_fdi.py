"""Eurostat: EU direct investment positions and flows by counterpart (bop_fdi6_pos, bop_fdi6_flow).

`GET https://ec.europa.eu/eurostat/api/dissemination/statistics/1.0/data/{dataset}?format=JSON&lang=EN
&freq=A&currency=MIO_EUR&stk_flow=..&nace_r2=..&entity=..&fdi_item=..&partner=KZ&partner=UZ&geo=EU27_2020
&sinceTimePeriod=..&untilTimePeriod=..` answers JSON-stat 2.0: `id` (dimension ids in order), `size`,
`dimension.{d}.category.index` (+ `.label`), `value` keyed by the flat row-major index over the
dimension sizes (a sparse object or a dense array), `status` keyed the same way (`c` confidential,
`p` provisional, `e` estimated, `:` not available, ...), `updated` (the change stamp).

`decode_jsonstat(doc)` is a general JSON-stat 2.0 decoder: one row per cell present (a value, or a
status without a value), every dimension's code as a column, `value` (Float64, null when missing)
and `status` kept as a column.

Change stamp: `updated`, asked with the same filters and `lastTimePeriod=1` (the metadata request;
Eurostat has no metadata-only answer). One partition per dataset and reporting `geo`.

Queries must stay small: Eurostat answers more than ~500k cells asynchronously and refuses more
than ~5M cells (413); an answer without `id`/`size`/`value` fails the partition with what it said.

Raw tables: `raw.eurostat_fdi__positions` (bop_fdi6_pos), `raw.eurostat_fdi__flows` (bop_fdi6_flow).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any, Literal

import polars as pl
from pydantic import Field

from extract.errors import BadResponse, SchemaDrift
from extract.http import parse_json
from extract.sources.base import (
    Context,
    Dataset,
    Fetched,
    ParseResult,
    Partition,
    Source,
    SourceSettings,
    UrlCode,
    Years,
    _listed,
    conform,
)

API = "https://ec.europa.eu/eurostat/api/dissemination/statistics/1.0/data"
DATASETS = {"bop_fdi6_pos": "positions", "bop_fdi6_flow": "flows"}
# The dimensions of bop_fdi6_pos / bop_fdi6_flow, loaded as columns of their own; any other
# dimension Eurostat adds is kept in `extra_dims` (JSON) so nothing is dropped.
DIMENSIONS = ("freq", "currency", "stk_flow", "nace_r2", "entity", "fdi_item", "partner", "geo", "time")
FILTER_KEYS = ("freq", "currency", "stk_flow", "nace_r2", "entity", "fdi_item")

SCHEMA: dict[str, pl.DataType] = {
    "dataset_code": pl.String,  # bop_fdi6_pos | bop_fdi6_flow
    "freq": pl.String,
    "currency": pl.String,  # MIO_EUR
    "stk_flow": pl.String,  # e.g. NO (net outward), NI (net inward), ASS, LIAB
    "nace_r2": pl.String,  # FDI = total FDI activities
    "entity": pl.String,  # TOTAL, SPE, NSP
    "fdi_item": pl.String,  # e.g. DI__D__F
    "partner": pl.String,  # counterpart, Eurostat codes (ISO2 mostly, EL for Greece, EU27_2020, ...)
    "partner_label": pl.String,
    "geo": pl.String,  # reporting economy, e.g. EU27_2020
    "time_period": pl.String,  # the `time` dimension: 2021 (annual)
    "year": pl.Int32,
    "value": pl.Float64,  # null when missing (status says why)
    "status": pl.String,  # c confidential, p provisional, e estimated, : not available, ...
    "extra_dims": pl.String,  # JSON {dimension: code} of dimensions not listed above; null when none
    "dataset_updated": pl.String,  # the response's `updated`
}


# --------------------------------------------------------------------------- JSON-stat 2.0


def _categories(source: str, where: str, doc: dict, dim: str, size: int) -> list[str]:
    """Position -> category code of one dimension."""
    node = doc.get("dimension", {}).get(dim)
    if not isinstance(node, dict) or not isinstance(node.get("category"), dict):
        raise SchemaDrift(source, where, f"dimension {dim!r} has no category", field=f"dimension.{dim}")
    cat = node["category"]
    index = cat.get("index")
    if index is None:  # allowed for a single-category dimension: the label's key is the code
        labels = cat.get("label") or {}
        index = {code: i for i, code in enumerate(labels)}
    if isinstance(index, list):
        codes = [str(c) for c in index]
    elif isinstance(index, dict):
        codes = [None] * len(index)
        for code, pos in index.items():
            if not isinstance(pos, int) or not 0 <= pos < len(index) or codes[pos] is not None:
                raise SchemaDrift(
                    source, where, f"dimension {dim!r}: bad index {pos!r} for {code!r}", field=f"dimension.{dim}"
                )
            codes[pos] = str(code)
    else:
        raise SchemaDrift(source, where, f"dimension {dim!r}: category.index is not an object or a list")
    if len(codes) != size:
        raise SchemaDrift(
            source, where, f"dimension {dim!r} has {len(codes)} categories but size says {size}", field="size"
        )
    return codes


def _cells(source: str, where: str, node: Any, n: int, name: str) -> dict[int, Any]:
    """A sparse object or dense array of cells, as {flat index: cell}, null cells dropped."""
    if node is None:
        return {}
    if isinstance(node, list):
        if len(node) != n:
            raise BadResponse(source, where, f"{name} array has {len(node)} cells but size implies {n} (truncated?)")
        return {i: v for i, v in enumerate(node) if v is not None}
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            try:
                i = int(k)
            except ValueError:
                raise SchemaDrift(source, where, f"{name} key {k!r} is not a cell index", field=name) from None
            if not 0 <= i < n:
                raise SchemaDrift(source, where, f"{name} key {i} is outside the cube of {n} cells", field=name)
            if v is not None:
                out[i] = v
        return out
    raise SchemaDrift(source, where, f"{name} is neither an object nor an array", field=name)


def iter_jsonstat(doc: Any, *, source: str = "jsonstat", where: str = "") -> Iterator[dict[str, Any]]:
    """One dict per cell present: {dimension id: code, ..., "value": float | None, "status": str | None}.

    A cell is present when it has a value or a status. Row-major: the last dimension varies fastest.
    """
    if not isinstance(doc, dict):
        raise SchemaDrift(source, where, "JSON-stat dataset is not an object")
    for key in ("id", "size", "dimension"):
        if key not in doc:
            raise SchemaDrift(source, where, f"required field {key!r} is missing", field=key)
    if "value" not in doc:
        raise SchemaDrift(source, where, "required field 'value' is missing", field="value")
    ids, sizes = doc["id"], doc["size"]
    if not isinstance(ids, list) or not isinstance(sizes, list) or len(ids) != len(sizes):
        raise SchemaDrift(source, where, f"id {ids!r} and size {sizes!r} do not match", field="size")
    if not all(isinstance(s, int) and s >= 0 for s in sizes):
        raise SchemaDrift(source, where, f"size {sizes!r} is not a list of counts", field="size")
    codes = [_categories(source, where, doc, d, s) for d, s in zip(ids, sizes, strict=True)]
    n = math.prod(sizes)
    values = _cells(source, where, doc["value"], n, "value")
    raw_status = doc.get("status")
    if isinstance(raw_status, str):  # one status for every value
        statuses = {i: raw_status for i in values}
    else:
        statuses = _cells(source, where, raw_status, n, "status")
    strides = [math.prod(sizes[i + 1 :]) for i in range(len(sizes))]
    for flat in sorted(values.keys() | statuses.keys()):
        v = values.get(flat)
        if v is not None and (isinstance(v, bool) or not isinstance(v, int | float)):
            raise SchemaDrift(source, where, f"value of cell {flat} is {v!r}, not a number", field=f"value[{flat}]")
        s = statuses.get(flat)
        if s is not None and not isinstance(s, str):
            raise SchemaDrift(source, where, f"status of cell {flat} is {s!r}, not a string", field=f"status[{flat}]")
        row: dict[str, Any] = {d: codes[k][(flat // strides[k]) % sizes[k]] for k, d in enumerate(ids)}
        row["value"] = None if v is None else float(v)
        row["status"] = s
        yield row


def decode_jsonstat(doc: Any, *, source: str = "jsonstat", where: str = "") -> pl.DataFrame:
    """The cells of a JSON-stat 2.0 dataset as a frame: one String column per dimension (in `id`
    order), `value` Float64 (null when missing), `status` String."""
    schema: dict[str, pl.DataType] = {}
    if isinstance(doc, dict) and isinstance(doc.get("id"), list):
        schema = {str(d): pl.String for d in doc["id"]}
    schema |= {"value": pl.Float64, "status": pl.String}
    rows = list(iter_jsonstat(doc, source=source, where=where))
    return pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)


def jsonstat_labels(doc: dict, dim: str) -> dict[str, str]:
    node = doc.get("dimension", {}).get(dim, {})
    labels = node.get("category", {}).get("label") if isinstance(node, dict) else None
    return {str(k): str(v) for k, v in (labels or {}).items()}


def check_error(source: str, where: str, doc: Any) -> None:
    """Eurostat reports errors as {"error": {"status", "id", "label"}} (sometimes with HTTP 200)."""
    if isinstance(doc, dict) and "error" in doc and "value" not in doc:
        err = doc["error"]
        if isinstance(err, list):
            err = err[0] if err else {}
        text = err.get("label", err) if isinstance(err, dict) else err
        raise BadResponse(source, where, f"Eurostat error: {text}")


# --------------------------------------------------------------------------- the source


class EurostatFdiSettings(SourceSettings):
    """[sources.eurostat_fdi]"""

    datasets: list[Literal[tuple(DATASETS)]] = Field(
        list(DATASETS), min_length=1, description="bop_fdi6_pos (positions) and/or bop_fdi6_flow (flows)."
    )
    eurostat_geo: list[UrlCode] = Field(
        ["EU27_2020"], min_length=1, description="Reporting economies, Eurostat geo codes (one partition each)."
    )
    eurostat_partners: list[UrlCode] = Field(min_length=1, description="Counterparts, Eurostat codes (KZ, UZ...).")
    years: Years | None = Field(None, description="[first, last] year asked (omitted: every year).")
    filters: dict[Literal[FILTER_KEYS], str | list[str]] = Field(
        {}, description=f"Dimension filters sent as they are: {', '.join(FILTER_KEYS)}."
    )


class EurostatFdi(Source):
    name = "eurostat_fdi"
    Settings = EurostatFdiSettings
    datasets = {
        "positions": Dataset("positions", SCHEMA),  # bop_fdi6_pos: FDI positions by counterpart (JSON-stat)
        "flows": Dataset("flows", SCHEMA),  # bop_fdi6_flow: FDI flows by counterpart (JSON-stat)
    }

    def _query(self) -> tuple[list[str], list[str], list[tuple[str, str]]]:
        s = self.settings
        filters = [(key, str(v)) for key, value in s.filters.items() for v in _listed(value)]
        filters += [("partner", p) for p in s.eurostat_partners]
        return list(s.datasets), list(s.eurostat_geo), filters

    def _time(self) -> list[tuple[str, str]]:
        years = self.settings.years
        return [("sinceTimePeriod", str(years[0])), ("untilTimePeriod", str(years[1]))] if years else []

    @staticmethod
    def _params(filters: list[tuple[str, str]], geo: str, extra: list[tuple[str, str]]) -> list[tuple[str, str]]:
        return [("format", "JSON"), ("lang", "EN"), *filters, ("geo", geo), *extra]

    def plan(self, ctx: Context) -> list[Partition]:
        codes, geos, filters = self._query()
        partitions = []
        for code in codes:
            for geo in geos:
                url = f"{API}/{code}"
                resp = ctx.client.get(
                    self.name, url, params=self._params(filters, geo, [("lastTimePeriod", "1")]), expect="json"
                )
                doc = resp.json()
                check_error(self.name, resp.url, doc)
                if not isinstance(doc, dict) or not doc.get("updated"):
                    raise SchemaDrift(self.name, resp.url, "required field 'updated' is missing", field="updated")
                partitions.append(
                    Partition(
                        self.name,
                        DATASETS[code],
                        f"dataset={code}/geo={geo}",
                        params={"code": code, "geo": geo, "filters": filters, "time": self._time()},
                        source_updated_at=str(doc["updated"]),
                    )
                )
        return partitions

    def fetch(self, ctx: Context, partition: Partition) -> list[Fetched]:
        p = partition.params
        url = f"{API}/{p['code']}"
        resp = ctx.client.get(self.name, url, params=self._params(p["filters"], p["geo"], p["time"]), expect="json")
        check_error(self.name, resp.url, resp.json())
        return [Fetched(resp.body, "json", resp.url)]

    def parse(self, partition: Partition, bodies: list[Fetched]) -> ParseResult:
        where = bodies[0].url
        doc = parse_json(self.name, where, bodies[0].body)
        check_error(self.name, where, doc)
        return parse_fdi_jsonstat(self.name, where, doc, partition.params["code"])


def parse_fdi_jsonstat(source: str, where: str, doc: Any, code: str) -> ParseResult:
    rows = list(iter_jsonstat(doc, source=source, where=where))
    ids = [str(d) for d in doc["id"]]
    missing = [d for d in ("partner", "geo", "time") if d not in ids]
    if missing:
        raise SchemaDrift(source, where, f"dimension {missing[0]!r} is missing from id {ids}", field=missing[0])
    extra = [d for d in ids if d not in DIMENSIONS]
    warnings = [f"[{source}] {where}: dimension {d!r} is not a column; kept in extra_dims" for d in extra]
    labels = jsonstat_labels(doc, "partner")
    updated = doc.get("updated")
    records = []
    for row in rows:
        t = row["time"]
        records.append(
            {
                "dataset_code": code,
                **{d: row.get(d) for d in DIMENSIONS if d != "time"},
                "partner_label": labels.get(row["partner"]),
                "time_period": t,
                "year": int(t[:4]) if t[:4].isdigit() else None,
                "value": row["value"],
                "status": row["status"],
                "extra_dims": json.dumps({d: row[d] for d in extra}, sort_keys=True) if extra else None,
                "dataset_updated": None if updated is None else str(updated),
            }
        )
    frame = pl.DataFrame(records, schema=SCHEMA, orient="row") if records else pl.DataFrame(schema=SCHEMA)
    return ParseResult(conform(source, where, frame, SCHEMA), warnings)
