{#-
    One row per fct_trade_flows HS6 row and HS2022 code it maps to: HS6 flows on one vintage (HS2022).
    Periods before 2022 report HS2017 codes; each is linked to the HS2022 codes reference.hs_concordance
    pairs it with, and its value is divided equally among them (weight = 1 / number of links). A code
    with no link keeps its code and value. Totals are conserved: the weights of an old code sum to 1.
    HS2012 periods (before 2017) are not converted (is_converted = false, original code kept).
-#}
with

flows as (
    select * from {{ ref('fct_trade_flows') }}
    where product_level = 'HS6'
),

links as (
    select
        to_hs6 as hs2017_code,
        from_hs6 as hs2022_code,
        relationship,
        cast(1 as double) / count(*) over (partition by to_hs6) as weight
    from {{ ref('hs_concordance') }}
    where from_vintage = 'HS2022' and to_vintage = 'HS2017'
),

converted as (
    select
        flows.reporter_code,
        flows.partner_code,
        flows.product_code as product_code_reported,
        case
            when year(flows.period_start) between 2017 and 2021 then coalesce(links.hs2022_code, flows.product_code)
            else flows.product_code
        end as product_code_hs2022,
        flows.flow,
        flows.frequency,
        flows.source,
        links.relationship as concordance_relationship,
        coalesce(links.weight, 1.0) as weight,
        flows.value_usd * coalesce(links.weight, 1.0) as value_usd,
        flows.value_eur * coalesce(links.weight, 1.0) as value_eur,
        flows.net_weight_kg * coalesce(links.weight, 1.0) as net_weight_kg,
        year(flows.period_start) >= 2017 as is_converted,
        flows.period_start
    from flows
    left join links
        on
            flows.product_code = links.hs2017_code
            and year(flows.period_start) between 2017 and 2021
)

select * from converted
