-- One row per indicator, country (or World Bank aggregate) and year, from the WDI bulk CSV files.
with

source_values as (
    select * from {{ source('worldbank', 'wdi_bulk') }}
),

countries as (
    select * from {{ ref('countries') }}
),

renamed as (
    select
        indicator_id,
        country_iso3 as country_code_source,
        indicator_name,
        country_name,
        file_name,
        _partition_key,
        _source_updated_at,
        year,
        value,
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
        renamed.indicator_name,
        renamed.country_name,
        case
            when renamed.indicator_name like '%current US$)%' then 'current USD'
            when renamed.indicator_name like '%(% of GDP)%' then 'percent of GDP'
            when renamed.indicator_name like '%(LCU per US$%' then 'LCU per USD'
        end as value_unit,
        'A' as frequency,
        renamed.file_name,
        renamed._partition_key,
        renamed._source_updated_at,
        renamed.year,
        renamed.value,
        countries.iso3 is null as is_aggregate,
        make_date(renamed.year, 1, 1) as period_start,
        renamed.source_last_updated_on,
        renamed._loaded_at
    from renamed
    left join countries
        on renamed.country_code_source = countries.iso3
)

select * from coded
