"""Publishing the warehouse atomically, kept versions with checksums, verify and repair, the lock.

Layout next to the published path P (default warehouse/tradeflow.duckdb, or $TRADEFLOW_DB):

    P                              symlink -> P.versions/current/<name of P>   (made once, never moved)
    P.parquet/current              symlink -> ../P.versions/current/parquet   (made once, never moved)
    P.versions/current             symlink -> <version>: THE pointer; one rename switches everything
    P.versions/<version>/<name of P>   the DuckDB file of that version
    P.versions/<version>/parquet/  every mart of that version as <mart>.parquet
    P.versions/<version>/manifest.json  version, run, build time, config, sha256 and size of every file
    P.builds/<run_id>/             a build in progress (its DuckDB file, parquet/, dbt's target/)
    P.builds/partial_parse.msgpack dbt's parse cache, kept between refreshes
    P.runs/<run_id>.json           one record per refresh (written at its start, completed at its end)
    P.lock                         the refresh lock (tradeflow/lock.py)

Publishing a version is one `os.replace` of the `current` symlink (atomic on POSIX): a reader opening P
or P.parquet/current/<mart>.parquet resolves it at open time and gets one complete, tested version,
DuckDB and Parquet alike; a reader with a file already open keeps reading it. The history is the set of
version folders and their manifests, so it cannot disagree with what is published either.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from extract import faults, ledger
from extract.errors import TradeflowError
from extract.settings import PROJECT_DIR
from tradeflow.lock import RefreshLock

log = logging.getLogger("tradeflow.publish")

MANIFEST = "manifest.json"
PARSE_CACHE = "partial_parse.msgpack"


@dataclass(frozen=True)
class Layout:
    published: Path

    def _sibling(self, suffix: str) -> Path:
        return self.published.with_name(self.published.name + suffix)

    @property
    def versions(self) -> Path:
        return self._sibling(".versions")

    @property
    def builds(self) -> Path:
        return self._sibling(".builds")

    @property
    def parquet(self) -> Path:
        return self._sibling(".parquet")

    @property
    def lock(self) -> Path:
        return self._sibling(".lock")

    @property
    def runs(self) -> Path:
        return self._sibling(".runs")

    @property
    def current(self) -> Path:
        return self.versions / "current"

    @property
    def parse_cache(self) -> Path:
        return self.builds / PARSE_CACHE

    def version_dir(self, version: str) -> Path:
        return self.versions / version

    def version_db(self, version: str) -> Path:
        return self.version_dir(version) / self.published.name

    def build_dir(self, run_id: str) -> Path:
        return self.builds / run_id

    def build_db(self, run_id: str) -> Path:
        return self.build_dir(run_id) / self.published.name


class CorruptVersion(TradeflowError):
    """A version's files differ from its manifest (or the manifest is missing)."""


