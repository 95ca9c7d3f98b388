-- One row per host, investor, year, measure and source: is the EU, or Russia, China, the US or Turkey,
-- investing in Central Asia? Host-side (wiiw: the host's central bank), EU-side (Eurostat BoP FDI) and
-- World Bank totals side by side; where sources disagree both rows stay, told apart by `source`.
{%- set hosts = var('fdi_hosts', ['KAZ', 'KGZ', 'TJK', 'TKM', 'UZB']) %}
{%- set investors = var('fdi_investors', ['EU27', 'RUS', 'CHN', 'USA', 'TUR', 'WLD']) %}
{%- set investor_groups = var('fdi_investor_groups', ['eu27']) %}
{%- set first_year = var('fdi_first_year', 2010) %}
{%- set host_list = "'" ~ hosts | join("', '") ~ "'" %}
{%- set investor_group_list = "'" ~ investor_groups | join("', '") ~ "'" %}
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

annual_rates as (
    select * from {{ ref('int_exchange_rates') }}
    where frequency = 'A'
),

country_groups as (
    select * from {{ ref('country_groups') }}
),

-- scope: the investors named in fdi_investors plus the members of the groups in fdi_investor_groups
named_investors as (
    select named.investor_code
    from (
        values
        {%- for investor in investors %}
            ('{{ investor }}'){{ "," if not loop.last }}
        {%- endfor %}
    ) as named (investor_code)
),

investor_scope as (
    select investor_code from named_investors
    union
    select iso3 as investor_code
    from country_groups
    where group_code in ({{ investor_group_list }})
),

eu27_members as (
    select distinct iso3
    from country_groups
    where group_code = 'eu27'
),

-- host-side: what the host's central bank records, by the investing partner (wiiw exports, EUR)
wiiw_facts as (
    select
        host_code,
        partner_code as investor_code,
        measure,
        'wiiw' as source,  -- noqa: RF04
        cast(null as varchar) as source_status,
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
        cast(null as varchar) as obs_status,
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
),

hosts_and_years_in_scope as (
    select *
    from facts
    where
        host_code in ({{ host_list }})
        and year >= {{ first_year }}
),

-- money in both currencies: flows with the ECB annual average of the year, stocks (positions at the end
-- of the year) with the rate of the year's last reference day (the annual average only where the ECB
-- daily file does not cover the year); the rate used and its basis are kept
rated as (
    select
        facts.*,
        case
            when facts.value_eur is null and facts.value_usd is null then cast(null as double)
            when facts.measure = 'fdi_inward_stock' and annual_rates.usd_per_eur_end_of_period is not null
                then annual_rates.usd_per_eur_end_of_period
            else annual_rates.usd_per_eur
        end as rate,
        case
            when facts.value_eur is null and facts.value_usd is null then cast(null as varchar)
            when facts.measure = 'fdi_inward_stock' and annual_rates.usd_per_eur_end_of_period is not null
                then 'ecb_end_of_period'
            when annual_rates.usd_per_eur is not null then 'annual_average'
        end as rate_basis
    from hosts_and_years_in_scope as facts
    left join annual_rates
        on facts.year = annual_rates.year
),

converted as (
    select
        facts.host_code,
        facts.investor_code,
        facts.measure,
        facts.source,
        facts.source_status,
        facts.year,
        coalesce(
            facts.value_eur,
            {{ usd_to_eur('facts.value_usd', 'facts.rate') }}
        ) as value_eur,
        coalesce(
            facts.value_usd,
            {{ eur_to_usd('facts.value_eur', 'facts.rate') }}
        ) as value_usd,
        facts.value_pct_of_gdp,
        facts.rate as usd_per_eur,
        facts.rate_basis,
        facts.period_start
    from rated as facts
),

-- the host's total from all investors (WLD) for the measure, year and source
host_totals as (
    select
        host_code,
        measure,
        source,
        year,
        value_eur as host_total_eur
    from converted
    where investor_code = 'WLD'
),

with_shares as (
    select
        converted.host_code,
        converted.investor_code,
        converted.measure,
        converted.source,
        converted.source_status,
        converted.year,
        converted.value_eur,
        converted.value_usd,
        converted.value_pct_of_gdp,
        100 * converted.value_eur / nullif(host_totals.host_total_eur, 0) as share_of_host_total_pct,
        converted.usd_per_eur,
        converted.rate_basis,
        eu27_members.iso3 is not null as is_investor_eu27_member,
        converted.period_start
    from converted
    left join host_totals
        on
            converted.host_code = host_totals.host_code
            and converted.measure = host_totals.measure
            and converted.source = host_totals.source
            and converted.year = host_totals.year
    left join eu27_members
        on converted.investor_code = eu27_members.iso3
),

investors_in_scope as (
    select with_shares.*
    from with_shares
    inner join investor_scope
        on with_shares.investor_code = investor_scope.investor_code
)

select * from investors_in_scope
