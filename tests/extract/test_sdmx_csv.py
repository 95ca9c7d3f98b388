"""extract/readers/sdmx_csv.py: the one SDMX-CSV reader, on the recorded ECB and Comext answers and on cut bodies."""

from __future__ import annotations

import pytest

from extract.errors import BadResponse, SchemaDrift, Truncated
from extract.readers.sdmx_csv import read_sdmx_csv
from extract.sources import ecb
from extract.sources.eurostat_comext.api import SDMX_COLUMNS
from tests.helpers import PROJECT_DIR

RECORDINGS = PROJECT_DIR / "data" / "recordings"
ECB_ANNUAL = RECORDINGS / "ecb" / "constructed_exr_usd_eur_m_2020_a_2010_2024" / "a_2010_2024.csv"
COMEXT_DE = RECORDINGS / "eurostat_comext" / "constructed_kz_kg_2019" / "M_DE_KG+KZ_TOTAL_2_VALUE_2019_constructed.csv"
URL = "https://example.org/data"


def test_reads_the_recorded_ecb_answer_with_empty_fields_as_null():
    frame, warnings = read_sdmx_csv("ecb", URL, ECB_ANNUAL.read_bytes(), ecb.REQUIRED, ecb.KNOWN)
    assert warnings == []
    assert frame.height == 15 and frame.columns[:8] == list(ecb.REQUIRED)
    first = frame.row(0, named=True)
    assert (first["KEY"], first["TIME_PERIOD"], first["OBS_VALUE"]) == ("EXR.A.USD.EUR.SP00.A", "2010", "1.3257")
    assert first["OBS_PRE_BREAK"] is None  # an empty field
    assert first["TITLE_COMPL"] == "ECB reference exchange rate, US dollar/Euro, 2.15 pm (C.E.T.)"  # quoted comma


def test_reads_the_recorded_comext_answer():
    frame, warnings = read_sdmx_csv("eurostat_comext", URL, COMEXT_DE.read_bytes(), SDMX_COLUMNS, SDMX_COLUMNS)
    assert warnings == [] and frame.columns == SDMX_COLUMNS
    assert frame.row(0) == (
        "ESTAT:DS-045409(1.0)",
        "14/11/24 23:00:00",
        "M",
        "DE",
        "KG",
        "TOTAL",
        "2",
        "VALUE_IN_EUROS",
        "2019-01",
        "3200587",
    )


def test_a_bom_is_removed_and_an_unknown_column_is_a_warning():
    body = (
        b"\xef\xbb\xbf"
        + b"DATAFLOW,LAST UPDATE,freq,reporter,partner,product,flow,indicators,TIME_PERIOD,OBS_VALUE,EXTRA\n"
    )
    body += b"D,,M,DE,KG,TOTAL,2,VALUE_IN_EUROS,2019-01,1,x\n"
    frame, warnings = read_sdmx_csv("eurostat_comext", URL, body, SDMX_COLUMNS, SDMX_COLUMNS)
    assert frame["DATAFLOW"].to_list() == ["D"] and frame["LAST UPDATE"].to_list() == [None]
    assert warnings == [f"[eurostat_comext] {URL}: unknown field 'EXTRA' kept in the landing file, not loaded"]


def test_a_body_cut_inside_a_line_fails_naming_the_line():
    body = COMEXT_DE.read_bytes()
    cut = body[: body.index(b"\n", 300) - 12]  # the last line loses its last fields
    lines = cut.count(b"\n") + 1
    with pytest.raises(Truncated, match=rf"{URL} line {lines}: truncated: the last line has no line break"):
        read_sdmx_csv("eurostat_comext", URL, cut, SDMX_COLUMNS, SDMX_COLUMNS)
    # a line short of fields inside a body that ends as it should: the line is named too
    short = cut + b"\n" + body[body.index(b"\n", 300) + 1 :]
    with pytest.raises(SchemaDrift, match=rf"{URL} line {lines}: \d fields where the header has 10 \(truncated\?\)"):
        read_sdmx_csv("eurostat_comext", URL, short, SDMX_COLUMNS, SDMX_COLUMNS)


def test_a_body_cut_mid_number_fails_instead_of_loading_a_smaller_value():
    """92,043,870 cut to 92,043: every line still has its fields, only the missing line break tells."""
    body = COMEXT_DE.read_bytes()
    assert body.endswith(b"\n")
    frame, _ = read_sdmx_csv("eurostat_comext", URL, body, SDMX_COLUMNS, SDMX_COLUMNS)
    with pytest.raises(Truncated, match="truncated"):
        read_sdmx_csv("eurostat_comext", URL, body[:-4], SDMX_COLUMNS, SDMX_COLUMNS)


def test_an_empty_body_a_missing_column_and_bytes_that_are_not_utf8_fail():
    with pytest.raises(BadResponse, match="empty SDMX-CSV body"):
        read_sdmx_csv("ecb", URL, b"", ecb.REQUIRED, ecb.KNOWN)
    with pytest.raises(SchemaDrift, match="required field 'OBS_VALUE' is missing"):
        read_sdmx_csv(
            "ecb", URL, b"KEY,FREQ,CURRENCY,CURRENCY_DENOM,EXR_TYPE,EXR_SUFFIX,TIME_PERIOD\n", ecb.REQUIRED, ecb.KNOWN
        )
    with pytest.raises(BadResponse, match="not UTF-8"):
        read_sdmx_csv("ecb", URL, ",".join(ecb.REQUIRED).encode() + b"\n\xe9\n", ecb.REQUIRED, ecb.KNOWN)
