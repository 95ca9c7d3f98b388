{#-
    One row per row of int_rerouting_series with its baseline: the mean of the same series over the
    baseline years (vars baseline_start_year, baseline_end_year; default 2019-2021).
      monthly rows        mean of the same calendar month in the baseline years
      complete years      mean of the complete baseline years
      incomplete years    (months_covered < 12: e.g. 2024 with eight months) mean over the baseline
                          years of the same months (January to last_month), never a full year; a
                          year with a gap inside (months_covered < last_month) gets no baseline
    Only baseline years with data count; `baseline_years` says which (e.g. 2020-2021 where the series
    starts in 2020), `baseline_n_years` how many.
-#}
with

series as (
    select * from {{ ref('int_rerouting_series') }}
),

baseline_window as (
    select * from series
    where year(period_start) between {{ var('baseline_start_year') }} and {{ var('baseline_end_year') }}
),

monthly_baseline as (
    select
        measure,
        partner_code,
        product_scope,
        month(period_start) as calendar_month,
        {{ exact_avg('value') }} as baseline,
        min(year(period_start)) as first_year,
        max(year(period_start)) as last_year,
        count(*) as n_years
    from baseline_window
    where frequency = 'M'
    group by measure, partner_code, product_scope, month(period_start)
),

annual_baseline as (
    select
        measure,
        partner_code,
        product_scope,
        {{ exact_avg('value') }} as baseline,
        min(year(period_start)) as first_year,
        max(year(period_start)) as last_year,
        count(*) as n_years
    from baseline_window
    where frequency = 'A' and months_covered = 12
    group by measure, partner_code, product_scope
),

month_numbers as (
    select last_month
    from {{ integer_series(1, 13, 'last_month') }}
),

-- Year-to-date sums of each complete run of months January..last_month in the baseline years.
baseline_ytd_by_year as (
    select
        baseline_window.measure,
        baseline_window.partner_code,
        baseline_window.product_scope,
        month_numbers.last_month,
        year(baseline_window.period_start) as year,
        {{ exact_sum('baseline_window.value') }} as ytd_value,
        count(*) as n_months
    from baseline_window
    inner join month_numbers
        on month(baseline_window.period_start) <= month_numbers.last_month
    where baseline_window.frequency = 'M'
    group by
        baseline_window.measure, baseline_window.partner_code, baseline_window.product_scope,
        month_numbers.last_month, year(baseline_window.period_start)
),

ytd_baseline as (
    select
        measure,
        partner_code,
        product_scope,
        last_month,
        {{ exact_avg('ytd_value') }} as baseline,
        min(year) as first_year,
        max(year) as last_year,
        count(*) as n_years
    from baseline_ytd_by_year
    where n_months = last_month
    group by measure, partner_code, product_scope, last_month
),

joined as (
    select
        series.measure,
        series.partner_code,
        series.product_scope,
        series.frequency,
        series.series_origin,
        series.value,
        series.net_weight_kg,
        series.months_covered,
        series.last_month,
        case
            when series.frequency = 'M' then monthly_baseline.baseline
            when series.months_covered = 12 then annual_baseline.baseline
            else ytd_baseline.baseline
        end as baseline,
        case
            when series.frequency = 'M' then monthly_baseline.first_year
            when series.months_covered = 12 then annual_baseline.first_year
            else ytd_baseline.first_year
        end as baseline_first_year,
        case
            when series.frequency = 'M' then monthly_baseline.last_year
            when series.months_covered = 12 then annual_baseline.last_year
            else ytd_baseline.last_year
        end as baseline_last_year,
        case
            when series.frequency = 'M' then monthly_baseline.n_years
            when series.months_covered = 12 then annual_baseline.n_years
            else ytd_baseline.n_years
        end as baseline_n_years,
        series.period_start
    from series
    left join monthly_baseline
        on
            series.frequency = 'M'
            and series.measure = monthly_baseline.measure
            and series.partner_code = monthly_baseline.partner_code
            and series.product_scope = monthly_baseline.product_scope
            and month(series.period_start) = monthly_baseline.calendar_month
    left join annual_baseline
        on
            series.frequency = 'A'
            and series.months_covered = 12
            and series.measure = annual_baseline.measure
            and series.partner_code = annual_baseline.partner_code
            and series.product_scope = annual_baseline.product_scope
    left join ytd_baseline
        on
            series.frequency = 'A'
            and series.months_covered < 12
            and series.months_covered = series.last_month
            and series.measure = ytd_baseline.measure
            and series.partner_code = ytd_baseline.partner_code
            and series.product_scope = ytd_baseline.product_scope
            and series.last_month = ytd_baseline.last_month
),

final as (
    select
        measure,
        partner_code,
        product_scope,
        frequency,
        series_origin,
        case
            when baseline_first_year is null then null
            when baseline_first_year = baseline_last_year then cast(baseline_first_year as string)
            else cast(baseline_first_year as string) || '-' || cast(baseline_last_year as string)
        end as baseline_years,
        value,
        baseline,
        100 * value / nullif(baseline, 0) as index_vs_baseline,
        value - baseline as excess,
        net_weight_kg,
        months_covered,
        last_month,
        baseline_n_years,
        period_start
    from joined
)

select * from final
