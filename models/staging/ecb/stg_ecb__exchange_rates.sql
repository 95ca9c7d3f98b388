-- One row per frequency (A, M) and period: the ECB USD/EUR reference rate, period average.
with

source_rates as (
    select * from {{ source('ecb', 'eur_usd') }}
),

renamed as (
    select
        series_key,
        freq as frequency,
        currency as currency_code,
        currency_denom as base_currency_code,
        exr_type as exchange_rate_type,
        exr_suffix as series_variation,
        time_period as period_source,
        title as series_title,
        obs_status,
        obs_conf as obs_confidentiality,
        _partition_key,
        _source_updated_at,
        year,
        month,
        rate_usd_per_eur as usd_per_eur,
        case freq
            when 'A' then make_date(year, 1, 1)
            when 'M' then make_date(year, month, 1)
        end as period_start,
        _loaded_at
    from source_rates
)

select * from renamed
