-- One row per frequency (A, M) and period: US dollars for 1 euro, averaged over the period
-- (`usd_per_eur`), and the rate of the period's last reference day (`usd_per_eur_end_of_period`, for
-- stocks such as FDI positions). The rate to convert EUR amounts to USD (multiply) and USD amounts to
-- EUR (divide).
-- Period averages: the ECB's own averages (SDMX series EXR.{A|M}.USD.EUR.SP00.A) where loaded, else the
-- mean of the ECB daily reference rates of the period from eurofxref-hist.zip (rate_source
-- 'ecb_daily'; only for a period the daily file covers to its end), else, for a year, 1 / the World
-- Bank's official euro-area rate (PA.NUS.FCRF for EMU, EUR per USD, period average), which agrees with
-- the ECB within 0.01% where both exist (a singular test checks 0.5%). End-of-period rates come from the
-- daily file only (null where it does not cover the period). No rate exists before 1999: the euro did
-- not.
with

ecb_rates as (
    select * from {{ ref('stg_ecb__exchange_rates') }}
),

daily_rates as (
    select * from {{ ref('stg_ecb__daily_reference_rates') }}
    where currency_code = 'USD'
),

worldbank_values as (
    select * from {{ ref('stg_worldbank__wdi_bulk_values') }}
),

ecb as (
    select
        frequency,
        'ecb' as rate_source,
        series_key as rate_series,
        year,
        month,
        usd_per_eur,
        period_start
    from ecb_rates
    -- a period the ECB published without a value is a missing rate, not a rate of null
    where usd_per_eur is not null
),

-- the daily file's last day: a period that has not ended by then gets no mean from it
daily_coverage as (
    select max(rate_date) as last_rate_date from daily_rates
),

daily_periods as (
    select
        'M' as frequency,
        year,
        month,
        make_date(year, month, 1) as period_start,
        {{ exact_avg('units_per_eur') }} as mean_usd_per_eur,
        max_by(units_per_eur, rate_date) as end_of_period_usd_per_eur,
        max(rate_date) as last_day_in_period
    from daily_rates
    group by year, month
    union all
    select
        'A' as frequency,
        year,
        cast(null as integer) as month,
        make_date(year, 1, 1) as period_start,
        {{ exact_avg('units_per_eur') }} as mean_usd_per_eur,
        max_by(units_per_eur, rate_date) as end_of_period_usd_per_eur,
        max(rate_date) as last_day_in_period
    from daily_rates
    group by year
),

complete_daily_periods as (
    select daily_periods.*
    from daily_periods
    cross join daily_coverage
    where
        daily_coverage.last_rate_date
        >= case daily_periods.frequency
            when 'A' then make_date(daily_periods.year, 12, 31)
            else last_day(daily_periods.period_start)
        end
        -- the last day of a period can be a holiday: a later rate in the file shows the period is over
        or daily_coverage.last_rate_date > daily_periods.last_day_in_period
),

daily_means as (
    select
        complete_daily_periods.frequency,
        'ecb_daily' as rate_source,
        'eurofxref-hist USD (mean of daily reference rates)' as rate_series,
        complete_daily_periods.year,
        complete_daily_periods.month,
        complete_daily_periods.mean_usd_per_eur as usd_per_eur,
        complete_daily_periods.period_start
    from complete_daily_periods
    left join ecb
        on
            complete_daily_periods.frequency = ecb.frequency
            and complete_daily_periods.period_start = ecb.period_start
    where ecb.period_start is null
),

worldbank_annual as (
    select
        'A' as frequency,
        'worldbank' as rate_source,
        'WDI PA.NUS.FCRF EMU (inverted)' as rate_series,
        year,
        cast(null as integer) as month,
        1 / value as usd_per_eur,
        period_start
    from worldbank_values
    where
        indicator_id = 'PA.NUS.FCRF'
        and country_code_source = 'EMU'
        and value > 0
        and year >= 1999
),

worldbank_fill as (
    select worldbank_annual.*
    from worldbank_annual
    left join ecb
        on ecb.frequency = 'A' and worldbank_annual.period_start = ecb.period_start
    left join daily_means
        on daily_means.frequency = 'A' and worldbank_annual.period_start = daily_means.period_start
    where ecb.period_start is null and daily_means.period_start is null
),

rates as (
    select * from ecb
    union all
    select * from daily_means
    union all
    select * from worldbank_fill
),

final as (
    select
        rates.*,
        complete_daily_periods.end_of_period_usd_per_eur as usd_per_eur_end_of_period
    from rates
    left join complete_daily_periods
        on
            rates.frequency = complete_daily_periods.frequency
            and rates.period_start = complete_daily_periods.period_start
)

select * from final
