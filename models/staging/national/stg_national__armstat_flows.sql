-- One row per flow, import basis, partner and period (month, or year) of Armenia's statistics, in USD.
-- Imports come twice, by country of origin and by country of consignment (import_basis).
-- The older armstat file gives a 'Year' row even for a year it covers only in part (2023: January): such
-- a row is marked is_partial_year and kept out of the facts; its months stay. The 2007-2024 file (tvyal)
-- has months only: a year whose twelve months are all there gets an annual row, the sum of its months
-- (is_sum_of_months); a year with a 'Year' row of its own keeps that row.
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
        count(distinct month(period_start)) as months_published,
        bool_or(frequency = 'A') as has_year_rows
    from renamed
    group by partition_id, year(period_start)
),

published as (
    select
        renamed.*,
        false as is_sum_of_months,
        coalesce(months_per_year.months_published, 0) < 12 as is_partial_year
    from renamed
    left join months_per_year
        on
            renamed.partition_id = months_per_year.partition_id
            and year(renamed.period_start) = months_per_year.year
),

summed_years as (
    select
        renamed.partition_id,
        renamed.reporter_code,
        renamed.partner_code,
        renamed.reporter_code_source,
        renamed.partner_code_source,
        renamed.partner_label_en,
        renamed.row_kind,
        renamed.flow,
        renamed.import_basis,
        'A' as frequency,
        renamed.valuation,
        {{ exact_sum('renamed.value_usd') }} as value_usd,
        make_date(year(renamed.period_start), 1, 1) as period_start,
        max(renamed._loaded_at) as _loaded_at,
        true as is_sum_of_months,
        false as is_partial_year
    from renamed
    inner join months_per_year
        on
            renamed.partition_id = months_per_year.partition_id
            and year(renamed.period_start) = months_per_year.year
    where
        renamed.frequency = 'M'
        and months_per_year.months_published = 12
        and not months_per_year.has_year_rows
    group by
        renamed.partition_id, renamed.reporter_code, renamed.partner_code, renamed.reporter_code_source,
        renamed.partner_code_source, renamed.partner_label_en, renamed.row_kind, renamed.flow,
        renamed.import_basis, renamed.valuation, make_date(year(renamed.period_start), 1, 1)
)

select * from published
union all
select * from summed_years
