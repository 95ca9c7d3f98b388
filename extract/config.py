"""One configuration file (TOML) for every source, validated before anything runs.

`[run]` holds how a run talks to the world (live or replay, cassettes, look-back); each `[sources.<name>]`
section is validated with that source's `Settings` model (pydantic, unknown keys refused). A misspelt key,
an unknown section or a bad value is a ConfigError naming the file, the section and the key. Relative
paths (cassettes, record_to, files, drop_dir, labels_seed) are relative to the folder of the
configuration file, not to the working directory.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from extract.errors import ConfigError
from extract.sources.base import ConfigPath, ConfigPaths, SourceSettings, parse_settings


class RunSettings(BaseModel):
    """[run]"""

    model_config = ConfigDict(extra="forbid")

    mode: Literal["live", "replay"] = Field("live", description="live: the network; replay: recorded cassettes only.")
    cassettes: ConfigPaths = Field([], description="Cassette folders replayed (mode = replay).")
    record_to: ConfigPath | None = Field(None, description="Live: also record every response into this folder.")
    lookback_periods: int = Field(
        1, ge=0, description="Periods re-fetched at the end of a source's range when it has no change stamp."
    )
    min_interval: float | None = Field(
        None, ge=0, description="Seconds between two requests to one host (default: 1 live, 0 replay)."
    )
    retry_attempts: int = Field(5, ge=1, description="Attempts per request (429, 5xx, timeouts; backoff between).")
    timeout_seconds: float = Field(120.0, gt=0, description="Read timeout of one request, in seconds.")


@dataclass
class Config:
    path: Path
    mode: str = "live"  # live | replay
    cassettes: list[Path] = field(default_factory=list)
    record_to: Path | None = None
    lookback_periods: int = 1
    min_interval: float | None = None
    retry_attempts: int = 5
    timeout_seconds: float = 120.0
    # name -> that source's validated settings (a plain dict given here is validated the same way)
    sources: dict[str, SourceSettings] = field(default_factory=dict)
    # not from the file: partitions whose reload may lose rows or periods this run (`--accept-shrink`)
    accept_shrink: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        base = Path(self.path).parent
        self.sources = {
            name: s if isinstance(s, SourceSettings) else source_settings(name, s, None, base)
            for name, s in self.sources.items()
        }

    def enabled_sources(self) -> list[str]:
        return [name for name, s in self.sources.items() if s.enabled]


def source_settings(name: str, data: dict, path: Path | None, base_dir: Path | None) -> SourceSettings:
    """The settings of source `name` from its section of `path`, validated by the source's own model."""
    from extract.sources import REGISTRY, source_class  # local: avoid an import cycle at start-up

    file = f"{path}: " if path else ""
    if name not in REGISTRY:
        close = difflib.get_close_matches(name, list(REGISTRY), n=1)
        hint = f" (did you mean [sources.{close[0]}]?)" if close else ""
        raise ConfigError(f"{file}unknown source [sources.{name}]{hint}; known: {', '.join(sorted(REGISTRY))}")
    return parse_settings(source_class(name).Settings, data, f"{file}[sources.{name}]", base_dir)


def load_config(path: Path | str) -> Config:
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"config file {path} does not exist")
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    unknown = sorted(set(data) - {"run", "sources", "alerts"})  # [alerts]: tradeflow/alerts.py
    if unknown:
        raise ConfigError(
            f"{path}: unknown section [{unknown[0]}]; a configuration has [run], [sources.<name>] and [alerts]"
        )
    base = path.resolve().parent
    run = parse_settings(RunSettings, data.get("run", {}), f"{path}: [run]", base)
    sources = data.get("sources", {})
    if not isinstance(sources, dict) or any(not isinstance(v, dict) for v in sources.values()):
        raise ConfigError(f"{path}: [sources] holds one table per source, [sources.<name>]")
    return Config(
        path=path,
        mode=run.mode,
        cassettes=list(run.cassettes),
        record_to=run.record_to,
        lookback_periods=run.lookback_periods,
        min_interval=run.min_interval,
        retry_attempts=run.retry_attempts,
        timeout_seconds=run.timeout_seconds,
        sources={name: source_settings(name, settings, path, base) for name, settings in sources.items()},
    )


def describe(cfg: Config) -> list[str]:
    """What a configuration will run, one line per source (for `tradeflow config check`)."""
    from extract.sources import REGISTRY  # local: avoid an import cycle at start-up

    lines = [
        f"{cfg.path}: valid",
        f"[run] mode={cfg.mode} cassettes={len(cfg.cassettes)} lookback_periods={cfg.lookback_periods}"
        + (f" record_to={cfg.record_to}" if cfg.record_to else ""),
    ]
    width = max(len(n) for n in REGISTRY)
    for name, settings in cfg.sources.items():
        state = "enabled " if settings.enabled else "disabled"
        lines.append(f"{name:<{width}}  {state}  {settings.summary()}".rstrip())
    absent = sorted(set(REGISTRY) - set(cfg.sources))
    if absent:
        lines.append(f"not configured (not run): {', '.join(absent)}")
    return lines
