"""The source emulator (tests/emulator/server.py) and its pytest fixture (tests/emulator/fixtures.py)."""

from tests.emulator.server import ComextWorld, ComtradeWorld, Emulator

__all__ = ["ComextWorld", "ComtradeWorld", "Emulator"]
