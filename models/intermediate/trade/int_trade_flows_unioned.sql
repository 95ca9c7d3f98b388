-- Every trade source in one shape: one row per source dataset, reporter, partner, product, flow and
-- period, values as reported (USD or EUR). Conversion happens in int_trade_flows_converted.
-- Only rows whose reporter and partner map to a code are kept; int_unmapped_country_codes lists the rest.
{# One branch per trade staging model (macros/trade_branches.sql). #}
{% set branches = trade_staging_branches() %}

-- Several source rows can map to one code (two labels of one country): they are added up branch by
-- branch (macros/trade_branches.sql: trade_branch_summed).
with

summed as (
    {%- for branch in branches if branch.source != 'national' %}
        {{ trade_branch_summed(branch) }}
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

-- The national statistics apart: national_eu27 below reads them again.
summed_national as (
    {%- for branch in branches if branch.source == 'national' %}
        {{ trade_branch_summed(branch) }}
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

eu27_members as (
    select iso3 from {{ ref('country_groups') }}
    where group_code = 'eu27'
),

-- National statistics list every partner country: their EU27 total is the sum of the 27 members
-- (not for a table of main partners only, such as Rosstat's 29: branch flag partial_partners).
national_eu27 as (
    select
        summed.partition_id,
        summed.source,
        summed.source_dataset || ':eu27_sum' as source_dataset,
        summed.reporter_code,
        'EU27' as partner_code,
        summed.product_code,
        summed.product_level,
        summed.flow,
        summed.frequency,
        summed.valuation,
        summed.currency_original,
        {{ exact_sum('summed.value_usd_reported') }} as value_usd_reported,
        {{ exact_sum('summed.value_eur_reported') }} as value_eur_reported,
        {{ exact_sum('summed.net_weight_kg') }} as net_weight_kg,
        sum(summed.source_rows) as source_rows,
        summed.period_start,
        max(summed._loaded_at) as _loaded_at
    from summed_national as summed
    inner join eu27_members
        on summed.partner_code = eu27_members.iso3
    {%- set partial = branches | selectattr('partial_partners') | map(attribute='dataset') | list %}
    {%- if partial %}
        where summed.source_dataset not in ('{{ partial | join("', '") }}')
    {%- endif %}
    group by
        summed.partition_id, summed.source, summed.source_dataset, summed.reporter_code, summed.product_code,
        summed.product_level, summed.flow, summed.frequency, summed.valuation, summed.currency_original,
        summed.period_start
),

-- stat.uz publishes no world total: it is the sum of every partner row, 'Other countries' included.
uzstat_world as (
    select
        partition_id,
        'national' as source,
        'national__uzstat:world_sum' as source_dataset,
        reporter_code,
        'WLD' as partner_code,
        'TOTAL' as product_code,
        'TOTAL' as product_level,
        flow,
        frequency,
        valuation,
        'USD' as currency_original,
        {{ exact_sum('value_usd') }} as value_usd_reported,
        cast(null as double) as value_eur_reported,
        cast(null as double) as net_weight_kg,
        count(*) as source_rows,
        period_start,
        max(_loaded_at) as _loaded_at
    from {{ ref('stg_national__uzstat_flows') }}
    where value_usd is not null
    group by partition_id, reporter_code, flow, frequency, valuation, period_start
),

with_derived as (
    select * from summed
    union all
    select * from summed_national
    union all
    select * from national_eu27
    union all
    select * from uzstat_world
)

select * from with_derived
