"""Logging: the rotating log file of a refresh (run id on every line) and the console, secrets masked."""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
from pathlib import Path

from extract.http import RedactingFilter, Redactor


def _redactor() -> RedactingFilter:
    return RedactingFilter(Redactor([os.environ.get("COMTRADE_API_KEY", "")]))


class _RunIdFilter(logging.Filter):
    def __init__(self, run_id: str):
        super().__init__()
        self.run_id = run_id

    def filter(self, record: logging.LogRecord) -> bool:
        record.run_id = self.run_id
        return True


class _LogFile(logging.handlers.RotatingFileHandler):
    """The log file; when it cannot be written (a full disk) one line says so, not a traceback per record."""

    _warned = False

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 - logging's name
        if not self._warned:
            self._warned = True
            exc = sys.exc_info()[1]
            sys.stderr.write(f"WARNING: the log file {self.baseFilename} is not written: {exc}\n")


def setup_logging(log_dir: Path, run_id: str) -> logging.Handler:
    """A rotating log file with the run id on every line; secrets masked. Remove it with `close_logging`."""
    log_dir.mkdir(parents=True, exist_ok=True)
    handler = _LogFile(log_dir / "tradeflow.log", maxBytes=5_000_000, backupCount=5)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s run=%(run_id)s %(name)s: %(message)s"))
    handler.addFilter(_RunIdFilter(run_id))
    handler.addFilter(_redactor())
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    return handler


def close_logging(handler: logging.Handler) -> None:
    logging.getLogger().removeHandler(handler)
    handler.close()


def setup_console_logging() -> logging.Handler:
    """Warnings and errors to stderr as they happen, secrets masked; returns the handler (for -v, --log-format)."""
    handler = logging.StreamHandler()
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    handler.addFilter(_redactor())
    logging.getLogger().addHandler(handler)
    return handler
