-- One row per host, measure, NACE classification, breakdown, industry and year, from the wiiw exports.
with

source_rows as (
    select * from {{ source('wiiw_fdi', 'by_industry') }}
),

countries as (
    select * from {{ ref('countries') }}
),

renamed as (
    select
        host_iso2 as host_code_source,
        coalesce(nace_code, 'TOTAL') as industry_code,
        nace_code as nace_code_source,
        case direction
            when 'FDI inflow' then 'fdi_inflow'
            when 'FDI inward stock' then 'fdi_inward_stock'
        end as measure,
        classification as nace_classification,
        case digit
            when 'NACE 1-letter' then 'section'
            when 'NACE 2-letter - Manufacturing' then 'manufacturing_division'
        end as breakdown,
        direction as direction_source,
        digit as digit_source,
        industry as industry_source,
        industry_name,
        host_name,
        unit,
        footnotes,
        sources as source_institution,
        file_name,
        _partition_key,
        _source_updated_at,
        year,
        value,
        nace_code is null as is_total,
        _loaded_at
    from source_rows
),

-- the export has one row per unit (EUR m, in % of total, in % of total manufacturing)
pivoted as (
    select
        host_code_source,
        industry_code,
        nace_code_source,
        measure,
        nace_classification,
        breakdown,
        direction_source,
        digit_source,
        industry_source,
        industry_name,
        host_name,
        max(case when unit = 'EUR m' then footnotes end) as footnotes,
        max(case when unit = 'EUR m' then source_institution end) as source_institution,
        file_name,
        _partition_key,
        _source_updated_at,
        year,
        max(case when unit = 'EUR m' then value end) as value_eur_m,
        max(case when unit = 'in % of total' then value end) as share_of_host_total_pct,
        max(case when unit = 'in % of total manufacturing' then value end) as share_of_manufacturing_pct,
        is_total,
        max(_loaded_at) as _loaded_at
    from renamed
    group by
        host_code_source,
        industry_code,
        nace_code_source,
        measure,
        nace_classification,
        breakdown,
        direction_source,
        digit_source,
        industry_source,
        industry_name,
        host_name,
        file_name,
        _partition_key,
        _source_updated_at,
        year,
        is_total
),

coded as (
    select
        host_countries.iso3 as host_code,
        pivoted.host_code_source,
        pivoted.industry_code,
        pivoted.nace_code_source,
        pivoted.measure,
        pivoted.nace_classification,
        pivoted.breakdown,
        pivoted.direction_source,
        pivoted.digit_source,
        pivoted.industry_source,
        pivoted.industry_name,
        pivoted.host_name,
        pivoted.footnotes,
        pivoted.source_institution,
        pivoted.file_name,
        pivoted._partition_key,
        pivoted._source_updated_at,
        'A' as frequency,
        pivoted.year,
        pivoted.value_eur_m * 1000000 as value_eur,
        pivoted.share_of_host_total_pct,
        pivoted.share_of_manufacturing_pct,
        pivoted.is_total,
        make_date(pivoted.year, 1, 1) as period_start,
        pivoted._loaded_at
    from pivoted
    left join countries as host_countries
        on pivoted.host_code_source = host_countries.iso2
)

select * from coded
