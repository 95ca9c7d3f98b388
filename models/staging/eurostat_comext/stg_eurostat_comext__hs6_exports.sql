-- One row per partner, HS6 and month: EU27 exports of goods under EU export bans (sum of the 27), EUR.
with

hs6_exports as (
    select * from {{ source('eurostat_comext', 'hs6_exports_eu27') }}
),

geo as (
    {{ eurostat_geo_to_iso3() }}
),

renamed as (
    select
        'eurostat_comext__hs6_exports_eu27/' || hs6_exports._partition_key as partition_id,
        'EU27' as reporter_code,
        partner_geo.iso3 as partner_code,
        'EU27_2020' as reporter_code_source,
        hs6_exports.partner_iso2 as partner_code_source,
        hs6_exports.hs6 as product_code,
        'HS6' as product_level,
        'export' as flow,
        'M' as frequency,
        'FOB' as valuation,
        hs6_exports.value_eur_sum as value_eur,
        cast(hs6_exports.month || '-01' as date) as period_start,
        hs6_exports._loaded_at
    from hs6_exports
    left join geo as partner_geo
        on hs6_exports.partner_iso2 = partner_geo.geo_code
)

select * from renamed
