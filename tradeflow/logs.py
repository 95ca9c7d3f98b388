"""Logging: the rotating log file of a refresh (run id on every line) and the console, secrets masked."""

from __future__ import annotations

import logging
import logging.handlers
import os
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


def setup_logging(log_dir: Path, run_id: str) -> logging.Handler:
    """A rotating log file with the run id on every line; secrets masked. Remove it with `close_logging`."""
    log_dir.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(log_dir / "tradeflow.log", maxBytes=5_000_000, backupCount=5)
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


def setup_console_logging() -> None:
    """Warnings and errors to stderr as they happen, secrets masked."""
    handler = logging.StreamHandler()
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    handler.addFilter(_redactor())
    logging.getLogger().addHandler(handler)
