"""Landing: every response body kept exactly as received (compressed), never edited.

Bodies are written zstd-compressed (`.zst`, level 3: ~600 MB/s on one core, smaller than gzip at any
level) when the `zstandard` package is installed, else gzip level 1 (`.gz`). Both are read back by
`read_landed`, so landing files written before keep working.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

try:
    import zstandard
except ImportError:  # pragma: no cover - the gzip fallback, when zstandard is not installed
    zstandard = None

ZSTD_LEVEL = 3
# the compressed forms a landing file may have, newest first: identical bytes in either form land once
SUFFIXES = (".zst", ".gz")


@dataclass(frozen=True)
class Landed:
    path: Path
    sha256: str  # of the body as received (before compression)
    size: int


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9=._-]+", "_", text).strip("_")[:150]


def _compress(body: bytes, suffix: str) -> bytes:
    if suffix == ".zst":
        # one frame with the content size; no threads (the load runs beside it), no timestamp: the same
        # body always compresses to the same bytes
        return zstandard.ZstdCompressor(level=ZSTD_LEVEL, write_content_size=True).compress(body)
    # mtime=0: the same body always compresses to the same bytes; level 1: landing is on the load's
    # critical path (level 9 cost 40% of load time in the benchmark, for 20% smaller files)
    return gzip.compress(body, compresslevel=1, mtime=0)


def land(
    root: Path,
    source: str,
    dataset: str,
    partition_key: str,
    body: bytes,
    ext: str,
    stamp: str,
) -> Landed:
    """Write `body` under landing/<source>/<dataset>/<partition>/<stamp>_<sha12>.<ext>.zst (or .gz) atomically.

    Identical bytes land once: the same content reuses the existing file (in either compressed form).
    """
    digest = hashlib.sha256(body).hexdigest()
    folder = Path(root) / slug(source) / slug(dataset) / slug(partition_key)
    folder.mkdir(parents=True, exist_ok=True)
    for suffix in SUFFIXES:
        existing = sorted(folder.glob(f"*_{digest[:12]}.{ext}{suffix}"))
        if existing:
            return Landed(existing[0], digest, len(body))
    suffix = ".zst" if zstandard is not None else ".gz"
    path = folder / f"{slug(stamp)}_{digest[:12]}.{ext}{suffix}"
    data = _compress(body, suffix)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return Landed(path, digest, len(body))


def read_landed(path: Path) -> bytes:
    """The body exactly as received, from a landing file of either form (.zst or .gz)."""
    path = Path(path)
    if path.suffix == ".zst":
        if zstandard is None:
            raise RuntimeError(f"{path}: reading a .zst landing file needs the zstandard package")
        with open(path, "rb") as fh, zstandard.ZstdDecompressor().stream_reader(fh) as reader:
            return reader.read()
    with gzip.open(path, "rb") as fh:
        return fh.read()


class FileStamps:
    """The sha256 of local files (file drops), remembered by path, size and modification time.

    A nightly plan of N unchanged file drops would otherwise read and hash every byte again (12 GB at
    the 50M-row benchmark) only to find nothing new. A file whose size and mtime (in ns) are those
    recorded with its hash is not read; any other file is hashed and recorded. The record is a JSON file
    in the landing area, written atomically by `save`; without it (first run, deleted, unreadable)
    every file is hashed, so it can only save work, never change what is loaded. A file rewritten
    with other bytes but the same size and the same mtime to the nanosecond would be missed, as by
    make or rsync; touch it to force a reload.
    """

    @classmethod
    def of_source(cls, landing_root: Path | None, source: str) -> FileStamps:
        """The record of a source's file drops, landing/<source>/file-stamps.json (none: hash every file)."""
        return cls(Path(landing_root) / slug(source) / "file-stamps.json" if landing_root else None)

    def __init__(self, path: Path | None):
        self.path = Path(path) if path else None
        self._seen: dict[str, list] = {}
        self.hashed = 0
        if self.path and self.path.exists():
            try:
                self._seen = {k: v for k, v in json.loads(self.path.read_text()).items() if len(v) == 3}
            except (OSError, ValueError, TypeError, AttributeError):
                self._seen = {}

    def sha256(self, file: Path) -> str:
        file = Path(file).resolve()
        st = file.stat()
        known = self._seen.get(str(file))
        if known and known[0] == st.st_size and known[1] == st.st_mtime_ns:
            return known[2]
        digest = hashlib.sha256()
        with open(file, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
        self.hashed += 1
        self._seen[str(file)] = [st.st_size, st.st_mtime_ns, digest.hexdigest()]
        return digest.hexdigest()

    def save(self) -> None:
        if not self.path:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self._seen, indent=0, sort_keys=True))
        os.replace(tmp, self.path)
