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
-#}
with

indicators as (
    select * from {{ ref('int_rerouting_indicators') }}
),

flagged as (
    select
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
        months_covered,
        baseline_n_years,
        is_complete_period,
        period_start
    from indicators
)

select * from flagged
