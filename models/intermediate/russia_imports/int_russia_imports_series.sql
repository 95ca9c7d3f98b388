{#-
    One row per partner, product and month: the partner's reported exports to Russia (FOB), the raw
    material of russia_imports_rebuilt (mirror data: Russia publishes no trade by partner since 2022).
      HS6    from int_trade_flows_hs2022 (HS2022 codes); a product a partner does not report in a month
             it reports at HS6 at all is a zero (the Comext extractions drop zero cells), never a gap
      TOTAL  from fct_trade_flows_best, the exporter's own report (value_basis exporter_*)
    Only monthly data: partners that publish annual totals only (KGZ, UZB in the bundle) are absent.
    `is_filled_zero` marks the zeros filled in; `partner_months` is the months the partner reports at
    that level (the calendar a zero is filled on).
-#}
with

hs6_flows as (
    select * from {{ ref('int_trade_flows_hs2022') }}
    where partner_code = 'RUS' and flow = 'export' and frequency = 'M'
),

best_totals as (
    select * from {{ ref('fct_trade_flows_best') }}
    where
        importer_code = 'RUS'
        and product_level = 'TOTAL'
        and frequency = 'M'
        and value_basis like 'exporter%'
),

reported as (
    select
        reporter_code as partner_code,
        'HS6' as product_level,
        product_code_hs2022 as product_code,
        period_start,
        {{ exact_sum('value_usd') }} as value_usd,
        {{ exact_sum('value_eur') }} as value_eur,
        {{ exact_sum('net_weight_kg') }} as net_weight_kg
    from hs6_flows
    group by reporter_code, product_code_hs2022, period_start
    union all
    select
        exporter_code as partner_code,
        'TOTAL' as product_level,
        'TOTAL' as product_code,
        period_start,
        value_usd,
        value_eur,
        cast(null as double) as net_weight_kg
    from best_totals
),

partner_months as (
    select distinct
        partner_code,
        product_level,
        period_start
    from reported
),

products as (
    select distinct
        partner_code,
        product_level,
        product_code
    from reported
),

grid as (
    select
        products.partner_code,
        products.product_level,
        products.product_code,
        partner_months.period_start
    from products
    inner join partner_months
        on
            products.partner_code = partner_months.partner_code
            and products.product_level = partner_months.product_level
),

final as (
    select
        grid.partner_code,
        grid.product_level,
        grid.product_code,
        coalesce(reported.value_usd, 0) as value_usd,
        coalesce(reported.value_eur, 0) as value_eur,
        reported.net_weight_kg,
        reported.partner_code is null as is_filled_zero,
        grid.period_start
    from grid
    left join reported
        on
            grid.partner_code = reported.partner_code
            and grid.product_level = reported.product_level
            and grid.product_code = reported.product_code
            and grid.period_start = reported.period_start
)

select * from final
