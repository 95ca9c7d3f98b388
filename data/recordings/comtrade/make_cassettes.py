"""Rebuild the Comtrade cassettes: copy the real bodies byte for byte, write the constructed ones.

Run from the project root:  .venv/bin/python data/recordings/comtrade/make_cassettes.py [REAL_DIR]
REAL_DIR defaults to /work/shared/data/real/comtrade_api_v1 (see PROVENANCE.md in this folder).
Every constructed body has "constructed" in its file name; see PROVENANCE.md for what is real in it.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import polars as pl

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parents[2]
HOST = "https://comtradeapi.un.org"
JSON = {"Content-Type": "application/json; charset=utf-8"}
TOTALS = "motCode=0&partner2Code=0&customsCode=C00&includeDesc=TRUE"

CHN_2010_URL = (
    f"{HOST}/data/v1/get/C/A/HS?cmdCode=TOTAL&partnerCode=32,280,276&reporterCode=156&period=2010"
    "&motCode=0&partner2Code=0&customsCode=C00&includeDesc=TRUE"
)
BRA_2024_URL = (
    f"{HOST}/data/v1/get/C/A/HS?reporterCode=76&partnerCode=156&cmdCode=1201,1507,2304&flowCode=X&period=2024"
)

# The capped-preview scenario: USA (842) 2010, TOTAL, every flow, 130 partners.
CAPPED_PARTNERS = 130
CAP = 500
FLOWS = [("M", "Import"), ("X", "Export"), ("RM", "Re-import"), ("RX", "Re-export")]


def capped_partners() -> list[tuple[str, str]]:
    """(ISO3, Comtrade code): the first 130 countries of seeds/countries.csv with a code, USA excepted."""
    countries = pl.read_csv(PROJECT / "seeds" / "countries.csv", infer_schema=False)
    rows = countries.filter(pl.col("comtrade_code").is_not_null() & (pl.col("iso3") != "USA")).sort("iso3")
    return list(zip(rows["iso3"], rows["comtrade_code"], strict=True))[:CAPPED_PARTNERS]


def getda(reporter: int, iso: str, desc: str, period: int, cl: str, total: int, released: str, dataset: int) -> bytes:
    """A getDA answer in the documented format (all values constructed except reporter and classification)."""
    row = {
        "datasetCode": dataset,
        "typeCode": "C",
        "freqCode": "A",
        "period": period,
        "reporterCode": reporter,
        "reporterISO": iso,
        "reporterDesc": desc,
        "classificationCode": cl,
        "classificationSearchCode": "HS",
        "isOriginalClassification": True,
        "isExtendedFlowCode": False,
        "isExtendedPartnerCode": False,
        "isExtendedPartner2Code": False,
        "isExtendedCmdCode": False,
        "isExtendedCustomsCode": False,
        "isExtendedMotCode": False,
        "totalRecords": total,
        "datasetChecksum": dataset * 7919 % 2**31,
        "firstReleased": f"{period + 1}-06-30T00:00:00",
        "lastReleased": released,
    }
    return (json.dumps({"elapsedTime": "0.04 secs", "count": 1, "data": [row], "error": ""}, indent=2) + "\n").encode()


def usa_rows(partners: list[tuple[str, str]]) -> list[dict]:
    """Synthetic USA 2010 TOTAL rows (shape of the real China 2010 rows; values are generated)."""
    rows = []
    for i, (iso, code) in enumerate(partners):
        for j, (flow, flow_desc) in enumerate(FLOWS):
            value = float(1_000_000 * (i + 1) + 1_000 * (j + 1))
            rows.append(
                {
                    "typeCode": "C",
                    "freqCode": "A",
                    "refPeriodId": 20100101,
                    "refYear": 2010,
                    "refMonth": 52,
                    "period": "2010",
                    "reporterCode": 842,
                    "reporterISO": "USA",
                    "flowCode": flow,
                    "flowDesc": flow_desc,
                    "partnerCode": int(code),
                    "partnerISO": iso,
                    "partner2Code": 0,
                    "classificationCode": "H3",
                    "cmdCode": "TOTAL",
                    "aggrLevel": 0,
                    "customsCode": "C00",
                    "motCode": 0,
                    "cifvalue": value if flow in ("M", "RM") else None,
                    "fobvalue": value if flow in ("X", "RX") else None,
                    "primaryValue": value,
                    "isReported": True,
                    "isAggregate": False,
                }
            )
    return rows


def envelope(rows: list[dict]) -> bytes:
    return json.dumps({"elapsedTime": "1.02 secs", "count": len(rows), "data": rows, "error": ""}).encode()


def write(name: str, interactions: list[tuple[str, str, bytes]]) -> None:
    folder = HERE / name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    entries = []
    for url, body_file, body in interactions:
        (folder / body_file).write_bytes(body)
        entries.append(
            {
                "request": {"method": "GET", "url": url},
                "response": {"status": 200, "headers": JSON, "body_file": body_file},
            }
        )
    (folder / "cassette.json").write_text(json.dumps({"version": 1, "interactions": entries}, indent=2) + "\n")


def main(real: Path) -> None:
    chn = (real / "data_v1_get_C_A_HS_chn_2010_total.json").read_bytes()
    bra = (real / "data_v1_get_C_A_HS_BRA_to_CHN_2024_hs4_soy.json").read_bytes()
    da_chn = f"{HOST}/data/v1/getDA/C/A/HS?reporterCode=156&period=2010"
    chn_da = getda(156, "CHN", "China", 2010, "H3", 2_310_412, "2021-07-13T00:00:00", 4_020_105)
    chn_da_revised = getda(156, "CHN", "China", 2010, "H3", 2_310_415, "2025-03-04T00:00:00", 4_020_106)

    write(
        "chn_2010_total",
        [
            (da_chn, "getDA_C_A_HS_156_2010_constructed.json", chn_da),
            (CHN_2010_URL, "data_v1_get_C_A_HS_chn_2010_total.json", chn),
        ],
    )

    # Revised availability, then an answer that fails (or warns): bodies derived from the real one.
    real = json.loads(chn)
    error = {"elapsedTime": "0.01 secs", "count": 0, "data": [], "error": "constructed error: service unavailable"}
    missing = json.loads(chn)
    del missing["data"][2]["primaryValue"]
    new_field = json.loads(chn)
    for row in new_field["data"]:
        row["isConstructedNewField"] = False
    assert real["count"] == 4
    for name, body_name, body in [
        ("chn_2010_revised_error_constructed", "data_chn_2010_error_constructed.json", error),
        ("chn_2010_revised_missing_field_constructed", "data_chn_2010_no_primaryValue_constructed.json", missing),
        ("chn_2010_revised_new_field_constructed", "data_chn_2010_new_field_constructed.json", new_field),
    ]:
        write(
            name,
            [
                (da_chn, "getDA_C_A_HS_156_2010_revised_constructed.json", chn_da_revised),
                (CHN_2010_URL, body_name, (json.dumps(body, indent=2) + "\n").encode()),
            ],
        )

    write(
        "bra_2024_soy_breakdowns",
        [
            (
                f"{HOST}/data/v1/getDA/C/A/HS?reporterCode=76&period=2024",
                "getDA_C_A_HS_76_2024_constructed.json",
                getda(76, "BRA", "Brazil", 2024, "H6", 1_102_977, "2025-04-16T00:00:00", 4_140_076),
            ),
            (BRA_2024_URL, "data_v1_get_C_A_HS_BRA_to_CHN_2024_hs4_soy.json", bra),
        ],
    )

    partners = capped_partners()
    codes = [code for _, code in partners]
    rows = usa_rows(partners)
    assert len(rows) > CAP
    half = (len(codes) + 1) // 2
    preview = f"{HOST}/public/v1/preview/C/A/HS?cmdCode=TOTAL&reporterCode=842&period=2010&{TOTALS}"
    first, second = set(codes[:half]), set(codes[half:])
    write(
        "usa_2010_capped_preview_constructed",
        [
            (
                f"{HOST}/public/v1/getDA/C/A/HS?reporterCode=842&period=2010",
                "getDA_C_A_HS_842_2010_constructed.json",
                getda(842, "USA", "USA", 2010, "H3", 2_842_337, "2020-11-02T00:00:00", 4_020_842),
            ),
            (
                f"{preview}&partnerCode={','.join(codes)}",
                "preview_C_A_HS_842_2010_capped_500_constructed.json",
                envelope(rows[:CAP]),
            ),
            (
                f"{preview}&partnerCode={','.join(codes[:half])}",
                "preview_C_A_HS_842_2010_partners_half1_constructed.json",
                envelope([r for r in rows if str(r["partnerCode"]) in first]),
            ),
            (
                f"{preview}&partnerCode={','.join(codes[half:])}",
                "preview_C_A_HS_842_2010_partners_half2_constructed.json",
                envelope([r for r in rows if str(r["partnerCode"]) in second]),
            ),
        ],
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/work/shared/data/real/comtrade_api_v1"))
