{#-
    The rows sanctions_rerouting_indicators adds for origins other than its EU27 default view: every
    origin and origin-leg basis of int_rerouting_scope_coverage except the EU27's own export report (the
    default view computes that one from the EU series). Measures: the origin's exports to the transit
    country over the HS6 products of the scope with both legs reported (USD), their baseline and index,
    rerouting_coverage and products_with_both_legs. The EU-specific columns are null and the flag is null
    (not computed): the flag rule is defined on the EU27 series.
-#}
with

coverage as (
    select * from {{ ref('int_rerouting_scope_coverage') }}
    where not (origin_code = 'EU27' and origin_leg_basis = 'origin_export_report')
),

final as (
    select
        origin_code,
        origin_group,
        origin_leg_basis,
        transit_code,
        product_scope,
        frequency,
        'both_legs_hs6' as series_origin,
        cast(null as string) as baseline_years,
        cast(null as string) as flag,
        rerouting_coverage,
        products_with_both_legs,
        origin_to_transit_usd as origin_exports_usd,
        origin_to_transit_baseline_usd as origin_exports_baseline_usd,
        origin_to_transit_index as origin_exports_index,
        period_start
    from coverage
)

select * from final
