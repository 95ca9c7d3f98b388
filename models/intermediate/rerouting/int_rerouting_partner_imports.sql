{#-
    One row per partner_code (the importer), frequency and period_start: the partner's reported imports
    from the EU27 (CIF, EUR), the leg the unrecorded-arrivals gap compares with the EU27's exports to it.
    EU exports are by country of destination; the partner's imports are taken on the nearest basis it
    publishes, one basis per partner (partner_import_basis) for every period, so a series and its
    baseline never mix bases:
      consignment  where the partner publishes imports by country of consignment (Armenia: the 27
                   members' sum of stg_national__armstat_flows, import_basis consignment, in USD,
                   converted as int_trade_flows_converted does: the month's ECB rate, else the year's)
      origin       otherwise: the best report in fct_trade_flows (var source_priority), which holds
                   imports by country of origin only
    Consignment is read from staging here and nowhere else: fct_trade_flows keeps one import row per
    flow (origin), so no query on flow = 'import' counts Armenia's imports twice.
    The factor that brings CIF to FOB: var cif_fob_factor (flat, the default) or, with var
    cif_fob_factor_source = 'estimated', the importer's estimated factor (int_cif_fob_factors; the flat
    one where none exists); value_fob_estimated_eur always uses the estimated factor (sensitivity).
-#}
with

facts as (
    select * from {{ ref('fct_trade_flows') }}
    where product_level = 'TOTAL' and flow = 'import' and partner_code = 'EU27'
),

armstat as (
    select * from {{ ref('stg_national__armstat_flows') }}
    where
        flow = 'import'
        and import_basis = 'consignment'
        and reporter_code is not null
        and value_usd is not null
        and not (frequency = 'A' and is_partial_year)
),

eu27_members as (
    select iso3 from {{ ref('country_groups') }}
    where group_code = 'eu27'
),

rates as (
    select * from {{ ref('int_exchange_rates') }}
),

factors as (
    select * from {{ ref('int_cif_fob_factors') }}
),

consignment_usd as (
    select
        armstat.reporter_code as partner_code,
        armstat.frequency,
        armstat.period_start,
        'national__armstat:eu27_sum:consignment' as source_dataset,
        {{ exact_sum('armstat.value_usd') }} as value_usd
    from armstat
    inner join eu27_members
        on armstat.partner_code = eu27_members.iso3
    group by armstat.reporter_code, armstat.frequency, armstat.period_start
),

consignment as (
    select
        consignment_usd.partner_code,
        consignment_usd.frequency,
        consignment_usd.period_start,
        'consignment' as partner_import_basis,
        consignment_usd.source_dataset,
        {{ usd_to_eur('consignment_usd.value_usd', 'coalesce(monthly_rates.usd_per_eur, annual_rates.usd_per_eur)') }}
            as value_cif_eur
    from consignment_usd
    left join rates as monthly_rates
        on
            consignment_usd.frequency = 'M'
            and monthly_rates.frequency = 'M'
            and consignment_usd.period_start = monthly_rates.period_start
    left join rates as annual_rates
        on
            annual_rates.frequency = 'A'
            and date_trunc('year', consignment_usd.period_start) = annual_rates.period_start
),

origin as (
    select
        reporter_code as partner_code,
        frequency,
        period_start,
        'origin' as partner_import_basis,
        source_dataset,
        value_eur as value_cif_eur
    from facts
    where reporter_code not in (select consignment.partner_code from consignment)
    qualify row_number() over (
        partition by reporter_code, frequency, period_start
        order by {{ source_rank('source') }}, source_dataset
    ) = 1
),

both_bases as (
    select * from consignment
    union all
    select * from origin
),

with_factor as (
    select
        both_bases.partner_code,
        both_bases.frequency,
        both_bases.period_start,
        both_bases.partner_import_basis,
        both_bases.source_dataset,
        both_bases.value_cif_eur,
        {%- if var('cif_fob_factor_source') == 'estimated' %}
            coalesce(factors.cif_fob_factor_estimated, cast({{ var('cif_fob_factor') }} as double)) as cif_fob_factor,
            case
                when factors.cif_fob_factor_estimated is not null then 'estimated'
                else 'flat_default'
            end as cif_fob_factor_basis,
        {%- else %}
            cast({{ var('cif_fob_factor') }} as double) as cif_fob_factor,
            'flat_default' as cif_fob_factor_basis,
        {%- endif %}
        factors.cif_fob_factor_estimated,
        both_bases.value_cif_eur / {{ var('cif_fob_factor') }} as value_fob_flat_eur,
        both_bases.value_cif_eur / factors.cif_fob_factor_estimated as value_fob_estimated_eur
    from both_bases
    left join factors
        on both_bases.partner_code = factors.importer_code
),

final as (
    select
        *,
        value_cif_eur / cif_fob_factor as value_fob_eur
    from with_factor
)

select * from final
