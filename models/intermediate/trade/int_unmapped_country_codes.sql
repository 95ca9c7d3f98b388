-- One row per source dataset and source code (or label) that did not map to a country or aggregate
-- code, with the rows and value left out of the facts because of it. Nothing is dropped silently: the
-- data test on this model reports every entry.
with

comtrade as (
    select
        'comtrade__goods' as source_dataset,
        case when reporter_code is null then 'reporter' else 'partner' end as role,
        case when reporter_code is null then reporter_code_source else partner_code_source end as code_source,
        cast(null as varchar) as label,
        value_usd,
        cast(null as double) as value_eur
    from {{ ref('stg_comtrade__trade_flows') }}
    where is_total_breakdown and (reporter_code is null or partner_code is null)
),

comext_api as (
    select
        'eurostat_comext__sdmx' as source_dataset,
        case when reporter_code is null then 'reporter' else 'partner' end as role,
        case when reporter_code is null then reporter_code_source else partner_code_source end as code_source,
        cast(null as varchar) as label,
        cast(null as double) as value_usd,
        value_eur
    from {{ ref('stg_eurostat_comext__sdmx_flows') }}
    where reporter_code is null or partner_code is null
),

comext_web as (
    select
        'eurostat_comext__web_export' as source_dataset,
        case when reporter_code is null then 'reporter' else 'partner' end as role,
        case when reporter_code is null then reporter_code_source else partner_code_source end as code_source,
        case when reporter_code is null then reporter_label else partner_label end as label,
        cast(null as double) as value_usd,
        value_eur
    from {{ ref('stg_eurostat_comext__web_export_flows') }}
    where reporter_code is null or partner_code is null
),

comext_cn8 as (
    select
        'eurostat_comext__cn8_exports' as source_dataset,
        case when reporter_code is null then 'reporter' else 'partner' end as role,
        case when reporter_code is null then reporter_code_source else partner_code_source end as code_source,
        cast(null as varchar) as label,
        cast(null as double) as value_usd,
        value_eur
    from {{ ref('stg_eurostat_comext__cn8_exports') }}
    where reporter_code is null or partner_code is null
),

comext_hs6 as (
    select
        'eurostat_comext__hs6_exports_eu27' as source_dataset,
        'partner' as role,
        partner_code_source as code_source,
        cast(null as varchar) as label,
        cast(null as double) as value_usd,
        value_eur
    from {{ ref('stg_eurostat_comext__hs6_exports') }}
    where partner_code is null
),

imf as (
    select
        'imf__imts' as source_dataset,
        case when reporter_code is null then 'reporter' else 'partner' end as role,
        case when reporter_code is null then reporter_code_source else partner_code_source end as code_source,
        cast(null as varchar) as label,
        value_usd,
        cast(null as double) as value_eur
    from {{ ref('stg_imf__trade_flows') }}
    where reporter_code is null or partner_code is null
),

national_uzstat as (
    select
        'national__uzstat' as source_dataset,
        'partner' as role,
        partner_code_source as code_source,
        partner_label_en as label,
        value_usd,
        cast(null as double) as value_eur
    from {{ ref('stg_national__uzstat_flows') }}
    where partner_code is null
),

national_kg as (
    select
        'national__kg_nsc' as source_dataset,
        'partner' as role,
        partner_code_source as code_source,
        partner_label_en as label,
        value_usd,
        cast(null as double) as value_eur
    from {{ ref('stg_national__kg_nsc_flows') }}
    where partner_code is null and row_kind in ('country', 'other')
),

national_am as (
    select
        'national__armstat' as source_dataset,
        'partner' as role,
        partner_code_source as code_source,
        partner_label_en as label,
        value_usd,
        cast(null as double) as value_eur
    from {{ ref('stg_national__armstat_flows') }}
    where partner_code is null and (flow = 'export' or import_basis = 'origin')
),

unioned as (
    select * from comtrade
    union all
    select * from comext_api
    union all
    select * from comext_web
    union all
    select * from comext_cn8
    union all
    select * from comext_hs6
    union all
    select * from imf
    union all
    select * from national_uzstat
    union all
    select * from national_kg
    union all
    select * from national_am
),

summarised as (
    select
        source_dataset,
        role,
        coalesce(code_source, '(empty)') as code_source,
        coalesce(min(label), '') as label,
        count(*) as rows_left_out,
        {{ exact_sum('value_usd') }} as value_usd_left_out,
        {{ exact_sum('value_eur') }} as value_eur_left_out
    from unioned
    group by source_dataset, role, coalesce(code_source, '(empty)')
)

select * from summarised
