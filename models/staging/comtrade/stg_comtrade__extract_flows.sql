-- One row per row of the Comtrade product extracts (file drop, legacy API field names; monthly, USD):
-- reporter/partner mapped to ISO3 through reference.comtrade_areas, as in stg_comtrade__trade_flows.
-- A file gives either the total over modes of transport (mot_code 0) or one row per mode and no total
-- (Armenia's cars): counts_in_total marks the rows whose sum is the total over modes, so the two are
-- never added together. Heading (HS4) and subheading (HS6) rows are separate products.
with

extracts as (
    select * from {{ source('comtrade', 'extracts') }}
),

areas as (
    select * from {{ ref('comtrade_areas') }}
),

renamed as (
    select
        'comtrade__extracts/' || extracts._partition_key as partition_id,
        extracts.reporter_code as reporter_code_source,
        extracts.partner_code as partner_code_source,
        extracts.cmd_code as product_code,
        case
            when length(extracts.cmd_code) = 2 then 'HS2'
            when length(extracts.cmd_code) = 4 then 'HS4'
            when length(extracts.cmd_code) = 6 then 'HS6'
        end as product_level,
        case extracts.flow_code
            when 'X' then 'export'
            when 'M' then 'import'
            when 'RX' then 're-export'
            when 'RM' then 're-import'
        end as flow,
        'M' as frequency,
        extracts.mot_code,
        extracts.mot_desc,
        case when extracts.flow_code in ('X', 'RX') then 'FOB' else 'CIF' end as valuation,
        extracts.primary_value as value_usd,
        extracts.fobvalue as fob_value_usd,
        extracts.cifvalue as cif_value_usd,
        extracts.net_wgt as net_weight_kg,
        extracts.qty as quantity,
        extracts.qty_unit_abbr as quantity_unit,
        extracts.partner_region,
        extracts.source_line,
        -- a file with total-MOT rows: those; a file without: every mode
        extracts.mot_code = '0' or not bool_or(extracts.mot_code = '0') over (
            partition by extracts._partition_key
        ) as counts_in_total,
        make_date(extracts.ref_year, extracts.ref_month, 1) as period_start,
        extracts._loaded_at
    from extracts
),

mapped as (
    select
        renamed.partition_id,
        reporter_areas.iso3 as reporter_code,
        partner_areas.iso3 as partner_code,
        {{ star_except('renamed', ['renamed.partition_id']) }}
    from renamed
    left join areas as reporter_areas
        on renamed.reporter_code_source = reporter_areas.comtrade_code
    left join areas as partner_areas
        on renamed.partner_code_source = partner_areas.comtrade_code
)

select * from mapped
