"""The one HTTP client: retries, Retry-After, validation, replay, recording, redaction, rate limit."""

from __future__ import annotations

import email.utils
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from extract.errors import BadResponse, NoRecording, RateLimited
from extract.http import Redactor, RetryPolicy, make_client, normalise_url, retry_after_seconds
from tests.helpers import JSON, write_cassette

URL = "https://api.example.org/v1/data?b=2&a=1"


class FakeClock:
    def __init__(self, start: float = 1_700_000_000.0):
        self.now = start
        self.slept: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def client(tmp_path, interactions, attempts=5):
    clock = FakeClock()
    c = make_client(
        "replay",
        cassettes=[write_cassette(tmp_path / "cas", interactions)],
        clock=clock.time,
        sleep=clock.sleep,
        retry=RetryPolicy(attempts=attempts, backoff_base=1.0, backoff_max=120.0, jitter=0.5),
    )
    return c, clock


def test_429_with_retry_after_seconds_retries_once_after_the_stated_delay(tmp_path):
    c, clock = client(tmp_path, [(URL, 429, {"Retry-After": "7"}, b"slow down"), (URL, 200, JSON, b'{"ok": 1}')])
    resp = c.get("test", URL)
    assert resp.json() == {"ok": 1}
    assert c.requests_made == 2
    assert clock.slept == [7.0]


def test_retry_after_as_http_date(tmp_path):
    clock = FakeClock()
    when = email.utils.formatdate(clock.now + 30, usegmt=True)
    assert retry_after_seconds(when, clock.now) == pytest.approx(30, abs=1)
    c, clock = client(tmp_path, [(URL, 503, {"Retry-After": when}, b""), (URL, 200, JSON, b"[]")])
    c.get("test", URL)
    assert len(clock.slept) == 1 and 28 <= clock.slept[0] <= 31


def test_repeated_500s_give_up_after_the_configured_tries(tmp_path):
    c, clock = client(tmp_path, [(URL, 500, {}, b"oops")], attempts=3)
    with pytest.raises(BadResponse, match=r"\[test\] .*v1/data.*HTTP 500 after 3 attempts"):
        c.get("test", URL)
    assert c.requests_made == 3
    # exponential backoff with jitter: 1*(1..1.5), 2*(1..1.5)
    assert len(clock.slept) == 2
    assert 1.0 <= clock.slept[0] <= 1.5 and 2.0 <= clock.slept[1] <= 3.0


def test_429_forever_raises_rate_limited(tmp_path):
    c, _ = client(tmp_path, [(URL, 429, {"Retry-After": "1"}, b"")], attempts=2)
    with pytest.raises(RateLimited, match="HTTP 429 after 2 attempts"):
        c.get("test", URL)


def test_other_4xx_is_not_retried(tmp_path):
    c, clock = client(tmp_path, [(URL, 404, {}, b"not found"), (URL, 200, JSON, b"{}")])
    with pytest.raises(BadResponse, match="HTTP 404: not found"):
        c.get("test", URL)
    assert c.requests_made == 1 and clock.slept == []


def test_html_page_with_status_200_is_a_typed_error(tmp_path):
    page = b"<!DOCTYPE html><html><body>Service maintenance</body></html>"
    c, _ = client(tmp_path, [(URL, 200, {"Content-Type": "text/html"}, page)])
    with pytest.raises(BadResponse, match="HTML page"):
        c.get("test", URL)


def test_truncated_json_is_a_typed_error_naming_the_url(tmp_path):
    c, _ = client(tmp_path, [(URL, 200, JSON, b'{"data": [{"a": 1}, {"a"')])
    with pytest.raises(BadResponse) as err:
        c.get("test", URL)
    assert "invalid or truncated JSON" in str(err.value)
    assert "api.example.org/v1/data" in str(err.value) and err.value.source == "test"


def test_wrong_content_type_is_a_typed_error(tmp_path):
    c, _ = client(tmp_path, [(URL, 200, {"Content-Type": "application/zip"}, b"PK\x03\x04")])
    with pytest.raises(BadResponse, match="wrong content type 'application/zip'"):
        c.get("test", URL)


def test_replay_fails_loudly_without_a_recording(tmp_path):
    c, _ = client(tmp_path, [(URL, 200, JSON, b"{}")])
    with pytest.raises(NoRecording, match="no recording for GET https://api.example.org/v1/other"):
        c.get("test", "https://api.example.org/v1/other")


def test_normalised_url_sorts_the_query_and_drops_secrets():
    a = normalise_url("https://API.example.org/x?subscription-key=SECRET&b=2&a=1")
    assert a == "https://api.example.org/x?a=1&b=2"
    assert normalise_url("https://api.example.org/x?a=1&b=2") == a


def test_redactor_hides_keys_in_urls_and_text():
    r = Redactor(["sekret-value-123"])
    assert r("https://h/x?apikey=abc&a=1") == "https://h/x?apikey=***&a=1"
    assert "sekret-value-123" not in r("header was sekret-value-123")


def test_rate_limit_spaces_requests_to_one_host(tmp_path):
    clock = FakeClock()
    c = make_client(
        "replay",
        cassettes=[write_cassette(tmp_path / "cas", [(URL, 200, JSON, b"{}")])],
        clock=clock.time,
        sleep=clock.sleep,
        min_interval=2.0,
    )
    c.get("test", URL)
    c.get("test", URL)
    assert clock.slept == [2.0]


# ------------------------------------------------------------------ the live path, on loopback only


class _Handler(BaseHTTPRequestHandler):
    calls: list[dict] = []

    def do_GET(self):  # noqa: N802 - http.server API
        _Handler.calls.append({"path": self.path, "headers": dict(self.headers)})
        if len(_Handler.calls) == 1:
            self.send_response(429)
            self.send_header("Retry-After", "0")
            self.end_headers()
            return
        body = json.dumps({"path": self.path}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture()
def local_server():
    _Handler.calls = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_live_mode_records_a_cassette_that_replays_identically(tmp_path, local_server):
    key = "live-secret-key-987"
    record_dir = tmp_path / "recorded"
    live = make_client(
        "live",
        record_to=record_dir,
        secrets=[key],
        min_interval=0.0,
        retry=RetryPolicy(attempts=3, backoff_base=0.01, jitter=0.0),
    )
    url = f"{local_server}/v1/data?reporter=398&apikey={key}"
    resp = live.get("test", url, headers={"Ocp-Apim-Subscription-Key": key})
    assert resp.json()["path"].startswith("/v1/data?reporter=398")
    # the 429 was retried for real over HTTP, and the key went out as a header
    assert len(_Handler.calls) == 2 and _Handler.calls[1]["headers"]["Ocp-Apim-Subscription-Key"] == key
    assert key not in resp.url
    # the cassette holds both answers, and no trace of the key
    for f in record_dir.iterdir():
        assert key.encode() not in f.read_bytes(), f
    replay = make_client("replay", cassettes=[record_dir])
    again = replay.get("test", f"{local_server}/v1/data?reporter=398")
    assert again.body == resp.body
