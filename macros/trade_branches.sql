{#-
    The trade staging models, one entry each: which source family and raw dataset they are, their
    currency, and which of their rows are in scope (a single partner or the world, not a region or a
    group). int_trade_flows_unioned keeps the rows in scope whose codes mapped;
    int_unmapped_country_codes reports the rows in scope whose codes did not. A new trade source is one
    more entry here.
      weight      the staging model has net_weight_kg
      total_only  the staging model has no product columns (all goods: TOTAL)
      label       the expression naming an unmapped partner for the report
      partial_partners  national statistics that list only some partners (Rosstat's 29): no EU27 sum
-#}
{% macro trade_staging_branches() %}
    {{ return([
        {'source': 'comtrade', 'dataset': 'comtrade__goods', 'model': 'stg_comtrade__trade_flows',
         'currency': 'USD', 'weight': true, 'scope': 'is_total_breakdown'},
        {'source': 'comtrade', 'dataset': 'comtrade__extracts', 'model': 'stg_comtrade__extract_flows',
         'currency': 'USD', 'weight': true, 'scope': 'counts_in_total'},
        {'source': 'eurostat_comext', 'dataset': 'eurostat_comext__sdmx',
         'model': 'stg_eurostat_comext__sdmx_flows', 'currency': 'EUR', 'weight': true},
        {'source': 'eurostat_comext_file', 'dataset': 'eurostat_comext__web_export',
         'model': 'stg_eurostat_comext__web_export_flows', 'currency': 'EUR',
         'label': 'case when reporter_code is null then reporter_label else partner_label end'},
        {'source': 'eurostat_comext_file', 'dataset': 'eurostat_comext__workbook',
         'model': 'stg_eurostat_comext__workbook_flows', 'currency': 'EUR',
         'label': 'case when reporter_code is null then reporter_label else partner_label end',
         'scope': 'not is_in_web_export'},
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
        {'source': 'national', 'dataset': 'national__kz_bns', 'model': 'stg_national__kz_bns_flows',
         'currency': 'USD', 'total_only': true, 'label': 'partner_label_ru',
         'scope': "is_latest_edition and row_kind in ('country', 'total')"},
        {'source': 'national', 'dataset': 'national__rosstat', 'model': 'stg_national__rosstat_flows',
         'currency': 'USD', 'total_only': true, 'label': 'partner_label_ru', 'partial_partners': true},
    ]) }}
{% endmacro %}

{#-
    One branch of int_trade_flows_unioned: the staging model's rows in scope whose codes mapped, summed
    per key (several source rows can map to one code: two labels of one country). A group never spans
    two branches (source_dataset is part of the key and a constant of each branch), so summing each
    staging model on its own gives the same rows as one group by over the union, with the constant
    columns out of the hash keys, and DuckDB spills each branch's aggregate to disk in turn (one group
    by over the union of nine branches ran out of its 6 GB memory limit at 50M rows).
-#}
{% macro trade_branch_summed(branch) %}
    select
        partition_id,
        '{{ branch.source }}' as source,
        '{{ branch.dataset }}' as source_dataset,
        reporter_code,
        partner_code,
        {{ "'TOTAL'" if branch.total_only else 'product_code' }} as product_code,
        {{ "'TOTAL'" if branch.total_only else 'product_level' }} as product_level,
        flow,
        frequency,
        valuation,
        '{{ branch.currency }}' as currency_original,
        {{ exact_sum('value_usd') if branch.currency == 'USD' else 'cast(null as double)' }} as value_usd_reported,
        {{ exact_sum('value_eur') if branch.currency == 'EUR' else 'cast(null as double)' }} as value_eur_reported,
        {{ exact_sum('net_weight_kg') if branch.weight else 'cast(null as double)' }} as net_weight_kg,
        count(*) as source_rows,
        period_start,
        max(_loaded_at) as _loaded_at
    from {{ ref(branch.model) }}
    where
        reporter_code is not null
        and partner_code is not null
        and flow is not null
        and {{ 'value_usd' if branch.currency == 'USD' else 'value_eur' }} is not null
        {%- if branch.scope %}
            and {{ branch.scope }}
        {%- endif %}
    group by
        partition_id, reporter_code, partner_code,
        {{- '' if branch.total_only else ' product_code, product_level,' }} flow, frequency, valuation, period_start
{% endmacro %}
