"""One module per report section; each has a `build(con, names) -> Section`."""

from __future__ import annotations

from dataclasses import dataclass, field

import altair as alt


@dataclass
class Section:
    key: str
    heading: str
    how_to_read: str
    sources: str
    chart: alt.TopLevelMixin | None = None
    missing: str | None = None
    notes: list[str] = field(default_factory=list)
