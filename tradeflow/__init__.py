"""tradeflow: a trade-flow data warehouse on Russia, Central Asia, the EU and sanctions re-routing.

The product lives here (CLI, refresh, publishing, the dbt runner, seeds, the report, the analysts' API);
extraction and loading live in the `extract` package, which never imports `tradeflow`.

    import tradeflow
    con = tradeflow.connect()                                   # read-only, TRADEFLOW_DB
    df = tradeflow.read_mart("top_rerouted_products", year=2022, transit_code="KGZ")
"""

from extract import __version__
from tradeflow.api import ApiError, connect, marts, query, read_mart

__all__ = ["ApiError", "__version__", "connect", "marts", "query", "read_mart"]
