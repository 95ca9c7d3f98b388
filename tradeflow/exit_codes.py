"""Exit codes of every `tradeflow` command: one table, the same meaning whatever the command.

Orchestrators (cron, Airflow, Dagster) can branch on these; docs/cli.md shows the same table.
"""

from __future__ import annotations

OK = 0
"""Everything asked for was done (a refresh that found nothing new and kept the published version is OK too)."""
FAILED = 1
"""Nothing was achieved: an error before or during the work (bad config, failing dbt tests, no warehouse, a bad
query). For refresh/demo: nothing was published, the last good warehouse stays in place."""
USAGE = 2
"""The command line was wrong (unknown option or command, missing argument): click's own code."""
PARTIAL = 3
"""Done, but some partitions failed: extract loaded the others, refresh/demo published with their earlier rows
kept. The failures are listed on stderr and in the run summary."""
BUSY = 4
"""Another refresh holds the lock on the warehouse: nothing was done; try again later."""

TABLE = [
    (OK, "ok", "everything asked for was done"),
    (FAILED, "failed", "nothing achieved; for refresh/demo nothing published, the last good warehouse stays"),
    (USAGE, "usage", "wrong command line (unknown option, missing argument)"),
    (PARTIAL, "partial", "done, but some partitions failed (listed on stderr and in the summary)"),
    (BUSY, "busy", "another refresh holds the warehouse lock; nothing done, try again later"),
]

REFRESH_STATUS = {"success": OK, "published_with_errors": PARTIAL, "failed": FAILED, "refused": BUSY}


def for_refresh(status: str) -> int:
    """The exit code of a refresh (or demo) that ended with this RefreshResult.status."""
    return REFRESH_STATUS.get(status, FAILED)


def for_extract(partitions_failed: int, partitions_loaded: int, partitions_skipped: int) -> int:
    """extract: OK when nothing failed; PARTIAL when some partitions failed and others were loaded or were already
    up to date; FAILED when every partition failed (a run that achieved nothing is not a success)."""
    if not partitions_failed:
        return OK
    return PARTIAL if (partitions_loaded or partitions_skipped) else FAILED


def for_error(exc: BaseException) -> int:
    return BUSY if type(exc).__name__ == "LockHeld" else FAILED


def markdown_table() -> str:
    lines = ["| code | name | meaning |", "|---|---|---|"]
    lines += [f"| {code} | {name} | {meaning} |" for code, name, meaning in TABLE]
    return "\n".join(lines)
