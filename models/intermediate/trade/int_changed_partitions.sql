{#-
    The raw partitions loaded since the facts were last built: what an incremental run must redo.
    On a full build (or before fct_trade_flows exists) every loaded partition counts as changed.
-#}
{{ config(materialized='table') }}

with

partitions as (
    select
        source || '__' || dataset || '/' || partition_key as partition_id,
        fetched_at
    from {{ source('ops', 'partitions') }}
    where status = 'loaded'
),

{% set facts = adapter.get_relation(database=target.database, schema='marts', identifier='fct_trade_flows') %}

changed as (
    select partition_id
    from partitions
    {% if facts is not none and not flags.FULL_REFRESH %}
        where fetched_at > (select coalesce(max(_loaded_at), timestamp '1900-01-01') from {{ facts }})
    {% endif %}
)

select * from changed
