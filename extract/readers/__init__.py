"""Readers shared by the sources: SDMX-CSV bodies (`sdmx_csv`) and the decoding of file drops (`csv_drop`)."""
