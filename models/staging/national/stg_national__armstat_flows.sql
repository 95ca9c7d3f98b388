-- One row per flow, import basis, partner and period (month, or year) of Armenia's statistics, in USD.
-- Imports come twice, by country of origin and by country of consignment (import_basis).
-- The file gives a 'Year' row even for a year it covers only in part (2023: January): such a row is
-- marked is_partial_year and kept out of the facts; its months stay.
with

armstat as (
    select * from {{ source('national', 'armstat') }}
),

renamed as (
    select
        'national__armstat/' || _partition_key as partition_id,
        reporter_iso3 as reporter_code,
        partner_iso3 as partner_code,
        reporter_iso3 as reporter_code_source,
        partner_label_en as partner_code_source,
        partner_label_en,
        row_kind,
        flow,
        import_basis,
        case when month is null then 'A' else 'M' end as frequency,
        case flow when 'export' then 'FOB' else 'CIF' end as valuation,
        value_thousand_usd * 1000 as value_usd,
        make_date(year, coalesce(month, 1), 1) as period_start,
        _loaded_at
    from armstat
),

months_per_year as (
    select
        partition_id,
        year(period_start) as year,
        count(distinct month(period_start)) as months_published
    from renamed
    where frequency = 'M'
    group by partition_id, year(period_start)
),

final as (
    select
        renamed.*,
        coalesce(months_per_year.months_published, 0) < 12 as is_partial_year
    from renamed
    left join months_per_year
        on
            renamed.partition_id = months_per_year.partition_id
            and year(renamed.period_start) = months_per_year.year
)

select * from final
