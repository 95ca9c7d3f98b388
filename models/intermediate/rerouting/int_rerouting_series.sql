{#-
    One row per measure, partner_code, product_scope, frequency and period_start: the series the
    sanctions re-routing indicators compare with their baseline.
      eu_exports             EU27 exports to the partner, EUR (scopes: all, chpl, chpl_tier_*, eu_banned,
                             not_sanctioned = all - eu_banned)
      transit_exports_to_ru  the partner's own exports to Russia, USD (scope all)
      unrecorded_gap         EU27-reported exports to the partner minus the partner's reported imports
                             from the EU27 brought from CIF to FOB, EUR (scope all): imports by
                             consignment where the partner publishes them, else by origin
                             (int_rerouting_partner_imports, partner_import_basis)
      unrecorded_gap_estimated_factor  the same with the importer's estimated CIF/FOB factor
    Annual rows come from annual data where the source publishes them (months_covered = 12), otherwise
    from the sum of the months available: `months_covered` and `last_month` say how complete they are.
    Zero, not missing: the Comext product files drop zero cells, so a month a file covers for a partner
    (it has a row of any product for the partner that month) without a row of the scope's goods is a zero
    of that scope (chpl, chpl_tier_*, eu_banned), in the series and so in the baselines.
-#}
with

facts as (
    select * from {{ ref('fct_trade_flows') }}
    where product_level = 'TOTAL' and flow in ('export', 'import')
),

ranked_facts as (
    select
        facts.*,
        row_number() over (
            partition by facts.reporter_code, facts.partner_code, facts.flow, facts.frequency, facts.period_start
            order by {{ source_rank('facts.source') }}, facts.source_dataset
        ) as source_order
    from facts
),

best_facts as (
    select * from ranked_facts
    where source_order = 1
),

-- the partner's imports from the EU27, one basis per partner (consignment where published, else origin)
imports_from_eu as (
    select * from {{ ref('int_rerouting_partner_imports') }}
),

eu27_members as (
    select iso3 from {{ ref('country_groups') }}
    where group_code = 'eu27'
),

chpl as (
    select
        hs6,
        'chpl_tier_' || lower(replace(tier, '.', '')) as tier_scope
    from {{ ref('chpl_products') }}
),

eu_all as (
    select
        partner_code,
        'all' as product_scope,
        frequency,
        period_start,
        value_eur as value,
        net_weight_kg
    from best_facts
    where reporter_code = 'EU27' and flow = 'export'
),

eu_banned_reported as (
    select
        banned.partner_code,
        'eu_banned' as product_scope,
        'M' as frequency,
        banned.period_start,
        {{ exact_sum('banned.value_eur') }} as value,
        cast(null as double) as net_weight_kg
    from {{ ref('stg_eurostat_comext__sanctioned_totals') }} as banned
    inner join eu27_members
        on banned.reporter_code = eu27_members.iso3
    where banned.partner_code is not null
    group by banned.partner_code, banned.period_start
),

eu_hs6 as (
    select
        hs2022.partner_code,
        chpl.tier_scope,
        hs2022.frequency,
        hs2022.period_start,
        hs2022.value_eur,
        hs2022.net_weight_kg
    from {{ ref('int_trade_flows_hs2022') }} as hs2022
    inner join chpl
        on hs2022.product_code_hs2022 = chpl.hs6
    where hs2022.reporter_code = 'EU27' and hs2022.flow = 'export'
),

eu_chpl_total as (
    select
        partner_code,
        'chpl' as product_scope,
        frequency,
        period_start,
        {{ exact_sum('value_eur') }} as value,
        {{ exact_sum('net_weight_kg') }} as net_weight_kg
    from eu_hs6
    group by partner_code, frequency, period_start
),

eu_chpl_tiers as (
    select
        partner_code,
        tier_scope as product_scope,
        frequency,
        period_start,
        {{ exact_sum('value_eur') }} as value,
        {{ exact_sum('net_weight_kg') }} as net_weight_kg
    from eu_hs6
    group by partner_code, tier_scope, frequency, period_start
),

-- The months a product file covers for a partner: every month from its first to its last month with
-- a row for the partner (any product). In such a month a scope without a row exported nothing.
hs6_coverage as (
    select
        partner_code,
        {{ month_series('min(period_start)', 'max(period_start)') }} as period_start
    from {{ ref('int_trade_flows_hs2022') }}
    where reporter_code = 'EU27' and flow = 'export' and frequency = 'M'
    group by partner_code
),

banned_coverage as (
    select
        partner_code,
        {{ month_series('min(period_start)', 'max(period_start)') }} as period_start
    from eu_banned_reported
    group by partner_code
),

chpl_scopes as (
    select 'chpl' as product_scope
    union
    select distinct tier_scope as product_scope from chpl
),

eu_chpl_reported as (
    select * from eu_chpl_total
    union all
    select * from eu_chpl_tiers
),

eu_chpl_zero_months as (
    select
        hs6_coverage.partner_code,
        chpl_scopes.product_scope,
        'M' as frequency,
        hs6_coverage.period_start,
        cast(0 as double) as value,
        cast(null as double) as net_weight_kg
    from hs6_coverage
    cross join chpl_scopes
    left join eu_chpl_reported
        on
            hs6_coverage.partner_code = eu_chpl_reported.partner_code
            and chpl_scopes.product_scope = eu_chpl_reported.product_scope
            and eu_chpl_reported.frequency = 'M'
            and hs6_coverage.period_start = eu_chpl_reported.period_start
    where eu_chpl_reported.partner_code is null
),

eu_chpl as (
    select * from eu_chpl_reported
    union all
    select * from eu_chpl_zero_months
),

eu_banned_zero_months as (
    select
        banned_coverage.partner_code,
        'eu_banned' as product_scope,
        'M' as frequency,
        banned_coverage.period_start,
        cast(0 as double) as value,
        cast(null as double) as net_weight_kg
    from banned_coverage
    left join eu_banned_reported
        on
            banned_coverage.partner_code = eu_banned_reported.partner_code
            and banned_coverage.period_start = eu_banned_reported.period_start
    where eu_banned_reported.partner_code is null
),

eu_banned as (
    select * from eu_banned_reported
    union all
    select * from eu_banned_zero_months
),

eu_not_sanctioned as (
    select
        eu_all.partner_code,
        'not_sanctioned' as product_scope,
        eu_all.frequency,
        eu_all.period_start,
        eu_all.value - eu_banned.value as value,
        cast(null as double) as net_weight_kg
    from eu_all
    inner join eu_banned
        on
            eu_all.partner_code = eu_banned.partner_code
            and eu_all.frequency = eu_banned.frequency
            and eu_all.period_start = eu_banned.period_start
),

eu_exports as (
    select
        'eu_exports' as measure,
        *
    from eu_all
    union all
    select
        'eu_exports' as measure,
        *
    from eu_banned
    union all
    select
        'eu_exports' as measure,
        *
    from eu_chpl
    union all
    select
        'eu_exports' as measure,
        *
    from eu_not_sanctioned
),

transit_to_russia as (
    select
        'transit_exports_to_ru' as measure,
        reporter_code as partner_code,
        'all' as product_scope,
        frequency,
        period_start,
        value_usd as value,
        net_weight_kg
    from best_facts
    where partner_code = 'RUS' and flow = 'export'
),

-- EU exports against the importer's imports from the EU (FOB): the gap at the flat factor and, for the
-- sensitivity, at the importer's estimated CIF/FOB factor (int_cif_fob_factors), joined once
eu_against_imports as (
    select
        eu_all.partner_code,
        eu_all.frequency,
        eu_all.period_start,
        eu_all.value - imports_from_eu.value_fob_eur as gap_flat,
        eu_all.value - imports_from_eu.value_fob_estimated_eur as gap_estimated,
        imports_from_eu.value_fob_estimated_eur is not null as has_estimated_factor
    from eu_all
    inner join imports_from_eu
        on
            eu_all.partner_code = imports_from_eu.partner_code
            and eu_all.frequency = imports_from_eu.frequency
            and eu_all.period_start = imports_from_eu.period_start
),

unrecorded_gap as (
    select
        'unrecorded_gap' as measure,
        partner_code,
        'all' as product_scope,
        frequency,
        period_start,
        gap_flat as value,
        cast(null as double) as net_weight_kg
    from eu_against_imports
),

unrecorded_gap_estimated_factor as (
    select
        'unrecorded_gap_estimated_factor' as measure,
        partner_code,
        'all' as product_scope,
        frequency,
        period_start,
        gap_estimated as value,
        cast(null as double) as net_weight_kg
    from eu_against_imports
    where has_estimated_factor
),

all_series as (
    select * from eu_exports
    union all
    select * from transit_to_russia
    union all
    select * from unrecorded_gap
    union all
    select * from unrecorded_gap_estimated_factor
),

monthly as (
    select
        measure,
        partner_code,
        product_scope,
        frequency,
        period_start,
        value,
        net_weight_kg,
        1 as months_covered,
        month(period_start) as last_month,
        'monthly' as series_origin
    from all_series
    where frequency = 'M'
),

reported_annual as (
    select
        measure,
        partner_code,
        product_scope,
        frequency,
        period_start,
        value,
        net_weight_kg,
        12 as months_covered,
        12 as last_month,
        'reported_annual' as series_origin
    from all_series
    where frequency = 'A'
),

summed_months as (
    select
        measure,
        partner_code,
        product_scope,
        'A' as frequency,
        make_date(year(period_start), 1, 1) as period_start,
        {{ exact_sum('value') }} as value,
        {{ exact_sum('net_weight_kg') }} as net_weight_kg,
        count(*) as months_covered,
        max(month(period_start)) as last_month,
        'sum_of_months' as series_origin
    from monthly
    group by measure, partner_code, product_scope, make_date(year(period_start), 1, 1)
),

annual_from_months as (
    select summed_months.*
    from summed_months
    left join reported_annual
        on
            summed_months.measure = reported_annual.measure
            and summed_months.partner_code = reported_annual.partner_code
            and summed_months.product_scope = reported_annual.product_scope
            and summed_months.period_start = reported_annual.period_start
    where reported_annual.measure is null
),

final as (
    select * from monthly
    union all
    select * from reported_annual
    union all
    select * from annual_from_months
)

select * from final
