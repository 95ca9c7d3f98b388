{#-
    The raw trade partitions to redo in an incremental build of fct_trade_flows: those the loader wrote
    since the facts' newest _loaded_at. Every value depends on the exchange rates too, so when an ECB or
    World Bank partition (the rates) changed, every loaded partition counts as changed. On a full build
    (or before fct_trade_flows exists) every loaded partition counts. A change to the models themselves
    needs `dbt build --full-refresh`, as with any incremental model.
-#}
{{ config(materialized='table') }}

{% set facts = adapter.get_relation(database=target.database, schema='marts', identifier='fct_trade_flows') %}

with

partitions as (
    select
        source || '__' || dataset || '/' || partition_key as partition_id,
        source,
        fetched_at
    from {{ source('ops', 'partitions') }}
    where status = 'loaded'
),

{% if facts is not none and not flags.FULL_REFRESH %}
    last_build as (
        select coalesce(max(_loaded_at), timestamp '1900-01-01') as loaded_until
        from {{ facts }}
    ),

    rates_changed as (
        select count(*) > 0 as has_changed
        from partitions
        cross join last_build
        where partitions.source in ('ecb', 'worldbank') and partitions.fetched_at > last_build.loaded_until
    ),

    changed as (
        select partitions.partition_id
        from partitions
        cross join last_build
        cross join rates_changed
        where rates_changed.has_changed or partitions.fetched_at > last_build.loaded_until
    )
{% else %}
    changed as (
        select partition_id
        from partitions
    )
{% endif %}

select partition_id from changed
