"""extract/sources/eurostat_comext/web_export.py: the one web-export parse path, on the bundled files and edge cases."""

from __future__ import annotations

import pytest

from extract.errors import BadResponse, SchemaDrift
from extract.sources.base import Fetched, Partition
from extract.sources.eurostat_comext import EurostatComext
from extract.sources.eurostat_comext.web_export import parse_web_export
from tests.helpers import PROJECT_DIR

FILES = PROJECT_DIR / "data" / "files" / "eurostat_comext"
WHERE = "file:///drop/x.csv"

HEADER = b'"REPORTER","PARTNER","PRODUCT","FLOW","STAT_PROCEDURE","PERIOD","VALUE_IN_EUR"\n'
ROW_DE = b'"Germany (incl. German Democratic Republic \'DD\' from 1991)","Kazakhstan","TOTAL-Total","2-EXPORT","T-Total","201912-Dec. 2019",92043870\n'
ROW_CY = b'"Cyprus","Kazakhstan","TOTAL-Total","2-EXPORT","T-Total","202408-Aug. 2024",11421\n'
ROW_CY_BARE = b'"Cyprus","Kazakhstan","Total","EXPORT","Total","Aug. 2024",11421\n'
CELLS = ["reporter", "partner", "product", "flow", "stat_procedure", "freq", "period", "value_eur", "source_line"]
DE = ("DE", "KZ", "TOTAL", "2", "T", "M", "2019-12", 92043870.0, 2)
CY = ("CY", "KZ", "TOTAL", "2", "T", "M", "2024-08", 11421.0, 3)
REPEATED = f"[eurostat_comext] {WHERE}: 1 rows repeated verbatim were loaded once"


def parse(body: bytes):
    return parse_web_export("eurostat_comext", WHERE, body)


@pytest.mark.parametrize(
    ("body", "rows", "warnings"),
    [
        (HEADER + ROW_DE + ROW_CY, [DE, CY], []),
        (HEADER + ROW_DE + ROW_CY + ROW_DE, [DE, CY], [REPEATED]),  # repeated verbatim: loaded once, warned
        (HEADER + ROW_CY + ROW_CY_BARE, [CY[:-1] + (2,)], [REPEATED]),  # one cell under coded and bare labels
        (HEADER + ROW_DE + ROW_CY.replace(b"11421", b""), [DE, CY[:7] + (None, 3)], []),  # no value: null
        (HEADER + ROW_DE + ROW_CY.replace(b"11421", b'" 11421 "'), [DE, CY], []),
        (HEADER + ROW_DE + ROW_CY.replace(b"11421", b"1e3"), [DE, CY[:7] + (1000.0, 3)], []),
        (HEADER + ROW_DE + ROW_CY.replace(b"TOTAL-Total", b"Total"), [DE, CY], []),
        (b"\xef\xbb\xbf" + HEADER + ROW_DE, [DE], []),
        (HEADER, [], []),
    ],
)
def test_rows_of_a_web_export(body, rows, warnings):
    result = parse(body)
    assert result.frame.select(CELLS).rows() == rows
    assert result.warnings == warnings


