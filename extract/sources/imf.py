"""IMF International Merchandise Trade Statistics (IMTS, SDMX 3.0): goods exports and imports by counterpart.

The mirror source where UN Comtrade is thin. Series key `{COUNTRY}.{INDICATOR}.{COUNTERPART}.{FREQ}` with ISO3
country codes; indicators `XG_FOB_USD` (exports, FOB) and `MG_CIF_USD` (imports, CIF); counterpart `G001` is the
world and `G998` another IMF group; several counterparts are joined with `+`.

    data:          https://api.imf.org/external/sdmx/3.0/data/dataflow/IMF.STA/IMTS/+/{key}
                       ?c[TIME_PERIOD]=ge:{start}+le:{end}&dimensionAtObservation=TIME_PERIOD&detail=full
                       &includeHistory=false                       -> SDMX-ML 3.0 StructureSpecificData
    availability:  https://api.imf.org/external/sdmx/3.0/availability/dataflow/IMF.STA/IMTS/%2B/{COUNTRY}.*.*.*/INDICATOR
                                                                   -> SDMX-JSON 2.0 data constraint

Units: every series carries `SCALE="6"`, but `OBS_VALUE` is already in whole US dollars (USA exports to the
world 2023: OBS_VALUE 2019551635133, the retired DOTS API gave 2019551.635133 million). The value is loaded
as given, never multiplied; `scale` is kept as a string column for the record only.

Change stamp: one availability request per country (component INDICATOR over `{COUNTRY}.*.*.*`). Its
`sdmx_metrics` annotations (series_count, time_period_start, time_period_end) move when the IMF adds series or
periods for that country; `meta.prepared` changes on every answer and is not used. The requested time window
is appended to the stamp, so changing the window refetches (and replaces) the partition.

Settings (`[sources.imf]`): `countries` (ISO3), `indicators`, `counterparts` (IMF codes: ISO3 or G001...),
`freq` (A, Q or M), and either `start_period`/`end_period` (dates as sent, e.g. "2023-01-01") or
`years = [first, last]`.
"""

from __future__ import annotations

import datetime as dt
import logging
import xml.etree.ElementTree as ET
from typing import Annotated, Literal

import polars as pl
from pydantic import BeforeValidator, Field, StringConstraints, model_validator

from extract.errors import BadResponse, SchemaDrift
from extract.http import check_body
from extract.sources.base import (
    Context,
    Dataset,
    Fetched,
    Iso3,
    ParseResult,
    Partition,
    Source,
    SourceSettings,
    Years,
    conform,
)

log = logging.getLogger(__name__)

API = "https://api.imf.org/external/sdmx/3.0"
AGENCY = "IMF.STA"  # plain "IMF" answers an empty 204
FLOW = "IMTS"
INDICATORS = {"XG_FOB_USD": "export", "MG_CIF_USD": "import"}
FREQS = {"A", "Q", "M"}

SERIES_DIMENSIONS = {
    "COUNTRY": "country_code",
    "INDICATOR": "indicator",
    "COUNTERPART_COUNTRY": "counterpart_code",
    "FREQUENCY": "freq",
}
SERIES_ATTRIBUTES = {"SCALE": "scale", "OVERLAP": "overlap"}
GROUP_ATTRIBUTES = {"UNIT": "unit", "TRADE_FLOW": "trade_flow", "VALUATION": "valuation"}
OBS_FIELDS = {"TIME_PERIOD": "time_period", "OBS_VALUE": "obs_value"}
OBS_ATTRIBUTES = {"DERIVATION_TYPE": "derivation_type", "OBS_STATUS": "obs_status"}
AVAILABILITY_METRICS = ("series_count", "time_period_start", "time_period_end")

IMTS_SCHEMA: dict[str, pl.DataType] = {
    "country_code": pl.String,
    "indicator": pl.String,
    "counterpart_code": pl.String,
    "freq": pl.String,
    "time_period": pl.String,
    "obs_value": pl.Float64,
    "unit": pl.String,
    "scale": pl.String,
    "trade_flow": pl.String,
    "valuation": pl.String,
    "overlap": pl.String,
    "derivation_type": pl.String,
    "obs_status": pl.String,
}


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def plain_attrs(element: ET.Element) -> dict[str, str]:
    """Attributes without a namespace (the SDMX components); `ns1:type` and friends are left out."""
    return {k: v for k, v in element.attrib.items() if not k.startswith("{")}


def comp_values(element: ET.Element) -> dict[str, str]:
    """SDMX-ML 3.0 attributes written as `<Comp id="UNIT"><Value>USD</Value></Comp>` children."""
    out = {}
    for child in element:
        if local(child.tag) == "Comp" and child.get("id"):
            values = [v.text or "" for v in child if local(v.tag) == "Value"]
            out[child.get("id")] = ";".join(values)
    return out


def parse_number(source: str, where: str, text: str | None) -> float | None:
    if text is None or text.strip() in ("", "NaN", "NA"):
        return None
    try:
        return float(text)
    except ValueError:
        raise SchemaDrift(source, where, f"OBS_VALUE {text!r} is not a number", field="OBS_VALUE") from None


