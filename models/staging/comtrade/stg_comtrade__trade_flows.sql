-- One row per Comtrade row: reporter/partner mapped to ISO3, flows and periods in one vocabulary.
with

goods as (
    select * from {{ source('comtrade', 'goods') }}
),

areas as (
    select * from {{ ref('comtrade_areas') }}
),

renamed as (
    select
        'comtrade__goods/' || goods._partition_key as partition_id,
        goods.reporter_code as reporter_code_source,
        goods.partner_code as partner_code_source,
        goods.cmd_code as product_code,
        case
            when goods.cmd_code = 'TOTAL' then 'TOTAL'
            when length(goods.cmd_code) = 2 then 'HS2'
            when length(goods.cmd_code) = 4 then 'HS4'
            when length(goods.cmd_code) = 6 then 'HS6'
        end as product_level,
        goods.classification_code,
        case goods.flow_code
            when 'X' then 'export'
            when 'M' then 'import'
            when 'RX' then 're-export'
            when 'RM' then 're-import'
        end as flow,
        case when goods.ref_month = 52 then 'A' else 'M' end as frequency,
        goods.mot_code,
        goods.customs_code,
        goods.partner2_code,
        case when goods.flow_code in ('X', 'RX') then 'FOB' else 'CIF' end as valuation,
        goods.primary_value as value_usd,
        goods.fobvalue as fob_value_usd,
        goods.cifvalue as cif_value_usd,
        goods.net_wgt as net_weight_kg,
        goods.is_reported,
        goods.is_aggregate,
        goods.mot_code = '0' and goods.customs_code = 'C00' and goods.partner2_code = '0' as is_total_breakdown,
        case
            when goods.ref_month = 52 then make_date(goods.ref_year, 1, 1)
            else make_date(goods.ref_year, goods.ref_month, 1)
        end as period_start,
        goods._loaded_at
    from goods
),

mapped as (
    select
        renamed.partition_id,
        reporter_areas.iso3 as reporter_code,
        partner_areas.iso3 as partner_code,
        renamed.reporter_code_source,
        renamed.partner_code_source,
        renamed.product_code,
        renamed.product_level,
        renamed.classification_code,
        renamed.flow,
        renamed.frequency,
        renamed.mot_code,
        renamed.customs_code,
        renamed.partner2_code,
        renamed.valuation,
        renamed.value_usd,
        renamed.fob_value_usd,
        renamed.cif_value_usd,
        renamed.net_weight_kg,
        renamed.is_reported,
        renamed.is_aggregate,
        renamed.is_total_breakdown,
        renamed.period_start,
        renamed._loaded_at
    from renamed
    left join areas as reporter_areas
        on renamed.reporter_code_source = reporter_areas.comtrade_code
    left join areas as partner_areas
        on renamed.partner_code_source = partner_areas.comtrade_code
)

select * from mapped
