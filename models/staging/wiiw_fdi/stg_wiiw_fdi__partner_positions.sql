-- One row per host, partner, measure (FDI inflow, FDI inward stock) and year, from the wiiw exports.
with

source_rows as (
    select * from {{ source('wiiw_fdi', 'by_partner') }}
),

countries as (
    select * from {{ ref('countries') }}
),

-- wiiw's aggregate and historical partner codes, written the way the rest of the warehouse writes them
aggregate_codes as (
    select
        codes.code_source,
        codes.code
    from (
        values
        ('WORLD', 'WLD'),
        ('EU27_2020', 'EU27'),
        ('EU28_2013', 'EU28'),
        ('EU15_1995', 'EU15'),
        ('AN', 'ANT')
    ) as codes (code_source, code)
),

renamed as (
    select
        host_iso2 as host_code_source,
        partner_code as partner_code_source,
        case direction
            when 'FDI inflow' then 'fdi_inflow'
            when 'FDI inward stock' then 'fdi_inward_stock'
        end as measure,
        direction as direction_source,
        host_name,
        partner_name,
        unit,
        footnotes,
        sources as source_institution,
        file_name,
        _partition_key,
        _source_updated_at,
        year,
        value,
        _loaded_at
    from source_rows
),

-- the export has one row per unit (EUR m, in % of total): one row per host, partner, measure and year
pivoted as (
    select
        host_code_source,
        partner_code_source,
        measure,
        direction_source,
        host_name,
        partner_name,
        max(case when unit = 'EUR m' then footnotes end) as footnotes,
        max(case when unit = 'EUR m' then source_institution end) as source_institution,
        file_name,
        _partition_key,
        _source_updated_at,
        year,
        max(case when unit = 'EUR m' then value end) as value_eur_m,
        max(case when unit = 'in % of total' then value end) as share_of_host_total_pct,
        max(_loaded_at) as _loaded_at
    from renamed
    group by
        host_code_source,
        partner_code_source,
        measure,
        direction_source,
        host_name,
        partner_name,
        file_name,
        _partition_key,
        _source_updated_at,
        year
),

coded as (
    select
        host_countries.iso3 as host_code,
        pivoted.host_code_source,
        coalesce(aggregate_codes.code, partner_countries.iso3) as partner_code,
        pivoted.partner_code_source,
        pivoted.measure,
        pivoted.direction_source,
        pivoted.host_name,
        pivoted.partner_name,
        pivoted.footnotes,
        pivoted.source_institution,
        pivoted.file_name,
        pivoted._partition_key,
        pivoted._source_updated_at,
        'A' as frequency,
        pivoted.year,
        pivoted.value_eur_m,
        pivoted.share_of_host_total_pct,
        partner_countries.iso3 is null as is_partner_aggregate,
        pivoted._loaded_at
    from pivoted
    left join countries as host_countries
        on pivoted.host_code_source = host_countries.iso2
    left join countries as partner_countries
        on pivoted.partner_code_source = partner_countries.iso2
    left join aggregate_codes
        on pivoted.partner_code_source = aggregate_codes.code_source
),

converted as (
    select
        host_code,
        host_code_source,
        partner_code,
        partner_code_source,
        measure,
        direction_source,
        host_name,
        partner_name,
        footnotes,
        source_institution,
        file_name,
        _partition_key,
        _source_updated_at,
        frequency,
        year,
        value_eur_m * 1000000 as value_eur,
        share_of_host_total_pct,
        is_partner_aggregate,
        make_date(year, 1, 1) as period_start,
        _loaded_at
    from coded
)

select * from converted
