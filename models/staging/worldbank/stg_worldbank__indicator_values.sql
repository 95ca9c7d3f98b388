-- One row per indicator, country (or World Bank aggregate) and period, from the WDI API v2.
with

source_values as (
    select * from {{ source('worldbank', 'indicators') }}
),

countries as (
    select * from {{ ref('countries') }}
),

renamed as (
    select
        indicator_id,
        coalesce(country_iso3, country_id) as country_code_source,
        country_id as country_id_source,
        indicator_name,
        country_name,
        date as period_source,
        unit as unit_source,
        obs_status,
        _partition_key,
        _source_updated_at,
        year,
        value,
        decimal as decimal_places,
        cast(source_last_updated as date) as source_last_updated_on,
        _loaded_at
    from source_values
),

coded as (
    select
        renamed.indicator_id,
        case
            when renamed.country_code_source = 'EUU' then 'EU27'
            else renamed.country_code_source
        end as country_code,
        renamed.country_code_source,
        renamed.country_id_source,
        renamed.indicator_name,
        renamed.country_name,
        case
            when renamed.indicator_name like '%current US$)%' then 'current USD'
            when renamed.indicator_name like '%(% of GDP)%' then 'percent of GDP'
            when renamed.indicator_name like '%(LCU per US$%' then 'LCU per USD'
        end as value_unit,
        case
            when {{ regexp_full_match('renamed.period_source', '[0-9]{4}') }} then 'A'
            when {{ regexp_full_match('renamed.period_source', '[0-9]{4}Q[1-4]') }} then 'Q'
            when {{ regexp_full_match('renamed.period_source', '[0-9]{4}M[0-9]{2}') }} then 'M'
        end as frequency,
        renamed.period_source,
        renamed.unit_source,
        renamed.obs_status,
        renamed._partition_key,
        renamed._source_updated_at,
        renamed.year,
        renamed.value,
        renamed.decimal_places,
        countries.iso3 is null as is_aggregate,
        renamed.source_last_updated_on,
        renamed._loaded_at
    from renamed
    left join countries
        on renamed.country_code_source = countries.iso3
),

dated as (
    select
        indicator_id,
        country_code,
        country_code_source,
        country_id_source,
        indicator_name,
        country_name,
        value_unit,
        frequency,
        period_source,
        unit_source,
        obs_status,
        _partition_key,
        _source_updated_at,
        year,
        value,
        decimal_places,
        is_aggregate,
        case frequency
            when 'A' then make_date(year, 1, 1)
            when 'Q' then make_date(year, 3 * cast(substr(period_source, 6, 1) as integer) - 2, 1)
            when 'M' then make_date(year, cast(substr(period_source, 6, 2) as integer), 1)
        end as period_start,
        source_last_updated_on,
        _loaded_at
    from coded
)

select * from dated
