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
    table: list[dict] = field(default_factory=list)
    """The mart rows the chart draws (its columns as in the mart): shown under the chart and downloadable as CSV."""
    filters: dict[str, str] = field(default_factory=dict)
    """Which table column each page filter applies to: {"country": ..., "year": ..., "scope": ...}."""
    data_sources: list[str] = field(default_factory=list)
    """The ops source names whose data date the chart's caption states (ops.partitions.source)."""
