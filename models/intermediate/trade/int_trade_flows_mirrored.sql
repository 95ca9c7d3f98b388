{#-
    One row per exporter, importer, product, product level, frequency and period: the exporter's declared
    exports (FOB) paired with the importer's declared imports from the exporter (CIF), the mirror.
    Where several sources report one side, the side's value comes from the source ranked first in the
    var `source_priority`. Importers' CIF values are brought to FOB by dividing by the var
    `cif_fob_factor` (default 1.10: the IMF's flat CIF/FOB default, which CEPII BACI replaces with
    estimated freight rates). gap = importer's FOB-equivalent minus exporter's FOB value.
-#}
{{ trade_flows_mirrored() }}
