"""Run sources: plan -> skip unchanged -> fetch -> land -> parse -> load, with the ledger.

Fetch + land + parse of the next partition overlap the DuckDB load of the current one (one worker
thread, one partition ahead); the DuckDB connection and the ledger are used from the calling thread only.
"""

from __future__ import annotations

import errno
import hashlib
import logging
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
from tqdm import tqdm

from extract import faults, ledger
from extract.errors import ParseFailed, PartitionShrank, StopForTonight, TradeflowError
from extract.landing import Landed, land
from extract.load import ensure_table, load_partition, rollback_quietly, table_name
from extract.sources.base import Context, ParseResult, Partition, Source

log = logging.getLogger(__name__)
NEWLINE = b"\n"


def needs_fetch(p: Partition, state: dict | None, recent_periods: set[str]) -> bool:
    """Fetch a partition that is new, failed, or whose change stamp moved.

    A partition with no change stamp from its source is re-fetched while its period is inside the
    revision look-back window (and always when it was never loaded).
    """
    if state is None or state.get("status") != "loaded":
        return True
    path = p.params.get("path")
    if path is not None and not Path(path).exists():
        return True  # a configured file that vanished: its fetch fails and says so, never "unchanged"
    if p.source_updated_at is None:
        return p.period in recent_periods
    return state.get("source_updated_at") != p.source_updated_at


def recent(periods: Iterable[str | None], lookback: int) -> set[str]:
    ordered = sorted({p for p in periods if p})
    return set(ordered[-lookback:]) if lookback > 0 else set()


def budget_order(source: Source, todo: list[Partition], state: dict) -> list[Partition]:
    """Revisions first (partitions loaded before whose stamp moved), then the newest periods, back in
    time; partitions that share requests (a Comtrade group of periods) stay together, in plan order."""
    groups: dict = {}
    for p in todo:
        groups.setdefault(source.request_cost(p)[0], []).append(p)
    ordered = sorted(groups.values(), key=lambda ps: max(p.period or "" for p in ps), reverse=True)
    ordered.sort(key=lambda ps: not any((state.get((p.dataset, p.key)) or {}).get("status") == "loaded" for p in ps))
    return [p for ps in ordered for p in ps]


def within_budget(source: Source, todo: list[Partition], calls_left: int) -> tuple[list[Partition], int]:
    """The leading partitions of `todo` whose requests fit in `calls_left`, and the calls the rest need.
    A group of partitions sharing requests is taken whole or not at all."""
    take: list[Partition] = []
    paid: set = set()
    spend = 0
    rest_calls = 0
    stopped = False
    for p in todo:
        group, cost = source.request_cost(p)
        if group in paid:
            if not stopped:
                take.append(p)
            continue
        paid.add(group)
        if not stopped and spend + cost <= calls_left:
            spend += cost
            take.append(p)
        else:
            stopped = True
            rest_calls += cost
    return take, rest_calls


def run_source(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    ctx: Context,
    run: ledger.Run,
    *,
    progress: bool = False,
) -> None:
    """Extract and load one source. A failing partition is recorded and the others go on; the
    source's outcome (reached, or failed and why) goes to `run.outcomes`.

    While the main thread loads a partition into DuckDB, one worker thread fetches, lands and parses
    the next one (at most one partition ahead). Only the main thread uses the DuckDB connection and
    writes the ledger and the run's counters; partitions are loaded in plan order.
    """
    counts = (run.partitions_loaded, run.partitions_skipped, len(run.errors))
    try:
        _run_source(con, source, ctx, run, progress)
    finally:
        errors = run.errors[counts[2] :]
        answered = run.partitions_loaded > counts[0] or run.partitions_skipped > counts[1]
        # failed: errors and nothing loaded or found unchanged (a failed plan, every partition failed)
        run.outcomes[source.name] = f"failed: {errors[0]}" if errors and not answered else "ok"


