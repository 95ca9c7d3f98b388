"""The one HTTP client every source uses, live or replayed.

One seam: a `requests.Session` whose transport adapter is either the real `HTTPAdapter` (live) or
`ReplayAdapter` (serves recorded responses). Everything above the adapter (URL building, headers,
retries with backoff honouring Retry-After, the per-host rate limit, response validation, key
redaction) is the same code in both modes. Recording is a flag of the live mode (`RecordingAdapter`
wraps the live adapter and writes a cassette).

Cassette format (a directory; docs/extract.md, "Recordings", says how to record one):

    <dir>/cassette.json   {"version": 1, "interactions": [
                              {"request": {"method": "GET", "url": "<normalised url>"},
                               "response": {"status": 200, "headers": {...}, "body_file": "x.json"}}]}
    <dir>/<body files>    response bodies, byte for byte as received

The normalised URL is scheme://host/path?sorted query with every secret parameter removed. Several
interactions with the same key are served in order (a 429 then a 200); the last one repeats.
"""

from __future__ import annotations

import email.utils
import json
import logging
import os
import random
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
from requests.adapters import BaseAdapter, HTTPAdapter
from requests.structures import CaseInsensitiveDict
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from extract import __version__
from extract.errors import (
    BadResponse,
    BudgetSpent,
    NoRecording,
    QuotaExceeded,
    RateLimited,
    SourceError,
    StopForTonight,
    Truncated,
)

log = logging.getLogger(__name__)

USER_AGENT = f"tradeflow/{__version__} (+https://github.com/tradeflow/tradeflow; open trade-flow warehouse)"
SECRET_PARAMS = {"subscription-key", "subscription_key", "apikey", "api_key", "key", "token", "access_token"}
SECRET_HEADERS = {"ocp-apim-subscription-key", "authorization", "x-api-key"}
RETRY_STATUSES = {429, 500, 502, 503, 504}
# An exhausted call quota (Azure API Management, which fronts UN Comtrade, answers
# {"statusCode": 403|429, "message": "Out of call volume quota. Quota will be replenished in HH:MM:SS."}):
# it lasts until the quota renews, so it is never retried.
QUOTA_STATUSES = {403, 429}
QUOTA_MARKERS = (b"out of call volume quota", b"quota exceeded", b"quota will be replenished")


def is_quota_exhausted(status: int, body: bytes) -> bool:
    return status in QUOTA_STATUSES and any(m in body[:2000].lower() for m in QUOTA_MARKERS)


# --------------------------------------------------------------------------- secrets and URLs


class Redactor:
    """Removes secret values from any text before it is logged, stored or raised."""

    def __init__(self, secrets: Iterable[str] = ()):
        self._secrets = {s for s in secrets if s and len(s) >= 4}

    def add(self, secret: str | None) -> None:
        if secret and len(secret) >= 4:
            self._secrets.add(secret)

    def body(self, data: bytes) -> bytes:
        """Bodies are kept as received, except that a secret echoed back by a server is masked."""
        for secret in self._secrets:
            data = data.replace(secret.encode(), b"***")
        return data

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return re.sub(r"(?i)([?&](?:" + "|".join(re.escape(p) for p in SECRET_PARAMS) + r")=)[^&#]*", r"\1***", text)


def normalise_url(url: str) -> str:
    """scheme://host/path?sorted-query, secret parameters removed: the key of a recording."""
    parts = urlsplit(url)
    query = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k.lower() not in SECRET_PARAMS)
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path, urlencode(query), ""))


# --------------------------------------------------------------------------- transports


@dataclass
class Interaction:
    method: str
    url: str
    status: int
    headers: dict[str, str]
    body: bytes


