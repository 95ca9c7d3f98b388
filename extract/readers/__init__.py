"""Format readers: pure functions from the bytes of a response or a file to typed polars frames.

Nothing here reads the disk, the network or the configuration: the sources in `extract/sources/` plan,
fetch and land, then call these (label seeds and code lists are passed in as arguments). A reader fails
with `SchemaDrift`, `BadResponse` or `Truncated` naming the file or URL, the sheet or line, and what was
wrong.

Shared by several sources:

| module      | what it reads                                                                  |
|-------------|--------------------------------------------------------------------------------|
| `sdmx_csv`  | SDMX-CSV bodies (Eurostat, ECB, IMF)                                           |
| `csv_drop`  | the decoding of file drops: encodings, BOM, a cut-off last line                |
| `cells`     | workbook cells as rows, numbers, Russian labels (the .xls / .xlsx readers)     |

One publisher file each (each module declares the raw `SCHEMA` it returns):

| module              | publisher and file                                                        |
|---------------------|---------------------------------------------------------------------------|
| `kz_bns`            | Kazakhstan BNS "main indicators of foreign trade by country" (.xls)       |
| `armstat_tvyal`     | Armenia (Armstat) monthly by partner, tvyal cleaning, 2007-2024 (.csv)    |
| `rosstat`           | Rosstat/FTS Russia x 29 main partners, monthly 2006-2021 (.xlsx)          |
| `ecb_hist`          | ECB euro reference rates, daily, `eurofxref-hist.zip`                     |
| `comtrade_extract`  | UN Comtrade product extracts (legacy API field names, .csv)               |
| `eurostat_workbook` | Eurostat data-browser workbook of DS-045409 (.xlsx, one sheet per query)  |
"""
