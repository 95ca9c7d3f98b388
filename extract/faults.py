"""Named pause points for crash testing (kill -9 at a known step). Inert unless configured.

Set TRADEFLOW_PAUSE_AT=<step> (fetch, load, dbt, publish) and TRADEFLOW_PAUSE_FILE=<path>: when the
refresh reaches that step it writes its pid to the file and sleeps TRADEFLOW_PAUSE_SECONDS (default
60), so a test can kill it exactly there.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

_seen: set[str] = set()


def checkpoint(step: str) -> None:
    if os.environ.get("TRADEFLOW_PAUSE_AT") != step or step in _seen:
        return
    _seen.add(step)
    marker = os.environ.get("TRADEFLOW_PAUSE_FILE")
    if marker:
        Path(marker).write_text(str(os.getpid()))
    time.sleep(float(os.environ.get("TRADEFLOW_PAUSE_SECONDS", "60")))
