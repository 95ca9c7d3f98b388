-- One row per country (ISO3) plus the aggregates used as partners in the facts (WLD, EU27).
with

countries as (
    select * from {{ ref('countries') }}
),

groups as (
    select * from {{ ref('country_groups') }}
),

group_flags as (
    select
        iso3,
        bool_or(group_code = 'eu27') as is_eu27,
        bool_or(group_code = 'eu' and valid_to is null) as is_eu_member,
        bool_or(group_code = 'central_asia') as is_central_asia,
        bool_or(group_code = 'eaeu' and valid_to is null) as is_eaeu,
        bool_or(group_code = 'cis' and valid_to is null) as is_cis,
        bool_or(group_code = 'transit_candidates') as is_transit_candidate
    from groups
    group by iso3
),

country_rows as (
    select
        countries.iso3 as country_code,
        countries.iso2,
        countries.iso_numeric,
        countries.m49,
        countries.comtrade_code,
        countries.name as country_name,
        countries.short_name,
        countries.region_name,
        countries.sub_region_name,
        countries.currency_code,
        coalesce(group_flags.is_eu27, false) as is_eu27,
        coalesce(group_flags.is_eu_member, false) as is_eu_member,
        coalesce(group_flags.is_central_asia, false) as is_central_asia,
        coalesce(group_flags.is_eaeu, false) as is_eaeu,
        coalesce(group_flags.is_cis, false) as is_cis,
        coalesce(group_flags.is_transit_candidate, false) as is_transit_candidate,
        false as is_aggregate
    from countries
    left join group_flags
        on countries.iso3 = group_flags.iso3
),

aggregate_rows as (
    select
        aggregates.country_code,
        cast(null as string) as iso2,
        cast(null as string) as iso_numeric,
        aggregates.m49,
        aggregates.comtrade_code,
        aggregates.country_name,
        aggregates.country_name as short_name,
        cast(null as string) as region_name,
        cast(null as string) as sub_region_name,
        cast(null as string) as currency_code,
        false as is_eu27,
        false as is_eu_member,
        false as is_central_asia,
        false as is_eaeu,
        false as is_cis,
        false as is_transit_candidate,
        true as is_aggregate
    from (
        values
        ('WLD', '001', '0', 'World'),
        ('EU27', cast(null as string), '97', 'European Union (27 members, EU27_2020)')
    ) as aggregates (country_code, m49, comtrade_code, country_name)
),

unioned as (
    select * from country_rows
    union all
    select * from aggregate_rows
)

select * from unioned
