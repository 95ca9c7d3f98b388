{#-
    The trade staging models, one entry each: which source family and raw dataset they are, their
    currency, and which of their rows are in scope (a single partner or the world, not a region or a
    group). int_trade_flows_unioned keeps the rows in scope whose codes mapped;
    int_unmapped_country_codes reports the rows in scope whose codes did not. A new trade source is one
    more entry here.
      weight      the staging model has net_weight_kg
      total_only  the staging model has no product columns (all goods: TOTAL)
      label       the expression naming an unmapped partner for the report
-#}
{% macro trade_staging_branches() %}
    {{ return([
        {'source': 'comtrade', 'dataset': 'comtrade__goods', 'model': 'stg_comtrade__trade_flows',
         'currency': 'USD', 'weight': true, 'scope': 'is_total_breakdown'},
        {'source': 'eurostat_comext', 'dataset': 'eurostat_comext__sdmx',
         'model': 'stg_eurostat_comext__sdmx_flows', 'currency': 'EUR', 'weight': true},
        {'source': 'eurostat_comext_file', 'dataset': 'eurostat_comext__web_export',
         'model': 'stg_eurostat_comext__web_export_flows', 'currency': 'EUR',
         'label': 'case when reporter_code is null then reporter_label else partner_label end'},
        {'source': 'eurostat_comext_file', 'dataset': 'eurostat_comext__cn8_exports',
         'model': 'stg_eurostat_comext__cn8_exports', 'currency': 'EUR'},
        {'source': 'eurostat_comext_file', 'dataset': 'eurostat_comext__hs6_exports_eu27',
         'model': 'stg_eurostat_comext__hs6_exports', 'currency': 'EUR'},
        {'source': 'imf', 'dataset': 'imf__imts', 'model': 'stg_imf__trade_flows', 'currency': 'USD'},
        {'source': 'national', 'dataset': 'national__uzstat', 'model': 'stg_national__uzstat_flows',
         'currency': 'USD', 'total_only': true, 'label': 'partner_label_en'},
        {'source': 'national', 'dataset': 'national__kg_nsc', 'model': 'stg_national__kg_nsc_flows',
         'currency': 'USD', 'total_only': true, 'label': 'partner_label_en',
         'scope': "row_kind in ('country', 'total', 'other')"},
        {'source': 'national', 'dataset': 'national__armstat', 'model': 'stg_national__armstat_flows',
         'currency': 'USD', 'total_only': true, 'label': 'partner_label_en',
         'scope': "(flow = 'export' or import_basis = 'origin') and not (frequency = 'A' and is_partial_year)"},
    ]) }}
{% endmacro %}
