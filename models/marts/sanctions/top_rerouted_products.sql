{#-
    One row per transit_code, year and product_code among the var('top_rerouted_n') HS6 products
    with the largest excess EU27 exports to the transit country that year: excess = exports - baseline,
    the baseline being the mean over the baseline years of the same months (January to the last month
    with data that year, so a year with eleven months is compared with eleven months). Codes are HS2022
    (older periods converted through the concordance by trade weights, int_trade_flows_hs2022). Only
    products with a positive baseline are ranked: never one whose baseline is zero or lies in codes the
    data do not have.
-#}
with

product_years as (
    select * from {{ ref('int_rerouted_product_years') }}
),

products as (
    select * from {{ ref('dim_products') }}
),

scored as (
    select
        product_years.transit_code,
        product_years.year,
        product_years.product_code,
        products.description,
        products.chpl_tier,
        product_years.baseline_years,
        product_years.eu_exports_eur,
        product_years.baseline_eur,
        product_years.eu_exports_eur - product_years.baseline_eur as excess_eur,
        100 * product_years.eu_exports_eur / product_years.baseline_eur as index_vs_baseline,
        product_years.months_covered,
        coalesce(products.is_chpl, false) as is_chpl,
        coalesce(products.is_eu_export_banned, false) as is_eu_export_banned
    from product_years
    left join products
        on product_years.product_code = products.product_code
    where
        product_years.year > {{ var('baseline_end_year') }}
        -- ranked on a baseline only: a product without one (codes not in the data) or with a zero
        -- baseline has no index (int_rerouted_product_years.baseline_note)
        and product_years.baseline_eur > 0
),

ranked as (
    select
        *,
        -- a row number is an int on Spark, a bigint in DuckDB and in the contract
        cast(
            row_number() over (partition by transit_code, year order by excess_eur desc, product_code asc) as bigint
        ) as excess_rank
    from scored
),

final as (
    select
        transit_code,
        year,
        excess_rank,
        product_code,
        description,
        chpl_tier,
        baseline_years,
        eu_exports_eur,
        baseline_eur,
        excess_eur,
        index_vs_baseline,
        months_covered,
        is_chpl,
        is_eu_export_banned,
        -- the origin of the goods, as on every re-routing row: this ranking is of EU27 exports
        cast('EU27' as string) as origin_code,
        cast('coalition' as string) as origin_group
    from ranked
    where excess_rank <= {{ var('top_rerouted_n') }}
)

select * from final
