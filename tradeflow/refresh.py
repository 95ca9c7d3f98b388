"""The nightly refresh: plan -> extract changed partitions -> load -> dbt build (with tests) -> publish.

Everything is built in a private copy of the published warehouse; readers keep reading the published
version until the new one is complete and tested, then it is linked into place atomically (see
tradeflow/publish.py). A refresh whose dbt tests fail publishes nothing.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from extract import ledger
from extract.config import Config
from extract.errors import LockHeld, TradeflowError
from extract.pipeline import extract
from extract.settings import log_dir
from tradeflow import exit_codes, publish, space
from tradeflow.alerts import freshness
from tradeflow.dbt import DbtFailed, run_dbt
from tradeflow.logs import close_logging, setup_logging

log = logging.getLogger("tradeflow")


@dataclass
class RefreshResult:
    run_id: str
    status: str  # success | published_with_errors | failed
    reason: str = ""
    version: str | None = None
    steps: dict[str, float] = field(default_factory=dict)
    extract: dict = field(default_factory=dict)
    failing_tests: list[str] = field(default_factory=list)
    full_refresh: bool = False
    recovered_stale_lock_from: int | None = None
    summary_path: str | None = None
    pid: int = field(default_factory=os.getpid)
    started_at: str = field(default_factory=lambda: ledger.utcnow().isoformat(timespec="seconds"))
    ended_at: str | None = None
    published: dict = field(default_factory=dict)  # what is published at the end: version, problem, repaired
    build_path: str | None = None  # a failed build kept for its hint (removed by the next refresh)
    freshness: list[dict] = field(default_factory=list)  # per source: last new data against its cadence

    @property
    def exit_code(self) -> int:
        """The command's exit code (tradeflow/exit_codes.py: 0 ok, 1 failed, 3 partial, 4 busy)."""
        return exit_codes.for_refresh(self.status)


# dbt's parse of the project, kept between refreshes (P.builds/partial_parse.msgpack): dbt re-parses
# only the files that changed (it checks every file's hash), which saves ~4 s of each nightly build.
PARSE_CACHE = publish.PARSE_CACHE


def dbt_build_args(project_changed: bool) -> list[str]:
    """The `dbt build` of a refresh.

    New dbt code (or no published build): `--full-refresh`, with the seeds and the unit tests. The same
    code as the published build: an incremental build of what changed, without the seeds and their
    tests (they are part of the fingerprint, so they are the published build's, already tested) and
    without the unit tests (they test the code on fixed inputs, and this code passed them when it was
    first built); every other data test runs, on the changed periods for the large trade tables
    (macros/incremental_scope.sql).
    """
    if project_changed:
        return ["build", "--full-refresh"]
    return ["build", "--exclude", "resource_type:seed", "resource_type:unit_test"]


def refresh(
    cfg: Config,
    published: Path,
    *,
    command: str = "refresh",
    keep: int = 3,
    landing: Path | None = None,
    progress: bool = False,
    sources: list[str] | None = None,
) -> RefreshResult:
    """lock -> verify and repair what is published -> private copy (space checked) -> extract ->
    (nothing new: keep the published version) -> dbt build -> export + build record -> publish; every
    failure is reported, and what stays published is said as it is."""
    layout = publish.Layout(Path(published))
    run_id = ledger.Run(command=command).run_id
    handler = setup_logging(log_dir(), run_id)
    result = RefreshResult(run_id=run_id, status="failed")
    lock = publish.RefreshLock(layout.lock)
    try:
        take_lock(lock, result)
        write_run_record(layout, result, status="running")
        verify_published(layout, result)
        refuse_other_mode(layout, cfg)
        with timed(result, "copy"):
            build = prepare_private_copy(layout, run_id)
        with timed(result, "extract"):
            run = extract_changes(cfg, build, command=command, landing=landing, progress=progress, sources=sources)
        summarise_extract(result, run)
        check_reached(cfg, run)
        result.freshness = check_freshness(cfg, build)
        project_changed = previous_fingerprint(build) != publish.project_fingerprint()
        if nothing_new(layout, run, project_changed):
            keep_published(layout, result, run_id)
            return result
        with timed(result, "dbt"):
            dbt_build(layout, build, result, project_changed)
        with timed(result, "publish"):
            publish_build(layout, build, result, cfg, keep)
        summarise(result, run)
    except Exception as exc:  # noqa: BLE001 - every failure is reported, the last good version stays
        fail(layout, result, exc)
    finally:
        result.ended_at = ledger.utcnow().isoformat(timespec="seconds")
        if result.status != "refused":
            result.published = result.published or publish.inspect(layout)
        try:
            write_run_record(layout, result)  # before the lock is released: never seen as killed
        except OSError as exc:  # a full disk: the refresh's outcome is still printed and logged
            log.error("the run record %s is not written: %s", result.summary_path, exc)
        lock.release()
        close_logging(handler)
    return result