def parse_structure_specific(source: str, where: str, body: bytes) -> tuple[list[dict], list[str]]:
    """Rows (one per observation) and warnings from an SDMX-ML 3.0 StructureSpecificData message."""
    head = body.lstrip()[:100].lower()
    if head.startswith(b"<!doctype html") or head.startswith(b"<html"):
        raise BadResponse(source, where, "got an HTML page where SDMX-ML was expected")
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise BadResponse(source, where, f"invalid or truncated XML ({exc}; {len(body)} bytes)") from None
    if local(root.tag) != "StructureSpecificData":
        if local(root.tag) == "Error":
            text = " ".join(t.strip() for t in root.itertext() if t.strip())
            raise BadResponse(source, where, f"SDMX error message: {text[:300]}")
        raise BadResponse(source, where, f"root element {local(root.tag)!r} is not StructureSpecificData")
    datasets = [el for el in root if local(el.tag) == "DataSet"]
    if not datasets:
        raise SchemaDrift(source, where, "no DataSet element in the message", field="DataSet")
    rows: list[dict] = []
    unknown: set[str] = set()
    known_series = set(SERIES_DIMENSIONS) | set(SERIES_ATTRIBUTES)
    known_obs = set(OBS_FIELDS) | set(OBS_ATTRIBUTES)
    for dataset in datasets:
        groups = []
        for el in dataset:
            if local(el.tag) == "Group":
                key = plain_attrs(el)
                attrs = comp_values(el)
                unknown |= {f"Group/{k}" for k in attrs if k not in GROUP_ATTRIBUTES}
                groups.append((key, attrs))
        series_number = 0
        for el in dataset:
            if local(el.tag) != "Series":
                continue
            series_number += 1
            dims = plain_attrs(el)
            for field in SERIES_DIMENSIONS:
                if field not in dims:
                    raise SchemaDrift(
                        source, where, f"series {series_number}: required field {field!r} is missing", field=field
                    )
            unknown |= {f"Series/{k}" for k in dims if k not in known_series}
            series_attrs = {}
            for key, attrs in groups:  # group attributes apply to the series whose dimensions match
                if all(dims.get(k) == v for k, v in key.items()):
                    series_attrs.update(attrs)
            series_attrs.update(comp_values(el))
            base = {col: dims[f] for f, col in SERIES_DIMENSIONS.items()}
            base.update({col: dims.get(f) for f, col in SERIES_ATTRIBUTES.items()})
            base.update({col: series_attrs.get(f) for f, col in GROUP_ATTRIBUTES.items()})
            for obs_number, obs in enumerate((o for o in el if local(o.tag) == "Obs"), start=1):
                attrs = plain_attrs(obs)
                at = (
                    f"series {series_number} ({'.'.join(base[c] for c in SERIES_DIMENSIONS.values())}) obs {obs_number}"
                )
                if "TIME_PERIOD" not in attrs:
                    raise SchemaDrift(
                        source, where, f"{at}: required field 'TIME_PERIOD' is missing", field="TIME_PERIOD"
                    )
                unknown |= {f"Obs/{k}" for k in attrs if k not in known_obs}
                row = dict(base)
                row["time_period"] = attrs["TIME_PERIOD"]
                # Whole US dollars as published: SCALE="6" is metadata, the value is not in millions.
                row["obs_value"] = parse_number(source, f"{where} {at}", attrs.get("OBS_VALUE"))
                row.update({col: attrs.get(f) for f, col in OBS_ATTRIBUTES.items()})
                rows.append(row)
    warnings = [
        f"[{source}] {where}: unknown field {f!r} kept in the landing file, not loaded" for f in sorted(unknown)
    ]
    return rows, warnings


def availability_stamp(source: str, where: str, payload) -> tuple[str, list[str]]:
    """The change stamp and the available values of the queried component, from an SDMX-JSON 2.0 constraint."""
    try:
        constraint = payload["data"]["dataConstraints"][0]
    except (KeyError, IndexError, TypeError):
        raise SchemaDrift(
            source, where, "no data.dataConstraints in the availability answer", field="dataConstraints"
        ) from None
    metrics = {a.get("id"): a.get("title") for a in constraint.get("annotations", []) if isinstance(a, dict)}
    missing = [m for m in AVAILABILITY_METRICS if m not in metrics]
    if missing:
        raise SchemaDrift(source, where, f"availability annotation {missing[0]!r} is missing", field=missing[0])
    values: list[str] = []
    for region in constraint.get("cubeRegions", []):
        for component in region.get("components", []):
            values += [v.get("value") for v in component.get("values", []) if isinstance(v, dict)]
    parts = [f"{m}={metrics[m]}" for m in AVAILABILITY_METRICS]
    for key in ("validFrom", "validTo"):
        if constraint.get(key):
            parts.append(f"{key}={constraint[key]}")
    return ";".join(parts), values


def _as_text(value):
    """A TOML date (start_period = 2023-01-01) is taken as its ISO text."""
    return value.isoformat() if isinstance(value, dt.date) else value


