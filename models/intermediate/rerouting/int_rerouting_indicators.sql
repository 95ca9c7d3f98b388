{#-
    One row per transit_code (the transit_candidates group), period_start, frequency and product_scope:
    every measure sanctions_rerouting_indicators shows, side by side, before the flag rule.
    Formulas (docs/models/sanctions_rerouting.md):
      index_vs_baseline   = 100 x eu_exports_eur / baseline_eur
      excess_eur          = eu_exports_eur - baseline_eur
      did_log             = ln(index of the scope / index of not_sanctioned), same country and period (null when the scope's index is 0)
      substitution_ratio  = excess_eur / (EU->RU baseline - EU->RU value), same scope and period;
                            null when EU->RU did not fall
      unrecorded_arrivals = EU-reported exports - the country's reported imports from the EU (CIF/factor),
                            on the months both legs report (unrecorded_arrivals_months_covered); the
                            imports by consignment where the country publishes them, else by origin
                            (partner_import_basis); the factor: cif_fob_factor, cif_fob_factor_basis;
                            unrecorded_arrivals_estimated_factor_eur: the same with the estimated factor
    Completeness per leg: each leg carries the months it covers (months_covered for the EU exports,
    transit_exports_to_ru_months_covered, unrecorded_arrivals_months_covered); an annual row is complete
    only when every leg it carries covers twelve months.
      rerouting_coverage  = sum_k min(excess EU->c_k, excess c->RU_k)+ / sum_k (excess EU->c_k)+ over
                            HS6 products k of the scope with data on both legs; null otherwise
-#}
with

baselines as (
    select * from {{ ref('int_rerouting_baselines') }}
),

coverage as (
    select * from {{ ref('int_rerouting_coverage') }}
),

partner_imports as (
    select * from {{ ref('int_rerouting_partner_imports') }}
),

transit as (
    select iso3 as transit_code
    from {{ ref('country_groups') }}
    where group_code = 'transit_candidates'
),

eu_exports as (
    select * from baselines
    where measure = 'eu_exports'
),

scoped as (
    select
        transit.transit_code,
        eu_exports.product_scope,
        eu_exports.frequency,
        eu_exports.series_origin,
        eu_exports.baseline_years,
        eu_exports.value as eu_exports_eur,
        eu_exports.baseline as baseline_eur,
        eu_exports.index_vs_baseline,
        eu_exports.excess as excess_eur,
        eu_exports.net_weight_kg,
        eu_exports.months_covered,
        eu_exports.baseline_n_years,
        eu_exports.period_start
    from eu_exports
    inner join transit
        on eu_exports.partner_code = transit.transit_code
),

not_sanctioned as (
    select * from eu_exports
    where product_scope = 'not_sanctioned'
),

to_russia as (
    select * from eu_exports
    where partner_code = 'RUS'
),

transit_to_russia as (
    select * from baselines
    where measure = 'transit_exports_to_ru'
),

unrecorded as (
    select * from baselines
    where measure = 'unrecorded_gap'
),

unrecorded_estimated as (
    select * from baselines
    where measure = 'unrecorded_gap_estimated_factor'
),

-- one import basis and one CIF/FOB factor per partner (int_rerouting_partner_imports)
import_legs as (
    select distinct
        partner_code,
        partner_import_basis,
        cif_fob_factor,
        cif_fob_factor_basis,
        cif_fob_factor_estimated
    from partner_imports
),

unit_values as (
    select
        measure,
        partner_code,
        product_scope,
        frequency,
        period_start,
        value / nullif(net_weight_kg, 0) as unit_value_eur_per_kg
    from eu_exports
    where net_weight_kg is not null
),

unit_value_baselines as (
    select
        partner_code,
        product_scope,
        frequency,
        month(period_start) as calendar_month,
        {{ exact_avg('unit_value_eur_per_kg') }} as baseline_unit_value
    from unit_values
    where year(period_start) between {{ var('baseline_start_year') }} and {{ var('baseline_end_year') }}
    group by partner_code, product_scope, frequency, month(period_start)
),

joined as (
    select
        scoped.transit_code,
        scoped.product_scope,
        scoped.frequency,
        scoped.series_origin,
        scoped.baseline_years,
        scoped.eu_exports_eur,
        scoped.baseline_eur,
        scoped.index_vs_baseline,
        scoped.excess_eur,
        -- a scope with no exports (index 0) has no log: null, never -infinity
        case
            when scoped.index_vs_baseline > 0
                then {{ natural_log('scoped.index_vs_baseline / nullif(not_sanctioned.index_vs_baseline, 0)') }}
        end as did_log,
        transit_to_russia.value as transit_exports_to_ru_usd,
        transit_to_russia.baseline as transit_exports_to_ru_baseline_usd,
        transit_to_russia.index_vs_baseline as transit_exports_to_ru_index,
        transit_to_russia.months_covered as transit_exports_to_ru_months_covered,
        to_russia.value as eu_exports_to_ru_eur,
        to_russia.baseline as eu_exports_to_ru_baseline_eur,
        to_russia.index_vs_baseline as eu_exports_to_ru_index,
        case
            when to_russia.baseline - to_russia.value > 0
                then scoped.excess_eur / (to_russia.baseline - to_russia.value)
        end as substitution_ratio,
        unrecorded.value as unrecorded_arrivals_eur,
        unrecorded.baseline as unrecorded_arrivals_baseline_eur,
        unrecorded.excess as unrecorded_arrivals_excess_eur,
        unrecorded.months_covered as unrecorded_arrivals_months_covered,
        case when unrecorded.value is not null then import_legs.partner_import_basis end as partner_import_basis,
        case when unrecorded.value is not null then import_legs.cif_fob_factor end as cif_fob_factor,
        case when unrecorded.value is not null then import_legs.cif_fob_factor_basis end as cif_fob_factor_basis,
        case when unrecorded.value is not null then import_legs.cif_fob_factor_estimated end
            as cif_fob_factor_estimated,
        unrecorded_estimated.value as unrecorded_arrivals_estimated_factor_eur,
        unit_values.unit_value_eur_per_kg,
        100 * unit_values.unit_value_eur_per_kg / nullif(unit_value_baselines.baseline_unit_value, 0)
            as unit_value_index,
        coverage.rerouting_coverage,
        coverage.products_with_both_legs,
        scoped.months_covered,
        scoped.baseline_n_years,
        -- complete only when every leg the row carries covers the whole period
        scoped.frequency = 'M' or (
            scoped.months_covered = 12
            and coalesce(transit_to_russia.months_covered, 12) = 12
            and coalesce(unrecorded.months_covered, 12) = 12
        ) as is_complete_period,
        scoped.period_start
    from scoped
    left join not_sanctioned
        on
            scoped.transit_code = not_sanctioned.partner_code
            and scoped.frequency = not_sanctioned.frequency
            and scoped.period_start = not_sanctioned.period_start
            and scoped.product_scope not in ('all', 'not_sanctioned')
    left join to_russia
        on
            scoped.product_scope = to_russia.product_scope
            and scoped.frequency = to_russia.frequency
            and scoped.period_start = to_russia.period_start
    left join transit_to_russia
        on
            scoped.transit_code = transit_to_russia.partner_code
            and scoped.frequency = transit_to_russia.frequency
            and scoped.period_start = transit_to_russia.period_start
            and scoped.product_scope = 'all'
    left join unrecorded
        on
            scoped.transit_code = unrecorded.partner_code
            and scoped.frequency = unrecorded.frequency
            and scoped.period_start = unrecorded.period_start
            and scoped.product_scope = 'all'
    left join unrecorded_estimated
        on
            scoped.transit_code = unrecorded_estimated.partner_code
            and scoped.frequency = unrecorded_estimated.frequency
            and scoped.period_start = unrecorded_estimated.period_start
            and scoped.product_scope = 'all'
    left join import_legs
        on scoped.transit_code = import_legs.partner_code
    left join unit_values
        on
            scoped.transit_code = unit_values.partner_code
            and scoped.product_scope = unit_values.product_scope
            and scoped.frequency = unit_values.frequency
            and scoped.period_start = unit_values.period_start
    left join unit_value_baselines
        on
            scoped.transit_code = unit_value_baselines.partner_code
            and scoped.product_scope = unit_value_baselines.product_scope
            and scoped.frequency = unit_value_baselines.frequency
            and month(scoped.period_start) = unit_value_baselines.calendar_month
    left join coverage
        on
            scoped.transit_code = coverage.transit_code
            and scoped.product_scope = coverage.product_scope
            and scoped.frequency = coverage.frequency
            and scoped.period_start = coverage.period_start
)

select * from joined