class Cassette:
    """Recorded interactions in a directory (see the module docstring for the format)."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.path = self.directory / "cassette.json"
        self.interactions: list[dict] = []
        if self.path.exists():
            self.interactions = json.loads(self.path.read_text())["interactions"]

    def body(self, entry: dict) -> bytes:
        return (self.directory / entry["response"]["body_file"]).read_bytes()

    def append(self, item: Interaction, redact: Redactor) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"{len(self.interactions):04d}_{re.sub(r'[^A-Za-z0-9]+', '_', urlsplit(item.url).path)[-60:]}.body"
        body = redact.body(item.body)
        (self.directory / name).write_bytes(body)
        headers = {k: redact(v) for k, v in item.headers.items() if k.lower() not in SECRET_HEADERS}
        # the kept body is the decoded, redacted one: its length is what Content-Length says on replay
        headers = {k: v for k, v in headers.items() if k.lower() not in ("content-length", "content-encoding")}
        headers["Content-Length"] = str(len(body))
        self.interactions.append(
            {
                "request": {"method": item.method, "url": redact(normalise_url(item.url))},
                "response": {"status": item.status, "headers": headers, "body_file": name},
            }
        )
        self.path.write_text(json.dumps({"version": 1, "interactions": self.interactions}, indent=2) + "\n")


class ReplayAdapter(BaseAdapter):
    """Serves recorded responses keyed by method + normalised URL; fails loudly on anything else."""

    def __init__(self, cassettes: Iterable[Path]):
        super().__init__()
        self._by_key: dict[tuple[str, str], list[tuple[Cassette, dict]]] = {}
        self._served: dict[tuple[str, str], int] = {}
        self.requests_served = 0
        for directory in cassettes:
            cassette = Cassette(directory)
            for entry in cassette.interactions:
                key = (entry["request"]["method"].upper(), normalise_url(entry["request"]["url"]))
                self._by_key.setdefault(key, []).append((cassette, entry))

    def send(self, request, **kwargs):  # noqa: ARG002 - requests' adapter signature
        key = (request.method.upper(), normalise_url(request.url))
        if key not in self._by_key:
            raise NoRecording("replay", key[1], f"no recording for {key[0]} {key[1]}")
        i = self._served.get(key, 0)
        entries = self._by_key[key]
        cassette, entry = entries[min(i, len(entries) - 1)]
        self._served[key] = i + 1
        self.requests_served += 1
        response = requests.Response()
        response.status_code = entry["response"]["status"]
        response.headers = CaseInsensitiveDict(entry["response"].get("headers", {}))
        response._content = cassette.body(entry)
        response.url = request.url
        response.request = request
        response.reason = "replayed"
        return response

    def close(self):
        pass


class RecordingAdapter(HTTPAdapter):
    """The live adapter that also writes every response into a cassette (live mode, `--record`)."""

    def __init__(self, cassette_dir: Path, redact: Redactor, **kwargs):
        super().__init__(**kwargs)
        self.cassette = Cassette(cassette_dir)
        self.redact = redact

    def send(self, request, **kwargs):
        response = super().send(request, **kwargs)
        self.cassette.append(
            Interaction(request.method, request.url, response.status_code, dict(response.headers), response.content),
            self.redact,
        )
        return response


# --------------------------------------------------------------------------- rate limit and retries


class RateLimiter:
    """At most one request per `min_interval` seconds per host (thread-safe)."""

    def __init__(self, min_interval: float, clock: Callable[[], float], sleep: Callable[[float], None]):
        self.min_interval = min_interval
        self.clock = clock
        self.sleep = sleep
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, host: str) -> None:
        with self._lock:
            now = self.clock()
            last = self._last.get(host)
            if last is not None and now - last < self.min_interval:
                self.sleep(self.min_interval - (now - last))
                now = self.clock()
            self._last[host] = now


class RetryableStatus(Exception):
    def __init__(self, response: requests.Response):
        self.response = response
        super().__init__(f"HTTP {response.status_code}")


def retry_after_seconds(value: str | None, now: float) -> float | None:
    """Retry-After as seconds (an integer) or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)


@dataclass
class RetryPolicy:
    attempts: int = 5
    backoff_base: float = 1.0
    backoff_max: float = 120.0
    jitter: float = 0.5


# --------------------------------------------------------------------------- the client


@dataclass
class Response:
    source: str
    url: str  # redacted
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", self.headers.get("content-type", ""))

    def json(self):
        return parse_json(self.source, self.url, self.body)


