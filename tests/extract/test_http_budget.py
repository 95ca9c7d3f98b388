"""Daily budgets and exhausted quotas in the HTTP client, against the source emulator (live mode)."""

from __future__ import annotations

import pytest

from extract.errors import BudgetSpent, QuotaExceeded
from extract.http import RetryPolicy, is_quota_exhausted, make_client
from tests.emulator import ComtradeWorld

KEY = {"Ocp-Apim-Subscription-Key": "emulator-test-key"}


def da_url(emu) -> str:
    return emu.base_url("comtrade", "https://comtradeapi.un.org") + "/data/v1/getDA/C/A/HS"


def test_an_exhausted_quota_costs_one_refused_call_and_is_not_retried(source_emulator):
    world = ComtradeWorld(quota=3)
    world.release("A", ["398"], ["2023"])
    emu = source_emulator(comtrade=world)
    sleeps: list[float] = []
    client = make_client("live", min_interval=0.0, retry=RetryPolicy(attempts=5), sleep=sleeps.append)
    params = {"reporterCode": "398", "period": "2023"}
    for _ in range(3):
        client.get("comtrade", da_url(emu), params=params, headers=KEY)
    with pytest.raises(QuotaExceeded, match="Out of call volume quota"):
        client.get("comtrade", da_url(emu), params=params, headers=KEY)
    with pytest.raises(QuotaExceeded):  # stopped: nothing is sent any more
        client.get("comtrade", da_url(emu), params=params, headers=KEY)
    assert world.refused_tonight == 1
    assert len(emu.calls("comtrade")) == 4
    assert sleeps == []  # no backoff, no Retry-After wait (the header said 21,599 s)
    assert client.spent["comtrade"] == 4


def test_a_daily_budget_stops_before_sending(source_emulator):
    world = ComtradeWorld()
    world.release("A", ["398"], ["2023"])
    emu = source_emulator(comtrade=world)
    client = make_client("live", min_interval=0.0)
    client.budgets["comtrade"] = 2
    params = {"reporterCode": "398", "period": "2023"}
    client.get("comtrade", da_url(emu), params=params, headers=KEY)
    client.get("comtrade", da_url(emu), params=params, headers=KEY)
    with pytest.raises(BudgetSpent, match="daily budget of 2 calls spent"):
        client.get("comtrade", da_url(emu), params=params, headers=KEY)
    assert len(emu.calls("comtrade")) == 2
    client.get("other", da_url(emu), params=params, headers=KEY)  # another source has its own budget


def test_quota_bodies():
    assert is_quota_exhausted(
        403, b'{"statusCode": 403, "message": "Out of call volume quota. Quota will be replenished in 03:14:17."}'
    )
    assert is_quota_exhausted(
        429, b'{"statusCode": 429, "message": "Out of call volume quota. Quota will be replenished in 05:59:59."}'
    )
    assert not is_quota_exhausted(
        429, b'{"statusCode": 429, "message": "Rate limit is exceeded. Try again in 1 seconds."}'
    )
    assert not is_quota_exhausted(200, b"quota exceeded")
