"""Free disk space: checked before a build, and every out-of-space failure reported the same way.

A refresh needs, on the file system of the warehouse, room for the private copy of the published
DuckDB file, for what dbt writes into it (new tables before the old ones are dropped, its write-ahead
log, spills) and for the Parquet export: SPACE_FACTOR (3) times the published file, and at least
TRADEFLOW_MIN_FREE_MB (default 256 MB) when nothing is published yet.
"""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

from extract.errors import TradeflowError

SPACE_FACTOR = 3.0
GB = 1024**3


class NoSpace(TradeflowError):
    """The disk of the warehouse (or of the landing folder) is full, or would be."""

    def __init__(self, path: Path, needed: int, free: int, step: str = ""):
        self.path, self.needed, self.free = path, needed, free
        where = f" during {step}" if step else ""
        super().__init__(
            f"no space left on {path}{where} (needs {needed / GB:.2f} GB, has {free / GB:.2f} GB): "
            "free space there or point TRADEFLOW_DB at a larger disk; the refresh published nothing"
        )


def existing(path: Path) -> Path:
    path = Path(path).absolute()
    while not path.exists():
        path = path.parent
    return path


def free_bytes(path: Path) -> int:
    return shutil.disk_usage(existing(path)).free


def needed_bytes(published_file: Path | None) -> int:
    """The free space a build needs: SPACE_FACTOR x the published DuckDB file, at least the minimum."""
    factor = float(os.environ.get("TRADEFLOW_SPACE_FACTOR", SPACE_FACTOR))
    floor = int(float(os.environ.get("TRADEFLOW_MIN_FREE_MB", "256")) * 1024**2)
    size = published_file.stat().st_size if published_file is not None and published_file.is_file() else 0
    return max(int(factor * size), floor)


def check(path: Path, needed: int) -> None:
    free = free_bytes(path)
    if free < needed:
        raise NoSpace(existing(path), needed, free)


_MARKERS = ("no space left on device", "errno 28", "disk full", "not enough space")


def is_out_of_space(exc: BaseException) -> bool:
    """ENOSPC from Python, or DuckDB's / dbt's own words for it (dbt's output rides on `exc.output`)."""
    while exc is not None:
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        text = (str(exc) + " " + str(getattr(exc, "output", ""))).lower()
        if any(m in text for m in _MARKERS):
            return True
        exc = exc.__cause__ or exc.__context__
    return False
