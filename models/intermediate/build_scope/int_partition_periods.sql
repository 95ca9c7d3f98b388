{#-
    The build's memory: one row per loaded raw partition and period (period_start) its trade rows cover,
    as this build leaves the facts, plus one row per period a partition this build redoes covered in the
    previous build (is_built = false), so that a period a revision no longer covers is redone too. A
    partition without trade rows (the exchange rates, FDI) has one row with a null period.

    Incremental, and its only reading of an earlier state is its own (`{{ this }}`): a partition is redone
    (is_changed) when it is new or its fetched_at differs from the one this model recorded at the last
    build; when the exchange rates (ecb, worldbank) changed every loaded partition is redone, since every
    value depends on them. A full build (`--full-refresh`, a first build) redoes everything. Each build
    appends its rows and then removes the previous build's (build_id = dbt's invocation id;
    macros/cross_engine/incremental.sql: a DELETE on DuckDB, dropped partitions on Spark).
    int_changed_partitions and int_changed_periods read it; fct_trade_flows and fct_trade_flows_best
    read those: no model reads a model downstream of it.
-#}
{{
    config(
        materialized='incremental',
        on_schema_change='fail',
        **keep_only_this_build('build_id'),
    )
}}
{%- set previous = this if is_incremental() else none %}

with

loaded as (
    select
        partition_id,
        fetched_at
    from {{ ref('stg_ops__partitions') }}
    where is_loaded
),

changed as (
    {{ changed_partitions_query(previous) }}
),

-- the periods of the rows the changed partitions bring in, straight from the trade staging models
incoming as (
    {%- set changed_ids = changed_partitions_at_compile_time(previous) if previous is not none else none %}
    {%- for branch in trade_staging_branches() %}
        select distinct
            partition_id,
            period_start
        from {{ ref(branch.model) }}
        {%- if previous is not none %}
            where {{ in_list('partition_id', changed_ids) }}
        {%- endif %}
        {% if not loop.last %}union{% endif %}
    {%- endfor %}
),

redone as (
    select
        coalesce(incoming.partition_id, changed.partition_id) as partition_id,
        incoming.period_start,
        true as is_changed,
        true as is_built
    from incoming
    full outer join changed
        on incoming.partition_id = changed.partition_id
),

{% if previous is not none %}
    -- the previous build's rows: kept as they are for a loaded partition not redone; for a partition
    -- redone, the periods it covered then (is_built = false)
    previous_rows as (
        select
            previous.partition_id,
            previous.period_start,
            changed.partition_id is not null as is_changed,
            changed.partition_id is null as is_built
        from {{ previous }} as previous
        inner join loaded
            on previous.partition_id = loaded.partition_id
        left join changed
            on previous.partition_id = changed.partition_id
        where previous.is_built
    ),
{% endif %}

scope as (
    select * from redone
    {%- if previous is not none %}
        union all
        select * from previous_rows
    {%- endif %}
),

final as (
    select
        scope.partition_id,
        scope.period_start,
        loaded.fetched_at,
        scope.is_changed,
        scope.is_built,
        '{{ invocation_id }}' as build_id
    from scope
    left join loaded
        on scope.partition_id = loaded.partition_id
)

select * from final
