-- One row per date and currency: the ECB euro reference rate of the day (units of the currency for 1
-- euro), from the ECB's eurofxref-hist.zip (extract/readers/ecb_hist.py). Days without a rate ("N/A")
-- have no row. Monthly and annual means and end-of-period rates are built in int_exchange_rates.
with

daily as (
    select * from {{ source('ecb', 'eurofxref_hist') }}
),

renamed as (
    select
        rate_date,
        currency as currency_code,
        'EUR' as base_currency_code,
        units_per_eur,
        year(rate_date) as year,
        month(rate_date) as month,
        _partition_key as partition_key,
        _source_updated_at as source_change_stamp,
        _loaded_at as loaded_at
    from daily
)

select * from renamed
