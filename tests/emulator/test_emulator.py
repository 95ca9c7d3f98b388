"""The emulator answers as the sources do, through the live HTTP client (no replay adapter)."""

from __future__ import annotations

import json

import pytest
import requests

from extract.errors import BadResponse, SourceError
from extract.http import RetryPolicy, make_client
from tests.emulator.server import RECORDINGS, ComextWorld, ComtradeWorld

COMTRADE = "https://comtradeapi.un.org"
COMEXT = "https://ec.europa.eu/eurostat/api/comext/dissemination/sdmx/2.1"
KEY = {"Ocp-Apim-Subscription-Key": "emulator-test-key"}


def live_client(**kw):
    return make_client("live", min_interval=0.0, retry=RetryPolicy(attempts=1), **kw)


def test_comtrade_rows_are_the_recorded_rows_rekeyed(source_emulator):
    world = ComtradeWorld()
    world.release("M", ["398"], ["202301", "202302"])
    emu = source_emulator(comtrade=world)
    base = emu.base_url("comtrade", COMTRADE)
    client = live_client()
    da = client.get(
        "comtrade",
        f"{base}/data/v1/getDA/C/M/HS",
        params={"reporterCode": "398,417", "period": "202301,202302,202303"},
        headers=KEY,
    ).json()
    assert [(r["reporterCode"], r["period"], r["lastReleased"]) for r in da["data"]] == [
        (398, 202301, "2025-01-15T00:00:00"),
        (398, 202302, "2025-01-15T00:00:00"),
    ]
    params = {"reporterCode": "398", "period": "202301", "partnerCode": "643,0", "flowCode": "M,X", "cmdCode": "TOTAL"}
    data = client.get("comtrade", f"{base}/data/v1/get/C/M/HS", params=params, headers=KEY).json()
    recorded = json.loads((RECORDINGS / "comtrade/chn_2010_total/data_v1_get_C_A_HS_chn_2010_total.json").read_text())
    assert data["count"] == 4
    assert {(r["partnerCode"], r["flowCode"]) for r in data["data"]} == {(643, "M"), (643, "X"), (0, "M"), (0, "X")}
    assert set(data["data"][0]) == set(recorded["data"][0])  # every recorded field, no other
    # the same request gives the same values (deterministic), and a row keeps the recorded units
    again = client.get("comtrade", f"{base}/data/v1/get/C/M/HS", params=params, headers=KEY).json()
    assert [r["primaryValue"] for r in again["data"]] == [r["primaryValue"] for r in data["data"]]


def test_comtrade_daily_quota_ends_in_the_refusal_body(source_emulator):
    world = ComtradeWorld(quota=2)
    world.release("A", ["398"], ["2023"])
    emu = source_emulator(comtrade=world)
    url = emu.base_url("comtrade", COMTRADE) + "/data/v1/getDA/C/A/HS"
    params = {"reporterCode": "398", "period": "2023"}
    s = requests.Session()
    assert [s.get(url, params=params, headers=KEY, timeout=5).status_code for _ in range(2)] == [200, 200]
    refused = s.get(url, params=params, headers=KEY, timeout=5)
    assert refused.status_code == 429
    assert refused.json() == {
        "statusCode": 429,
        "message": "Out of call volume quota. Quota will be replenished in 05:59:59.",
    }
    assert world.refused_tonight == 1
    emu.new_night()  # a new day: the quota is back
    assert s.get(url, params=params, headers=KEY, timeout=5).status_code == 200


def test_comtrade_keyed_endpoint_refuses_a_missing_key(source_emulator):
    emu = source_emulator(comtrade=ComtradeWorld())
    r = requests.get(emu.base_url("comtrade", COMTRADE) + "/data/v1/get/C/A/HS", params={"period": "2023"}, timeout=5)
    assert r.status_code == 401


def test_comtrade_revision_moves_the_stamp_and_the_values(source_emulator):
    world = ComtradeWorld()
    world.release("A", ["860"], ["2022", "2023"])
    emu = source_emulator(comtrade=world)
    base = emu.base_url("comtrade", COMTRADE)
    client = live_client()
    params = {"reporterCode": "860", "period": "2023", "partnerCode": "643", "flowCode": "X", "cmdCode": "TOTAL"}
    before = client.get("comtrade", f"{base}/data/v1/get/C/A/HS", params=params, headers=KEY).json()["data"][0]
    world.revise("A", "860", "2023", "2025-06-01T00:00:00")
    after = client.get("comtrade", f"{base}/data/v1/get/C/A/HS", params=params, headers=KEY).json()["data"][0]
    assert after["primaryValue"] == pytest.approx(before["primaryValue"] * 1.1, rel=1e-6)
    da = client.get(
        "comtrade", f"{base}/data/v1/getDA/C/A/HS", params={"reporterCode": "860", "period": "2022,2023"}, headers=KEY
    )
    stamps = {r["period"]: r["lastReleased"] for r in da.json()["data"]}
    assert stamps == {2022: "2025-01-15T00:00:00", 2023: "2025-06-01T00:00:00"}


