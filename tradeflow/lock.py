"""The refresh lock: an exclusive flock on P.lock holding the owner's pid."""

from __future__ import annotations

import fcntl
import json
import os
from datetime import UTC, datetime
from pathlib import Path

from extract.errors import LockHeld


class RefreshLock:
    """An exclusive lock (flock) on a file holding the owner's pid.

    The kernel drops a flock when its process dies, so a lock left by a killed refresh is free again;
    the pid it still names tells us we recovered it (`recovered_from`).
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        self.recovered_from: int | None = None
        self._fd: int | None = None

    def acquire(self) -> RefreshLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            owner = self._owner()
            os.close(fd)
            raise LockHeld(
                f"another refresh is running (pid {owner}, lock {self.path}); "
                "wait for it to finish or check `tradeflow status`"
            ) from None
        owner = self._owner()
        if owner is not None and owner != os.getpid():
            self.recovered_from = owner  # a stale lock: its process is gone
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"pid": os.getpid(), "started_at": datetime.now(UTC).isoformat()}).encode(), 0)
        os.fsync(fd)
        self._fd = fd
        return self

    def owner(self) -> int | None:
        """The pid written in the lock file (the running refresh, or the last one to hold it)."""
        return self._owner()

    def _owner(self) -> int | None:
        try:
            return int(json.loads(self.path.read_text())["pid"])
        except (FileNotFoundError, ValueError, KeyError, TypeError, json.JSONDecodeError):
            return None

    def release(self) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> RefreshLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
