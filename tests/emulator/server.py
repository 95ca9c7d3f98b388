"""A small stateful HTTP emulator of the public sources, on 127.0.0.1, for the live code paths.

Live mode (the real `requests` adapter, not replay) is pointed at it through each source's base URL
setting: `Emulator.base_url(source, default)` swaps the scheme and host of the source's real base URL
for `http://127.0.0.1:<port>/<source>`, so every path below it is the real API's path.

What it serves:
- **Comtrade** (`/comtrade/...`, `ComtradeWorld`): `getDA` and `get` (data) answers whose rows are
  the real recorded rows of `data/recordings/comtrade/chn_2010_total` (comtradr's recording of China's
  2010 trade with Argentina and Germany) re-keyed to the reporter, partner, period, flow and commodity
  asked, with values scaled deterministically; a daily call quota that ends in the API Management
  refusal body (`{"statusCode": 429, "message": "Out of call volume quota. Quota will be replenished
  in HH:MM:SS."}`, status 429 by default; 403 is what Azure API Management answers by default, so
  `quota_status` can be set to it); revisions (a reporter-period's `lastReleased` moves and its values
  change); a renamed field.
- **Eurostat Comext** (`/eurostat_comext/...`, `ComextWorld`): the dataflow answer of
  `data/recordings/eurostat_comext/constructed_kz_kg_2019` with its `UPDATE_DATA` annotation set to the
  world's stamp, and SDMX-CSV data answers for any key; a query over `max_cells` (5,000,000) gets
  Eurostat's 413 `EXTRACTION_TOO_BIG` body (from `constructed_413_de_2019`, with the estimate filled in).
- **Any recorded cassette** (`cassettes={"imf": [dir, ...]}`): served by path and sorted query, under
  `/<source>/<recorded path>`.
- **Faults for any path**: `stall(substring, times, seconds)` holds the next matching answers longer
  than a client's timeout; `refuse_all()` answers 503 to everything (a source that is down).

Every request is logged (`Emulator.log`), with the status it got. Nights: `new_night()` resets the
quota counter (and only that), as a new UTC day does at Comtrade.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

PROJECT_DIR = Path(__file__).resolve().parents[2]
RECORDINGS = PROJECT_DIR / "data" / "recordings"
COMTRADE_RECORDING = RECORDINGS / "comtrade" / "chn_2010_total"
COMEXT_RECORDING = RECORDINGS / "eurostat_comext"

# An aggregate commodity code asked for is answered with these real HS6 codes of the Common High
# Priority List (seeds/chpl_products.csv): three rows per partner and flow instead of ~5,600.
AGGREGATE_ANSWER = {"AG6": ["847150", "851762", "854231"]}
QUOTA_MESSAGE = "Out of call volume quota. Quota will be replenished in {left}."
MAX_STALL_SECONDS = 30.0  # a stalled answer is never held longer than this (the fixture stays bounded)


@dataclass
class Logged:
    source: str
    path: str
    query: dict[str, str]
    status: int


# --------------------------------------------------------------------------- Comtrade


def _factor(*parts: str) -> float:
    """A deterministic factor in [0.5, 1.5) from the parts (the same request, the same values)."""
    h = hashlib.sha256("|".join(parts).encode()).digest()
    return 0.5 + int.from_bytes(h[:4], "big") / 2**32


@dataclass
class ComtradeWorld:
    """What the emulated Comtrade holds: released reporter-periods and their stamps, a quota, faults.

    released: (freq, reporter code, period code) -> lastReleased (ISO timestamp). `periods()` makes
    the usual set. quota: calls a night (None: unlimited), counted over data and getDA calls alike,
    refused ones included, as API Management counts them.
    """

    released: dict[tuple[str, str, str], str] = field(default_factory=dict)
    quota: int | None = None
    quota_status: int = 429
    total_records: int = 2_310_412  # getDA's totalRecords of the recorded China 2010 answer
    revisions: dict[tuple[str, str, str], int] = field(default_factory=dict)
    renamed: dict[str, str] = field(default_factory=dict)
    require_key: bool = True
    calls_tonight: int = 0
    refused_tonight: int = 0

    def __post_init__(self):
        self._data = json.loads((COMTRADE_RECORDING / "data_v1_get_C_A_HS_chn_2010_total.json").read_text())
        self._da = json.loads((COMTRADE_RECORDING / "getDA_C_A_HS_156_2010_constructed.json").read_text())
        self._templates = {row["flowCode"]: row for row in self._data["data"]}

    @staticmethod
    def periods(freq: str, first: int, last: int) -> list[str]:
        if freq == "A":
            return [str(y) for y in range(first, last + 1)]
        return [f"{y}{m:02d}" for y in range(first, last + 1) for m in range(1, 13)]

    def release(self, freq: str, reporters: list[str], periods: list[str], stamp: str = "2025-01-15T00:00:00"):
        for r in reporters:
            for p in periods:
                self.released[(freq, r, p)] = stamp

    def revise(self, freq: str, reporter: str, period: str, stamp: str) -> None:
        """A revision: the reporter-period is released again (new stamp) with different values."""
        key = (freq, reporter, period)
        if key not in self.released:
            raise KeyError(f"{key} was never released")
        self.released[key] = stamp
        self.revisions[key] = self.revisions.get(key, 0) + 1

    # ------------------------------------------------------------------ answers

    def answer(self, path: str, query: dict[str, str], headers) -> tuple[int, dict[str, str], bytes]:
        m = re.search(r"/(data/v1|public/v1)/(get|getDA|preview)/C/([AM])/HS$", path)
        if not m:
            return 404, {"Content-Type": "application/json"}, b'{"statusCode": 404, "message": "Resource not found"}'
        keyed = m.group(1) == "data/v1"
        if keyed and self.require_key and not headers.get("Ocp-Apim-Subscription-Key"):
            body = {"statusCode": 401, "message": "Access denied due to missing subscription key."}
            return 401, {"Content-Type": "application/json"}, json.dumps(body).encode()
        self.calls_tonight += 1
        if self.quota is not None and self.calls_tonight > self.quota:
            self.refused_tonight += 1
            body = {"statusCode": self.quota_status, "message": QUOTA_MESSAGE.format(left="05:59:59")}
            headers = {"Content-Type": "application/json", "Retry-After": "21599"}
            return self.quota_status, headers, json.dumps(body).encode()
        freq = m.group(3)
        rows = self._availability(freq, query) if m.group(2) == "getDA" else self._rows(freq, query)
        cap = 500 if m.group(2) == "preview" else 100_000
        count = len(rows)
        rows = rows[:cap]
        body = {"elapsedTime": "0.01 secs", "count": min(count, cap), "data": rows, "error": ""}
        return 200, {"Content-Type": "application/json; charset=utf-8"}, json.dumps(body).encode()

    def _availability(self, freq: str, query: dict[str, str]) -> list[dict]:
        base = self._da["data"][0]
        out = []
        for reporter in query.get("reporterCode", "").split(","):
            for period in query.get("period", "").split(","):
                stamp = self.released.get((freq, reporter, period))
                if stamp is None:
                    continue
                row = dict(base, freqCode=freq, reporterCode=int(reporter), period=int(period))
                row.update(lastReleased=stamp, totalRecords=self.total_records)
                row["datasetCode"] = int(f"{reporter}{period}{self.revisions.get((freq, reporter, period), 0)}")
                out.append(row)
        return out

    def _rows(self, freq: str, query: dict[str, str]) -> list[dict]:
        reporter = query.get("reporterCode", "")
        partners = query["partnerCode"].split(",") if query.get("partnerCode") else ["0", "32", "276"]
        flows = query["flowCode"].split(",") if query.get("flowCode") else ["M", "X"]
        cmds = [c for code in query.get("cmdCode", "TOTAL").split(",") for c in AGGREGATE_ANSWER.get(code, [code])]
        out = []
        for period in query.get("period", "").split(","):
            key = (freq, reporter, period)
            if key not in self.released:
                continue
            revision = self.revisions.get(key, 0)
            for partner in partners:
                for flow in flows:
                    for cmd in cmds:
                        out.append(self._row(freq, reporter, period, partner, flow, cmd, revision))
        return out

    def _row(self, freq, reporter, period, partner, flow, cmd, revision) -> dict:
        row = copy.deepcopy(self._templates.get(flow) or self._templates["M"])
        year = int(period[:4])
        month = 52 if freq == "A" else int(period[4:])
        row.update(
            freqCode=freq,
            refYear=year,
            refMonth=month,
            refPeriodId=int(f"{year}{(1 if freq == 'A' else month):02d}01"),
            period=period,
            reporterCode=int(reporter),
            reporterISO=None,
            reporterDesc=None,
            partnerCode=int(partner),
            partnerISO="W00" if partner == "0" else None,
            partnerDesc="World" if partner == "0" else None,
            flowCode=flow,
            cmdCode=cmd,
            aggrLevel=0 if cmd == "TOTAL" else len(cmd),
            isLeaf=len(cmd) == 6,
            cmdDesc="All Commodities" if cmd == "TOTAL" else None,
        )
        scale = _factor(reporter, period, partner, flow, cmd) * (1 + 0.1 * revision)
        for value in ("primaryValue", "cifvalue", "fobvalue"):
            if row.get(value) is not None:
                row[value] = round(row[value] * scale, 2)
        for old, new in self.renamed.items():
            if old in row:
                row[new] = row.pop(old)
        return row


# --------------------------------------------------------------------------- Eurostat Comext


@dataclass
class ComextWorld:
    """The emulated Comext: one dataflow stamp, data for any key, 413 over `max_cells`.

    Values are deterministic per cell and move with a revision (`revise`), which also moves the
    dataflow's UPDATE_DATA stamp, as Eurostat's twice-daily updates do.
    """

    update_data: str = "2024-11-14T23:00:00+0100"
    last_update: str = "14/11/24 23:00:00"
    max_cells: int = 5_000_000
    revision: int = 0

    def __post_init__(self):
        self._dataflow = (
            COMEXT_RECORDING / "constructed_kz_kg_2019" / "dataflow_DS-045409_constructed.xml"
        ).read_text()
        too_big = COMEXT_RECORDING / "constructed_413_de_2019" / "M_DE_KG+KZ_TOTAL_2_VALUE_2019_413_constructed.xml"
        # the fixture's own note (an XML comment) is not part of Eurostat's answer
        self._too_big = re.sub(r"<!--.*?-->\s*", "", too_big.read_text(), flags=re.S)

    def revise(self, update_data: str, last_update: str) -> None:
        self.update_data, self.last_update = update_data, last_update
        self.revision += 1

    def answer(self, path: str, query: dict[str, str], headers) -> tuple[int, dict[str, str], bytes]:  # noqa: ARG002
        if re.search(r"/dataflow/ESTAT/DS-045409/1\.0$", path):
            body = re.sub(
                r"<c:AnnotationTitle>[^<]*</c:AnnotationTitle>(<c:AnnotationType>UPDATE_DATA)",
                rf"<c:AnnotationTitle>{self.update_data}</c:AnnotationTitle>\1",
                self._dataflow,
            )
            return 200, {"Content-Type": "application/xml;charset=UTF-8"}, body.encode()
        m = re.search(r"/data/DS-045409/([^/]+)$", path)
        if not m:
            return 404, {"Content-Type": "text/plain"}, b"not found"
        dims = m.group(1).split(".")
        if len(dims) != 6:
            return 400, {"Content-Type": "text/plain"}, b"bad key"
        freq, *lists = dims
        codes = [d.split("+") for d in lists]
        periods = _periods_between(freq, query.get("startPeriod", ""), query.get("endPeriod", ""))
        cells = len(periods)
        for c in codes:
            cells *= len(c)
        if cells > self.max_cells:
            body = re.sub(r"estimated \d+ rows", f"estimated {cells} rows", self._too_big)
            return 413, {"Content-Type": "text/xml;charset=UTF-8"}, body.encode()
        lines = ["DATAFLOW,LAST UPDATE,freq,reporter,partner,product,flow,indicators,TIME_PERIOD,OBS_VALUE"]
        reporters, partners, products, flows, indicators = codes
        for r in reporters:
            for p in partners:
                for prod in products:
                    for f in flows:
                        for ind in indicators:
                            for t in periods:
                                value = round(1_000_000 * _factor(r, p, prod, f, ind, t) * (1 + 0.1 * self.revision))
                                lines.append(
                                    f"ESTAT:DS-045409(1.0),{self.last_update},{freq},{r},{p},{prod},{f},{ind},{t},{value}"
                                )
        return 200, {"Content-Type": "text/csv;charset=UTF-8"}, ("\n".join(lines) + "\n").encode()


def _periods_between(freq: str, start: str, end: str) -> list[str]:
    if freq == "A":
        return [str(y) for y in range(int(start[:4]), int(end[:4]) + 1)]
    out, (y, m) = [], (int(start[:4]), int(start[5:7]))
    while (y, m) <= (int(end[:4]), int(end[5:7])):
        out.append(f"{y}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


# --------------------------------------------------------------------------- recorded cassettes


class CassetteRoutes:
    """Recorded interactions of one source, by path and sorted query (secrets already removed)."""

    def __init__(self, directories: list[Path]):
        self._by_key: dict[tuple[str, str], tuple[int, dict, bytes]] = {}
        for d in directories:
            cassette = json.loads((Path(d) / "cassette.json").read_text())
            for entry in cassette["interactions"]:
                parts = urlsplit(entry["request"]["url"])
                key = (parts.path, urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True))))
                resp = entry["response"]
                body = (Path(d) / resp["body_file"]).read_bytes()
                self._by_key.setdefault(key, (resp["status"], resp.get("headers", {}), body))

    def answer(self, path: str, query: dict[str, str], headers) -> tuple[int, dict[str, str], bytes]:  # noqa: ARG002
        key = (path, urlencode(sorted(query.items())))
        if key not in self._by_key:
            return 404, {"Content-Type": "text/plain"}, f"no recording for {path}?{key[1]}".encode()
        return self._by_key[key]


# --------------------------------------------------------------------------- the server


@dataclass
class _Stall:
    substring: str
    times: int
    seconds: float


class Emulator:
    """The threaded server. Use as a context manager (or the `source_emulator` fixture)."""

    def __init__(
        self,
        *,
        comtrade: ComtradeWorld | None = None,
        comext: ComextWorld | None = None,
        cassettes: dict[str, list[Path]] | None = None,
    ):
        self.routes: dict[str, object] = {}
        if comtrade is not None:
            self.routes["comtrade"] = comtrade
        if comext is not None:
            self.routes["eurostat_comext"] = comext
        for source, dirs in (cassettes or {}).items():
            self.routes[source] = CassetteRoutes(dirs)
        self.comtrade = comtrade
        self.comext = comext
        self.log: list[Logged] = []
        self._stalls: list[_Stall] = []
        self._down = False
        self._lock = threading.Lock()
        self._released = threading.Event()  # set on stop: a stalled answer ends at once
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ control

    @property
    def root(self) -> str:
        assert self._server is not None, "the emulator is not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def base_url(self, source: str, default: str) -> str:
        """The source's real base URL with scheme and host replaced by this emulator's `/<source>`."""
        return f"{self.root}/{source}{urlsplit(default).path}".rstrip("/")

    def new_night(self) -> None:
        with self._lock:
            if self.comtrade is not None:
                self.comtrade.calls_tonight = 0
                self.comtrade.refused_tonight = 0

    def stall(self, substring: str, times: int = 1, seconds: float = 5.0) -> None:
        """Hold the next `times` answers whose path contains `substring` for `seconds` (<= 30)."""
        self._stalls.append(_Stall(substring, times, min(seconds, MAX_STALL_SECONDS)))

    def refuse_all(self, down: bool = True) -> None:
        self._down = down

    def calls(self, source: str, contains: str = "") -> list[Logged]:
        return [r for r in self.log if r.source == source and contains in r.path]

    def start(self) -> Emulator:
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = 60  # a client that stops reading cannot hold a server thread for ever

            def setup(self):
                super().setup()
                # headers and body are two writes: without this, Nagle + delayed ACK cost 40 ms an answer
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_GET(self):  # noqa: N802 - http.server's name
                emulator._handle(self)

            def log_message(self, *args):  # quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="source-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._released.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # ------------------------------------------------------------------ one request

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(h.path)
        source, _, rest = parts.path.lstrip("/").partition("/")
        path = "/" + rest
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        stall = None
        with self._lock:
            for s in self._stalls:
                if s.times > 0 and s.substring in parts.path:
                    s.times -= 1
                    stall = s.seconds
                    break
            if self._down:
                status, headers, body = 503, {"Content-Type": "text/plain"}, b"Service Unavailable"
            elif source not in self.routes:
                status, headers, body = 404, {"Content-Type": "text/plain"}, f"no source {source!r}".encode()
            else:
                status, headers, body = self.routes[source].answer(path, query, h.headers)
            self.log.append(Logged(source, path, query, status))
        if stall is not None and self._released.wait(stall):
            return  # stopped while stalled: drop the connection
        try:
            h.send_response(status)
            for k, v in headers.items():
                h.send_header(k, v)
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout): fine
            pass