# --------------------------------------------------------------------------- files and manifests


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_json_atomic(path: Path, data: dict | list) -> None:
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(data, indent=2, default=str) + "\n")
    with open(tmp, "rb+") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(4 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _files_of(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST and not p.is_symlink())


def write_manifest(folder: Path, info: dict) -> dict:
    """Record the sha256 and size of every file of a finished build (its DuckDB file and Parquet)."""
    files = {}
    for path in _files_of(folder):
        with open(path, "rb+") as fh:
            os.fsync(fh.fileno())
        files[str(path.relative_to(folder))] = {"bytes": path.stat().st_size, "sha256": sha256_file(path)}
    manifest = {**info, "files": files}
    _write_json_atomic(folder / MANIFEST, manifest)
    return manifest


def read_manifest(folder: Path) -> dict | None:
    try:
        data = json.loads((folder / MANIFEST).read_text())
    except (FileNotFoundError, NotADirectoryError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("files"), dict) else None


def problem_of(layout: Layout, version: str) -> str | None:
    """Why a version cannot be published (None: every file is there with its recorded size and sha256)."""
    folder = layout.version_dir(version)
    if not folder.is_dir():
        return f"version {version}: its folder {folder} is missing"
    manifest = read_manifest(folder)
    if manifest is None:
        return f"version {version}: no readable {MANIFEST} in {folder}"
    if layout.published.name not in manifest["files"]:
        return f"version {version}: its manifest lists no {layout.published.name}"
    for name, want in manifest["files"].items():
        path = folder / name
        if not path.is_file():
            return f"version {version}: {path} is missing"
        size = path.stat().st_size
        if size != want["bytes"]:
            return f"version {version}: {path} has {size} bytes, {want['bytes']} were recorded (cut off or changed)"
        if sha256_file(path) != want["sha256"]:
            return f"version {version}: {path} does not match its recorded sha256 (changed or damaged)"
    return None


def verify(layout: Layout, version: str) -> None:
    problem = problem_of(layout, version)
    if problem:
        raise CorruptVersion(problem)


# --------------------------------------------------------------------------- what is published


def published_version(layout: Layout) -> str | None:
    """The version the `current` pointer names (whether or not its folder is intact)."""
    try:
        return os.readlink(layout.current).rstrip("/").split("/")[-1]
    except (FileNotFoundError, OSError):
        return None


def history(layout: Layout) -> list[dict]:
    """Every kept version with a manifest, oldest first (by build time)."""
    if not layout.versions.is_dir():
        return []
    out = []
    for folder in layout.versions.iterdir():
        if folder.is_dir() and not folder.is_symlink():
            manifest = read_manifest(folder)
            if manifest is not None:
                out.append({k: v for k, v in manifest.items() if k != "files"} | {"version": folder.name})
    return sorted(out, key=lambda h: (str(h.get("built_at", "")), h["version"]))


def current(layout: Layout) -> dict | None:
    """The published version's record (its manifest without the file list), None if nothing is published."""
    version = published_version(layout)
    if version is None:
        return None
    manifest = read_manifest(layout.version_dir(version))
    if manifest is None:
        return None
    return {k: v for k, v in manifest.items() if k != "files"} | {"version": version}


def _replace_symlink(link: Path, target: str) -> None:
    tmp = link.with_name(link.name + f".swap{os.getpid()}")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    os.symlink(target, tmp)
    os.replace(tmp, link)
    _fsync_dir(link.parent)


def _points_to(link: Path, target: str) -> bool:
    try:
        return link.is_symlink() and os.readlink(link) == target
    except OSError:
        return False


def switch(layout: Layout, version: str) -> None:
    """The one atomic step: `current` names `version`, for DuckDB, Parquet and the history at once."""
    _replace_symlink(layout.current, version)


def ensure_links(layout: Layout) -> list[str]:
    """The two fixed links readers open, through `current` (relative: the folder can be moved)."""
    made = []
    db_target = f"{layout.versions.name}/current/{layout.published.name}"
    if not _points_to(layout.published, db_target):
        layout.published.parent.mkdir(parents=True, exist_ok=True)
        _replace_symlink(layout.published, db_target)
        made.append(f"linked {layout.published} -> {db_target}")
    pq_link = layout.parquet / "current"
    pq_target = f"../{layout.versions.name}/current/parquet"
    if not _points_to(pq_link, pq_target):
        layout.parquet.mkdir(parents=True, exist_ok=True)
        if pq_link.is_dir() and not pq_link.is_symlink():
            shutil.rmtree(pq_link)
        _replace_symlink(pq_link, pq_target)
        made.append(f"linked {pq_link} -> {pq_target}")
    return made


def publish(layout: Layout, version: str, info: dict, keep: int = 3) -> dict:
    """Publish the finished, tested build of `version` (P.builds/<version>/: DuckDB file and parquet/).

    Checksums are recorded, the folder is moved into P.versions, verified, and `current` is switched to
    it; only then are the fixed links made (first publish) and old versions pruned.
    """
    build = layout.build_dir(version)
    shutil.rmtree(build / "target", ignore_errors=True)
    for wal in build.glob("*.wal"):  # a closed, checkpointed DuckDB file has none; never publish one
        raise TradeflowError(f"the build {build} still has a write-ahead log {wal.name}: not publishing it")
    record = {**info, "version": version}
    write_manifest(build, record)
    for path in _files_of(build):  # a published version is never written again: DuckDB refuses a
        path.chmod(0o444)  # read-write open of it (except as root); the checksums catch the rest
    layout.versions.mkdir(parents=True, exist_ok=True)
    target = layout.version_dir(version)
    if target.exists():
        shutil.rmtree(target)  # a folder of the same run left by a kill before its publish
    os.replace(build, target)
    _fsync_dir(layout.versions)
    faults.checkpoint("publish")  # crash tests: the version is in place but not yet published
    verify(layout, version)
    switch(layout, version)
    faults.checkpoint("published")  # crash tests: published, links and pruning not done yet
    ensure_links(layout)
    prune(layout, keep)
    return current(layout) or record


def prune(layout: Layout, keep: int) -> None:
    """Keep the newest `keep` versions and the published one; drop other folders of the versions dir."""
    kept = {h["version"] for h in history(layout)[-keep:]}
    cur = published_version(layout)
    if cur:
        kept.add(cur)
    for folder in layout.versions.iterdir():
        if folder.is_dir() and not folder.is_symlink() and folder.name not in kept:
            shutil.rmtree(folder)


def clean_builds(layout: Layout) -> list[str]:
    """Remove every build left by a killed or failed refresh (the caller holds the refresh lock)."""
    removed = []
    if not layout.builds.is_dir():
        return removed
    for path in layout.builds.iterdir():
        if path.name == PARSE_CACHE:
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        removed.append(path.name)
    return removed


def new_build(layout: Layout, run_id: str) -> Path:
    """A private copy of the published version to build into (or a new file when nothing is published)."""
    clean_builds(layout)
    build = layout.build_db(run_id)
    build.parent.mkdir(parents=True)
    version = published_version(layout)
    if version and layout.version_db(version).is_file():
        shutil.copyfile(layout.version_db(version), build)
    return build


# --------------------------------------------------------------------------- verify and repair


def inspect(layout: Layout) -> dict:
    """What is published and whether it is intact, read-only (for `status` while a refresh runs)."""
    version = published_version(layout)
    state = {"version": version, "problem": None, "repaired": []}
    if version is None:
        if layout.published.is_file() and not layout.published.is_symlink():
            state["problem"] = f"{layout.published} is a plain file of an older layout (not yet adopted)"
        elif layout.published.is_symlink():
            state["problem"] = (
                f"nothing is published: {layout.published} links to {layout.current}, which names no version"
            )
        return state
    state["problem"] = problem_of(layout, version)
    if state["problem"] is None and not _points_to(
        layout.published, f"{layout.versions.name}/current/{layout.published.name}"
    ):
        state["problem"] = f"{layout.published} is not linked to {layout.current}"
    return state


def repair(layout: Layout) -> dict:
    """Verify the published state and repair it from the kept versions (the caller holds the lock).

    - a plain published file (the layout before version folders) is adopted as a version;
    - a published version that is missing or does not match its checksums is replaced by the newest
      kept version that does; if none does, nothing stays published (a wrong file is worse than none);
    - nothing published but a complete, verified version kept (a kill before the first switch): it is
      published;
    - the fixed links are made if missing (a kill on the first publish).
    Returns {"version", "problem" (what was wrong, or None), "repaired" (what was done)}.
    """
    repaired: list[str] = []
    for tmp in list(layout.versions.glob("*.swap*")) + list(
        layout.published.parent.glob(f"{layout.published.name}.swap*")
    ):
        tmp.unlink(missing_ok=True)
    if layout.published.is_file() and not layout.published.is_symlink():
        repaired += adopt_legacy(layout)
    version = published_version(layout)
    problem = problem_of(layout, version) if version else None
    if version is None or problem:
        good = next(
            (
                h["version"]
                for h in reversed(history(layout))
                if h["version"] != version and not problem_of(layout, h["version"])
            ),
            None,
        )
        if good:
            switch(layout, good)
            repaired.append(
                f"republished version {good}" + (f" in place of the damaged one ({problem})" if problem else "")
            )
            log.warning("%s", repaired[-1])
            version = good
        elif version:
            layout.current.unlink()
            repaired.append(f"unpublished {version}: {problem}; no kept version is intact")
            log.error("%s", repaired[-1])
            version = None
    if version:
        repaired += ensure_links(layout)
    return {"version": version, "problem": problem, "repaired": repaired}


def adopt_legacy(layout: Layout) -> list[str]:
    """Turn the layout before version folders (P a plain file or hard link, P.versions/<v>.duckdb,
    P.parquet/<v>/) into version folders with manifests; P becomes the link through `current`."""
    done = []
    layout.versions.mkdir(parents=True, exist_ok=True)
    published_inode = layout.published.stat().st_ino
    candidates = [layout.published] + sorted(p for p in layout.versions.glob("*.duckdb") if p.is_file())
    adopted_current = None
    for path in candidates:
        if path != layout.published and path.stat().st_ino == published_inode:
            path.unlink()  # the kept copy of the published file: adopted with it
            continue
        try:
            with duckdb.connect(str(path), read_only=True) as con:
                row = ledger.latest_build(con)
        except duckdb.Error as exc:
            done.append(f"not adopted: {path} does not open as a DuckDB warehouse ({str(exc).splitlines()[0]})")
            continue
        version = row[0] or (
            path.stem if path != layout.published else "adopted-" + ledger.utcnow().strftime("%Y%m%dT%H%M%S")
        )
        folder = layout.version_dir(version)
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir()
        os.link(path, folder / layout.published.name)
        old_pq = layout.parquet / version
        if old_pq.is_dir() and not old_pq.is_symlink():
            os.replace(old_pq, folder / "parquet")
        else:
            export_parquet(folder / layout.published.name, folder / "parquet")
        write_manifest(folder, {"version": version, "run_id": version, "built_at": row[1], "adopted_from": str(path)})
        if path == layout.published:
            adopted_current = version
        else:
            path.unlink()
        done.append(f"adopted {path} as version {version}")
    if adopted_current:
        switch(layout, adopted_current)
        ensure_links(layout)
    for name in ("HISTORY.json", "CURRENT.json"):
        (layout.versions / name).unlink(missing_ok=True)
    return done


def rollback(layout: Layout) -> dict:
    """Republish the newest intact version built before the published one (holding the refresh lock)."""
    with RefreshLock(layout.lock):
        state = repair(layout)
        cur = state["version"]
        if cur is None:
            raise TradeflowError("nothing is published, so nothing to roll back from" + _because(state))
        hist = history(layout)
        idx = next(i for i, h in enumerate(hist) if h["version"] == cur)
        skipped = []
        for prev in reversed(hist[:idx]):
            problem = problem_of(layout, prev["version"])
            if problem:
                skipped.append(problem)
                continue
            switch(layout, prev["version"])
            return {**prev, "rolled_back_from": cur, "skipped": skipped, "repaired": state["repaired"]}
        if skipped:
            raise CorruptVersion(
                f"not rolled back: every older kept version is damaged ({'; '.join(skipped)}); "
                f"version {cur} stays published"
            )
        raise TradeflowError(f"version {cur} is the oldest kept version; nothing older to roll back to")


def _because(state: dict) -> str:
    return f" ({state['problem']})" if state.get("problem") else ""


# --------------------------------------------------------------------------- what a version holds


def sql_string(value: str | Path) -> str:
    """A SQL string literal (for statements that take no parameters, such as COPY ... TO)."""
    return "'" + str(value).replace("'", "''") + "'"


def sql_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


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
            con.execute(f"copy marts.{sql_identifier(t)} to {sql_string(tmp / (t + '.parquet'))} (format parquet)")
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
