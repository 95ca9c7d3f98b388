{#-
    One row per transit_code (seed group transit_candidates), HS2022 product_code and year: EU27 exports
    of the product to the country that year (the months with data), and its baseline, the mean over the
    baseline years (vars baseline_start_year..baseline_end_year) of the same months (January to the last
    month with data that year, so a year with eleven months is compared with eleven months); a baseline
    year without the product counts as zero there (the product files drop zero cells).
    A product whose baseline lies in codes the data do not have (no code it converts from, nor the code
    itself, appears in the EU27 HS6 data of the baseline years: e.g. smartphones 851713, new in HS2022,
    when the files of 2019-2021 do not carry 851712) has no baseline: baseline_eur null and
    baseline_note says why. A product the baseline data carry but never sent to this country in the baseline
    years has a baseline of zero, said in baseline_note (no index: top_rerouted_products ranks only
    positive baselines).
-#}
with

hs6 as (
    select * from {{ ref('int_trade_flows_hs2022') }}
    where reporter_code = 'EU27' and flow = 'export' and frequency = 'M'
),

-- the HS2017 codes each HS2022 code takes value from (itself where the table has no link)
predecessors as (
    select
        from_hs6 as product_code,
        to_hs6 as predecessor_code
    from {{ ref('hs_concordance') }}
    where from_vintage = 'HS2022' and to_vintage = 'HS2017'
),

-- the reported codes the data have in the baseline years (any partner)
baseline_codes as (
    select distinct product_code_reported
    from hs6
    where year(period_start) between {{ var('baseline_start_year') }} and {{ var('baseline_end_year') }}
),

transit as (
    select iso3 as transit_code
    from {{ ref('country_groups') }}
    where group_code = 'transit_candidates'
),

monthly as (
    select
        hs6.partner_code as transit_code,
        hs6.product_code_hs2022 as product_code,
        cast(year(hs6.period_start) as bigint) as year,  -- year() is an int on Spark
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

covered_products as (
    select distinct products.product_code
    from (select distinct product_code from yearly) as products
    left join predecessors
        on products.product_code = predecessors.product_code
    inner join baseline_codes
        on coalesce(predecessors.predecessor_code, products.product_code) = baseline_codes.product_code_reported
),

product_years as (
    select
        yearly.transit_code,
        yearly.product_code,
        yearly.year,
        available_baseline_years.first_year || '-' || available_baseline_years.last_year as baseline_years,
        yearly.eu_exports_eur,
        -- a product the baseline years' data carry, never sent to this country then: a true zero baseline
        -- (the files drop zero cells), with no index; a product the data do not have: no baseline at all
        case
            when covered_products.product_code is not null then coalesce(baselines.baseline_eur, 0)
        end as baseline_eur,
        case
            when covered_products.product_code is null
                then 'no baseline: the data of the baseline years have none of the codes it converts from'
            when coalesce(baselines.baseline_eur, 0) = 0
                then 'zero baseline: no EU27 exports of it to the country in the baseline years (no index)'
        end as baseline_note,
        yearly.months_covered
    from yearly
    inner join available_baseline_years
        on yearly.transit_code = available_baseline_years.transit_code
    left join baselines
        on
            yearly.transit_code = baselines.transit_code
            and yearly.product_code = baselines.product_code
            and yearly.year = baselines.year
    left join covered_products
        on yearly.product_code = covered_products.product_code
)

select * from product_years
