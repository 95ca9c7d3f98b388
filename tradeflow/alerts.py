"""Alerts: the `[alerts]` section of the configuration, the notify command, staleness.

    [alerts]
    # run through /bin/sh with TRADEFLOW_ALERT_SUBJECT, TRADEFLOW_ALERT_BODY and TRADEFLOW_ALERT_STATUS
    # in its environment (never a secret in the text: the body is the refresh's reason)
    command = 'mail -s "$TRADEFLOW_ALERT_SUBJECT" ops@example.org <<< "$TRADEFLOW_ALERT_BODY"'
    stale_after_hours = 36        # the published version older than this is stale
    partial_is_success = false    # exit 3 (published, some partitions failed) counted as success?

Used by `tradeflow notify` (the systemd notify unit and the cron line run it), `tradeflow status
--check-stale` (the staleness timer) and `tradeflow refresh` (which exits 0 instead of 3 only when
`partial_is_success = true`).
"""

from __future__ import annotations

import os
import subprocess
import tomllib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from extract.errors import ConfigError

NOTIFY_TIMEOUT_SECONDS = 60
KEYS = {"command", "stale_after_hours", "partial_is_success"}


@dataclass(frozen=True)
class Alerts:
    command: str | None = None
    stale_after_hours: float = 36.0
    partial_is_success: bool = False


def load_alerts(config_path: Path) -> Alerts:
    """The `[alerts]` section (every key optional); an unknown key or a wrong type is refused by name."""
    path = Path(config_path)
    try:
        data = tomllib.loads(path.read_text()).get("alerts", {})
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read [alerts]: {exc}") from None
    unknown = sorted(set(data) - KEYS)
    if unknown:
        raise ConfigError(f"{path}: [alerts] unknown key {unknown[0]!r}; known: {', '.join(sorted(KEYS))}")
    command = data.get("command")
    if command is not None and (not isinstance(command, str) or not command.strip()):
        raise ConfigError(f"{path}: [alerts] command must be a non-empty string (a shell command)")
    hours = data.get("stale_after_hours", 36)
    if isinstance(hours, bool) or not isinstance(hours, int | float) or hours <= 0:
        raise ConfigError(f"{path}: [alerts] stale_after_hours must be a positive number, not {hours!r}")
    partial = data.get("partial_is_success", False)
    if not isinstance(partial, bool):
        raise ConfigError(f"{path}: [alerts] partial_is_success must be true or false, not {partial!r}")
    return Alerts(command, float(hours), partial)


def notify(alerts: Alerts, subject: str, body: str, status: str) -> int:
    """Run the configured command (bounded in time); its exit status, or 0 when none is configured."""
    if not alerts.command:
        return 0
    env = {
        **os.environ,
        "TRADEFLOW_ALERT_SUBJECT": subject,
        "TRADEFLOW_ALERT_BODY": body,
        "TRADEFLOW_ALERT_STATUS": status,
    }
    try:
        proc = subprocess.run(
            ["/bin/sh", "-c", alerts.command], env=env, timeout=NOTIFY_TIMEOUT_SECONDS, check=False, capture_output=True
        )
    except subprocess.TimeoutExpired:
        return 124
    return proc.returncode


# How often each source publishes new data (days): a source with no new data for longer is stale.
# `cadence_days` in a source's section overrides it.
DEFAULT_CADENCE_DAYS = {
    "comtrade": 45,  # monthly releases, reporters late by weeks
    "eurostat_comext": 45,  # monthly (updated twice a day; a month's data mid-next-month)
    "imf": 45,
    "ecb": 45,  # the monthly series gains one observation a month
    "worldbank": 400,  # WDI: yearly
    "eurostat_fdi": 400,
    "national": 400,
    "wiiw_fdi": 400,
}


def freshness(rows: list[dict], cadences: dict[str, float | None], now: datetime) -> list[dict]:
    """Per source (ledger.source_freshness rows): days since new data was last loaded, against its cadence."""
    out = []
    for r in rows:
        cadence = cadences.get(r["source"]) or DEFAULT_CADENCE_DAYS.get(r["source"], 45)
        last = r.get("last_fetched_at")
        age = (now - datetime.fromisoformat(str(last))).total_seconds() / 86400 if last else None
        stale = age is None or age > cadence
        shown = "never" if age is None else f"{age:.0f} days ago"
        out.append(
            {
                "source": r["source"],
                "last_new_data": last,
                "age_days": None if age is None else round(age, 1),
                "cadence_days": cadence,
                "status": "stale" if stale else "fresh",
                "reason": f"last new data {shown}, expected every {cadence:g} days",
            }
        )
    return out


def published_age_hours(built_at: str | None, now: datetime) -> float | None:
    """Hours since the published version was built (built_at: ISO, UTC, naive)."""
    if not built_at:
        return None
    return (now - datetime.fromisoformat(built_at)).total_seconds() / 3600


def staleness(info: dict, alerts: Alerts, now: datetime) -> list[str]:
    """Why the published warehouse is stale (empty: it is fresh): its age, and each source past its cadence."""
    problems = []
    version = info.get("version")
    if not version:
        problems.append("no version is published")
    else:
        age = published_age_hours(version.get("built_at"), now)
        if age is None or age > alerts.stale_after_hours:
            shown = "unknown" if age is None else f"{age:.0f} h"
            problems.append(
                f"the published version {version.get('version')} is {shown} old "
                f"(stale after {alerts.stale_after_hours:.0f} h)"
            )
    for f in info.get("freshness", []):
        if f.get("status") == "stale":
            problems.append(f"{f['source']}: {f['reason']}")
    return problems
