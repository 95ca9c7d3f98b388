{#-
    int_rerouting_legs_hs6 with each series' baseline (series = leg, basis, origin, transit, product):
      baseline_usd        mean of the same calendar month over the baseline years (vars
                          baseline_start_year..baseline_end_year) in which the series has the month
      excess_usd          value_usd - baseline_usd
      unit_value_usd_per_kg           value_usd / net_weight_kg (null without a weight or at 0 kg)
      baseline_unit_value_usd_per_kg  sum of baseline values / sum of baseline weights, over the baseline
                                      months with a weight (a ratio of sums, not a mean of ratios)
-#}
with

legs as (
    select * from {{ ref('int_rerouting_legs_hs6') }}
),

baseline_window as (
    select * from legs
    where year(period_start) between {{ var('baseline_start_year') }} and {{ var('baseline_end_year') }}
),

monthly_baseline as (
    select
        leg,
        basis,
        origin_code,
        transit_code,
        product_code,
        month(period_start) as calendar_month,
        {{ exact_avg('value_usd') }} as baseline_usd,
        count(*) as baseline_n_years
    from baseline_window
    group by 1, 2, 3, 4, 5, 6
),

unit_value_baseline as (
    select
        leg,
        basis,
        origin_code,
        transit_code,
        product_code,
        {{ exact_sum('value_usd') }} / nullif({{ exact_sum('net_weight_kg') }}, 0) as baseline_unit_value_usd_per_kg
    from baseline_window
    where net_weight_kg > 0
    group by 1, 2, 3, 4, 5
),

final as (
    select
        legs.leg,
        legs.basis,
        legs.origin_code,
        legs.transit_code,
        legs.product_code,
        legs.value_usd,
        legs.value_eur,
        legs.net_weight_kg,
        legs.is_filled_zero,
        monthly_baseline.baseline_usd,
        monthly_baseline.baseline_n_years,
        legs.value_usd - monthly_baseline.baseline_usd as excess_usd,
        legs.value_usd / nullif(legs.net_weight_kg, 0) as unit_value_usd_per_kg,
        unit_value_baseline.baseline_unit_value_usd_per_kg,
        legs.period_start
    from legs
    left join monthly_baseline
        on
            legs.leg = monthly_baseline.leg
            and legs.basis = monthly_baseline.basis
            and legs.origin_code = monthly_baseline.origin_code
            and legs.transit_code = monthly_baseline.transit_code
            and legs.product_code = monthly_baseline.product_code
            and month(legs.period_start) = monthly_baseline.calendar_month
    left join unit_value_baseline
        on
            legs.leg = unit_value_baseline.leg
            and legs.basis = unit_value_baseline.basis
            and legs.origin_code = unit_value_baseline.origin_code
            and legs.transit_code = unit_value_baseline.transit_code
            and legs.product_code = unit_value_baseline.product_code
)

select * from final