def _run_source(con, source: Source, ctx: Context, run: ledger.Run, progress: bool) -> None:
    state = ledger.partition_state(con, source.name)
    observe = getattr(source, "observe_ledger", None)
    if observe is not None:  # optional: a source that plans with what was loaded before (Comtrade)
        observe(state)
    before = ctx.client.requests_made
    budget = ctx.client.budgets.get(source.name)
    try:
        partitions = source.plan(ctx)
    except StopForTonight as exc:  # the budget or the quota ran out while planning: nothing more tonight
        log.warning("%s", exc)
        run.stopped[source.name] = str(exc)
        spent = ctx.client.spent.get(source.name, 0)
        ledger.record_budget(con, run.run_id, source.name, budget, spent, None, None, str(exc), spent)
        return
    except (TradeflowError, OSError) as exc:
        if _out_of_space(exc):
            raise
        run.errors.append(str(exc))
        log.error("[%s] plan failed, nothing fetched from this source: %s", source.name, exc)
        ledger.record_failure(con, source.name, "*", "plan", run.run_id, str(exc))
        return
    finally:
        metadata = ctx.client.requests_made - before
        ctx.metadata_requests += metadata
    window = recent((p.period for p in partitions), ctx.lookback_periods)
    run.partitions_planned += len(partitions)
    todo = [p for p in partitions if needs_fetch(p, state.get((p.dataset, p.key)), window)]
    run.partitions_skipped += len(partitions) - len(todo)
    left, calls_left = 0, 0
    if budget is not None:
        todo = budget_order(source, todo, state)
        wanted = len(todo)
        todo, calls_left = within_budget(source, todo, budget - ctx.client.spent.get(source.name, 0))
        left = wanted - len(todo)
        if left:
            log.info(
                "[%s] daily budget %d: %d partition(s) this run, %d left for the next (%d calls)",
                source.name,
                budget,
                len(todo),
                left,
                calls_left,
            )
    try:
        _run_partitions(con, source, ctx, run, todo, state, progress)
    finally:
        if budget is not None or source.name in run.stopped:
            reason = run.stopped.get(source.name) or (f"daily budget of {budget} calls reached" if left else None)
            spent = ctx.client.spent.get(source.name, 0)
            ledger.record_budget(con, run.run_id, source.name, budget, spent, left, calls_left, reason, metadata)


def _run_partitions(
    con, source: Source, ctx: Context, run: ledger.Run, todo: list[Partition], state: dict, progress: bool
) -> None:
    if not todo:
        return
    # the ledger and the raw tables are made once here, not again for every partition
    ledger.ensure(con)
    present: dict[str, set[str]] = {}  # per dataset, the partition keys that have rows in its raw table
    for dataset in sorted({p.dataset for p in todo}):
        table = ensure_table(con, source.name, source.datasets[dataset])
        present[dataset] = {r[0] for r in con.execute(f"select distinct _partition_key from {table}").fetchall()}
    # a progress bar on a terminal only (tqdm turns itself off when stderr is not a TTY)
    bar = tqdm(todo, desc=f"{source.name}", unit="partition", disable=None if progress else True, leave=False)
    # One worker: fetches stay sequential and in plan order (a source's fetch may reuse the previous
    # call's answer, e.g. Comtrade's grouped periods), and the client is used by one thread at a time.
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"tradeflow-{source.name}")
    try:
        with fewer_checkpoints(con):
            ahead: Future[Prepared] = pool.submit(
                prepare, source, ctx, todo[0], state.get((todo[0].dataset, todo[0].key))
            )
            for i, p in enumerate(bar):
                bar.set_postfix_str(f"{p.dataset}/{p.key}"[-60:], refresh=False)
                current = ahead
                if i + 1 < len(todo):  # queued behind the current one: it starts when `current` is prepared
                    nxt = todo[i + 1]
                    ahead = pool.submit(prepare, source, ctx, nxt, state.get((nxt.dataset, nxt.key)))
                try:
                    load_one(
                        con,
                        source,
                        run,
                        p,
                        state.get((p.dataset, p.key)),
                        prepared=current.result(),
                        present=present[p.dataset],
                        accept_shrink=ctx.accept_shrink,
                    )
                except StopForTonight as exc:
                    # budget spent or quota exhausted: this partition and the rest wait for the next run
                    log.warning("%s", exc)
                    run.stopped[source.name] = str(exc)
                    break
                except (TradeflowError, OSError) as exc:
                    if _out_of_space(exc):
                        raise  # a full disk is not this partition's fault: the whole run stops
                    fail(con, source, run, p, str(exc))
                except Exception as exc:  # noqa: BLE001 - one partition's failure never stops the others
                    if _out_of_space(exc):
                        raise  # a full disk is not this partition's fault: the whole run stops
                    fail(con, source, run, p, f"[{source.name}] {p.dataset}/{p.key}: {type(exc).__name__}: {exc}")
    finally:
        # on an unexpected error: do not start what is queued, wait for the running one to end
        pool.shutdown(wait=True, cancel_futures=True)


def fail(con, source: Source, run: ledger.Run, p: Partition, error: str) -> None:
    run.partitions_failed += 1
    run.errors.append(error)
    log.error("%s", error)
    ledger.record_failure(con, source.name, p.dataset, p.key, run.run_id, error)


