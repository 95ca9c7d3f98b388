"""The caveats the report prints next to the charts they affect.

A short list kept here until docs/data-quality.md (written in another change) holds the full set; when it exists,
this list should quote it by heading. Each caveat names the charts (section keys) it sits next to.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Caveat:
    key: str
    title: str
    text: str
    charts: tuple[str, ...]


CAVEATS = [
    Caveat(
        "index_is_a_ratio",
        "An index is a ratio, not a level",
        "2019–2021 = 100 is the mean of the baseline years (for months, of the same calendar month). A small "
        "market can show a large index: read the EUR values in the data table before comparing countries.",
        ("rerouting_annual", "rerouting_monthly"),
    ),
    Caveat(
        "incomplete_year",
        "Incomplete years",
        "The latest year may hold only some months; it is compared with the same months of 2019–2021 (hollow points "
        "in the annual chart; months_covered in the data).",
        ("rerouting_annual", "top_rerouted_products"),
    ),
    Caveat(
        "declared_exports",
        "What the EU declares shipped",
        "These are EU27 exports as Eurostat records them. What the transit country records as arriving can differ "
        "(docs/queries.md, unrecorded arrivals); growth above the baseline is consistent with re-export to Russia "
        "but does not prove it.",
        ("rerouting_annual", "rerouting_monthly", "top_rerouted_products"),
    ),
    Caveat(
        "mirror_data",
        "Mirror data",
        "Where a Central Asian country reports nothing, its trade is the partner's report of the reverse flow "
        "(dashed lines, is_mirror in the data); Russia's side since 2022 is rebuilt this way.",
        ("russia_central_asia_trade",),
    ),
    Caveat(
        "cif_fob",
        "CIF/FOB",
        "Mirror values are converted with a flat factor (dbt var cif_fob_factor, default 1.10), so the two sides of "
        "a flow never match exactly.",
        ("russia_central_asia_trade",),
    ),
    Caveat(
        "fdi_host_side",
        "Host-side FDI, immediate investor",
        "Stocks are as the host's central bank reports them (directional principle) by immediate investor: "
        "investment routed through holding companies (e.g. in the Netherlands) counts for that country, not for the "
        "ultimate owner.",
        ("eu_investment_central_asia",),
    ),
    Caveat(
        "chpl_is_not_a_breach",
        "A listed product is not a breach",
        "A product on the Common High Priority List or under an EU export ban that grows to a transit country is a "
        "lead for checking, not evidence of circumvention; excess over a small baseline can be large.",
        ("top_rerouted_products",),
    ),
]


def for_chart(key: str) -> list[Caveat]:
    return [c for c in CAVEATS if key in c.charts]
