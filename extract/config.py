"""One configuration file (TOML) for every source, validated with clear errors."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from extract.errors import ConfigError
from extract.settings import PROJECT_DIR

# Aggregate partner codes that are not ISO countries but are valid wherever a partner is asked for.
AGGREGATE_CODES = {"WLD", "EU27"}


@dataclass
class Config:
    path: Path
    mode: str = "live"  # live | replay
    cassettes: list[Path] = field(default_factory=list)
    record_to: Path | None = None
    lookback_periods: int = 1
    # HTTP: seconds between two requests to one host (live default 1.0), attempts per request, read timeout
    min_interval: float | None = None
    retry_attempts: int = 5
    timeout_seconds: float = 120.0
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)

    def enabled_sources(self) -> list[str]:
        return [name for name, s in self.sources.items() if s.get("enabled", True)]


def known_iso3() -> set[str]:
    return set(pl.read_csv(PROJECT_DIR / "seeds" / "countries.csv", infer_schema=False)["iso3"])


def _resolve(base: Path, value: str) -> Path:
    p = Path(value)
    return p if p.is_absolute() else (base / p).resolve()


def load_config(path: Path | str) -> Config:
    from extract.sources import REGISTRY  # local: avoid an import cycle at start-up

    path = Path(path)
    if not path.exists():
        raise ConfigError(f"config file {path} does not exist")
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    base = PROJECT_DIR
    run = data.get("run", {})
    mode = run.get("mode", "live")
    if mode not in ("live", "replay"):
        raise ConfigError(f"{path}: [run] mode must be 'live' or 'replay', not {mode!r}")
    cfg = Config(
        path=path,
        mode=mode,
        cassettes=[_resolve(base, c) for c in run.get("cassettes", [])],
        record_to=_resolve(base, run["record_to"]) if run.get("record_to") else None,
        lookback_periods=int(run.get("lookback_periods", 1)),
        min_interval=float(run["min_interval"]) if "min_interval" in run else None,
        retry_attempts=int(run.get("retry_attempts", 5)),
        timeout_seconds=float(run.get("timeout_seconds", 120.0)),
    )
    if cfg.retry_attempts < 1 or cfg.timeout_seconds <= 0 or (cfg.min_interval or 0) < 0:
        raise ConfigError(f"{path}: [run] retry_attempts >= 1, timeout_seconds > 0 and min_interval >= 0 expected")
    countries = known_iso3() | AGGREGATE_CODES
    for name, settings in data.get("sources", {}).items():
        if name not in REGISTRY:
            raise ConfigError(f"{path}: unknown source [sources.{name}]; known: {', '.join(sorted(REGISTRY))}")
        for key in ("reporters", "partners", "countries", "hosts", "investors"):
            for code in settings.get(key, []):
                if code not in countries:
                    raise ConfigError(f"{path}: [sources.{name}] {key}: unknown country code {code!r} (ISO3 expected)")
        years = settings.get("years")
        if years is not None:
            if len(years) != 2 or not all(isinstance(y, int) for y in years):
                raise ConfigError(f"{path}: [sources.{name}] years must be [first, last], got {years!r}")
            if years[0] > years[1]:
                raise ConfigError(f"{path}: [sources.{name}] years {years!r}: first year is after the last")
        budget = settings.get("daily_budget")
        if budget is not None and (isinstance(budget, bool) or not isinstance(budget, int) or budget < 1):
            raise ConfigError(
                f"{path}: [sources.{name}] daily_budget must be a positive number of calls, not {budget!r}"
            )
        for key in ("files", "drop_dir"):
            if key in settings:
                value = settings[key]
                settings[key] = [_resolve(base, v) for v in value] if isinstance(value, list) else _resolve(base, value)
        cfg.sources[name] = settings
    return cfg
