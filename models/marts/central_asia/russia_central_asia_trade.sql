{#-
    One row per Central Asian country, partner, period, frequency and direction (exports / imports, seen
    from the Central Asian side): is Russia losing Central Asia to the EU, China, Turkey and the US?
    The rule (docs/models/russia_central_asia_trade.md):
      1. the Central Asian country's own report, national statistics first, then its Comtrade report,
         then its IMF IMTS report;
      2. otherwise the partner's report of the reverse flow (the mirror): the partner's exports to the
         country are the country's imports, FOB brought to CIF (x cif_fob_factor); the partner's imports
         from the country are the country's exports, CIF brought to FOB (/ cif_fob_factor). Where the
         partner reports through several sources, the first in the var `source_priority` is used.
    Beside the chosen value, the partner's own national statistics of the same flow (Russia's Rosstat /
    FTS report of its exports to and imports from the country, monthly and annual, to 2021, when Russia
    stopped publishing by partner) stand as reported in partner_own_report_value_usd, with no CIF/FOB
    adjustment: the two sides of one flow, side by side.
    Only TOTAL product rows of exports and imports. The world (WLD) is never a reporter, so WLD rows
    come from own reports only; shares are of that WLD total.
-#}
{%- set countries = var('central_asia_countries', ['KAZ', 'KGZ', 'TJK', 'TKM', 'UZB']) %}
{%- set partners = var('central_asia_partners', ['RUS', 'CHN', 'EU27', 'TUR', 'USA', 'WLD']) %}
{%- set country_list = "'" ~ countries | join("', '") ~ "'" %}
{%- set partner_list = "'" ~ partners | join("', '") ~ "'" %}
{%- set factor = var('cif_fob_factor') %}
with

flows as (
    select * from {{ ref('fct_trade_flows') }}
),

-- whole-trade values of exports and imports only (product levels and re-exports would double count)
total_flows as (
    select
        reporter_code,
        partner_code,
        flow,
        frequency,
        source,
        source_dataset,
        value_usd,
        value_eur,
        period_start
    from flows
    where
        product_level = 'TOTAL'
        and flow in ('export', 'import')
        and value_usd is not null
),

-- the Central Asian country's own reports; WLD is always read, as the denominator of shares
own_reports as (
    select
        reporter_code as country_code,
        partner_code,
        case when flow = 'export' then 'exports' else 'imports' end as direction,
        frequency,
        case source
            when 'national' then 'national_statistics'
            when 'comtrade' then 'reported_by_country'
            when 'imf' then 'imf'
        end as value_basis,
        source,
        source_dataset,
        case source
            when 'national' then 1
            when 'comtrade' then 2
            when 'imf' then 3
        end as basis_rank,
        value_usd,
        value_eur,
        period_start
    from total_flows
    where
        reporter_code in ({{ country_list }})
        and (partner_code in ({{ partner_list }}) or partner_code = 'WLD')
        and source in ('national', 'comtrade', 'imf')
),

own_reports_ranked as (
    select
        *,
        row_number() over (
            partition by country_code, partner_code, direction, frequency, period_start
            order by basis_rank, source_dataset
        ) as report_rank
    from own_reports
),

best_own_reports as (
    select * from own_reports_ranked
    where report_rank = 1
),

-- the partner's reports of its trade with the Central Asian country, turned round to the country's side
partner_reports as (
    select
        total_flows.partner_code as country_code,
        total_flows.reporter_code as partner_code,
        case when total_flows.flow = 'export' then 'imports' else 'exports' end as direction,
        total_flows.frequency,
        total_flows.source,
        total_flows.source_dataset,
        -- the order in which a partner's sources are trusted when several report the same flow
        {{ source_rank('total_flows.source') }} as source_rank,
        total_flows.value_usd,
        total_flows.value_eur,
        total_flows.period_start
    from total_flows
    where
        total_flows.reporter_code in ({{ partner_list }})
        and total_flows.partner_code in ({{ country_list }})
),

partner_reports_ranked as (
    select
        *,
        row_number() over (
            partition by country_code, partner_code, direction, frequency, period_start
            order by source_rank, source_dataset
        ) as report_rank
    from partner_reports
),

-- the partner's own national statistics of the flow (Rosstat for Russia), as the partner reports it
partner_own_reports as (
    select
        country_code,
        partner_code,
        direction,
        frequency,
        period_start,
        value_usd as partner_own_report_value_usd,
        source_dataset as partner_own_report_source_dataset
    from (
        select
            *,
            row_number() over (
                partition by country_code, partner_code, direction, frequency, period_start
                order by source_dataset
            ) as national_rank
        from partner_reports
        where source = 'national'
    ) as national_reports
    where national_rank = 1
),

