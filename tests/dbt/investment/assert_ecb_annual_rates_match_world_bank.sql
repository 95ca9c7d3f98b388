-- The ECB annual USD/EUR rates agree with the World Bank's official exchange rate for the euro area
-- (PA.NUS.FCRF, EMU: euros per US dollar, period average, so 1 / value is US dollars per euro) within
-- 0.5% for every year both have. Returns the years that disagree; fails if there is no common year at all,
-- so the check can never pass by having nothing to compare.
with

ecb_annual as (
    select
        year,
        usd_per_eur
    from {{ ref('int_exchange_rates') }}
    where frequency = 'A'
),

world_bank_euro_area as (
    select
        year,
        1 / value as usd_per_eur
    from {{ ref('stg_worldbank__wdi_bulk_values') }}
    where
        indicator_id = 'PA.NUS.FCRF'
        and country_code = 'EMU'
        and value > 0
),

compared as (
    select
        ecb_annual.year,
        ecb_annual.usd_per_eur as ecb_usd_per_eur,
        world_bank_euro_area.usd_per_eur as world_bank_usd_per_eur,
        abs(ecb_annual.usd_per_eur / world_bank_euro_area.usd_per_eur - 1) as relative_difference
    from ecb_annual
    inner join world_bank_euro_area
        on ecb_annual.year = world_bank_euro_area.year
),

disagreements as (
    select
        year,
        ecb_usd_per_eur,
        world_bank_usd_per_eur,
        relative_difference,
        'rates differ by more than 0.5%' as problem
    from compared
    where relative_difference > 0.005
),

nothing_compared as (
    select
        cast(null as integer) as year,  -- noqa: RF04
        cast(null as double) as ecb_usd_per_eur,
        cast(null as double) as world_bank_usd_per_eur,
        cast(null as double) as relative_difference,
        'no year has both an ECB annual rate and a World Bank EMU rate' as problem
    where not exists (select 1 from compared)
),

failures as (
    select * from disagreements
    union all
    select * from nothing_compared
)

select * from failures
