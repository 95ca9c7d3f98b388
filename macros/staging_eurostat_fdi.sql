{#-
    The staging of one Eurostat FDI table (bop_fdi6_pos -> `positions`, bop_fdi6_flow -> `flows`):
    both have the same JSON-stat dimensions, so one body serves both staging models. The raw tables
    always exist (extract creates every registered source's tables, empty when the source is disabled).
-#}
{% macro eurostat_fdi_cells(table_name) %}
with

source_cells as (
    select *
    from {{ source('eurostat_fdi', table_name) }} as cells
),

countries as (
    select * from {{ ref('countries') }}
),

-- Eurostat codes that are not ISO 3166 alpha-2, written the way the rest of the warehouse writes them
eurostat_codes as (
    select
        codes.code_source,
        codes.code
    from (
        values
        ('EU27_2020', 'EU27'),
        ('EL', 'GRC'),
        ('UK', 'GBR'),
        ('XK', 'XKX')
    ) as codes (code_source, code)
),

renamed as (
    select
        dataset_code,
        geo as reporter_code_source,
        partner as partner_code_source,
        freq as frequency,
        currency as currency_code,
        stk_flow as stock_flow_code,
        nace_r2 as nace_r2_code,
        entity as entity_code,
        fdi_item as fdi_item_code,
        partner_label,
        time_period as period_source,
        status as obs_status,
        extra_dims,
        _partition_key,
        _source_updated_at,
        year,
        value as value_source,
        dataset_updated,
        _loaded_at
    from source_cells
),

coded as (
    select
        renamed.dataset_code,
        coalesce(reporter_codes.code, reporters.iso3) as reporter_code,
        renamed.reporter_code_source,
        coalesce(partner_codes.code, partners.iso3) as partner_code,
        renamed.partner_code_source,
        renamed.frequency,
        renamed.currency_code,
        renamed.stock_flow_code,
        renamed.nace_r2_code,
        renamed.entity_code,
        renamed.fdi_item_code,
        renamed.partner_label,
        renamed.period_source,
        renamed.obs_status,
        renamed.extra_dims,
        renamed._partition_key,
        renamed._source_updated_at,
        renamed.year,
        renamed.value_source,
        renamed.dataset_updated,
        renamed._loaded_at
    from renamed
    left join eurostat_codes as reporter_codes
        on renamed.reporter_code_source = reporter_codes.code_source
    left join countries as reporters
        on renamed.reporter_code_source = reporters.iso2
    left join eurostat_codes as partner_codes
        on renamed.partner_code_source = partner_codes.code_source
    left join countries as partners
        on renamed.partner_code_source = partners.iso2
),

converted as (
    select
        dataset_code,
        reporter_code,
        reporter_code_source,
        partner_code,
        partner_code_source,
        frequency,
        currency_code,
        stock_flow_code,
        nace_r2_code,
        entity_code,
        fdi_item_code,
        partner_label,
        period_source,
        obs_status,
        extra_dims,
        _partition_key,
        _source_updated_at,
        year,
        value_source,
        case when currency_code = 'MIO_EUR' then value_source * 1000000 end as value_eur,
        case frequency
            when 'A' then make_date(year, 1, 1)
            when 'Q' then make_date(year, 3 * cast(substr(period_source, 7, 1) as integer) - 2, 1)
        end as period_start,
        {{ utc_timestamp('dataset_updated') }} as dataset_updated_at,
        _loaded_at
    from coded
)

select * from converted
{% endmacro %}