def parse_json(source: str, where: str, body: bytes):
    head = body.lstrip()[:200].lower()
    if head.startswith(b"<!doctype html") or head.startswith(b"<html"):
        raise BadResponse(source, where, "got an HTML page where JSON was expected")
    try:
        return json.loads(body)
    except json.JSONDecodeError as exc:
        raise BadResponse(
            source, where, f"invalid or truncated JSON ({exc.msg} at char {exc.pos} of {len(body)})"
        ) from None


@dataclass
class HttpClient:
    """GET with timeouts, retries, rate limit and validation; counts every request it makes."""

    session: requests.Session
    redact: Redactor
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    timeout: tuple[float, float] = (10.0, 120.0)
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    min_interval: float = 1.0
    requests_made: int = 0
    sleeps: list[float] = field(default_factory=list)
    # per source: calls allowed in this run (a daily budget), calls made, and why a source is stopped
    budgets: dict[str, int] = field(default_factory=dict)
    spent: dict[str, int] = field(default_factory=dict)
    stopped: dict[str, StopForTonight] = field(default_factory=dict)

    def __post_init__(self):
        self.session.headers["User-Agent"] = USER_AGENT
        self.limiter = RateLimiter(self.min_interval, self.clock, self._sleep)

    def _sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.sleep(seconds)

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        backoff = min(self.retry.backoff_max, self.retry.backoff_base * 2 ** (state.attempt_number - 1))
        backoff += random.uniform(0, self.retry.jitter * backoff)
        if isinstance(exc, RetryableStatus):
            stated = retry_after_seconds(exc.response.headers.get("Retry-After"), self.clock())
            if stated is not None:
                return min(stated, self.retry.backoff_max)
        return backoff

    def _check_allowed(self, source: str, shown: str) -> None:
        """Raise instead of sending when the source is stopped for this run (budget spent, quota out)."""
        if source in self.stopped:
            raise self.stopped[source]
        budget = self.budgets.get(source)
        if budget is not None and self.spent.get(source, 0) >= budget:
            stop = BudgetSpent(
                source, shown, f"daily budget of {budget} calls spent; the rest is asked on the next run"
            )
            self.stopped[source] = stop
            raise stop

    def get(
        self,
        source: str,
        url: str,
        *,
        params: dict | None = None,
        headers: dict | None = None,
        expect: str | None = "json",
    ) -> Response:
        """GET `url`; raise a typed error naming the source and the (redacted) URL on failure.

        expect: "json" (body must parse as JSON and the content type must not be HTML),
        "csv", "xml", or None (anything).
        """
        prepared = self.session.prepare_request(requests.Request("GET", url, params=params, headers=headers))
        shown = self.redact(prepared.url)

        def once() -> requests.Response:
            self._check_allowed(source, shown)
            self.limiter.wait(urlsplit(prepared.url).netloc)
            self.requests_made += 1
            self.spent[source] = self.spent.get(source, 0) + 1
            log.debug("GET %s", shown)
            resp = self.session.send(prepared, timeout=self.timeout)
            if is_quota_exhausted(resp.status_code, resp.content):
                snippet = self.redact(resp.content[:300].decode("utf-8", "replace"))
                stop = QuotaExceeded(
                    source,
                    shown,
                    f"HTTP {resp.status_code}, call quota exhausted: {snippet} (not retried; the source "
                    "stops for this run and resumes on the next)",
                    status=resp.status_code,
                )
                self.stopped[source] = stop
                raise stop
            if resp.status_code in RETRY_STATUSES:
                raise RetryableStatus(resp)
            return resp

        retrying = Retrying(
            stop=stop_after_attempt(self.retry.attempts),
            wait=self._wait,
            sleep=self._sleep,
            retry=retry_if_exception(
                lambda e: isinstance(
                    e,
                    RetryableStatus
                    | requests.ConnectionError
                    | requests.Timeout
                    | requests.exceptions.ChunkedEncodingError,
                )
            ),
            reraise=True,
        )
        try:
            resp = retrying(once)
        except RetryableStatus as exc:
            status = exc.response.status_code
            cls = RateLimited if status == 429 else BadResponse
            raise cls(source, shown, f"HTTP {status} after {self.retry.attempts} attempts", status=status) from None
        except requests.exceptions.ChunkedEncodingError as exc:  # urllib3: body shorter than its Content-Length
            raise Truncated(
                source,
                shown,
                f"the answer was cut off after {self.retry.attempts} attempts ({self.redact(str(exc))}); try again later",
            ) from None
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise SourceError(
                source,
                shown,
                f"{type(exc).__name__} after {self.retry.attempts} attempts: {self.redact(str(exc))}",
            ) from None
        check_length(source, shown, resp)
        result = Response(source, shown, resp.status_code, dict(resp.headers), self.redact.body(resp.content))
        if resp.status_code >= 400:
            snippet = self.redact(resp.content[:300].decode("utf-8", "replace"))
            raise BadResponse(source, shown, f"HTTP {resp.status_code}: {snippet}", status=resp.status_code)
        check_body(result, expect)
        return result


