-- One row per HS 2022 subheading (HS6) with its CHPL tier and EU export-ban status.
with

products as (
    select * from {{ ref('hs_products') }}
),

chpl as (
    select * from {{ ref('chpl_products') }}
),

bans as (
    select
        hs6,
        count(*) as banned_cn8_codes
    from {{ ref('eu_export_bans') }}
    group by hs6
),

joined as (
    select
        products.hs6 as product_code,
        products.hs4,
        products.hs2,
        products.section,
        products.section_name,
        products.description,
        products.hs4_description,
        products.hs2_description,
        chpl.tier as chpl_tier,
        coalesce(bans.banned_cn8_codes, 0) as banned_cn8_codes,
        chpl.hs6 is not null as is_chpl,
        bans.hs6 is not null as is_eu_export_banned
    from products
    left join chpl
        on products.hs6 = chpl.hs6
    left join bans
        on products.hs6 = bans.hs6
)

select * from joined
