{#-
    One row per origin, origin-leg basis, transit country, product scope, frequency and period: the
    re-routing coverage of sanctions_rerouting_products summed over the scope's HS6 products with both
    legs reported,
        rerouting_coverage = sum_k max(min(e1_k, e2_k), 0) / sum_k e1_k  over the products with e1_k > 0
    (e1 = excess origin -> transit, e2 = excess transit -> Russia), and the origin leg's value against
    its baseline over the same products. Scopes: all, chpl and chpl_tier_* and eu_banned as listed today
    (as the older scopes), chpl_in_force and eu_banned_in_force (the version in force in the period;
    EU annex codes from the date they are known to be listed).
-#}
with

products as (
    select * from {{ ref('sanctions_rerouting_products') }}
    where transit_to_russia_usd is not null and transit_to_russia_baseline_usd is not null
),

chpl_today as (
    select distinct
        hs6,
        tier
    from {{ ref('product_lists') }}
    where list_code = 'chpl' and valid_to is null
),

eu_today as (
    select distinct hs6
    from {{ ref('product_lists') }}
    where list_code = 'eu833_export_ban' and valid_to is null
),

scoped as (
    select
        products.*,
        'all' as product_scope
    from products
    union all
    select
        products.*,
        'chpl' as product_scope
    from products
    inner join chpl_today on products.product_code = chpl_today.hs6
    union all
    select
        products.*,
        'chpl_tier_' || lower(replace(chpl_today.tier, '.', '')) as product_scope
    from products
    inner join chpl_today on products.product_code = chpl_today.hs6
    union all
    select
        products.*,
        'eu_banned' as product_scope
    from products
    inner join eu_today on products.product_code = eu_today.hs6
    union all
    select
        products.*,
        'chpl_in_force' as product_scope
    from products
    where products.is_chpl_in_force
    union all
    select
        products.*,
        'eu_banned_in_force' as product_scope
    from products
    where products.is_eu833_known_in_force
),

matched as (
    select
        *,
        case
            when origin_to_transit_excess_usd > 0
                then greatest(least(origin_to_transit_excess_usd, transit_to_russia_excess_usd), 0)
        end as matched_excess_usd,
        case when origin_to_transit_excess_usd > 0 then origin_to_transit_excess_usd end as positive_excess_usd
    from scoped
),

final as (
    select
        origin_code,
        origin_group,
        origin_leg_basis,
        transit_code,
        product_scope,
        frequency,
        count(*) as products_with_both_legs,
        {{ exact_sum('origin_to_transit_usd') }} as origin_to_transit_usd,
        {{ exact_sum('origin_to_transit_baseline_usd') }} as origin_to_transit_baseline_usd,
        100 * {{ exact_sum('origin_to_transit_usd') }}
        / nullif({{ exact_sum('origin_to_transit_baseline_usd') }}, 0) as origin_to_transit_index,
        {{ exact_sum('transit_to_russia_usd') }} as transit_to_russia_usd,
        {{ exact_sum('matched_excess_usd') }} / nullif({{ exact_sum('positive_excess_usd') }}, 0) as rerouting_coverage,
        period_start
    from matched
    group by origin_code, origin_group, origin_leg_basis, transit_code, product_scope, frequency, period_start
)

select * from final
