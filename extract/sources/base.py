"""What a source module is: a small declarative class over the shared client, landing and loader.

A source declares its datasets (name + polars schema + required input fields) and implements:

- `plan(ctx)`: list the partitions it wants, each with the source's own change stamp (asked from the
  source's change metadata through `ctx.client`, which counts those requests as metadata);
- `fetch(ctx, partition)`: the bodies for one partition (pages, splits), as `Fetched` items;
- `parse(partition, bodies)`: a `ParseResult` (typed frame + warnings), raising `SchemaDrift` or
  `BadResponse` with the source, the URL or file, and what was wrong.

Its settings are a `SourceSettings` model (`Settings`, pydantic, unknown keys refused): every key typed and
described, validated when the configuration is loaded (`extract/config.py`), so a misspelt key or a bad
value stops the run before anything is asked, naming the file, the section and the key.

The runner (`extract/runner.py`) does the rest the same way for every source: skip unchanged
partitions, land each body, parse, load in one transaction, write the ledger.
"""

from __future__ import annotations

import difflib
import functools
import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, ClassVar

import polars as pl
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, ValidationInfo

from extract.errors import ConfigError, SchemaDrift, SourceError
from extract.http import HttpClient
from extract.landing import FileStamps
from extract.settings import PROJECT_DIR

# Columns the loader adds to every raw table.
META_COLUMNS = {"_partition_key": pl.String, "_loaded_at": pl.Datetime("us"), "_source_updated_at": pl.String}


@dataclass(frozen=True)
class Dataset:
    name: str
    schema: dict[str, pl.DataType]  # the raw table's columns, in order, with explicit dtypes


@dataclass(frozen=True)
class Partition:
    source: str
    dataset: str
    key: str  # stable, e.g. "type=C/freq=A/reporter=398/period=2023"
    params: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    source_updated_at: str | None = None  # the source's own last-updated stamp
    period: str | None = None  # for the revision look-back, e.g. "2023" or "2023-04"


@dataclass(frozen=True)
class Fetched:
    body: bytes
    ext: str  # json, csv, xml, xlsx
    url: str  # where it came from (redacted URL or file://path)


@dataclass
class ParseResult:
    frame: pl.DataFrame
    warnings: list[str] = field(default_factory=list)


@dataclass
class Context:
    client: HttpClient
    config: Any
    landing_root: Path
    lookback_periods: int = 0
    metadata_requests: int = 0
    # partitions whose reload may lose rows or periods (`--accept-shrink`: source, source/dataset, or
    # source/dataset/partition; 'all')
    accept_shrink: frozenset[str] = frozenset()


# --------------------------------------------------------------------------- settings

# Aggregate partner codes that are not ISO countries but are valid wherever a country is asked for.
AGGREGATE_CODES = frozenset({"WLD", "EU27"})


@functools.lru_cache(maxsize=1)
def known_iso3() -> frozenset[str]:
    """The ISO3 codes of seeds/countries.csv and the aggregates WLD, EU27."""
    codes = pl.read_csv(PROJECT_DIR / "seeds" / "countries.csv", infer_schema=False)["iso3"]
    return frozenset(codes) | AGGREGATE_CODES


def _iso3(code: str) -> str:
    if code not in known_iso3():
        raise ValueError(f"unknown country code {code!r} (ISO3 expected, from seeds/countries.csv)")
    return code


def _resolve(value: Path, info: ValidationInfo) -> Path:
    """A relative path is relative to the folder of the configuration file (else the working directory)."""
    if value.is_absolute():
        return value
    base = (info.context or {}).get("base_dir") or Path.cwd()
    return (Path(base) / value).resolve()


def _years(value: Any) -> Any:
    if not (isinstance(value, list | tuple) and len(value) == 2 and all(type(y) is int for y in value)):
        raise ValueError(f"must be [first, last] (two integers), got {value!r}")
    if value[0] > value[1]:
        raise ValueError(f"{list(value)!r}: first year is after the last")
    return tuple(value)


def _listed(value: Any) -> Any:
    """A single value where a list is expected is a list of one."""
    return value if isinstance(value, list | tuple) else [value]


def _unique_names(paths: list[Path]) -> list[Path]:
    """File drops are partitions named by their file name: two files of one name would take turns."""
    check_unique_names(paths)
    return paths