def _out_of_space(exc: BaseException) -> bool:
    """A full disk (Python's ENOSPC, or DuckDB's own "No space left on device"): not one partition's fault."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    return "no space left on device" in str(exc).lower()


CHECKPOINT_THRESHOLD = "1GB"


@contextmanager
def fewer_checkpoints(con: duckdb.DuckDBPyConnection):
    """Raise DuckDB's WAL auto-checkpoint threshold while a source's partitions are loaded, then restore it.

    At the default 16 MB the WAL of a few small partitions triggers a checkpoint that compresses the
    table's newest rows again and again (the cost grows with the table: 40% of the load at 1M rows).
    Durability is unchanged: every partition's commit is still written to the WAL and synced; the
    data is checkpointed once afterwards (by the next commit over the threshold or `checkpoint`).
    """
    try:
        before = con.execute("select current_setting('checkpoint_threshold')").fetchone()[0]
        con.execute(f"set checkpoint_threshold = '{CHECKPOINT_THRESHOLD}'")
    except duckdb.Error:  # not a setting of this database: load with what it has
        yield
        return
    try:
        yield
    finally:
        con.execute(f"set checkpoint_threshold = '{before}'")


@dataclass(frozen=True)
class Prepared:
    """A partition fetched, landed and (unless its bytes are those already loaded) parsed."""

    fetched_at: datetime
    landed: list[Landed]
    digest: str
    result: ParseResult | None  # None: the same bytes as what is loaded, nothing to parse


def prepare(source: Source, ctx: Context, p: Partition, state: dict | None) -> Prepared:
    """Fetch, land and parse one partition. Runs in the worker thread: no DuckDB, no ledger writes."""
    fetched_at = ledger.utcnow()
    bodies = source.fetch(ctx, p)
    landed = [
        land(
            ctx.landing_root,
            source.name,
            p.dataset,
            p.key,
            b.body,
            b.ext,
            fetched_at.strftime("%Y%m%dT%H%M%S"),
        )
        for b in bodies
    ]
    faults.checkpoint("fetch")  # crash tests: bytes landed, nothing loaded yet
    digest = (
        landed[0].sha256 if len(landed) == 1 else hashlib.sha256("".join(x.sha256 for x in landed).encode()).hexdigest()
    )
    if unchanged(state, digest):
        return Prepared(fetched_at, landed, digest, None)
    return Prepared(fetched_at, landed, digest, parse(source, p, bodies, landed))


def parse(source: Source, p: Partition, bodies, landed: list[Landed]) -> ParseResult:
    """The source's parse; any failure of it fails this partition only, naming the file or URL and the line.

    A source's own errors (SourceError: they name where and what) pass as they are; anything else a
    parser raises on bad bytes (a UnicodeDecodeError, polars' NoDataError or ComputeError on an empty or
    cut file, a TypeError on a row cut short) becomes a ParseFailed that says where the bytes came from
    (and the landed copy), the line where it can be told, and what to do.
    """
    try:
        return source.parse(p, bodies)
    except TradeflowError:
        raise
    except Exception as exc:  # noqa: BLE001 - a parser's failure on bad input is that partition's failure
        where = ", ".join(b.url for b in bodies) or f"{p.dataset}/{p.key}"
        line = ""
        if isinstance(exc, UnicodeDecodeError) and isinstance(exc.object, bytes | bytearray):
            line = " line " + str(exc.object.count(NEWLINE, 0, exc.start) + 1)
        detail = (str(exc).strip().splitlines() or [""])[0][:300]
        kept = "; ".join(str(x.path) for x in landed)
        raise ParseFailed(
            source.name,
            f"{where}{line}",
            f"could not be read as {p.dataset}: {type(exc).__name__}: {detail} "
            f"(bytes kept in {kept}); fix or replace the file (or wait for the source to correct its answer), "
            "then refresh again: the rows loaded before stay",
        ) from exc


def unchanged(state: dict | None, digest: str) -> bool:
    return bool(state and state.get("status") == "loaded" and state.get("sha256") == digest)


def load_one(
    con,
    source: Source,
    run: ledger.Run,
    p: Partition,
    state: dict | None,
    prepared: Prepared,
    present: set[str],
    accept_shrink: frozenset[str] = frozenset(),
) -> None:
    """Load one partition, prepared by `prepare` in the worker thread, into DuckDB. Main thread only.

    `present`: the keys of the partitions that have rows in the raw table (from `run_source`, which has
    made the ledger and the tables; kept up to date here): only those need their old rows deleted.
    """
    if prepared.result is None:
        # Same bytes as what is loaded: nothing to do (the stamp may have moved without a change).
        # Keep the raw rows and the ledger in step, in one transaction.
        if state.get("source_updated_at") != p.source_updated_at:
            table = table_name(source.name, source.datasets[p.dataset])
            con.execute("begin transaction")
            try:
                con.execute(
                    f"update {table} set _source_updated_at = ? where _partition_key = ?", [p.source_updated_at, p.key]
                )
                ledger.restamp(con, source.name, p.dataset, p.key, p.source_updated_at)
                con.execute("commit")
            except Exception:
                rollback_quietly(con)
                raise
        run.partitions_skipped += 1
        return
    result = prepared.result
    run.warnings.extend(result.warnings)
    for w in result.warnings:
        log.warning("%s", w)
    if p.key in present and state and state.get("status") == "loaded":
        check_shrink(con, source, p, result.frame, state, accepted=accept_shrink)
    n = load_partition(
        con,
        source=source.name,
        dataset=source.datasets[p.dataset],
        partition_key=p.key,
        frame=result.frame,
        source_updated_at=p.source_updated_at,
        fetched_at=prepared.fetched_at,
        sha256=prepared.digest,
        landing_path=";".join(str(x.path) for x in prepared.landed),
        run_id=run.run_id,
        ensure=False,
        replace=p.key in present,
    )
    present.add(p.key)
    run.partitions_loaded += 1
    run.rows_loaded += n


# A reload that loses more than SHRINK_LIMIT of a partition's rows (and at least SHRINK_MIN_ROWS rows:
# a revision of a tiny partition may drop a row or two), or any period it had, is held back.
SHRINK_LIMIT = 0.20
SHRINK_MIN_ROWS = 10
_PERIOD_COLUMNS = (("period",), ("time_period",), ("year", "month"), ("month",), ("year",), ("date",))


def period_columns(schema: dict) -> tuple[str, ...]:
    """The columns that say which period a raw row is of (the first layout of _PERIOD_COLUMNS the schema has)."""
    for cols in _PERIOD_COLUMNS:
        if all(c in schema for c in cols):
            return cols
    return ()


def shrink_accepted(accepted: frozenset[str], source: str, dataset: str, key: str) -> bool:
    """`--accept-shrink` names a source, a source/dataset, or a source/dataset/partition (or 'all')."""
    return bool({"all", source, f"{source}/{dataset}", f"{source}/{dataset}/{key}"} & accepted)


def check_shrink(con, source: Source, p: Partition, frame, state: dict, *, accepted: frozenset[str]) -> None:
    """Hold back a reload that loses more than SHRINK_LIMIT (and SHRINK_MIN_ROWS) of its rows, or a period it had.

    A half file (cut at a line boundary, so every line parses) is the typical cause: loading it would
    silently move published indicators. The rows loaded before stay; the partition is in error (named in
    `status`, refresh exit 3) until the file is complete again or the user accepts the shrink.
    """
    if shrink_accepted(accepted, source.name, p.dataset, p.key):
        return
    dataset = source.datasets[p.dataset]
    old_rows = state.get("row_count") or 0
    new_rows = frame.height
    problems = []
    if old_rows and new_rows < old_rows * (1 - SHRINK_LIMIT) and old_rows - new_rows >= SHRINK_MIN_ROWS:
        problems.append(f"{new_rows:,} rows where {old_rows:,} are loaded (-{1 - new_rows / old_rows:.0%})")
    cols = period_columns(dataset.schema)
    if cols:
        table = table_name(source.name, dataset)
        col_sql = ", ".join(f'"{c}"' for c in cols)
        old = {
            tuple(r)
            for r in con.execute(f"select distinct {col_sql} from {table} where _partition_key = ?", [p.key]).fetchall()
        }
        new = set(frame.select(list(cols)).unique().iter_rows())
        lost = sorted(old - new, key=str)
        if lost:
            shown = ", ".join("-".join(str(v) for v in t if v is not None) for t in lost[:6])
            problems.append(f"{len(lost)} period(s) it had are gone ({shown}{', ...' if len(lost) > 6 else ''})")
    if problems:
        raise PartitionShrank(
            source.name,
            f"{p.dataset}/{p.key}",
            "the new data would lose " + " and ".join(problems) + "; the rows loaded before are kept. If the "
            "source really dropped them, accept it: tradeflow refresh --accept-shrink "
            f"{source.name}/{p.dataset}/{p.key}",
        )
