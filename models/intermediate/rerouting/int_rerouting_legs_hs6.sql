{#-
    One row per leg, basis, origin, transit country, HS6 product (HS2022) and month: both legs of the
    re-routing route at HS6, from whoever reports them.
      origin_to_transit   basis origin_export_report: the origin's exports to the transit country (FOB);
                          basis transit_import_report: the transit country's imports from the origin, CIF
                          brought to FOB (/ var cif_fob_factor), with an EU27 row summing the 27 members.
                          The two bases are separate rows, never mixed in one series.
      transit_to_russia   the transit country's own exports to Russia (FOB); origin_code = 'ANY'
      transit_reexport_to_russia  its re-exports to Russia (Comtrade flow RX), kept as their own leg
    A month a reporter reports the pair at HS6 without this product is a zero (`is_filled_zero`).
-#}
with

hs6_flows as (
    select * from {{ ref('int_trade_flows_hs2022') }}
    where frequency = 'M'
),

transit as (
    select distinct iso3 as transit_code
    from {{ ref('country_groups') }}
    where group_code = 'transit_candidates'
),

eu27_members as (
    select distinct iso3
    from {{ ref('country_groups') }}
    where group_code = 'eu27'
),

origin_exports as (
    select
        'origin_to_transit' as leg,
        'origin_export_report' as basis,
        hs6_flows.reporter_code as origin_code,
        hs6_flows.partner_code as transit_code,
        hs6_flows.product_code_hs2022 as product_code,
        hs6_flows.period_start,
        {{ exact_sum('hs6_flows.value_usd') }} as value_usd,
        {{ exact_sum('hs6_flows.value_eur') }} as value_eur,
        {{ exact_sum('hs6_flows.net_weight_kg') }} as net_weight_kg
    from hs6_flows
    inner join transit
        on hs6_flows.partner_code = transit.transit_code
    where hs6_flows.flow = 'export' and hs6_flows.reporter_code <> hs6_flows.partner_code
    group by 1, 2, 3, 4, 5, 6
),

transit_imports_by_partner as (
    select
        hs6_flows.reporter_code as transit_code,
        hs6_flows.partner_code as origin_code,
        hs6_flows.product_code_hs2022 as product_code,
        hs6_flows.period_start,
        hs6_flows.value_usd / {{ var('cif_fob_factor') }} as value_usd,
        hs6_flows.value_eur / {{ var('cif_fob_factor') }} as value_eur,
        hs6_flows.net_weight_kg
    from hs6_flows
    inner join transit
        on hs6_flows.reporter_code = transit.transit_code
    where hs6_flows.flow = 'import' and hs6_flows.partner_code not in ('WLD', 'RUS')
),

transit_imports as (
    select
        'origin_to_transit' as leg,
        'transit_import_report' as basis,
        origin_code,
        transit_code,
        product_code,
        period_start,
        {{ exact_sum('value_usd') }} as value_usd,
        {{ exact_sum('value_eur') }} as value_eur,
        {{ exact_sum('net_weight_kg') }} as net_weight_kg
    from transit_imports_by_partner
    group by 1, 2, 3, 4, 5, 6
    union all
    select
        'origin_to_transit' as leg,
        'transit_import_report' as basis,
        'EU27' as origin_code,
        transit_imports_by_partner.transit_code,
        transit_imports_by_partner.product_code,
        transit_imports_by_partner.period_start,
        {{ exact_sum('transit_imports_by_partner.value_usd') }} as value_usd,
        {{ exact_sum('transit_imports_by_partner.value_eur') }} as value_eur,
        {{ exact_sum('transit_imports_by_partner.net_weight_kg') }} as net_weight_kg
    from transit_imports_by_partner
    inner join eu27_members
        on transit_imports_by_partner.origin_code = eu27_members.iso3
    group by 1, 2, 3, 4, 5, 6
),

to_russia as (
    select
        case when hs6_flows.flow = 'export' then 'transit_to_russia' else 'transit_reexport_to_russia' end as leg,
        'transit_export_report' as basis,
        'ANY' as origin_code,
        hs6_flows.reporter_code as transit_code,
        hs6_flows.product_code_hs2022 as product_code,
        hs6_flows.period_start,
        {{ exact_sum('hs6_flows.value_usd') }} as value_usd,
        {{ exact_sum('hs6_flows.value_eur') }} as value_eur,
        {{ exact_sum('hs6_flows.net_weight_kg') }} as net_weight_kg
    from hs6_flows
    inner join transit
        on hs6_flows.reporter_code = transit.transit_code
    where hs6_flows.partner_code = 'RUS' and hs6_flows.flow in ('export', 're-export')
    group by 1, 2, 3, 4, 5, 6
),

reported as (
    select * from origin_exports
    union all
    select * from transit_imports
    union all
    select * from to_russia
),

-- the months each reporter reports each pair at HS6 (the calendar on which a missing product is a zero)
pair_months as (
    select distinct
        leg,
        basis,
        origin_code,
        transit_code,
        period_start
    from reported
),

pair_products as (
    select distinct
        leg,
        basis,
        origin_code,
        transit_code,
        product_code
    from reported
),

final as (
    select
        pair_products.leg,
        pair_products.basis,
        pair_products.origin_code,
        pair_products.transit_code,
        pair_products.product_code,
        coalesce(reported.value_usd, 0) as value_usd,
        coalesce(reported.value_eur, 0) as value_eur,
        reported.net_weight_kg,
        reported.leg is null as is_filled_zero,
        pair_months.period_start
    from pair_products
    inner join pair_months
        on
            pair_products.leg = pair_months.leg
            and pair_products.basis = pair_months.basis
            and pair_products.origin_code = pair_months.origin_code
            and pair_products.transit_code = pair_months.transit_code
    left join reported
        on
            pair_products.leg = reported.leg
            and pair_products.basis = reported.basis
            and pair_products.origin_code = reported.origin_code
            and pair_products.transit_code = reported.transit_code
            and pair_products.product_code = reported.product_code
            and pair_months.period_start = reported.period_start
)

select * from final