@contextmanager
def timed(result: RefreshResult, step: str):
    """Time one step into result.steps (also when it fails)."""
    t0 = time.monotonic()
    try:
        yield
    finally:
        result.steps[step] = round(time.monotonic() - t0, 3)


def take_lock(lock: publish.RefreshLock, result: RefreshResult) -> None:
    lock.acquire()
    if lock.recovered_from:
        result.recovered_stale_lock_from = lock.recovered_from
        log.warning("took over a stale refresh lock left by pid %s", lock.recovered_from)


def verify_published(layout: publish.Layout, result: RefreshResult) -> None:
    """Check the published version against its checksums; repair it from the kept versions."""
    state = publish.repair(layout)
    for line in state["repaired"]:
        log.warning("before the build: %s", line)
    if state["problem"] and not state["version"]:
        log.error("nothing good is published: %s; this refresh builds from nothing", state["problem"])
    result.published = state


def prepare_private_copy(layout: publish.Layout, run_id: str) -> Path:
    """The build file: a private copy of the published version, never opened by readers; the disk
    must have room for it, for dbt and for the export first (tradeflow/space.py)."""
    for name in publish.clean_builds(layout):
        log.info("removed %s, left by a killed or failed refresh", layout.builds / name)
    version = publish.published_version(layout)
    space.check(layout.builds, space.needed_bytes(layout.version_db(version) if version else None))
    build = publish.new_build(layout, run_id)
    log.info("building %s from %s", build, (publish.current(layout) or {}).get("version", "nothing"))
    return build


class NothingReached(TradeflowError):
    """No source was reached, or every source failed: nothing is published."""


def refuse_other_mode(layout: publish.Layout, cfg: Config) -> None:
    """A live refresh never starts from a warehouse built from replayed recordings (the demo), nor the
    demo from a live one: each published version records the mode it was built in."""
    current = publish.current(layout) or {}
    mode = current.get("mode")
    if mode and mode != cfg.mode:
        raise TradeflowError(
            f"{layout.published} holds a {mode} build (version {current.get('version')}): a {cfg.mode} refresh "
            f"never starts from its rows; point TRADEFLOW_DB at another file (`make demo` builds "
            f"warehouse/demo/tradeflow.duckdb, `make run` warehouse/tradeflow.duckdb)"
        )


def extract_changes(
    cfg: Config, build: Path, *, command: str, landing: Path | None, progress: bool, sources: list[str] | None = None
) -> ledger.Run:
    """Plan, fetch and load what changed into the build file."""
    names = sources or cfg.enabled_sources()
    if not names:
        raise NothingReached(
            f"{cfg.path}: no source is enabled: a refresh that contacts no source has nothing to publish "
            "(add [sources.<name>] sections, see config/tradeflow.toml)"
        )
    return extract(cfg, names, build, command=command, landing=landing, progress=progress)


def check_reached(cfg: Config, run: ledger.Run) -> None:
    """Fail (publish nothing) when every source failed: a run that reached nothing is not a success."""
    if run.outcomes and all(o.startswith("failed") for o in run.outcomes.values()):
        reasons = "; ".join(f"{name}: {o.removeprefix('failed: ')}" for name, o in run.outcomes.items())
        raise NothingReached(f"no source was reached ({len(run.outcomes)} failed), nothing published: {reasons}")


def check_freshness(cfg: Config, build: Path) -> list[dict]:
    """Each source's last new data against its expected cadence (logged when stale)."""
    with duckdb.connect(str(build), read_only=True) as con:
        rows = ledger.source_freshness(con)
    out = freshness(rows, {n: cfg.sources[n].cadence_days for n in cfg.sources}, ledger.utcnow())
    for f in out:
        if f["status"] == "stale":
            log.warning("[%s] stale: %s", f["source"], f["reason"])
    return out


def summarise_extract(result: RefreshResult, run: ledger.Run | None) -> None:
    if run is None:
        return
    result.extract = run.summary()
    log.info(
        "extract: %s loaded, %s skipped, %s failed, %s rows, %s requests",
        run.partitions_loaded,
        run.partitions_skipped,
        run.partitions_failed,
        run.rows_loaded,
        run.requests_made,
    )


def previous_fingerprint(db: Path) -> str | None:
    """The dbt project fingerprint of the build `db` was copied from (None: no build recorded)."""
    if not db.exists():
        return None
    with duckdb.connect(str(db), read_only=True) as con:
        return ledger.last_fingerprint(con)


