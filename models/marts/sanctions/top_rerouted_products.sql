{#-
    One row per transit_code, year and product_code among the var('top_rerouted_n', 20) HS6 products
    with the largest excess EU27 exports to the transit country that year: excess = exports - baseline,
    the baseline being the mean over the baseline years of the same months (January to the last month
    with data that year, so a year with eleven months is compared with eleven months). Codes are HS2022
    (older periods converted through the concordance).
-#}
with

hs6 as (
    select * from {{ ref('int_trade_flows_hs2022') }}
    where reporter_code = 'EU27' and flow = 'export' and frequency = 'M'
),

transit as (
    select iso3 as transit_code
    from {{ ref('country_groups') }}
    where group_code = 'transit_candidates'
),

products as (
    select * from {{ ref('dim_products') }}
),

monthly as (
    select
        hs6.partner_code as transit_code,
        hs6.product_code_hs2022 as product_code,
        year(hs6.period_start) as year,
        month(hs6.period_start) as month,
        {{ exact_sum('hs6.value_eur') }} as value_eur
    from hs6
    inner join transit
        on hs6.partner_code = transit.transit_code
    group by 1, 2, 3, 4
),

-- the months each transit country's data cover in a year (the same for all its products)
coverage as (
    select
        transit_code,
        year,
        count(distinct month) as months_covered,
        max(month) as last_month
    from monthly
    group by transit_code, year
),

yearly as (
    select
        monthly.transit_code,
        monthly.product_code,
        monthly.year,
        coverage.months_covered,
        coverage.last_month,
        {{ exact_sum('monthly.value_eur') }} as eu_exports_eur
    from monthly
    inner join coverage
        on monthly.transit_code = coverage.transit_code and monthly.year = coverage.year
    group by 1, 2, 3, 4, 5
),

baseline_by_year as (
    select
        current_year.transit_code,
        current_year.product_code,
        current_year.year,
        monthly.year as baseline_year,
        {{ exact_sum('monthly.value_eur') }} as ytd_value_eur
    from yearly as current_year
    inner join monthly
        on
            current_year.transit_code = monthly.transit_code
            and current_year.product_code = monthly.product_code
            and current_year.last_month >= monthly.month
            and monthly.year between {{ var('baseline_start_year') }} and {{ var('baseline_end_year') }}
    group by 1, 2, 3, 4
),

available_baseline_years as (
    select
        transit_code,
        min(year) as first_year,
        max(year) as last_year,
        count(*) as n_years
    from coverage
    where year between {{ var('baseline_start_year') }} and {{ var('baseline_end_year') }}
    group by transit_code
),

baselines as (
    select
        baseline_by_year.transit_code,
        baseline_by_year.product_code,
        baseline_by_year.year,
        -- a year without the product counts as zero: the mean is over every baseline year with data
        {{ exact_sum('baseline_by_year.ytd_value_eur') }} / max(available_baseline_years.n_years) as baseline_eur
    from baseline_by_year
    inner join available_baseline_years
        on baseline_by_year.transit_code = available_baseline_years.transit_code
    group by 1, 2, 3
),

scored as (
    select
        yearly.transit_code,
        yearly.year,
        yearly.product_code,
        products.description,
        products.chpl_tier,
        available_baseline_years.first_year || '-' || available_baseline_years.last_year as baseline_years,
        yearly.eu_exports_eur,
        coalesce(baselines.baseline_eur, 0) as baseline_eur,
        yearly.eu_exports_eur - coalesce(baselines.baseline_eur, 0) as excess_eur,
        100 * yearly.eu_exports_eur / nullif(baselines.baseline_eur, 0) as index_vs_baseline,
        yearly.months_covered,
        coalesce(products.is_chpl, false) as is_chpl,
        coalesce(products.is_eu_export_banned, false) as is_eu_export_banned
    from yearly
    inner join available_baseline_years
        on yearly.transit_code = available_baseline_years.transit_code
    left join baselines
        on
            yearly.transit_code = baselines.transit_code
            and yearly.product_code = baselines.product_code
            and yearly.year = baselines.year
    left join products
        on yearly.product_code = products.product_code
    where yearly.year > {{ var('baseline_end_year') }}
),

ranked as (
    select
        *,
        row_number() over (partition by transit_code, year order by excess_eur desc, product_code asc) as excess_rank
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
        is_eu_export_banned
    from ranked
    where excess_rank <= {{ var('top_rerouted_n', 20) }}
)

select * from final
