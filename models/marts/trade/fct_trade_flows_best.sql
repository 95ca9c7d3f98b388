{#-
    The analyst's default: one best-estimate value per exporter, importer, product, product level and
    period. The rule (BACI-like, documented in docs/models/trade.md):
      1. the exporter's own report of its exports (FOB), from the first source in `source_priority`;
      2. otherwise the importer's report of its imports from the exporter, CIF brought to FOB
         (÷ cif_fob_factor): the mirror, used wherever the exporter is silent, as Russia has been
         since 2022.
    `value_basis` says which was used; `discrepancy_ratio` shows how far the two reports are apart
    where both exist.

    Incremental by period: a nightly build deletes the periods of int_changed_periods and inserts the
    mirror pairs of those periods only (the same macro as int_trade_flows_mirrored, filtered on the
    facts); a full build reads int_trade_flows_mirrored. Both give the same rows.
-#}
-- depends_on: {{ ref('int_changed_periods') }}
-- depends_on: {{ ref('fct_trade_flows') }}
{{
    config(
        materialized='incremental',
        on_schema_change='fail',
        **replace_changed_rows(
            'period_start', "'period_start in (select period_start from ' ~ ref('int_changed_periods') ~ ')'"
        ),
    )
}}

with

mirrored as (
    {%- if is_incremental() %}
        {{ trade_flows_mirrored("period_start in (select period_start from " ~ ref('int_changed_periods') ~ ")") }}
    {%- else %}
        select * from {{ ref('int_trade_flows_mirrored') }}
    {%- endif %}
),

chosen as (
    select
        exporter_code,
        importer_code,
        product_code,
        product_level,
        frequency,
        case
            when has_export_report and export_source = 'national' then 'exporter_national_statistics'
            when has_export_report then 'exporter_report'
            else 'importer_mirror_cif_to_fob'
        end as value_basis,
        coalesce(export_source, import_source) as source,
        case when has_export_report then export_value_usd else import_value_fob_usd end as value_usd,
        case when has_export_report then export_value_eur else import_value_fob_eur end as value_eur,
        export_value_usd as exporter_reported_usd,
        import_value_fob_usd as importer_mirror_fob_usd,
        discrepancy_ratio,
        has_export_report,
        has_import_report,
        period_start
    from mirrored
)

select * from chosen
