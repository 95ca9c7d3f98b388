{#-
    Both legs of each product side by side: one row per origin, origin-leg basis, transit country, HS6
    product (HS2022), frequency and period. Monthly rows for every month of the origin leg; annual rows
    over the months of the year in which both legs are reported (`months_covered`), each leg's baseline
    being the sum of those months' baselines (mean of the same calendar month over the baseline years).
    Formulas (docs/models/sanctions_rerouting.md; dbt unit tests):
      rerouting_coverage  = max(min(excess origin->transit, excess transit->Russia), 0) / excess
                            origin->transit, where the origin leg's excess is positive and both legs exist
      substitution_ratio  = excess origin->transit / (baseline - value of origin->Russia), where
                            origin->Russia fell
      unit value index    = 100 x unit value / baseline unit value (USD per kg), per leg
    List flags: in force on the period (for annual rows: at any time in the year) and as listed today.
-#}
with

months as (
    select * from {{ ref('int_rerouting_product_months') }}
),

lists as (
    select * from {{ ref('product_lists') }}
),

origin_groups as (
    select * from {{ ref('origin_groups') }}
),

annual as (
    select
        origin_code,
        origin_leg_basis,
        transit_code,
        product_code,
        'A' as frequency,
        count(*) as months_covered,
        {{ exact_sum('origin_to_transit_usd') }} as origin_to_transit_usd,
        {{ exact_sum('origin_to_transit_baseline_usd') }} as origin_to_transit_baseline_usd,
        {{ exact_sum('origin_to_transit_usd') }}
        / nullif({{ exact_sum('origin_to_transit_net_weight_kg') }}, 0) as origin_to_transit_unit_value_usd_per_kg,
        max(origin_to_transit_baseline_unit_value_usd_per_kg) as origin_to_transit_baseline_unit_value_usd_per_kg,
        {{ exact_sum('transit_to_russia_usd') }} as transit_to_russia_usd,
        {{ exact_sum('transit_to_russia_baseline_usd') }} as transit_to_russia_baseline_usd,
        {{ exact_sum('transit_to_russia_usd') }}
        / nullif({{ exact_sum('transit_to_russia_net_weight_kg') }}, 0) as transit_to_russia_unit_value_usd_per_kg,
        max(transit_to_russia_baseline_unit_value_usd_per_kg) as transit_to_russia_baseline_unit_value_usd_per_kg,
        {{ exact_sum('transit_reexports_to_russia_usd') }} as transit_reexports_to_russia_usd,
        {{ exact_sum('origin_to_russia_usd') }} as origin_to_russia_usd,
        {{ exact_sum('origin_to_russia_baseline_usd') }} as origin_to_russia_baseline_usd,
        make_date(year(period_start), 1, 1) as period_start
    from months
    where
        transit_to_russia_usd is not null
        and origin_to_transit_baseline_usd is not null
        and transit_to_russia_baseline_usd is not null
    group by 1, 2, 3, 4, 5, make_date(year(period_start), 1, 1)
),

monthly as (
    select
        origin_code,
        origin_leg_basis,
        transit_code,
        product_code,
        'M' as frequency,
        1 as months_covered,
        origin_to_transit_usd,
        origin_to_transit_baseline_usd,
        origin_to_transit_unit_value_usd_per_kg,
        origin_to_transit_baseline_unit_value_usd_per_kg,
        transit_to_russia_usd,
        transit_to_russia_baseline_usd,
        transit_to_russia_unit_value_usd_per_kg,
        transit_to_russia_baseline_unit_value_usd_per_kg,
        transit_reexports_to_russia_usd,
        origin_to_russia_usd,
        origin_to_russia_baseline_usd,
        period_start
    from months
),

both_frequencies as (
    select * from monthly
    union all
    select * from annual
),

measured as (
    select
        *,
        origin_to_transit_usd - origin_to_transit_baseline_usd as origin_to_transit_excess_usd,
        transit_to_russia_usd - transit_to_russia_baseline_usd as transit_to_russia_excess_usd,
        case when frequency = 'A' then period_start + interval 1 year - interval 1 day else period_start end
            as period_end
    from both_frequencies
),

-- per code and list: in force from the first version that lists it to the end of the last (a code
-- dropped and listed again later would count in between); EU annex codes without an entry date count
-- from the date they are known to be listed
list_spans as (
    select
        hs6,
        list_code,
        min(coalesce(valid_from, listed_by)) as in_force_from,
        case when bool_or(valid_to is null) then null else max(valid_to) end as in_force_to
    from lists
    group by hs6, list_code
),

flagged as (
    select
        measured.*,
        coalesce(
            chpl.in_force_from <= measured.period_end
            and (chpl.in_force_to is null or chpl.in_force_to >= measured.period_start),
            false
        ) as is_chpl_in_force,
        coalesce(chpl.hs6 is not null and chpl.in_force_to is null, false) as is_chpl_listed_today,
        coalesce(
            eu833.in_force_from <= measured.period_end
            and (eu833.in_force_to is null or eu833.in_force_to >= measured.period_start),
            false
        ) as is_eu833_known_in_force,
        coalesce(eu833.hs6 is not null and eu833.in_force_to is null, false) as is_eu833_listed_today
    from measured
    left join list_spans as chpl
        on measured.product_code = chpl.hs6 and chpl.list_code = 'chpl'
    left join list_spans as eu833
        on measured.product_code = eu833.hs6 and eu833.list_code = 'eu833_export_ban'
),

final as (
    select
        flagged.origin_code,
        coalesce(origin_groups.origin_group, 'other') as origin_group,
        flagged.origin_leg_basis,
        flagged.transit_code,
        flagged.product_code,
        flagged.frequency,
        flagged.months_covered,
        flagged.origin_to_transit_usd,
        flagged.origin_to_transit_baseline_usd,
        flagged.origin_to_transit_excess_usd,
        flagged.transit_to_russia_usd,
        flagged.transit_to_russia_baseline_usd,
        flagged.transit_to_russia_excess_usd,
        flagged.transit_reexports_to_russia_usd,
        case
            when flagged.origin_to_transit_excess_usd > 0 and flagged.transit_to_russia_excess_usd is not null
                then
                    greatest(least(flagged.origin_to_transit_excess_usd, flagged.transit_to_russia_excess_usd), 0)
                    / flagged.origin_to_transit_excess_usd
        end as rerouting_coverage,
        flagged.origin_to_russia_usd,
        flagged.origin_to_russia_baseline_usd,
        case
            when flagged.origin_to_russia_baseline_usd - flagged.origin_to_russia_usd > 0
                then
                    flagged.origin_to_transit_excess_usd
                    / (flagged.origin_to_russia_baseline_usd - flagged.origin_to_russia_usd)
        end as substitution_ratio,
        flagged.origin_to_transit_unit_value_usd_per_kg,
        100 * flagged.origin_to_transit_unit_value_usd_per_kg
        / nullif(flagged.origin_to_transit_baseline_unit_value_usd_per_kg, 0) as origin_to_transit_unit_value_index,
        flagged.transit_to_russia_unit_value_usd_per_kg,
        100 * flagged.transit_to_russia_unit_value_usd_per_kg
        / nullif(flagged.transit_to_russia_baseline_unit_value_usd_per_kg, 0) as transit_to_russia_unit_value_index,
        flagged.is_chpl_in_force,
        flagged.is_chpl_listed_today,
        flagged.is_eu833_known_in_force,
        flagged.is_eu833_listed_today,
        flagged.period_start
    from flagged
    left join origin_groups
        on flagged.origin_code = origin_groups.origin_code
)

select * from final