def check_unique_names(paths: list[Path], source: str | None = None) -> None:
    """Refuse two files with the same name (in different folders): they would claim one partition.

    A file drop's partition is its file name (so moving the drop folder reloads nothing); two files with
    one name would each replace the other's rows on every refresh.
    """
    seen: dict[str, Path] = {}
    for path in paths:
        other = seen.setdefault(Path(path).name, Path(path))
        if other != Path(path):
            what = (
                f"{other} and {path} have the same file name and would claim one partition "
                "(each refresh would replace the other's rows): rename one of them"
            )
            if source is None:
                raise ValueError(what)
            raise SourceError(source, str(path), what)


def _url_code(value: Any) -> Any:
    if not isinstance(value, str) or not _URL_CODE.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a code (letters and digits, joined by single '.', '_' or '-'; "
            "no '/', '..', spaces or other characters): it goes into a URL"
        )
    return value


_URL_CODE = re.compile(r"[A-Za-z0-9]+(?:[._-][A-Za-z0-9]+)*")

Iso3 = Annotated[str, AfterValidator(_iso3)]
# a code that goes into a URL's path or query (an indicator, a dataset, a geo code): never a path or a query
UrlCode = Annotated[str, AfterValidator(_url_code)]
ConfigPath = Annotated[Path, AfterValidator(_resolve)]
ConfigPaths = Annotated[list[ConfigPath], BeforeValidator(_listed)]
# file drops: paths, and no two with the same file name
FileDrops = Annotated[list[ConfigPath], BeforeValidator(_listed), AfterValidator(_unique_names)]
Years = Annotated[tuple[int, int], BeforeValidator(_years)]
Code = Annotated[str, BeforeValidator(lambda v: str(v) if isinstance(v, int) and not isinstance(v, bool) else v)]


