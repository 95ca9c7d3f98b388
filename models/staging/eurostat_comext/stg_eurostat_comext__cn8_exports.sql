-- One row per EU member, partner, CN8 code and month: exports of CN8 codes within CHPL HS6 codes, EUR.
with

cn8_exports as (
    select * from {{ source('eurostat_comext', 'cn8_exports') }}
),

geo as (
    {{ eurostat_geo_to_iso3() }}
),

renamed as (
    select
        'eurostat_comext__cn8_exports/' || cn8_exports._partition_key as partition_id,
        reporter_geo.iso3 as reporter_code,
        partner_geo.iso3 as partner_code,
        cn8_exports.reporter_iso2 as reporter_code_source,
        cn8_exports.partner_iso2 as partner_code_source,
        cn8_exports.cn8 as product_code,
        'CN8' as product_level,
        cn8_exports.hs6,
        'export' as flow,
        'M' as frequency,
        'FOB' as valuation,
        cn8_exports.value_eur,
        cast(cn8_exports.month || '-01' as date) as period_start,
        cn8_exports._loaded_at
    from cn8_exports
    left join geo as reporter_geo
        on cn8_exports.reporter_iso2 = reporter_geo.geo_code
    left join geo as partner_geo
        on cn8_exports.partner_iso2 = partner_geo.geo_code
)

select * from renamed
