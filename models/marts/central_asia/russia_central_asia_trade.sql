{#-
    One row per Central Asian country, partner, period, frequency and direction (exports / imports, seen
    from the Central Asian side): is Russia losing Central Asia to the EU, China, Turkey and the US?
    The value is the country's own report, else the partner's mirror (int_central_asia_trade_reports,
    docs/models/russia_central_asia_trade.md); here: the change on a year earlier and the share of the
    country's total with the world (WLD, own reports only).
    Beside it, the partner's own national statistics of the same flow (Russia's Rosstat / FTS report, to
    2021) as reported, in partner_own_report_value_usd: the two sides of one flow, side by side.
-#}
{%- set partner_list = "'" ~ var('central_asia_partners') | join("', '") ~ "'" %}
with

reports as (
    select * from {{ ref('int_central_asia_trade_reports') }}
),

world_totals as (
    select
        country_code,
        direction,
        frequency,
        period_start,
        value_usd as world_total_value_usd
    from reports
    where partner_code = 'WLD'
),

-- the same country, partner, direction and frequency one year earlier (a month: the same month);
-- period_start is always the first day of a year or month
final as (
    select
        reports.country_code,
        reports.partner_code,
        reports.direction,
        reports.frequency,
        reports.value_basis,
        reports.source,
        reports.source_dataset,
        reports.partner_source,
        reports.valuation,
        reports.value_usd,
        reports.value_eur,
        reports.own_report_value_usd,
        reports.partner_reports_value_usd,
        reports.mirror_value_usd,
        prior_year.value_usd as prior_year_value_usd,
        100 * (reports.value_usd - prior_year.value_usd) / nullif(prior_year.value_usd, 0) as yoy_pct,
        world_totals.world_total_value_usd,
        100 * reports.value_usd / nullif(world_totals.world_total_value_usd, 0) as share_of_total_pct,
        reports.is_mirror,
        reports.partner_own_report_value_usd,
        reports.partner_own_report_source_dataset,
        reports.period_start
    from reports
    left join reports as prior_year
        on
            reports.country_code = prior_year.country_code
            and reports.partner_code = prior_year.partner_code
            and reports.direction = prior_year.direction
            and reports.frequency = prior_year.frequency
            and extract(year from reports.period_start) = extract(year from prior_year.period_start) + 1
            and extract(month from reports.period_start) = extract(month from prior_year.period_start)
    left join world_totals
        on
            reports.country_code = world_totals.country_code
            and reports.direction = world_totals.direction
            and reports.frequency = world_totals.frequency
            and reports.period_start = world_totals.period_start
    where reports.partner_code in ({{ partner_list }})
)

select * from final
