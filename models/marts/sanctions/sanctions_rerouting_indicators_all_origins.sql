{#-
    sanctions_rerouting_indicators (the EU27 default view, flagged) and the rows of every other origin and
    origin-leg basis (int_rerouting_other_origins: HS6 products with both legs reported, USD columns
    origin_exports_*, rerouting_coverage). The flag rule is defined on the EU27 series: other origins have
    flag null and say so in flag_withheld_reason. Columns the other origins do not have are null there.
-#}
with

eu27_view as (
    select * from {{ ref('sanctions_rerouting_indicators') }}
),

other_origins as (
    select * from {{ ref('int_rerouting_other_origins') }}
),

other_origins_explained as (
    select
        *,
        'the flag rule is defined on the EU27 series (sanctions_rerouting_indicators)' as flag_withheld_reason
    from other_origins
),

final as (
    {{ union_all_by_name([
        ('eu27_view', 'sanctions_rerouting_indicators', []),
        ('other_origins_explained', 'int_rerouting_other_origins', ['flag_withheld_reason']),
    ]) }}
)

select * from final
