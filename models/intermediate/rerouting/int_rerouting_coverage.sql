{#-
    One row per transit_code, product_scope, frequency and period_start where HS6 data exist on both legs
    (EU27 -> transit country and transit country -> Russia):
        rerouting_coverage = sum_k min(excess EU->c_k, excess c->RU_k)+ / sum_k (excess EU->c_k)+
    over the HS6 products k of the scope (HS2022 codes), excess = value - baseline (mean of the same
    calendar month, or of the baseline years for annual rows, over the baseline years), in EUR.
    In [0, 1]: the share of the extra EU exports to c that is matched by extra exports from c to Russia.
-#}
with

hs6 as (
    select * from {{ ref('int_trade_flows_hs2022') }}
    where flow = 'export'
),

transit as (
    select iso3 as transit_code
    from {{ ref('country_groups') }}
    where group_code = 'transit_candidates'
),

scopes as (
    select
        hs6,
        'chpl' as product_scope
    from {{ ref('chpl_products') }}
    union all
    select
        hs6,
        'chpl_tier_' || lower(replace(tier, '.', '')) as product_scope
    from {{ ref('chpl_products') }}
    union all
    select distinct
        hs6,
        'eu_banned' as product_scope
    from {{ ref('eu_export_bans') }}
),

-- Only the products of a scope count in the end (`scoped` below): the others are left out first.
scope_products as (
    select distinct hs6 from scopes
),

monthly_legs as (
    select
        case when hs6.reporter_code = 'EU27' then 'eu_to_transit' else 'transit_to_ru' end as leg,
        case when hs6.reporter_code = 'EU27' then hs6.partner_code else hs6.reporter_code end as transit_code,
        hs6.product_code_hs2022 as product_code,
        hs6.period_start,
        {{ exact_sum('hs6.value_eur') }} as value_eur
    from hs6
    inner join scope_products
        on hs6.product_code_hs2022 = scope_products.hs6
    inner join transit
        on
            (hs6.reporter_code = 'EU27' and hs6.partner_code = transit.transit_code)
            or (hs6.reporter_code = transit.transit_code and hs6.partner_code = 'RUS')
    where hs6.frequency = 'M'
    group by 1, 2, 3, 4
),

annual_legs as (
    select
        leg,
        transit_code,
        product_code,
        make_date(year(period_start), 1, 1) as period_start,
        {{ exact_sum('value_eur') }} as value_eur,
        count(*) as n_months
    from monthly_legs
    group by leg, transit_code, product_code, make_date(year(period_start), 1, 1)
),

legs as (
    select
        leg,
        transit_code,
        product_code,
        'M' as frequency,
        period_start,
        value_eur
    from monthly_legs
    union all
    select
        leg,
        transit_code,
        product_code,
        'A' as frequency,
        period_start,
        value_eur
    from annual_legs
    where n_months = 12
),

baselines as (
    select
        leg,
        transit_code,
        product_code,
        frequency,
        case when frequency = 'M' then month(period_start) else 0 end as calendar_month,
        {{ exact_avg('value_eur') }} as baseline_eur
    from legs
    where year(period_start) between {{ var('baseline_start_year') }} and {{ var('baseline_end_year') }}
    group by 1, 2, 3, 4, 5
),

excess as (
    select
        legs.leg,
        legs.transit_code,
        legs.product_code,
        legs.frequency,
        legs.period_start,
        legs.value_eur - baselines.baseline_eur as excess_eur
    from legs
    inner join baselines
        on
            legs.leg = baselines.leg
            and legs.transit_code = baselines.transit_code
            and legs.product_code = baselines.product_code
            and legs.frequency = baselines.frequency
            and (case when legs.frequency = 'M' then month(legs.period_start) else 0 end) = baselines.calendar_month
),

both_legs as (
    select
        eu_leg.transit_code,
        eu_leg.product_code,
        eu_leg.frequency,
        eu_leg.period_start,
        eu_leg.excess_eur as eu_excess_eur,
        ru_leg.excess_eur as ru_excess_eur
    from excess as eu_leg
    inner join excess as ru_leg
        on
            eu_leg.transit_code = ru_leg.transit_code
            and eu_leg.product_code = ru_leg.product_code
            and eu_leg.frequency = ru_leg.frequency
            and eu_leg.period_start = ru_leg.period_start
            and ru_leg.leg = 'transit_to_ru'
    where eu_leg.leg = 'eu_to_transit'
),

scoped as (
    select
        both_legs.transit_code,
        scopes.product_scope,
        both_legs.frequency,
        both_legs.period_start,
        greatest(least(both_legs.eu_excess_eur, both_legs.ru_excess_eur), 0) as matched_excess_eur,
        greatest(both_legs.eu_excess_eur, 0) as positive_eu_excess_eur
    from both_legs
    inner join scopes
        on both_legs.product_code = scopes.hs6
),

final as (
    select
        transit_code,
        product_scope,
        frequency,
        count(*) as products_with_both_legs,
        {{ exact_sum('matched_excess_eur') }}
        / nullif({{ exact_sum('positive_eu_excess_eur') }}, 0) as rerouting_coverage,
        period_start
    from scoped
    group by transit_code, product_scope, frequency, period_start
)

select * from final