def nothing_new(layout: publish.Layout, run: ledger.Run | None, project_changed: bool) -> bool:
    """No partition loaded, none failed, and the same dbt project as the published build: the
    published version is still right (a nightly run with nothing new costs only the change-metadata
    requests)."""
    return bool(
        publish.current(layout)
        and run is not None
        and not project_changed
        and not run.errors
        and run.partitions_loaded == 0
    )


def keep_published(layout: publish.Layout, result: RefreshResult, run_id: str) -> None:
    result.status = "success"
    result.version = publish.current(layout)["version"]
    result.reason = f"nothing new since version {result.version}: the published warehouse stays"
    log.info("%s", result.reason)
    discard_build(layout, run_id)


def dbt_build(layout: publish.Layout, build: Path, result: RefreshResult, project_changed: bool) -> None:
    """`dbt build` with every test on the build file, in a private target folder; new model code:
    incremental models are rebuilt from scratch once (--full-refresh)."""
    target = build.parent / "target"
    result.full_refresh = project_changed
    if project_changed:
        log.info("the dbt project changed since the published build: dbt build --full-refresh")
    parse_cache = layout.parse_cache
    if parse_cache.exists():
        target.mkdir(parents=True, exist_ok=True)
        _copy_best_effort(parse_cache, target / PARSE_CACHE)
    try:
        run_dbt(dbt_build_args(project_changed), db_path=build, capture=True, target_path=target)
    except DbtFailed as exc:
        result.failing_tests = exc.failures
        if exc.failures and not space.is_out_of_space(exc):
            result.build_path = str(build)  # kept for the hint: rerun a failing test on this private copy
        raise
    finally:
        if (target / PARSE_CACHE).exists():
            _copy_best_effort(target / PARSE_CACHE, parse_cache)
        shutil.rmtree(target, ignore_errors=True)


def _copy_best_effort(src: Path, dst: Path) -> None:
    """The parse cache only saves time: failing to copy it (a full disk) never fails a build."""
    tmp = dst.with_name(dst.name + ".tmp")
    try:
        shutil.copyfile(src, tmp)
        os.replace(tmp, dst)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        log.warning("dbt's parse cache not kept (%s): the next build parses the whole project", exc)


def publish_build(layout: publish.Layout, build: Path, result: RefreshResult, cfg: Config, keep: int) -> None:
    """Export the marts to Parquet and record the build inside the build folder, then publish the
    folder as the new version: checksums, verification and one switch of the `current` pointer."""
    publish.export_parquet(build, build.parent / "parquet")
    publish.record_build(
        build,
        version=result.run_id,
        run_id=result.run_id,
        config=str(cfg.path),
        steps=result.steps,
        extract=result.extract,
        full_refresh=result.full_refresh,
    )
    info = {
        "run_id": result.run_id,
        "built_at": ledger.utcnow().isoformat(timespec="microseconds"),
        "config": str(cfg.path),
        "mode": cfg.mode,  # a live refresh never starts from a replayed (demo) build, nor the reverse
    }
    publish.publish(layout, result.run_id, info, keep=keep)
    result.version = result.run_id
    result.published = publish.inspect(layout)


def summarise(result: RefreshResult, run: ledger.Run | None) -> None:
    if run is not None and run.errors:
        result.status = "published_with_errors"
        result.reason = f"published, but {len(run.errors)} partition(s) failed: {run.errors[0]}"
    else:
        result.status = "success"
        result.reason = f"published version {result.version}"
    if run is not None and run.stopped:
        result.reason += "; stopped early (resumes next run): " + "; ".join(
            f"{name}: {why}" for name, why in run.stopped.items()
        )
    log.info("%s", result.reason)


def fail(layout: publish.Layout, result: RefreshResult, exc: Exception) -> None:
    """Report a failure as it is: out of space translated, what stays published said truthfully."""
    if isinstance(exc, LockHeld):
        result.status, result.reason = "refused", str(exc)
        log.error("refresh refused: %s", exc)
        return
    result.status = "failed"
    if space.is_out_of_space(exc) and not isinstance(exc, space.NoSpace):
        exc = space.NoSpace(
            space.existing(layout.builds), space.needed_bytes(_published_db(layout)), space.free_bytes(layout.builds)
        )
    text = str(exc).splitlines()[0] if str(exc) else ""
    result.reason = text if isinstance(exc, TradeflowError) else f"{type(exc).__name__}: {text}"
    if result.build_path is None:
        discard_build(layout, result.run_id)
    before = result.published
    result.published = publish.inspect(layout)
    if not result.published["version"] and before.get("problem"):
        result.published["problem"] = before["problem"]  # why nothing is published (found before the build)
    log.error("refresh failed, %s: %s", stays_published(result.published), result.reason)


