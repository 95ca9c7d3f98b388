{#-
    The HS6 x destination x month panel of the difference-in-differences (the EBRD design, CEPR DP20097),
    exported for analysts who run their own: one row per origin, HS6 product (HS2022), destination and
    month of the origin's reported exports. A product an origin does not report to a destination in a
    month the origin reports that destination at all is a zero (the Comext extractions drop zeros);
    `log_value` is null for zeros (the estimator drops them and says how many).
      is_sanctioned  the product is on var did_sanctioned_list (chpl or eu833_export_ban) as listed today
      is_transit     the destination is in country_groups transit_candidates
      is_post        period_start >= var did_post_from (2022-03-01)
    sanctions_did_estimates estimates the model on the EU27 rows.
-#}
with

hs6_flows as (
    select * from {{ ref('int_trade_flows_hs2022') }}
    where flow = 'export' and frequency = 'M'
),

listed_today as (
    select distinct hs6
    from {{ ref('product_lists') }}
    where list_code = '{{ var("did_sanctioned_list") }}' and valid_to is null
),

transit as (
    select distinct iso3
    from {{ ref('country_groups') }}
    where group_code = 'transit_candidates'
),

reported as (
    select
        reporter_code as origin_code,
        product_code_hs2022 as product_code,
        partner_code as destination_code,
        period_start,
        {{ exact_sum('value_eur') }} as value_eur
    from hs6_flows
    group by reporter_code, product_code_hs2022, partner_code, period_start
),

destination_months as (
    select distinct
        origin_code,
        destination_code,
        period_start
    from reported
),

products as (
    select distinct
        origin_code,
        product_code,
        destination_code
    from reported
),

grid as (
    select
        products.origin_code,
        products.product_code,
        products.destination_code,
        destination_months.period_start
    from products
    inner join destination_months
        on
            products.origin_code = destination_months.origin_code
            and products.destination_code = destination_months.destination_code
),

final as (
    select
        grid.origin_code,
        grid.product_code,
        grid.destination_code,
        coalesce(reported.value_eur, 0) as value_eur,
        case when reported.value_eur > 0 then ln(reported.value_eur) end as log_value,
        listed_today.hs6 is not null as is_sanctioned,
        transit.iso3 is not null as is_transit,
        grid.period_start >= date '{{ var("did_post_from") }}' as is_post,
        grid.period_start
    from grid
    left join reported
        on
            grid.origin_code = reported.origin_code
            and grid.product_code = reported.product_code
            and grid.destination_code = reported.destination_code
            and grid.period_start = reported.period_start
    left join listed_today
        on grid.product_code = listed_today.hs6
    left join transit
        on grid.destination_code = transit.iso3
)

select * from final
