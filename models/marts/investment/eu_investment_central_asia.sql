-- One row per host, investor, year, measure and source: is the EU, or Russia, China, the US or Turkey,
-- investing in Central Asia? The sources' facts (int_fdi_facts) for the hosts of the seed's central_asia
-- group and the investors in scope, in both currencies, with each investor's share of the host's total.
{%- set investors = var('fdi_investors') %}
{%- set investor_groups = var('fdi_investor_groups') %}
{%- set first_year = var('fdi_first_year') %}
{%- set investor_group_list = "'" ~ investor_groups | join("', '") ~ "'" %}
with

facts as (
    select * from {{ ref('int_fdi_facts') }}
),

annual_rates as (
    select * from {{ ref('int_exchange_rates') }}
    where frequency = 'A'
),

country_groups as (
    select * from {{ ref('country_groups') }}
),

-- scope: the hosts of the seed's central_asia group; the investors named in fdi_investors plus the
-- members of the groups in fdi_investor_groups
hosts as (
    select iso3 as host_code
    from country_groups
    where group_code = 'central_asia'
),

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

hosts_and_years_in_scope as (
    select *
    from facts
    where
        host_code in (select hosts.host_code from hosts)
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
            when facts.value_eur is null and facts.value_usd is null then cast(null as string)
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
