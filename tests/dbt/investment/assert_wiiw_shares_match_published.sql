-- The mart's wiiw shares (value / the host's WORLD total, recomputed from EUR values) agree with the
-- shares wiiw publishes ('in % of total') within 0.0001 percentage points. Returns the rows that disagree;
-- fails too when no row could be compared, so the check can never pass by comparing nothing.
with

mart_rows as (
    select * from {{ ref('eu_investment_central_asia') }}
    where source = 'wiiw'
),

published as (
    select * from {{ ref('stg_wiiw_fdi__partner_positions') }}
    where share_of_host_total_pct is not null
),

compared as (
    select
        mart_rows.host_code,
        mart_rows.investor_code,
        mart_rows.measure,
        mart_rows.year,
        mart_rows.share_of_host_total_pct as mart_share_pct,
        published.share_of_host_total_pct as published_share_pct
    from mart_rows
    inner join published
        on
            mart_rows.host_code = published.host_code
            and mart_rows.investor_code = published.partner_code
            and mart_rows.measure = published.measure
            and mart_rows.year = published.year
),

disagreements as (
    select
        host_code,
        investor_code,
        measure,
        year,
        mart_share_pct,
        published_share_pct,
        'recomputed share differs from the published one' as problem
    from compared
    where
        mart_share_pct is null
        or abs(mart_share_pct - published_share_pct) > 0.0001
),

nothing_compared as (
    select
        cast(null as string) as host_code,
        cast(null as string) as investor_code,
        cast(null as string) as measure,
        cast(null as integer) as year,  -- noqa: RF04
        cast(null as double) as mart_share_pct,
        cast(null as double) as published_share_pct,
        'no wiiw row of the mart has a published share' as problem
    where not exists (select 1 from compared)
),

failures as (
    select * from disagreements
    union all
    select * from nothing_compared
)

select * from failures
