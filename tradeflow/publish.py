"""Publishing the warehouse atomically, keeping previous versions, and the refresh lock.

Layout next to the published file P (default warehouse/tradeflow.duckdb):

    P                          what readers open: a hard link to the current version
    P.versions/<version>.duckdb  every published version (the newest `keep` are kept)
    P.versions/CURRENT.json    which version is published, when it was built, by which run
    P.builds/<run_id>.duckdb   a build in progress (never opened by readers)
    P.parquet/<version>/       Parquet export of every mart of that version
    P.parquet/current          symlink to the current version's folder, swapped atomically
    P.lock                     the refresh lock: holds the pid of the refresh that owns it

Readers that open P always get a complete, tested file: a version is linked into place with one
`os.replace`, which is atomic on POSIX; a reader that already has the old file open keeps reading it.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from extract import faults, ledger
from extract.errors import LockHeld, TradeflowError
from extract.settings import PROJECT_DIR


@dataclass(frozen=True)
class Layout:
    published: Path

    @property
    def versions(self) -> Path:
        return self.published.with_name(self.published.name + ".versions")

    @property
    def builds(self) -> Path:
        return self.published.with_name(self.published.name + ".builds")

    @property
    def parquet(self) -> Path:
        return self.published.with_name(self.published.name + ".parquet")

    @property
    def lock(self) -> Path:
        return self.published.with_name(self.published.name + ".lock")

    @property
    def current_file(self) -> Path:
        return self.versions / "CURRENT.json"

    def version_path(self, version: str) -> Path:
        return self.versions / f"{version}.duckdb"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_json_atomic(path: Path, data: dict) -> None:
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(data, indent=2, default=str) + "\n")
    with open(tmp, "rb+") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def current(layout: Layout) -> dict | None:
    """The published version, found from the file system: the version file P is a link to.

    CURRENT.json only adds metadata; if a refresh died between the swap and writing it, the link is
    still the truth.
    """
    if not layout.published.exists() or not layout.versions.exists():
        return None
    for path in layout.versions.glob("*.duckdb"):
        if os.path.samefile(path, layout.published):
            info = next((h for h in history(layout) if h["version"] == path.stem), {})
            return {**info, "version": path.stem}
    return None


def history(layout: Layout) -> list[dict]:
    path = layout.versions / "HISTORY.json"
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return []


def new_build(layout: Layout, run_id: str) -> Path:
    """A private copy of the published version to build into (or a new file on the first run)."""
    layout.builds.mkdir(parents=True, exist_ok=True)
    build = layout.builds / f"{run_id}.duckdb"
    for stale in layout.builds.glob("*.duckdb*"):  # builds left by a killed refresh
        stale.unlink()
    cur = current(layout)
    if cur and layout.version_path(cur["version"]).exists():
        shutil.copyfile(layout.version_path(cur["version"]), build)
    return build


def _link_into_place(source: Path, target: Path) -> None:
    tmp = target.with_name(target.name + f".swap{os.getpid()}")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    os.link(source, tmp)
    os.replace(tmp, target)
    _fsync_dir(target.parent)


def _swap_symlink(link: Path, target: Path) -> None:
    tmp = link.with_name(link.name + f".swap{os.getpid()}")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    # relative target: the warehouse folder can be moved or mounted elsewhere
    os.symlink(os.path.relpath(target, link.parent), tmp)
    os.replace(tmp, link)


def publish(layout: Layout, build: Path, version: str, info: dict, parquet_dir: Path | None, keep: int = 3) -> dict:
    """Move a finished, tested build into the versions folder and link it into place."""
    layout.versions.mkdir(parents=True, exist_ok=True)
    target = layout.version_path(version)
    os.replace(build, target)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(str(build) + ".wal")
    _fsync_dir(layout.versions)
    faults.checkpoint("publish")  # crash tests: the version is in place but not yet linked
    _link_into_place(target, layout.published)
    if parquet_dir is not None:
        _swap_symlink(layout.parquet / "current", parquet_dir.resolve())
    record = {**info, "version": version, "published_at": datetime.now(UTC).isoformat(timespec="seconds")}
    hist = [h for h in history(layout) if h["version"] != version] + [record]
    _write_json_atomic(layout.versions / "HISTORY.json", hist)
    _write_json_atomic(layout.current_file, record)
    prune(layout, keep)
    return record


def prune(layout: Layout, keep: int) -> None:
    versions = [h["version"] for h in history(layout)]
    cur = current(layout)
    keep_set = set(versions[-keep:]) | ({cur["version"]} if cur else set())
    for path in layout.versions.glob("*.duckdb"):
        if path.stem not in keep_set:
            path.unlink()
    if layout.parquet.exists():
        for folder in layout.parquet.iterdir():
            if folder.is_dir() and not folder.is_symlink() and folder.name not in keep_set:
                shutil.rmtree(folder)
    _write_json_atomic(layout.versions / "HISTORY.json", [h for h in history(layout) if h["version"] in keep_set])


def rollback(layout: Layout) -> dict:
    """Republish the version before the current one."""
    cur = current(layout)
    hist = [h for h in history(layout) if layout.version_path(h["version"]).exists()]
    if not cur or len(hist) < 2:
        raise TradeflowError("nothing to roll back to: fewer than two published versions are kept")
    idx = next((i for i, h in enumerate(hist) if h["version"] == cur["version"]), len(hist) - 1)
    if idx == 0:
        raise TradeflowError(f"version {cur['version']} is the oldest kept version; nothing older to roll back to")
    prev = hist[idx - 1]
    _link_into_place(layout.version_path(prev["version"]), layout.published)
    pq = layout.parquet / prev["version"]
    if pq.exists():
        _swap_symlink(layout.parquet / "current", pq.resolve())
    record = {
        **prev,
        "rolled_back_from": cur["version"],
        "published_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    _write_json_atomic(layout.current_file, record)
    return record


# --------------------------------------------------------------------------- what a version holds


def export_parquet(db: Path, out_dir: Path) -> list[str]:
    """Every table in schema marts as <out_dir>/<table>.parquet."""
    tmp = out_dir.with_name(out_dir.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts' "
                "and table_type = 'BASE TABLE' order by 1"
            ).fetchall()
        ]
        for t in tables:
            con.execute(f"copy marts.\"{t}\" to '{tmp / (t + '.parquet')}' (format parquet)")
    finally:
        con.close()
    shutil.rmtree(out_dir, ignore_errors=True)
    os.replace(tmp, out_dir)
    return tables


def project_fingerprint() -> str:
    """A hash of everything dbt builds from: models, macros, seeds, tests and the project file.

    When it differs from the published build's, incremental models cannot be trusted to reflect the
    new code, so the refresh runs `dbt build --full-refresh`.
    """
    digest = hashlib.sha256()
    for folder in ("models", "macros", "seeds", "tests/dbt"):
        for path in sorted((PROJECT_DIR / folder).rglob("*")):
            if path.is_file():
                digest.update(str(path.relative_to(PROJECT_DIR)).encode())
                digest.update(path.read_bytes())
    digest.update((PROJECT_DIR / "dbt_project.yml").read_bytes())
    return digest.hexdigest()


def record_build(
    db: Path, *, version: str, run_id: str, config: str, steps: dict, extract: dict, full_refresh: bool
) -> None:
    """The build record (ops.builds) inside the version itself, with the dbt project fingerprint."""
    con = duckdb.connect(str(db))
    try:
        ledger.record_build(
            con,
            version=version,
            run_id=run_id,
            config=config,
            steps=steps,
            extract=extract,
            project_fingerprint=project_fingerprint(),
            full_refresh=full_refresh,
        )
        con.execute("checkpoint")
    finally:
        con.close()


# --------------------------------------------------------------------------- the refresh lock


class RefreshLock:
    """An exclusive lock (flock) on a file holding the owner's pid.

    The kernel drops a flock when its process dies, so a lock left by a killed refresh is free again;
    the pid it still names tells us we recovered it (`recovered_from`).
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        self.recovered_from: int | None = None
        self._fd: int | None = None

    def acquire(self) -> RefreshLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            owner = self._owner()
            os.close(fd)
            raise LockHeld(
                f"another refresh is running (pid {owner}, lock {self.path}); "
                "wait for it to finish or check `tradeflow status`"
            ) from None
        owner = self._owner()
        if owner is not None and owner != os.getpid():
            self.recovered_from = owner  # a stale lock: its process is gone
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"pid": os.getpid(), "started_at": datetime.now(UTC).isoformat()}).encode(), 0)
        os.fsync(fd)
        self._fd = fd
        return self

    def _owner(self) -> int | None:
        try:
            return int(json.loads(self.path.read_text())["pid"])
        except (FileNotFoundError, ValueError, KeyError, TypeError, json.JSONDecodeError):
            return None

    def release(self) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> RefreshLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
