{#-
    The periods (period_start) an incremental build redoes: those of the rows the changed raw partitions
    (int_changed_partitions) bring in, and those of the rows they had in fct_trade_flows before the
    reload, so that a period a revision no longer covers is redone too. Built before fct_trade_flows
    deletes the old rows. On a full build (or before fct_trade_flows exists) every period counts.
    fct_trade_flows_best redoes these periods; the tests of the large tables check only them on an
    incremental build (macros/incremental_scope.sql).
-#}
{{ config(materialized='table') }}
-- depends_on: {{ ref('int_changed_partitions') }}

{% set facts = adapter.get_relation(database=target.database, schema='marts', identifier='fct_trade_flows') %}
{% set incremental = facts is not none and not flags.FULL_REFRESH %}
{#- read int_changed_partitions once; the same filter serves every branch and the facts -#}
{% set changed = in_changed_partitions('partition_id') if incremental else none %}

with

-- Straight from the trade staging models (the union's sums and derived rows keep their periods).
incoming as (
    {%- for branch in trade_staging_branches() %}
        select distinct period_start
        from {{ ref(branch.model) }}
        {%- if incremental %}
            where {{ changed }}
        {%- endif %}
        {% if not loop.last %}union{% endif %}
    {%- endfor %}
),

{% if incremental %}
    previous as (
        select distinct period_start
        from {{ facts }}
        where {{ changed }}
    ),
{% endif %}

periods as (
    select period_start from incoming
    {%- if incremental %}
        union
        select period_start from previous
    {%- endif %}
)

select period_start
from periods
