-- One row per reporter, partner, product, flow and period of the Comext web-export files, in EUR.
-- Reporter aggregates: EU27_2020 becomes EU27; EU (composition of the day), EA and EA20 stay unmapped.
-- Partner EXT_EU27_2020 (extra-EU) is the EU27's trade with the world: mapped to WLD for reporter EU27.
with

web_export as (
    select * from {{ source('eurostat_comext', 'web_export') }}
),

renamed as (
    select
        'eurostat_comext__web_export/' || _partition_key as partition_id,
        case when reporter = 'EU27_2020' then 'EU27' else reporter_iso3 end as reporter_code,
        case
            when partner = 'EXT_EU27_2020' and reporter = 'EU27_2020' then 'WLD'
            when partner = 'EU27_2020' then 'EU27'
            else partner_iso3
        end as partner_code,
        reporter as reporter_code_source,
        partner as partner_code_source,
        reporter_label,
        partner_label,
        case when product = 'TOTAL' then 'TOTAL' else product end as product_code,
        case
            when product = 'TOTAL' then 'TOTAL'
            when length(product) = 2 then 'HS2'
            when length(product) = 4 then 'HS4'
            when length(product) = 6 then 'HS6'
            when length(product) = 8 then 'CN8'
        end as product_level,
        case flow when '1' then 'import' when '2' then 'export' end as flow,
        freq as frequency,
        stat_procedure,
        case flow when '1' then 'CIF' when '2' then 'FOB' end as valuation,
        value_eur,
        reporter_is_aggregate,
        partner_is_aggregate,
        case
            when freq = 'A' then make_date(cast(period as integer), 1, 1)
            else cast(period || '-01' as date)
        end as period_start,
        _loaded_at
    from web_export
)

select * from renamed
