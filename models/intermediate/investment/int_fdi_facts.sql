{#-
    One row per host, investor, measure, source and year, as the source reports it (no conversion):
    host-side (wiiw: the host's central bank), EU-side (Eurostat BoP FDI) and World Bank totals. Where
    sources disagree both rows stay, told apart by `source`. eu_investment_central_asia scopes, converts
    and shares them.
-#}
with

wiiw_positions as (
    select * from {{ ref('stg_wiiw_fdi__partner_positions') }}
),

eurostat_positions as (
    select * from {{ ref('stg_eurostat_fdi__positions') }}
),

eurostat_flows as (
    select * from {{ ref('stg_eurostat_fdi__flows') }}
),

worldbank_api_values as (
    select * from {{ ref('stg_worldbank__indicator_values') }}
),

worldbank_bulk_values as (
    select * from {{ ref('stg_worldbank__wdi_bulk_values') }}
),

-- host-side: what the host's central bank records, by the investing partner (wiiw exports, EUR)
wiiw_facts as (
    select
        host_code,
        partner_code as investor_code,
        measure,
        'wiiw' as source,  -- noqa: RF04
        cast(null as string) as source_status,
        year,
        value_eur,
        cast(null as double) as value_usd,
        cast(null as double) as value_pct_of_gdp,
        period_start
    from wiiw_positions
    where value_eur is not null
),

-- EU-side: the EU's (or a member's) net outward direct investment in the host, total of all activities
-- and entities, all instruments, in EUR; positions are the host's inward stock, flows its inflow
eurostat_cells as (
    select
        *,
        'fdi_inward_stock' as measure
    from eurostat_positions
    union all
    select
        *,
        'fdi_inflow' as measure
    from eurostat_flows
),

eurostat_facts as (
    select
        partner_code as host_code,
        reporter_code as investor_code,
        measure,
        'eurostat_bop_fdi6' as source,  -- noqa: RF04
        obs_status as source_status,
        year,
        value_eur,
        cast(null as double) as value_usd,
        cast(null as double) as value_pct_of_gdp,
        period_start
    from eurostat_cells
    where
        frequency = 'A'
        and currency_code = 'MIO_EUR'
        and stock_flow_code = 'NO'
        and nace_r2_code = 'FDI'
        and entity_code = 'TOTAL'
        and fdi_item_code = 'DI__D__F'
        and value_eur is not null
),

-- World Bank: FDI net inflows from all investors (BoP, current US$) and as % of GDP, from the API and
-- the bulk files; the same value may come from both
worldbank_values as (
    select
        indicator_id,
        country_code,
        obs_status,
        year,
        value,
        1 as source_rank,
        period_start,
        source_last_updated_on
    from worldbank_api_values
    where frequency = 'A'
    union all
    select
        indicator_id,
        country_code,
        cast(null as string) as obs_status,
        year,
        value,
        2 as source_rank,
        period_start,
        source_last_updated_on
    from worldbank_bulk_values
),

-- one value per indicator, country and year: the latest WDI release, the API before the bulk file
worldbank_ranked as (
    select
        *,
        row_number() over (
            partition by indicator_id, country_code, year
            order by source_last_updated_on desc nulls last, source_rank asc
        ) as release_rank
    from worldbank_values
    where
        indicator_id in ('BX.KLT.DINV.CD.WD', 'BX.KLT.DINV.WD.GD.ZS')
        and value is not null
),

worldbank_facts as (
    select
        country_code as host_code,
        'WLD' as investor_code,
        case indicator_id
            when 'BX.KLT.DINV.CD.WD' then 'fdi_net_inflows_total'
            when 'BX.KLT.DINV.WD.GD.ZS' then 'fdi_pct_gdp'
        end as measure,
        'worldbank' as source,  -- noqa: RF04
        obs_status as source_status,
        year,
        cast(null as double) as value_eur,
        case when indicator_id = 'BX.KLT.DINV.CD.WD' then value end as value_usd,
        case when indicator_id = 'BX.KLT.DINV.WD.GD.ZS' then value end as value_pct_of_gdp,
        period_start
    from worldbank_ranked
    where release_rank = 1
),

facts as (
    select * from wiiw_facts
    union all
    select * from eurostat_facts
    union all
    select * from worldbank_facts
)

select * from facts
