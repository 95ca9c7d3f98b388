{#-
    The raw partitions an incremental build of fct_trade_flows deletes and re-inserts: those that are new
    or re-fetched since the last build, all of them when the exchange rates changed, all of them on a
    full build (int_partition_periods says how). A change to the models themselves needs
    `dbt build --full-refresh`, as with any incremental model.
-#}
{{ config(materialized='table') }}

with

partition_periods as (
    select * from {{ ref('int_partition_periods') }}
),

changed as (
    select distinct partition_id
    from partition_periods
    where is_changed
)

select partition_id from changed
