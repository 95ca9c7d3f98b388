"""tradeflow: a trade-flow data warehouse on Russia, Central Asia, the EU and sanctions re-routing.

The product lives here (CLI, refresh, publishing, the dbt runner, seeds, the report); extraction and
loading live in the `extract` package, which never imports `tradeflow`.
"""

from extract import __version__

__all__ = ["__version__"]
