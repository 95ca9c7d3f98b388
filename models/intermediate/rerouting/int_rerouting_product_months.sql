{#-
    One row per origin-leg series month (origin, basis, transit country, HS6 product, month) with the
    transit country's exports and re-exports to Russia of the same product and month beside it, and the
    origin's own exports to Russia (for the substitution ratio). Baselines and unit values come from
    int_rerouting_legs_baselines; the origin's exports to Russia are int_russia_imports_series (zeros
    filled), with the mean of the same calendar month over the baseline years as their baseline.
-#}
with

legs as (
    select * from {{ ref('int_rerouting_legs_baselines') }}
),

russia_series as (
    select * from {{ ref('int_russia_imports_series') }}
    where product_level = 'HS6'
),

origin_leg as (
    select * from legs
    where leg = 'origin_to_transit'
),

to_russia as (
    select * from legs
    where leg = 'transit_to_russia'
),

reexports as (
    select * from legs
    where leg = 'transit_reexport_to_russia'
),

origin_to_russia_baseline as (
    select
        partner_code as origin_code,
        product_code,
        month(period_start) as calendar_month,
        {{ exact_avg('value_usd') }} as baseline_usd
    from russia_series
    where year(period_start) between {{ var('baseline_start_year') }} and {{ var('baseline_end_year') }}
    group by 1, 2, 3
),

origin_to_russia as (
    select
        russia_series.partner_code as origin_code,
        russia_series.product_code,
        russia_series.period_start,
        russia_series.value_usd,
        origin_to_russia_baseline.baseline_usd
    from russia_series
    left join origin_to_russia_baseline
        on
            russia_series.partner_code = origin_to_russia_baseline.origin_code
            and russia_series.product_code = origin_to_russia_baseline.product_code
            and month(russia_series.period_start) = origin_to_russia_baseline.calendar_month
),

final as (
    select
        origin_leg.origin_code,
        origin_leg.basis as origin_leg_basis,
        origin_leg.transit_code,
        origin_leg.product_code,
        origin_leg.value_usd as origin_to_transit_usd,
        origin_leg.baseline_usd as origin_to_transit_baseline_usd,
        origin_leg.excess_usd as origin_to_transit_excess_usd,
        origin_leg.net_weight_kg as origin_to_transit_net_weight_kg,
        origin_leg.unit_value_usd_per_kg as origin_to_transit_unit_value_usd_per_kg,
        origin_leg.baseline_unit_value_usd_per_kg as origin_to_transit_baseline_unit_value_usd_per_kg,
        to_russia.value_usd as transit_to_russia_usd,
        to_russia.baseline_usd as transit_to_russia_baseline_usd,
        to_russia.excess_usd as transit_to_russia_excess_usd,
        to_russia.net_weight_kg as transit_to_russia_net_weight_kg,
        to_russia.unit_value_usd_per_kg as transit_to_russia_unit_value_usd_per_kg,
        to_russia.baseline_unit_value_usd_per_kg as transit_to_russia_baseline_unit_value_usd_per_kg,
        reexports.value_usd as transit_reexports_to_russia_usd,
        reexports.excess_usd as transit_reexports_to_russia_excess_usd,
        origin_to_russia.value_usd as origin_to_russia_usd,
        origin_to_russia.baseline_usd as origin_to_russia_baseline_usd,
        origin_leg.period_start
    from origin_leg
    left join to_russia
        on
            origin_leg.transit_code = to_russia.transit_code
            and origin_leg.product_code = to_russia.product_code
            and origin_leg.period_start = to_russia.period_start
    left join reexports
        on
            origin_leg.transit_code = reexports.transit_code
            and origin_leg.product_code = reexports.product_code
            and origin_leg.period_start = reexports.period_start
    left join origin_to_russia
        on
            origin_leg.origin_code = origin_to_russia.origin_code
            and origin_leg.product_code = origin_to_russia.product_code
            and origin_leg.period_start = origin_to_russia.period_start
)

select * from final
