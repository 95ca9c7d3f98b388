{#-
    One row per transit_code (the transit_candidates group), period_start, frequency and product_scope:
    are EU exports that sanctions cut from Russia reappearing as extra exports to a transit country?
    The measures come from int_rerouting_indicators (formulas there and in docs/models/sanctions_rerouting.md);
    this mart adds the flag:
      strong    index >= var flag_strong_index, did_log >= ln(var flag_strong_did_ratio) where did_log
                exists, and EU->RU below baseline
      moderate  index >= var flag_moderate_index, did_log >= ln(var flag_moderate_did_ratio) where it
                exists, EU->RU below baseline
      none      otherwise
    Origins (issue 15): the rows above are the EU27 default view (origin_code EU27, origin_leg_basis
    origin_export_report: Comext), unchanged, with rolling 12-month sums and same-month growth beside the
    monthly index (int_rerouting_rolling). Other origins, and the EU27 seen through the transit country's
    import report, are added as rows of their own from int_rerouting_other_origins (HS6 products with both
    legs reported; USD columns origin_exports_*; the EU-specific columns and the flag null). A saved query
    keeps its old result with `where origin_code = 'EU27' and origin_leg_basis = 'origin_export_report'`.
-#}
with

indicators as (
    select * from {{ ref('int_rerouting_indicators') }}
),

rolling as (
    select * from {{ ref('int_rerouting_rolling') }}
),

other_origins as (
    select * from {{ ref('int_rerouting_other_origins') }}
),

with_rolling as (
    select
        indicators.*,
        rolling.rolling_12m_eur,
        rolling.yoy_growth
    from indicators
    left join rolling
        on
            indicators.frequency = 'M'
            and indicators.transit_code = rolling.partner_code
            and indicators.product_scope = rolling.product_scope
            and indicators.period_start = rolling.period_start
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
        eu_exports_eur,
        baseline_eur,
        index_vs_baseline,
        excess_eur,
        did_log,
        transit_exports_to_ru_usd,
        transit_exports_to_ru_baseline_usd,
        transit_exports_to_ru_index,
        eu_exports_to_ru_eur,
        eu_exports_to_ru_baseline_eur,
        eu_exports_to_ru_index,
        substitution_ratio,
        unrecorded_arrivals_eur,
        unrecorded_arrivals_baseline_eur,
        unrecorded_arrivals_excess_eur,
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
),

final as (
    select * from flagged
    union all by name
    select * from other_origins
)

select * from final
