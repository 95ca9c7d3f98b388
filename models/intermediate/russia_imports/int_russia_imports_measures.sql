{#-
    One row per row of int_russia_imports_series with its pre-war baselines and robust measures:
      baseline_mean_usd         mean of the monthly values over the baseline years (vars
                                baseline_start_year..baseline_end_year, default 2019-2021), over the
                                months the partner reports (zeros included); `baseline_months` counts them
      baseline_median_month_usd median of the 12 months of var baseline_end_year (2021); null unless the
                                partner reports all 12 months of that year
      index_vs_mean             100 x value / baseline_mean_usd (null when the baseline is null or 0)
      index_vs_median_month     100 x value / baseline_median_month_usd (same)
      rolling_12m_usd           sum of the 12 months ending with this one; null unless all 12 are reported
      yoy_growth                value / value of the same month a year earlier - 1; null when that month
                                is not reported or was 0
-#}
with

series as (
    select * from {{ ref('int_russia_imports_series') }}
),

baseline_mean as (
    select
        partner_code,
        product_level,
        product_code,
        {{ exact_avg('value_usd') }} as baseline_mean_usd,
        count(*) as baseline_months,
        min(year(period_start)) as first_year,
        max(year(period_start)) as last_year
    from series
    where year(period_start) between {{ var('baseline_start_year') }} and {{ var('baseline_end_year') }}
    group by partner_code, product_level, product_code
),

baseline_median as (
    select
        partner_code,
        product_level,
        product_code,
        median(value_usd) as baseline_median_month_usd
    from series
    where year(period_start) = {{ var('baseline_end_year') }}
    group by partner_code, product_level, product_code
    having count(*) = 12
),

windowed as (
    select
        series.*,
        cast(sum(cast(series.value_usd as decimal(38, 6))) over last_12 as double) as sum_12,
        count(*) over last_12 as n_12
    from series
    window last_12 as (
        partition by partner_code, product_level, product_code
        order by period_start
        range between interval 11 month preceding and current row
    )
),

final as (
    select
        windowed.partner_code,
        windowed.product_level,
        windowed.product_code,
        windowed.value_usd,
        windowed.value_eur,
        windowed.net_weight_kg,
        windowed.is_filled_zero,
        case
            when baseline_mean.first_year = baseline_mean.last_year then cast(baseline_mean.first_year as string)
            else cast(baseline_mean.first_year as string) || '-' || cast(baseline_mean.last_year as string)
        end as baseline_years,
        baseline_mean.baseline_months,
        baseline_mean.baseline_mean_usd,
        baseline_median.baseline_median_month_usd,
        100 * windowed.value_usd / nullif(baseline_mean.baseline_mean_usd, 0) as index_vs_mean,
        100 * windowed.value_usd / nullif(baseline_median.baseline_median_month_usd, 0) as index_vs_median_month,
        case when windowed.n_12 = 12 then windowed.sum_12 end as rolling_12m_usd,
        windowed.value_usd / nullif(last_year.value_usd, 0) - 1 as yoy_growth,
        windowed.period_start
    from windowed
    left join baseline_mean
        on
            windowed.partner_code = baseline_mean.partner_code
            and windowed.product_level = baseline_mean.product_level
            and windowed.product_code = baseline_mean.product_code
    left join baseline_median
        on
            windowed.partner_code = baseline_median.partner_code
            and windowed.product_level = baseline_median.product_level
            and windowed.product_code = baseline_median.product_code
    left join series as last_year
        on
            windowed.partner_code = last_year.partner_code
            and windowed.product_level = last_year.product_level
            and windowed.product_code = last_year.product_code
            and windowed.period_start = last_year.period_start + interval 12 month
)

select * from final
