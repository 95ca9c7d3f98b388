-- One row per flow, partner and period of Russia's own statistics (Rosstat, from Federal Customs
-- Service data; credit "По данным ФТС России"), in USD: the months as published (USD million x 1e6) and,
-- for a year whose twelve months are all published, the year as the sum of its months
-- (is_sum_of_months). A year with a month not available ('…') has no annual row. The file lists 29 main
-- partners only: no world total, and no EU27 sum (most members are missing); it stops in 2021.
with

rosstat as (
    select * from {{ source('national', 'rosstat') }}
),

months as (
    select
        'national__rosstat/' || _partition_key as partition_id,
        reporter_iso3 as reporter_code,
        partner_iso3 as partner_code,
        reporter_iso3 as reporter_code_source,
        partner_label_ru as partner_code_source,
        partner_label_ru,
        row_kind,
        flow,
        'M' as frequency,
        case flow when 'export' then 'FOB' else 'CIF' end as valuation,
        false as is_sum_of_months,
        value_million_usd * 1000000 as value_usd,
        make_date(year, month, 1) as period_start,
        _loaded_at
    from rosstat
),

years as (
    select
        partition_id,
        reporter_code,
        partner_code,
        reporter_code_source,
        partner_code_source,
        partner_label_ru,
        row_kind,
        flow,
        'A' as frequency,
        valuation,
        true as is_sum_of_months,
        {{ exact_sum('value_usd') }} as value_usd,
        make_date(year(period_start), 1, 1) as period_start,
        max(_loaded_at) as _loaded_at
    from months
    group by
        partition_id, reporter_code, partner_code, reporter_code_source, partner_code_source, partner_label_ru,
        row_kind, flow, valuation, make_date(year(period_start), 1, 1)
    having count(value_usd) = 12
)

select * from months
union all
select * from years
