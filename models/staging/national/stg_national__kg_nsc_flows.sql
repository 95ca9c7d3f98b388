-- One row per flow, partner label and year of Kyrgyzstan's national statistics, in USD.
-- The 'Total' row is the world (WLD); groups, regions and other areas stay unmapped.
-- is_preliminary: the NSC marks a year's column of preliminary data with a footnote ('2023 1', footnote
-- '1 Preliminary data', the R typed in Cyrillic in the workbook), which the loader keeps in `footnote`.
-- is_eu27_unallocated: the line 'European Union (EU)', trade the NSC gives to the EU without a member state
-- (a leaf row, not the sum of the members): it counts in the EU27 total (int_trade_flows_unioned).
with

kg_nsc as (
    select * from {{ source('national', 'kg_nsc') }}
),

renamed as (
    select
        'national__kg_nsc/' || _partition_key as partition_id,
        reporter_iso3 as reporter_code,
        case when row_kind = 'total' then 'WLD' else partner_iso3 end as partner_code,
        reporter_iso3 as reporter_code_source,
        partner_label_en as partner_code_source,
        partner_label_en,
        row_kind,
        flow,
        'A' as frequency,
        case flow when 'export' then 'FOB' else 'CIF' end as valuation,
        footnote,
        coalesce(footnote ilike '%reliminary%', false) as is_preliminary,
        partner_label_en = 'European Union (EU)' as is_eu27_unallocated,
        value_thousand_usd * 1000 as value_usd,
        make_date(year, 1, 1) as period_start,
        _loaded_at
    from kg_nsc
)

select * from renamed
