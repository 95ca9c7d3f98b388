-- One row per reporter, partner, product, flow and period from the Comext SDMX API, in EUR and kg.
with

sdmx as (
    select * from {{ source('eurostat_comext', 'sdmx') }}
),

geo as (
    {{ eurostat_geo_to_iso3() }}
),

renamed as (
    select
        'eurostat_comext__sdmx/' || sdmx._partition_key as partition_id,
        reporter_geo.iso3 as reporter_code,
        case when sdmx.partner = 'EXT_EU27_2020' then 'WLD' else partner_geo.iso3 end as partner_code,
        sdmx.reporter as reporter_code_source,
        sdmx.partner as partner_code_source,
        sdmx.product as product_code,
        case
            when sdmx.product = 'TOTAL' then 'TOTAL'
            when length(sdmx.product) = 2 then 'HS2'
            when length(sdmx.product) = 4 then 'HS4'
            when length(sdmx.product) = 6 then 'HS6'
            when length(sdmx.product) = 8 then 'CN8'
        end as product_level,
        case sdmx.flow when '1' then 'import' when '2' then 'export' end as flow,
        sdmx.freq as frequency,
        case sdmx.flow when '1' then 'CIF' when '2' then 'FOB' end as valuation,
        sdmx.value_eur,
        sdmx.quantity_100kg * 100 as net_weight_kg,
        case
            when sdmx.freq = 'A' then make_date(cast(sdmx.period as integer), 1, 1)
            else cast(sdmx.period || '-01' as date)
        end as period_start,
        sdmx._loaded_at
    from sdmx
    left join geo as reporter_geo
        on sdmx.reporter = reporter_geo.geo_code
    left join geo as partner_geo
        on sdmx.partner = partner_geo.geo_code
)

select * from renamed