-- the mirror in the country's own valuation: imports CIF (partner's FOB x factor), exports FOB
-- (partner's CIF / factor)
mirrors as (
    select
        country_code,
        partner_code,
        direction,
        frequency,
        source,
        source_dataset,
        value_usd as partner_reports_value_usd,
        case
            when direction = 'imports' then value_usd * {{ factor }}
            else value_usd / {{ factor }}
        end as mirror_value_usd,
        case
            when direction = 'imports' then value_eur * {{ factor }}
            else value_eur / {{ factor }}
        end as mirror_value_eur,
        period_start
    from partner_reports_ranked
    where report_rank = 1
),

paired as (
    select
        coalesce(best_own_reports.country_code, mirrors.country_code) as country_code,
        coalesce(best_own_reports.partner_code, mirrors.partner_code) as partner_code,
        coalesce(best_own_reports.direction, mirrors.direction) as direction,
        coalesce(best_own_reports.frequency, mirrors.frequency) as frequency,
        best_own_reports.value_basis as own_value_basis,
        best_own_reports.source as own_source,
        best_own_reports.source_dataset as own_source_dataset,
        mirrors.source as partner_source,
        mirrors.source_dataset as partner_source_dataset,
        best_own_reports.value_usd as own_report_value_usd,
        best_own_reports.value_eur as own_report_value_eur,
        mirrors.partner_reports_value_usd,
        mirrors.mirror_value_usd,
        mirrors.mirror_value_eur,
        coalesce(best_own_reports.period_start, mirrors.period_start) as period_start
    from best_own_reports
    full outer join mirrors
        on
            best_own_reports.country_code = mirrors.country_code
            and best_own_reports.partner_code = mirrors.partner_code
            and best_own_reports.direction = mirrors.direction
            and best_own_reports.frequency = mirrors.frequency
            and best_own_reports.period_start = mirrors.period_start
),

-- the country's own report wins; the mirror only where the country is silent
chosen as (
    select
        country_code,
        partner_code,
        direction,
        frequency,
        coalesce(own_value_basis, 'mirror_from_partner') as value_basis,
        coalesce(own_source, partner_source) as source,  -- noqa: RF04
        coalesce(own_source_dataset, partner_source_dataset) as source_dataset,
        partner_source,
        case when direction = 'imports' then 'CIF' else 'FOB' end as valuation,
        coalesce(own_report_value_usd, mirror_value_usd) as value_usd,
        case when own_report_value_usd is not null then own_report_value_eur else mirror_value_eur end as value_eur,
        own_report_value_usd,
        partner_reports_value_usd,
        mirror_value_usd,
        own_report_value_usd is null as is_mirror,
        period_start
    from paired
),

-- the same country, partner, direction and frequency one year earlier (a month: the same month);
-- period_start is always the first day of a year or month
with_prior_year as (
    select
        chosen.*,
        prior_year.value_usd as prior_year_value_usd
    from chosen
    left join chosen as prior_year
        on
            chosen.country_code = prior_year.country_code
            and chosen.partner_code = prior_year.partner_code
            and chosen.direction = prior_year.direction
            and chosen.frequency = prior_year.frequency
            and extract(year from chosen.period_start) = extract(year from prior_year.period_start) + 1
            and extract(month from chosen.period_start) = extract(month from prior_year.period_start)
),

world_totals as (
    select
        country_code,
        direction,
        frequency,
        period_start,
        value_usd as world_total_value_usd
    from chosen
    where partner_code = 'WLD'
),

with_world_totals as (
    select
        with_prior_year.*,
        world_totals.world_total_value_usd
    from with_prior_year
    left join world_totals
        on
            with_prior_year.country_code = world_totals.country_code
            and with_prior_year.direction = world_totals.direction
            and with_prior_year.frequency = world_totals.frequency
            and with_prior_year.period_start = world_totals.period_start
),

final as (
    select
        with_world_totals.country_code,
        with_world_totals.partner_code,
        with_world_totals.direction,
        with_world_totals.frequency,
        with_world_totals.value_basis,
        with_world_totals.source,
        with_world_totals.source_dataset,
        with_world_totals.partner_source,
        with_world_totals.valuation,
        with_world_totals.value_usd,
        with_world_totals.value_eur,
        with_world_totals.own_report_value_usd,
        with_world_totals.partner_reports_value_usd,
        with_world_totals.mirror_value_usd,
        with_world_totals.prior_year_value_usd,
        100 * (with_world_totals.value_usd - with_world_totals.prior_year_value_usd)
        / nullif(with_world_totals.prior_year_value_usd, 0) as yoy_pct,
        with_world_totals.world_total_value_usd,
        100 * with_world_totals.value_usd / nullif(with_world_totals.world_total_value_usd, 0) as share_of_total_pct,
        with_world_totals.is_mirror,
        partner_own_reports.partner_own_report_value_usd,
        partner_own_reports.partner_own_report_source_dataset,
        with_world_totals.period_start
    from with_world_totals
    left join partner_own_reports
        on
            with_world_totals.country_code = partner_own_reports.country_code
            and with_world_totals.partner_code = partner_own_reports.partner_code
            and with_world_totals.direction = partner_own_reports.direction
            and with_world_totals.frequency = partner_own_reports.frequency
            and with_world_totals.period_start = partner_own_reports.period_start
    where with_world_totals.partner_code in ({{ partner_list }})
)

select * from final
