"""docs/notebooks/headline_questions.ipynb runs top to bottom on the demo warehouse (nbclient, a real Jupyter
kernel) and its answers are the warehouse's numbers, recomputed here with plain SQL."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.helpers import PROJECT_DIR

pytestmark = pytest.mark.slow

NOTEBOOK = PROJECT_DIR / "docs" / "notebooks" / "headline_questions.ipynb"

# Appended to a copy of the notebook: prints the answer frames as JSON for the assertions below.
EXPORT = """import json as _json
print("__ANSWERS__" + _json.dumps({
    "shares": shares.to_dicts(), "stocks": stocks.to_dicts(), "chpl": chpl.to_dicts(), "top_chpl": top_chpl.to_dicts()
}, default=str))"""


@pytest.fixture(scope="module")
def executed(demo_warehouse, tmp_path_factory):
    nbformat = pytest.importorskip("nbformat", reason="nbformat is in the dev extra: pip install -e '.[dev]'")
    nbclient = pytest.importorskip("nbclient", reason="nbclient is in the dev extra: pip install -e '.[dev]'")
    workdir = tmp_path_factory.mktemp("notebook")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), "commit the notebook without outputs"
    nb.cells.append(nbformat.v4.new_code_cell(EXPORT))
    old = os.environ.get("TRADEFLOW_DB")
    os.environ["TRADEFLOW_DB"] = str(demo_warehouse)  # the kernel inherits the environment
    try:
        client = nbclient.NotebookClient(
            nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(workdir)}}
        )
        client.execute()
    finally:
        if old is None:
            os.environ.pop("TRADEFLOW_DB", None)
        else:
            os.environ["TRADEFLOW_DB"] = old
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.get("output_type") == "stream")
    answers = json.loads(text.split("__ANSWERS__", 1)[1])
    return {"nb": nb, "answers": answers, "workdir": Path(workdir)}


def test_every_cell_ran_without_error(executed):
    for cell in executed["nb"].cells:
        if cell.cell_type == "code":
            assert not [o for o in cell.outputs if o.get("output_type") == "error"], cell.source[:200]
    first = executed["nb"].cells[1].outputs
    assert "warehouse version" in "".join(o.get("text", "") for o in first)
    assert list(executed["workdir"].iterdir()) == []  # the notebook writes nothing


def test_question_1_trade_shares(executed, demo_con):
    shares = {(r["country_code"], r["direction"], r["partner_code"]): r for r in executed["answers"]["shares"]}
    assert {k[0] for k in shares} >= {"KGZ", "UZB"}
    for (country, direction, partner), row in shares.items():
        for label, lo, hi in (("2019-2021", 2019, 2021), ("2022-2023", 2022, 2023)):
            expected = demo_con.execute(
                """select round(avg(share_of_total_pct), 1) from marts.russia_central_asia_trade
                   where frequency = 'A' and country_code = ? and direction = ? and partner_code = ?
                     and share_of_total_pct is not null and year(period_start) between ? and ?""",
                [country, direction, partner, lo, hi],
            ).fetchone()[0]
            assert row[label] == expected, (country, direction, partner, label)
    kgz = shares[("KGZ", "imports", "RUS")]
    assert kgz["change_pp"] == pytest.approx(kgz["2022-2023"] - kgz["2019-2021"], abs=0.11)


def test_question_2_fdi_stocks(executed, demo_con):
    stocks = {(r["investor_code"], r["year"]): r for r in executed["answers"]["stocks"]}
    first, last = demo_con.execute(
        """select min(year), max(year) from marts.eu_investment_central_asia
           where source = 'wiiw' and measure = 'fdi_inward_stock'"""
    ).fetchone()
    assert {y for _, y in stocks} == {first, last}
    value, share = demo_con.execute(
        """select value_eur, share_of_host_total_pct from marts.eu_investment_central_asia
           where source = 'wiiw' and measure = 'fdi_inward_stock' and investor_code = 'EU27' and year = ?""",
        [last],
    ).fetchone()
    assert stocks[("EU27", last)]["stock_eur_bn"] == round(value / 1e9, 1)
    assert stocks[("EU27", last)]["share_pct"] == round(share, 1)


def test_question_3_chpl_goods(executed, demo_con):
    chpl = executed["answers"]["chpl"]
    expected = demo_con.execute(
        """select transit_code, round(index_vs_baseline, 0), flag from marts.sanctions_rerouting_indicators
           where frequency = 'A' and product_scope = 'chpl' and year(period_start) = 2022
           order by index_vs_baseline desc"""
    ).fetchall()
    assert [(r["transit_code"], r["index_chpl_2022"], r["flag"]) for r in chpl] == [tuple(e) for e in expected]
    assert chpl[0]["index_chpl_2022"] > 200 and chpl[0]["index_russia_2022"] < 100
    top = executed["answers"]["top_chpl"]
    n = demo_con.execute("select count(*) from marts.top_rerouted_products where year = 2022 and is_chpl").fetchone()[0]
    assert len(top) == n > 0
