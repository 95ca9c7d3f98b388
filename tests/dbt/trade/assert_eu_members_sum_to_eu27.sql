-- Reconciliation: EU members' exports to a partner sum to Eurostat's EU27 aggregate in the same source,
-- period and product, within var('eu27_sum_tolerance_pct') percent (default 0.5: rounding in the files).
-- On an incremental build only the periods it redid are compared (macros/incremental_scope.sql).
with

facts as (
    select * from {{ ref('fct_trade_flows') }}
    where flow = 'export' and {{ changed_periods_condition('period_start') }}
),

members as (
    select country_code as iso3 from {{ ref('dim_countries') }}
    where is_eu27
),

member_sum as (
    select
        facts.source,
        facts.partner_code,
        facts.product_code,
        facts.product_level,
        facts.frequency,
        facts.period_start,
        sum(facts.value_eur) as members_eur,
        count(*) as n_members
    from facts
    inner join members
        on facts.reporter_code = members.iso3
    group by all
),

aggregate as (
    select
        source,
        partner_code,
        product_code,
        product_level,
        frequency,
        period_start,
        value_eur as eu27_eur
    from facts
    where reporter_code = 'EU27'
),

compared as (
    select
        aggregate.*,
        member_sum.members_eur,
        member_sum.n_members,
        100 * abs(member_sum.members_eur - aggregate.eu27_eur) / nullif(aggregate.eu27_eur, 0) as diff_pct
    from aggregate
    inner join member_sum
        on
            aggregate.source = member_sum.source
            and aggregate.partner_code = member_sum.partner_code
            and aggregate.product_code = member_sum.product_code
            and aggregate.product_level = member_sum.product_level
            and aggregate.frequency = member_sum.frequency
            and aggregate.period_start = member_sum.period_start
)

select *
from compared
where diff_pct > {{ var('eu27_sum_tolerance_pct', 0.5) }}
