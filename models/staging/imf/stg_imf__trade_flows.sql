-- One row per reporting country, counterpart, flow, frequency and period from IMF IMTS, in USD.
-- Counterpart G001 is the world (WLD); other IMF groups (G998...) stay unmapped and are reported.
with

imts as (
    select * from {{ source('imf', 'imts') }}
),

countries as (
    select iso3 from {{ ref('countries') }}
),

renamed as (
    select
        'imf__imts/' || imts._partition_key as partition_id,
        imts.country_code as reporter_code_source,
        imts.counterpart_code as partner_code_source,
        case
            when imts.counterpart_code = 'G001' then 'WLD'
            when countries.iso3 is not null then countries.iso3
        end as partner_code,
        imts.indicator,
        case imts.indicator when 'XG_FOB_USD' then 'export' when 'MG_CIF_USD' then 'import' end as flow,
        case imts.indicator when 'XG_FOB_USD' then 'FOB' when 'MG_CIF_USD' then 'CIF' end as valuation,
        imts.freq as frequency,
        imts.obs_status,
        imts.obs_value as value_usd,
        case
            when imts.freq = 'A' then make_date(cast(imts.time_period as integer), 1, 1)
            when imts.freq = 'M'
                then
                    make_date(
                        cast(left(imts.time_period, 4) as integer), cast(right(imts.time_period, 2) as integer), 1
                    )
            when imts.freq = 'Q' then make_date(
                cast(left(imts.time_period, 4) as integer), cast(right(imts.time_period, 1) as integer) * 3 - 2, 1
            )
        end as period_start,
        imts._loaded_at
    from imts
    left join countries
        on imts.counterpart_code = countries.iso3
),

final as (
    select
        renamed.partition_id,
        countries.iso3 as reporter_code,
        renamed.partner_code,
        renamed.reporter_code_source,
        renamed.partner_code_source,
        'TOTAL' as product_code,
        'TOTAL' as product_level,
        renamed.indicator,
        renamed.flow,
        renamed.valuation,
        renamed.frequency,
        renamed.obs_status,
        renamed.value_usd,
        renamed.period_start,
        renamed._loaded_at
    from renamed
    left join countries
        on renamed.reporter_code_source = countries.iso3
)

select * from final
