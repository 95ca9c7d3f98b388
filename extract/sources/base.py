"""What a source module is: a small declarative class over the shared client, landing and loader.

A source declares its datasets (name + polars schema + required input fields) and implements:

- `plan(ctx)`: list the partitions it wants, each with the source's own change stamp (asked from the
  source's change metadata through `ctx.client`, which counts those requests as metadata);
- `fetch(ctx, partition)`: the bodies for one partition (pages, splits), as `Fetched` items;
- `parse(partition, bodies)`: a `ParseResult` (typed frame + warnings), raising `SchemaDrift` or
  `BadResponse` with the source, the URL or file, and what was wrong.

The runner (`extract/runner.py`) does the rest the same way for every source: skip unchanged
partitions, land each body, parse, load in one transaction, write the ledger.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import polars as pl

from extract.errors import SchemaDrift, SourceError
from extract.http import HttpClient

# Columns the loader adds to every raw table.
META_COLUMNS = {"_partition_key": pl.String, "_loaded_at": pl.Datetime("us"), "_source_updated_at": pl.String}


@dataclass(frozen=True)
class Dataset:
    name: str
    schema: dict[str, pl.DataType]  # the raw table's columns, in order, with explicit dtypes
    description: str = ""


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


class Source(ABC):
    name: ClassVar[str]
    datasets: ClassVar[dict[str, Dataset]]

    def __init__(self, settings: dict | None = None):
        self.settings = settings or {}

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