def _published_db(layout: publish.Layout) -> Path | None:
    version = publish.published_version(layout)
    return layout.version_db(version) if version else None


def stays_published(state: dict) -> str:
    """What a failed refresh leaves for readers, in words that are true."""
    if state.get("version") and not state.get("problem"):
        return f"the last good warehouse stays published (version {state['version']})"
    if state.get("version"):
        return f"the published version {state['version']} is damaged ({state['problem']})"
    problem = state.get("problem") or ""
    return "nothing is published" + (f" ({problem.removeprefix('nothing is published: ')})" if problem else "")


def discard_build(layout: publish.Layout, run_id: str) -> None:
    shutil.rmtree(layout.build_dir(run_id), ignore_errors=True)


def write_run_record(layout: publish.Layout, result: RefreshResult, status: str | None = None) -> None:
    """P.runs/<run_id>.json: written when the refresh starts (status running) and when it ends; a
    record still `running` whose process is gone is a killed refresh (see `status`)."""
    layout.runs.mkdir(parents=True, exist_ok=True)
    result.summary_path = str(layout.runs / f"{result.run_id}.json")
    record = {**result.__dict__, "status": status or result.status}
    tmp = Path(result.summary_path + ".tmp")
    tmp.write_text(json.dumps(record, indent=2, default=str) + "\n")
    os.replace(tmp, result.summary_path)


def status(published: Path, recent: int = 5, cfg: Config | None = None) -> dict:
    """What `tradeflow status` shows: the published version (verified, repaired from the kept
    versions when no refresh is running), recent refreshes (killed ones too), per source the
    partitions done and left and the nights left at its budget, freshness against its cadence, errors."""
    layout = publish.Layout(Path(published))
    lock = publish.RefreshLock(layout.lock)
    try:
        lock.acquire()
    except LockHeld:
        state = publish.inspect(layout)  # a refresh is running: look, do not touch
        running_pid = lock.owner()
    else:
        try:
            state = publish.repair(layout)
        finally:
            lock.release()
        running_pid = None
    out: dict = {
        "published": str(layout.published),
        "version": publish.current(layout) if state["version"] and not _damaged(state) else None,
        "problem": state["problem"] or (publish.inspect(layout)["problem"] if not state["version"] else None),
        "repaired": state["repaired"],
        "refreshes": recent_refreshes(layout, recent, running_pid),
        "sources": [],
        "freshness": [],
        "partitions_in_error": [],
        "versions_kept": [h["version"] for h in publish.history(layout)],
    }
    if out["version"]:
        try:
            with duckdb.connect(str(layout.published), read_only=True) as con:
                out["sources"] = ledger.source_freshness(con)
                out["partitions_in_error"] = ledger.partitions_in_error(con)
                budgets = ledger.latest_budgets(con)
            for s in out["sources"]:
                s.update(backlog(budgets.get(s["source"])))
            cadences = {n: cfg.sources[n].cadence_days for n in cfg.sources} if cfg else {}
            out["freshness"] = freshness(out["sources"], cadences, ledger.utcnow())
        except duckdb.Error as exc:
            out["problem"] = f"{layout.published} does not open: {str(exc).splitlines()[0]}"
    return out


def _damaged(state: dict) -> bool:
    """The pointer names a version that is still damaged (status while a refresh runs; nothing repaired)."""
    return bool(state["problem"] and not state["repaired"])


def recent_refreshes(layout: publish.Layout, recent: int, running_pid: int | None) -> list[dict]:
    out = []
    if not layout.runs.exists():
        return out
    for p in sorted(layout.runs.glob("*.json"))[-recent:]:
        try:
            r = json.loads(p.read_text())
        except json.JSONDecodeError:
            continue
        item = {k: r.get(k) for k in ("run_id", "status", "reason", "version", "steps", "started_at", "ended_at")}
        if item["status"] == "running" and r.get("pid") != running_pid:
            item["status"] = "killed"
            item["reason"] = f"killed or crashed: started {r.get('started_at')}, never ended (pid {r.get('pid')})"
        out.append(item)
    return out


def backlog(budget: dict | None) -> dict:
    """Partitions and calls left by the last budgeted run, and the nights they need at that budget."""
    if not budget or budget.get("budget") is None:
        return {"partitions_left": 0 if budget else None, "nights_left": None, "daily_budget": None}
    calls_left = budget.get("calls_left") or 0
    per_night = budget["budget"] - (budget.get("metadata_calls") or 0)
    nights = 0 if not calls_left else (-(-calls_left // per_night) if per_night > 0 else None)
    return {
        "partitions_left": budget.get("partitions_left") or 0,
        "calls_left": calls_left,
        "nights_left": nights,
        "daily_budget": budget["budget"],
        "stopped": budget.get("stopped"),
    }
