"""Typed errors. Each says which source, which request or file, and what was wrong."""

from __future__ import annotations


class TradeflowError(Exception):
    """Base class of every error tradeflow raises on purpose."""


class ConfigError(TradeflowError):
    """The configuration file is invalid (unknown code, inverted range, unknown source...)."""


class SourceError(TradeflowError):
    """Something about one source's request, response or file was wrong."""

    def __init__(self, source: str, where: str, what: str, status: int | None = None):
        self.source = source
        self.where = where
        self.what = what
        self.status = status  # the HTTP status, where the error came from an HTTP answer
        super().__init__(f"[{source}] {where}: {what}")


class BadResponse(SourceError):
    """The response is not what was asked for: HTML instead of JSON, truncated body, API error object."""


class RateLimited(SourceError):
    """The server kept answering 429 after every retry."""


class StopForTonight(SourceError):
    """The source may not be asked anything more in this run: its daily budget is spent or its quota is
    exhausted. Not a failure: what is left is asked on the next run."""


class BudgetSpent(StopForTonight):
    """The source's daily budget (`daily_budget` calls) is spent for this run."""


class QuotaExceeded(StopForTonight):
    """The API refused a call because the key's call quota is exhausted (not retried: it lasts the day)."""


class SchemaDrift(SourceError):
    """A required field is missing (or a field has the wrong type) in a response or file."""

    def __init__(self, source: str, where: str, what: str, field: str | None = None):
        self.field = field
        super().__init__(source, where, what)


class Truncated(BadResponse):
    """A body or file ends inside a record: its last line has no line break, or it is shorter than declared."""


class ParseFailed(SourceError):
    """A partition's bytes could not be parsed (wrong encoding, empty, cut inside a field...)."""


class PartitionShrank(SourceError):
    """A reload would lose a large share of a partition's rows, or periods it had: held back."""


class NoRecording(SourceError):
    """Replay mode was asked for a request it has no recording of."""


class LockHeld(TradeflowError):
    """Another refresh holds the lock."""
