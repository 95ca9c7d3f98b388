-- One row per unioned trade row with its value in both USD and EUR. EUR values are converted with the
-- ECB monthly average of the month (annual data: the annual average); a monthly row whose month has no
-- monthly rate loaded uses the year's average and says so in `rate_basis`. The rate used is kept.
-- A value whose rate is missing altogether stays null and fails the not_null tests of fct_trade_flows.
with

flows as (
    select * from {{ ref('int_trade_flows_unioned') }}
),

rates as (
    select * from {{ ref('int_exchange_rates') }}
),

converted as (
    select
        flows.partition_id,
        flows.source,
        flows.source_dataset,
        flows.reporter_code,
        flows.partner_code,
        flows.product_code,
        flows.product_level,
        flows.flow,
        flows.frequency,
        flows.valuation,
        flows.currency_original,
        case
            when flows.frequency = 'M' and monthly_rates.usd_per_eur is not null then 'ecb_monthly'
            when flows.frequency = 'M' and annual_rates.usd_per_eur is not null then 'ecb_annual_average_fallback'
            when annual_rates.usd_per_eur is not null then 'ecb_annual_average'
        end as rate_basis,
        coalesce(flows.value_usd_reported, flows.value_eur_reported * coalesce(
            monthly_rates.usd_per_eur, annual_rates.usd_per_eur
        )) as value_usd,
        coalesce(flows.value_eur_reported, flows.value_usd_reported / coalesce(
            monthly_rates.usd_per_eur, annual_rates.usd_per_eur
        )) as value_eur,
        coalesce(monthly_rates.usd_per_eur, annual_rates.usd_per_eur) as usd_per_eur,
        flows.net_weight_kg,
        flows.source_rows,
        flows.period_start,
        flows._loaded_at
    from flows
    left join rates as monthly_rates
        on
            flows.frequency = 'M'
            and monthly_rates.frequency = 'M'
            and flows.period_start = monthly_rates.period_start
    left join rates as annual_rates
        on
            annual_rates.frequency = 'A'
            and date_trunc('year', flows.period_start) = annual_rates.period_start
)

select * from converted