class SourceSettings(BaseModel):
    """The settings of one source: a `[sources.<name>]` section. Unknown keys are refused."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    enabled: bool = Field(True, description="Run this source with `all` (false: only when named).")
    base_url: str | None = Field(
        None,
        pattern=r"^https?://[^\s]+$",
        description="HTTP sources: the API root instead of the public address (a proxy, or the test emulator).",
    )
    daily_budget: int | None = Field(
        None,
        ge=1,
        description="Calls one run may spend on this source (metadata included); the rest waits for the next run.",
    )
    cadence_days: float | None = Field(
        None,
        gt=0,
        description="How often the source publishes new data, in days: older than that, it is shown stale.",
    )

    def summary(self) -> str:
        """The keys set in the configuration, briefly (for `tradeflow config check`)."""
        parts = []
        for key in self.model_fields_set - {"enabled"}:
            value = getattr(self, key)
            if isinstance(value, list | tuple) and value and isinstance(value[0], Path):
                text = f"{len(value)} file(s)"
            elif isinstance(value, list | tuple):
                shown = [str(v) for v in value[:6]]
                text = ",".join(shown) + (f",... ({len(value)})" if len(value) > 6 else "")
            elif isinstance(value, dict):
                text = ",".join(f"{k}={v}" for k, v in value.items())
            else:
                text = str(value)
            parts.append(f"{key}={text}")
        return " ".join(sorted(parts))


def _loc(loc: tuple) -> str:
    return ".".join(str(p) for p in loc if not isinstance(p, int)) or "(section)"


def settings_error(where: str, model: type[BaseModel], exc: ValidationError) -> ConfigError:
    """A ConfigError naming, for every problem, `where` (file and section) and the key."""
    known = sorted(model.model_fields)
    lines = []
    for err in exc.errors(include_url=False):
        key = _loc(err["loc"])
        if err["type"] == "extra_forbidden":
            close = difflib.get_close_matches(str(err["loc"][-1]), known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            lines.append(f"{where} unknown key {key!r}{hint}; known keys: {', '.join(known)}")
        elif key == "(section)":  # a check across keys: its message names them
            lines.append(f"{where} {err['msg'].removeprefix('Value error, ')}")
        elif err["type"] == "missing":
            lines.append(f"{where} {key}: required, not set")
        else:
            msg = err["msg"].removeprefix("Value error, ")
            got = "" if err["type"] == "value_error" else f" (got {err['input']!r})"
            lines.append(f"{where} {key}: {msg}{got}")
    return ConfigError("; ".join(lines))


def parse_settings(model: type[BaseModel], data: Mapping, where: str, base_dir: Path | None = None):
    """Validate one section with `model` (relative paths against `base_dir`); ConfigError naming the key."""
    try:
        return model.model_validate(dict(data), context={"base_dir": base_dir})
    except ValidationError as exc:
        raise settings_error(where, model, exc) from None


class Source(ABC):
    name: ClassVar[str]
    datasets: ClassVar[dict[str, Dataset]]
    Settings: ClassVar[type[SourceSettings]] = SourceSettings

    def __init__(self, settings: SourceSettings | Mapping | None = None):
        """`settings` validated (a mapping is validated here, as a config section); None: the defaults
        unvalidated, for a source used to parse only (`plan` then needs real settings)."""
        if settings is None:
            settings = self.Settings.model_construct()
        elif not isinstance(settings, SourceSettings):
            settings = parse_settings(self.Settings, settings, f"[sources.{self.name}]")
        self.settings = settings

    @abstractmethod
    def plan(self, ctx: Context) -> list[Partition]:
        """List the partitions wanted, each with its change stamp."""

    @abstractmethod
    def fetch(self, ctx: Context, partition: Partition) -> list[Fetched]:
        """The bodies of one partition."""

    @abstractmethod
    def parse(self, partition: Partition, bodies: list[Fetched]) -> ParseResult:
        """The typed rows of one partition."""

    def request_cost(self, partition: Partition) -> tuple[Any, int]:
        """For daily budgets: (the key of the requests this partition shares with others, how many
        requests they are). Default: one request of its own, none for a file drop."""
        return partition.key, 0 if "path" in partition.params else 1


# --------------------------------------------------------------------------- parsing helpers


def check_fields(
    source: str, where: str, present: Iterable[str], required: Iterable[str], known: Iterable[str]
) -> list[str]:
    """Raise SchemaDrift naming the first missing required field; return warnings for unknown fields."""
    present = list(present)
    missing = [f for f in required if f not in present]
    if missing:
        raise SchemaDrift(source, where, f"required field {missing[0]!r} is missing", field=missing[0])
    unknown = sorted(set(present) - set(known))
    return [f"[{source}] {where}: unknown field {f!r} kept in the landing file, not loaded" for f in unknown]


def conform(source: str, where: str, frame: pl.DataFrame, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """Cast to the declared schema (strict: a value that does not fit raises, naming the column)."""
    out = []
    for name, dtype in schema.items():
        if name not in frame.columns:
            out.append(pl.lit(None, dtype=dtype).alias(name))
            continue
        out.append(pl.col(name).cast(dtype, strict=True).alias(name))
    try:
        return frame.select(out)
    except (pl.exceptions.InvalidOperationError, pl.exceptions.ComputeError) as exc:
        bad = _first_bad_column(frame, schema)
        raise SchemaDrift(
            source, where, f"column {bad!r} does not fit its declared type: {exc}".splitlines()[0], field=bad
        ) from None


def _first_bad_column(frame: pl.DataFrame, schema: dict[str, pl.DataType]) -> str | None:
    for name, dtype in schema.items():
        if name in frame.columns:
            try:
                frame.select(pl.col(name).cast(dtype, strict=True))
            except Exception:  # noqa: BLE001 - we only want the name
                return name
    return None


def file_fetched(path: Path, source: str = "file") -> Fetched:
    """A file drop's bytes, as a fetched body; a missing file is an error naming the source."""
    path = Path(path)
    if not path.exists():
        raise SourceError(source, str(path), "file does not exist")
    return Fetched(path.read_bytes(), path.suffix.lstrip(".") or "bin", f"file://{path}")


def file_partitions(source: str, dataset: str, files: Iterable[Path], landing_root: Path | None) -> list[Partition]:
    """One partition per file drop: key `file=<name>`, change stamp the file's sha256 (remembered by size and
    mtime in landing/<source>/file-stamps.json); a missing file is planned all the same and fails its fetch."""
    files = list(files)
    check_unique_names(files, source)
    stamps = FileStamps.of_source(landing_root if files else None, source)
    partitions = [
        Partition(source, dataset, f"file={p.name}", {"path": str(p)}, stamps.sha256(p) if p.exists() else "missing")
        for p in files
    ]
    stamps.save()
    return partitions
