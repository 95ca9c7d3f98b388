{#-
    Russia's imports rebuilt from its partners' reports (the KSE / Silverado / BOFIT indicator): one row
    per partner, product level (HS6 or TOTAL), product and month. Formulas (docs/models/sanctions_rerouting.md;
    each covered by a dbt unit test):
      rebuilt_imports_cif_usd  = partner_exports_fob_usd x var cif_fob_factor (Russia's imports are CIF)
      share_of_rebuilt_total   = partner's value / the sum over partners with data for the product and
                                 month (EU members are skipped where the EU27 aggregate is there)
      origin_group_share       = the partner's origin group's sum / the same total
    Baselines, indices, rolling 12-month sums and same-month growth: int_russia_imports_measures.
    `russia_reported_imports_usd` is Russia's own report of its imports from the partner (FTS/Rosstat,
    published to 2021), where the warehouse has it.
-#}
with

measures as (
    select * from {{ ref('int_russia_imports_measures') }}
),

origin_groups as (
    select * from {{ ref('origin_groups') }}
),

current_chpl as (
    select
        hs6,
        min(tier) as chpl_tier
    from {{ ref('product_lists') }}
    where list_code = 'chpl' and valid_to is null
    group by hs6
),

russia_reports as (
    select
        partner_code,
        product_level,
        product_code,
        period_start,
        {{ exact_sum('value_usd') }} as russia_reported_imports_usd
    from {{ ref('fct_trade_flows') }}
    where reporter_code = 'RUS' and flow = 'import' and frequency = 'M' and product_level in ('HS6', 'TOTAL')
    group by partner_code, product_level, product_code, period_start
),

classified as (
    select
        measures.*,
        coalesce(origin_groups.origin_group, 'other') as origin_group,
        origin_groups.part_of,
        -- an EU member counts in totals only where the EU27 aggregate is absent for the cell
        origin_groups.part_of = 'EU27'
        and count(case when measures.partner_code = 'EU27' then 1 end) over cell > 0 as is_inside_aggregate
    from measures
    left join origin_groups
        on measures.partner_code = origin_groups.origin_code
    window cell as (partition by measures.product_level, measures.product_code, measures.period_start)
),

counted as (
    select
        *,
        case when not coalesce(is_inside_aggregate, false) then cast(value_usd as decimal(38, 6)) end as counted_usd
    from classified
),

totals as (
    select
        *,
        cast(sum(counted_usd) over (partition by product_level, product_code, period_start) as double)
            as rebuilt_total_usd,
        cast(sum(counted_usd) over (partition by product_level, product_code, period_start, origin_group) as double)
            as origin_group_usd,
        count(counted_usd) over (partition by product_level, product_code, period_start) as partners_in_total
    from counted
),

final as (
    select
        totals.partner_code,
        totals.origin_group,
        coalesce(totals.is_inside_aggregate, false) as is_inside_aggregate,
        totals.product_level,
        totals.product_code,
        current_chpl.chpl_tier,
        current_chpl.hs6 is not null as is_chpl,
        totals.value_usd as partner_exports_fob_usd,
        totals.value_eur as partner_exports_fob_eur,
        cast({{ var('cif_fob_factor') }} as double) as cif_fob_factor,
        totals.value_usd * cast({{ var('cif_fob_factor') }} as double) as rebuilt_imports_cif_usd,
        totals.net_weight_kg,
        totals.is_filled_zero,
        totals.baseline_years,
        totals.baseline_months,
        totals.baseline_mean_usd,
        totals.baseline_median_month_usd,
        totals.index_vs_mean,
        totals.index_vs_median_month,
        totals.rolling_12m_usd,
        totals.yoy_growth,
        case
            when not coalesce(totals.is_inside_aggregate, false)
                then totals.value_usd / nullif(totals.rebuilt_total_usd, 0)
        end as share_of_rebuilt_total,
        totals.origin_group_usd,
        totals.origin_group_usd / nullif(totals.rebuilt_total_usd, 0) as origin_group_share,
        totals.rebuilt_total_usd,
        totals.partners_in_total,
        russia_reports.russia_reported_imports_usd,
        totals.period_start
    from totals
    left join current_chpl
        on totals.product_level = 'HS6' and totals.product_code = current_chpl.hs6
    left join russia_reports
        on
            totals.partner_code = russia_reports.partner_code
            and totals.product_level = russia_reports.product_level
            and totals.product_code = russia_reports.product_code
            and totals.period_start = russia_reports.period_start
)

select * from final
