-- One row per cell of Eurostat's direct investment positions (bop_fdi6_pos): reporter, counterpart, item, period.
-- The body is shared with the other Eurostat FDI table: macros/staging_eurostat_fdi.sql.
{{ eurostat_fdi_cells('positions') }}
