"""What a refresh will cost, before any quota is spent: `tradeflow plan [--offline] [--json]`.

For each enabled source: the partitions, the requests (data and change metadata), the estimated rows
and (Eurostat) cells, and for a source with a daily call limit the nights a first backfill needs.

`--offline` uses no network at all: every figure comes from the configuration and the sources' own
planning code run on known dimensions (Comtrade's call grouping `Comtrade._group` with no getDA
totals, so its row estimates are upper bounds: every partner x code x flow reported; Comext's
`split_to_fit` on the configured query). Without `--offline` the sources' own `plan` is run (their
change-metadata requests only, no data request), so Comtrade's calls are grouped with getDA's
`totalRecords` and periods not released yet are left out.

Limits used (docs/operations.md): UN Comtrade free key 500 calls a day, 100,000 rows a call (keyless
preview: 500 rows a call); Eurostat Comext refuses more than 5,000,000 cells (HTTP 413) and answers
asynchronously above about 500,000 (the source splits every query to at most `max_cells`, default
500,000, before asking).
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

COMTRADE_FREE_CALLS_PER_DAY = 500
EUROSTAT_REFUSED_ABOVE_CELLS = 5_000_000
EUROSTAT_ASYNC_ABOVE_CELLS = 500_000


@dataclass
class SourcePlan:
    source: str
    partitions: int = 0
    requests: int = 0  # data requests (the expected number; a capped Comtrade answer is split again)
    metadata_requests: int = 0  # change-metadata requests, made on every run
    rows: int | None = None  # estimated rows (an upper bound offline)
    cells: int | None = None  # Eurostat's size measure, summed over the queries
    calls_per_night: int | None = None  # the daily budget (or the source's daily limit)
    nights: int | None = None  # nights a first backfill needs at that budget
    files: int = 0  # file-drop partitions (no request)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def setting(settings: Any, key: str, default: Any = None) -> Any:
    """A source setting from a plain dict or a typed settings model."""
    value = settings.get(key, default) if isinstance(settings, dict) else getattr(settings, key, default)
    return default if value is None else value


def nights_needed(data_calls: int, metadata_calls: int, per_night: int | None) -> int | None:
    """Nights to make `data_calls` when each night also repeats its `metadata_calls` first."""
    if per_night is None:
        return None
    usable = per_night - metadata_calls
    if usable <= 0:
        return None  # the budget does not even cover the change metadata
    return max(1, math.ceil(data_calls / usable)) if data_calls else 1


# --------------------------------------------------------------------------- per source, offline


def _comtrade(settings: Any, plan: SourcePlan) -> None:
    from extract.errors import SourceError
    from extract.sources.comtrade import ENDPOINTS, KEY_ENV, MAX_PERIODS_PER_CALL, Call, Comtrade, period_codes

    source = Comtrade(settings)
    endpoint = setting(settings, "endpoint", "auto")
    if endpoint == "auto":
        endpoint = "data" if os.environ.get(KEY_ENV) else "preview"
        plan.notes.append(f"endpoint auto: {endpoint} ({KEY_ENV} {'set' if endpoint == 'data' else 'not set'})")
    _, _, cap = ENDPOINTS[endpoint]
    reporters, _ = source._codes()
    years = setting(settings, "years")
    if not years:
        raise SourceError("comtrade", "config", "years = [first, last] is required")
    breakdowns = bool(setting(settings, "breakdowns", False))
    rows = 0
    for freq in setting(settings, "frequencies", ["A"]):
        if freq not in ("A", "M"):
            raise SourceError("comtrade", "config", f"frequency must be 'A' or 'M', not {freq!r}")
        partners, cmds, flows = source.query_for(freq)
        periods = period_codes(freq, years[0], years[1])
        plan.metadata_requests += math.ceil(len(periods) / MAX_PERIODS_PER_CALL)  # getDA, all reporters at once
        released = [(p, ("offline", None)) for p in periods]
        for reporter in reporters:
            base = Call(freq, reporter, (), partners, cmds, flows, breakdowns, True)
            for group, calls in source._group(base, released, cap, endpoint):
                plan.partitions += len(group)
                plan.requests += len(calls)
                rows += sum(min(c.estimate(), cap) for c in calls)
    plan.rows = rows
    budget = setting(settings, "daily_budget")
    plan.calls_per_night = int(budget) if budget else (COMTRADE_FREE_CALLS_PER_DAY if endpoint == "data" else None)
    plan.nights = nights_needed(plan.requests, plan.metadata_requests, plan.calls_per_night)
    plan.notes.append(f"{endpoint} endpoint, at most {cap:,} rows a call")


def _eurostat_comext(settings: Any, plan: SourcePlan) -> None:
    from extract.sources.eurostat_comext import EurostatComext, split_to_fit

    source = EurostatComext(settings)
    plan.files = len(setting(settings, "files", []))
    plan.partitions += plan.files
    if not setting(settings, "reporters"):
        return
    max_cells = setting(settings, "max_cells")
    plan.metadata_requests = 1  # the dataflow's UPDATE_DATA stamp
    cells = 0
    largest = 0
    for _, _, q in source.queries():
        plan.partitions += 1
        largest = max(largest, q.cells())
        parts = split_to_fit(q, max_cells)
        plan.requests += len(parts)
        cells += sum(p.cells() for p in parts)
    plan.cells = cells
    plan.rows = cells  # at most one row per cell (Comext leaves empty cells out)
    if largest > EUROSTAT_REFUSED_ABOVE_CELLS:
        plan.notes.append(
            f"one reporter-year asks {largest:,} cells: Eurostat would refuse it (> 5 M), split to "
            f"<= {max_cells:,} cells a query before asking"
        )
    if max_cells > EUROSTAT_ASYNC_ABOVE_CELLS:
        plan.notes.append(f"max_cells {max_cells:,} > 500,000: some answers would be asynchronous")
    budget = setting(settings, "daily_budget")
    if budget:
        plan.calls_per_night = int(budget)
        plan.nights = nights_needed(plan.requests, plan.metadata_requests, plan.calls_per_night)


def _imf(settings: Any, plan: SourcePlan) -> None:
    countries = setting(settings, "countries", [])
    indicators = setting(settings, "indicators", ["XG_FOB_USD", "MG_CIF_USD"])
    counterparts = setting(settings, "counterparts", ["G001"])
    plan.metadata_requests = len(countries)  # one availability request per country
    plan.partitions = plan.requests = len(countries) * len(indicators)
    shown = "every counterpart" if counterparts == ["*"] else f"{len(counterparts)} counterpart code(s)"
    plan.notes.append(f"{shown} in each data request")


def _worldbank(settings: Any, plan: SourcePlan) -> None:
    indicators = setting(settings, "indicators", [])
    countries = setting(settings, "countries", [])
    years = setting(settings, "years", [0, -1])
    per_page = int(setting(settings, "per_page", 1000))
    rows_each = len(countries) * (years[1] - years[0] + 1)
    plan.metadata_requests = len(indicators)  # one 1-row page per indicator: its lastupdated stamp
    plan.requests = len(indicators) * max(1, math.ceil(rows_each / per_page))
    plan.rows = len(indicators) * rows_each
    plan.files = len(setting(settings, "files", []))
    plan.partitions = len(indicators) + plan.files


def _ecb(settings: Any, plan: SourcePlan) -> None:
    periods = setting(settings, "periods", {"M": [None, None], "A": [None, None]})
    plan.partitions = plan.requests = plan.metadata_requests = len(periods)


def _eurostat_fdi(settings: Any, plan: SourcePlan) -> None:
    datasets = setting(settings, "datasets", ["bop_fdi6_pos", "bop_fdi6_flow"])
    geos = setting(settings, "eurostat_geo", ["EU27_2020"])
    plan.partitions = plan.requests = plan.metadata_requests = len(datasets) * len(geos)


def _files_only(settings: Any, plan: SourcePlan) -> None:
    files = list(setting(settings, "files", []))
    drop = setting(settings, "drop_dir")
    if drop:
        from extract.sources.national import layout_of

        drop = Path(drop)
        found = sorted(p for p in drop.glob("*") if p.is_file() and layout_of(p)) if drop.is_dir() else []
        plan.notes.append(f"file drop {drop}: {len(found)} file(s) of a known layout there now")
        files += found
    plan.files = plan.partitions = len(files)


OFFLINE = {
    "comtrade": _comtrade,
    "eurostat_comext": _eurostat_comext,
    "imf": _imf,
    "worldbank": _worldbank,
    "ecb": _ecb,
    "eurostat_fdi": _eurostat_fdi,
    "national": _files_only,
    "wiiw_fdi": _files_only,
}


# --------------------------------------------------------------------------- online (metadata only)


def _online(name: str, settings: Any, ctx, plan: SourcePlan) -> None:
    """The source's own plan (change-metadata requests only), then its data requests counted."""
    from extract.sources import source_class

    source = source_class(name)(settings)
    before = ctx.client.requests_made
    partitions = source.plan(ctx)
    plan.metadata_requests = ctx.client.requests_made - before
    plan.partitions = len(partitions)
    if name == "comtrade":
        groups = {(p.params["endpoint"], tuple(p.params["calls"])) for p in partitions}
        plan.requests = sum(len(calls) for _, calls in groups)
        plan.calls_per_night = int(setting(settings, "daily_budget") or COMTRADE_FREE_CALLS_PER_DAY)
        plan.nights = nights_needed(plan.requests, plan.metadata_requests, plan.calls_per_night)
    elif name == "eurostat_comext":
        from extract.sources.eurostat_comext import split_to_fit

        api = [p for p in partitions if p.dataset == "sdmx"]
        parts = [q for p in api for q in split_to_fit(p.params["query"], p.params["max_cells"])]
        plan.requests = len(parts)
        plan.cells = sum(q.cells() for q in parts)
        plan.files = len(partitions) - len(api)
    else:
        files = [p for p in partitions if "path" in p.params]
        plan.files = len(files)
        plan.requests = len(partitions) - len(files)


