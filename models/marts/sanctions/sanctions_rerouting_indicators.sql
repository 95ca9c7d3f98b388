{#-
    One row per transit_code (the transit_candidates group), period_start, frequency and product_scope:
    are EU exports that sanctions cut from Russia reappearing as extra exports to a transit country?
    The measures come from int_rerouting_indicators (formulas there and in docs/models/sanctions_rerouting.md);
    this mart adds the flag:
      strong    index >= var flag_strong_index, did_log >= ln(var flag_strong_did_ratio) where did_log
                exists, and EU->RU below baseline
      moderate  index >= var flag_moderate_index, did_log >= ln(var flag_moderate_did_ratio) where it
                exists, EU->RU below baseline
      none      otherwise, and always when the baseline cannot carry a flag (flag_withheld_reason): a
                baseline below var flag_min_baseline_eur (a few shipments move such an index by
                thousands of percent) or built on fewer than var flag_min_baseline_years baseline years
    Origins (issue 15): this mart is the EU27 default view (origin_code EU27, origin_leg_basis
    origin_export_report: Comext), the rows it has always had, so saved queries keep their results; beside
    the monthly index, rolling 12-month sums and same-month growth (int_rerouting_rolling). Every other
    origin, and the EU27 seen through the transit country's import report, are in
    sanctions_rerouting_indicators_all_origins (this mart's rows plus theirs).
-#}
with

indicators as (
    select * from {{ ref('int_rerouting_indicators') }}
),

-- a flag needs a baseline that can carry it
checked as (
    select
        *,
        case
            when baseline_eur is null then 'no baseline'
            when baseline_eur < {{ var('flag_min_baseline_eur') }}
                then 'baseline below flag_min_baseline_eur ({{ var('flag_min_baseline_eur') }} EUR)'
            when baseline_n_years < {{ var('flag_min_baseline_years') }}
                then 'baseline from fewer than flag_min_baseline_years ({{ var('flag_min_baseline_years') }}) years'
        end as flag_withheld_reason
    from indicators
),

rolling as (
    select * from {{ ref('int_rerouting_rolling') }}
),

with_rolling as (
    select
        checked.*,
        rolling.rolling_12m_eur,
        rolling.yoy_growth
    from checked
    left join rolling
        on
            checked.frequency = 'M'
            and checked.transit_code = rolling.partner_code
            and checked.product_scope = rolling.product_scope
            and checked.period_start = rolling.period_start
),

flagged as (
    select
        'EU27' as origin_code,
        'coalition' as origin_group,
        'origin_export_report' as origin_leg_basis,
        transit_code,
        product_scope,
        frequency,
        series_origin,
        baseline_years,
        case
            when flag_withheld_reason is not null then 'none'
            when
                index_vs_baseline >= {{ var('flag_strong_index') }}
                and (did_log is null or did_log >= ln({{ var('flag_strong_did_ratio') }}))
                and eu_exports_to_ru_index < 100
                then 'strong'
            when
                index_vs_baseline >= {{ var('flag_moderate_index') }}
                and (did_log is null or did_log >= ln({{ var('flag_moderate_did_ratio') }}))
                and eu_exports_to_ru_index < 100
                then 'moderate'
            else 'none'
        end as flag,
        flag_withheld_reason,
        eu_exports_eur,
        baseline_eur,
        index_vs_baseline,
        excess_eur,
        did_log,
        transit_exports_to_ru_usd,
        transit_exports_to_ru_baseline_usd,
        transit_exports_to_ru_index,
        transit_exports_to_ru_months_covered,
        eu_exports_to_ru_eur,
        eu_exports_to_ru_baseline_eur,
        eu_exports_to_ru_index,
        substitution_ratio,
        unrecorded_arrivals_eur,
        unrecorded_arrivals_baseline_eur,
        unrecorded_arrivals_excess_eur,
        unrecorded_arrivals_months_covered,
        unit_value_eur_per_kg,
        unit_value_index,
        rerouting_coverage,
        products_with_both_legs,
        rolling_12m_eur,
        yoy_growth,
        cast(null as double) as origin_exports_usd,
        cast(null as double) as origin_exports_baseline_usd,
        cast(null as double) as origin_exports_index,
        months_covered,
        baseline_n_years,
        is_complete_period,
        period_start
    from with_rolling
)

select * from flagged