class ImfSettings(SourceSettings):
    """[sources.imf]"""

    countries: list[Iso3] = Field(min_length=1, description="Reporters, ISO3 (IMF uses ISO3 for countries).")
    indicators: list[Literal[tuple(INDICATORS)]] = Field(
        list(INDICATORS), min_length=1, description="XG_FOB_USD (exports FOB) and/or MG_CIF_USD (imports CIF)."
    )
    counterparts: list[Annotated[str, StringConstraints(pattern=r"^([A-Za-z0-9]+|\*)$")]] = Field(
        ["G001"],
        min_length=1,
        description='IMF counterpart area codes: ISO3 or groups (G001 = world); "*" alone: every counterpart.',
    )
    freq: Literal[tuple(sorted(FREQS))] = Field("A", description="A, Q or M.")
    start_period: Annotated[str, BeforeValidator(_as_text)] | None = Field(
        None, description="First day asked (YYYY-MM-DD), with end_period; or use years."
    )
    end_period: Annotated[str, BeforeValidator(_as_text)] | None = Field(
        None, description="Last day asked (YYYY-MM-DD), with start_period."
    )
    years: Years | None = Field(None, description="[first, last] year, when start_period/end_period are not set.")

    @model_validator(mode="after")
    def _window(self):
        if "*" in self.counterparts and len(self.counterparts) > 1:
            raise ValueError('counterparts: "*" (every counterpart) goes alone')
        if self.start_period is not None or self.end_period is not None:
            if not self.start_period or not self.end_period:
                raise ValueError("start_period and end_period go together")
        elif not self.years:
            raise ValueError("set years = [first, last] or start_period/end_period")
        return self

    @property
    def window(self) -> tuple[str, str]:
        if self.start_period:
            return self.start_period, self.end_period
        return f"{self.years[0]}-01-01", f"{self.years[1]}-12-31"


class Imf(Source):
    name = "imf"
    datasets = {
        # IMF IMTS goods trade by counterpart; obs_value in whole USD (SCALE kept as metadata, not applied)
        "imts": Dataset("imts", IMTS_SCHEMA)
    }
    Settings = ImfSettings

    # ------------------------------------------------------------------ URLs

    @staticmethod
    def availability_url(country: str) -> str:
        return f"{API}/availability/dataflow/{AGENCY}/{FLOW}/%2B/{country}.*.*.*/INDICATOR"

    @staticmethod
    def data_url(key: str, start: str, end: str) -> str:
        return (
            f"{API}/data/dataflow/{AGENCY}/{FLOW}/+/{key}"
            f"?c%5BTIME_PERIOD%5D=ge:{start}+le:{end}&dimensionAtObservation=TIME_PERIOD&detail=full"
            "&includeHistory=false"
        )

    # ------------------------------------------------------------------ the three steps

    def plan(self, ctx: Context) -> list[Partition]:
        s = self.settings
        start, end = s.window
        window = f"{start}..{end}"
        partitions = []
        for country in s.countries:
            resp = ctx.client.get(self.name, self.availability_url(country), expect="json")
            stamp, available = availability_stamp(self.name, resp.url, resp.json())
            for indicator in s.indicators:
                if indicator not in available:
                    log.warning(
                        "[imf] %s: indicator %s is not available for %s; not planned", resp.url, indicator, country
                    )
                    continue
                counterparts = "+".join(s.counterparts)
                key = f"country={country}/indicator={indicator}/counterpart={counterparts}/freq={s.freq}"
                partitions.append(
                    Partition(
                        self.name,
                        "imts",
                        key,
                        {
                            "key": f"{country}.{indicator}.{counterparts}.{s.freq}",
                            "start": start,
                            "end": end,
                        },
                        source_updated_at=f"{stamp};window={window}",
                    )
                )
        return partitions

    def fetch(self, ctx: Context, partition: Partition) -> list[Fetched]:
        p = partition.params
        resp = ctx.client.get(self.name, self.data_url(p["key"], p["start"], p["end"]), expect=None)
        if resp.status == 204:  # SDMX: the query is valid but no data match it
            return [Fetched(b"", "xml", resp.url)]
        if not resp.body.strip():
            raise BadResponse(self.name, resp.url, f"empty body with HTTP {resp.status}")
        check_body(resp, "xml")
        return [Fetched(resp.body, "xml", resp.url)]

    def parse(self, partition: Partition, bodies: list[Fetched]) -> ParseResult:
        rows: list[dict] = []
        warnings: list[str] = []
        for b in bodies:
            if b.body == b"":
                warnings.append(f"[{self.name}] {b.url}: no data (HTTP 204)")
                continue
            got, w = parse_structure_specific(self.name, b.url, b.body)
            rows += got
            warnings += w
        frame = pl.DataFrame(rows, schema={c: (pl.Float64 if c == "obs_value" else pl.String) for c in IMTS_SCHEMA})
        where = bodies[0].url if bodies else partition.key
        return ParseResult(conform(self.name, where, frame, IMTS_SCHEMA), warnings)
