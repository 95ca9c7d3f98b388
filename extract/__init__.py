"""tradeflow: extract public trade and investment data into DuckDB (the E and L of the warehouse)."""

__version__ = "0.1.0"
