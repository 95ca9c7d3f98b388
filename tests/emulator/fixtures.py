"""The `source_emulator` fixture: an emulator started on a free port of 127.0.0.1, stopped after the test."""

from __future__ import annotations

import pytest

from tests.emulator.server import Emulator


@pytest.fixture()
def source_emulator():
    """A factory: `source_emulator(comtrade=ComtradeWorld(...), ...)` returns a started Emulator.

    Every emulator it started is stopped when the test ends (a stalled answer is released at once).
    """
    started: list[Emulator] = []

    def make(**worlds) -> Emulator:
        emulator = Emulator(**worlds).start()
        started.append(emulator)
        return emulator

    yield make
    for emulator in started:
        emulator.stop()
