{#-
    One row per Central Asian country (seed country_groups, group central_asia), partner, direction,
    frequency and period: the country's own report of its whole trade with the partner beside the
    partner's report of the reverse flow, turned round to the country's side, and the value chosen.
    The pairing and the source ranking are those of every mirror in the warehouse
    (macros/trade_flows_mirrored.sql, var `source_priority`, on the TOTAL rows of fct_trade_flows):
      imports  own = the country's imports from the partner (CIF); mirror = the partner's exports to the
               country (FOB) x var cif_fob_factor
      exports  own = the country's exports to the partner (FOB); mirror = the partner's imports from the
               country (CIF) / var cif_fob_factor
    The own report wins; the mirror only where the country is silent (docs/models/russia_central_asia_trade.md).
    Partners: var `central_asia_partners`, and always WLD (the denominator of shares; nobody reports as the
    world, so WLD rows are own reports only).
    Beside the chosen value: the partner's own national statistics of the same flow (source national:
    Russia's Rosstat / FTS report, to 2021), as reported, no CIF/FOB adjustment (partner_own_report_*).
-#}
{#- WLD is always read (listing it twice in `in (...)` is harmless) -#}
{%- set partner_list = "'" ~ var('central_asia_partners') | join("', '") ~ "', 'WLD'" %}
{%- set factor = var('cif_fob_factor') %}
{%- set central_asia -%}
    (select iso3 from {{ ref('country_groups') }} where group_code = 'central_asia')
{%- endset %}
with

flows as (
    select * from {{ ref('fct_trade_flows') }}
),

pairs as (
    {{ trade_flows_mirrored(
        "product_level = 'TOTAL' and value_usd is not null and (reporter_code in " ~ central_asia
        ~ " or partner_code in " ~ central_asia ~ ")"
    ) }}
),

-- each pair seen from the Central Asian side: its exports (it is the exporter) and its imports
sides as (
    select
        exporter_code as country_code,
        importer_code as partner_code,
        'exports' as direction,
        frequency,
        export_source as own_source,
        export_source_dataset as own_source_dataset,
        export_value_usd as own_report_value_usd,
        export_value_eur as own_report_value_eur,
        import_source as partner_source,
        import_source_dataset as partner_source_dataset,
        import_value_usd as partner_reports_value_usd,
        import_value_fob_usd as mirror_value_usd,
        import_value_fob_eur as mirror_value_eur,
        period_start
    from pairs
    where exporter_code in {{ central_asia }} and importer_code in ({{ partner_list }})
    union all
    select
        importer_code as country_code,
        exporter_code as partner_code,
        'imports' as direction,
        frequency,
        import_source as own_source,
        import_source_dataset as own_source_dataset,
        import_value_usd as own_report_value_usd,
        import_value_eur as own_report_value_eur,
        export_source as partner_source,
        export_source_dataset as partner_source_dataset,
        export_value_usd as partner_reports_value_usd,
        export_value_usd * {{ factor }} as mirror_value_usd,
        export_value_eur * {{ factor }} as mirror_value_eur,
        period_start
    from pairs
    where importer_code in {{ central_asia }} and exporter_code in ({{ partner_list }})
),

-- the partner's own national statistics of its trade with the country, turned round to the country's side
partner_national_reports as (
    select
        partner_code as country_code,
        reporter_code as partner_code,
        case when flow = 'export' then 'imports' else 'exports' end as direction,
        frequency,
        period_start,
        value_usd as partner_own_report_value_usd,
        source_dataset as partner_own_report_source_dataset
    from flows
    where
        source = 'national'
        and product_level = 'TOTAL'
        and flow in ('export', 'import')
        and value_usd is not null
        and partner_code in {{ central_asia }}
        and reporter_code in ({{ partner_list }})
    qualify row_number() over (
        partition by partner_code, reporter_code, flow, frequency, period_start order by source_dataset
    ) = 1
),

-- the country's own report wins; the mirror only where the country is silent
chosen as (
    select
        country_code,
        partner_code,
        direction,
        frequency,
        case own_source
            when 'national' then 'national_statistics'
            when 'comtrade' then 'reported_by_country'
            when 'imf' then 'imf'
            else coalesce(own_source, 'mirror_from_partner')
        end as value_basis,
        coalesce(own_source, partner_source) as source,  -- noqa: RF04
        coalesce(own_source_dataset, partner_source_dataset) as source_dataset,
        partner_source,
        case when direction = 'imports' then 'CIF' else 'FOB' end as valuation,
        coalesce(own_report_value_usd, mirror_value_usd) as value_usd,
        case when own_report_value_usd is not null then own_report_value_eur else mirror_value_eur end as value_eur,
        own_report_value_usd,
        partner_reports_value_usd,
        mirror_value_usd,
        own_report_value_usd is null as is_mirror,
        period_start
    from sides
),

final as (
    select
        chosen.*,
        partner_national_reports.partner_own_report_value_usd,
        partner_national_reports.partner_own_report_source_dataset
    from chosen
    left join partner_national_reports
        on
            chosen.country_code = partner_national_reports.country_code
            and chosen.partner_code = partner_national_reports.partner_code
            and chosen.direction = partner_national_reports.direction
            and chosen.frequency = partner_national_reports.frequency
            and chosen.period_start = partner_national_reports.period_start
)

select * from final
