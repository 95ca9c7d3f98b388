{#-
    The periods (period_start) an incremental build redoes: those of the rows the changed partitions bring
    in, and those they covered in the previous build, so that a period a revision no longer covers is
    redone too (int_partition_periods). Every period on a full build. fct_trade_flows_best redoes these
    periods; the tests of the large tables check only them on an incremental build
    (macros/incremental_scope.sql).
-#}
{{ config(materialized='table') }}

with

partition_periods as (
    select * from {{ ref('int_partition_periods') }}
),

periods as (
    select distinct period_start
    from partition_periods
    where is_changed and period_start is not null
)

select period_start from periods
