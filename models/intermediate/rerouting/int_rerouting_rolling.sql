{#-
    Robust companions of the monthly index of sanctions_rerouting_indicators (EU27 default view): one
    row per partner, product scope and month of the eu_exports series,
      rolling_12m_eur  sum of the 12 months ending with this one; null unless all 12 are in the series
      yoy_growth       value / value of the same month a year earlier - 1; null when that month is not in
                       the series or was 0
-#}
with

monthly as (
    select * from {{ ref('int_rerouting_baselines') }}
    where measure = 'eu_exports' and frequency = 'M'
),

windowed as (
    select
        partner_code,
        product_scope,
        value,
        cast(sum(cast(value as decimal(38, 6))) over last_12 as double) as sum_12,
        count(value) over last_12 as n_12,
        max(value) over a_year_before as value_a_year_before,
        count(value) over a_year_before as n_a_year_before,
        period_start
    from monthly
    window
        last_12 as (
            partition by partner_code, product_scope
            order by period_start
            range between interval 11 month preceding and current row
        ),
        a_year_before as (
            partition by partner_code, product_scope
            order by period_start
            range between interval 12 month preceding and interval 12 month preceding
        )
),

final as (
    select
        partner_code,
        product_scope,
        case when n_12 = 12 then sum_12 end as rolling_12m_eur,
        case when n_a_year_before = 1 then value / nullif(value_a_year_before, 0) - 1 end as yoy_growth,
        period_start
    from windowed
)

select * from final
