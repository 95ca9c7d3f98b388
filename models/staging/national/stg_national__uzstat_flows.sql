-- One row per flow, partner and year of Uzbekistan's national statistics, in USD.
-- Partners are M49 codes; 736 (Sudan before 2011) maps to SDN; 'Other countries' (000) stays unmapped.
with

uzstat as (
    select * from {{ source('national', 'uzstat') }}
),

countries as (
    select
        iso3,
        m49
    from {{ ref('countries') }}
),

renamed as (
    select
        'national__uzstat/' || uzstat._partition_key as partition_id,
        uzstat.reporter_iso3 as reporter_code,
        case when uzstat.partner_code = '736' then 'SDN' else countries.iso3 end as partner_code,
        uzstat.reporter_iso3 as reporter_code_source,
        uzstat.partner_code as partner_code_source,
        uzstat.partner_label_en,
        uzstat.row_kind,
        uzstat.flow,
        'A' as frequency,
        case uzstat.flow when 'export' then 'FOB' else 'CIF' end as valuation,
        uzstat.value_thousand_usd * 1000 as value_usd,
        make_date(uzstat.year, 1, 1) as period_start,
        uzstat._loaded_at
    from uzstat
    left join countries
        on uzstat.partner_code = countries.m49
)

select * from renamed
