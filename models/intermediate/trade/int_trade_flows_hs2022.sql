{#-
    One row per fct_trade_flows HS6 row and HS2022 code it maps to: HS6 flows on one vintage (HS2022).
    Periods 2017-2021 report HS2017 codes; reference.hs_concordance (the UN Statistics Division's
    HS2022-HS2017 correlation, via Comtrade) links each to its HS2022 successors. A link says that some
    part of the old code's scope moved, not that its value is shared equally, so (docs/data-quality.md):
      same_code            one successor, the code itself (the code exists in both vintages and the
                           table records no change of scope): kept as reported
      single_successor     one successor with another code: all of the value moves there
      trade_weights_pair   several successors: split by the successors' shares in the first year
                           reported in HS2022 (2022), from the data itself, for the same reporter,
                           partner, flow and frequency (Lukaszuk & Torun 2022; the UNSD tables)
      trade_weights_reporter  as above where the pair has no 2022 trade in any successor: the
                           reporter's shares over all partners (the finest level the data support)
      kept_no_weights      several successors and no 2022 trade in any of them at either level:
                           the value stays under its reported code (never an equal split)
      unlinked             no link in the table: kept as reported
    Totals are conserved: the weights of a reported row sum to 1. 2022 on is HS2022 and kept as
    reported; HS2012 periods (before 2017) are not converted (is_converted = false).
-#}
with

flows as (
    select * from {{ ref('fct_trade_flows') }}
    where product_level = 'HS6'
),

links as (
    select
        to_hs6 as hs2017_code,
        from_hs6 as hs2022_code,
        relationship,
        count(*) over (partition by to_hs6) as n_successors
    from {{ ref('hs_concordance') }}
    where from_vintage = 'HS2022' and to_vintage = 'HS2017'
),

-- the first year reported in HS2022: each code's trade, per pair and per reporter
new_vintage_pair as (
    select
        reporter_code,
        partner_code,
        flow,
        frequency,
        product_code,
        {{ exact_sum('value_usd') }} as value_usd
    from flows
    where year(period_start) = 2022
    group by reporter_code, partner_code, flow, frequency, product_code
),

new_vintage_reporter as (
    select
        reporter_code,
        flow,
        frequency,
        product_code,
        {{ exact_sum('value_usd') }} as value_usd
    from new_vintage_pair
    group by reporter_code, flow, frequency, product_code
),

-- the rows to convert: HS2017 periods; one row per reported row and successor
old_rows as (
    select
        flows.*,
        links.hs2022_code,
        links.relationship,
        coalesce(links.n_successors, 0) as n_successors,
        coalesce(pair.value_usd, 0) as pair_weight_value,
        coalesce(reporter.value_usd, 0) as reporter_weight_value
    from flows
    left join links
        on flows.product_code = links.hs2017_code
    left join new_vintage_pair as pair
        on
            flows.reporter_code = pair.reporter_code
            and flows.partner_code = pair.partner_code
            and flows.flow = pair.flow
            and flows.frequency = pair.frequency
            and links.hs2022_code = pair.product_code
    left join new_vintage_reporter as reporter
        on
            flows.reporter_code = reporter.reporter_code
            and flows.flow = reporter.flow
            and flows.frequency = reporter.frequency
            and links.hs2022_code = reporter.product_code
    where year(flows.period_start) between 2017 and 2021
),

old_rows_totals as (
    select
        *,
        sum(pair_weight_value) over reported_row as pair_total,
        sum(reporter_weight_value) over reported_row as reporter_total
    from old_rows
    window reported_row as (
        partition by
            reporter_code, partner_code, product_code, product_level, flow, frequency, source,
            source_dataset, partition_id, period_start
    )
),

old_rows_weighted as (
    select
        *,
        case
            when n_successors = 0 then 'unlinked'
            when n_successors = 1 and hs2022_code = product_code then 'same_code'
            when n_successors = 1 then 'single_successor'
            when pair_total > 0 then 'trade_weights_pair'
            when reporter_total > 0 then 'trade_weights_reporter'
            else 'kept_no_weights'
        end as conversion_method
    from old_rows_totals
),

converted_old as (
    select
        reporter_code,
        partner_code,
        product_code as product_code_reported,
        case
            when conversion_method in ('unlinked', 'kept_no_weights') then product_code
            else hs2022_code
        end as product_code_hs2022,
        flow,
        frequency,
        source,
        relationship as concordance_relationship,
        conversion_method,
        case
            when conversion_method = 'trade_weights_pair' then pair_weight_value / pair_total
            when conversion_method = 'trade_weights_reporter' then reporter_weight_value / reporter_total
            else 1.0
        end as weight,
        value_usd,
        value_eur,
        net_weight_kg,
        period_start
    from old_rows_weighted
    -- kept_no_weights: one row per reported row (under its own code), not one per successor
    qualify
        conversion_method <> 'kept_no_weights'
        or row_number() over (
            partition by
                reporter_code, partner_code, product_code, product_level, flow, frequency, source,
                source_dataset, partition_id, period_start
            order by hs2022_code
        ) = 1
),

converted as (
    select
        reporter_code,
        partner_code,
        product_code_reported,
        product_code_hs2022,
        flow,
        frequency,
        source,
        concordance_relationship,
        conversion_method,
        weight,
        value_usd * weight as value_usd,
        value_eur * weight as value_eur,
        net_weight_kg * weight as net_weight_kg,
        true as is_converted,
        period_start
    from converted_old
    where weight > 0
    union all
    select
        reporter_code,
        partner_code,
        product_code as product_code_reported,
        product_code as product_code_hs2022,
        flow,
        frequency,
        source,
        cast(null as string) as concordance_relationship,
        case when year(period_start) >= 2022 then 'hs2022_as_reported' else 'hs2012_not_converted' end
            as conversion_method,
        1.0 as weight,
        value_usd,
        value_eur,
        net_weight_kg,
        year(period_start) >= 2017 as is_converted,
        period_start
    from flows
    where year(period_start) not between 2017 and 2021
)

select * from converted
