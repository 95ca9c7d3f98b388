{#-
    One row per reporter, partner, product, product level, period, frequency, flow and source.
    Incremental by partition: a run deletes and re-inserts only the rows of the raw partitions new or
    re-fetched since the last build (int_changed_partitions, from the ledger through stg_ops__partitions),
    so a nightly run costs what changed; `dbt build --full-refresh` gives the same rows.
-#}
-- depends_on: {{ ref('int_changed_partitions') }}
{{
    config(
        materialized='incremental',
        on_schema_change='fail',
        **replace_changed_rows('partition_id', "in_changed_partitions('partition_id')"),
    )
}}

with

flows as (
    select *
    from {{ ref('int_trade_flows_converted') }}
    {%- if is_incremental() %}
        where {{ in_changed_partitions('partition_id') }}
    {%- endif %}
),

final as (
    select
        reporter_code,
        partner_code,
        product_code,
        product_level,
        flow,
        frequency,
        source,
        source_dataset,
        partition_id,
        valuation,
        currency_original,
        rate_basis,
        value_usd,
        value_eur,
        usd_per_eur,
        net_weight_kg,
        period_start,
        _loaded_at
    from flows
)

select * from final
