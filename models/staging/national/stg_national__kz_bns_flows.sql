-- One row per flow, partner label and year of Kazakhstan's statistics (BNS), in USD.
-- Each workbook edition holds its own year and the previous one (revised): a year is taken from the
-- newest edition that has it (is_latest_edition); the older edition's rows stay here, out of the facts.
-- The total ('Всего') is the world (WLD); groups (CIS, EAEU, EU) and continents stay unmapped.
with

kz_bns as (
    select * from {{ source('national', 'kz_bns') }}
),

renamed as (
    select
        'national__kz_bns/' || _partition_key as partition_id,
        reporter_iso3 as reporter_code,
        case when row_kind = 'total' then 'WLD' else partner_iso3 end as partner_code,
        reporter_iso3 as reporter_code_source,
        partner_label_ru as partner_code_source,
        partner_label_ru,
        row_kind,
        flow,
        'A' as frequency,
        case flow when 'export' then 'FOB' else 'CIF' end as valuation,
        edition_year,
        sheet as source_sheet,
        source_row,
        value_thousand_usd * 1000 as value_usd,
        make_date(year, 1, 1) as period_start,
        _loaded_at
    from kz_bns
),

final as (
    select
        *,
        edition_year = max(edition_year) over (partition by period_start) as is_latest_edition
    from renamed
)

select * from final