# --------------------------------------------------------------------------- the plan


def make_plan(cfg, *, offline: bool = True, client=None, landing_root: Path | None = None) -> list[SourcePlan]:
    """One SourcePlan per enabled source. Offline: no network at all (no client is even made)."""
    from extract.errors import TradeflowError

    out = []
    ctx = None
    if not offline:
        from extract.http import make_client
        from extract.settings import landing_dir
        from extract.sources.base import Context

        client = client or make_client(cfg.mode, cassettes=cfg.cassettes)
        ctx = Context(client=client, config=cfg, landing_root=landing_root or landing_dir())
    for name in cfg.enabled_sources():
        settings = cfg.sources[name]
        plan = SourcePlan(name)
        try:
            if offline:
                OFFLINE[name](settings, plan)
            else:
                _online(name, settings, ctx, plan)
        except (TradeflowError, OSError, KeyError, TypeError, ValueError) as exc:
            plan.notes.append(f"cannot plan: {exc}")
        out.append(plan)
    return out


def _n(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def render(plans: list[SourcePlan], *, offline: bool) -> str:
    head = ("source", "partitions", "requests", "metadata", "est. rows", "cells", "calls/night", "nights")
    rows = [
        (
            p.source,
            _n(p.partitions),
            _n(p.requests),
            _n(p.metadata_requests),
            _n(p.rows),
            _n(p.cells),
            _n(p.calls_per_night),
            _n(p.nights),
        )
        for p in plans
    ]
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    lines = [
        f"plan ({'offline: no network, estimates from the configuration' if offline else 'from the sources change metadata'})"
    ]

    def fmt(r):
        return "  ".join(
            str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )

    lines.append(fmt(head))
    lines.extend(fmt(r) for r in rows)
    total = sum(p.requests + p.metadata_requests for p in plans)
    lines.append(f"total requests of a first backfill: {total:,}")
    for p in plans:
        for note in p.notes:
            lines.append(f"  {p.source}: {note}")
        if p.nights is not None:
            lines.append(
                f"  {p.source}: {p.requests:,} data + {p.metadata_requests:,} metadata calls at "
                f"{p.calls_per_night:,} a night (metadata repeated each night): {p.nights} night(s)"
            )
    return "\n".join(lines)
