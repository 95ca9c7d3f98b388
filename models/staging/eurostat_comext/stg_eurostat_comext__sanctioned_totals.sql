-- One row per EU member, partner and month: exports of every CN8 code under EU export bans, in EUR.
with

sanctioned as (
    select * from {{ source('eurostat_comext', 'sanctioned_total') }}
),

geo as (
    {{ eurostat_geo_to_iso3() }}
),

renamed as (
    select
        'eurostat_comext__sanctioned_total/' || sanctioned._partition_key as partition_id,
        reporter_geo.iso3 as reporter_code,
        partner_geo.iso3 as partner_code,
        sanctioned.reporter_iso2 as reporter_code_source,
        sanctioned.partner_iso2 as partner_code_source,
        'EU_BANNED' as product_scope,
        sanctioned.value_eur,
        cast(sanctioned.month || '-01' as date) as period_start,
        sanctioned._loaded_at
    from sanctioned
    left join geo as reporter_geo
        on sanctioned.reporter_iso2 = reporter_geo.geo_code
    left join geo as partner_geo
        on sanctioned.partner_iso2 = partner_geo.geo_code
)

select * from renamed
