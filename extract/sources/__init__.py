"""The source registry: name -> class, imported lazily so one broken module cannot block the others."""

from __future__ import annotations

import importlib

from extract.errors import ConfigError

REGISTRY = {
    "comtrade": "extract.sources.comtrade:Comtrade",
    "eurostat_comext": "extract.sources.eurostat_comext:EurostatComext",
    "imf": "extract.sources.imf:Imf",
    "national": "extract.sources.national:National",
    "eurostat_fdi": "extract.sources.eurostat_fdi:EurostatFdi",
    "worldbank": "extract.sources.worldbank:WorldBank",
    "ecb": "extract.sources.ecb:Ecb",
    "wiiw_fdi": "extract.sources.wiiw_fdi:WiiwFdi",
}


def source_class(name: str):
    if name not in REGISTRY:
        raise ConfigError(f"unknown source {name!r}; known sources: {', '.join(sorted(REGISTRY))}")
    module, cls = REGISTRY[name].split(":")
    return getattr(importlib.import_module(module), cls)