def test_comtrade_renamed_field(source_emulator):
    world = ComtradeWorld(renamed={"primaryValue": "primaryValueUSD"})
    world.release("A", ["398"], ["2023"])
    emu = source_emulator(comtrade=world)
    params = {"reporterCode": "398", "period": "2023", "partnerCode": "0", "cmdCode": "TOTAL"}
    rows = (
        live_client()
        .get("comtrade", emu.base_url("comtrade", COMTRADE) + "/data/v1/get/C/A/HS", params=params, headers=KEY)
        .json()["data"]
    )
    assert "primaryValue" not in rows[0] and rows[0]["primaryValueUSD"] > 0


def test_comext_413_over_five_million_cells_and_data_under(source_emulator):
    emu = source_emulator(comext=ComextWorld())
    base = emu.base_url("eurostat_comext", COMEXT)
    client = live_client()
    # 27 reporters x 20 partners x 5,000 products x 2 flows x 2 indicators x 12 months = 129.6 M cells
    products = "+".join(f"{i:06d}" for i in range(5000))
    reporters = "+".join(f"R{i}" for i in range(27))
    partners = "+".join(f"P{i}" for i in range(20))
    key = f"M.{reporters}.{partners}.{products}.1+2.VALUE_IN_EUROS+QUANTITY_IN_100KG"
    window = {"format": "SDMX-CSV", "startPeriod": "2023-01", "endPeriod": "2023-12"}
    with pytest.raises(BadResponse) as err:
        client.get("eurostat_comext", f"{base}/data/DS-045409/{key}", params=window, expect="csv")
    assert err.value.status == 413
    body = requests.get(f"{base}/data/DS-045409/{key}", params=window, timeout=5).text
    assert "estimated 129600000 rows, max authorised is 5000000" in body
    ok = client.get(
        "eurostat_comext",
        f"{base}/data/DS-045409/M.DE.KZ+KG.TOTAL.2.VALUE_IN_EUROS",
        params={"format": "SDMX-CSV", "startPeriod": "2019-01", "endPeriod": "2019-03"},
        expect="csv",
    )
    lines = ok.body.decode().splitlines()
    assert lines[0] == "DATAFLOW,LAST UPDATE,freq,reporter,partner,product,flow,indicators,TIME_PERIOD,OBS_VALUE"
    assert len(lines) == 1 + 2 * 3


def test_comext_dataflow_stamp_follows_revisions(source_emulator):
    world = ComextWorld()
    emu = source_emulator(comext=world)
    url = emu.base_url("eurostat_comext", COMEXT) + "/dataflow/ESTAT/DS-045409/1.0"
    assert (
        "2024-11-14T23:00:00+0100</c:AnnotationTitle><c:AnnotationType>UPDATE_DATA" in requests.get(url, timeout=5).text
    )
    world.revise("2024-12-13T23:00:00+0100", "13/12/24 23:00:00")
    assert (
        "2024-12-13T23:00:00+0100</c:AnnotationTitle><c:AnnotationType>UPDATE_DATA" in requests.get(url, timeout=5).text
    )


def test_a_stalled_answer_times_the_client_out(source_emulator):
    world = ComtradeWorld()
    world.release("A", ["398"], ["2023"])
    emu = source_emulator(comtrade=world)
    client = make_client("live", min_interval=0.0, retry=RetryPolicy(attempts=2, backoff_base=0.01, jitter=0))
    client.timeout = (2.0, 0.5)
    emu.stall("getDA", times=2, seconds=3)
    with pytest.raises(SourceError, match="ReadTimeout after 2 attempts"):
        client.get(
            "comtrade",
            emu.base_url("comtrade", COMTRADE) + "/data/v1/getDA/C/A/HS",
            params={"reporterCode": "398", "period": "2023"},
            headers=KEY,
        )
    assert client.requests_made == 2


def test_recorded_cassettes_are_served_by_path(source_emulator):
    cassette = RECORDINGS / "imf" / "imts_usa_xg_fob_2023-2026"
    emu = source_emulator(cassettes={"imf": [cassette]})
    entry = json.loads((cassette / "cassette.json").read_text())["interactions"][0]
    url = entry["request"]["url"]
    served = requests.get(
        emu.base_url("imf", url.split("?")[0]),
        params=dict(p.split("=", 1) for p in url.split("?", 1)[1].split("&")) if "?" in url else None,
        timeout=5,
    )
    assert served.status_code == entry["response"]["status"]
    assert served.content == (cassette / entry["response"]["body_file"]).read_bytes()


def test_a_source_that_is_down(source_emulator):
    emu = source_emulator(comtrade=ComtradeWorld())
    emu.refuse_all()
    r = requests.get(emu.base_url("comtrade", COMTRADE) + "/data/v1/getDA/C/A/HS", timeout=5)
    assert r.status_code == 503
    assert emu.calls("comtrade")[-1].status == 503
