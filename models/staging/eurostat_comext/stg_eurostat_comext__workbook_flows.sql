-- One row per reporter, partner, product, flow and month of the Comext data-browser workbooks, in EUR.
-- The bundled workbook (extracted 2023-01-22) brings the EU members' imports from Central Asia and the
-- Caucasus, which no web-export file has; where a web-export file has the same cell (the members' exports
-- to KAZ, KGZ, UZB, RUS, ARM, GEO; imports from KGZ), the web export wins (extracted 2024, so later
-- revisions) and the workbook's cell is marked is_in_web_export and kept out of the facts.
with

workbook as (
    select * from {{ source('eurostat_comext', 'workbook') }}
),

web_export as (
    select * from {{ source('eurostat_comext', 'web_export') }}
),

web_export_cells as (
    select distinct
        reporter,
        partner,
        product,
        flow,
        freq,
        period
    from web_export
),

renamed as (
    select
        'eurostat_comext__workbook/' || workbook._partition_key as partition_id,
        workbook.reporter_iso3 as reporter_code,
        workbook.partner_iso3 as partner_code,
        workbook.reporter as reporter_code_source,
        workbook.partner as partner_code_source,
        workbook.reporter_label,
        workbook.partner_label,
        workbook.product as product_code,
        case
            when workbook.product = 'TOTAL' then 'TOTAL'
            when length(workbook.product) = 2 then 'HS2'
            when length(workbook.product) = 4 then 'HS4'
            when length(workbook.product) = 6 then 'HS6'
            when length(workbook.product) = 8 then 'CN8'
        end as product_level,
        case workbook.flow when '1' then 'import' when '2' then 'export' end as flow,
        workbook.freq as frequency,
        case workbook.flow when '1' then 'CIF' when '2' then 'FOB' end as valuation,
        workbook.value_eur,
        workbook.source_line,
        web_export_cells.reporter is not null as is_in_web_export,
        cast(workbook.period || '-01' as date) as period_start,
        workbook._loaded_at
    from workbook
    left join web_export_cells
        on
            workbook.reporter = web_export_cells.reporter
            and workbook.partner = web_export_cells.partner
            and workbook.product = web_export_cells.product
            and workbook.flow = web_export_cells.flow
            and workbook.freq = web_export_cells.freq
            and workbook.period = web_export_cells.period
)

select * from renamed
