"""Alerts: the [alerts] settings, the notify command, staleness; the deploy units that use them."""

from __future__ import annotations

import configparser
from datetime import datetime

import pytest

from extract.errors import ConfigError
from tests.helpers import PROJECT_DIR
from tradeflow.alerts import Alerts, load_alerts, notify, staleness


def test_alerts_settings_and_their_errors(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[run]\nmode = "live"\n')
    assert load_alerts(path) == Alerts()
    path.write_text('[alerts]\ncommand = "true"\nstale_after_hours = 12\npartial_is_success = true\n')
    assert load_alerts(path) == Alerts("true", 12.0, True)
    path.write_text('[alerts]\ncomand = "true"\n')
    with pytest.raises(ConfigError, match=r"\[alerts\] unknown key 'comand'"):
        load_alerts(path)
    path.write_text("[alerts]\nstale_after_hours = -1\n")
    with pytest.raises(ConfigError, match="stale_after_hours must be a positive number"):
        load_alerts(path)


def test_notify_runs_the_command_with_the_alert_in_its_environment(tmp_path):
    out = tmp_path / "alert.txt"
    alerts = Alerts(
        command=f'printf "%s|%s|%s" "$TRADEFLOW_ALERT_STATUS" "$TRADEFLOW_ALERT_SUBJECT" "$TRADEFLOW_ALERT_BODY" > {out}'
    )
    assert notify(alerts, "tradeflow refresh failed", "no source reached", "failed") == 0
    assert out.read_text() == "failed|tradeflow refresh failed|no source reached"
    assert notify(Alerts(command="exit 7"), "s", "b", "failed") == 7
    assert notify(Alerts(), "s", "b", "failed") == 0  # nothing configured: nothing run


def test_staleness_by_age_and_by_source_cadence():
    now = datetime(2026, 12, 2, 8, 0, 0)
    fresh = {"version": {"version": "v1", "built_at": "2026-12-02T02:40:00"}, "freshness": []}
    assert staleness(fresh, Alerts(), now) == []
    old = {"version": {"version": "v0", "built_at": "2026-11-29T02:40:00"}, "freshness": []}
    assert staleness(old, Alerts(stale_after_hours=36), now) == [
        "the published version v0 is 77 h old (stale after 36 h)"
    ]
    late = dict(fresh, freshness=[{"source": "imf", "status": "stale", "reason": "last new data 70 days ago"}])
    assert staleness(late, Alerts(), now) == ["imf: last new data 70 days ago"]
    assert staleness({"version": None}, Alerts(), now) == ["no version is published"]


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read(PROJECT_DIR / "deploy" / name)
    return parser


def test_the_refresh_unit_alerts_on_failure_and_does_not_count_exit_3_as_success():
    refresh = unit("tradeflow-refresh.service")
    assert refresh["Unit"]["OnFailure"] == "tradeflow-notify@%n.service"
    assert "SuccessExitStatus" not in refresh["Service"]
    assert " refresh --config " in refresh["Service"]["ExecStart"]
    notify_unit = unit("tradeflow-notify@.service")
    assert (
        " notify --config " in notify_unit["Service"]["ExecStart"]
        and "--unit %i" in notify_unit["Service"]["ExecStart"]
    )
    stale = unit("tradeflow-staleness.service")
    assert stale["Unit"]["OnFailure"] == "tradeflow-notify@%n.service"
    assert "status --config" in stale["Service"]["ExecStart"] and "--check-stale" in stale["Service"]["ExecStart"]
    cron = [
        line
        for line in (PROJECT_DIR / "deploy" / "crontab").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert len(cron) == 2 and all("|| .venv/bin/tradeflow notify" in line for line in cron)
