-- One row per frequency (A, M) and period: US dollars for 1 euro, averaged over the period. The rate to
-- convert EUR amounts to USD (multiply) and USD amounts to EUR (divide).
-- Annual: the ECB reference rate; for years the loaded ECB series does not cover (the bundled recording
-- starts in 2010), 1 / the World Bank's official euro-area rate (PA.NUS.FCRF for EMU, EUR per USD,
-- period average), which agrees with the ECB within 0.01% where both exist (a singular test checks
-- 0.5%). Monthly: the ECB only. No rate exists before 1999: the euro did not.
with

ecb_rates as (
    select * from {{ ref('stg_ecb__exchange_rates') }}
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
    where ecb.period_start is null
),

rates as (
    select * from ecb
    union all
    select * from worldbank_fill
)

select * from rates
