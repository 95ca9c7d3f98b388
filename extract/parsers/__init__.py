"""Pure parsers of published files, one module per publisher format.

Each module turns the bytes of one file into a typed polars frame in the raw schema of the source
dataset it belongs to (declared in the module as `SCHEMA`), and fails with `SchemaDrift` or
`BadResponse` naming the file, the sheet or line, and what was wrong. Nothing here reads the disk,
the network or the configuration: the sources in `extract/sources/` plan, fetch and land the files,
then call these functions (label seeds and code lists are passed in as arguments).

| module              | publisher and file                                                        |
|---------------------|---------------------------------------------------------------------------|
| `kz_bns`            | Kazakhstan BNS "main indicators of foreign trade by country" (.xls)       |
| `armstat_tvyal`     | Armenia (Armstat) monthly by partner, tvyal cleaning, 2007-2024 (.csv)    |
| `rosstat`           | Rosstat/FTS Russia x 29 main partners, monthly 2006-2021 (.xlsx)          |
| `ecb_hist`          | ECB euro reference rates, daily, `eurofxref-hist.zip`                     |
| `comtrade_extract`  | UN Comtrade product extracts (legacy API field names, .csv)               |
| `eurostat_workbook` | Eurostat data-browser workbook of DS-045409 (.xlsx, one sheet per query)  |
"""