def check_length(source: str, shown: str, resp: requests.Response) -> None:
    """A body shorter than its declared Content-Length was cut off: Truncated (live answers and replayed ones).

    Only where the length applies to the bytes as kept: a compressed answer (Content-Encoding) is
    decoded by requests, and its declared length is that of the compressed bytes.
    """
    declared = resp.headers.get("Content-Length")
    encoding = resp.headers.get("Content-Encoding", "identity").lower()
    if declared is None or encoding not in ("", "identity") or not declared.strip().isdigit():
        return
    if len(resp.content) < int(declared):
        raise Truncated(
            source,
            shown,
            f"the body has {len(resp.content):,} bytes where Content-Length declares {int(declared):,}: "
            "the answer was cut off; fetch it again (in replay: re-record the cassette)",
        )


def check_body(resp: Response, expect: str | None) -> None:
    ctype = resp.content_type.lower()
    head = resp.body.lstrip()[:100].lower()
    is_html = "text/html" in ctype or head.startswith(b"<!doctype html") or head.startswith(b"<html")
    if expect and is_html:
        raise BadResponse(resp.source, resp.url, f"got an HTML page (status {resp.status}) where {expect} was expected")
    if expect == "json":
        if ctype and "json" not in ctype and "javascript" not in ctype and "text/plain" not in ctype:
            raise BadResponse(resp.source, resp.url, f"wrong content type {ctype!r} where JSON was expected")
        resp.json()
    elif expect == "xml" and not head.startswith(b"<"):
        raise BadResponse(resp.source, resp.url, "body is not XML")
    elif expect == "csv" and not resp.body.strip():
        raise BadResponse(resp.source, resp.url, "empty CSV body")


def make_client(
    mode: str = "live",
    *,
    cassettes: Iterable[Path] = (),
    record_to: Path | None = None,
    secrets: Iterable[str] = (),
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
    retry: RetryPolicy | None = None,
    min_interval: float | None = None,
) -> HttpClient:
    """A client in `live` or `replay` mode. Replay never sleeps for the rate limit."""
    redact = Redactor(secrets)
    for name in ("COMTRADE_API_KEY",):
        redact.add(os.environ.get(name))
    session = requests.Session()
    if mode == "replay":
        adapter: BaseAdapter = ReplayAdapter(cassettes)
        interval = 0.0 if min_interval is None else min_interval
    elif mode == "live":
        adapter = RecordingAdapter(record_to, redact) if record_to else HTTPAdapter()
        interval = 1.0 if min_interval is None else min_interval
    else:
        raise ValueError(f"unknown HTTP mode {mode!r} (live or replay)")
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return HttpClient(session, redact, retry or RetryPolicy(), clock=clock, sleep=sleep, min_interval=interval)


class RedactingFilter(logging.Filter):
    """Installed on tradeflow's log handlers: no secret reaches a log line."""

    def __init__(self, redact: Redactor):
        super().__init__()
        self.redact = redact

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.redact(record.getMessage())
        record.args = ()
        return True