@pytest.mark.parametrize(
    ("body", "error", "message"),
    [
        (HEADER + ROW_DE + ROW_CY.replace(b"11421", b"n/a"), SchemaDrift, "row 3: not a number: 'n/a' in VALUE_IN_EUR"),
        (
            HEADER + ROW_DE + ROW_CY.replace(b'"Cyprus"', b'"Atlantis"'),
            SchemaDrift,
            "row 3: unknown en label (not in seeds/eurostat_geo_labels.csv) 'Atlantis' in REPORTER",
        ),
        (
            HEADER + ROW_DE + ROW_CY.replace(b'"Cyprus"', b'""'),
            SchemaDrift,
            "row 3: unknown en label (not in seeds/eurostat_geo_labels.csv) '' in REPORTER",
        ),
        (
            HEADER + ROW_DE + ROW_CY.replace(b'"Cyprus"', b""),
            SchemaDrift,
            "row 3: unknown en label (not in seeds/eurostat_geo_labels.csv) None in REPORTER",
        ),
        (
            HEADER + ROW_DE + ROW_CY.replace(b"2-EXPORT", b"2-EXPORTATION"),  # a French row with an English label
            SchemaDrift,
            "row 3: unknown fr label (not in seeds/eurostat_geo_labels.csv) 'Cyprus' in REPORTER",
        ),
        (
            HEADER + ROW_DE + ROW_CY + ROW_DE.replace(b'"Kazakhstan"', b'"Nowhere"'),
            SchemaDrift,
            "row 4: unknown en label (not in seeds/eurostat_geo_labels.csv) 'Nowhere' in PARTNER",
        ),
        (
            HEADER + ROW_DE + ROW_CY.replace(b"2-EXPORT", b"1-EXPORT"),
            SchemaDrift,
            "row 3: unrecognised value '1-EXPORT' in FLOW",
        ),
        (
            HEADER + ROW_DE + ROW_CY.replace(b"202408-Aug. 2024", b"202408-Q3 2024"),
            SchemaDrift,
            "row 3: unrecognised value '202408-Q3 2024' in PERIOD",
        ),
        (
            HEADER + ROW_DE + ROW_CY.replace(b"T-Total", b"bad"),
            SchemaDrift,
            "row 3: unrecognised value 'bad' in STAT_PROCEDURE",
        ),
        (
            HEADER + ROW_CY + ROW_CY.replace(b"11421", b"11422"),
            BadResponse,
            "one cell has two different values: {'reporter': 'CY', 'partner': 'KZ', 'product': 'TOTAL', 'flow': '2',"
            " 'stat_procedure': 'T', 'period': '2024-08', 'len': 2}",
        ),
        (HEADER.replace(b'"PERIOD",', b"") + ROW_DE, BadResponse, "not a well-formed CSV file"),
        (
            HEADER.replace(b',"PERIOD"', b"") + ROW_DE.replace(b'"201912-Dec. 2019",', b""),
            SchemaDrift,
            "required field 'PERIOD' is missing",
        ),
    ],
)
def test_a_bad_web_export_fails_naming_the_row_and_the_value(body, error, message):
    with pytest.raises(error) as info:
        parse(body)
    assert f"[eurostat_comext] {WHERE}" in str(info.value) and message in str(info.value)


def test_french_rows_are_mapped_with_french_labels():
    annual = (FILES / "eu27_exports_to_all_partners_annual_2010-2023.csv").read_bytes()
    lines = annual.splitlines(keepends=True)
    french = [ln for ln in lines if b"EXPORTATION" in ln or b"IMPORTATION" in ln]
    assert len(french) == 248
    rows = parse(lines[0] + b"".join(french)).frame
    assert rows["reporter"].unique().to_list() == ["EU27_2020"]
    assert set(rows["period"]) == {"2016"}
    # 'Guinea' is Guinea-Bissau in French (GW), Guinea in English (GN)
    guinea_fr = b'"Union europ\xc3\xa9enne - 27 pays (AT, BE, BG, CY, CZ, DE, DK, EE, ES, FI, FR, GR, HR, HU, IE, IT, LT, LU, LV, MT, NL, PL, PT, RO, SE, SI, SK)","Guinea","Total","EXPORTATION","Total","Jan.-Dec. 2016",1\n'
    guinea_en = ROW_CY.replace(b'"Kazakhstan"', b'"Guinea"')
    both = parse(lines[0] + guinea_fr + guinea_en).frame
    assert both.select("partner", "partner_iso3").rows() == [("GW", "GNB"), ("GN", "GIN")]


def test_every_bundled_export_parses_to_its_rows():
    counts = {}
    for path in [
        *sorted(FILES.glob("eu*_monthly_2019-2024.csv")),
        FILES / "eu27_exports_to_all_partners_annual_2010-2023.csv",
    ]:
        result = parse(path.read_bytes())
        assert result.frame["reporter"].null_count() == 0 and result.frame["period"].null_count() == 0
        counts[path.name] = (result.frame.height, len(result.warnings))
    assert counts == {
        "eu_member_exports_to_AM_monthly_2019-2024.csv": (2048, 0),
        "eu_member_exports_to_GE_monthly_2019-2024.csv": (2100, 0),
        "eu_member_exports_to_KG_monthly_2019-2024.csv": (1988, 0),
        "eu_member_exports_to_KZ_monthly_2019-2024.csv": (2089, 0),
        "eu_member_exports_to_RU_monthly_2019-2024.csv": (2101, 0),
        "eu_member_exports_to_UZ_monthly_2019-2024.csv": (2032, 0),
        "eu_member_imports_from_KG_monthly_2019-2024.csv": (1705, 1),  # 29 rows repeated verbatim
        "eu27_exports_to_all_partners_annual_2010-2023.csv": (3407, 0),
    }


def test_the_source_parses_a_web_export_partition_through_the_same_path():
    source = EurostatComext({})
    body = HEADER + ROW_DE + ROW_CY
    result = source.parse(Partition(source.name, "web_export", "x.csv", {}), [Fetched(body, "csv", WHERE)])
    assert result.frame.select(CELLS).rows() == [DE, CY]
